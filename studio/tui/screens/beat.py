"""The beat: the song's step grid (kit voices × steps), one pattern at a time, editable with
keys and the mouse; velocity, swing, kit, and the arrangement shown. Thin: the beat is read
with :func:`studio.services.beats.song_beat` and saved with
:func:`studio.services.beats.store_beat`; a song without a beat starts from a starter beat.

Pads: the number keys play the pattern's voices (in grid order) at once through the console,
and so do MIDI pads (:mod:`studio.services.pads`, MIDI-learn included). P loops the pattern's
bars in the song; R records what is played into the pattern at the playhead, quantised with
:mod:`studio.core.pad_record`. While the loop plays, changes are saved at the end of each pass
and the console plays them from then on (:meth:`~studio.services.console.Console.refresh`).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.widgets import Footer, Header, OptionList
from textual.widgets.option_list import Option

from studio.core.beat import VOICE_WORDS, VOICES, Beat, Pattern, VoiceLane
from studio.core.i18n import StudioError, Words
from studio.core.pad_record import GRIDS, LoopClock, PadHit, Quantise, record_hits
from studio.core.song import Song, Track
from studio.services import beats, pads
from studio.services.kits import kit_path, list_kits
from studio.tui.common import NO_SONG
from studio.tui.screens.base import StudioScreen
from studio.tui.sound import Sound, SoundOff
from studio.tui.speech import Key, Said
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.pads import PadRow
from studio.tui.widgets.step_grid import StepGrid
from studio.tui.widgets.transport import Transport

if TYPE_CHECKING:
    from studio.services.console import Console

TITLE = Words(nb="Beat", en="Beat")
SONG_LINE = Words(nb="Beaten i «{song}»: {beat} · {tempo:g} BPM · trommesett {kit}",
                  en="The beat of “{song}”: {beat} · {tempo:g} BPM · kit {kit}")
PATTERN_LINE = Words(nb="Mønster «{name}» ({index} av {count}) · swing {swing:.0%} · {state}",
                     en="Pattern “{name}” ({index} of {count}) · swing {swing:.0%} · {state}")
SAVED = Words(nb="lagret", en="saved")
UNSAVED = Words(nb="IKKE LAGRET (S lagrer)", en="NOT SAVED (S saves)")
ARRANGEMENT = Words(nb="Oppbygning: {sections}", en="Arrangement: {sections}")
NO_BEAT = Words(nb="Sangen har ingen beat ennå. Velg en å starte fra (Enter):",
                en="The song has no beat yet. Choose one to start from (Enter):")
STORED = Words(nb="Beaten er lagret i sangen.", en="The beat is saved in the song.")
VELOCITY = Words(nb="Styrke på nye slag: {velocity}", en="Strength of new hits: {velocity}")
LEAVE_Q = Words(nb="Beaten er ikke lagret. Gå tilbake uten å lagre?",
                en="The beat is not saved. Go back without saving?")
QUANTISE_LINE = Words(nb="Opptak av slag: kvantisering {state}, rutenett {grid} "
                         "(Q på/av, G rutenett)",
                      en="Recording hits: quantise {state}, grid {grid} (Q on/off, G grid)")
QUANTISE_ON = Words(nb="på", en="on")
QUANTISE_OFF = Words(nb="av", en="off")
PADS_HELP = Words(nb="Spill med tastene {first}–{last} · P spiller mønsteret i loop · R tar opp "
                     "det du spiller inn i mønsteret",
                  en="Play with the keys {first}–{last} · P loops the pattern · R records what "
                     "you play into the pattern")
PADS_STARTING = Words(nb="Starter lydmotoren for padene …",
                      en="Starting the sound engine for the pads …")
PADS_SILENT = Words(nb="Lyden er slått av: padene vises, men høres ikke.",
                    en="Sound is switched off: the pads are shown, but make no sound.")
NO_MIDI = Words(nb="Ingen MIDI-enhet: bruk tastaturet som pads (I: velg enhet)",
                en="No MIDI device: use the keyboard pads (I: choose a device)")
MIDI_READY = Words(nb="MIDI-pads: {device} (L: lær en pad lyden under markøren, I: annen "
                      "enhet)",
                   en="MIDI pads: {device} (L: teach a pad the sound under the cursor, "
                      "I: another device)")
MIDI_LEARNING = Words(nb="Slå på paden som skal spille {voice} (L avbryter)",
                      en="Hit the pad that should play {voice} (L cancels)")
LEARNED = Words(nb="Tone {note} spiller nå {voice}.", en="Note {note} now plays {voice}.")
NEEDS_MIDI = Words(nb="Ingen MIDI-enhet er åpen, så det er ingen pad å lære opp. "
                      "Tastene {first}–{last} spiller lydene.",
                   en="No MIDI device is open, so there is no pad to teach. The keys "
                      "{first}–{last} play the sounds.")
DEVICE_Q = Words(nb="Hvilken MIDI-enhet? (tomt: den første som finnes)",
                 en="Which MIDI device? (empty: the first there is)")
DEVICE_P = Words(nb="navnet på enheten", en="the device's name")
PLAY_FIRST = Words(nb="Slaget ble spilt, men ikke tatt opp: trykk P for å spille loopen først.",
                   en="The hit was played but not recorded: press P to play the loop first.")
NOT_ARRANGED = Words(
    nb="Mønsteret «{name}» er ikke med i oppbygningen; loopen spiller takt {first}–{last}.",
    en="The pattern “{name}” is not in the arrangement; the loop plays bars {first}–{last}.")
OUTPUT_METER = Words(nb="Ut", en="Out")
PAD_PROBLEM = Words(nb="Paden kunne ikke spilles: {detail}", en="The pad could not play: {detail}")

TOGGLE = Words(nb="Slag av/på", en="Hit on/off")
STRENGTH = Words(nb="Styrke", en="Strength")
SWING = Words(nb="Swing", en="Swing")
NEXT_PATTERN = Words(nb="Neste mønster", en="Next pattern")
KIT = Words(nb="Trommesett", en="Kit")
SAVE = Words(nb="Lagre", en="Save")
PLAY = Words(nb="Spill/stopp loop", en="Play/stop loop")
RECORD = Words(nb="Ta opp slag", en="Record hits")
QUANTISE = Words(nb="Kvantiser", en="Quantise")
GRID = Words(nb="Rutenett", en="Grid")
LEARN = Words(nb="MIDI-læring", en="MIDI-learn")
DEVICE = Words(nb="MIDI-enhet", en="MIDI device")
PAD = Words(nb="Pad", en="Pad")

VELOCITIES = (100, 127, 50)
SWINGS = (0.0, 0.1, 0.2, 0.3, 0.5)
PAD_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
QUANTISE_GRIDS = tuple(GRIDS)


class ConsolePads:
    """Where the pads sound: the app's console for this song. Safe from any thread (MIDI
    arrives on rtmidi's thread): a pad waits only for the console's lock, never the UI."""

    def __init__(self, sound: Sound, song_name: str) -> None:
        self.sound = sound
        self.song_name = song_name
        self.struck: deque[str] = deque(maxlen=64)  # voices to light on screen
        self.problem: BaseException | None = None

    def play(self, voice: str, velocity: int) -> None:
        def hit(console: Console) -> None:
            console.trigger_pad(voice, velocity)

        try:
            self.sound.with_open(self.song_name, hit)
        except Exception as error:  # said on the screen's next look, never a traceback
            self.problem = error

    def trigger_pad(self, voice: str, velocity: int) -> None:
        self.struck.append(voice)
        self.play(voice, velocity)

    def playhead_frame(self) -> int:
        head = self.sound.playhead(self.song_name)
        return head.song_frame if head is not None else 0


class BeatScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    BeatScreen StepGrid { margin: 1 1 0 1; }
    BeatScreen #starters { height: 1fr; border: none; }
    BeatScreen #out-meter { padding: 0 1; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("space", "hit", TOGGLE, key_display="␣"),
        Key("p", "play_stop", PLAY),
        Key("r", "record", RECORD),
        Key("q", "quantise", QUANTISE),
        Key("g", "grid", GRID),
        Key("v", "velocity", STRENGTH),
        Key("w", "swing", SWING),
        Key("n", "next_pattern", NEXT_PATTERN),
        Key("k", "kit", KIT),
        Key("s", "save", SAVE),
        Key("l", "learn", LEARN),
        Key("i", "midi_device", DEVICE),
        *(Key(key, f"pad({index})", PAD, show=False) for index, key in enumerate(PAD_KEYS)),
        Key("up", "move(-1, 0)", TOGGLE, show=False),
        Key("down", "move(1, 0)", TOGGLE, show=False),
        Key("left", "move(0, -1)", TOGGLE, show=False),
        Key("right", "move(0, 1)", TOGGLE, show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.song: Song | None = None
        self.track: Track | None = None
        self.beat: Beat | None = None
        self.pattern_index = 0
        self.velocity = VELOCITIES[0]
        self.kits: list[str] = []
        self.starters: list[tuple[str, Words]] = []
        self.unsaved = False
        self.changes = 0  # counts edits, so a save that finishes late keeps newer ones unsaved
        self.saving = False
        # pads and recording
        self.output: ConsolePads | None = None
        self.pads: pads.PadSession | None = None
        self.recorder = pads.PadRecorder()
        self.recording = False
        self.quantise = Quantise()
        self.learning: str | None = None
        self.engine = "starting"  # "starting", "ready", "off"
        self.last_frame: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Said(id="song-line", classes="heading")
        yield Said(id="pattern-line", classes="plain")
        yield Transport(id="transport", details=False)
        yield StepGrid(id="grid")
        yield PadRow(id="pads")
        yield Said(id="pads-help", classes="hint")
        yield Said(id="midi", classes="hint")
        yield Said(id="velocity", classes="hint")
        yield Said(id="quantise", classes="hint")
        yield Said(id="arrangement", classes="hint")
        yield LevelMeter(OUTPUT_METER, big=False, id="out-meter")
        yield OptionList(id="starters")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.song = self.studio_app().session.song
        if self.song is None:
            self.tell(NO_SONG, "warning")
            return
        self.output = ConsolePads(self.studio_app().sound, self.song.name)
        self.query_one("#starters", OptionList).display = False
        self.load()
        self.set_interval(1 / 30, self.tick)

    def on_unmount(self) -> None:
        session, self.pads = self.pads, None
        if session is not None:
            session.close()
        app = self.studio_app()
        if not app.sound.busy_recording:
            app.close_sound()

    def load(self) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            return

        def job() -> tuple[Track | None, Beat | None, list[str], list[tuple[str, Words]]]:
            kits = [k.name for k in list_kits(app.studio.paths.home)]
            try:
                track, beat = beats.song_beat(app.studio, song)
            except StudioError:
                return None, None, kits, [(b.name, b.description) for b, _ in beats.list_beats()]
            return track, beat, kits, []

        def got(result: tuple[Track | None, Beat | None, list[str],
                              list[tuple[str, Words]]]) -> None:
            self.track, self.beat, self.kits, self.starters = result
            self.unsaved = False
            self.show()
            if self.beat is not None:
                self.open_engine()
                if self.pads is None:
                    self.open_midi()

        self.background(job, got, group="beat", exclusive=True)

    # sound and MIDI ---------------------------------------------------------------------------
    def open_engine(self) -> None:
        """Start the console (a worker: it takes a moment) and put the kit in its pads."""
        app = self.studio_app()
        song, beat, actor, choice = self.song, self.beat, app.session.actor, app.engine_choice()
        if song is None or beat is None:
            return
        kit, home = beat.kit, app.studio.paths.home
        self.engine = "starting"

        def start(console: Console) -> bool:
            console.load_kit(str(kit_path(kit, home)))
            return console.practice

        def opened(practice: bool) -> None:
            self.engine = "ready"
            if practice:
                app.show_device(None)
            self.show_pads()

        def failed(error: BaseException) -> None:
            self.engine = "off"
            self.show_pads()
            if not isinstance(error, SoundOff):
                self.fail(error)

        self.show_pads()
        self.background(lambda: app.sound.run(song.name, actor, choice, start), opened,
                        failed=failed, group="console", exclusive=True)

    def open_midi(self, device: str | None = None) -> None:
        """Open a MIDI input (the first one, or ``device``) for the pads; a machine without one
        keeps the keyboard pads and says so."""
        app, output = self.studio_app(), self.output
        if output is None:
            return
        old, self.pads = self.pads, None
        if old is not None:
            old.close()
        self.learning = None
        home = app.studio.paths.home
        recorder = self.recorder if self.recording else None

        def job() -> pads.PadSession:
            return pads.open_pad_session(home, output, device, recorder, callback=True)

        def got(session: pads.PadSession) -> None:
            self.pads = session
            self.show_midi()

        def failed(error: BaseException) -> None:
            self.show_midi()
            if device is not None:
                self.fail(error)

        self.background(job, got, failed=failed, group="midi", exclusive=True)

    # drawing ----------------------------------------------------------------------------------
    def pattern(self) -> Pattern | None:
        if self.beat is None or not self.beat.patterns:
            return None
        return self.beat.patterns[self.pattern_index % len(self.beat.patterns)]

    def show(self) -> None:
        starters = self.query_one("#starters", OptionList)
        grid = self.query_one(StepGrid)
        beat, song = self.beat, self.song
        pad_parts = ("#transport", "#pads", "#pads-help", "#midi", "#quantise", "#out-meter")
        for part in pad_parts:
            self.query_one(part).display = beat is not None
        if beat is None or song is None:
            grid.show(None, [])
            grid.display = False
            self.query_one("#song-line", Said).say(NO_BEAT)
            starters.display = True
            starters.clear_options()
            for name, about in self.starters:
                starters.add_option(Option(f"{name:<11} {about.say()}", id=name))
            if self.starters:
                starters.highlighted = 0
            starters.focus()
            return
        starters.display = False
        grid.display = True
        self.query_one("#song-line", Said).say(SONG_LINE, song=song.name, beat=beat.name,
                                               tempo=beat.tempo, kit=beat.kit)
        pattern = self.pattern()
        if pattern is not None:
            voices = [v for v in VOICES if v in pattern.voices] or list(VOICES[:4])
            grid.show(pattern, voices)
        self.show_state()
        sections = " → ".join(f"{s.name} ({s.bars})" for s in beat.arrangement)
        self.query_one("#arrangement", Said).say(ARRANGEMENT, sections=sections)
        self.query_one("#velocity", Said).say(VELOCITY, velocity=self.velocity)
        self.show_pads()
        self.show_midi()
        self.show_quantise()
        grid.focus()

    def show_state(self) -> None:
        pattern, beat = self.pattern(), self.beat
        if pattern is None or beat is None:
            return
        self.query_one("#pattern-line", Said).say(
            PATTERN_LINE, name=pattern.name, index=self.pattern_index + 1,
            count=len(beat.patterns), swing=pattern.swing,
            state=UNSAVED if self.unsaved else SAVED)

    def pad_voices(self) -> list[str]:
        return self.query_one(StepGrid).voices[:len(PAD_KEYS)]

    def show_pads(self) -> None:
        voices = self.pad_voices()
        self.query_one(PadRow).show(list(zip(PAD_KEYS, voices, strict=False)))
        help_line = self.query_one("#pads-help", Said)
        if self.engine == "off":
            help_line.say(PADS_SILENT)
        elif self.engine == "starting":
            help_line.say(PADS_STARTING)
        elif voices:
            help_line.say(PADS_HELP, first=PAD_KEYS[0], last=PAD_KEYS[len(voices) - 1])

    def show_midi(self) -> None:
        line = self.query_one("#midi", Said)
        if self.pads is None:
            line.say(NO_MIDI)
        elif self.learning is not None:
            line.say(MIDI_LEARNING, voice=self.learning)
        else:
            line.say(MIDI_READY, device=self.pads.port.name)

    def show_quantise(self) -> None:
        self.query_one("#quantise", Said).say(
            QUANTISE_LINE, state=QUANTISE_ON if self.quantise.on else QUANTISE_OFF,
            grid=self.quantise.grid)

    def on_language(self) -> None:
        self.show()

    # the 30-per-second look at the console and the pads -------------------------------------
    def tick(self) -> None:
        app, song = self.studio_app(), self.song
        if song is None or self.beat is None:
            return
        self.take_midi()
        sound = app.sound
        head = sound.playhead(song.name)
        rolling = head is not None and head.rolling
        transport = self.query_one(Transport)
        if head is None:
            transport.update(recording="on" if self.recording else "off", rolling=False)
        else:
            transport.update(recording="on" if self.recording else "off", rolling=rolling,
                             bar=head.bar, beat=head.beat, seconds=head.seconds)
            if rolling and self.last_frame is not None and head.song_frame < self.last_frame:
                self.loop_passed()
        self.last_frame = head.song_frame if head is not None and rolling else None
        if sound.device_lost():
            name = song.name
            self.background(lambda: sound.with_open(name, lambda c: c.check_device()),
                            self.device_back, group="device", exclusive=True)
            return
        out = sound.output_meters()
        self.query_one("#out-meter", LevelMeter).show_row(
            max(out, key=lambda r: r[0]) if out else None)

    def device_back(self, said: str | None) -> None:
        if said:
            self.studio_app().notify(said, severity="warning", timeout=10)

    def take_midi(self) -> None:
        """What the pads did since the last look: light them, say what was learned, write
        recorded hits into the pattern."""
        session, output = self.pads, self.output
        if session is not None:
            for event in session.poll():  # ports without a callback (and tests' ports)
                if event.learned and event.voice is not None:
                    self.learning = event.voice
            if self.learning is not None and session.learning is None:
                voice, self.learning = self.learning, None
                notes = session.mapping.notes_for(voice)
                if notes:
                    self.tell(LEARNED, note=notes[0], voice=VOICE_WORDS[voice].say())
                self.show_midi()
        if output is not None:
            row = self.query_one(PadRow)
            while output.struck:
                row.strike(output.struck.popleft())
            if output.problem is not None:
                problem, output.problem = output.problem, None
                self.tell(PAD_PROBLEM, "warning", detail=str(problem))
        self.write_recorded()

    def loop_passed(self) -> None:
        """The loop started again: what changed during the pass is saved and heard."""
        if self.unsaved and not self.saving:
            self.save(quiet=True)

    # recording --------------------------------------------------------------------------------
    def loop_range(self) -> tuple[int, int, bool]:
        """(first bar, bars, found): where the current pattern plays in the song, one pass."""
        beat, pattern, song = self.beat, self.pattern(), self.song
        if beat is None or pattern is None or song is None:
            return 1, 1, False
        bars = max(1, math.ceil(pattern.beats / song.beats_per_bar))
        first = 1
        for section in beat.arrangement:
            if section.pattern == pattern.name:
                return first, bars, True
            first += section.bars
        return 1, bars, False

    def loop_clock(self) -> LoopClock | None:
        song = self.song
        if song is None:
            return None
        first, _, _ = self.loop_range()
        return LoopClock(song.timebase.bar_to_frame(first), song.tempo_bpm, song.samplerate,
                         song.beat_unit)

    def write_recorded(self) -> None:
        hits = self.recorder.hits
        count = len(hits)  # MIDI may add more meanwhile (another thread): those wait
        if not count:
            return
        batch: list[PadHit] = hits[:count]
        del hits[:count]
        pattern, clock = self.pattern(), self.loop_clock()
        if pattern is None or clock is None or not self.recording:
            return
        new, _ = record_hits(pattern, clock, batch, self.quantise)
        self._replace_pattern(new)

    def action_pad(self, index: int) -> None:
        voices, output, song = self.pad_voices(), self.output, self.song
        if index >= len(voices) or output is None or song is None:
            return
        voice, velocity = voices[index], self.velocity
        self.background(lambda: output.play(voice, velocity), group="pads")
        self.query_one(PadRow).strike(voice)
        if self.recording:
            head = self.studio_app().sound.playhead(song.name)
            if head is None or not head.rolling:
                self.tell(PLAY_FIRST, "warning")
                return
            self.recorder.add(head.song_frame, voice, velocity)
            self.write_recorded()

    def action_record(self) -> None:
        app, song = self.studio_app(), self.song
        if song is None or self.beat is None:
            return
        if not app.sound.enabled:
            self.fail(SoundOff())
            return
        self.recording = not self.recording
        self.recorder.clear()
        if self.pads is not None:
            self.pads.recorder = self.recorder if self.recording else None
        head = app.sound.playhead(song.name)
        if self.recording and (head is None or not head.rolling):
            self.transport(start=True)
        elif not self.recording and self.unsaved:
            self.save(quiet=True)
        self.query_one(Transport).update(recording="on" if self.recording else "off")

    def action_quantise(self) -> None:
        self.quantise = replace(self.quantise, on=not self.quantise.on)
        self.show_quantise()

    def action_grid(self) -> None:
        grids = QUANTISE_GRIDS
        index = grids.index(self.quantise.grid) if self.quantise.grid in grids else -1
        self.quantise = Quantise(self.quantise.on, grids[(index + 1) % len(grids)])
        self.show_quantise()

    # the loop ---------------------------------------------------------------------------------
    def action_play_stop(self) -> None:
        song = self.song
        if song is None or self.beat is None:
            return
        head = self.studio_app().sound.playhead(song.name)
        self.transport(start=head is None or not head.rolling)

    def transport(self, start: bool) -> None:
        """Loop the current pattern's bars (saving unsaved changes first, so what plays is
        what is seen), or stop."""
        app = self.studio_app()
        song, actor, choice = self.song, app.session.actor, app.engine_choice()
        beat, track = self.beat, self.track
        if song is None or beat is None:
            return
        first, bars, found = self.loop_range()
        pattern = self.pattern()
        if start and not found and pattern is not None:
            self.tell(NOT_ARRANGED, "warning", name=pattern.name, first=first,
                      last=first + bars - 1)
        to_store = beat if start and self.unsaved else None
        name = track.name if track is not None else beats.DEFAULT_TRACK
        generation = self.changes

        def job(console: Console) -> beats.StoredBeat | None:
            if not start:
                if console.rolling():
                    console.stop()
                return None
            stored = None
            if to_store is not None:
                stored = beats.store_beat(app.studio, actor, song, to_store, track=name,
                                          kit=to_store.kit, source="ui")
            console.set_loop(first, bars)
            console.locate_bar(first)
            console.play()
            return stored

        def done(stored: beats.StoredBeat | None) -> None:
            if stored is not None:
                self.saved(stored, generation)
            if not start and self.recording:
                self.recording = False
                if self.pads is not None:
                    self.pads.recorder = None
                if self.unsaved:
                    self.save(quiet=True)

        def failed(error: BaseException) -> None:
            self.recording = False
            self.fail(error)

        self.background(lambda: app.sound.run(song.name, actor, choice, job), done,
                        failed=failed, group="transport")

    # MIDI -------------------------------------------------------------------------------------
    def action_learn(self) -> None:
        session, grid = self.pads, self.query_one(StepGrid)
        voices = self.pad_voices()
        if session is None:
            if voices:
                self.tell(NEEDS_MIDI, "warning", first=PAD_KEYS[0],
                          last=PAD_KEYS[len(voices) - 1])
            return
        if self.learning is not None:
            session.cancel_learn()
            self.learning = None
        elif grid.voices:
            self.learning = grid.voices[grid.row]
            session.learn(self.learning)
        self.show_midi()

    def action_midi_device(self) -> None:
        from studio.tui.screens.dialogs import Ask

        current = self.pads.port.name if self.pads is not None else ""

        def answered(name: str | None) -> None:
            if name is not None:
                self.open_midi(name.strip() or None)

        self.app.push_screen(Ask(DEVICE_Q, DEVICE_P, current), answered)

    # editing ----------------------------------------------------------------------------------
    def _replace_pattern(self, new: Pattern) -> None:
        beat = self.beat
        if beat is None:
            return
        patterns = list(beat.patterns)
        patterns[self.pattern_index % len(patterns)] = new
        self.beat = replace(beat, patterns=tuple(patterns))
        self.unsaved = True
        self.changes += 1
        self.show()

    def set_step(self, row: int, step: int) -> None:
        pattern = self.pattern()
        grid = self.query_one(StepGrid)
        if pattern is None or not grid.voices:
            return
        voice = grid.voices[row]
        lane = pattern.voices.get(voice) or VoiceLane(tuple([0] * pattern.steps))
        velocities = list(lane.velocities) + [0] * (pattern.steps - len(lane.velocities))
        velocities[step] = 0 if velocities[step] else self.velocity
        voices = dict(pattern.voices)
        voices[voice] = replace(lane, velocities=tuple(velocities))
        self._replace_pattern(replace(pattern, voices=voices))

    def action_hit(self) -> None:
        grid = self.query_one(StepGrid)
        self.set_step(grid.row, grid.step)

    def on_step_grid_toggled(self, message: StepGrid.Toggled) -> None:
        self.set_step(message.voice, message.step)

    def action_move(self, rows: int, steps: int) -> None:
        self.query_one(StepGrid).move(rows, steps)

    def action_velocity(self) -> None:
        self.velocity = VELOCITIES[(VELOCITIES.index(self.velocity) + 1) % len(VELOCITIES)]
        self.query_one("#velocity", Said).say(VELOCITY, velocity=self.velocity)

    def action_swing(self) -> None:
        pattern = self.pattern()
        if pattern is not None:
            bigger = [s for s in SWINGS if s > pattern.swing + 1e-9]
            self._replace_pattern(replace(pattern, swing=bigger[0] if bigger else 0.0))

    def action_next_pattern(self) -> None:
        if self.beat is not None and self.beat.patterns:
            self.pattern_index = (self.pattern_index + 1) % len(self.beat.patterns)
            self.show()
            song = self.song
            head = self.studio_app().sound.playhead(song.name) if song is not None else None
            if head is not None and head.rolling:
                self.transport(start=True)  # the loop follows the pattern shown

    def action_kit(self) -> None:
        beat = self.beat
        if beat is None or not self.kits:
            return
        index = self.kits.index(beat.kit) if beat.kit in self.kits else -1
        self.beat = replace(beat, kit=self.kits[(index + 1) % len(self.kits)])
        self.unsaved = True
        self.changes += 1
        self.show()
        if self.engine != "off":
            self.open_engine()  # the pads play the new kit

    def save(self, *, quiet: bool) -> None:
        """Store the beat (a worker) and let a playing loop hear it."""
        app = self.studio_app()
        song, beat, track, actor = self.song, self.beat, self.track, app.session.actor
        if song is None or beat is None:
            return
        name = track.name if track is not None else beats.DEFAULT_TRACK
        generation = self.changes
        self.saving = True

        def job() -> beats.StoredBeat:
            stored = beats.store_beat(app.studio, actor, song, beat, track=name, kit=beat.kit,
                                      source="ui")
            app.sound.with_open(song.name, lambda console: console.refresh())
            return stored

        def done(stored: beats.StoredBeat) -> None:
            self.saving = False
            self.saved(stored, generation)
            if not quiet:
                self.tell(STORED)

        def failed(error: BaseException) -> None:
            self.saving = False
            self.fail(error)

        self.background(job, done, failed=failed, group="save")

    def saved(self, stored: beats.StoredBeat, generation: int) -> None:
        self.track = stored.track
        if self.changes == generation:  # nothing changed while it was being saved
            self.unsaved = False
        self.show_state()

    def action_save(self) -> None:
        self.save(quiet=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        app = self.studio_app()
        song, actor, preset = self.song, app.session.actor, event.option.id
        if song is None or preset is None:
            return
        self.background(lambda: beats.new_song_beat(app.studio, actor, song, preset),
                        lambda _: self.load())

    def action_back(self) -> None:
        from studio.tui.screens.dialogs import Confirm

        if not self.unsaved:
            super().action_back()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.unsaved = False
                super(BeatScreen, self).action_back()

        self.app.push_screen(Confirm(LEAVE_Q), answered)
