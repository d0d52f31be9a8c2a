from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from studio.audio import take_file
from studio.audio.take_file import (
    DiskFull,
    TakeFile,
    TakeRepairError,
    TakeResult,
    TakeWriteError,
    repair_take,
)

RATE = 48000
LSB_24 = 2.0**-23  # one step of 24-bit PCM; rounding stays within it
REPO = Path(__file__).resolve().parents[2]
Audio = npt.NDArray[np.float32]


def signal_block(start: int, frames: int, channels: int = 2) -> Audio:
    """A deterministic test signal: frame ``n`` of channel ``c`` depends only on ``n`` and ``c``."""
    n = np.arange(start, start + frames, dtype=np.float64)[:, None]
    c = np.arange(channels, dtype=np.float64)[None, :]
    return (0.8 * np.sin(2 * np.pi * (n * (220.0 + 110.0 * c)) / RATE)).astype(np.float32)


def read_all(path: Path) -> Audio:
    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    assert rate == RATE
    return data  # type: ignore[no-any-return]


def assert_same_audio(actual: Audio, expected: Audio) -> None:
    assert actual.shape == expected.shape
    assert float(np.max(np.abs(actual - expected), initial=0.0)) <= LSB_24


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def data_offset(path: Path, frames: int, channels: int) -> int:
    return path.stat().st_size - frames * 3 * channels


# -- writing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 2])
def test_write_close_and_read_back_sample_exact(tmp_path: Path, channels: int) -> None:
    path = tmp_path / "take.wav"
    take = TakeFile.create(path, RATE, channels)
    take.write(signal_block(0, 4096, channels))
    take.write(signal_block(4096, 1000, channels))
    take.write_silence(20001)
    take.write(signal_block(25097, 3, channels))
    assert take.frames == 25100
    result = take.close()

    assert result == TakeResult(frames=25100, sha256=sha256(path))
    assert take.close() == result  # closing again changes nothing
    info = soundfile.info(str(path))
    assert (info.samplerate, info.channels, info.frames) == (RATE, channels, 25100)
    assert info.subtype == "PCM_24"
    data = read_all(path)
    assert_same_audio(data[:5096], signal_block(0, 5096, channels))
    assert not data[5096:25097].any()
    assert_same_audio(data[25097:], signal_block(25097, 3, channels))


