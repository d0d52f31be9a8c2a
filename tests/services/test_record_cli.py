"""`studio record` as a user runs it, on the practice device (no audio hardware needed)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import soundfile as sf

SR = 48000


def studio(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, STUDIO_HOME=str(home), STUDIO_LANG="en")
    env.pop("JACK_DEFAULT_SERVER", None)
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def test_record_on_the_practice_device(tmp_path: Path) -> None:
    assert studio(tmp_path, "song", "new", "First song", "--tempo", "92").returncode == 0
    done = studio(tmp_path, "record", "--song", "First song", "--track", "vocal",
                  "--seconds", "1.5", "--device", "practice", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (take,) = result["takes"]
    assert set(take) >= {"id", "track", "path", "frames", "samplerate", "song_position_frames",
                         "gaps"}
    assert result["practice"] is True
    assert take["frames"] == round(1.5 * SR)
    assert take["song_position_frames"] == 0
    data, rate = sf.read(take["path"], dtype="float32")
    assert rate == SR and len(data) == take["frames"]
    assert abs(data).max() > 0.05  # the practice signal, not silence
    listed = json.loads(studio(tmp_path, "takes", "list", "--json").stdout)["takes"]
    (row,) = listed
    assert row["state"] == "complete"
    assert not list(Path(take["path"]).parent.glob("*.pending"))
    digest = hashlib.sha256(Path(take["path"]).read_bytes()).hexdigest()
    from studio.store.catalog import Catalog

    with Catalog.open(tmp_path / "catalog.sqlite3") as catalog:
        assert catalog.take(take["id"]).sha256 == digest


def test_loop_recording_makes_a_take_per_pass(tmp_path: Path) -> None:
    studio(tmp_path, "song", "new", "Loop", "--tempo", "240")  # a bar is one second
    done = studio(tmp_path, "record", "--song", "Loop", "--track", "vocal", "--loop-bars", "1",
                  "--passes", "3", "--device", "practice", "--json")
    assert done.returncode == 0, done.stderr
    takes = json.loads(done.stdout)["takes"]
    assert len(takes) == 3
    assert all(t["frames"] == SR and t["song_position_frames"] == 0 for t in takes)
    states = {t["state"] for t in json.loads(studio(tmp_path, "takes", "list", "--json").stdout
                                             )["takes"]}
    assert states == {"complete"}  # the spare reservation was discarded, not left "recording"


def test_unknown_song_is_a_plain_message(tmp_path: Path) -> None:
    done = studio(tmp_path, "record", "--song", "Nope", "--track", "x", "--seconds", "1")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "no song called" in done.stderr


def test_bad_inputs_are_refused_before_anything_starts(tmp_path: Path) -> None:
    studio(tmp_path, "song", "new", "S")
    done = studio(tmp_path, "record", "--song", "S", "--track", "x", "--inputs", "5",
                  "--device", "practice")
    assert done.returncode == 2 and "Input 5 does not exist" in done.stderr


def test_several_inputs_each_to_its_own_track(tmp_path: Path) -> None:
    studio(tmp_path, "song", "new", "Band")
    done = studio(tmp_path, "record", "--song", "Band", "--track", "vocal:1",
                  "--track", "keys:1,2", "--seconds", "1", "--device", "practice", "--json")
    assert done.returncode == 0, done.stderr
    takes = {t["track"]: t for t in json.loads(done.stdout)["takes"]}
    assert set(takes) == {"vocal", "keys"}
    vocal, _ = sf.read(takes["vocal"]["path"], dtype="float32", always_2d=True)
    keys, _ = sf.read(takes["keys"]["path"], dtype="float32", always_2d=True)
    assert vocal.shape == (SR, 1) and keys.shape == (SR, 2)
    # both tracks were written from the same callbacks: sample for sample the same input 1
    assert (vocal[:, 0] == keys[:, 0]).all()
    assert not (keys[:, 0] == keys[:, 1]).all()  # input 2 is a different signal


def test_punch_in_records_only_between_the_two_points(tmp_path: Path) -> None:
    studio(tmp_path, "song", "new", "Punch")
    done = studio(tmp_path, "record", "--song", "Punch", "--track", "vocal", "--punch-in",
                  "1.0", "--punch-out", "1.5", "--pre-roll", "0.5", "--device", "practice",
                  "--json")
    assert done.returncode == 0, done.stderr
    (take,) = json.loads(done.stdout)["takes"]
    assert take["song_position_frames"] == SR
    assert take["frames"] == SR // 2


def test_a_take_left_by_a_crash_is_adopted_when_recording_starts(tmp_path: Path) -> None:
    import numpy as np

    from studio.services.recording import Recording, RecordRequest, TrackInput
    from studio.services.studio import Studio
    from studio.store.layout import StudioPaths

    with Studio(StudioPaths(tmp_path)) as studio:
        song = studio.new_song("Again")
        track = studio.catalog.ensure_track(song.id, "vocal")
        path = studio.paths.new_take_path(song.id, "vocal")
        take = studio.catalog.begin_take(song.id, track.id, studio.paths.relative(path), SR, 1,
                                         device="practice", latency_frames=0)
        sf.write(path, np.full((SR // 2, 1), 0.25, dtype=np.float32), SR, subtype="PCM_24")
        studio.paths.pending_marker(path).write_text('{"take_id": 1, "pid": 999999999}')
        result = Recording(studio, RecordRequest(
            song="Again", tracks=[TrackInput("vocal", (1,))], seconds=0.5,
            device="practice")).run()
        assert any("recovered" in m or "berget" in m for m in result.messages)
        adopted = studio.catalog.take(take.id)
        assert adopted.state == "recovered" and adopted.frames == SR // 2
        assert path.exists() and not studio.paths.pending_marker(path).exists()
