"""Step 10: a copy to take home. The release gate answers; when the member has not been asked
about a copy yet, the question is read out here, with a witness, and a yes asks the gate again.
The copy is an mp3, made in a worker with progress."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, ProgressBar

from studio.core.consent import WORDINGS, Purpose
from studio.core.gate import Decision, ExportPurpose
from studio.core.i18n import StudioError, Words
from studio.services import consent
from studio.services.export import ExportResult, export_song
from studio.services.release import ask_gate
from studio.tui.screens.first_song.flow import NO_SONG_YET, WITNESS, Flow
from studio.tui.speech import Said, SaidInput

COPY_ALLOWED = Words(nb="✓ {answer} Trykk E for å lage kopien (mp3).",
                     en="✓ {answer} Press E to make the copy (mp3).")
COPY_REFUSED = Words(nb="✗ {answer}", en="✗ {answer}")
COPY_ASK = Words(
    nb="Les spørsmålet høyt for {alias}. Et vitne må være til stede. Ctrl+Y registrerer et ja; "
       "et nei er like greit, og sangen blir i studioet.",
    en="Read the question out to {alias}. A witness must be there. Ctrl+Y records a yes; a no "
       "is just as fine, and the song stays in the studio.",
)
ASKING = Words(nb="Spør om kopien er tillatt …", en="Asking whether the copy is allowed …")
COPY_DONE = Words(nb="Kopien er klar: {path}", en="The copy is ready: {path}")
MAKING_COPY = Words(nb="Lager kopien …", en="Making the copy …")


class CopyStep(Flow):
    def compose_copy(self) -> ComposeResult:
        yield Said(id="copy-state", classes="say")
        yield Said(id="copy-question", classes="say question")
        with Horizontal(id="copy-form"):
            yield SaidInput(WITNESS, id="copy-witness")
        yield ProgressBar(id="copy-progress", show_eta=False)
        yield Said(id="copy-report", classes="say")

    def mount_copy(self) -> None:
        self.query_one("#copy-progress", ProgressBar).display = False
        self.show_copy_question(False)

    def enter_copy(self) -> None:
        app = self.studio_app()
        song, actor, member = self.song, app.session.actor, app.session.member
        said = self.query_one("#copy-state", Said)
        if song is None or actor is None:
            said.say(NO_SONG_YET)
            return
        said.say(ASKING)

        def job() -> tuple[Decision, bool]:
            answer = ask_gate(app.studio, actor, song, ExportPurpose.MEMBER_COPY)
            ask = False
            if not answer.allowed and member is not None:
                # only a member never asked is asked here: a "no" (or a withdrawal) stands,
                # and is changed on the consent screen if the member brings it up
                states = consent.state(app.studio, member.alias)
                ask = next(s for s in states if s.purpose is Purpose.MEMBER_COPY).record is None
            return answer, ask

        def got(result: tuple[Decision, bool]) -> None:
            if self.current != "copy":
                return  # they went back meanwhile: nothing to show, nothing to focus
            answer, ask = result
            self.copy_answer = answer
            said.say(COPY_ALLOWED if answer.allowed else COPY_REFUSED, answer=answer.say())
            self.show_copy_question(ask)
            self.refresh_bindings()

        self.background(job, got, group="gate", exclusive=True)
        self.show_copy()

    def show_copy_question(self, ask: bool) -> None:
        """The member-copy question, read out to the member, with its witness (the one from
        the first step, if there was one, can be kept or changed)."""
        member = self.studio_app().session.member
        self.copy_consent_asked = ask and member is not None
        question = self.query_one("#copy-question", Said)
        question.display = self.copy_consent_asked
        self.query_one("#copy-form").display = self.copy_consent_asked
        if not self.copy_consent_asked or member is None:
            question.say(None)
            if isinstance(self.focused, Input):  # E makes the copy, not a letter in a box
                self.set_focus(None)
            return
        question.say(Words(nb="{ask}\n\n{question}", en="{ask}\n\n{question}"),
                     ask=COPY_ASK, alias=member.alias,
                     question=WORDINGS[Purpose.MEMBER_COPY].text)
        witness = self.query_one("#copy-witness", Input)
        if not witness.value:
            witness.value = self.query_one("#witness", Input).value
        witness.focus()

    def grant_copy(self) -> None:
        app = self.studio_app()
        member, actor = app.session.member, app.session.actor
        if member is None or actor is None:
            return
        witness = self.query_one("#copy-witness", Input).value
        self.grant(lambda: consent.grant(app.studio, actor, member.alias, Purpose.MEMBER_COPY,
                                         witness=witness), self.enter_copy)

    def action_copy(self) -> None:
        app = self.studio_app()
        song, actor = self.song, app.session.actor
        if song is None or actor is None:
            return
        bar = self.query_one("#copy-progress", ProgressBar)
        bar.display = True
        bar.update(total=100, progress=0)
        self.query_one("#copy-report", Said).say(MAKING_COPY)
        app.close_sound()

        def progress(fraction: float) -> None:
            app.call_from_thread(bar.update, progress=round(fraction * 100, 1))

        def done(result: ExportResult) -> None:
            bar.display = False
            self.copy_result = result
            self.show_copy()

        def failed(error: BaseException) -> None:
            bar.display = False
            report = self.query_one("#copy-report", Said)
            if isinstance(error, StudioError):
                report.say(error.words, **error.values)
            else:
                report.say(None)
            self.fail(error)

        self.background(lambda: export_song(app.studio, actor, song, ExportPurpose.MEMBER_COPY,
                                            "mp3", progress=progress, cancel=self.cancel),
                        done, failed=failed, group="export")

    def show_copy(self) -> None:
        result = self.copy_result
        if result is None:
            return
        lines = [COPY_DONE.say(path=str(result.path)), *result.notes]
        if result.report is not None:
            lines.extend(result.report.lines())
        text = "\n".join(lines)
        self.query_one("#copy-report", Said).say(Words(nb=text, en=text))
