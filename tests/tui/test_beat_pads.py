"""Pads on the beat screen: keys and MIDI play the kit through the console, record mode writes
quantised hits into the pattern at the playhead and saves them. A fake console stands in for
the engine (its playhead is set by the test); one slow test uses the real practice device."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import mido
import pytest
from textual.pilot import Pilot

from studio.audio import midi_ports
from studio.core.beat import Pattern
from studio.core.people import Actor
from studio.core.song import Song
from studio.services import beats
from studio.services import pads as pad_service
from studio.services.console import Playhead
from studio.tui.app import StudioApp
from studio.tui.screens.beat import BeatScreen
from studio.tui.sound import EngineChoice, Sound
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.pads import PadRow
from studio.tui.widgets.step_grid import StepGrid
from studio.tui.widgets.transport import Transport

from .world import World, drive, make_world, screen_text, settle, sign_in_as


class FakeSupervisor:
    def __init__(self) -> None:
        self.device_lost = threading.Event()


class FakeConsole:
    """What the beat screen asks of a console; the test moves its playhead."""

    practice = True

    def __init__(self, song: Song) -> None:
        self.song = song
        self.supervisor: FakeSupervisor | None = FakeSupervisor()
        self.pads: list[tuple[str, int]] = []
        self.kits: list[str] = []
        self.frame = 0
        self.playing = False
        self.loop: tuple[int | None, int] | None = None
        self.located: list[int] = []
        self.refreshes = 0

    def load_kit(self, kit: str = "synth") -> list[str]:
        self.kits.append(kit)
        return ["kick", "snare"]

    def trigger_pad(self, voice: str, velocity: int) -> None:
        self.pads.append((voice, velocity))

    def playhead(self) -> Playhead:
        bar, beat, _ = self.song.timebase.frame_to_bar_beat(self.frame)
        return Playhead(self.frame, self.playing, self.frame / self.song.samplerate, bar, beat)

    def rolling(self) -> bool:
        return self.playing

    def set_loop(self, first_bar: int | None, bars: int = 0) -> None:
        self.loop = (first_bar, bars)

    def locate_bar(self, bar: int) -> None:
        self.located.append(bar)
        self.frame = self.song.timebase.bar_to_frame(bar)

    def play(self) -> None:
        self.playing = True

    def stop(self) -> None:
        self.playing = False

    def refresh(self) -> None:
        self.refreshes += 1

    def check_device(self) -> str | None:
        return None

    def output_meters(self) -> list[list[float]]:
        return []

    def close(self) -> None:
        self.supervisor = None


class FakeSound(Sound):
    """The app's Sound with a fake console in place of an engine."""

    def __init__(self, world: World) -> None:
        super().__init__(world.studio, enabled=True)
        self.fake: FakeConsole | None = None

    def open(self, song_name: str, actor: Actor | None,  # type: ignore[override]
             choice: EngineChoice) -> FakeConsole:
        if self.fake is None or self.fake.song.name != song_name:
            self.fake = FakeConsole(self.studio.song(song_name))
        self.console = self.fake  # type: ignore[assignment]
        return self.fake


def beat_app(world: World) -> tuple[StudioApp, FakeSound]:
    beats.new_song_beat(world.studio, world.leader, world.practice_song, "boom-bap")
    app = world.app()
    sound = FakeSound(world)
    app.sound = sound
    return app, sound


async def open_beat(pilot: Pilot[int], world: World) -> BeatScreen:
    await sign_in_as(pilot, "Lea")
    app = pilot.app
    assert isinstance(app, StudioApp)
    app.session.song = world.practice_song
    screen = BeatScreen()
    app.push_screen(screen)
    await settle(pilot)
    return screen


