from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from studio.core.i18n import StudioError
from studio.core.song import Gap
from studio.store.catalog import Catalog
from studio.store.migrations import (
    MIGRATIONS,
    latest_version,
    migrate,
    split_statements,
    user_version,
)

TABLES = {"songs", "tracks", "takes", "take_gaps", "clips", "device_calibrations"}


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog.open(tmp_path / "catalog.sqlite3") as opened:
        yield opened


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


def _plain(error: StudioError) -> tuple[str, str]:
    nb, en = error.say("nb"), error.say("en")
    for text in (nb, en):
        assert "constraint" not in text.lower() and "sqlite" not in text.lower()
    return nb, en


# -- schema -----------------------------------------------------------------------------------


def test_migrations_run_from_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "catalog.sqlite3"
    with Catalog.open(path) as catalog:
        assert catalog.schema_version == latest_version() >= 1
    assert TABLES <= _tables(path)


def test_pragmas_are_really_set(catalog: Catalog) -> None:
    assert str(catalog.pragma("journal_mode")).lower() == "wal"
    assert catalog.pragma("synchronous") == 2  # FULL
    assert catalog.pragma("foreign_keys") == 1
    assert catalog.pragma("busy_timeout") >= 1000
    with pytest.raises(ValueError):
        catalog.pragma("journal_mode; DROP TABLE songs")


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with Catalog.open(path) as catalog:
        song = catalog.create_song("Håp", tempo_bpm=92.5)
        track = catalog.create_track(song.id, "Vokal", channels=2)
        catalog.set_calibration("usb:scarlett", 48000, 128, 611)
    with Catalog.open(path) as catalog:
        assert catalog.songs() == [song]
        assert catalog.tracks(song.id) == [track]
        assert catalog.calibration("usb:scarlett", 48000, 128) == 611
        assert catalog.schema_version == latest_version()


def test_a_new_migration_is_applied_once_on_top(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    Catalog.open(path).close()
    extended = (
        *MIGRATIONS,
        (latest_version() + 1, "CREATE TABLE people (id INTEGER PRIMARY KEY);"),
    )
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(conn, extended) == latest_version() + 1
        assert migrate(conn, extended) == latest_version() + 1  # nothing left to do
    finally:
        conn.close()
    assert "people" in _tables(path)


def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    Catalog.open(path).close()
    broken = (
        *MIGRATIONS,
        (latest_version() + 1, "CREATE TABLE half_done (x); CREATE TABLE songs (x);"),
    )
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn, broken)
        assert user_version(conn) == latest_version()
        assert not conn.in_transaction
    finally:
        conn.close()
    assert "half_done" not in _tables(path)


