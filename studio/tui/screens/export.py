"""Master and export: choose a mastering target and a file format, see for each purpose what
the release gate says in plain words, and export in a worker with progress. After an export
the report says the loudness before and after, the peaks and the length."""

from __future__ import annotations

import threading
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Header, ProgressBar

from studio.core.gate import Decision, ExportPurpose
from studio.core.i18n import StudioError, Words
from studio.core.master_preset import MasterPreset, list_master_presets
from studio.core.song import Song
from studio.services.export import ExportResult, export_song
from studio.services.release import ask_gate
from studio.tui.common import NO_SONG, NOT_SIGNED_IN
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said

TITLE = Words(nb="Master og eksport", en="Master and export")
SONG_LINE = Words(nb="Sang: «{name}»", en="Song: “{name}”")
TARGET = Words(nb="Mastring: {name} – {about} (T for å bytte)",
               en="Mastering: {name} – {about} (T to change)")
FORMAT = Words(nb="Filformat: {format} (F for å bytte)", en="File format: {format} (F to change)")
GATE = Words(nb="Kan sangen tas ut av studioet?", en="May the song leave the studio?")
GATE_LINE = Words(nb="{mark} {key} {purpose}: {answer}", en="{mark} {key} {purpose}: {answer}")
ASKING = Words(nb="spør …", en="asking …")
PURPOSES: dict[ExportPurpose, Words] = {
    ExportPurpose.MEMBER_COPY: Words(nb="Kopi til deltakeren", en="Copy for the member"),
    ExportPurpose.INTERNAL: Words(nb="Intern lytting", en="Internal listening"),
    ExportPurpose.PUBLIC: Words(nb="Publisering", en="Public release"),
}
KEY_FOR = {ExportPurpose.MEMBER_COPY: "1", ExportPurpose.INTERNAL: "2", ExportPurpose.PUBLIC: "3"}
EXPORTING = Words(nb="Eksporterer ({purpose}) …", en="Exporting ({purpose}) …")
DONE = Words(nb="Ferdig: {path}", en="Done: {path}")
CANCEL_WORDS = Words(nb="Avbryt eksport", en="Cancel export")
BUSY = Words(nb="En eksport pågår allerede.", en="An export is already running.")

EXPORT_COPY = Words(nb="Kopi", en="Copy")
EXPORT_INTERNAL = Words(nb="Intern", en="Internal")
EXPORT_PUBLIC = Words(nb="Publiser", en="Release")
CHANGE_FORMAT = Words(nb="Format", en="Format")
CHANGE_TARGET = Words(nb="Mastring", en="Mastering")
ASK_AGAIN = Words(nb="Spør porten", en="Ask the gate")
FORMATS = ("wav", "flac", "mp3", "ogg")


class ExportScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    ExportScreen #gate { height: auto; padding: 0 1; }
    ExportScreen #progress { padding: 0 1; height: 1; }
    ExportScreen #report { height: auto; padding: 0 1; }
    ExportScreen #message { color: $error; text-style: bold; padding: 0 1; height: auto; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("1", "export('member-copy')", EXPORT_COPY),
        Key("2", "export('internal')", EXPORT_INTERNAL),
        Key("3", "export('public')", EXPORT_PUBLIC),
        Key("t", "target", CHANGE_TARGET),
        Key("f", "format", CHANGE_FORMAT),
        Key("g", "ask_gate", ASK_AGAIN),
        Key("c", "cancel", CANCEL_WORDS),
    )

    def __init__(self) -> None:
        super().__init__()
        self.song: Song | None = None
        self.targets: list[MasterPreset] = []
        self.target_index = 0
        self.format = "wav"
        self.answers: dict[ExportPurpose, Decision] = {}
        self.result: ExportResult | None = None
        self.cancel: threading.Event | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Said(id="song-line", classes="heading")
        with Vertical():
            yield Said(id="target", classes="plain")
            yield Said(FORMAT, id="format", classes="plain", format="wav")
            yield Said(GATE, classes="heading")
            yield Said(id="gate")
            yield ProgressBar(id="progress", show_eta=False)
            yield Said(id="message")
            yield Said(id="report")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.song = self.studio_app().session.song
        self.query_one("#progress", ProgressBar).display = False
        if self.song is None:
            self.tell(NO_SONG, "warning")
            return
        self.query_one("#song-line", Said).say(SONG_LINE, name=self.song.name)
        try:
            self.targets = list_master_presets()
        except StudioError as error:
            self.fail(error)
        names = [t.name for t in self.targets]
        self.target_index = names.index("streaming") if "streaming" in names else 0
        self.show_targets()
        self.action_ask_gate()

    def show_targets(self) -> None:
        said = self.query_one("#target", Said)
        if not self.targets:
            said.say(None)
            return
        chosen = self.targets[self.target_index]
        said.say(TARGET, name=chosen.name, about=chosen.words)

    def action_target(self) -> None:
        if self.targets:
            self.target_index = (self.target_index + 1) % len(self.targets)
            self.show_targets()

    def on_language(self) -> None:
        self.show_targets()
        self.show_gate()
        self.show_report()

    def target(self) -> str | None:
        return self.targets[self.target_index].name if self.targets else None

    # the gate ---------------------------------------------------------------------------------
    def action_ask_gate(self) -> None:
        app = self.studio_app()
        song, actor = self.song, app.session.actor
        if song is None:
            return
        if actor is None:
            self.query_one("#gate", Said).say(NOT_SIGNED_IN)
            return
        self.answers = {}
        self.show_gate()

        def job() -> dict[ExportPurpose, Decision]:
            return {p: ask_gate(app.studio, actor, song, p) for p in ExportPurpose}

        def got(answers: dict[ExportPurpose, Decision]) -> None:
            self.answers = answers
            self.show_gate()

        self.background(job, got, group="gate", exclusive=True)

    def show_gate(self) -> None:
        lines = []
        for purpose in (ExportPurpose.MEMBER_COPY, ExportPurpose.INTERNAL, ExportPurpose.PUBLIC):
            decision = self.answers.get(purpose)
            mark = "…" if decision is None else "✓" if decision.allowed else "✗"
            answer = ASKING.say() if decision is None else decision.say()
            lines.append(GATE_LINE.say(mark=mark, key=f"[{KEY_FOR[purpose]}]",
                                       purpose=PURPOSES[purpose], answer=answer))
        text = "\n".join(lines)
        if self.studio_app().session.actor is not None:
            self.query_one("#gate", Said).say(Words(nb=text, en=text))

    # exporting --------------------------------------------------------------------------------
    def action_format(self) -> None:
        self.format = FORMATS[(FORMATS.index(self.format) + 1) % len(FORMATS)]
        self.query_one("#format", Said).say(FORMAT, format=self.format)

    def action_export(self, purpose_value: str) -> None:
        app = self.studio_app()
        song, actor = self.song, app.session.actor
        purpose = ExportPurpose(purpose_value)
        if song is None:
            return
        if actor is None:
            self.tell(NOT_SIGNED_IN, "warning")
            return
        if self.cancel is not None:
            self.tell(BUSY, "warning")
            return
        fmt, target = self.format, self.target()
        cancel = self.cancel = threading.Event()
        bar = self.query_one("#progress", ProgressBar)
        bar.display = True
        bar.update(total=100, progress=0)
        self.query_one("#message", Said).say(EXPORTING, purpose=PURPOSES[purpose])
        self.result = None
        self.show_report()

        def progress(fraction: float) -> None:
            app.call_from_thread(bar.update, progress=round(fraction * 100, 1))

        def job() -> ExportResult:
            return export_song(app.studio, actor, song, purpose, fmt, target=target,
                               progress=progress, cancel=cancel)

        def done(result: ExportResult) -> None:
            self.cancel = None
            bar.display = False
            self.result = result
            self.query_one("#message", Said).say(None)
            self.show_report()
            self.tell(DONE, path=str(result.path))
            self.action_ask_gate()

        def failed(error: BaseException) -> None:
            self.cancel = None
            bar.display = False
            message = self.query_one("#message", Said)
            if isinstance(error, StudioError):
                message.say(error.words, **error.values)
            else:
                message.say(None)
            self.fail(error)
            self.action_ask_gate()

        self.background(job, done, failed=failed, group="export")

    def action_cancel(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

    def show_report(self) -> None:
        result = self.result
        said = self.query_one("#report", Said)
        if result is None:
            said.say(None)
            return
        lines = [DONE.say(path=str(result.path)), *result.notes]
        if result.report is not None:
            lines.extend(result.report.lines())
        text = "\n".join(lines)
        said.say(Words(nb=text, en=text))

    def on_unmount(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

