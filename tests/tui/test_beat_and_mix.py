"""The thin beat and mix screens: what a key does reaches the services."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from studio.services import beats
from studio.services.mixing import mixed_tracks
from studio.tui.screens.beat import BeatScreen
from studio.tui.screens.mix import MixScreen
from studio.tui.widgets.step_grid import StepGrid

from .world import add_take, drive, make_world, screen_text, settle, sign_in_as


def test_mix_keys_change_the_song_mix(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    add_take(world.studio, world.practice_song, "keys")
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.song = world.practice_song
        app.push_screen(MixScreen())
        await settle(pilot)
        assert "keys" in screen_text(app)
        await pilot.press("plus", "m", "right", "r")
        await settle(pilot)
        ((track,), _) = mixed_tracks(world.studio, world.practice_song)
        assert track.mix.mute and track.mix.send_reverb == 0.1
        assert track.mix.pan == 0.1
        assert track.mix.gain_db == 1.0
        await pilot.press("plus", "plus")
        await settle(pilot)
        ((track,), _) = mixed_tracks(world.studio, world.practice_song)
        assert track.mix.gain_db == 3.0
        assert "R 10%" in screen_text(app)

    drive(app, steps)


def test_beat_from_a_starter_edited_with_a_key_and_saved(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.song = world.practice_song
        app.push_screen(BeatScreen())
        await settle(pilot)
        assert "no beat yet" in screen_text(app)
        starters = app.screen.query_one("#starters", OptionList)
        names = [str(starters.get_option_at_index(i).id) for i in range(starters.option_count)]
        starters.highlighted = names.index("boom-bap")
        await pilot.press("enter")
        await settle(pilot)
        _, stored = beats.song_beat(world.studio, world.practice_song)
        assert stored.name == "boom-bap"
        grid = app.screen.query_one(StepGrid)
        voice, step = grid.voices[grid.row], grid.step
        before = grid.velocity(voice, step)
        await pilot.press("space")
        assert "NOT SAVED" in screen_text(app)
        await pilot.press("s")
        await settle(pilot)
        _, saved = beats.song_beat(world.studio, world.practice_song)
        lane = saved.patterns[0].voices.get(voice)
        after = lane.velocities[step] if lane else 0
        assert (before == 0) == (after > 0)
        assert "saved" in screen_text(app)

    drive(app, steps)
