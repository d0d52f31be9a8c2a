"""A small studio for the UI tests: staff (admin, leader, therapist), a member with a song and
a take, a practice song, a manual clock (no sleeping), and the UI's settings pointing at the
practice device (no audio hardware needed)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from studio.core.consent import Purpose
from studio.core.i18n import Language
from studio.core.people import Actor, Member, Role
from studio.core.song import Song
from studio.services import consent, people
from studio.services.access import sign_in
from studio.services.studio import Studio
from studio.store.layout import StudioPaths
from studio.tui.app import StudioApp
from studio.tui.prefs import Prefs
from tests.people.world import add_take

os.environ["STUDIO_FAST_HASH"] = "1"  # Argon2id with cheap parameters: tests sign in a lot
SR = 48000
SECRETS = {"Admin": "admin-passphrase", "Lea": "4711", "Thea": "therapist-pass"}
SIZE = (80, 24)


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class IdleTime:
    """The UI's inactivity clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    studio: Studio
    clock: ManualClock
    admin: Actor
    leader: Actor
    therapist: Actor
    member: Member
    song: Song
    practice_song: Song

    def app(self, *, sound: bool = False, lang: Language = "en", idle: IdleTime | None = None,
            lock_seconds: int = 300, scan: bool = True, dark: bool = True) -> StudioApp:
        prefs = Prefs(language=lang, device="practice", lock_seconds=lock_seconds, dark=dark)
        return StudioApp(self.studio, prefs=prefs, prefs_path=None, sound=sound,
                         clock=idle or IdleTime(), scan_devices=scan)


def make_world(home: Path, *, keep_consent: bool = True) -> World:
    clock = ManualClock()
    studio = Studio(StudioPaths(home), clock=clock)
    people.add_staff(studio, None, "Admin", Role.ADMIN, SECRETS["Admin"])
    admin = sign_in(studio, "Admin", SECRETS["Admin"])
    people.add_staff(studio, admin, "Lea", Role.LEADER, SECRETS["Lea"])
    people.add_staff(studio, admin, "Thea", Role.THERAPIST, SECRETS["Thea"])
    leader = sign_in(studio, "Lea", SECRETS["Lea"])
    therapist = sign_in(studio, "Thea", SECRETS["Thea"])
    member = people.add_member(studio, leader, "MC Nord", note="private note")
    if keep_consent:
        consent.grant(studio, leader, "MC Nord", Purpose.KEEP, witness="Thea",
                      keep_until="2027-01-01")
    song = studio.new_song("Nordlys", tempo_bpm=90)
    song = people.set_artist(studio, leader, song, "MC Nord")
    if keep_consent:
        add_take(studio, song, "vokal")
    practice = studio.new_song("Øvelse", tempo_bpm=120)
    return World(studio, clock, admin, leader, therapist, member,
                 studio.catalog.song(song.id), practice)


def drive(app: StudioApp, steps: Callable[[Pilot[int]], Awaitable[None]]) -> None:
    """Run the app headless at 80×24 and do ``steps`` with its pilot."""

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await steps(pilot)

    asyncio.run(run())


async def settle(pilot: Pilot[int]) -> None:
    """Let the workers finish and the screen catch up."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def sign_in_as(pilot: Pilot[int], name: str, secret: str | None = None) -> None:
    await pilot.click("#signin-name")
    await pilot.press(*name)
    await pilot.click("#signin-secret")
    await pilot.press(*(secret if secret is not None else SECRETS[name]), "enter")
    await settle(pilot)


def screen_text(app: StudioApp) -> str:
    """Every text the current screen shows (its widgets' rendered content, plain)."""
    from textual.widgets import Static

    parts = []
    for widget in app.screen.query("*"):
        if not widget.display:
            continue
        if isinstance(widget, Static):
            parts.append(str(widget.render()))
    from textual.widgets import DataTable, OptionList

    for table in app.screen.query(DataTable):
        for row in range(table.row_count):
            parts.append(" ".join(str(c) for c in table.get_row_at(row)))
    for listing in app.screen.query(OptionList):
        for index in range(listing.option_count):
            parts.append(str(listing.get_option_at_index(index).prompt))
    return "\n".join(parts)
