"""Mixing a song: settings stored and read back, roles and the audit log, new versions, the
effect buses as bus tracks, the rendered pre-master mix, and ``studio mix`` on the command
line."""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.audio.mixdown import MixTrack, mixdown_blocks
from studio.cli import main as cli_main
from studio.cli.mix_cmd import add_mix_parser, format_mix
from studio.core.i18n import Refused, StudioError
from studio.core.mix import BusMix, TrackMix
from studio.core.song import Song
from studio.services.mixing import (
    MixChanges,
    change_mix,
    mixed_tracks,
    song_mix,
    song_version,
)
from studio.services.playback import clip_sources
from studio.services.render import song_blocks, song_frames
from studio.store import audit_log
from tests.people.world import SECRETS, SR, World, add_take, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path / "home")
    yield w
    w.close()


@pytest.fixture
def practice(world: World) -> Song:
    song = world.studio.new_song("Practice", samplerate=SR)
    add_take(world.studio, song, "vokal", seconds=0.5, freq=220.0)
    add_take(world.studio, song, "gitar", seconds=0.75, freq=330.0)
    return song


def mix_actions(world: World) -> list[dict[str, Any]]:
    def run(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        return [{"actor": e.actor, "object": e.object, "member_id": e.member_id,
                 "detail": json.loads(e.detail) if e.detail else {}}
                for e in audit_log.entries(conn) if e.action == "song.mix"]

    return world.studio.catalog.read(run)


def track_row(world: World, song: Song, name: str) -> sqlite3.Row:
    def run(conn: sqlite3.Connection) -> sqlite3.Row:
        row: sqlite3.Row = conn.execute("SELECT * FROM tracks WHERE song_id = ? AND name = ?",
                                        (song.id, name)).fetchone()
        return row

    return world.studio.catalog.read(run)


# --- settings --------------------------------------------------------------------------------


def test_settings_round_trip_through_the_catalog(world: World, practice: Song) -> None:
    studio = world.studio
    assert song_mix(studio, practice).tracks == {"vokal": TrackMix(), "gitar": TrackMix()}
    new = change_mix(studio, None, practice, MixChanges("vokal", {
        "gain_db": -4.5, "pan": -0.25, "mute": True, "solo": True, "preset": "vocal-warm",
        "send_reverb": 0.3, "send_delay": 0.1}))
    expected = TrackMix(-4.5, -0.25, True, True, "vocal-warm", 0.3, 0.1)
    assert new.tracks["vokal"] == expected
    assert song_mix(studio, practice).tracks == {"vokal": expected, "gitar": TrackMix()}
    row = track_row(world, practice, "vokal")
    assert (row["gain_db"], row["pan"], row["muted"]) == (-4.5, -0.25, 1)
    assert json.loads(row["mix"]) == {"solo": True, "preset": "vocal-warm",
                                      "send_reverb": 0.3, "send_delay": 0.1}
    track = studio.catalog.track_by_name(practice.id, "vokal")
    assert track is not None and track.muted and track.gain_db == -4.5


def test_every_change_makes_a_new_version_and_undoing_it_gives_the_old_one(
        world: World, practice: Song) -> None:
    studio = world.studio
    first = song_version(studio, practice)
    seen = {first}
    for changes in ({"gain_db": -2.0}, {"pan": 0.5}, {"mute": True}, {"solo": True},
                    {"preset": "lo-fi"}, {"send_reverb": 0.2}, {"send_delay": 0.4}):
        change_mix(studio, None, practice, MixChanges("gitar", changes))
        version = song_version(studio, practice)
        assert version not in seen, changes
        seen.add(version)
    same = song_version(studio, practice)
    change_mix(studio, None, practice, MixChanges("gitar", {"send_delay": 0.4}))  # no change
    assert song_version(studio, practice) == same
    change_mix(studio, None, practice, MixChanges("gitar", {
        "gain_db": 0.0, "pan": 0.0, "mute": False, "solo": False, "preset": None,
        "send_reverb": 0.0, "send_delay": 0.0}))
    assert song_version(studio, practice) == first
    assert json.loads(track_row(world, practice, "gitar")["mix"]) == {}


def test_bus_presets_live_in_bus_tracks(world: World, practice: Song) -> None:
    studio = world.studio
    before = song_version(studio, practice)
    change_mix(studio, None, practice, MixChanges(buses={"reverb": {"preset": "bus-reverb"}}))
    assert song_version(studio, practice) == before  # the default: nothing stored
    mix = change_mix(studio, None, practice, MixChanges(buses={
        "reverb": {"preset": "bus-reverb-hall"}, "delay": {"preset": "bus-delay-slap"}}))
    assert mix.buses == {"reverb": BusMix("bus-reverb-hall"), "delay": BusMix("bus-delay-slap")}
    assert song_version(studio, practice) != before
    kinds = [(t.name, t.kind) for t in studio.catalog.tracks(practice.id)]
    assert kinds == [("vokal", "audio"), ("gitar", "audio"), ("reverb bus", "bus"),
                     ("delay bus", "bus")]
    tracks, buses = mixed_tracks(studio, practice)
    assert [t.track.name for t in tracks] == ["vokal", "gitar"]
    assert buses["delay"] == BusMix("bus-delay-slap")
    change_mix(studio, None, practice, MixChanges(buses={"reverb": {"preset": "bus-reverb",
                                                                    "gain_db": -3.0}}))
    assert song_mix(studio, practice).buses["reverb"] == BusMix("bus-reverb", -3.0)
    assert len(studio.catalog.tracks(practice.id)) == 4  # the same bus track, changed


def test_a_bus_track_name_already_taken(world: World, practice: Song) -> None:
    world.studio.catalog.ensure_track(practice.id, "Reverb Bus")
    change_mix(world.studio, None, practice, MixChanges(buses={"reverb": {"preset":
                                                                          "bus-reverb-hall"}}))
    names = [t.name for t in world.studio.catalog.tracks(practice.id)]
    assert names[-2:] == ["Reverb Bus", "reverb bus 2"]
    assert song_mix(world.studio, practice).buses["reverb"].preset == "bus-reverb-hall"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (MixChanges("vokal", {"preset": "no-such-preset"}), "Could not find the sound preset"),
        (MixChanges("vokal", {"gain_db": 99.0}), "between -60 and 12"),
        (MixChanges("bass", {"gain_db": -1.0}), "no track called “bass”. These exist: vokal"),
        (MixChanges("vokal", {"gain_db": -1.0},
                    {"delay": {"preset": "nope"}}), "Could not find the sound preset 'nope'"),
        (MixChanges(None, {"pan": 0.5}), "Say which track"),
        (MixChanges(buses={"reverb": {"volume": 3}}), "don't know: 'volume'"),
        (MixChanges(buses={"chorus": {"preset": "bus-reverb"}}),  # type: ignore[dict-item]
         "no effect bus called “chorus”"),
        (MixChanges(buses={"delay": {"gain_db": 30.0}}), "between -60 and 12"),
    ],
)
def test_bad_changes_are_explained_and_change_nothing(world: World, practice: Song,
                                                      changes: MixChanges, words: str) -> None:
    before = song_version(world.studio, practice)
    with pytest.raises(StudioError) as caught:
        change_mix(world.studio, None, practice, changes)
    assert words in caught.value.say("en")
    assert song_version(world.studio, practice) == before
    assert mix_actions(world) == []


