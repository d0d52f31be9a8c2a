"""Importing an audio file as a take: the take, the catalog rows, and nothing left on failure."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from studio.audio.decode import DecodeCancelled, DecodeError
from studio.audio.decode_child import TEST_HOOK_ENV
from studio.audio.take_file import sha256_file
from studio.core.i18n import StudioError, set_language
from studio.services.importing import ImportResult, import_audio, sweep_stale_imports
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

DATA = Path(__file__).resolve().parents[1] / "data" / "import"
VIBE_ACE = DATA / "Kevin_MacLeod_-_Vibe_Ace.ogg"
SR = 48000


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    with Studio(StudioPaths(tmp_path / "home")) as s:
        s.new_song("Song", samplerate=SR)
        yield s


def tone_file(folder: Path, name: str, rate: int = 44100, seconds: float = 1.0,
              channels: int = 1, **kw: Any) -> Path:
    t = np.arange(round(rate * seconds)) / rate
    mono = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    audio = np.stack([mono * (1.0 - 0.5 * c) for c in range(channels)], axis=1)
    path = folder / name
    sf.write(path, audio, rate, **kw)
    return path


def take_folder_entries(studio: Studio) -> list[str]:
    song = studio.song("Song")
    return sorted(p.name for p in studio.paths.takes_dir(song.id).iterdir())


def assert_nothing_left(studio: Studio) -> None:
    song = studio.song("Song")
    assert take_folder_entries(studio) == []
    assert studio.catalog.takes(song_id=song.id) == []
    for track in studio.catalog.tracks(song.id):
        assert studio.catalog.clips(track.id) == []


def test_import_makes_track_take_and_clip(studio: Studio, tmp_path: Path) -> None:
    source = tone_file(tmp_path, "beat.wav", rate=44100, seconds=2.0, subtype="PCM_16")
    seen: list[float] = []
    result = import_audio(studio, "Song", source, "Beat", progress=seen.append)
    song = studio.song("Song")

    track = studio.catalog.track_by_name(song.id, "Beat")
    assert track is not None and track.channels == 1 and track.kind == "audio"
    assert result.track == "Beat" and result.track_created
    take = studio.catalog.take(result.take_id)
    assert take.state == "complete" and take.track_id == track.id
    assert (take.samplerate, take.channels, take.frames) == (SR, 1, 2 * SR)
    assert take.song_position_frames == 0 and take.device == "import"
    path = studio.take_path(take)
    assert path == result.path and path.suffix == ".wav" and path.exists()
    assert take.sha256 == sha256_file(path)
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (SR, 1, 2 * SR,
                                                                          "PCM_24")
    clips = studio.catalog.clips(track.id)
    assert [(c.take_id, c.position_frames, c.offset_frames, c.length_frames) for c in clips] == [
        (take.id, 0, 0, 2 * SR)]
    assert result.clip_id == clips[0].id
    # nothing else in the folder: no temporary file, no pending marker
    assert take_folder_entries(studio) == [path.name]
    # what the result says
    assert result.seconds == pytest.approx(2.0)
    assert (result.original_rate, result.resampled, result.truncated) == (44100, True, False)
    assert (result.channels, result.file_channels, result.file_format) == (1, 1, "WAV")
    english = " ".join(result.messages("en"))
    assert "44100" in english and "48000" in english and "converted" in english
    assert "new" in english
    assert all(result.messages("nb"))
    assert seen == sorted(seen) and seen[-1] == 1.0
    # the sound is the file's: a 440 Hz tone at the same level
    audio, _ = sf.read(path, dtype="float32")
    assert np.sqrt(np.mean(audio[SR // 2: SR] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=1e-3)


def test_real_ogg_at_22050(studio: Studio) -> None:
    result = import_audio(studio, "Song", VIBE_ACE, "Music")
    assert result.original_rate == 22050 and result.resampled
    assert abs(result.frames - 1355168 * SR / 22050) <= 1
    assert result.file_format == "OGG" and result.channels == 1
    assert sf.info(result.path).frames == result.frames


def test_a_second_import_on_the_same_track(studio: Studio, tmp_path: Path) -> None:
    first = import_audio(studio, "Song", tone_file(tmp_path, "a.wav"), "Vocal")
    second = import_audio(studio, "Song", tone_file(tmp_path, "b.flac", format="FLAC"), "vocal")
    assert not second.track_created and second.track == "Vocal"
    assert first.path != second.path and first.take_id != second.take_id
    song = studio.song("Song")
    assert len(studio.catalog.tracks(song.id)) == 1


def test_stereo_file_on_a_mono_track_is_mixed_to_mono(studio: Studio, tmp_path: Path) -> None:
    song = studio.song("Song")
    studio.catalog.create_track(song.id, "Vocal", channels=1)
    result = import_audio(studio, "Song", tone_file(tmp_path, "s.wav", channels=2), "Vocal")
    assert result.channels == 1 and result.file_channels == 2 and not result.track_created
    assert any("mixed to mono" in m for m in result.messages("en"))
    audio, _ = sf.read(result.path, dtype="float32")
    assert audio.ndim == 1
    assert np.abs(audio).max() == pytest.approx(0.375, abs=1e-3)  # (0.5 + 0.25) / 2


def test_mono_file_on_a_stereo_track_plays_on_both_sides(studio: Studio, tmp_path: Path) -> None:
    song = studio.song("Song")
    studio.catalog.create_track(song.id, "Keys", channels=2)
    result = import_audio(studio, "Song", tone_file(tmp_path, "m.wav", rate=SR), "Keys")
    assert result.channels == 2 and not result.resampled
    audio, _ = sf.read(result.path, dtype="float32")
    np.testing.assert_array_equal(audio[:, 0], audio[:, 1])
    assert any("both sides" in m for m in result.messages("en"))


def test_stereo_file_makes_a_stereo_track(studio: Studio, tmp_path: Path) -> None:
    result = import_audio(studio, "Song", tone_file(tmp_path, "s.mp3", channels=2, format="MP3"),
                          "Beat")
    song = studio.song("Song")
    track = studio.catalog.track_by_name(song.id, "Beat")
    assert track is not None and track.channels == 2 and result.channels == 2


def test_truncated_flac_imports_what_exists_and_says_so(studio: Studio, tmp_path: Path) -> None:
    full = tone_file(tmp_path, "full.flac", seconds=5.0, format="FLAC")
    data = full.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    result = import_audio(studio, "Song", cut, "Beat")
    assert result.truncated and result.header_seconds == pytest.approx(5.0)
    assert 1.0 < result.seconds < 4.0
    english = " ".join(result.messages("en"))
    assert "shorter than it says" in english and "5.0 s" in english
    assert studio.catalog.take(result.take_id).frames == result.frames


def test_header_that_says_empty_is_read_and_said(studio: Studio, tmp_path: Path) -> None:
    path = tone_file(tmp_path, "rec.wav", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[40:44] = b"\0\0\0\0"  # the data chunk's size, as a crashed recorder leaves it
    path.write_bytes(bytes(data))
    result = import_audio(studio, "Song", path, "Vocal")
    assert result.seconds == pytest.approx(1.0, abs=1e-3)
    assert any("said it was empty" in m for m in result.messages("en"))


@pytest.mark.parametrize("content", [b"", b"not sound at all\n" * 100])
def test_bad_file_leaves_nothing(studio: Studio, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(DecodeError):
        import_audio(studio, "Song", path, "Beat")
    assert_nothing_left(studio)
    assert studio.catalog.track_by_name(studio.song("Song").id, "Beat") is None


def test_refusals_in_plain_words(studio: Studio, tmp_path: Path) -> None:
    with pytest.raises(StudioError) as caught:
        import_audio(studio, "No such song", VIBE_ACE, "Beat")
    assert "No such song" in caught.value.say("en")
    with pytest.raises(StudioError) as caught:
        import_audio(studio, "Song", VIBE_ACE, "  ")
    assert "track" in caught.value.say("en")
    song = studio.song("Song")
    studio.catalog.create_track(song.id, "Drums", kind="beat", channels=2)
    with pytest.raises(StudioError) as caught:
        import_audio(studio, "Song", VIBE_ACE, "Drums")
    assert "beat track" in caught.value.say("en")
    assert take_folder_entries(studio) == []


def test_cancel_before_start_leaves_nothing(studio: Studio) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DecodeCancelled):
        import_audio(studio, "Song", VIBE_ACE, "Music", cancel=cancel)
    assert_nothing_left(studio)
    assert studio.catalog.track_by_name(studio.song("Song").id, "Music") is None


def test_cancel_midway_leaves_nothing(studio: Studio) -> None:
    cancel = threading.Event()
    fractions: list[float] = []

    def progress(fraction: float) -> None:
        fractions.append(fraction)
        entries = take_folder_entries(studio)
        assert len(entries) == 1 and entries[0].endswith(".partial")  # being written
        if len(fractions) == 3:
            cancel.set()

    with pytest.raises(DecodeCancelled):
        import_audio(studio, "Song", VIBE_ACE, "Music", progress=progress, cancel=cancel)
    assert len(fractions) == 3 and fractions[-1] < 0.5
    assert_nothing_left(studio)
    assert studio.catalog.track_by_name(studio.song("Song").id, "Music") is None


def test_cancel_after_the_last_block_leaves_nothing(studio: Studio, tmp_path: Path) -> None:
    """Cancelled between writing the file and entering it in the catalog."""
    cancel = threading.Event()

    def progress(fraction: float) -> None:
        cancel.set()  # the file is tiny: one block, then this

    with pytest.raises(DecodeCancelled):
        import_audio(studio, "Song", tone_file(tmp_path, "t.wav", seconds=0.1), "Beat",
                     progress=progress, cancel=cancel)
    assert_nothing_left(studio)


def test_failure_in_the_catalog_leaves_nothing(studio: Studio, tmp_path: Path) -> None:
    """Track, take and clip go in as one transaction: the clip's insert failing (a trigger that
    refuses it, in the real catalog) rolls back the new track and the take, and the file goes."""
    studio.catalog.write(lambda conn: conn.execute(
        "CREATE TRIGGER refuse_clips BEFORE INSERT ON clips"
        " BEGIN SELECT RAISE(ABORT, 'no clips today'); END"))
    with pytest.raises(sqlite3.IntegrityError):
        import_audio(studio, "Song", tone_file(tmp_path, "t.wav"), "Beat")
    song = studio.song("Song")
    assert take_folder_entries(studio) == []
    assert studio.catalog.takes(song_id=song.id) == []
    assert studio.catalog.track_by_name(song.id, "Beat") is None


def test_decoder_crash_leaves_nothing(studio: Studio, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_HOOK_ENV, "abort")
    with pytest.raises(DecodeError) as caught:
        import_audio(studio, "Song", tone_file(tmp_path, "t.wav"), "Beat")
    assert caught.value.code == "crashed"
    assert_nothing_left(studio)


def test_stale_temporary_files_are_swept(studio: Studio, tmp_path: Path) -> None:
    song = studio.song("Song")
    folder = studio.paths.takes_dir(song.id)
    dead = folder / ".beat-20250101T000000Z-01.import-999999999.partial"  # no such process
    mine = folder / f".beat-20250101T000000Z-02.import-{os.getpid()}.partial"
    other = folder / "beat-20250101T000000Z-03.wav"
    for path in (dead, mine, other):
        path.write_bytes(b"x")
    assert sweep_stale_imports(folder) == [dead]
    assert not dead.exists() and mine.exists() and other.exists()


def test_result_json_keys(studio: Studio, tmp_path: Path) -> None:
    result = import_audio(studio, "Song", tone_file(tmp_path, "t.aiff", format="AIFF"), "Beat")
    data = result.to_json()
    assert json.loads(json.dumps(data)) == data
    assert {"track", "take_id", "seconds", "original_rate", "resampled", "truncated",
            "channels", "messages", "messages_en"} <= set(data)
    assert isinstance(result, ImportResult)


# -- the command line -------------------------------------------------------------------------


def run_cli(argv: list[str], monkeypatch: pytest.MonkeyPatch, home: Path,
            capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``studio …`` in this process."""
    from studio.cli import main

    monkeypatch.setenv("STUDIO_HOME", str(home))
    set_language("en")
    try:
        code = main.main(argv)
    finally:
        set_language("nb")
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    with Studio(StudioPaths(home)) as s:
        s.new_song("My song")
    code, out, _ = run_cli(["import", "My song", str(VIBE_ACE), "--track", "Beat", "--json"],
                           monkeypatch, home, capsys)
    assert code == 0
    data = json.loads(out)
    assert data["track"] == "Beat" and data["original_rate"] == 22050 and data["resampled"]
    assert data["truncated"] is False and data["channels"] == 1
    assert data["seconds"] == pytest.approx(61.459, abs=0.001)
    assert any("converted" in m for m in data["messages_en"])
    code, out, _ = run_cli(["import", "My song", str(VIBE_ACE), "--track", "Beat"],
                           monkeypatch, home, capsys)
    assert code == 0 and "take 2" in out and "Beat" in out


