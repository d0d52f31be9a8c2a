"""The first screen, driven with Textual's Pilot on the practice device."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import DataTable

from studio.services.studio import Studio
from studio.store.layout import StudioPaths
from studio.tui.app import StudioApp
from studio.tui.screens.library import LibraryScreen
from studio.tui.widgets.banner import PRACTICE_BANNER, DeviceBanner


def test_start_screen_says_it_uses_the_practice_device_and_practice_needs_no_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JACK_DEFAULT_SERVER", raising=False)
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    monkeypatch.setenv("STUDIO_LANG", "en")
    studio = Studio(StudioPaths(tmp_path))
    studio.new_song("Første sang", tempo_bpm=92)
    app = StudioApp(studio, sound=False)  # a real device scan: no sound card here

    async def drive() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            banner = app.screen.query_one(DeviceBanner)
            assert str(banner.render()) == PRACTICE_BANNER.say()
            assert banner.has_class("practice")
            await pilot.press("ctrl+p")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert isinstance(app.screen, LibraryScreen)
            table = app.screen.query_one("#songs", DataTable)
            assert "Første sang" in str(table.get_row_at(0)[0])
            await pilot.press("ctrl+q")

    asyncio.run(drive())
    assert app.return_code in (0, None)
    assert (tmp_path / "tui-settings.json").exists() is False  # nothing changed, nothing saved