# --- roles and the audit log ---------------------------------------------------------------------


def test_a_members_song_needs_staff_who_may_edit(world: World) -> None:
    studio, song = world.studio, world.songs[0]
    before = song_version(studio, song)
    with pytest.raises(Refused) as nobody:
        change_mix(studio, None, song, MixChanges("vokal", {"gain_db": -2.0}))
    assert "MC Nord" in nobody.value.say("en") and "--as" in nobody.value.say("en")
    with pytest.raises(Refused):  # an admin keeps the studio running, does not edit songs
        change_mix(studio, world.admin, song, MixChanges("vokal", {"gain_db": -2.0}))
    assert song_version(studio, song) == before and mix_actions(world) == []

    change_mix(studio, world.leader, song, MixChanges("vokal", {"gain_db": -2.0,
                                                                "preset": "vocal-rap"}))
    change_mix(studio, world.therapist, song, MixChanges(buses={"delay": {"preset":
                                                                          "bus-delay-slap"}}))
    assert song_version(studio, song) != before
    track = studio.catalog.track_by_name(song.id, "vokal")
    assert track is not None
    assert mix_actions(world) == [
        {"actor": "Lea", "object": f"song:{song.id}", "member_id": song.member_id,
         "detail": {"track": f"track:{track.id}", "track_set": ["gain_db", "preset"]}},
        {"actor": "Thea", "object": f"song:{song.id}", "member_id": song.member_id,
         "detail": {"delay_set": ["preset"]}},
    ]
    # reading the mix needs nobody
    assert song_mix(studio, song).tracks["vokal"].preset == "vocal-rap"


