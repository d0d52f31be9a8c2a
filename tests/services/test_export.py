"""Exporting: every format and bit depth, mastering targets, stems, the report, and the rules
that do not bend: the gate on every path, only the title and the alias in the file (no artist
when anonymous, no ids, notes, staff names or paths anywhere in the bytes), a cancel or a
refusal leaves nothing behind, and the progress reaches 1.0."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from studio.audio.loudness import measure_loudness
from studio.core.consent import Purpose
from studio.core.gate import ExportPurpose, ReviewDecision
from studio.core.i18n import Refused, StudioError, language, set_language
from studio.core.song import Song
from studio.services import consent, review
from studio.services.export import FORMATS, ExportResult, export_song
from studio.services.mixing import MixChanges, change_mix
from studio.store import audit_log
from tests.people.world import World, add_take, make_world

EXPECTED = {"wav": ("WAV", "PCM_24"), "wav16": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_24"),
            "flac16": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS"),
            "mp3": ("MP3", "MPEG_LAYER_III")}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    before = language()
    set_language("en")
    yield
    set_language(before)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = make_world(tmp_path / "home")
    studio = world.studio
    consent.grant(studio, world.leader, "MC Nord", Purpose.MEMBER_COPY, witness="Thea")
    consent.grant(studio, world.leader, "MC Nord", Purpose.INTERNAL, witness="Thea",
                  audience=["leader", "therapist"])
    song = world.songs[0]
    add_take(studio, song, "gitar", seconds=3.0, freq=330.0)
    add_take(studio, song, "bass", seconds=3.0, freq=110.0)
    change_mix(studio, world.leader, song, MixChanges(
        track="gitar", track_changes={"pan": -0.5, "send_reverb": 0.3, "preset": "guitar"}))
    change_mix(studio, world.leader, song, MixChanges(track="bass",
                                                      track_changes={"mute": True}))
    world.songs[0] = studio.catalog.song(song.id)
    yield world
    world.close()


def gate_entries(world: World) -> int:
    return len([e for e in world.studio.catalog.read(audit_log.entries)
                if e.action.startswith("gate.")])


def leftovers(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("."))


def forbidden(world: World, home: Path) -> list[bytes]:
    """Things that must never be in an exported file: notes, staff names, ids, paths."""
    takes = world.studio.paths.relative(world.studio.paths.takes_dir(world.songs[0].id))
    return [b"private note", b"Thea", b"Admin", b"member", b"song:", b"version",
            str(home).encode(), takes.encode()]


def export(world: World, fmt: str, path: Path, **kw: object) -> ExportResult:
    return export_song(world.studio, world.leader, world.songs[0], ExportPurpose.MEMBER_COPY,
                       fmt, path, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_carries_only_title_and_alias(world: World, tmp_path: Path,
                                                   fmt: str) -> None:
    out = tmp_path / "out" / f"song.{fmt}"
    result = export(world, fmt, out, target="streaming")
    assert out.exists() and leftovers(out.parent) == []
    info = sf.info(str(out))
    assert (info.format, info.subtype) == EXPECTED[fmt]
    assert info.samplerate == 48000 and info.channels == 2
    with sf.SoundFile(out) as f:
        assert f.title == world.songs[0].name
        assert f.artist == "MC Nord"
        for other in ("comment", "copyright", "album", "software", "date", "genre"):
            assert getattr(f, other) in ("", None), other
    raw = out.read_bytes()
    for secret in forbidden(world, tmp_path):
        assert secret not in raw, secret
    assert world.songs[0].name.encode() in raw and b"MC Nord" in raw
    # the report: what was written, measured, on target
    report = result.report
    assert report is not None and report.master is not None
    assert report.master.on_target, report.master.after
    decoded, sr = sf.read(out, dtype="float32", always_2d=True)
    measured = measure_loudness(decoded, sr)
    assert abs(measured.integrated_lufs - -14.0) <= 0.5
    assert measured.true_peak_dbtp <= -1.0 + 1e-3  # read back from the file, lossy or not
    assert result.target == "streaming" and result.artist == "MC Nord"


def test_lengths_and_bit_depths(world: World, tmp_path: Path) -> None:
    wav24 = export(world, "wav", tmp_path / "a.wav", target="none")
    wav16 = export(world, "wav16", tmp_path / "b.wav", target="none")
    a, _ = sf.read(wav24.path, dtype="float32")
    b, _ = sf.read(wav16.path, dtype="float32")
    assert a.shape == b.shape and a.shape[0] == round(wav24.seconds * 48000)
    assert np.max(np.abs(a - b)) < 2.0 / 32768  # the same mix, 16-bit rounding apart
    assert np.any(np.abs(a - b) > 0)


def test_default_targets_by_purpose(world: World, tmp_path: Path) -> None:
    copy = export(world, "wav", tmp_path / "copy.wav")
    assert copy.target == "streaming" and copy.report is not None
    assert copy.report.master is not None and copy.report.master.on_target
    internal = export_song(world.studio, world.leader, world.songs[0], ExportPurpose.INTERNAL,
                           "wav", tmp_path / "internal.wav")
    assert internal.target == "none"
    assert internal.report is not None and internal.report.master is not None
    before = internal.report.master.before
    assert internal.report.master.after.integrated_lufs == pytest.approx(
        before.integrated_lufs, abs=0.01)  # only 24-bit rounding between


def test_report_lines_and_json(world: World, tmp_path: Path) -> None:
    result = export(world, "flac", tmp_path / "song.flac", target="loud")
    assert result.report is not None
    lines = result.report.lines()
    text = "\n".join(lines)
    assert "Mastering “loud”" in text and "On target." in text
    assert "before" in text and "after" in text and "true peak" in text
    assert all(len(line) <= 80 for line in lines)
    assert any(set(line) & set("▁▂▃▄▅▆▇█") for line in lines)  # the waveform
    data = result.to_json()
    assert data["report"]["master"]["preset"] == "loud"
    assert set(data["report"]["after"]) == {"integrated_lufs", "lra_lu", "momentary_max_lufs",
                                            "short_term_max_lufs", "true_peak_dbtp",
                                            "sample_peak_dbfs"}
    assert len(data["report"]["overview"]) == 72
    set_language("nb")
    assert "Lydstyrke" in "\n".join(result.report.lines())


def test_anonymous_public_release_has_no_artist(world: World, tmp_path: Path) -> None:
    studio, song = world.studio, world.songs[0]
    consent.grant(studio, world.therapist, "MC Nord", Purpose.PUBLIC_RELEASE, witness="Lea",
                  song=song.name, platforms=["web"], credit="anonymous")
    review.submit(studio, world.leader, song)
    review.decide_review(studio, world.therapist, song, ReviewDecision.APPROVED)
    out = tmp_path / "public.mp3"
    result = export_song(studio, world.therapist, song, ExportPurpose.PUBLIC, "mp3", out)
    assert result.artist == "" and result.target == "streaming"
    with sf.SoundFile(out) as f:
        assert f.title == song.name and f.artist in ("", None)
    raw = out.read_bytes()
    assert raw.count(song.name.encode()) == 1  # the title ("Song of MC Nord" in this world)
    without_title = raw.replace(song.name.encode(), b"")
    assert b"MC Nord" not in without_title and b"Lyra" not in without_title
    for secret in forbidden(world, tmp_path):
        assert secret not in raw


def test_stems_one_file_per_playing_track(world: World, tmp_path: Path) -> None:
    before = gate_entries(world)
    folder = tmp_path / "stems"
    result = export(world, "wav", folder, stems=True)
    assert gate_entries(world) == before + 2  # asked before rendering and before the rename
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["01 vokal.wav", "02 gitar.wav"]  # the muted bass has none
    assert result.stems == [folder / n for n in names]
    assert leftovers(tmp_path) == []
    mix = export(world, "wav", tmp_path / "mix.wav", target="none")
    total, _ = sf.read(mix.path, dtype="float32")
    stems = [sf.read(p, dtype="float32")[0] for p in result.stems]
    assert all(s.shape == total.shape for s in stems)
    assert np.max(np.abs(sum(stems) - total)) < 1e-4  # the stems add up to the mix
    for path in result.stems:
        with sf.SoundFile(path) as f:
            assert f.artist == "MC Nord"
            assert f.title.startswith(world.songs[0].name + " – ")
        raw = path.read_bytes()
        for secret in forbidden(world, tmp_path):
            assert secret not in raw
    assert result.report is not None and len(result.report.stems) == 2
    rows = world.studio.catalog.read(lambda conn: conn.execute(
        "SELECT path FROM exports WHERE path LIKE ?", (f"{folder}%",)).fetchall())
    assert sorted(r[0] for r in rows) == sorted(str(p) for p in result.stems)


def test_stems_are_not_mastered_and_need_a_new_folder(world: World, tmp_path: Path) -> None:
    with pytest.raises(StudioError) as caught:
        export(world, "wav", tmp_path / "s", stems=True, target="streaming")
    assert "Stems are not mastered" in caught.value.say("en")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("keep me")
    with pytest.raises(StudioError):
        export(world, "wav", busy, stems=True)
    assert sorted(p.name for p in busy.iterdir()) == ["mine.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export(world, "flac", empty, stems=True).stems  # an empty folder is fine


def test_refused_exports_write_nothing_on_every_path(world: World, tmp_path: Path) -> None:
    song: Song = world.songs[1]  # Lyra has given no member-copy consent
    for stems in (False, True):
        before = gate_entries(world)
        out = tmp_path / ("stems" if stems else "copy.wav")
        with pytest.raises(Refused):
            export_song(world.studio, world.leader, song, ExportPurpose.MEMBER_COPY, "wav",
                        out, stems=stems)
        assert gate_entries(world) == before + 1
        assert not out.exists() and leftovers(tmp_path) == []


def test_gate_is_asked_twice_for_every_export(world: World, tmp_path: Path) -> None:
    for kw in ({"target": "none"}, {"target": "loud"}, {"stems": True}):
        before = gate_entries(world)
        name = "s" if kw.get("stems") else "x.ogg"
        export(world, "ogg", tmp_path / f"{len(kw)}{kw.get('target', '')}{name}", **kw)
        assert gate_entries(world) == before + 2, kw


@pytest.mark.parametrize("stems", [False, True])
def test_cancel_leaves_nothing(world: World, tmp_path: Path, stems: bool) -> None:
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.3:
            cancel.set()

    out = tmp_path / "out" / ("stems" if stems else "song.wav")
    out.parent.mkdir()
    exports_before = world.studio.catalog.read(
        lambda conn: conn.execute("SELECT count(*) FROM exports").fetchone()[0])
    with pytest.raises(StudioError) as caught:
        export(world, "wav", out, stems=stems, progress=progress, cancel=cancel, block=4096)
    assert "cancelled" in caught.value.say("en")
    assert list(out.parent.iterdir()) == []
    assert list(tmp_path.glob("**/.*partial*")) == []
    assert world.studio.catalog.read(
        lambda conn: conn.execute("SELECT count(*) FROM exports").fetchone()[0]
    ) == exports_before


@pytest.mark.parametrize("stems", [False, True])
def test_progress_reaches_one(world: World, tmp_path: Path, stems: bool) -> None:
    seen: list[float] = []
    export(world, "wav", tmp_path / ("s" if stems else "a.wav"), stems=stems,
           progress=seen.append, block=4096)
    assert seen[-1] == 1.0 and len(seen) > 3
    assert all(b >= a for a, b in itertools.pairwise(seen))


def test_unknown_format_and_target(world: World, tmp_path: Path) -> None:
    before = gate_entries(world)
    with pytest.raises(StudioError):
        export(world, "aiff", tmp_path / "x.aiff")
    with pytest.raises(StudioError) as caught:
        export(world, "wav", tmp_path / "x.wav", target="nope")
    assert "streaming" in caught.value.say("en")
    assert gate_entries(world) == before  # bad input is caught before the gate is asked
    assert not (tmp_path / "x.wav").exists()


def test_withdrawal_erases_every_stem(world: World) -> None:
    result = export(world, "wav", None, stems=True)  # into the studio's exports folder
    assert all(p.exists() for p in result.stems)
    consent.withdraw(world.studio, world.leader, "MC Nord", None)
    assert not any(p.exists() for p in result.stems)
