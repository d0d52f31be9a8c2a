"""The whole first-song flow in the terminal UI (Pilot) on JACK: a private JACK server (dummy
driver) started by the test, chosen by the leader on the settings screen like any sound card.

The dummy driver's capture ports are silent, so a "singer" stands in for the microphone:
``jack_simple_client`` (JACK's example client, a steady sine on ``output1``) is wired to input 1
of whatever engine the studio starts (the console for the level meter, the recording engine
for each take), the way a JACK patchbay would. The takes must then hold that sine, which only
the JACK input could have given them (the practice device's signal is another tone)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from studio.audio.jack_server import JackServer
from studio.core.consent import Purpose
from studio.core.gate import ExportPurpose
from studio.services import consent
from studio.services.release import ask_gate
from studio.tui.app import StudioApp
from studio.tui.prefs import Prefs
from studio.tui.screens.first_song import HOOK_BAR, FirstSongScreen
from studio.tui.screens.settings import SettingsScreen
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport

from .world import SIZE, IdleTime, make_world, screen_text, settle, sign_in_as

pytestmark = [pytest.mark.jack, pytest.mark.slow]

SINGER = "jack_simple_client"  # its client name is its program name
SINGER_PORT = f"{SINGER}:output1"
SINE_PERIOD = 200  # frames: the length of the singer's wave table
SINE_PEAK = 0.2  # the singer's level (-14 dBFS)
RECORD_SECONDS = 2.0  # of engine time, per take


def jack_env(monkeypatch: pytest.MonkeyPatch, server: JackServer) -> None:
    """Point this process (the UI) at the server, as a leader's session would be: the device
    scans and the engines are child processes that inherit this environment."""
    for name, value in server.env().items():
        if name.startswith("JACK"):
            monkeypatch.setenv(name, value)


def engine_inputs(server: JackServer) -> list[str]:
    """Input 1 of every PortAudio client (an engine) on the server now."""
    return [p for p in server.ports() if p.startswith("PortAudio") and p.endswith(":in_0")]


def wire_singer(server: JackServer) -> list[str]:
    """Connect the singer to input 1 of every engine not yet hearing it; the inputs wired."""
    heard = {dst for src, dst in server.connections() if src == SINGER_PORT}
    wired = []
    for port in engine_inputs(server):
        if port not in heard:
            server.connect(SINGER_PORT, port)
            wired.append(port)
    return wired


async def until(pilot: Pilot[int], condition: Callable[[], bool], what: str,
                tries: int = 1200) -> None:
    """Let the app run (Pilot's pause) until ``condition`` holds; bounded, and over at once
    when the app reports an error."""
    for _ in range(tries):
        if condition():
            return
        errors = getattr(pilot.app, "errors", [])
        assert not errors, f"waiting for {what}, the app said: {errors}"
        await pilot.pause(0.05)
    raise AssertionError(f"the screen never got there: {what}\n{notes(pilot.app)}\n"
                         f"{screen_text(pilot.app)}")  # type: ignore[arg-type]


async def wire_singer_when_engine_runs(pilot: Pilot[int], server: JackServer,
                                       ready: Callable[[], bool]) -> list[str]:
    """Once ``ready`` says the engine wanted runs, wire the singer into it (the JACK calls run
    off the UI's loop so the screen keeps ticking)."""
    await until(pilot, ready, "the engine runs")
    for _ in range(200):
        wired = await asyncio.to_thread(wire_singer, server)
        if wired:
            return wired
        await pilot.pause(0.05)
    raise AssertionError(f"no engine input appeared on JACK: {server.ports()}")


class NotesKept(StudioApp):
    """The app, keeping every notification it showed: they vanish from the screen after a few
    seconds, and a worker's failure (the engine did not start…) is told there."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.said: list[str] = []
        self.errors: list[str] = []

    def notify(self, message: str, **kw: Any) -> None:
        self.said.append(message)
        if kw.get("severity") == "error":
            self.errors.append(message)
        super().notify(message, **kw)


def notes(app: Any) -> str:
    return "\n".join(getattr(app, "said", []))


def transport_text(screen: FirstSongScreen, step: str) -> str:
    return str(screen.query_one(f"#{step}-transport", Transport).render())


def outside_gaps(length: int, gaps: tuple[Any, ...], margin: int) -> np.ndarray:
    """Frames not near a gap (marked silence where the engine missed a cycle)."""
    valid = np.ones(length, dtype=bool)
    for gap in gaps:
        valid[max(gap.at_frame - margin, 0):gap.at_frame + gap.frames + margin] = False
    return valid


def singer_heard(audio: np.ndarray, gaps: tuple[Any, ...], block: int) -> tuple[float, float]:
    """How much of the take is the singer: (blocks that sound, frames that are the singer's
    sine sample for sample), each a fraction of what lies outside the gaps.

    ``jack_simple_client`` plays a 200-sample table at 0.2, so its sine repeats exactly every
    200 frames (240 Hz at 48 kHz). A cycle where the singer itself ran late (the server names
    it in its log) breaks that for a block or two, hence the two measures."""
    mono = audio if audio.ndim == 1 else audio[:, 0]
    valid = outside_gaps(len(mono), gaps, block + SINE_PERIOD)
    count = len(mono) // block
    rms = np.sqrt(np.mean(mono[: count * block].reshape(count, block) ** 2, axis=1))
    whole = valid[: count * block].reshape(count, block).all(axis=1)
    sounding = float(np.mean((rms > 0.05)[whole]))
    repeats = np.abs(mono[SINE_PERIOD:] - mono[:-SINE_PERIOD]) < 1e-6
    exact = float(np.mean((repeats & (np.abs(mono[:-SINE_PERIOD]) > 0))[valid[SINE_PERIOD:]]))
    return sounding, exact


async def record_a_take(pilot: Pilot[int], server: JackServer, screen: FirstSongScreen,
                        step: str, punch_in: int) -> dict[str, float]:
    """Press R, wire the singer in during the count-in, let the engine record
    ``RECORD_SECONDS`` of its own frames, press R again; the engine's last status."""
    app = screen.studio_app()
    transport = screen.query_one(f"#{step}-transport", Transport)
    await pilot.press("r")
    # the recording engine has replaced the console once its transport rolls (count-in)
    await wire_singer_when_engine_runs(
        pilot, server, lambda: app.sound.busy_recording and app.sound.progress.get("state") == 1)
    await until(pilot, lambda: transport.state.recording == "on", "RECORDING is shown")
    assert "● RECORDING" in transport_text(screen, step)
    assert app.sound.progress.get("recording") == 1
    await until(pilot, lambda: app.sound.progress.get("song_frame", 0)
                >= punch_in + RECORD_SECONDS * server.samplerate, "two seconds recorded")
    await pilot.press("r")
    await until(pilot, lambda: not app.sound.busy_recording, "the recording ended")
    await until(pilot, lambda: "Take saved" in screen_text(app), "Take saved")
    assert "○ Not recording" in transport_text(screen, step)
    assert app.sound.phase == "done"
    return dict(app.sound.progress)  # the engine's status after the transport stopped


def check_take(world: Any, song: Any, track: str, punch_in: int, final: dict[str, float],
               server: JackServer) -> None:
    """What the services received for one take: on the JACK device, as long as the engine
    recorded (by the engine's own frame count), placed at the punch-in, holding the singer."""
    studio = world.studio
    (track_id,) = [t.id for t in studio.tracks(song) if t.name == track]
    (take,) = [t for t in studio.takes(song) if t.track_id == track_id]
    assert take.state == "complete"
    assert take.device == "system"  # the JACK device, not "practice"
    assert take.member_id == world.member.id
    block = int(final["blocksize"])
    assert block == server.period  # the engine ran on the server's own period
    # the take ran from the punch-in to where the engine's transport stopped, give or take
    # the blocks between the stop being asked and the transport having stopped
    engine_frames = int(final["song_frame"]) - punch_in
    assert engine_frames >= RECORD_SECONDS * server.samplerate
    assert abs(take.frames - engine_frames) <= 2 * block, (take.frames, engine_frames, block)
    # no calibration: the driver's reported latency, one period on the dummy driver (what
    # jack_iodelay measures there), and the take is placed that much earlier
    assert take.latency_frames == server.period
    assert take.song_position_frames == punch_in - take.latency_frames
    audio, rate = sf.read(studio.take_path(take), dtype="float32")
    assert rate == server.samplerate and len(audio) == take.frames
    lost = sum(g.frames for g in take.gaps)  # xruns on a busy machine: marked silence
    assert lost < take.frames // 10, take.gaps
    # the singer, sample for sample, all through the take (it was wired during the count-in)
    mono = audio if audio.ndim == 1 else audio[:, 0]
    assert float(np.abs(mono).max()) == pytest.approx(SINE_PEAK, abs=1e-3)
    sounding, exact = singer_heard(audio, take.gaps, block)
    assert sounding > 0.98 and exact > 0.9, (sounding, exact, take.gaps)


def make_app(tmp_path: Path, world: Any) -> NotesKept:
    """The console as set up earlier on a machine without a sound card (the practice device),
    its settings kept in a file."""
    return NotesKept(world.studio, prefs=Prefs(language="en", device="practice"),
                     prefs_path=tmp_path / "tui-settings.json", sound=True, clock=IdleTime(),
                     scan_devices=True)


def start_jack(make_jack_server: Any, monkeypatch: pytest.MonkeyPatch,
               **kw: Any) -> JackServer:
    server: JackServer = make_jack_server(realtime=True, **kw)
    jack_env(monkeypatch, server)
    server.start_client([SINGER])
    server.wait_for_port(SINGER_PORT)
    return server


def drive(app: StudioApp, steps: Callable[[Pilot[int]], Any]) -> None:
    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await steps(pilot)

    asyncio.run(run())


async def choose_jack_in_settings(pilot: Pilot[int], app: StudioApp) -> None:
    """On the settings screen: wait for the scan, arrow down to the JACK device, Enter."""
    await pilot.press("s")
    await settle(pilot)
    settings = app.screen
    assert isinstance(settings, SettingsScreen)
    devices = settings.query_one("#devices", OptionList)
    await until(pilot, lambda: settings.scanned, "the device scan answered")
    lines = [str(devices.get_option_at_index(i).prompt) for i in range(devices.option_count)]
    jack = next(i for i, line in enumerate(lines)
                if line.strip().startswith("system") and "JACK Audio Connection Kit" in line)
    assert "in 2, out 2" in lines[jack]
    devices.focus()
    for _ in range(devices.option_count):  # the arrow keys, as a person would
        if devices.highlighted == jack:
            break
        await pilot.press("down")
    assert devices.highlighted == jack
    await pilot.press("enter")
    await settle(pilot)
    assert app.prefs.device == "system"
    assert json.loads(app.prefs_path.read_text())["device"] == "system"
    await until(pilot, lambda: app.practice is False, "the device banner")
    assert "Sound device: system" in screen_text(app)
    await pilot.press("escape")
    await settle(pilot)


async def first_song_up_to_the_level(pilot: Pilot[int], app: StudioApp, world: Any,
                                     server: JackServer) -> FirstSongScreen:
    """MC Nord is here and starts their first song: consent, beat, lyrics, voice; then the
    level step, with the singer wired into the console's input."""
    await pilot.click("#members")
    await pilot.press("enter")
    await settle(pilot)
    assert app.session.member is not None and app.session.member.id == world.member.id
    await pilot.press("f")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, FirstSongScreen)

    # 1. consent, read out, with a witness
    assert "Step 1 of 10" in screen_text(app)
    assert "Do you want the studio to keep your recordings until" in screen_text(app)
    await pilot.press("ctrl+n")
    assert screen.current == "consent"  # no going on without the yes
    await pilot.click("#witness")
    await pilot.press(*"Thea", "ctrl+y")
    await settle(pilot)
    keep = next(s for s in consent.state(world.studio, "MC Nord")
                if s.purpose is Purpose.KEEP)
    assert keep.granted and keep.record is not None
    assert keep.record.witness == "Thea" and keep.record.by == "Lea"
    assert "has agreed that the recordings are kept" in screen_text(app)
    await pilot.press("ctrl+n")
    await settle(pilot)

    # 2. beat: the song is made with the highlighted starter beat
    assert screen.current == "beat"
    await pilot.press("ctrl+n")
    await until(pilot, lambda: screen.current == "lyrics", "the song is made")
    song = screen.song
    assert song is not None and song.member_id == world.member.id

    # 3. lyrics, typed
    await pilot.press(*"Nordlys over JACK")
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert world.studio.song(song.name).lyrics == "Nordlys over JACK"

    # 4. voice
    assert screen.current == "voice"
    assert screen.preset == "vocal-clean"
    await pilot.press("ctrl+n")

    # 5. level: the console runs on JACK and its live meter hears the singer
    assert screen.current == "level"
    await wire_singer_when_engine_runs(
        pilot, server, lambda: app.sound.console is not None and
        app.sound.console.supervisor is not None)
    console = app.sound.console
    assert console is not None and console.device is not None
    assert console.device.name == "system" and app.sound.practice() is False
    meter = screen.query_one("#level-meter", LevelMeter)
    await until(pilot, lambda: meter.peak_db > -30, "the meter hears the singer")
    assert meter.peak_db == pytest.approx(20 * np.log10(SINE_PEAK), abs=0.5)
    assert not meter.clipped
    return screen


def test_first_song_end_to_end_on_jack(make_jack_server: Any, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    server = start_jack(make_jack_server, monkeypatch)
    world = make_world(tmp_path / "studio", keep_consent=False)
    app = make_app(tmp_path, world)

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        await choose_jack_in_settings(pilot, app)
        screen = await first_song_up_to_the_level(pilot, app, world, server)
        song = screen.song
        assert song is not None
        await pilot.press("ctrl+n")
        # 6. a verse, from bar 1 after one bar of count-in
        assert screen.current == "verse"
        verse = await record_a_take(pilot, server, screen, "verse", 0)

        # 7. a hook, from bar 9
        await pilot.press("ctrl+n")
        assert screen.current == "hook"
        hook_in = song.timebase.bar_to_frame(HOOK_BAR)
        hook = await record_a_take(pilot, server, screen, "hook", hook_in)

        check_take(world, song, "verse", 0, verse, server)
        check_take(world, song, "hook", hook_in, hook, server)

        # 8. both takes are listed, in use, with their waveforms
        await pilot.press("ctrl+n")
        assert screen.current == "choose"
        await until(pilot, lambda: "verse · take 1" in screen_text(app) and
                    "hook · take 1" in screen_text(app), "the takes list")
        takes = [line for line in screen_text(app).splitlines() if "· take" in line]
        assert all(line.startswith("✓") for line in takes), takes
        assert all(any(c in line for c in "▄▅▆▇█") for line in takes), takes  # the sine
        await pilot.press("enter")  # keep the verse take (it already is the one in use)
        await settle(pilot)

        # 9. listen: the console plays the song on JACK
        await pilot.press("ctrl+n")
        assert screen.current == "listen"
        await pilot.press("space")
        listen = screen.query_one("#listen-transport", Transport)
        await until(pilot, lambda: listen.state.rolling and listen.state.seconds > 0.5,
                    "the song plays")
        assert "▶ Playing" in str(listen.render())
        console = app.sound.console
        assert console is not None and console.device is not None
        assert console.device.name == "system"
        out = screen.query_one("#out-meter", LevelMeter)
        await until(pilot, lambda: out.peak_db > -40, "the output meter moves")
        await pilot.press("space")
        await until(pilot, lambda: not listen.state.rolling, "the song stops")
        assert "■ Stopped" in str(listen.render())

        # 10. the copy: not asked yet, so the gate says no, plainly …
        await pilot.press("ctrl+n")
        assert screen.current == "copy"
        refused = ask_gate(world.studio, world.leader, world.studio.song(song.name),
                           ExportPurpose.MEMBER_COPY)
        assert not refused.allowed
        await until(pilot, lambda: refused.say("en") in screen_text(app), "the gate's answer")
        assert "Step 10 of 10" in screen_text(app)
        assert not screen.check_action("copy", ())  # no copy before the yes
        # … the member is asked right here, says yes, and takes the copy home
        await until(pilot, lambda: "Do you want to take a copy of the song with you?"
                    in screen_text(app), "the copy question")
        assert screen.query_one("#copy-witness", Input).value == "Thea"
        await pilot.press("ctrl+y")
        await until(pilot, lambda: screen.copy_answer is not None and
                    screen.copy_answer.allowed, "the gate's yes")
        copy = next(s for s in consent.state(world.studio, "MC Nord")
                    if s.purpose is Purpose.MEMBER_COPY)
        assert copy.granted and copy.record is not None and copy.record.witness == "Thea"
        await pilot.press("e")
        await until(pilot, lambda: screen.copy_result is not None, "the copy", tries=2400)
        assert screen.copy_result is not None
        assert screen.copy_result.path.suffix == ".mp3" and screen.copy_result.path.exists()
        assert "The copy is ready" in screen_text(app)
        assert "Traceback" not in screen_text(app)

    drive(app, steps)
    assert app.errors == []


def test_first_song_on_a_jack_server_at_44100_hz(make_jack_server: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A JACK server runs at one rate for everybody; 44.1 kHz is common. Choosing the device
    makes new songs at its rate, and the first song runs on it."""
    server = start_jack(make_jack_server, monkeypatch, samplerate=44100)
    world = make_world(tmp_path / "studio", keep_consent=False)
    app = make_app(tmp_path, world)

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        assert app.prefs.samplerate == 48000
        await choose_jack_in_settings(pilot, app)
        assert app.prefs.samplerate == 44100  # the device's own rate, and it was said
        screen = await first_song_up_to_the_level(pilot, app, world, server)
        assert screen.song is not None and screen.song.samplerate == 44100

    drive(app, steps)
    assert app.errors == []


def test_a_song_at_another_rate_than_the_jack_server_is_said_plainly(
        make_jack_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 48 kHz song on a 44.1 kHz server cannot be opened: the level step says why and what
    to do, in plain words, where it said "Starting the sound …"."""
    start_jack(make_jack_server, monkeypatch, samplerate=44100)
    world = make_world(tmp_path / "studio", keep_consent=False)
    app = make_app(tmp_path, world)

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        await choose_jack_in_settings(pilot, app)
        app.prefs.samplerate = 48000  # the leader set new songs back to 48 kHz
        await pilot.click("#members")
        await pilot.press("enter", "f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FirstSongScreen)
        await pilot.click("#witness")
        await pilot.press(*"Thea", "ctrl+y")
        await until(pilot, lambda: screen.keep_ok, "the keep consent")
        await pilot.press("ctrl+n", "ctrl+n")
        await until(pilot, lambda: screen.current == "lyrics", "the song is made")
        await pilot.press("ctrl+n", "ctrl+n")
        assert screen.current == "level"
        said = "runs at 44100 Hz, but the song is at 48000 Hz"
        await until(pilot, lambda: said in screen_text(app), "the plain reason")
        assert "Starting the sound" not in screen_text(app)
        assert "PaErrorCode" not in screen_text(app)

    drive(app, steps)
