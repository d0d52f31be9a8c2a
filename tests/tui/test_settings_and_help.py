"""Settings (buffer size with its latency, device choice, language) and help (the words, and
the keys of the screen you came from)."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from studio.tui.screens.help import HelpScreen
from studio.tui.screens.settings import SettingsScreen

from .world import drive, make_world, screen_text, settle, sign_in_as


def test_buffer_size_shows_its_latency_and_choices_are_kept(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app(scan=False)

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "Buffer: the device's own" in screen_text(app)
        await pilot.press("b", "b", "b")  # 64, 128, 256
        assert "Buffer: 256 frames = 5.3 ms (about 10.7 ms there and back)" in screen_text(app)
        devices = app.screen.query_one("#devices", OptionList)
        devices.highlighted = 0  # automatic
        await pilot.press("enter")
        await settle(pilot)
        assert app.prefs.device is None
        await pilot.press("a")  # auto-lock: 5 min -> 10 min
        assert "after 10 min" in screen_text(app)
        saved = json.loads((tmp_path / "tui-settings.json").read_text())
        assert saved["blocksize"] == 256 and saved["device"] is None
        assert saved["lock_seconds"] == 600
        await pilot.press("l")
        await settle(pilot)
        assert "Buffer: 256 samplinger = 5.3 ms" in screen_text(app)
        assert json.loads((tmp_path / "tui-settings.json").read_text())["language"] == "nb"

    drive(app, steps)


def test_help_explains_the_words_and_lists_the_keys_of_the_screen(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app(scan=False)

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for word in ("Take:", "Clip:", "Preset:", "Master:"):
            assert word in text
        assert "Keys on the \"Library\" screen" in text
        assert "Submit for review" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)

    drive(app, steps)
