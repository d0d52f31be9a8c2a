"""`studio beat import|new|export|render FILE.mid` as a person runs them: every MIDI fixture
through `beat import --json`, a song's beat track, the round trip through a MIDI file, and the
release gate for a member's song.

The commands are built with ``add_beat_parser`` the way ``studio.cli.main`` builds them; a few
tests run the real ``studio`` command to see the exit status and the one plain line.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from studio.cli.beat_cmd import add_beat_parser
from studio.core.beat import Beat
from studio.core.beat_timeline import BeatTimeline
from studio.core.consent import Purpose
from studio.core.i18n import Refused, StudioError, set_language
from studio.services import beats as beat_service
from studio.services import consent
from studio.services.beats import export_song_beat, song_beat, store_beat
from studio.services.studio import Studio
from studio.store.layout import StudioPaths
from tests.people.world import SECRETS, make_world

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "midi"
EXPECTED = list(csv.DictReader((DATA / "expected_midi.csv").open(encoding="utf-8")))
GROOVE = DATA / "groove" / "drummer7" / "session1" / "22_hiphop_100_beat_4-4.mid"
TINY_KIT = REPO / "tests" / "data" / "kits" / "tiny"
REPORT_KEYS = {"format", "tracks", "notes", "length_seconds", "tempo_bpm", "skipped", "warnings"}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="studio")
    sub = top.add_subparsers(dest="command")

    def add(name: str, func: Callable[[argparse.Namespace], int], nb: str, eng: str,
            parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=eng)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true")
        return p

    add_beat_parser(sub, add)
    return top


def run(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    return int(args.func(args))


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert run(*argv, "--json") == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("nb")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "studio"
    monkeypatch.setenv("STUDIO_HOME", str(folder))
    return folder


def hits_of(beat: Beat, rate: int = 48000) -> tuple[list[tuple[int, str, int]], list[Any]]:
    timeline = BeatTimeline(beat, rate)
    events = timeline.events(0, timeline.length_frames or 0)
    return ([(h.frame, h.voice, h.velocity) for h in events.hits],
            [(b.frame, b.pitch, b.velocity, b.glide) for b in events.bass])


# --- every fixture through `beat import --json` -----------------------------------------------


def _expected_length(row: dict[str, str]) -> float | None:
    found = re.search(r"(\d+(?:\.\d+)?) s\b", row["expected_behaviour"])
    if found:
        return float(found.group(1))
    try:
        return float(row["mido_1.3.3_length_s"])
    except ValueError:
        return None


@pytest.mark.parametrize("row", EXPECTED, ids=lambda row: Path(row["file"]).name)
def test_every_fixture_through_beat_import_json(row: dict[str, str], home: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / row["file"]
    if not row["smf_format"]:  # "must be rejected cleanly": exit 2 with one line (see below)
        with pytest.raises(StudioError) as refused:
            run("beat", "import", str(path), "--json")
        said = refused.value.say("en")
        assert said.startswith(path.name + ": ") and "\n" not in said
        return
    report = run_json(capsys, "beat", "import", str(path))
    assert set(report) == REPORT_KEYS
    assert report["format"] == int(row["smf_format"])
    expected = _expected_length(row)
    if expected is not None:
        assert report["length_seconds"] == pytest.approx(expected, abs=1e-3)
    hits = re.search(r"(\d+) hits", row["expected_behaviour"])
    if hits:
        assert report["notes"] == int(hits.group(1))
    if "C-major scale" in row["expected_behaviour"] and "still" not in row["expected_behaviour"]:
        assert report["notes"] % 8 == 0 and report["notes"] >= 8
    if row["category"].startswith("broken"):
        assert report["warnings"]  # partial import: says what was wrong and what was left out
    assert isinstance(report["skipped"], dict) and isinstance(report["warnings"], list)
    assert all(isinstance(w, str) and w for w in report["warnings"])


def test_the_groove_report_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("beat", "import", str(GROOVE)) == 0
    out = capsys.readouterr().out
    assert "MIDI format 0, 1 tracks, 159 notes, 20.01 s, 100 BPM." in out
    assert "Roland TD-11" in out and "Quantised to sixteenths." in out and "9 bars" in out
    set_language("nb")
    assert run("beat", "import", str(GROOVE)) == 0
    assert "Kvantisert til sekstendeler." in capsys.readouterr().out


def _studio_command(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STUDIO_HOME": str(home), "STUDIO_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "studio", *argv], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120, check=False)


def test_a_file_that_cannot_be_used_exits_2_with_one_plain_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd\x00\x00")
    for path in (DATA / "jazz-soft" / "test-empty-file.mid",
                 DATA / "jazz-soft" / "test-not-a-midi-file.mid", broken,
                 tmp_path / "missing.mid", tmp_path):
        done = _studio_command("beat", "import", str(path), home=tmp_path / "home")
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stdout == ""
    ok = _studio_command("beat", "import", str(GROOVE), "--json", home=tmp_path / "home")
    assert ok.returncode == 0 and set(json.loads(ok.stdout)) == REPORT_KEYS


def test_the_reader_gets_at_most_the_size_cap(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beat_service, "MAX_MIDI_BYTES", 1000)
    big = tmp_path / "big.mid"
    big.write_bytes(GROOVE.read_bytes() * 2)
    with pytest.raises(StudioError) as refused:
        run("beat", "import", str(big))
    assert "larger than" in refused.value.say("en")


# --- rendering a MIDI file --------------------------------------------------------------------


def test_render_a_midi_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "groove.wav"
    report = run_json(capsys, "beat", "render", str(GROOVE), "-o", str(out), "--kit",
                      str(TINY_KIT))
    assert report["bars"] == 9 and report["tempo_bpm"] == 100 and report["kit"] == "Tiny test kit"
    nine_bars = 9 * 4 * 48000 * 60 / 100
    assert nine_bars <= sf.info(str(out)).frames <= nine_bars + 3 * 48000
    with pytest.raises(StudioError) as nothing:
        run("beat", "render", str(DATA / "jazz-soft" / "test-c-major-scale.mid"), "-o", str(out))
    assert "no beat in it" in nothing.value.say("en")


# --- a song's beat ----------------------------------------------------------------------------


def test_a_practice_song_gets_a_starter_beat_at_its_tempo_and_exports_it(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Studio(StudioPaths(home)) as studio:
        studio.new_song("Practice", tempo_bpm=92)
    stored = run_json(capsys, "beat", "new", "Practice", "--preset", "boom-bap")
    assert stored["track"] == "beat" and stored["tempo_bpm"] == 92 and stored["bars"] == 52
    assert any("made for 90 BPM" in n for n in stored["notes_en"])
    out = tmp_path / "practice.mid"
    exported = run_json(capsys, "beat", "export", "Practice", "-o", str(out))
    assert exported["path"] == str(out) and exported["version"] is None
    assert exported["drum_notes"] > 500 and exported["bass_notes"] > 100
    # the file imports back to the same hits and notes, and into another song too
    report = run_json(capsys, "beat", "import", str(out))
    assert report["tempo_bpm"] == 92 and report["warnings"] == []
    assert report["notes"] == exported["drum_notes"] + exported["bass_notes"]
    with Studio(StudioPaths(home)) as studio:
        studio.new_song("Copy", tempo_bpm=92)
    assert run("beat", "import", str(out), "--song", "Copy", "--track", "drums") == 0
    capsys.readouterr()
    with Studio(StudioPaths(home)) as studio:
        _, original = song_beat(studio, studio.song("Practice"))
        track, copy = song_beat(studio, studio.song("Copy"))
        assert track.name == "drums" and track.kind == "beat" and track.channels == 2
        assert hits_of(copy) == hits_of(original)
        assert [s.name for s in copy.arrangement] == [s.name for s in original.arrangement]
        audit = studio.catalog.read(lambda conn: [
            (r["action"], r["actor"]) for r in conn.execute("SELECT * FROM audit ORDER BY seq")])
    assert ("song.beat", "system") in audit


def test_song_beat_choices_and_mistakes_are_said_plainly(home: Path, tmp_path: Path) -> None:
    with Studio(StudioPaths(home)) as studio:
        studio.new_song("Song", tempo_bpm=90)
        studio.catalog.ensure_track(studio.song("Song").id, "vocal")
    out = tmp_path / "x.mid"
    with pytest.raises(StudioError) as none:
        run("beat", "export", "Song", "-o", str(out))
    assert "has no beat yet" in none.value.say("en")
    run("beat", "new", "Song", "--preset", "trap")
    run("beat", "new", "Song", "--preset", "house", "--track", "second")
    with pytest.raises(StudioError) as which:
        run("beat", "export", "Song", "-o", str(out))
    assert "several beat tracks (beat, second)" in which.value.say("en")
    assert run("beat", "export", "Song", "-o", str(out), "--track", "second") == 0
    cases = [
        (["export", "Song", "-o", str(tmp_path / "x.wav")], ".mid"),
        (["export", "Song", "-o", str(tmp_path / "no" / "x.mid"), "--track", "beat"],
         "does not exist"),
        (["export", "Song", "-o", str(out), "--track", "nope"], "no beat track called"),
        (["new", "Song", "--preset", "trap", "--track", "vocal"], "not a beat track"),
        (["new", "Song", "--preset", "trap", "--kit", "no-such-kit"], "These exist: synth"),
        (["new", "Song", "--preset", "nope"], "Could not find the beat"),
        (["new", "Nope", "--preset", "trap"], "no song called"),
        (["import", str(GROOVE), "--song", "Song", "--track", " "], "needs a name"),
    ]
    for argv, expected in cases:
        with pytest.raises(StudioError) as caught:
            run("beat", *argv)
        assert expected in caught.value.say("en"), (argv, caught.value.say("en"))


def test_a_beat_in_another_meter_is_refused(home: Path) -> None:
    with Studio(StudioPaths(home)) as studio:
        song = studio.new_song("Waltz", tempo_bpm=90)
        beat = beat_service.find_beat("trap")
        from dataclasses import replace

        with pytest.raises(StudioError) as caught:
            store_beat(studio, None, song, replace(beat, beats_per_bar=3))
        assert "3/4" in caught.value.say("en") and "4/4" in caught.value.say("en")


# --- a member's song: sign in, audit, release gate --------------------------------------------


def test_a_members_song_needs_staff_and_its_beat_passes_the_gate_to_leave(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "studio"
    world = make_world(home, aliases=("MC Nord",))
    song = world.songs[0]
    world.close()
    monkeypatch.setenv("STUDIO_HOME", str(home))

    def signed(*argv: str) -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(SECRETS["Lea"] + "\n"))
        return run(*argv, "--as", "Lea")

    with pytest.raises(Refused) as nobody:
        run("beat", "new", song.name, "--preset", "lo-fi")
    assert "needs a staff member to sign in" in nobody.value.say("en")
    with pytest.raises(Refused):
        run("beat", "import", str(GROOVE), "--song", song.name)
    assert signed("beat", "new", song.name, "--preset", "lo-fi") == 0
    assert signed("beat", "import", str(GROOVE), "--song", song.name, "--track", "groove") == 0
    capsys.readouterr()

    out = tmp_path / "copy.mid"
    with pytest.raises(Refused) as unsigned:
        run("beat", "export", song.name, "-o", str(out), "--track", "beat")
    assert "taking its beat out of the studio" in unsigned.value.say("en")
    with pytest.raises(Refused) as no_consent:
        signed("beat", "export", song.name, "-o", str(out), "--track", "beat")
    assert no_consent.value.say("en") and not out.exists()

    with Studio(StudioPaths(home)) as studio:
        leader = world.leader
        consent.grant(studio, leader, "MC Nord", Purpose.MEMBER_COPY, witness="Thea")
    assert signed("beat", "export", song.name, "-o", str(out), "--track", "beat", "--json") == 0
    exported = json.loads(capsys.readouterr().out)
    assert out.is_file() and exported["version"]

    with Studio(StudioPaths(home)) as studio:
        rows = studio.catalog.read(lambda conn: [dict(r) for r in conn.execute(
            "SELECT * FROM audit ORDER BY seq")])
        exports = studio.catalog.read(lambda conn: [dict(r) for r in conn.execute(
            "SELECT * FROM exports")])
        _, stored = song_beat(studio, studio.song(song.name), "beat")
    beat_edits = [r for r in rows if r["action"] == "song.beat"]
    assert [r["actor"] for r in beat_edits] == ["Lea", "Lea"]
    assert all(r["member_id"] == song.member_id for r in beat_edits)
    assert [r["action"] for r in rows if r["action"].startswith("gate.")] == [
        "gate.refuse", "gate.allow"]
    assert rows[-1]["action"] == "export.member-copy"
    assert json.loads(rows[-1]["detail"])["format"] == "midi"
    assert exports == [exports[0]] and exports[0]["format"] == "midi"
    assert exports[0]["path"] == str(out) and exports[0]["purpose"] == "member-copy"
    back = beat_service.import_midi_file(out)
    assert back.beat is not None and hits_of(back.beat) == hits_of(stored)


def test_a_refused_export_writes_nothing_and_a_role_without_editing_cannot_store(
        tmp_path: Path) -> None:
    world = make_world(tmp_path / "studio", aliases=("Lyra",))
    try:
        song = world.songs[0]
        beat = beat_service.find_beat("pop")
        stored = store_beat(world.studio, world.leader, song, beat)
        assert stored.track.kind == "beat"
        with pytest.raises(Refused):  # no consent for a copy yet
            export_song_beat(world.studio, world.leader, song, tmp_path / "x.mid")
        assert not (tmp_path / "x.mid").exists()
        from studio.core.people import Action, Actor, Role, may

        roles = [r for r in Role if not may(r, Action.EDIT_SONG)]
        for role in roles:
            with pytest.raises(Refused):
                store_beat(world.studio, Actor(999, "Someone", role), song, beat)
    finally:
        world.close()