def test_a_practice_song_may_be_mixed_by_anyone_and_it_is_logged(world: World,
                                                                 practice: Song) -> None:
    change_mix(world.studio, None, practice, MixChanges("gitar", {"mute": True}))
    with pytest.raises(Refused):
        change_mix(world.studio, world.admin, practice, MixChanges("gitar", {"mute": False}))
    assert [(a["actor"], a["member_id"]) for a in mix_actions(world)] == [("system", None)]


# --- the rendered mix ----------------------------------------------------------------------------


def plain_mixdown(world: World, song: Song) -> np.ndarray:
    tracks = []
    for track in world.studio.catalog.tracks(song.id):
        clips = clip_sources(world.studio, track)
        if clips and not track.muted:
            gain = 10 ** (track.gain_db / 20)
            angle = (track.pan + 1) * np.pi / 4
            tracks.append(MixTrack(clips, gain * np.cos(angle), gain * np.sin(angle)))
    return np.concatenate(list(mixdown_blocks(tracks)))


def render(world: World, song: Song, **kw: Any) -> np.ndarray:
    return np.concatenate(list(song_blocks(world.studio, song, **kw)))


def test_song_blocks_without_effects_is_the_plain_mixdown(world: World, practice: Song) -> None:
    change_mix(world.studio, None, practice, MixChanges("gitar", {"gain_db": -6.0, "pan": 0.5}))
    expected = plain_mixdown(world, practice)
    assert song_frames(world.studio, practice) == len(expected) == round(0.75 * SR)
    for block in (65536, 1000):
        got = render(world, practice, block=block)
        assert np.array_equal(got, expected)
    blocks = list(song_blocks(world.studio, practice, block=1000))
    assert all(len(b) == 1000 for b in blocks[:-1]) and blocks[-1].dtype == np.float32
    part = render(world, practice, start=5000, frames=7000, block=3000)
    assert np.array_equal(part, expected[5000:12000])