def test_a_small_take_is_a_plain_riff_wave_file(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    with TakeFile.create(path, RATE, 2) as take:
        take.write(signal_block(0, 100))
    head = path.read_bytes()[:12]
    assert head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    assert int.from_bytes(head[4:8], "little") == path.stat().st_size - 8


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        TakeFile.create(path, RATE, 1)
    assert path.read_bytes() == b"precious"


def test_blocks_must_be_float32_frames_by_channels(tmp_path: Path) -> None:
    take = TakeFile.create(tmp_path / "take.wav", RATE, 2)
    with pytest.raises(TypeError):
        take.write(signal_block(0, 10).astype(np.float64))
    with pytest.raises(TypeError):
        take.write(signal_block(0, 10)[:, 0])
    with pytest.raises(ValueError):
        take.write(signal_block(0, 10, channels=1))
    take.write(np.zeros((0, 2), dtype=np.float32))
    assert take.close().frames == 0


def test_sync_if_due_keeps_its_cadence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    take = TakeFile.create(tmp_path / "take.wav", RATE, 1)
    syncs: list[int] = []
    real_sync = take.sync

    def counting_sync() -> None:
        syncs.append(take.frames)
        real_sync()

    monkeypatch.setattr(take, "sync", counting_sync)
    assert take.sync_if_due(100.0) is True  # the first call syncs
    assert take.sync_if_due(100.5) is False
    assert take.sync_if_due(101.0) is True
    assert take.sync_if_due(101.2, every=0.25) is False
    assert take.sync_if_due(101.25, every=0.25) is True
    assert len(syncs) == 3
    take.close()


def test_a_synced_file_is_readable_while_recording_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    take = TakeFile.create(path, RATE, 2)
    take.write(signal_block(0, 3000))
    take.sync()
    assert soundfile.info(str(path)).frames == 3000
    assert_same_audio(read_all(path), signal_block(0, 3000))
    take.close()


# -- crashes ----------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.audio.test_take_file import signal_block
    from studio.audio.take_file import TakeFile

    path, synced, unsynced = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    take = TakeFile.create(path, 48000, 2)
    take.write(signal_block(0, synced))
    take.sync()
    take.write(signal_block(synced, unsynced))
    print("ready", flush=True)
    sys.stdin.read()  # wait here until killed
    """
)


@pytest.mark.parametrize(("synced", "unsynced"), [(24000, 9000), (0, 5000), (4096, 0)])
def test_a_killed_writer_leaves_a_repairable_take(
    tmp_path: Path, synced: int, unsynced: int
) -> None:
    path = tmp_path / "take.wav"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(synced), str(unsynced)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO,
        env=env,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    result = repair_take(path)

    # The promise is "everything synced"; a process crash keeps even the unsynced frames,
    # because libsndfile wrote them to the kernel before the kill.
    assert result.frames >= synced
    assert result.frames == synced + unsynced
    assert result.sha256 == sha256(path)
    assert_same_audio(read_all(path), signal_block(0, synced + unsynced))


def _crash_copy(tmp_path: Path, synced: int, unsynced: int, torn_bytes: bytes = b"") -> Path:
    """The bytes a crash would leave: a snapshot of an open take file, plus a torn frame."""
    path = tmp_path / "live.wav"
    take = TakeFile.create(path, RATE, 2)
    take.write(signal_block(0, synced))
    take.sync()
    take.write(signal_block(synced, unsynced))
    crashed = tmp_path / "crashed.wav"
    shutil.copyfile(path, crashed)
    take.close()
    with open(crashed, "ab") as f:
        f.write(torn_bytes)
    return crashed


def test_a_torn_last_frame_is_left_out_and_not_deleted(tmp_path: Path) -> None:
    crashed = _crash_copy(tmp_path, 2000, 700, torn_bytes=b"\x01\x02\x03\x04")
    size = crashed.stat().st_size
    result = repair_take(crashed)
    assert result.frames == 2700
    assert crashed.stat().st_size == size  # nothing cut off
    assert_same_audio(read_all(crashed), signal_block(0, 2700))


def test_a_truncated_file_keeps_its_whole_frames(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    with TakeFile.create(path, RATE, 2) as take:
        take.write(signal_block(0, 1000))
    with open(path, "r+b") as f:  # the header says 1000 frames; the last one is cut in half
        f.truncate(path.stat().st_size - 3)
    result = repair_take(path)
    assert result.frames == 999
    assert soundfile.info(str(path)).frames == 999
    assert_same_audio(read_all(path), signal_block(0, 999))


def test_repairing_a_good_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    with TakeFile.create(path, RATE, 1) as take:
        take.write(signal_block(0, 777, channels=1))  # odd size: a pad byte follows the data
    before = path.read_bytes()
    assert repair_take(path) == TakeResult(777, sha256(path))
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_take_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "take.wav"
    path.write_bytes(b"this is not audio at all")
    with pytest.raises(TakeRepairError) as caught:
        repair_take(path)
    assert "ikke slettet" in caught.value.say("nb")
    assert "not been deleted" in caught.value.say("en")
    assert path.read_bytes() == b"this is not audio at all"


# -- a full disk ------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MiB tmpfs; the test is skipped when this system does not let us mount one."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("full-disk test: the mount command is missing")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"full-disk test: cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _write_until_it_fails(take: TakeFile, channels: int = 2) -> tuple[Audio, BaseException]:
    written: list[Audio] = []
    for i in range(100_000):
        block = signal_block(i * 4096, 4096, channels)
        written.append(block)
        try:
            take.write(block)
        except (DiskFull, TakeWriteError) as error:
            return np.concatenate(written), error
    raise AssertionError("the disk never ran full")


def _assert_finalised(path: Path, take: TakeFile, sent: Audio, error: BaseException) -> None:
    assert isinstance(error, (DiskFull, TakeWriteError))
    result = error.result
    assert result is not None
    assert take.close() == result  # close() after the failure hands back the same result
    assert take.frames == result.frames
    assert result.sha256 == sha256(path)
    assert soundfile.info(str(path)).frames == result.frames
    assert_same_audio(read_all(path), sent[: result.frames])


def test_a_really_full_disk_stops_the_take_with_everything_kept(small_disk: Path) -> None:
    path = small_disk / "take.wav"
    take = TakeFile.create(path, RATE, 2)
    sent, error = _write_until_it_fails(take)

    assert isinstance(error, DiskFull)
    assert isinstance(error.__cause__, soundfile.LibsndfileError)  # what soundfile raises
    fully_written = len(sent) - 4096
    assert error.result is not None and error.result.frames >= fully_written
    _assert_finalised(path, take, sent, error)
    assert "Disken er full" in error.say("nb") and "disk is full" in error.say("en")
    with pytest.raises(RuntimeError):
        take.write(signal_block(0, 10))


def test_a_full_disk_at_the_start_is_a_plain_error(small_disk: Path) -> None:
    with open(small_disk / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    with pytest.raises(DiskFull):
        TakeFile.create(small_disk / "take.wav", RATE, 2)


def _fail_on_third_call(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    calls = [0]
    real = take_file._sf_write

    def faulty(handle: Any, block: Audio) -> None:
        calls[0] += 1
        if calls[0] == 3:
            real(handle, block[:1000])  # part of the block lands, as with a real full disk
            raise OSError(code, os.strerror(code))
        real(handle, block)

    monkeypatch.setattr(take_file, "_sf_write", faulty)


def test_an_injected_enospc_gives_the_same_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_third_call(monkeypatch, errno.ENOSPC)
    path = tmp_path / "take.wav"
    take = TakeFile.create(path, RATE, 2)
    sent, error = _write_until_it_fails(take)
    assert isinstance(error, DiskFull)
    assert error.result is not None and error.result.frames == 2 * 4096 + 1000
    _assert_finalised(path, take, sent, error)


def test_another_write_error_is_a_take_write_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_on_third_call(monkeypatch, errno.EIO)
    path = tmp_path / "take.wav"
    take = TakeFile.create(path, RATE, 2)
    sent, error = _write_until_it_fails(take)
    assert type(error) is TakeWriteError
    assert error.result is not None and error.result.frames == 2 * 4096 + 1000
    _assert_finalised(path, take, sent, error)


def test_a_failing_fsync_during_sync_finalises_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "take.wav"
    take = TakeFile.create(path, RATE, 1)
    take.write(signal_block(0, 5000, channels=1))
    real_fsync = os.fsync
    failed = [False]

    def fsync(fd: int) -> None:
        if not failed[0]:
            failed[0] = True
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(DiskFull) as caught:
        take.sync()
    assert caught.value.result is not None and caught.value.result.frames == 5000
    assert_same_audio(read_all(path), signal_block(0, 5000, channels=1))


# -- past 4 GiB -------------------------------------------------------------------------------

FOUR_GIB = 1 << 32


@pytest.mark.slow
def test_past_4_gib_the_take_becomes_rf64(tmp_path: Path) -> None:
    """A sparse file: seek our descriptor past 4 GiB and write there (the hole reads as silence).

    Checks libsndfile's own RIFF → RF64 switch and repair of a crash that happened after the
    file grew past 4 GiB but before the header followed.
    """
    if shutil.disk_usage(tmp_path).free < 2 * FOUR_GIB:
        pytest.skip("needs room for a 4 GiB file in case the file system cannot make holes")
    path = tmp_path / "big.wav"
    take = TakeFile.create(path, RATE, 2)
    take.write(signal_block(0, 1000))
    take.sync()
    assert path.read_bytes()[:4] == b"RIFF"
    offset = data_offset(path, 1000, 2)
    far = offset + 6 * ((FOUR_GIB + (1 << 20)) // 6)
    os.lseek(take._fd, far, os.SEEK_SET)
    take.write(signal_block(0, 1000))
    total = (far - offset) // 6 + 1000

    # a crash now leaves a RIFF header whose sizes cannot describe the file
    result = repair_take(path)
    assert result.frames == total
    with open(path, "rb") as f:
        assert f.read(16) == b"RF64\xff\xff\xff\xffWAVEds64"
    info = soundfile.info(str(path))
    assert (info.format, info.frames) == ("RF64", total)
    with soundfile.SoundFile(str(path)) as f:
        assert_same_audio(f.read(1000, dtype="float32"), signal_block(0, 1000))
        f.seek(total - 1000)
        assert_same_audio(f.read(1000, dtype="float32"), signal_block(0, 1000))

    take.sync()  # libsndfile's own header update now picks RF64 by itself
    with open(path, "rb") as f:
        assert f.read(16) == b"RF64\xff\xff\xff\xffWAVEds64"
    assert soundfile.info(str(path)).frames == total
    take.close()
    assert soundfile.info(str(path)).format == "RF64"