async def until(pilot: Pilot[int], condition: Callable[[], bool], tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the screen never got there")


def transport_text(screen: BeatScreen) -> str:
    return str(screen.query_one(Transport).render())


def step_frame(world: World, screen: BeatScreen, pattern: Pattern, step: int) -> int:
    """Where ``step`` of the current pattern sounds in the song (swing included)."""
    song = world.practice_song
    first, _, _ = screen.loop_range()
    per_step = song.samplerate * 60.0 / song.tempo_bpm / pattern.steps_per_beat
    return song.timebase.bar_to_frame(first) + round(
        (step + pattern.swing_offset(step)) * per_step)


@pytest.fixture(autouse=True)
def _no_midi_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MIDI device, whatever the machine has (a test that wants one gives its own)."""
    monkeypatch.setattr(midi_ports, "list_inputs", lambda: midi_ports.PortListing(()))


def test_a_pad_key_plays_its_voice_through_the_console(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app, sound = beat_app(world)

    async def steps(pilot: Pilot[int]) -> None:
        screen = await open_beat(pilot, world)
        fake = sound.fake
        assert fake is not None and fake.kits == ["synth"]  # the kit went into the pads
        voices = screen.query_one(StepGrid).voices
        text = str(screen.query_one(PadRow).render())
        assert f"[1]{voices[0]}" in text and f"[2]{voices[1]}" in text
        await pilot.press("1")
        await settle(pilot)
        assert fake.pads == [(voices[0], 100)]
        await pilot.press("v", "2")  # stronger hits: 127
        await settle(pilot)
        assert fake.pads[-1] == (voices[1], 127)
        assert not screen.unsaved  # playing is not editing

    drive(app, steps)


def test_recording_writes_the_hit_into_the_nearest_step_and_saves(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app, sound = beat_app(world)

    async def steps(pilot: Pilot[int]) -> None:
        screen = await open_beat(pilot, world)
        fake = sound.fake
        assert fake is not None
        await pilot.press("p")  # the loop plays the pattern's bars
        await settle(pilot)
        first, bars, found = screen.loop_range()
        assert found and fake.playing and fake.loop == (first, bars) and fake.located == [first]
        await pilot.press("r")
        await settle(pilot)
        assert "● RECORDING" in transport_text(screen)
        assert "quantise on, grid 1/16" in screen_text(app)
        grid = screen.query_one(StepGrid)
        pattern = screen.pattern()
        assert pattern is not None
        voice = grid.voices[0]
        lane = pattern.voices[voice].velocities
        empty = next(s for s in range(pattern.steps) if s % 2 == 1 and lane[s] == 0)
        # a little late for an odd (swung) step: it lands on that step
        fake.frame = step_frame(world, screen, pattern, empty) + 900
        await pilot.press("1")
        await settle(pilot)
        assert grid.velocity(voice, empty) == 100  # the grid shows it at once
        assert "NOT SAVED" in screen_text(app)
        # with a quarter-note grid, a hit just after beat 2 goes to the beat (step 4)
        for _ in range(4):
            await pilot.press("g")
        assert "grid 1/4" in screen_text(app)
        fake.frame = step_frame(world, screen, pattern, 5) + 100
        assert lane[4] == 0 and lane[5] == 0  # the starter's intro: the kick only on the one
        await pilot.press("1")
        await settle(pilot)
        assert grid.velocity(voice, 4) == 100 and grid.velocity(voice, 5) == lane[5]
        await pilot.press("r")  # recording ends: the pattern is saved, the loop hears it
        await settle(pilot)
        assert "Not recording" in transport_text(screen)
        _, stored = beats.song_beat(world.studio, world.practice_song)
        saved = stored.pattern(pattern.name).voices[voice].velocities
        assert saved[empty] == 100 and saved[4] == 100
        assert fake.refreshes >= 1
        assert not screen.unsaved and fake.pads[-1] == (voice, 100)

    drive(app, steps)


def test_a_pass_of_the_loop_saves_what_was_recorded(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app, sound = beat_app(world)

    async def steps(pilot: Pilot[int]) -> None:
        screen = await open_beat(pilot, world)
        fake = sound.fake
        assert fake is not None
        await pilot.press("q")  # quantise off: the nearest step of the pattern's own grid
        await pilot.press("r")  # record mode starts the loop too
        await settle(pilot)
        assert fake.playing and screen.recording
        assert "quantise off" in screen_text(app)
        pattern = screen.pattern()
        assert pattern is not None
        voice = screen.query_one(StepGrid).voices[1]
        lane = pattern.voices[voice].velocities
        step = next(s for s in range(2, pattern.steps) if lane[s] == 0)
        fake.frame = step_frame(world, screen, pattern, step) - 300
        await pilot.press("2")
        await until(pilot, lambda: screen.unsaved)
        fake.frame = step_frame(world, screen, pattern, 0)  # the loop starts again
        await until(pilot, lambda: not screen.unsaved)
        _, stored = beats.song_beat(world.studio, world.practice_song)
        assert stored.pattern(pattern.name).voices[voice].velocities[step] == 100
        assert fake.refreshes >= 1

    drive(app, steps)


def test_a_hit_while_stopped_is_played_but_not_recorded(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app, sound = beat_app(world)

    async def steps(pilot: Pilot[int]) -> None:
        screen = await open_beat(pilot, world)
        fake = sound.fake
        assert fake is not None
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("p")  # stop the loop that R started: recording ends with it
        await settle(pilot)
        assert not fake.playing and not screen.recording
        before = screen.pattern()
        await pilot.press("1")
        await settle(pilot)
        assert screen.pattern() == before and fake.pads

    drive(app, steps)


def test_without_a_midi_device_the_keyboard_pads_are_offered(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app, _ = beat_app(world)

    async def steps(pilot: Pilot[int]) -> None:
        screen = await open_beat(pilot, world)
        assert "No MIDI device: use the keyboard pads" in screen_text(app)
        assert screen.pads is None
        await pilot.press("l")  # nothing to teach: said plainly
        await settle(pilot)
        assert any("No MIDI device is open" in n.message for n in app._notifications)

    drive(app, steps)


def test_midi_pads_play_and_learn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = midi_ports.VirtualInput("test pads")
    monkeypatch.setattr(pad_service, "open_input", lambda name=None, callback=None: port)
    world = make_world(tmp_path)
    app, sound = beat_app(world)

    async def steps(pilot: Pilot[int]) -> None:
        screen = await open_beat(pilot, world)
        fake = sound.fake
        assert fake is not None
        await until(pilot, lambda: "MIDI pads: test pads" in screen_text(app))
        port.push(mido.Message("note_on", note=38, velocity=90))  # GM snare
        await until(pilot, lambda: ("snare", 90) in fake.pads)
        voice = screen.query_one(StepGrid).voices[0]
        await pilot.press("l")
        assert f"Hit the pad that should play {voice}" in screen_text(app)
        port.push(mido.Message("note_on", note=60, velocity=70))
        await until(pilot, lambda: screen.learning is None and (voice, 70) in fake.pads)
        assert "MIDI pads: test pads" in screen_text(app)
        saved = pad_service.PadMappings(pad_service.midi_folder(world.studio.paths.home))
        assert saved.load("test pads").voice_for(60) == voice
        port.push(mido.Message("note_on", note=60, velocity=80))
        await until(pilot, lambda: fake.pads[-1] == (voice, 80))

    drive(app, steps)


@pytest.mark.slow
def test_a_pad_sounds_on_the_practice_device(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JACK_DEFAULT_SERVER", raising=False)
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    world = make_world(tmp_path)
    beats.new_song_beat(world.studio, world.leader, world.practice_song, "boom-bap")
    app = world.app(sound=True)

    async def steps(pilot: Pilot[int]) -> None:
        screen = await open_beat(pilot, world)
        await until(pilot, lambda: screen.engine == "ready", tries=1500)
        meter = screen.query_one("#out-meter", LevelMeter)
        await pilot.pause(0.3)
        quiet = meter.peak_db
        assert quiet < -60  # stopped, nothing plays
        await pilot.press("1")
        await until(pilot, lambda: meter.peak_db > -30, tries=500)

    drive(app, steps)