def test_song_blocks_follow_the_mix(world: World, practice: Song) -> None:
    studio = world.studio
    everything = render(world, practice)
    change_mix(studio, None, practice, MixChanges("gitar", {"solo": True}))
    solo = render(world, practice)
    change_mix(studio, None, practice, MixChanges("gitar", {"solo": False, "mute": True}))
    change_mix(studio, None, practice, MixChanges("vokal", {"mute": True}))
    assert song_frames(studio, practice) == 0
    assert list(song_blocks(studio, practice)) == []
    assert len(solo) == len(everything) and solo[SR // 2 :].any()  # the guitar plays on
    change_mix(studio, None, practice, MixChanges("vokal", {"mute": False}))
    vocal_only = render(world, practice, frames=len(everything))
    np.testing.assert_allclose(vocal_only + solo, everything, atol=1e-6)


def test_song_blocks_with_effects_and_sends_ring_on(world: World, practice: Song) -> None:
    studio = world.studio
    dry_frames = song_frames(studio, practice)
    change_mix(studio, None, practice, MixChanges("vokal", {"preset": "vocal-warm",
                                                            "send_reverb": 0.4,
                                                            "send_delay": 0.3}))
    frames = song_frames(studio, practice)
    assert frames > dry_frames + SR  # the room and the echoes ring on after the last clip
    wet = render(world, practice)
    assert len(wet) == frames
    assert np.sqrt(np.mean(wet[dry_frames : dry_frames + SR // 2] ** 2)) > 1e-4
    threaded = render(world, practice, threads=2)
    single = render(world, practice, threads=1, block=4096)
    assert np.array_equal(threaded, wet)
    np.testing.assert_allclose(single, wet, atol=2e-5, rtol=0)


# --- the command line ----------------------------------------------------------------------------


def _with_mix(build: Callable[[], argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """The real parser, with ``studio mix`` added if main.py does not register it yet."""
    parser = build()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "mix" not in sub.choices:
        def add(name: str, func: Callable[[argparse.Namespace], int], nb: str, eng: str,
                parent: Any = sub) -> argparse.ArgumentParser:
            p: argparse.ArgumentParser = parent.add_parser(name, help=eng)
            p.set_defaults(func=func)
            p.add_argument("--json", action="store_true")
            return p

        add_mix_parser(sub, add)
    return parser


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, Any]]:
    monkeypatch.setenv("STUDIO_HOME", str(world.studio.paths.home))
    original = cli_main.build_parser
    monkeypatch.setattr(cli_main, "build_parser", lambda: _with_mix(original))

    def run(*argv: str, stdin: str = "") -> tuple[int, Any]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = cli_main.main(list(argv))
        out = capsys.readouterr().out
        return code, json.loads(out) if "--json" in argv else out

    return run


def test_cli_shows_and_changes_the_mix(cli: Callable[..., tuple[int, Any]], world: World,
                                       practice: Song) -> None:
    code, shown = cli("mix", "Practice", "--json")
    assert code == 0 and shown["changed"] is False and shown["song"] == "Practice"
    assert [t["name"] for t in shown["tracks"]] == ["vokal", "gitar"]
    assert shown["buses"]["reverb"]["preset"] == "bus-reverb"
    code, changed = cli("mix", "Practice", "--track", "vokal", "--gain", "-3", "--pan", "-0.5",
                        "--mute", "--preset", "vocal-clean", "--send-reverb", "0.25",
                        "--send-delay", "0.1", "--delay-preset", "bus-delay-slap", "--json")
    assert code == 0 and changed["changed"] is True and changed["version"] != shown["version"]
    assert changed["tracks"][0] == {"name": "vokal", "gain_db": -3.0, "pan": -0.5,
                                    "mute": True, "solo": False, "preset": "vocal-clean",
                                    "send_reverb": 0.25, "send_delay": 0.1}
    assert changed["buses"]["delay"]["preset"] == "bus-delay-slap"
    code, again = cli("mix", "Practice", "--track", "vokal", "--unmute", "--preset", "none",
                      "--solo", "--json")
    assert code == 0
    assert (again["tracks"][0]["mute"], again["tracks"][0]["preset"],
            again["tracks"][0]["solo"]) == (False, None, True)
    code, text = cli("mix", "Practice")
    assert code == 0 and "vokal" in text and "bus-delay-slap" in text


def test_cli_roles_and_bad_input(cli: Callable[..., tuple[int, Any]], world: World,
                                 practice: Song) -> None:
    song = world.songs[0].name
    code, refused = cli("mix", song, "--track", "vokal", "--gain", "-2", "--json")
    assert code == 3 and "MC Nord" in refused["refused_en"]
    code, done = cli("mix", song, "--track", "vokal", "--gain", "-2", "--as", "Lea", "--json",
                     stdin=SECRETS["Lea"] + "\n")
    assert code == 0 and done["tracks"][0]["gain_db"] == -2.0
    code, bad = cli("mix", "Practice", "--track", "vokal", "--pan", "3", "--json")
    assert code == 2 and "between -1 and 1" in bad["error_en"]
    code, bad = cli("mix", "Practice", "--track", "nobody", "--json")
    assert code == 2 and "no track called" in bad["error_en"]
    code, bad = cli("mix", "No such song", "--json")
    assert code == 2


def test_format_mix_in_plain_words(world: World, practice: Song) -> None:
    change_mix(world.studio, None, practice, MixChanges("gitar", {"solo": True, "pan": 0.4}))
    text = format_mix("Practice", song_mix(world.studio, practice))
    lines = text.splitlines()
    assert "Practice" in lines[0]
    vocal = next(line for line in lines if line.startswith("vokal"))
    guitar = next(line for line in lines if line.startswith("gitar"))
    assert "solo" in guitar and "40 %" in guitar and "solo" not in vocal
    assert any(mark in vocal for mark in ("høres ikke nå", "not heard now"))
