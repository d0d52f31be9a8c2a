"""The record screen: tracks (arm, input, monitor preset), big input meter with clip hold, the
transport (bars and time, click, count-in, loop), and each track's takes with a waveform and
"use this take". Recording is one key (R), and the transport line says in colour and in words
whether anything is being recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, OptionList
from textual.widgets.option_list import Option

from studio.core.i18n import StudioError, Words
from studio.core.preset import list_presets
from studio.core.song import Song
from studio.services import library
from studio.services.console import Console
from studio.services.recording import RecordRequest, RecordResult, TrackInput
from studio.services.waveform import Waveform, take_waveform
from studio.tui.common import NO_SONG
from studio.tui.screens.base import StudioScreen
from studio.tui.sound import SoundOff
from studio.tui.speech import Key, Said
from studio.tui.widgets.banner import DeviceBanner
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport, TransportState, clock
from studio.tui.widgets.waveform import WaveformView, sparkline

TITLE = Words(nb="Opptak", en="Record")
SONG_LINE = Words(nb="«{name}» · {artist} · {tempo:g} BPM · {state}",
                  en="“{name}” · {artist} · {tempo:g} BPM · {state}")
NO_ARTIST = Words(nb="øvingssang", en="practice song")
STARTING_ENGINE = Words(nb="Starter lydmotoren …", en="Starting the sound engine …")
ARM_FIRST = Words(nb="Velg et spor å ta opp på først (A).",
                  en="Arm a track to record on first (A).")
NO_TRACKS = Words(nb="Ingen spor ennå: trykk T for et nytt spor (for eksempel «vokal»).",
                  en="No tracks yet: press T for a new track (for example \"vocal\").")
TAKES_OF = Words(nb="Opptak på «{track}» (Enter: bruk dette opptaket)",
                 en="Takes on “{track}” (Enter: use this take)")
NO_TAKES = Words(nb="Ingen opptak på dette sporet ennå.", en="No takes on this track yet.")
TAKE_LINE = Words(nb="{mark} Opptak {number}  {length}  {wave}",
                  en="{mark} Take {number}  {length}  {wave}")
IN_USE = Words(nb="✓", en="✓")
NOT_USED = Words(nb=" ", en=" ")
USED = Words(nb="Opptak {number} brukes nå på «{track}».",
             en="Take {number} is now used on “{track}”.")
SAVED = Words(nb="Opptaket er lagret: {count} opptak, {seconds:.1f} s.",
              en="The recording is saved: {count} takes, {seconds:.1f} s.")
NOTHING_RECORDED = Words(nb="Ingenting ble tatt opp (stoppet før inntellingen var ferdig).",
                         en="Nothing was recorded (stopped before the count-in was over).")
NEW_TRACK_Q = Words(nb="Hva skal sporet hete?", en="What is the track called?")
NEW_TRACK_P = Words(nb="for eksempel vokal", en="for example vocal")
INPUT_MONO = Words(nb="inn {a}", en="in {a}")
INPUT_STEREO = Words(nb="inn {a}+{b}", en="in {a}+{b}")
NO_PRESET = Words(nb="tørr", en="dry")
ARMED = Words(nb="● klar", en="● armed")
NOT_ARMED = Words(nb="–", en="–")
HEADERS = (Words(nb="Klar", en="Armed"), Words(nb="Spor", en="Track"),
           Words(nb="Inngang", en="Input"), Words(nb="Lydoppsett", en="Preset"),
           Words(nb="Opptak", en="Takes"))
KIND_WORDS = {"beat": Words(nb="beat", en="beat"), "bus": Words(nb="effektbuss", en="effect bus")}
NOT_RECORDABLE = Words(nb="«{track}» er ikke et lydspor; det spilles, men tas ikke opp på.",
                       en="“{track}” is not an audio track; it plays, but is not recorded on.")
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

LOOP_STEPS = (0, 1, 2, 4, 8)
COUNT_STEPS = (0, 1, 2)
INPUT_CHOICES: tuple[tuple[int, ...], ...] = ((1,), (2,), (1, 2))
LOOP_PASSES = 50  # loop recording goes on until stopped (each pass is a take)
WAVE_COLUMNS = 160


@dataclass
class TrackSetup:
    armed: bool = False
    inputs: tuple[int, ...] = (1,)
    preset: str | None = "vocal-clean"


def input_words(inputs: tuple[int, ...]) -> str:
    if len(inputs) == 2:
        return INPUT_STEREO.say(a=inputs[0], b=inputs[1])
    return INPUT_MONO.say(a=inputs[0])


class RecordScreen(StudioScreen):
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

    def __init__(self) -> None:
        super().__init__()
        self.song: Song | None = None
        self.tracks: list[library.TrackTakes] = []
        self.setups: dict[int, TrackSetup] = {}
        self.waveforms: dict[int, Waveform] = {}
        self.presets: list[str] = []
        self.state = TransportState()
        self.punch_in_frame = 0
        self.start_bar = 1
        self.recorder_state = "off"
        self.last_error: StudioError | None = None
        self.entry: library.LibraryEntry | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield DeviceBanner()
        yield Said(id="song-line", classes="heading")
        yield Transport(id="transport")
        yield DataTable(id="tracks", cursor_type="row", zebra_stripes=True)
        with Vertical(id="meters"):
            yield LevelMeter(INPUT_METER.say(input=input_words((1,))), id="in-meter")
            yield LevelMeter(OUTPUT_METER, big=False, id="out-meter")
        yield Said(id="takes-title", classes="heading")
        with Horizontal(id="takes-row"):
            yield OptionList(id="takes")
        yield WaveformView(id="wave")
        yield Said(id="message")
        yield Footer(compact=True)

    # start ------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        app = self.studio_app()
        self.song = app.session.song
        if self.song is None:
            self.tell(NO_SONG, "warning")
            return
        try:
            self.presets = [p.name for p in list_presets() if not p.name.startswith("bus-")]
        except StudioError as error:
            self.fail(error)
        self.state = TransportState(click=app.prefs.click, count_in_bars=app.prefs.count_in_bars)
        self.query_one(Transport).show(self.state)
        self.set_headers()
        self.load_tracks()
        self.open_console()
        self.set_interval(1 / 30, self.tick)
        self.query_one("#tracks", DataTable).focus()

    def set_headers(self) -> None:
        table = self.query_one("#tracks", DataTable)
        table.clear(columns=True)
        for words, width in zip(HEADERS, (9, 18, 9, 14, 7), strict=True):
            table.add_column(words.say(), width=width)

    def on_language(self) -> None:
        self.set_headers()
        self.show_tracks()
        self.show_song_line()

    def open_console(self) -> None:
        app = self.studio_app()
        song, actor, choice = self.song, app.session.actor, app.engine_choice()
        if song is None:
            return

        click = self.state.click

        def start(console: Console) -> bool:
            console.set_click(click)
            return console.practice

        def opened(practice: bool) -> None:
            if practice:
                app.show_device(None)

        def failed(error: BaseException) -> None:
            if not isinstance(error, SoundOff):  # said when someone wants to listen
                self.refused(error)

        self.background(lambda: app.sound.run(song.name, actor, choice, start), opened,
                        failed=failed, group="console", exclusive=True)

    # tracks and takes -------------------------------------------------------------------------
    def load_tracks(self, select_take: int | None = None) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            return

        def job() -> tuple[library.LibraryEntry, list[library.TrackTakes]]:
            fresh = app.studio.song(song.name)
            return library.entry(app.studio, app.session.actor, fresh), \
                library.tracks_and_takes(app.studio, fresh)

        def got(result: tuple[library.LibraryEntry, list[library.TrackTakes]]) -> None:
            self.entry, self.tracks = result
            self.song = self.entry.song
            default = "vocal-clean" if "vocal-clean" in self.presets else None
            audio = [item for item in self.tracks if item.track.kind == "audio"]
            for item in self.tracks:
                self.setups.setdefault(item.track.id, TrackSetup(
                    armed=len(audio) == 1 and item.track.kind == "audio", preset=default))
            self.show_song_line()
            self.show_tracks()
            self.load_waveforms()
            if select_take is not None:
                self.select_take(select_take)

        self.background(job, got, group="tracks", exclusive=True)

    def show_song_line(self) -> None:
        entry = self.entry
        if entry is None:
            return
        song = entry.song
        self.query_one("#song-line", Said).say(
            SONG_LINE, name=song.name, artist=entry.artist or NO_ARTIST, tempo=song.tempo_bpm,
            state=library.STATE_WORDS[entry.state])

    def show_tracks(self) -> None:
        table = self.query_one("#tracks", DataTable)
        row = table.cursor_row
        table.clear()
        for item in self.tracks:
            setup = self.setups[item.track.id]
            if item.track.kind != "audio":  # a beat track plays; it is not recorded
                kind = KIND_WORDS.get(item.track.kind)
                table.add_row("–", item.track.name, kind.say() if kind else "–", "–", "–",
                              key=str(item.track.id))
                continue
            table.add_row((ARMED if setup.armed else NOT_ARMED).say(), item.track.name,
                          input_words(setup.inputs), setup.preset or NO_PRESET.say(),
                          str(len(item.takes)), key=str(item.track.id))
        if self.tracks:
            table.move_cursor(row=min(max(row, 0), len(self.tracks) - 1))
        self.show_takes()
        message = self.query_one("#message", Said)
        if self.last_error is None:
            message.say(None if self.tracks else NO_TRACKS)

    def selected(self) -> library.TrackTakes | None:
        table = self.query_one("#tracks", DataTable)
        if not self.tracks:
            return None
        return self.tracks[min(max(table.cursor_row, 0), len(self.tracks) - 1)]

    def show_takes(self) -> None:
        listing = self.query_one("#takes", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        item = self.selected()
        title = self.query_one("#takes-title", Said)
        if item is None:
            title.say(None)
            self.query_one(WaveformView).clear()
            return
        title.say(TAKES_OF, track=item.track.name)
        if not item.takes:
            listing.add_option(Option(NO_TAKES.say(), disabled=True))
        for info in item.takes:
            wave = self.waveforms.get(info.take.id)
            listing.add_option(Option(TAKE_LINE.say(
                mark=(IN_USE if info.in_use else NOT_USED).say(), number=info.number,
                length=clock(info.seconds), wave=sparkline(wave.peaks(), 40) if wave else ""),
                id=f"take-{info.take.id}"))
        if item.takes:
            listing.highlighted = min(highlighted or 0, len(item.takes) - 1)
        self.show_wave()

    def show_wave(self) -> None:
        item = self.selected()
        listing = self.query_one("#takes", OptionList)
        view = self.query_one(WaveformView)
        if item is None or not item.takes or listing.highlighted is None:
            view.clear()
            return
        info = item.takes[min(listing.highlighted, len(item.takes) - 1)]
        wave = self.waveforms.get(info.take.id)
        if wave is None:
            view.clear()
        else:
            view.show(wave.low, wave.high)

    def select_take(self, take_id: int) -> None:
        for row, item in enumerate(self.tracks):
            for index, info in enumerate(item.takes):
                if info.take.id == take_id:
                    self.query_one("#tracks", DataTable).move_cursor(row=row)
                    self.show_takes()
                    self.query_one("#takes", OptionList).highlighted = index
                    return

    def load_waveforms(self) -> None:
        app = self.studio_app()
        actor = app.session.actor
        wanted = [info.take for item in self.tracks for info in item.takes
                  if info.take.id not in self.waveforms and not info.take.restricted]
        if not wanted:
            return

        def job() -> list[Waveform]:
            out = []
            for take in wanted:
                try:
                    out.append(take_waveform(app.studio, take, WAVE_COLUMNS, actor=actor))
                except StudioError:
                    continue  # a take that cannot be shown has no picture; the list says so
            return out

        def got(waves: list[Waveform]) -> None:
            for wave in waves:
                self.waveforms[wave.take_id] = wave
            self.show_takes()

        self.background(job, got, group="waveforms", exclusive=True)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_takes()
        setup = self.current_setup()
        if setup is not None:
            self.query_one("#in-meter", LevelMeter).label = INPUT_METER.say(
                input=input_words(setup.inputs))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "takes":
            self.show_wave()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "takes":
            self.action_use_take()

    def current_setup(self) -> TrackSetup | None:
        item = self.selected()
        return self.setups.get(item.track.id) if item else None

    # the 30-per-second look at the engine ----------------------------------------------------
    def tick(self) -> None:
        app = self.studio_app()
        sound = app.sound
        song = self.song
        if song is None:
            return
        transport = self.query_one(Transport)
        in_meter = self.query_one("#in-meter", LevelMeter)
        setup = self.current_setup()
        channel = (setup.inputs[0] - 1) if setup else 0
        if sound.busy_recording:
            status = sound.progress
            frame = int(status.get("song_frame", 0))
            rolling = status.get("state", 0) == 1
            if status.get("recording", 0) == 1:
                recorder = "on"
            elif self.recorder_state == "saving":
                recorder = "saving"
            elif rolling and frame < self.punch_in_frame:
                recorder = "count-in"
            else:
                recorder = "starting" if not rolling else self.recorder_state
            self.recorder_state = recorder
            bar, beat, _ = song.timebase.frame_to_bar_beat(max(frame, 0))
            transport.update(recording=recorder, rolling=rolling, bar=bar, beat=beat,
                             seconds=frame / song.samplerate)
            rows = sound.input_meters()
            in_meter.show_row(rows[channel] if channel < len(rows) else None)
            return
        head = sound.playhead(song.name)
        if head is None:
            transport.update(recording="off", rolling=False)
            return
        if sound.device_lost():
            name = song.name
            self.background(lambda: sound.with_open(name, lambda c: c.check_device()),
                            self.device_back, group="device", exclusive=True)
            return
        transport.update(recording="off", rolling=head.rolling, bar=head.bar, beat=head.beat,
                         seconds=head.seconds)
        rows = sound.input_meters()
        in_meter.show_row(rows[channel] if channel < len(rows) else None)
        out = sound.output_meters()
        if out:
            loudest = max(out, key=lambda r: r[0])
            self.query_one("#out-meter", LevelMeter).show_row(loudest)

    def device_back(self, said: str | None) -> None:
        if said:
            self.studio_app().notify(said, severity="warning", timeout=10)
            self.studio_app().scan_devices()

    # transport keys ---------------------------------------------------------------------------
    def _bar_now(self) -> int:
        song = self.song
        head = self.studio_app().sound.playhead(song.name) if song else None
        return head.bar if head is not None else 1

    def _with_console(self, job: Callable[[Console], object]) -> None:
        """Do ``job`` in a worker with the open console (nothing when none is open)."""
        song = self.song
        sound = self.studio_app().sound
        if song is None or sound.busy_recording:
            return
        name = song.name
        self.background(lambda: sound.with_open(name, job), group="transport")

    def action_play_stop(self) -> None:
        app = self.studio_app()
        if app.sound.busy_recording:
            self.action_record()
            return
        song, actor, choice = self.song, app.session.actor, app.engine_choice()
        if song is None:
            return
        loop = self.state.loop_first, self.state.loop_bars
        click = self.state.click

        def toggle(console: Console) -> None:
            if console.rolling():
                console.stop()
            else:
                console.set_loop(loop[0], loop[1])
                console.click = click
                console.play()

        self.background(lambda: app.sound.run(song.name, actor, choice, toggle),
                        failed=self.refused, group="transport")

    def action_bar(self, step: int) -> None:
        bar = max(self._bar_now() + step, 1)
        self._with_console(lambda console: console.locate_bar(bar))

    def action_to_start(self) -> None:
        self._with_console(lambda console: console.locate_bar(1))

    def action_click(self) -> None:
        self.state = replace(self.state, click=not self.state.click)
        self.query_one(Transport).update(click=self.state.click)
        app = self.studio_app()
        app.prefs.click = self.state.click
        app.save_prefs()
        on = self.state.click
        self._with_console(lambda console: console.set_click(on))

    def action_count_in(self) -> None:
        now = self.state.count_in_bars
        bars = COUNT_STEPS[(COUNT_STEPS.index(now) + 1) % len(COUNT_STEPS)] \
            if now in COUNT_STEPS else 1
        self.state = replace(self.state, count_in_bars=bars)
        self.query_one(Transport).update(count_in_bars=bars)
        app = self.studio_app()
        app.prefs.count_in_bars = bars
        app.save_prefs()

    def action_loop(self) -> None:
        now = self.state.loop_bars if self.state.loop_first is not None else 0
        bars = LOOP_STEPS[(LOOP_STEPS.index(now) + 1) % len(LOOP_STEPS)] \
            if now in LOOP_STEPS else 0
        first = self._bar_now()
        if self.state.loop_first is not None and bars:
            first = self.state.loop_first
        self.state = replace(self.state, loop_first=first if bars else None, loop_bars=bars)
        self.query_one(Transport).update(loop_first=self.state.loop_first, loop_bars=bars)
        loop_first = self.state.loop_first
        self._with_console(lambda console: console.set_loop(loop_first, bars))

    def action_clear_clip(self) -> None:
        self.query_one("#in-meter", LevelMeter).reset_clip()
        self.query_one("#out-meter", LevelMeter).reset_clip()

    # tracks -----------------------------------------------------------------------------------
    def action_arm(self) -> None:
        item = self.selected()
        setup = self.current_setup()
        if item is not None and item.track.kind != "audio":
            self.tell(NOT_RECORDABLE, "warning", track=item.track.name)
            return
        if setup is not None:
            setup.armed = not setup.armed
            self.show_tracks()

    def action_input(self) -> None:
        setup = self.current_setup()
        if setup is not None:
            index = INPUT_CHOICES.index(setup.inputs) if setup.inputs in INPUT_CHOICES else -1
            setup.inputs = INPUT_CHOICES[(index + 1) % len(INPUT_CHOICES)]
            self.show_tracks()

    def action_preset(self) -> None:
        setup = self.current_setup()
        if setup is None:
            return
        choices: list[str | None] = [None, *self.presets]
        index = choices.index(setup.preset) if setup.preset in choices else 0
        setup.preset = choices[(index + 1) % len(choices)]
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
        item = self.selected()
        listing = self.query_one("#takes", OptionList)
        if item is None or not item.takes or listing.highlighted is None:
            return
        info = item.takes[min(listing.highlighted, len(item.takes) - 1)]
        app = self.studio_app()
        actor = app.session.actor

        def done(_: None) -> None:
            self.tell(USED, number=info.number, track=item.track.name)
            self.load_tracks(select_take=info.take.id)

        self.background(lambda: library.use_take(app.studio, actor, info.take), done,
                        failed=self.refused)

    # recording --------------------------------------------------------------------------------
    def action_record(self) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            return
        if app.sound.busy_recording:
            app.sound.stop_recording()
            self.recorder_state = "saving"
            self.query_one(Transport).update(recording="saving")
            return
        armed = [(item.track, self.setups[item.track.id]) for item in self.tracks
                 if self.setups[item.track.id].armed]
        if not armed:
            self.tell(ARM_FIRST, "warning")
            return
        prefs = app.prefs
        if app.sound.is_open(song.name):
            self.start_bar = self._bar_now()
        tb = song.timebase
        self.punch_in_frame = tb.bar_to_frame(self.start_bar)
        loop_bars = self.state.loop_bars if self.state.loop_first is not None else None
        if loop_bars:
            self.start_bar = self.state.loop_first or self.start_bar
            self.punch_in_frame = tb.bar_to_frame(self.start_bar)
        request = RecordRequest(
            song=song.name,
            tracks=[TrackInput(track.name, setup.inputs) for track, setup in armed],
            seconds=float(prefs.max_take_seconds), device=prefs.device,
            blocksize=prefs.blocksize, monitor=armed[0][1].preset, click=self.state.click,
            count_in_bars=self.state.count_in_bars, start_bar=self.start_bar,
            loop_bars=loop_bars or None, passes=LOOP_PASSES if loop_bars else 1,
            actor=app.session.actor)
        self.last_error = None
        self.query_one("#message", Said).say(None)
        self.recorder_state = "starting"
        self.query_one(Transport).update(recording="starting")
        self.query_one("#in-meter", LevelMeter).reset_clip()
        self.background(lambda: app.sound.record(request), self.recorded,
                        failed=self.record_failed, group="recording")

    def recorded(self, result: RecordResult) -> None:
        self.recorder_state = "off"
        self.query_one(Transport).update(recording="off", rolling=False)
        for message in result.messages:
            self.studio_app().notify(message, severity="warning", timeout=10)
        if result.takes:
            seconds = max(t.frames / t.samplerate for t in result.takes)
            self.tell(SAVED, count=len(result.takes), seconds=seconds)
        else:
            self.tell(NOTHING_RECORDED, "warning")
        self.load_tracks(select_take=result.takes[-1].id if result.takes else None)
        self.open_console()

    def record_failed(self, error: BaseException) -> None:
        self.recorder_state = "off"
        self.query_one(Transport).update(recording="off", rolling=False)
        self.refused(error)
        self.open_console()

    def refused(self, error: BaseException) -> None:
        """A refusal or a plain problem: its words stay on the screen and in a notification."""
        if isinstance(error, StudioError):
            self.last_error = error
            self.query_one("#message", Said).say(error.words, **error.values)
        self.fail(error)

    def on_screen_resume(self) -> None:
        if self.song is not None:
            self.load_tracks()

    def on_unmount(self) -> None:
        if not self.studio_app().sound.busy_recording:
            self.studio_app().close_sound()

