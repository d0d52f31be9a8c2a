"""The mix: a channel strip per track (gain, pan, mute, solo, preset, reverb and delay sends)
and the master strip (the output meters). Thin: every change goes to
:func:`studio.services.mixing.change_mix`, which checks it and writes it with an audit entry;
the table is read back from the catalog after each change."""

from __future__ import annotations

import math
import threading
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header

from studio.core.i18n import Words
from studio.core.mix import BusMix, BusName, TrackMix
from studio.core.preset import list_presets
from studio.core.song import Song
from studio.services.mixing import MixChanges, MixedTrack, change_mix, mixed_tracks
from studio.tui.common import NO_SONG
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said
from studio.tui.widgets.meter import FLOOR_DB, HIGH_DB, MID_DB, LevelMeter, to_db
from studio.tui.widgets.transport import PLAYING, STOPPED, clock

TITLE = Words(nb="Miks", en="Mix")
SONG_LINE = Words(nb="Miks av «{name}»", en="Mix of “{name}”")
HEADERS = (Words(nb="Spor", en="Track"), Words(nb="Måler", en="Meter"),
           Words(nb="Nivå", en="Gain"),
           Words(nb="Pan", en="Pan"), Words(nb="Demp", en="Mute"),
           Words(nb="Solo", en="Solo"), Words(nb="Lydoppsett", en="Preset"),
           Words(nb="Rom", en="Reverb"), Words(nb="Ekko", en="Delay"))
CENTRE = Words(nb="midt", en="centre")
LEFT = Words(nb="V {amount}", en="L {amount}")
RIGHT = Words(nb="H {amount}", en="R {amount}")
ON = Words(nb="på", en="on")
NONE = Words(nb="ingen", en="none")
BUSES = Words(nb="Rom-buss: {reverb} · Ekko-buss: {delay}",
              en="Reverb bus: {reverb} · Delay bus: {delay}")
BUS_LINE = Words(nb="{preset}, {gain:+.1f} dB{muted}", en="{preset}, {gain:+.1f} dB{muted}")
BUS_MUTED = Words(nb=", dempet", en=", muted")
MASTER = Words(nb="Master", en="Master")
LISTENING = Words(nb="{state}  {time}", en="{state}  {time}")
NEW_VERSION = Words(
    nb="Miksen er endret: sangen har fått en ny versjon, som må gjennomgås før publisering.",
    en="The mix changed: the song has a new version, which needs review before release.",
)

LOUDER = Words(nb="Sterkere", en="Louder")
SOFTER = Words(nb="Svakere", en="Softer")
PAN_LEFT = Words(nb="Mot venstre", en="Pan left")
PAN_RIGHT = Words(nb="Mot høyre", en="Pan right")
MUTE = Words(nb="Demp", en="Mute")
SOLO = Words(nb="Solo", en="Solo")
PRESET = Words(nb="Lydoppsett", en="Preset")
REVERB = Words(nb="Rom", en="Reverb")
DELAY = Words(nb="Ekko", en="Delay")
PLAY = Words(nb="Spill/stopp", en="Play/stop")

COLUMNS = ("track", "meter", "gain", "pan", "mute", "solo", "preset", "reverb", "delay")
SEND_STEPS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
METER_CELLS = 7
METER_EIGHTHS = " ▏▎▍▌▋▊▉█"
FALL_DB_PER_TICK = 24.0 / 30  # a meter falls 24 dB a second


def meter_cells(db: float) -> int:
    """How many eighths of the strip meter's cells are lit (−60 dBFS to 0)."""
    if db <= FLOOR_DB:
        return 0
    return min(round((min(db, 0.0) - FLOOR_DB) / -FLOOR_DB * METER_CELLS * 8), METER_CELLS * 8)


def meter_bar(db: float) -> str:
    """A small level bar in eighths of a cell: readable without colour."""
    eighths = meter_cells(db)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (METER_EIGHTHS[part] if part else "")
    return bar.ljust(METER_CELLS, "·")


def pan_words(pan: float) -> str:
    if abs(pan) < 0.005:
        return CENTRE.say()
    amount = f"{round(abs(pan) * 100)}%"
    return (LEFT if pan < 0 else RIGHT).say(amount=amount)


def next_step(value: float, steps: tuple[float, ...]) -> float:
    bigger = [s for s in steps if s > value + 1e-9]
    return bigger[0] if bigger else steps[0]


class MixScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    MixScreen #strips { height: 1fr; }
    MixScreen #master { height: 2; padding: 0 1; }
    MixScreen #master LevelMeter { width: 1fr; }
    MixScreen #master-left { margin-right: 2; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("space", "play", PLAY, key_display="␣"),
        Key("plus", "gain(1)", LOUDER, key_display="+"),
        Key("minus", "gain(-1)", SOFTER, key_display="-"),
        Key("left", "pan(-0.1)", PAN_LEFT, key_display="←", priority=True),
        Key("right", "pan(0.1)", PAN_RIGHT, key_display="→", priority=True),
        Key("m", "flip('mute')", MUTE),
        Key("s", "flip('solo')", SOLO),
        Key("p", "preset", PRESET),
        Key("r", "send('send_reverb')", REVERB),
        Key("d", "send('send_delay')", DELAY),
    )

    def __init__(self) -> None:
        super().__init__()
        self.song: Song | None = None
        self.tracks: list[MixedTrack] = []
        self.buses: dict[BusName, BusMix] = {}
        self.presets: list[str] = []
        self.told = False
        self.pending = 0  # changes sent and not yet answered
        self.sending = threading.Lock()
        self.levels: dict[str, float] = {}  # track name: the dB its meter shows

    def compose(self) -> ComposeResult:
        yield Header()
        yield Said(id="song-line", classes="heading")
        yield DataTable(id="strips", cursor_type="row", zebra_stripes=True, fixed_columns=1)
        yield Said(id="buses", classes="hint")
        with Horizontal(id="master"):
            yield LevelMeter(MASTER.say() + " L", big=False, id="master-left")
            yield LevelMeter(MASTER.say() + " R", big=False, id="master-right")
        yield Said(id="listening", classes="plain")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.song = self.studio_app().session.song
        if self.song is None:
            self.tell(NO_SONG, "warning")
            return
        self.query_one("#song-line", Said).say(SONG_LINE, name=self.song.name)
        try:
            self.presets = [p.name for p in list_presets() if not p.name.startswith("bus-")]
        except Exception as error:
            self.fail(error)
        self.set_headers()
        self.load()
        self.set_interval(1 / 30, self.tick)
        self.query_one("#strips", DataTable).focus()

    def set_headers(self) -> None:
        table = self.query_one("#strips", DataTable)
        table.clear(columns=True)
        for key, words, width in zip(COLUMNS, HEADERS, (10, METER_CELLS, 8, 7, 4, 4, 10, 6, 6),
                                strict=True):
            table.add_column(words.say(), width=width, key=key)

    def on_language(self) -> None:
        self.set_headers()
        self.show()

    def load(self) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            return

        def got(result: tuple[list[MixedTrack], dict[BusName, BusMix]]) -> None:
            self.tracks, self.buses = result
            self.show()

        self.background(lambda: mixed_tracks(app.studio, song), got, group="mix",
                        exclusive=True)

    def show(self) -> None:
        table = self.query_one("#strips", DataTable)
        row = table.cursor_row
        table.clear()
        for item in self.tracks:
            mix = item.mix
            table.add_row(item.track.name, self.meter_text(item.track.name),
                          f"{mix.gain_db:+.1f} dB", pan_words(mix.pan),
                          ON.say() if mix.mute else "–", ON.say() if mix.solo else "–",
                          mix.preset or NONE.say(), f"{round(mix.send_reverb * 100)}%",
                          f"{round(mix.send_delay * 100)}%", key=str(item.track.id))
        if self.tracks:
            table.move_cursor(row=min(max(row, 0), len(self.tracks) - 1))

        def bus(name: BusName) -> str:
            mix = self.buses.get(name)
            if mix is None:
                return "–"
            return BUS_LINE.say(preset=mix.preset or NONE.say(), gain=mix.gain_db,
                                muted=BUS_MUTED.say() if mix.mute else "")

        self.query_one("#buses", Said).say(BUSES, reverb=bus("reverb"), delay=bus("delay"))

    def selected(self) -> MixedTrack | None:
        if not self.tracks:
            return None
        row = self.query_one("#strips", DataTable).cursor_row
        return self.tracks[min(max(row, 0), len(self.tracks) - 1)]

    # changes ----------------------------------------------------------------------------------
    def change(self, **changes: Any) -> None:
        """Show the change at once (so quick key presses add up) and send the track's whole
        mix as it is on screen; sends go one at a time, and the table is read back from the
        catalog once none is waiting."""
        app = self.studio_app()
        song, item, actor = self.song, self.selected(), app.session.actor
        if song is None or item is None:
            return
        name = item.track.name
        try:
            updated = MixedTrack(item.track, item.mix.with_changes(**changes))
        except Exception as error:
            self.fail(error)
            return
        self.tracks = [updated if t is item else t for t in self.tracks]
        self.show()
        self.pending += 1

        def job() -> None:
            with self.sending:
                now = next(t for t in self.tracks if t.track.name == name)
                change_mix(app.studio, actor, song,
                           MixChanges(track=name, track_changes=now.mix.to_json()))

        def done(_: object) -> None:
            self.pending -= 1
            if not self.told:
                self.told = True
                self.tell(NEW_VERSION)
            if not self.pending:  # a held key restarts the sound once, after its last change
                self.load()
                self.hear_changes(song)

        def failed(error: BaseException) -> None:
            self.pending -= 1
            self.fail(error)
            if not self.pending:
                self.load()

        self.background(job, done, failed=failed, group="change")

    def hear_changes(self, song: Song) -> None:
        """While the song plays, the changed mix is heard from where it is."""
        sound = self.studio_app().sound
        self.background(lambda: sound.with_open(song.name, lambda console: console.refresh()),
                        group="refresh", exclusive=True)

    def current(self) -> TrackMix | None:
        item = self.selected()
        return item.mix if item else None

    def action_gain(self, step: float) -> None:
        mix = self.current()
        if mix is not None:
            self.change(gain_db=min(max(mix.gain_db + step, -60.0), 12.0))

    def action_pan(self, step: float) -> None:
        mix = self.current()
        if mix is not None:
            self.change(pan=round(min(max(mix.pan + step, -1.0), 1.0), 2))

    def action_flip(self, what: str) -> None:
        mix = self.current()
        if mix is not None:
            self.change(**{what: not getattr(mix, what)})

    def action_preset(self) -> None:
        mix = self.current()
        if mix is None:
            return
        choices: list[str | None] = [None, *self.presets]
        index = choices.index(mix.preset) if mix.preset in choices else 0
        self.change(preset=choices[(index + 1) % len(choices)])

    def action_send(self, which: str) -> None:
        mix = self.current()
        if mix is not None:
            self.change(**{which: next_step(getattr(mix, which), SEND_STEPS)})

    # listening --------------------------------------------------------------------------------
    def action_play(self) -> None:
        self.play_or_stop(self.song)

    def tick(self) -> None:
        song = self.song
        if song is None:
            return
        sound = self.studio_app().sound
        head = sound.playhead(song.name)
        said = self.query_one("#listening", Said)
        if head is None:
            said.say(None)
            return
        said.say(LISTENING, state=PLAYING if head.rolling else STOPPED, time=clock(head.seconds))
        out = sound.output_meters()
        for index, meter_id in enumerate(("#master-left", "#master-right")):
            self.query_one(meter_id, LevelMeter).show_row(out[index] if index < len(out)
                                                          else None)
        self.show_track_levels(sound.track_levels())

    def show_track_levels(self, heard: dict[str, tuple[float, float]]) -> None:
        """Each strip's meter: the peak heard now, falling back slowly (readable at 30 frames
        a second); only cells whose bar changed are redrawn."""
        table = self.query_one("#strips", DataTable)
        for item in self.tracks:
            name = item.track.name
            before = self.levels.get(name, -math.inf)
            now = max(to_db(max(heard.get(name, (0.0, 0.0)))), before - FALL_DB_PER_TICK)
            self.levels[name] = now if now > FLOOR_DB else -math.inf
            if meter_cells(before) != meter_cells(now):
                table.update_cell(str(item.track.id), "meter", self.meter_text(name))

    def meter_text(self, name: str) -> Text:
        db = self.levels.get(name, -math.inf)
        theme = self.app.current_theme
        colour = theme.error if db > HIGH_DB else theme.warning if db > MID_DB else theme.success
        return Text(meter_bar(db), style=colour or "")

    def on_unmount(self) -> None:
        if not self.studio_app().sound.busy_recording:
            self.studio_app().close_sound()
