"""`studio bench beats`, small: the figures are there, side by side, and make sense as numbers.
No timing thresholds: how fast this machine is, is reported, not asserted."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from studio.cli.bench import add_bench_parser
from studio.core.i18n import StudioError
from studio.services.bench.beats import SAMPLERATE, format_beats_report, run_beats_bench


def test_a_small_run_measures_both_sides(tmp_path: Path) -> None:
    said: list[str] = []
    result = run_beats_bench(minutes=0.1, runs=2, tracks=2, block_seconds=0.2,
                             blocksizes=(128, 512), progress=said.append, folder=tmp_path)
    assert result.beat == "boom-bap" and result.runs == 2 and result.tracks == 2
    assert result.audio_seconds >= 6.0 and len(result.offline_seconds) == 2
    assert all(s > 0 for s in result.offline_seconds) and math.isfinite(result.real_time)
    for block in result.blocks:
        expected = (round(0.2 * SAMPLERATE) - block.blocksize) // block.blocksize + 1
        assert len(block.beat) == len(block.tracks) == 2 * expected
        assert all(t >= 0 for t in block.beat + block.tracks)
    summary = result.summary()
    json.dumps(summary)  # plain data
    per_block = summary["per_block"]
    assert isinstance(per_block, list) and [b["blocksize"] for b in per_block] == [128, 512]
    text = format_beats_report(result)
    assert "x real time" in text and "ClipReader" in text and "×" in text
    assert said and all(isinstance(s, str) for s in said)
    assert list(tmp_path.iterdir()) == []  # the pre-rendered tracks are cleaned up


@pytest.mark.parametrize("kw", [{"minutes": 0.0}, {"runs": 0}, {"tracks": 100},
                                {"block_seconds": math.nan}, {"blocksizes": (4,)}])
def test_bad_settings_get_plain_words(kw: dict[str, Any]) -> None:
    with pytest.raises(StudioError) as refused:
        run_beats_bench(**kw)
    assert "must be between" in refused.value.say("en")


def test_the_command_is_registered(capsys: pytest.CaptureFixture[str]) -> None:
    top = argparse.ArgumentParser(prog="studio")
    sub = top.add_subparsers(dest="command")

    def add(name: str, func: Callable[[argparse.Namespace], int], nb: str, eng: str,
            parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=eng)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true")
        return p

    add_bench_parser(sub, add)
    args = top.parse_args(["bench", "beats", "--minutes", "0.05", "--runs", "1",
                           "--block-seconds", "0.1", "--json"])
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["offline"]["x_real_time"] > 0 and len(data["per_block"]) == 2