def test_cli_bad_file_is_a_plain_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    with Studio(StudioPaths(home)) as s:
        s.new_song("My song")
    text = tmp_path / "lyrics.wav"
    text.write_text("words, not sound\n" * 50)
    code, out, err = run_cli(["import", "My song", str(text), "--track", "Beat", "--json"],
                             monkeypatch, home, capsys)
    assert code == 2
    assert "lyrics.wav" in json.loads(out)["error_en"]
    assert "not a sound file" in err and "Traceback" not in err
    code, _, err = run_cli(["import", "Other", str(VIBE_ACE), "--track", "Beat"],
                           monkeypatch, home, capsys)
    assert code == 2 and "Other" in err
    with Studio(StudioPaths(home)) as s:
        assert s.takes() == []


# -- a member's song: gated like recording ----------------------------------------------------


def test_a_members_song_needs_staff_and_consent(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from studio.core.consent import Purpose
    from studio.core.i18n import Refused
    from studio.core.people import Role
    from studio.services import audit, consent, people
    from studio.services.access import sign_in

    monkeypatch.setenv("STUDIO_FAST_HASH", "1")
    with Studio(StudioPaths(tmp_path / "home")) as studio:
        people.add_staff(studio, None, "Admin", Role.ADMIN, "admin-passphrase")
        admin = sign_in(studio, "Admin", "admin-passphrase")
        people.add_staff(studio, admin, "Lea", Role.LEADER, "4711")
        leader = sign_in(studio, "Lea", "4711")
        people.add_member(studio, leader, "MC Nord")
        song = people.set_artist(studio, leader, studio.new_song("Song"), "MC Nord")
        source = tone_file(tmp_path, "beat.wav")

        with pytest.raises(Refused):  # nobody signed in
            import_audio(studio, "Song", source, "Beat")
        with pytest.raises(Refused):  # no consent to keep recordings yet
            import_audio(studio, "Song", source, "Beat", actor=leader)
        assert_nothing_left(studio)

        consent.grant(studio, leader, "MC Nord", Purpose.KEEP, witness="Admin",
                      keep_until="2099-01-01")
        result = import_audio(studio, "Song", source, "Beat", actor=leader)
        take = studio.catalog.take(result.take_id)
        assert take.member_id == song.member_id  # the member's material: erasure finds it
        (entry,) = [e for e in audit.entries(studio, admin) if e.action == "import"]
        assert (entry.actor, entry.object, entry.member_id) == ("Lea", f"song:{song.id}",
                                                                song.member_id)
        assert "beat.wav" not in entry.detail


def test_cli_members_song_without_sign_in_is_refused(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from studio.core.people import Role
    from studio.services import people
    from studio.services.access import sign_in

    monkeypatch.setenv("STUDIO_FAST_HASH", "1")
    home = tmp_path / "home"
    with Studio(StudioPaths(home)) as s:
        people.add_staff(s, None, "Admin", Role.ADMIN, "admin-passphrase")
        admin = sign_in(s, "Admin", "admin-passphrase")
        people.add_staff(s, admin, "Lea", Role.LEADER, "4711")
        leader = sign_in(s, "Lea", "4711")
        people.add_member(s, leader, "MC Nord")
        people.set_artist(s, leader, s.new_song("My song"), "MC Nord")
    code, _, err = run_cli(["import", "My song", str(VIBE_ACE), "--track", "Beat"],
                           monkeypatch, home, capsys)
    assert code == 3 and "MC Nord" in err
    with Studio(StudioPaths(home)) as s:
        assert s.takes() == []
