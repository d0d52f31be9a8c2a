"""Real faults: kill -9 of the engine host mid-take, kill -9 of the CLI process mid-take."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from studio.audio.protocol import Status
from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.store.layout import StudioPaths
from tests.faults.background import BackgroundRecording

SR = 48000


def wait_for(cond: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_kill_engine_host_mid_take_keeps_the_audio(tmp_path: Path) -> None:
    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Crash", tempo_bpm=90)
        recording = Recording(studio, RecordRequest(
            song="Crash", tracks=[TrackInput("vocal", (1,))], seconds=60, device="practice"))
        background = BackgroundRecording(recording)
        sup = background.wait_until_recorded(SR)
        assert sup.engine_proc is not None
        heard = sup.status(Status.SONG_FRAME)
        os.kill(sup.engine_proc.pid, signal.SIGKILL)
        result = background.finish()
        (take,) = result.takes
        assert take.state == "interrupted"
        assert result.messages  # the user is told, in plain words
        assert take.frames >= heard - 0.25 * SR  # at most a quarter second lost
        data, _ = sf.read(take.path, dtype="float32")
        assert len(data) == take.frames


def test_kill_the_cli_mid_take_then_recover(tmp_path: Path) -> None:
    env = dict(os.environ, STUDIO_HOME=str(tmp_path), STUDIO_LANG="en")
    run = [sys.executable, "-m", "studio"]
    subprocess.run([*run, "song", "new", "Crash"], env=env, check=True, capture_output=True)
    cli = subprocess.Popen([*run, "record", "--song", "Crash", "--track", "vocal",
                            "--seconds", "60", "--device", "practice"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    takes = tmp_path / "takes"
    wait_for(lambda: any(p.suffix == ".wav" and p.stat().st_size > 3 * SR * 2
                         for p in takes.rglob("*.wav")))  # at least ~2 s on disk
    children = _children_of(cli.pid)
    assert len(children) == 2  # the engine host and the disk worker
    os.kill(cli.pid, signal.SIGKILL)
    cli.wait()
    # the engine host and the disk worker notice and end the take on their own
    wait_for(lambda: not any(_alive(pid) for pid in children), timeout=30)
    out = subprocess.run([*run, "takes", "recover", "--json"], env=env, capture_output=True,
                         text=True, check=True)
    (recovered,) = json.loads(out.stdout)["recovered"]
    assert recovered["frames"] >= 2 * SR - SR // 4
    data, _ = sf.read(recovered["path"], dtype="float32")
    assert len(data) == recovered["frames"] and abs(data).max() > 0.05
    listed = json.loads(subprocess.run([*run, "takes", "list", "--json"], env=env,
                                       capture_output=True, text=True).stdout)["takes"]
    assert [t["state"] for t in listed] == ["recovered"]
    # nothing is recovered twice, and nothing was deleted
    again = json.loads(subprocess.run([*run, "takes", "recover", "--json"], env=env,
                                      capture_output=True, text=True).stdout)
    assert again["recovered"] == []
    assert Path(recovered["path"]).exists()


def _children_of(parent_pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent_pid:
            found.append(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it has finished its work)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


pytestmark = pytest.mark.slow
