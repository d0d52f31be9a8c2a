"""The record screen and the whole first-song flow on the practice device: a real engine,
no audio hardware. Waits use Pilot's pause, never a wall-clock assertion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, TextArea

from studio.core.consent import Purpose
from studio.core.gate import ExportPurpose
from studio.services import consent
from studio.services.release import ask_gate
from studio.tui.app import StudioApp
from studio.tui.screens.first_song import FirstSongScreen
from studio.tui.screens.mix import MixScreen
from studio.tui.screens.record import RecordScreen
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport

from .world import add_take, drive, make_world, screen_text, settle, sign_in_as

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _no_jack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JACK_DEFAULT_SERVER", raising=False)
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")


async def until(pilot: Pilot[int], condition: Callable[[], bool], tries: int = 600) -> None:
    """Let the app run (Pilot's pause) until ``condition`` holds."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the screen never got there")


def recording_state(app: StudioApp) -> str:
    return app.screen.query_one(Transport).state.recording


def test_record_a_take_with_one_key_and_see_it_with_its_waveform(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app(sound=True)

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.song = world.practice_song
        app.push_screen(RecordScreen())
        await settle(pilot)
        await pilot.press("t", *"vokal", "enter")
        await until(pilot, lambda: "vokal" in screen_text(app))
        meter = app.screen.query_one("#in-meter", LevelMeter)
        await until(pilot, lambda: meter.peak_db > -40)  # the practice signal is heard
        assert "○ Not recording" in screen_text(app) or recording_state(app) == "off"
        await pilot.press("r")
        await until(pilot, lambda: recording_state(app) == "on")
        await pilot.press("r")
        await until(pilot, lambda: not app.sound.busy_recording)
        await settle(pilot)
        takes = world.studio.takes(world.practice_song)
        assert len(takes) == 1 and takes[0].state == "complete" and takes[0].frames > 0
        await until(pilot, lambda: "✓ Take 1" in screen_text(app))
        assert recording_state(app) == "off"

    drive(app, steps)


def test_first_song_flow_from_hello_to_hearing_the_verse(tmp_path: Path) -> None:
    world = make_world(tmp_path, keep_consent=False)
    app = world.app(sound=True)

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.member = world.member
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FirstSongScreen)
        # 1. consent: the exact question, a witness, and a yes
        assert "Do you want the studio to keep your recordings until" in screen_text(app)
        await pilot.press("ctrl+n")
        assert screen.current == "consent"  # no going on without the yes
        await pilot.click("#witness")
        await pilot.press(*"Thea", "ctrl+y")
        await settle(pilot)
        assert next(s for s in consent.state(world.studio, "MC Nord")
                    if s.purpose is Purpose.KEEP).granted
        await pilot.press("ctrl+n")
        await settle(pilot)
        # 2. beat: the song is made, with a starter beat when there are any
        assert screen.current == "beat"
        await pilot.press("ctrl+n")
        await until(pilot, lambda: screen.current == "lyrics")
        song = screen.song
        assert song is not None and song.member_id == world.member.id
        # 3. lyrics are saved when going on
        screen.query_one("#lyrics-text", TextArea).text = "Nordlyset danser"
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert world.studio.song(song.name).lyrics == "Nordlyset danser"
        # 4. voice
        assert screen.current == "voice"
        await pilot.press("ctrl+n")
        # 5. level: the live meter hears the practice signal and says something about it
        assert screen.current == "level"
        meter = screen.query_one("#level-meter", LevelMeter)
        await until(pilot, lambda: meter.peak_db > -40)
        assert "level" in screen_text(app).lower()
        await pilot.press("ctrl+n")
        # 6. count-in and record a verse
        assert screen.current == "verse"
        await pilot.press("r")
        await until(pilot, lambda: screen.query_one("#verse-transport",
                                                    Transport).state.recording == "on")
        await pilot.press("r")
        await until(pilot, lambda: not app.sound.busy_recording)
        await until(pilot, lambda: "Take saved" in screen_text(app))
        # 7. the hook may wait for another day
        await pilot.press("ctrl+n")
        assert screen.current == "hook"
        await pilot.press("ctrl+n")
        # 8. pick the take
        assert screen.current == "choose"
        await until(pilot, lambda: "verse · take 1" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot)
        # 9. hear it
        await pilot.press("ctrl+n")
        assert screen.current == "listen"
        await pilot.press("space")
        listen = screen.query_one("#listen-transport", Transport)
        await until(pilot, lambda: listen.state.rolling and listen.state.seconds > 0.2)
        await pilot.press("space")
        # 10. a copy only when consent allows: here it does not, and the gate says why
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert screen.current == "copy"
        refused = ask_gate(world.studio, world.leader, world.studio.song(song.name),
                           ExportPurpose.MEMBER_COPY)
        assert not refused.allowed
        assert refused.say("en") in screen_text(app)
        # … and the member is asked right here, with the witness from the first step
        await until(pilot, lambda: "Do you want to take a copy of the song with you?"
                    in screen_text(app))
        assert screen.query_one("#copy-witness", Input).value == "Thea"
        assert not screen.check_action("copy", ())  # no copy before the yes
        await pilot.press("ctrl+y")
        await until(pilot, lambda: screen.copy_answer is not None and screen.copy_answer.allowed)
        copy = next(s for s in consent.state(world.studio, "MC Nord")
                    if s.purpose is Purpose.MEMBER_COPY)
        assert copy.granted and copy.record is not None and copy.record.witness == "Thea"
        assert "Do you want to take a copy" not in screen_text(app)
        await pilot.press("e")
        await until(pilot, lambda: screen.copy_result is not None, tries=2400)
        assert screen.copy_result is not None and screen.copy_result.path.exists()
        assert "The copy is ready" in screen_text(app)

    drive(app, steps)


def test_mix_strips_show_each_track_level_while_playing(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    add_take(world.studio, world.practice_song, "keys", seconds=60.0)
    add_take(world.studio, world.practice_song, "bass", seconds=60.0, freq=110.0)
    app = world.app(sound=True)

    def strip_meter(name: str) -> str:
        table = app.screen.query_one("#strips", DataTable)
        for row in range(table.row_count):
            if str(table.get_cell_at(Coordinate(row, 0))) == name:
                return str(table.get_cell_at(Coordinate(row, 1)))
        raise AssertionError(f"no strip for {name}")

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.song = world.practice_song
        app.push_screen(MixScreen())
        await until(pilot, lambda: "bass" in screen_text(app))
        assert strip_meter("keys").strip("·") == ""  # stopped: no level
        await pilot.press("space")
        # a 0.25 sine, centre-panned: -15 dBFS, about three quarters of the way up
        await until(pilot, lambda: strip_meter("keys").count("█") >= 4)
        await until(pilot, lambda: strip_meter("bass").count("█") >= 4)
        # muting a strip empties its meter while the other plays on
        table = app.screen.query_one("#strips", DataTable)
        table.move_cursor(row=next(r for r in range(table.row_count)
                                   if str(table.get_cell_at(Coordinate(r, 0))) == "bass"))
        await pilot.press("m")
        await until(pilot, lambda: strip_meter("bass").strip("·") == ""
                    and strip_meter("keys").count("█") >= 4, tries=1200)
        await pilot.press("space")

    drive(app, steps)
