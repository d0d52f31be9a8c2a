"""Start and lock screens: sign-in, the lockout message, adding a member, auto-lock hiding
names, and switching person."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from studio.services import people
from studio.services.access import LOCKED, SIGN_IN_FAILED
from studio.tui.screens.lock import LockScreen
from studio.tui.screens.start import StartScreen
from studio.tui.widgets.signin import SignInForm

from .world import IdleTime, drive, make_world, screen_text, settle, sign_in_as


def test_sign_in_shows_who_runs_the_console_and_the_members(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        assert "MC Nord" not in screen_text(app)  # nobody signed in: no names
        await sign_in_as(pilot, "Lea")
        assert app.session.actor is not None and app.session.actor.name == "Lea"
        text = screen_text(app)
        assert "Lea (leader)" in text
        assert "MC Nord" in text

    drive(app, steps)


def test_wrong_code_and_then_the_lockout_are_said_plainly(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea", "0000")
        form = app.screen.query_one(SignInForm)
        assert SIGN_IN_FAILED.say("en") in screen_text(app)
        for _ in range(2):
            form.query_one("#signin-secret").value = "0000"  # type: ignore[attr-defined]
            form.submit()
            await settle(pilot)
        assert LOCKED.say("en", seconds=30) in screen_text(app)
        assert app.session.actor is None
        # while locked even the right code is not checked
        form.query_one("#signin-secret").value = "4711"  # type: ignore[attr-defined]
        form.submit()
        await settle(pilot)
        assert "The account is locked" in screen_text(app)
        assert app.session.actor is None

    drive(app, steps)


def test_add_member_reaches_the_catalog_and_is_chosen(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        await pilot.click("#new-member")
        await pilot.press(*"Lyra", "enter")
        await settle(pilot)
        aliases = [m.alias for m in people.members(world.studio, world.leader)]
        assert "Lyra" in aliases
        assert app.session.member is not None and app.session.member.alias == "Lyra"
        assert "Lyra's songs" in screen_text(app)

    drive(app, steps)


def test_auto_lock_hides_every_name_and_the_same_person_carries_on(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    idle = IdleTime()
    app = world.app(idle=idle, lock_seconds=60)

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.member = world.member
        app.notify("MC Nord is here.")
        app.check_inactivity()
        assert not isinstance(app.screen, LockScreen)  # not idle yet
        idle.now += 61
        app.check_inactivity()
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        shown = screen_text(app)
        assert "MC Nord" not in shown and "Nordlys" not in shown
        assert "The console is locked." in shown
        assert not list(app._notifications)  # a message naming the member went with the lock
        app.notify("Take 3 of MC Nord is saved.")  # a worker finishing while locked
        await pilot.pause()
        assert not list(app._notifications)
        await sign_in_as(pilot, "Lea")
        assert isinstance(app.screen, StartScreen)
        assert app.session.member is not None and app.session.member.alias == "MC Nord"
        assert any("Take 3" in n.message for n in app._notifications)  # the same person

    drive(app, steps)


def test_another_person_unlocking_starts_afresh(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.member = world.member
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        app.notify("Take 3 of MC Nord is saved.")
        await sign_in_as(pilot, "Thea")
        assert not any("MC Nord" in n.message for n in app._notifications)
        assert isinstance(app.screen, StartScreen)
        assert app.session.actor is not None and app.session.actor.name == "Thea"
        assert app.session.member is None

    drive(app, steps)


def test_consent_is_asked_with_its_exact_wording_and_withdrawn_in_one_action(
        tmp_path: Path) -> None:
    from textual.widgets import OptionList

    from studio.core.consent import WORDINGS, Purpose
    from studio.services import consent
    from studio.tui.screens.consent import ConsentScreen

    world = make_world(tmp_path)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.member = world.member
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConsentScreen)
        purposes = app.screen.query_one("#purposes", OptionList)
        purposes.highlighted = [p for p in Purpose].index(Purpose.MEMBER_COPY)
        await settle(pilot)
        text = screen_text(app)
        assert WORDINGS[Purpose.MEMBER_COPY].text.say("en") in text
        assert "(wording version member-copy-1)" in text
        await pilot.press("ctrl+y")  # no witness yet: a plain no
        await settle(pilot)
        assert not next(s for s in consent.state(world.studio, "MC Nord")
                        if s.purpose is Purpose.MEMBER_COPY).granted
        await pilot.click("#witness")
        await pilot.press(*"Thea", "ctrl+y")
        await settle(pilot)
        state = next(s for s in consent.state(world.studio, "MC Nord")
                     if s.purpose is Purpose.MEMBER_COPY)
        assert state.granted and state.record is not None
        assert state.record.witness == "Thea" and state.record.wording_version == "member-copy-1"
        await pilot.press("ctrl+n", "y")  # withdraw, and yes to the question
        await settle(pilot)
        assert not next(s for s in consent.state(world.studio, "MC Nord")
                        if s.purpose is Purpose.MEMBER_COPY).granted

    drive(app, steps)
