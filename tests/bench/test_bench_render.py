"""The render benchmark, tiny: a few tracks of a few seconds, every side once. No timing
thresholds: the report's structure is checked, and that our side wrote a correct file (as long
as the song, 24-bit, on the streaming target with the ceiling held)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from studio.cli.main import main
from studio.core.i18n import set_language
from studio.services.bench.render import (
    SAMPLERATE,
    check_output,
    format_render_report,
    make_tracks,
    run_render_bench,
)

KEYS = {"ours_s", "ffmpeg_s", "sox_s", "numpy_floor_s", "x_realtime"}


def test_tiny_bench_reports_every_side_and_a_correct_file(tmp_path: Path) -> None:
    bench = run_render_bench(tracks=3, seconds=4.0, runs=1, folder=tmp_path)
    summary = bench.summary()
    assert set(summary) == KEYS
    assert summary["ours_s"] is not None and summary["ours_s"] > 0
    assert summary["numpy_floor_s"] is not None and summary["numpy_floor_s"] > 0
    assert summary["x_realtime"] == pytest.approx(4.0 / summary["ours_s"], rel=0.01)
    for tool, key in (("ffmpeg", "ffmpeg_s"), ("sox", "sox_s")):
        if shutil.which(tool) is None:
            assert summary[key] is None and tool in bench.skipped
        else:
            assert summary[key] is not None and summary[key] > 0, bench.skipped
    ours = bench.ours
    assert ours["frames"] == ours["expected_frames"] == round(4.0 * SAMPLERATE)
    assert ours["subtype"] == "PCM_24" and ours["channels"] == 2
    assert abs(ours["integrated_lufs"] - -14.0) <= 0.5
    assert ours["true_peak_dbtp"] <= -1.0
    assert ours["on_target"] is True
    if bench.ffmpeg:
        assert -60 < bench.ffmpeg["measured_lufs"] < 0  # its ebur128 pass was read
    assert list(tmp_path.iterdir()) == []  # the bench cleans up after itself
    set_language("en")
    text = format_render_report(bench)
    assert "studio (ours)" in text and "numpy sum (floor)" in text
    assert "Our file:" in text


def test_the_tracks_are_real_audio(tmp_path: Path) -> None:
    tracks = make_tracks(tmp_path, 4, 1.5)
    assert len(tracks) == 4
    for track in tracks:
        info = sf.info(str(track.path))
        assert (info.samplerate, info.channels, info.subtype) == (SAMPLERATE, 2, "PCM_24")
        audio, _ = sf.read(track.path, dtype="float32")
        assert 0.05 < np.abs(audio).max() < 1.0
    report = check_output(tracks[0].path, round(1.5 * SAMPLERATE))
    assert report["frames"] == report["expected_frames"]


def test_cli_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                  tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["studio"])
    code = main(["bench", "render", "--json", "--tracks", "2", "--seconds", "2", "--runs",
                 "1"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == KEYS
