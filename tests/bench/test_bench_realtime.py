"""``studio bench realtime`` as a person runs it, plus the pieces it is built from.

The benchmark itself runs on a JACK dummy server it starts; here it runs for a few seconds and
only its shape and the round trip (exact on the dummy driver) are checked: no timed thresholds.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.audio.click import Metronome
from studio.audio.devices import portaudio_library
from studio.audio.jack_server import jack_missing_reason
from studio.services.bench.realtime import UiLoad, click_roundtrip
from studio.services.bench.report import format_table, median, percentile, percentiles, ratio

SR = 48000
KEYS = {"seconds", "blocksize", "xruns", "reference_xruns", "callback_p50", "callback_p99",
        "callback_max", "roundtrip_frames", "reference_roundtrip_frames"}


def studio(home: Path, *args: str, env: dict[str, str] | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess[str]:
    base = dict(os.environ if env is None else env, STUDIO_HOME=str(home), STUDIO_LANG="en")
    base.pop("JACK_DEFAULT_SERVER", None)
    return subprocess.run([sys.executable, "-m", "studio", *args], capture_output=True,
                          text=True, env=base, timeout=timeout)


@pytest.mark.jack
@pytest.mark.slow
def test_bench_realtime_prints_the_figures_as_json(tmp_path: Path) -> None:
    reason = jack_missing_reason()
    if reason is None and portaudio_library() is None:
        reason = "libportaudio2 is not installed"
    if reason is not None:
        pytest.skip(f"JACK test: {reason}")
    done = studio(tmp_path, "bench", "realtime", "--seconds", "3", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == KEYS
    assert result["seconds"] == 3 and result["blocksize"] == 128
    for key in ("xruns", "reference_xruns"):
        assert isinstance(result[key], int | float) and result[key] >= 0
    for key in ("callback_p50", "callback_p99", "callback_max"):
        assert isinstance(result[key], float) and result[key] > 0
    assert result["callback_p50"] <= result["callback_p99"] <= result["callback_max"]
    # one period over a self-connection, through the engine and through jack_iodelay alike
    assert result["roundtrip_frames"] == result["reference_roundtrip_frames"] == 128
    assert not list(tmp_path.iterdir())  # the benchmark keeps its studio to itself


def test_without_jack_it_says_so_plainly(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path / "nothing-here"))
    done = studio(tmp_path, "bench", "realtime", "--seconds", "1", env=env)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "needs the JACK sound server" in done.stderr


def test_bad_options_are_refused(tmp_path: Path) -> None:
    done = studio(tmp_path, "bench", "realtime", "--blocksize", "100")
    assert done.returncode == 2 and "--blocksize" in done.stderr
    assert "Traceback" not in done.stderr


# the pieces ----------------------------------------------------------------------------------
def test_click_roundtrip_finds_the_lag_of_a_recorded_click() -> None:
    fpb = SR * 60.0 / 120.0
    first = -128  # the take's position plus its latency: where the raw recording begins
    n = 5 * SR
    played = np.zeros((n + 1000, 1), dtype=np.float32)
    Metronome(SR, 1, fpb, 4, 0.5).mix_rt(played, first - 1000, n + 1000)
    for lag in (64, 128, 131, 256):
        recorded = played[1000 - lag : 1000 - lag + n].copy()
        noise = np.random.default_rng(lag).standard_normal(recorded.shape) * 0.05
        recorded += noise.astype(np.float32)
        assert click_roundtrip(recorded, first, frames_per_beat=fpb, max_lag=512) == lag
    silence = np.zeros((n, 1), dtype=np.float32)
    assert click_roundtrip(silence, first, frames_per_beat=fpb) is None


def test_statistics_and_table() -> None:
    assert median([3, 1, 2]) == 2 and median([1, 2, 3, 4]) == 2.5 and math.isnan(median([]))
    data = [float(v) for v in range(101)]
    assert percentile(data, 99) == 99.0
    assert percentiles(data, (0, 50, 100)) == [0.0, 50.0, 100.0]
    assert percentile([1.0, 2.0], 50) == 1.5
    assert ratio(2, 1) == "2.00×" and ratio(0, 0) == "=" and ratio(None, 1) == "–"
    table = format_table(["", "a", "b"], [["row one", 1, 22], ["two", 333, 4]])
    lines = table.splitlines()
    assert len(lines) == 4 and lines[2].startswith("row one") and lines[3].endswith("  4")


def test_ui_load_runs_python_and_c_calls_and_the_collector() -> None:
    load = UiLoad(pause_s=0.0)
    before = load.counts()
    load.start()
    try:
        import time

        deadline = time.monotonic() + 20.0
        while time.monotonic() < deadline:
            done = load.counts() - before
            if done.python_rounds >= 3 and done.c_calls >= 3 and done.gc_collections >= 1:
                break
            time.sleep(0.05)
    finally:
        load.stop()
    done = load.counts() - before
    assert done.python_rounds >= 3 and done.c_calls >= 3 and done.gc_collections >= 1
    assert not load.running
