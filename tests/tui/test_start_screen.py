"""The first screen, driven with Textual's Pilot on the practice device."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import ListView, Static

from studio.services.studio import Studio
from studio.store.layout import StudioPaths
from studio.tui.app import PRACTICE_BANNER, StudioApp


def test_start_screen_lists_songs_and_says_it_uses_the_practice_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JACK_DEFAULT_SERVER", raising=False)
    monkeypatch.setenv("JACK_NO_START_SERVER", "1")
    studio = Studio(StudioPaths(tmp_path))
    studio.new_song("Første sang", tempo_bpm=92)
    app = StudioApp(studio)

    async def drive() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            banner = app.query_one("#device", Static)
            assert str(banner.render()) == PRACTICE_BANNER.say()
            songs = app.query_one("#songs", ListView)
            assert "Første sang" in str(songs.children[0].query_one(Static).render())
            await pilot.press("ctrl+q")

    asyncio.run(drive())
    assert app.return_code in (0, None)
