"""The first-song screen: one step at a time (see :mod:`studio.tui.screens.first_song`), each
step's layout and work in its own module, put together here with the keys and the look."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Footer, Header, OptionList

from studio.core.i18n import Words
from studio.tui.screens.first_song.choose_step import ChooseStep
from studio.tui.screens.first_song.consent_step import ConsentStep
from studio.tui.screens.first_song.copy_step import CopyStep
from studio.tui.screens.first_song.flow import STEPS, TITLE
from studio.tui.screens.first_song.listen_step import ListenStep
from studio.tui.screens.first_song.record_steps import RecordSteps
from studio.tui.screens.first_song.song_steps import SongSteps
from studio.tui.speech import Key, Said

NEXT = Words(nb="Neste", en="Next")
PREVIOUS = Words(nb="Forrige", en="Back a step")
YES = Words(nb="Registrer ja", en="Record yes")
RECORD = Words(nb="Ta opp/stopp", en="Record/stop")
PLAY = Words(nb="Spill/stopp", en="Play/stop")
FASTER = Words(nb="Raskere", en="Faster")
SLOWER = Words(nb="Roligere", en="Slower")
COPY = Words(nb="Lag kopi", en="Make copy")


class FirstSongScreen(ConsentStep, SongSteps, RecordSteps, ChooseStep, ListenStep, CopyStep):
    SCREEN_WORDS = TITLE
    STOP_FIRST = True
    DEFAULT_CSS = """
    FirstSongScreen #step { text-style: bold; padding: 0 1; height: auto;
                            background: $primary 30%; }
    FirstSongScreen #next { color: $foreground 70%; padding: 0 1; height: auto; }
    FirstSongScreen ContentSwitcher { height: 1fr; }
    FirstSongScreen ContentSwitcher > Vertical { padding: 0 1; }
    FirstSongScreen OptionList { height: 1fr; border: none; }
    FirstSongScreen TextArea { height: 1fr; }
    FirstSongScreen Horizontal { height: auto; }
    FirstSongScreen Input { width: 1fr; }
    FirstSongScreen .say { height: auto; }
    FirstSongScreen .question { border: round $accent; padding: 0 1; height: auto; }
    FirstSongScreen #copy-progress { height: 1; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("ctrl+n", "next", NEXT),
        Key("ctrl+p", "previous", PREVIOUS),
        Key("ctrl+y", "grant", YES),
        Key("r", "record", RECORD),
        Key("space", "play", PLAY, key_display="␣"),
        Key("plus", "tempo(2)", FASTER, key_display="+"),
        Key("minus", "tempo(-2)", SLOWER, key_display="-"),
        Key("e", "copy", COPY),
    )

    def compose(self) -> ComposeResult:
        yield Header()
        yield Said(id="step")
        with ContentSwitcher(initial=STEPS[0].id):
            for step in STEPS:
                with Vertical(id=step.id):
                    yield from getattr(self, f"compose_{step.id}")()
        yield Said(id="next")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.mount_consent()
        self.mount_copy()
        self.mount_song()
        self.show_step()
        self.set_interval(1 / 30, self.tick)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        step = self.current
        allowed = {"grant": not self.granting and ((step == "consent" and not self.keep_ok)
                                                   or (step == "copy"
                                                       and self.copy_consent_asked)),
                   "record": step in ("verse", "hook"),
                   "play": step == "listen",
                   "tempo": step == "beat",
                   "copy": step == "copy" and bool(self.copy_answer and
                                                   self.copy_answer.allowed),
                   "previous": self.step > 0,
                   "next": self.step + 1 < len(STEPS)}
        return allowed.get(action, True)

    def action_grant(self) -> None:
        if self.current == "copy":
            self.grant_copy()
        else:
            self.grant_keep()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "presets":
            self.choose_preset(event.option.id)
        elif event.option_list.id == "takes":
            self.use_take(event.option_index)
        elif event.option_list.id == "beats":
            self.action_next()

    def on_unmount(self) -> None:
        self.cancel.set()
        if not self.studio_app().sound.busy_recording:
            self.studio_app().close_sound()
