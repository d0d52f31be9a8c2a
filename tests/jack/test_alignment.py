"""The real PortAudio path on a JACK server of our own (dummy driver), output wired to input.

A click recorded through the loop must land on the song's beat grid after latency compensation,
to the frame, at several period sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from studio.audio.click import Metronome
from studio.audio.gain import constant_power_pan
from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

SR = 48000
TEMPO = 120.0


def loop_engine_to_itself(server: Any) -> None:
    server.wait_for_port("PortAudio:out_0", timeout=10)
    for src, dst in server.connections():
        if dst.startswith("PortAudio:in"):
            server.disconnect(src, dst)
    server.connect("PortAudio:out_0", "PortAudio:in_0")


@pytest.mark.jack
@pytest.mark.parametrize("period", [64, 128, 256])
def test_recorded_click_lines_up_with_the_beat_grid(make_jack_server: Any, tmp_path: Path,
                                                    period: int) -> None:
    server = make_jack_server(period=period, samplerate=SR, realtime=True)
    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Grid", tempo_bpm=TEMPO)
        request = RecordRequest(
            song="Grid", tracks=[TrackInput("loop", (1,))], seconds=3.0, device="system",
            click=True, start_bar=2, env=server.env(), realtime=True,
            after_start=lambda: loop_engine_to_itself(server))
        result = Recording(studio, request).run()
    (take,) = result.takes
    recorded, _ = sf.read(take.path, dtype="float32")
    # what the engine played, computed for the song frames the take says it holds
    fpb = SR * 60.0 / TEMPO
    metronome = Metronome(SR, 1, fpb, 4, 0.5)
    reference = np.zeros((len(recorded), 1), dtype=np.float32)
    metronome.mix_rt(reference, take.song_position_frames, len(recorded))
    # A busy machine can make the server miss a cycle; the take then holds marked silence
    # there and must stay aligned AFTER it (that is what gap accounting is for). Compare
    # everywhere but in the gaps, with a period of margin either side.
    valid = np.ones(len(recorded), dtype=bool)
    for gap in take.gaps:
        valid[max(gap["at_frame"] - period, 0):gap["at_frame"] + gap["frames"] + period] = False
    assert valid.mean() > 0.8, f"too much was lost to xruns: {take.gaps}, {server.xruns()}"
    lags = {lag: float(np.abs(np.roll(reference[:, 0], lag) - recorded)[valid].max())
            for lag in range(-3, 4)}
    best = min(lags, key=lambda k: lags[k])
    assert abs(best) <= 1, lags
    assert lags[best] < 1e-3
    assert np.abs(recorded).max() > 0.1  # the click really went round the loop


@pytest.mark.jack
def test_calibration_measures_the_loop_and_takes_use_it(make_jack_server: Any, tmp_path: Path
                                                         ) -> None:
    import json
    import os
    import subprocess
    import sys

    server = make_jack_server(period=256, samplerate=SR, realtime=True)
    env = server.env(dict(os.environ, STUDIO_HOME=str(tmp_path), STUDIO_LANG="en"))
    run = [sys.executable, "-m", "studio"]
    done = subprocess.run([*run, "calibrate", "--device", "system", "--jack-loopback", "--json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert measured["roundtrip_frames"] == 256  # one period over a self-connection
    assert measured["clicks_measured"] >= 3
    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Cal", tempo_bpm=TEMPO)
        request = RecordRequest(song="Cal", tracks=[TrackInput("x", (1,))], seconds=0.5,
                                device="system", env=server.env())
        (take,) = Recording(studio, request).run().takes
    assert take.latency_frames == 256


@pytest.mark.jack
def test_calibration_without_a_loop_says_so(make_jack_server: Any, tmp_path: Path) -> None:
    from studio.core.i18n import StudioError
    from studio.services.calibration import HEARD_NOTHING, calibrate

    server = make_jack_server(period=128, samplerate=SR, realtime=True)
    with Studio(StudioPaths(tmp_path)) as studio, pytest.raises(StudioError) as caught:
        calibrate(studio, "system", env=server.env(), seconds=1.5)  # nothing wired back
    assert caught.value.words == HEARD_NOTHING
    with Studio(StudioPaths(tmp_path)) as studio:
        assert studio.catalog.calibration("JACK Audio Connection Kit:system", SR, 0) is None


@pytest.mark.jack
def test_overdub_lines_up_with_what_was_played(make_jack_server: Any, tmp_path: Path) -> None:
    """Record a click, then record the loop while that take plays back: the second take must
    hold the first one at the same song frames."""
    server = make_jack_server(period=128, samplerate=SR, realtime=True)
    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Over", tempo_bpm=TEMPO)
        first = RecordRequest(
            song="Over", tracks=[TrackInput("click", (1,))], seconds=3.0, device="system",
            click=True, env=server.env(), after_start=lambda: loop_engine_to_itself(server))
        (a,) = Recording(studio, first).run().takes
        second = RecordRequest(
            song="Over", tracks=[TrackInput("copy", (1,))], seconds=2.0, start_bar=2,
            device="system", env=server.env(),
            after_start=lambda: loop_engine_to_itself(server))
        (b,) = Recording(studio, second).run().takes
    assert a.gaps == [] and b.gaps == []
    first_audio, _ = sf.read(a.path, dtype="float32")
    copy_audio, _ = sf.read(b.path, dtype="float32")
    start = b.song_position_frames - a.song_position_frames
    left, _ = constant_power_pan(0.0)  # a mono track in the middle: -3 dB on each side
    expected = first_audio[start : start + len(copy_audio)] * left
    assert np.abs(expected).max() > 0.1
    np.testing.assert_allclose(copy_audio[: len(expected)], expected, atol=1e-4)