def test_split_statements_keeps_triggers_whole() -> None:
    script = """
        CREATE TABLE a (x);
        CREATE TRIGGER no_edit BEFORE UPDATE ON a BEGIN SELECT RAISE(ABORT, 'no'); END;
        CREATE TABLE b (y);
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_migrations_are_numbered_in_order() -> None:
    numbers = [number for number, _ in MIGRATIONS]
    assert numbers == list(range(1, len(numbers) + 1))


# -- songs and tracks -------------------------------------------------------------------------


def test_songs(catalog: Catalog) -> None:
    song = catalog.create_song("Min første sang", samplerate=44100, tempo_bpm=88.0)
    assert song.name == "Min første sang" and song.samplerate == 44100
    assert (song.beats_per_bar, song.beat_unit) == (4, 4)
    assert datetime.fromisoformat(song.created_at).tzinfo == UTC
    assert catalog.song(song.id) == song
    assert catalog.song_by_name("MIN FØRSTE SANG") == song
    assert catalog.song_by_name("Ukjent") is None
    other = catalog.create_song("Andre")
    assert catalog.songs() == [song, other]


def test_duplicate_song_names_are_refused_in_plain_words(catalog: Catalog) -> None:
    catalog.create_song("Ærlig talt")
    with pytest.raises(StudioError) as caught:
        catalog.create_song("  ærlig TALT ")
    nb, en = _plain(caught.value)
    assert "finnes allerede" in nb and "«ærlig TALT»" in nb
    assert "already a song" in en
    assert len(catalog.songs()) == 1


def test_unknown_things_are_plain_errors(catalog: Catalog) -> None:
    for call in (
        lambda: catalog.song(99),
        lambda: catalog.track(99),
        lambda: catalog.take(99),
        lambda: catalog.create_track(99, "Vokal"),
    ):
        with pytest.raises(StudioError) as caught:
            call()
        nb, en = _plain(caught.value)
        assert "Fant ikke" in nb and "Could not find" in en


def test_bad_song_settings_are_plain_errors(catalog: Catalog) -> None:
    for kwargs in ({"tempo_bpm": 0.0}, {"samplerate": 0}, {"beat_unit": 3}):
        with pytest.raises(StudioError):
            catalog.create_song("x", **kwargs)
    with pytest.raises(StudioError):
        catalog.create_song("   ")
    assert catalog.songs() == []


def test_tracks(catalog: Catalog) -> None:
    song = catalog.create_song("Sang")
    vocal = catalog.create_track(song.id, "Vokal")
    beat = catalog.create_track(song.id, "Beat", kind="beat", channels=2)
    assert (vocal.order, beat.order) == (0, 1)
    assert (vocal.kind, vocal.channels, vocal.muted, vocal.gain_db) == ("audio", 1, False, 0.0)
    assert catalog.tracks(song.id) == [vocal, beat]
    assert catalog.track(beat.id) == beat
    assert catalog.track_by_name(song.id, "VOKAL") == vocal
    assert catalog.track_by_name(song.id, "Gitar") is None
    assert catalog.ensure_track(song.id, "vokal") == vocal
    guitar = catalog.ensure_track(song.id, "Gitar", channels=2)
    assert guitar.channels == 2 and guitar.order == 2
    # the same track name is fine in another song
    other = catalog.create_song("Annen")
    assert catalog.create_track(other.id, "Vokal").song_id == other.id


def test_duplicate_and_bad_tracks_are_refused(catalog: Catalog) -> None:
    song = catalog.create_song("Sang")
    catalog.create_track(song.id, "Vokal")
    with pytest.raises(StudioError) as caught:
        catalog.create_track(song.id, "vokal")
    nb, en = _plain(caught.value)
    assert "allerede" in nb and "already" in en
    with pytest.raises(StudioError):
        catalog.create_track(song.id, "Stereo?", channels=3)
    with pytest.raises(StudioError):
        catalog.create_track(song.id, "Rar", kind="midi")  # type: ignore[arg-type]
    assert len(catalog.tracks(song.id)) == 1


# -- takes ------------------------------------------------------------------------------------


def _song_and_track(catalog: Catalog) -> tuple[int, int]:
    song = catalog.create_song("Sang")
    track = catalog.create_track(song.id, "Vokal")
    return song.id, track.id


def _begin(catalog: Catalog, song_id: int, track_id: int, name: str) -> int:
    take = catalog.begin_take(
        song_id, track_id, f"takes/song-{song_id}/{name}.wav", 48000, 1, "usb:mic", 256
    )
    return take.id


def test_the_life_of_a_take(catalog: Catalog) -> None:
    song_id, track_id = _song_and_track(catalog)
    take = catalog.begin_take(song_id, track_id, "takes/song-1/a.wav", 48000, 1, "usb:mic", 256)
    assert take.state == "recording" and take.frames == 0 and take.sha256 is None
    assert (take.latency_frames, take.device, take.finished_at) == (256, "usb:mic", None)
    assert catalog.pending_takes() == [take]

    gaps = [Gap(at_frame=4800, frames=128), Gap(at_frame=96000, frames=256)]
    done = catalog.finish_take(
        take.id, frames=480000, sha256="ab" * 32, song_position_frames=-256, gaps=gaps
    )
    assert done.state == "complete" and done.frames == 480000 and done.sha256 == "ab" * 32
    assert done.song_position_frames == -256 and done.gaps == tuple(gaps)
    assert done.finished_at is not None
    assert catalog.take(take.id) == done
    assert catalog.pending_takes() == []
    assert catalog.takes(song_id=song_id) == [done]
    assert catalog.takes(track_id=track_id, state="complete") == [done]
    assert catalog.takes(state="recording") == []

    with pytest.raises(StudioError):  # a finished take stays finished
        catalog.finish_take(take.id, frames=1, sha256="x", song_position_frames=0, gaps=[])


def test_interrupted_recovered_and_discarded_takes(catalog: Catalog) -> None:
    song_id, track_id = _song_and_track(catalog)
    cut, crashed, empty = (_begin(catalog, song_id, track_id, n) for n in ("a", "b", "c"))

    interrupted = catalog.finish_take(
        cut, frames=100, sha256="cd" * 32, song_position_frames=0, gaps=[], state="interrupted"
    )
    assert interrupted.state == "interrupted"
    recovered = catalog.mark_recovered(crashed, frames=2000, sha256="ef" * 32)
    assert recovered.state == "recovered" and recovered.frames == 2000
    catalog.discard_take(empty)
    with pytest.raises(StudioError):
        catalog.take(empty)
    assert [t.state for t in catalog.takes(song_id=song_id)] == ["interrupted", "recovered"]
    with pytest.raises(StudioError):  # only takes that never finished can be discarded
        catalog.discard_take(crashed)
    with pytest.raises(StudioError):
        catalog.mark_recovered(cut, frames=1, sha256="x")


def test_a_take_file_path_is_used_once(catalog: Catalog) -> None:
    song_id, track_id = _song_and_track(catalog)
    _begin(catalog, song_id, track_id, "same")
    with pytest.raises(StudioError):
        _begin(catalog, song_id, track_id, "same")


def test_a_take_must_be_on_a_track_of_its_song(catalog: Catalog) -> None:
    _, track_id = _song_and_track(catalog)
    other = catalog.create_song("Annen")
    with pytest.raises(StudioError):
        _begin(catalog, other.id, track_id, "x")


def test_a_write_that_fails_midway_leaves_nothing_behind(catalog: Catalog) -> None:
    song_id, track_id = _song_and_track(catalog)
    take_id = _begin(catalog, song_id, track_id, "a")
    # the take row is updated and the first gap inserted before the second gap fails
    with pytest.raises(StudioError):
        catalog.finish_take(
            take_id,
            frames=1000,
            sha256="ab" * 32,
            song_position_frames=0,
            gaps=[Gap(10, 5), Gap(20, 0)],
        )
    take = catalog.take(take_id)
    assert take.state == "recording" and take.frames == 0 and take.gaps == ()

    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO songs (name, name_key, samplerate, tempo_bpm, beats_per_bar, beat_unit,"
            " created_at) VALUES ('Halv', 'halv', 48000, 90, 4, 4, 'now')"
        )
        raise RuntimeError("power cut in the middle")

    with pytest.raises(RuntimeError):
        catalog.write(half_then_fail)
    assert catalog.song_by_name("Halv") is None
    catalog.create_song("Etterpå")  # the connection is fine afterwards


# -- clips and calibrations -------------------------------------------------------------------


def test_clips(catalog: Catalog) -> None:
    song_id, track_id = _song_and_track(catalog)
    take_id = _begin(catalog, song_id, track_id, "a")
    late = catalog.add_clip(track_id, take_id, 96000, 0, 48000, gain_db=-3.0, fade_in_frames=64)
    early = catalog.add_clip(track_id, take_id, 0, 480, 4800)
    assert catalog.clips(track_id) == [early, late]
    assert (late.gain_db, late.fade_in_frames, late.fade_out_frames) == (-3.0, 64, 0)
    with pytest.raises(StudioError):
        catalog.add_clip(track_id, take_id, 0, 0, 0)


def test_calibrations(catalog: Catalog) -> None:
    assert catalog.calibration("jack:dummy", 48000, 128) is None
    catalog.set_calibration("jack:dummy", 48000, 128, 256)
    catalog.set_calibration("jack:dummy", 48000, 256, 512)
    catalog.set_calibration("jack:dummy", 48000, 128, 260)  # measured again: replaces
    assert catalog.calibration("jack:dummy", 48000, 128) == 260
    assert catalog.calibration("jack:dummy", 48000, 256) == 512
    assert catalog.calibration("jack:dummy", 44100, 128) is None


# -- concurrency ------------------------------------------------------------------------------

WORKERS = 4
INSERTS = 50


def _insert_from_another_process(path: str, worker: int, barrier: Any) -> None:
    barrier.wait()  # all open the (fresh) catalog and write at the same moment
    with Catalog.open(Path(path)) as catalog:
        song = catalog.create_song(f"prosess {worker}")
        for i in range(INSERTS - 1):
            catalog.create_track(song.id, f"spor {i}")


def test_several_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    processes = [
        context.Process(target=_insert_from_another_process, args=(str(path), n, barrier))
        for n in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    assert [p.exitcode for p in processes] == [0] * WORKERS
    with Catalog.open(path) as catalog:
        songs = catalog.songs()
        assert sorted(s.name for s in songs) == [f"prosess {n}" for n in range(WORKERS)]
        for song in songs:
            assert [t.order for t in catalog.tracks(song.id)] == list(range(INSERTS - 1))


def test_several_threads_share_one_catalog(catalog: Catalog) -> None:
    song = catalog.create_song("Tråder")
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(INSERTS):
                catalog.create_track(song.id, f"t{worker}-{i}")
                catalog.tracks(song.id)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(catalog.tracks(song.id)) == WORKERS * INSERTS


def test_a_closed_catalog_says_so(tmp_path: Path) -> None:
    catalog = Catalog.open(tmp_path / "c.sqlite3")
    catalog.close()
    catalog.close()
    with pytest.raises(StudioError):
        catalog.songs()


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_locked_catalog_is_retried_not_shown(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import studio.store.catalog as catalog_module

    catalog.read(lambda conn: conn.execute("PRAGMA busy_timeout = 0"))  # fail fast, then retry
    locked_once = threading.Event()
    real_is_busy = catalog_module._is_busy

    def is_busy(error: sqlite3.OperationalError) -> bool:
        locked_once.set()
        return real_is_busy(error)

    monkeypatch.setattr(catalog_module, "_is_busy", is_busy)
    other = _hold_write_lock(catalog.path)
    errors: list[BaseException] = []

    def create() -> None:
        try:
            catalog.create_song("Venter")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    writer = threading.Thread(target=create)
    writer.start()
    assert locked_once.wait(60)
    other.execute("COMMIT")
    other.close()
    writer.join()
    assert errors == []
    assert catalog.song_by_name("Venter") is not None


def test_a_catalog_locked_for_too_long_says_so_in_plain_words(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import studio.store.catalog as catalog_module

    catalog.read(lambda conn: conn.execute("PRAGMA busy_timeout = 0"))
    monkeypatch.setattr(catalog_module, "RETRY_DEADLINE_S", 0.0)
    other = _hold_write_lock(catalog.path)
    try:
        with pytest.raises(StudioError) as caught:
            catalog.create_song("Aldri")
    finally:
        other.execute("ROLLBACK")
        other.close()
    nb, en = _plain(caught.value)
    assert "opptatt" in nb and "busy" in en and "locked" not in en
    assert catalog.song_by_name("Aldri") is None


def test_a_beat_track_keeps_its_document_and_it_is_part_of_the_version(tmp_path: Path) -> None:
    from studio.store.song_content import current_version

    with Catalog.open(tmp_path / "c.sqlite3") as catalog:
        song = catalog.create_song("Beat song")
        before = catalog.read(lambda c: current_version(c, song.id))
        track = catalog.set_beat(song.id, "beat", 'name = "x"\n', kit="synth")
        assert track.kind == "beat" and track.channels == 2
        assert catalog.beat_of(track.id) == ('name = "x"\n', "synth")
        with_beat = catalog.read(lambda c: current_version(c, song.id))
        catalog.set_beat(song.id, "beat", 'name = "y"\n')
        changed = catalog.read(lambda c: current_version(c, song.id))
        assert len({before, with_beat, changed}) == 3
        audio = catalog.ensure_track(song.id, "vokal")
        assert catalog.beat_of(audio.id) is None
        with pytest.raises(StudioError) as refused:
            catalog.set_beat(song.id, "vokal", "")
        assert "not a beat track" in refused.value.say("en")
