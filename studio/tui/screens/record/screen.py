"""The record screen put together: the layout (song line, transport, track table, meters, takes
panel, message line), its keys, and the track keys (arm, input, preset, new track, use take).
The transport and recording keys come from :mod:`.transport_keys` and :mod:`.recording`."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, OptionList

from studio.core.i18n import StudioError, Words
from studio.core.preset import list_presets
from studio.services import library
from studio.tui.common import NO_SONG
from studio.tui.screens.record.takes_panel import TakesPanel
from studio.tui.screens.record.track_table import TrackTable, input_words
from studio.tui.screens.record.transport_keys import TransportKeys
from studio.tui.speech import Key, Said
from studio.tui.widgets.banner import DeviceBanner
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport, TransportState

TITLE = Words(nb="Opptak", en="Record")
NOT_RECORDABLE = Words(nb="«{track}» er ikke et lydspor; det spilles, men tas ikke opp på.",
                       en="“{track}” is not an audio track; it plays, but is not recorded on.")
NEW_TRACK_Q = Words(nb="Hva skal sporet hete?", en="What is the track called?")
NEW_TRACK_P = Words(nb="for eksempel vokal", en="for example vocal")
INPUT_METER = Words(nb="Mikrofon ({input})", en="Microphone ({input})")
OUTPUT_METER = Words(nb="Ut", en="Out")

PLAY = Words(nb="Spill/stopp", en="Play/stop")
RECORD = Words(nb="Ta opp/stopp", en="Record/stop")
ARM = Words(nb="Klar/av", en="Arm")
INPUT = Words(nb="Inngang", en="Input")
PRESET = Words(nb="Lydoppsett", en="Preset")
CLICK = Words(nb="Klikk", en="Click")
COUNT = Words(nb="Inntelling", en="Count-in")
LOOP = Words(nb="Loop", en="Loop")
START = Words(nb="Til start", en="To start")
USE = Words(nb="Bruk opptak", en="Use take")
NEW_TRACK = Words(nb="Nytt spor", en="New track")
CLEAR_CLIP = Words(nb="Nullstill klipp", en="Clear clip")
BAR_BACK = Words(nb="Takt tilbake", en="Bar back")
BAR_ON = Words(nb="Takt fram", en="Bar on")


class RecordScreen(TransportKeys):
    SCREEN_WORDS = TITLE
    STOP_FIRST = True
    DEFAULT_CSS = """
    RecordScreen #tracks { height: 5; }
    RecordScreen #meters { height: 5; padding: 0 1; }
    RecordScreen #takes { height: 1fr; min-height: 3; border: none; }
    RecordScreen #wave { height: 2; padding: 0 1; }
    RecordScreen #message { color: $error; text-style: bold; padding: 0 1; height: auto; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("r", "record", RECORD),
        Key("space", "play_stop", PLAY, key_display="␣"),
        Key("a", "arm", ARM),
        Key("i", "input", INPUT),
        Key("p", "preset", PRESET),
        Key("k", "click", CLICK),
        Key("o", "count_in", COUNT),
        Key("l", "loop", LOOP),
        Key("home", "to_start", START),
        Key("u", "use_take", USE),
        Key("t", "new_track", NEW_TRACK),
        Key("c", "clear_clip", CLEAR_CLIP),
        Key("left", "bar(-1)", BAR_BACK, show=False),
        Key("right", "bar(1)", BAR_ON, show=False),
    )

    def compose(self) -> ComposeResult:
        yield Header()
        yield DeviceBanner()
        yield Said(id="song-line", classes="heading")
        yield Transport(id="transport")
        yield TrackTable(id="tracks")
        with Vertical(id="meters"):
            yield LevelMeter(INPUT_METER.say(input=input_words((1,))), id="in-meter")
            yield LevelMeter(OUTPUT_METER, big=False, id="out-meter")
        yield TakesPanel(id="takes-panel")
        yield Said(id="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        app = self.studio_app()
        self.song = app.session.song
        if self.song is None:
            self.tell(NO_SONG, "warning")
            return
        table = self.query_one(TrackTable)
        try:
            table.presets = [p.name for p in list_presets() if not p.name.startswith("bus-")]
        except StudioError as error:
            self.fail(error)
        self.state = TransportState(click=app.prefs.click, count_in_bars=app.prefs.count_in_bars)
        self.query_one(Transport).show(self.state)
        table.set_headers()
        self.load_tracks()
        self.open_console()
        self.set_interval(1 / 30, self.tick)
        table.focus()

    def on_language(self) -> None:
        self.query_one(TrackTable).set_headers()
        self.show_tracks()
        self.show_song_line()

    def on_screen_resume(self) -> None:
        if self.song is not None:
            self.load_tracks()

    def on_unmount(self) -> None:
        if not self.studio_app().sound.busy_recording:
            self.studio_app().close_sound()

    # the track table and the takes ------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_takes()
        setup = self.query_one(TrackTable).current_setup()
        if setup is not None:
            self.query_one("#in-meter", LevelMeter).label = INPUT_METER.say(
                input=input_words(setup.inputs))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "takes":
            self.action_use_take()

    def action_arm(self) -> None:
        table = self.query_one(TrackTable)
        item = table.selected()
        if item is not None and item.track.kind != "audio":
            self.tell(NOT_RECORDABLE, "warning", track=item.track.name)
            return
        if table.toggle_arm():
            self.show_tracks()

    def action_input(self) -> None:
        if self.query_one(TrackTable).next_input():
            self.show_tracks()

    def action_preset(self) -> None:
        if self.query_one(TrackTable).next_preset():
            self.show_tracks()

    def action_new_track(self) -> None:
        from studio.tui.screens.dialogs import Ask

        app = self.studio_app()
        song = self.song
        if song is None:
            return

        def named(name: str | None) -> None:
            if not name or not name.strip():
                return
            actor = app.session.actor
            self.background(lambda: library.add_track(app.studio, actor, song, name),
                            lambda _: self.load_tracks(), failed=self.refused)

        self.app.push_screen(Ask(NEW_TRACK_Q, NEW_TRACK_P), named)

    def action_use_take(self) -> None:
        self.query_one(TakesPanel).use_take(
            lambda take_id: self.load_tracks(select_take=take_id), self.refused)
