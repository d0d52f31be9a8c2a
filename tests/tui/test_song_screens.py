"""Library, review, export, record and the language switch, driven through the UI with the
sound switched off (no engine) unless a test says otherwise."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from studio.core.gate import NEEDS_REVIEW, ReviewDecision
from studio.core.people import ROLE_MAY_NOT
from studio.services import review
from studio.services.consent import NO_KEEP_CONSENT
from studio.tui.screens.export import ExportScreen
from studio.tui.screens.library import LibraryScreen
from studio.tui.screens.record import RecordScreen
from studio.tui.screens.review import ReviewScreen

from .world import add_take, drive, make_world, screen_text, settle, sign_in_as


def test_library_lists_states_and_search_narrows_it(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    review.submit(world.studio, world.leader, world.song)
    world.studio.new_song("Vinternatt")
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)
        table = app.screen.query_one("#songs", DataTable)
        rows = [" ".join(map(str, table.get_row_at(i))) for i in range(table.row_count)]
        assert any("Nordlys" in r and "MC Nord" in r and "in review" in r for r in rows)
        assert any("Vinternatt" in r and "draft" in r for r in rows)
        await pilot.press("slash", *"nord")
        await settle(pilot)
        assert table.row_count == 1
        assert "Nordlys" in str(table.get_row_at(0)[0])
        assert "1 of 3 songs" in screen_text(app)
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"zzz")
        await settle(pilot)
        assert table.row_count == 0
        assert "No song matches" in screen_text(app)

    drive(app, steps)


def test_therapist_approves_with_the_lyrics_in_view(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    from studio.services import people

    people.set_lyrics(world.studio, world.leader, world.song, "Nordlyset danser over byen")
    song = world.studio.song("Nordlys")
    review.submit(world.studio, world.leader, song)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Thea")
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        text = screen_text(app)
        assert "Nordlys · MC Nord" in text
        assert "Nordlyset danser over byen" in text
        assert "keep the recordings: yes until 2027-01-01" in text
        await pilot.press("a")
        await settle(pilot)
        history = review.history(world.studio, song)
        assert history[-1].decision is ReviewDecision.APPROVED
        assert history[-1].by == "Thea"
        assert "No songs are waiting" in screen_text(app)

    drive(app, steps)


def test_changes_need_a_note_and_the_note_is_kept(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    review.submit(world.studio, world.leader, world.song)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Thea")
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press(*"Mindre rom i vokalen", "enter")
        await settle(pilot)
        newest = review.history(world.studio, world.song)[-1]
        assert newest.decision is ReviewDecision.CHANGES
        assert newest.note == "Mindre rom i vokalen"

    drive(app, steps)


def test_a_leader_cannot_review_and_is_told_why(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    review.submit(world.studio, world.leader, world.song)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.push_screen(ReviewScreen())  # the key is hidden for leaders; the screen says no
        await settle(pilot)
        said = ROLE_MAY_NOT.say("en", role="leader", action="review songs")
        assert said in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert review.history(world.studio, world.song)[-1].decision is \
            ReviewDecision.SUBMITTED

    drive(app, steps)


def test_export_refusal_shows_the_gates_reason(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Thea")
        app.session.song = world.song
        app.push_screen(ExportScreen())
        await settle(pilot)
        text = screen_text(app)
        assert "✗ [3] Public release: MC Nord has not agreed to release this exact version" \
            in text
        assert "✗ [1] Copy for the member: MC Nord has not agreed to a copy for yourself." \
            in text
        await pilot.press("3")
        await settle(pilot)
        assert "MC Nord has not agreed to release this exact version" in \
            str(app.screen.query_one("#message").render())
        assert not list(world.studio.paths.exports_dir.glob("*"))

    drive(app, steps)


def test_export_after_consent_but_before_review_says_it_needs_review(tmp_path: Path) -> None:
    from studio.core.consent import Purpose
    from studio.services import consent

    world = make_world(tmp_path)
    consent.grant(world.studio, world.leader, "MC Nord", Purpose.PUBLIC_RELEASE, witness="Thea",
                  song="Nordlys", platforms=["streaming"])
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Thea")
        app.session.song = world.song
        app.push_screen(ExportScreen())
        await settle(pilot)
        assert NEEDS_REVIEW.say("en") in screen_text(app)

    drive(app, steps)


def test_member_copy_export_runs_in_a_worker_and_reports(tmp_path: Path) -> None:
    from studio.core.consent import Purpose
    from studio.services import consent

    world = make_world(tmp_path)
    consent.grant(world.studio, world.leader, "MC Nord", Purpose.MEMBER_COPY, witness="Thea")
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.song = world.song
        app.push_screen(ExportScreen())
        await settle(pilot)
        assert "✓ [1] Copy for the member" in screen_text(app)
        assert "✗ [3] Public release: As leader you cannot release songs." in screen_text(app)
        await pilot.press("1")
        await settle(pilot)
        files = list(world.studio.paths.exports_dir.glob("*.wav"))
        assert len(files) == 1
        text = screen_text(app)
        assert str(files[0]) in text
        assert "Length:" in text  # the export report

    drive(app, steps)


def test_recording_without_keep_consent_shows_the_refusal(tmp_path: Path) -> None:
    world = make_world(tmp_path, keep_consent=False)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.song = world.song
        app.push_screen(RecordScreen())
        await settle(pilot)
        await pilot.press("t")
        await pilot.press(*"vokal", "enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        said = NO_KEEP_CONSENT.say("en", alias="MC Nord")
        assert said in str(app.screen.query_one("#message").render())
        assert "Not recording" in screen_text(app) or app.sound.recording is None
        assert world.studio.takes(world.song) == []

    drive(app, steps)


def test_use_this_take_changes_what_the_track_plays(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    second = add_take(world.studio, world.song, "vokal", freq=330.0, use=False)
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.song = world.song
        app.push_screen(RecordScreen())
        await settle(pilot)
        text = screen_text(app)
        assert "  Take 2  0:00.5" in text and "✓ Take 1  0:00.5" in text
        assert "▆▆▆▆" in text  # the waveform overview of each take (-12 dBFS peaks)
        await pilot.press("u")  # the newest take is highlighted first
        await settle(pilot)
        clips = world.studio.catalog.clips(second.track_id)
        assert [c.take_id for c in clips] == [second.id]
        assert "✓ Take 2" in screen_text(app)

    drive(app, steps)


def test_language_switch_changes_texts_and_keys_at_run_time(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    app = world.app(lang="nb")

    async def steps(pilot: Pilot[int]) -> None:
        assert "Velkommen til studioet." in screen_text(app)
        descriptions = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Hjelp" in descriptions
        await pilot.press("f2")
        await settle(pilot)
        assert "Welcome to the studio." in screen_text(app)
        descriptions = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Help" in descriptions and "Hjelp" not in descriptions
        assert app.prefs.language == "en"
        await sign_in_as(pilot, "Lea")
        assert "Who is here?" in screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert "Hvem er her?" in screen_text(app)

    drive(app, steps)


def test_first_song_does_not_ask_again_for_a_copy_the_member_said_no_to(tmp_path: Path) -> None:
    """Step 10 asks about a copy only when the member was never asked: a "no", or a yes taken
    back, stands (the consent screen is where a member who brings it up changes it)."""
    from studio.core.consent import Purpose
    from studio.services import consent
    from studio.tui.screens.first_song import STEPS, FirstSongScreen

    world = make_world(tmp_path)
    consent.grant(world.studio, world.leader, "MC Nord", Purpose.MEMBER_COPY, witness="Thea")
    consent.withdraw(world.studio, world.leader, "MC Nord", Purpose.MEMBER_COPY, witness="Thea")
    app = world.app()

    async def steps(pilot: Pilot[int]) -> None:
        await sign_in_as(pilot, "Lea")
        app.session.member = world.member
        screen = FirstSongScreen()
        app.push_screen(screen)
        await settle(pilot)
        screen.song = world.song
        screen.step = [s.id for s in STEPS].index("copy")
        screen.show_step()
        await settle(pilot)
        assert screen.copy_answer is not None and not screen.copy_answer.allowed
        text = screen_text(app)
        assert "MC Nord has withdrawn consent to a copy for yourself" in text
        assert "Do you want to take a copy" not in text
        assert not screen.check_action("grant", ())
        await pilot.press("ctrl+y")
        await settle(pilot)
        copy = next(s for s in consent.state(world.studio, "MC Nord")
                    if s.purpose is Purpose.MEMBER_COPY)
        assert not copy.granted

    drive(app, steps)
