"""Step 1: permission to keep the recordings. The exact question is read out to the member, a
witness is named, and a yes is recorded; without it nothing can be recorded."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input

from studio.core.consent import WORDINGS, Purpose
from studio.core.i18n import Words
from studio.services import consent
from studio.tui.screens.first_song.flow import WITNESS, Flow
from studio.tui.speech import Said, SaidInput

KEEP_OK = Words(nb="✓ {alias} har sagt ja til at opptakene lagres ({state}).",
                en="✓ {alias} has agreed that the recordings are kept ({state}).")
KEEP_ASK = Words(
    nb="Før vi tar opp: les spørsmålet høyt for {alias}. Et vitne må være til stede. "
       "Ctrl+Y registrerer et ja.",
    en="Before we record: read the question out to {alias}. A witness must be there. "
       "Ctrl+Y records a yes.",
)
KEEP_NEEDED = Words(
    nb="Uten et ja til å lagre opptakene kan ingenting tas opp. Det er helt greit å si nei.",
    en="Without a yes to keeping the recordings nothing can be recorded. It is fine to say no.",
)
UNTIL = Words(nb="Lagres til (ÅÅÅÅ-MM-DD)", en="Kept until (YYYY-MM-DD)")


class ConsentStep(Flow):
    def compose_consent(self) -> ComposeResult:
        yield Said(id="keep-state", classes="say")
        yield Said(id="keep-question", classes="say question")
        with Horizontal(id="keep-form"):
            yield SaidInput(WITNESS, id="witness")
            yield SaidInput(UNTIL, id="until")

    def mount_consent(self) -> None:
        self.query_one("#until", Input).value = (self.studio_app().studio.today() +
                                                 timedelta(days=365)).isoformat()

    def enter_consent(self) -> None:
        app = self.studio_app()
        member = app.session.member
        if member is None:
            return

        def got(states: list[consent.ConsentState]) -> None:
            keep = next(s for s in states if s.purpose is Purpose.KEEP)
            self.keep_ok = keep.granted
            form = self.query_one("#keep-form")
            question = self.query_one("#keep-question", Said)
            if keep.granted:
                self.query_one("#keep-state", Said).say(KEEP_OK, alias=member.alias,
                                                        state=keep.describe())
                question.say(None)
                question.display = False
                form.display = False
            else:
                self.query_one("#keep-state", Said).say(KEEP_ASK, alias=member.alias)
                question.say(WORDINGS[Purpose.KEEP].text,
                             until=self.query_one("#until", Input).value)
                question.display = True
                form.display = True
                self.query_one("#witness", Input).focus()
            self.refresh_bindings()

        self.background(lambda: consent.state(app.studio, member.alias), got,
                        group="consent", exclusive=True)

    def leave_consent(self) -> bool:
        if not self.keep_ok:
            self.tell(KEEP_NEEDED, "warning")
        return self.keep_ok

    def grant_keep(self) -> None:
        app = self.studio_app()
        member, actor = app.session.member, app.session.actor
        if member is None or actor is None:
            return
        witness = self.query_one("#witness", Input).value
        until = self.query_one("#until", Input).value

        def done() -> None:
            self.keep_ok = True
            self.enter_consent()

        self.grant(lambda: consent.grant(app.studio, actor, member.alias, Purpose.KEEP,
                                         witness=witness, keep_until=until), done)
