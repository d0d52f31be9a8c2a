"""Snapshots of the main screens at 80×24 (and a few at 120×40), sound switched off and no
device scan, so the pictures do not depend on the machine. Update them on purpose with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the SVGs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from studio.services import people, review
from studio.tui.screens.export import ExportScreen
from studio.tui.screens.first_song import FirstSongScreen
from studio.tui.screens.record import RecordScreen

from .world import World, add_take, make_world, settle, sign_in_as

Steps = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = make_world(tmp_path)
    add_take(world.studio, world.song, "vokal", freq=330.0, use=False)
    people.set_lyrics(world.studio, world.leader, world.song,
                      "Nordlyset danser over byen\nog jeg er her")
    return world


async def as_leader(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await sign_in_as(pilot, "Lea")


async def member_here(pilot: Pilot[Any]) -> None:
    await as_leader(pilot)
    await pilot.press("enter")  # MC Nord is here
    await settle(pilot)


SIZES = [(80, 24), (120, 40)]  # the smallest terminal we promise, and a roomy one


def test_start_signed_out(world: World, snap_compare: SnapCompare) -> None:
    assert snap_compare(world.app(scan=False), terminal_size=(80, 24), run_before=settle)


def test_start_signed_out_light(world: World, snap_compare: SnapCompare) -> None:
    assert snap_compare(world.app(scan=False, dark=False), terminal_size=(80, 24),
                        run_before=settle)


def test_start_member_chosen(world: World, snap_compare: SnapCompare) -> None:
    assert snap_compare(world.app(scan=False), terminal_size=(80, 24), run_before=member_here)


def test_start_member_chosen_120x40(world: World, snap_compare: SnapCompare) -> None:
    assert snap_compare(world.app(scan=False), terminal_size=(120, 40), run_before=member_here)


def test_lock(world: World, snap_compare: SnapCompare) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await member_here(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)

    assert snap_compare(world.app(scan=False), terminal_size=(80, 24), run_before=steps)


def record_screen(world: World) -> Steps:
    async def steps(pilot: Pilot[Any]) -> None:
        await member_here(pilot)
        pilot.app.session.song = world.song  # type: ignore[attr-defined]
        pilot.app.push_screen(RecordScreen())
        await settle(pilot)

    return steps


def test_record(world: World, snap_compare: SnapCompare) -> None:
    assert snap_compare(world.app(scan=False), terminal_size=(80, 24),
                        run_before=record_screen(world))


def test_record_120x40(world: World, snap_compare: SnapCompare) -> None:
    assert snap_compare(world.app(scan=False), terminal_size=(120, 40),
                        run_before=record_screen(world))


@pytest.mark.parametrize("size", SIZES)
def test_library(world: World, snap_compare: SnapCompare,
                 size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await as_leader(pilot)
        await pilot.press("b")
        await settle(pilot)

    review.submit(world.studio, world.leader, world.song)
    assert snap_compare(world.app(scan=False), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_review(world: World, snap_compare: SnapCompare,
                size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await sign_in_as(pilot, "Thea")
        await pilot.press("v")
        await settle(pilot)

    review.submit(world.studio, world.leader, world.studio.song("Nordlys"))
    assert snap_compare(world.app(scan=False), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_export(world: World, snap_compare: SnapCompare,
                size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await sign_in_as(pilot, "Thea")
        pilot.app.session.song = world.song  # type: ignore[attr-defined]
        pilot.app.push_screen(ExportScreen())
        await settle(pilot)

    assert snap_compare(world.app(scan=False), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_settings(world: World, snap_compare: SnapCompare,
                  size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await as_leader(pilot)
        await pilot.press("s")
        await settle(pilot)

    assert snap_compare(world.app(scan=False), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_help(world: World, snap_compare: SnapCompare,
              size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await record_screen(world)(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(world.app(scan=False), terminal_size=size, run_before=steps)


@pytest.mark.parametrize("size", SIZES)
def test_first_song_consent_step(world: World, snap_compare: SnapCompare,
                                 size: tuple[int, int]) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await as_leader(pilot)
        await pilot.click("#new-member")
        await pilot.press(*"Lyra", "enter")
        await settle(pilot)
        pilot.app.push_screen(FirstSongScreen())
        await settle(pilot)

    assert snap_compare(world.app(scan=False), terminal_size=size, run_before=steps)
