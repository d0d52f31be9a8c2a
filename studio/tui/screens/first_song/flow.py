"""The first-song flow's shared state and its way through the steps: which step shows, what
comes next, going on and back, and the sound the steps share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from textual.widgets import ContentSwitcher

from studio.core.gate import Decision
from studio.core.i18n import StudioError, Words
from studio.core.preset import Preset
from studio.core.song import Song
from studio.services import library
from studio.services.console import Console
from studio.services.export import ExportResult
from studio.services.waveform import Waveform
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Said

TITLE = Words(nb="Min første sang", en="My first song")
STEP_LINE = Words(nb="Steg {number} av {count}: {what}", en="Step {number} of {count}: {what}")
NEXT_LINE = Words(nb="Neste: {what}. Ctrl+N går videre, Ctrl+P går tilbake.",
                  en="Next: {what}. Ctrl+N goes on, Ctrl+P goes back.")
LAST_LINE = Words(nb="Dette er siste steg. Esc går tilbake til startsiden.",
                  en="This is the last step. Esc goes back to the start screen.")
NO_SONG_YET = Words(nb="Lag sangen først (steg 2).", en="Make the song first (step 2).")
WITNESS = Words(nb="Vitne (navnet på en annen som er her)",
                en="Witness (the name of someone else who is here)")


@dataclass(frozen=True)
class Step:
    id: str
    what: Words


STEPS = (
    Step("consent", Words(nb="lov til å ta vare på opptakene", en="permission to keep the takes")),
    Step("beat", Words(nb="velg en beat og et tempo", en="choose a beat and a tempo")),
    Step("lyrics", Words(nb="skriv eller lim inn teksten", en="write or paste the lyrics")),
    Step("voice", Words(nb="velg en stemmelyd", en="choose a voice sound")),
    Step("level", Words(nb="sjekk nivået på mikrofonen", en="check the microphone level")),
    Step("verse", Words(nb="ta opp et vers", en="record a verse")),
    Step("hook", Words(nb="ta opp et refreng", en="record a hook")),
    Step("choose", Words(nb="velg de beste opptakene", en="pick the best takes")),
    Step("listen", Words(nb="hør sangen", en="hear the song")),
    Step("copy", Words(nb="en kopi å ta med hjem", en="a copy to take home")),
)

BEAT_BARS = 16  # a starter beat's length, and where listening starts over
HOOK_BAR = 9  # where the hook is recorded


class Flow(StudioScreen):
    """The state every step reads or leaves behind, and moving between the steps. Each step
    (``<id>`` in :data:`STEPS`) may have ``compose_<id>``, ``enter_<id>``, ``leave_<id>``
    (False stays) and ``tick_<id>`` (30 times a second while it shows)."""

    def __init__(self) -> None:
        super().__init__()
        self.step = 0
        self.song: Song | None = None
        self.beats: list[tuple[str, Words, float]] = []  # name, description, tempo
        self.tempo = 90.0
        self.presets: list[Preset] = []
        self.preset: str | None = None
        self.keep_ok = False
        self.recording_track: str | None = None
        self.punch_in = 0
        self.takes: list[tuple[str, library.TakeInfo]] = []
        self.waveforms: dict[int, Waveform] = {}
        self.copy_answer: Decision | None = None
        self.copy_consent_asked = False  # the gate said no, and the member may be asked here
        self.copy_result: ExportResult | None = None
        self.cancel = threading.Event()
        self.granting = False  # a yes is being recorded: Ctrl+Y twice records it once

    @property
    def current(self) -> str:
        return STEPS[self.step].id

    def show_step(self) -> None:
        step = STEPS[self.step]
        self.query_one(ContentSwitcher).current = step.id
        self.query_one("#step", Said).say(STEP_LINE, number=self.step + 1, count=len(STEPS),
                                          what=step.what)
        if self.step + 1 < len(STEPS):
            self.query_one("#next", Said).say(NEXT_LINE, what=STEPS[self.step + 1].what)
        else:
            self.query_one("#next", Said).say(LAST_LINE)
        getattr(self, f"enter_{step.id}")()
        self.refresh_bindings()

    def on_language(self) -> None:
        self.show_step()

    def action_next(self) -> None:
        if self.studio_app().sound.busy_recording:
            return
        leave = getattr(self, f"leave_{self.current}", None)
        if leave is not None and not leave():
            return
        self.go_on()

    def action_previous(self) -> None:
        if self.step > 0 and not self.studio_app().sound.busy_recording:
            self.step -= 1
            self.show_step()

    def go_on(self) -> None:
        """To the next step (also when a step finished its work by itself)."""
        if self.step + 1 < len(STEPS):
            self.step += 1
            self.show_step()

    def tick(self) -> None:
        """The 30-per-second look of the step that shows."""
        tick = getattr(self, f"tick_{self.current}", None)
        if tick is not None:
            tick()

    def grant(self, record: Callable[[], object], then: Callable[[], None]) -> None:
        """Record a yes (in a worker), then ``then``; one at a time."""
        if self.granting:
            return
        self.granting = True
        self.refresh_bindings()

        def done(_: object) -> None:
            self.granting = False
            then()
            self.refresh_bindings()

        def failed(error: BaseException) -> None:
            self.granting = False
            self.refresh_bindings()
            self.fail(error)

        self.background(record, done, failed=failed, group="grant")

    def open_console(self) -> None:
        """The song's console, for hearing the input, recording and listening."""
        app = self.studio_app()
        song, actor, choice = self.song, app.session.actor, app.engine_choice()
        if song is None:
            return

        def opened(_: Console) -> None:
            self.query_one("#advice", Said).say(None)

        def failed(error: BaseException) -> None:  # said where "Starting the sound …" was
            if isinstance(error, StudioError):
                self.query_one("#advice", Said).say(error.words, **error.values)
            self.fail(error)

        self.background(lambda: app.sound.open(song.name, actor, choice), opened,
                        failed=failed, group="console", exclusive=True)
