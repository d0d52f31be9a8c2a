"""Kill our own JACK server mid-take: the loss is seen within a second, the audio is kept, and
the engine comes back (on the practice device, since the server is gone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from studio.audio.protocol import Status
from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.services.supervisor import WATCHDOG_S
from studio.store.layout import StudioPaths
from tests.faults.background import BackgroundRecording

SR = 48000


@pytest.mark.jack
@pytest.mark.slow
def test_jack_server_killed_mid_take(make_jack_server: Any, tmp_path: Path) -> None:
    server = make_jack_server(realtime=True)
    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Lost", tempo_bpm=100)
        recording = Recording(studio, RecordRequest(
            song="Lost", tracks=[TrackInput("vocal", (1, 2))], seconds=60, device="system",
            env=server.env()))
        background = BackgroundRecording(recording)
        sup = background.wait_until_recorded(SR)
        heard = sup.status(Status.SONG_FRAME)
        server.kill()
        result = background.finish()
    (take,) = result.takes
    assert take.state == "interrupted"
    assert take.frames >= heard - SR // 4  # everything received before the loss is kept
    data, _ = sf.read(take.path, dtype="float32", always_2d=True)
    assert data.shape == (take.frames, 2)
    # seen within a second of silence (the watchdog polls every 50 ms)
    assert result.device_lost_after_s is not None
    assert result.device_lost_after_s < WATCHDOG_S + 0.1
    assert result.restarted_on == "practice"
    assert any("restarted" in m or "startet på nytt" in m for m in result.messages)


@pytest.mark.jack
@pytest.mark.slow
def test_the_console_comes_back_after_the_device_is_lost(make_jack_server: Any,
                                                          tmp_path: Path) -> None:
    import time

    from studio.services.console import Console

    server = make_jack_server(realtime=True)
    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Listen", tempo_bpm=100)
        with Console(studio, "Listen", device="system", env=server.env()) as console:
            assert not console.practice
            console.play()
            sup = console.supervisor
            assert sup is not None
            deadline = time.monotonic() + 20
            while console.playhead().song_frame < SR // 2:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            server.kill()
            deadline = time.monotonic() + 20
            while not sup.device_lost.is_set():
                assert time.monotonic() < deadline
                time.sleep(0.01)
            assert not console.rolling()  # no stale "playing" once the device is gone
            said = console.check_device()
            assert said is not None and ("practice" in said or "øvingsenheten" in said)
            assert console.practice
            console.play()  # and the studio goes on, on the practice device
            deadline = time.monotonic() + 20
            while console.playhead().song_frame < SR // 4:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            assert console.check_device() is None
