"""A really full (small) filesystem under the studio's data folder, and the reserve check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile as sf

from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

SR = 48000


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_recording_stops_cleanly_when_the_disk_fills(small_disk: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_DISK_RESERVE_MB", "0")
    monkeypatch.setenv("STUDIO_DISK_WARN_MB", "0")
    monkeypatch.setenv("STUDIO_DISK_STOP_MB", "1")
    with Studio(StudioPaths(small_disk)) as studio:
        studio.new_song("Full", tempo_bpm=90)
        request = RecordRequest(song="Full", tracks=[TrackInput("vocal", (1,))], seconds=120,
                                device="practice", practice_speed=20.0)
        result = Recording(studio, request).run()
        (take,) = result.takes
        assert take.state == "interrupted"
        # warned while there was still room, then stopped at the floor, in plain words
        assert any("nearly full" in m or "snart full" in m for m in result.messages)
        assert any("stopped" in m or "stoppet" in m for m in result.messages), result.messages
        assert 0 < take.frames < 120 * SR
        data, _ = sf.read(take.path, dtype="float32")
        assert len(data) == take.frames  # everything before the error is readable
        assert abs(data).max() > 0.05
        assert studio.catalog.take(take.id).state == "interrupted"
        assert not list(Path(take.path).parent.glob("*.pending"))


def test_refuses_to_start_below_the_reserve(tmp_path: Path) -> None:
    env = dict(os.environ, STUDIO_HOME=str(tmp_path), STUDIO_LANG="en",
               STUDIO_DISK_RESERVE_MB=str(10**9))
    run = [sys.executable, "-m", "studio"]
    subprocess.run([*run, "song", "new", "S"], env=env, check=True, capture_output=True)
    done = subprocess.run([*run, "record", "--song", "S", "--track", "v", "--seconds", "1",
                           "--device", "practice", "--json"], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert "too little disk space" in done.stderr
    assert json.loads(done.stdout)["error_en"].startswith("There is too little disk space")
    listed = subprocess.run([*run, "takes", "list", "--json"], env=env, capture_output=True,
                            text=True)
    assert json.loads(listed.stdout)["takes"] == []  # nothing half-started


def test_a_truly_full_disk_keeps_the_take_for_recovery(small_disk: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No floor: the filesystem really fills, even the catalog cannot commit. The take file is
    finalised and readable, the member hears it in plain words, and the take is adopted once
    there is room again."""
    monkeypatch.setenv("STUDIO_DISK_RESERVE_MB", "0")
    monkeypatch.setenv("STUDIO_DISK_WARN_MB", "0")
    monkeypatch.setenv("STUDIO_DISK_STOP_MB", "0")
    with Studio(StudioPaths(small_disk)) as studio:
        studio.new_song("Full", tempo_bpm=90)
        request = RecordRequest(song="Full", tracks=[TrackInput("vocal", (1,))], seconds=120,
                                device="practice", practice_speed=20.0)
        result = Recording(studio, request).run()
    (take,) = result.takes
    assert take.frames > 0
    data, _ = sf.read(take.path, dtype="float32")
    assert len(data) >= take.frames - 1
    subprocess.run(["mount", "-o", "remount,size=32m", str(small_disk)], check=True)
    with Studio(StudioPaths(small_disk)) as studio:
        if take.state == "recording":  # the catalog was full too
            (recovered,) = studio.recover_takes()
            assert recovered.take.state == "recovered"
            assert recovered.take.frames >= take.frames - 1
        else:
            assert studio.catalog.take(take.id).state == "interrupted"
