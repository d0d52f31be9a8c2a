"""``studio bench beats``: what beats cost to render, offline and block by block.

Two figures, each next to its peer:

- **Offline render** of an arranged beat of about three minutes (a starter beat's song form,
  repeated to length) with the built-in kit: the renderer's planning plus rendering it all in
  blocks of 65 536 frames, as ``studio beat render`` does, as a multiple of real time (median of
  the runs);
- **Per block**, as the live playback would pay it: the time to render the next block of
  ``tracks`` beat tracks (each its own :class:`~studio.audio.beat.render.BeatRenderer`) at 128
  and 512 frames, next to the time to read the same number of pre-rendered stereo tracks of the
  same beat from disk with :class:`~studio.audio.clip_reader.ClipReader` (24-bit WAV, as takes
  are; the files are fresh, so they are in the page cache, as a song's tracks are while it
  plays). The two are measured block by block in turn over the same stretch of the song, so both
  see the same machine; medians, 99th percentiles and maxima are shown in microseconds, as a
  share of the block's period, and as ratios (beat ÷ tracks).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.audio.beat import open_kit
from studio.audio.beat.render import BeatRenderer
from studio.audio.clip_reader import ClipReader, ClipSource
from studio.core.i18n import StudioError, Words
from studio.services.beats import find_beat
from studio.services.bench.report import format_table, median, percentiles, ratio

__all__ = ["BeatsBenchResult", "BlockCost", "format_beats_report", "run_beats_bench"]

SAMPLERATE = 48000
OFFLINE_BLOCK = 65536
BLOCKSIZES = (128, 512)

_BAD_VALUE = Words(
    nb="{what} må være mellom {low:g} og {high:g}, ikke {value}.",
    en="{what} must be between {low:g} and {high:g}, not {value}.",
)


@dataclass(frozen=True)
class BlockCost:
    """Per-block times in seconds for one block size."""

    blocksize: int
    beat: tuple[float, ...]  # rendering the beat tracks, one entry per block
    tracks: tuple[float, ...]  # reading the pre-rendered tracks, one entry per block

    @property
    def period(self) -> float:
        return self.blocksize / SAMPLERATE

    def summary(self) -> dict[str, object]:
        def stats(values: Sequence[float]) -> dict[str, float]:
            p50, p99 = percentiles(values, (50, 99))
            return {"median_us": round(p50 * 1e6, 2), "p99_us": round(p99 * 1e6, 2),
                    "max_us": round(max(values, default=math.nan) * 1e6, 2),
                    "median_of_period": round(p50 / self.period, 5)}

        beat, tracks = stats(self.beat), stats(self.tracks)
        return {"blocksize": self.blocksize, "blocks": len(self.beat), "beat": beat,
                "tracks": tracks,
                "ratio_median": _ratio_number(beat["median_us"], tracks["median_us"]),
                "ratio_p99": _ratio_number(beat["p99_us"], tracks["p99_us"])}


def _ratio_number(ours: float, theirs: float) -> float | None:
    return round(ours / theirs, 3) if theirs > 0 else None


@dataclass(frozen=True)
class BeatsBenchResult:
    beat: str
    bars: int
    audio_seconds: float
    tracks: int
    runs: int
    offline_seconds: tuple[float, ...]  # planning + rendering, one per run
    blocks: tuple[BlockCost, ...]  # per block size, every run's blocks together

    @property
    def real_time(self) -> float:
        return self.audio_seconds / median(self.offline_seconds)

    def summary(self) -> dict[str, object]:
        return {
            "beat": self.beat, "bars": self.bars, "audio_seconds": round(self.audio_seconds, 3),
            "samplerate": SAMPLERATE, "tracks": self.tracks, "runs": self.runs,
            "offline": {"seconds": [round(s, 4) for s in self.offline_seconds],
                        "median_seconds": round(median(self.offline_seconds), 4),
                        "x_real_time": round(self.real_time, 1)},
            "per_block": [b.summary() for b in self.blocks],
        }


def _check(what: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):  # also false for NaN
        raise StudioError(_BAD_VALUE, what=what, low=low, high=high, value=value)


def _offline(beat_name: str, bars: int) -> tuple[float, int, np.ndarray]:
    """(seconds, frames, the audio) for planning and rendering the whole beat once."""
    beat = find_beat(beat_name)
    kit = open_kit("synth", SAMPLERATE)
    started = time.perf_counter()
    renderer = BeatRenderer(beat, kit, SAMPLERATE, bars=bars)
    total = renderer.total_frames
    out = np.empty((total, 2), dtype=np.float32)
    for first in range(0, total, OFFLINE_BLOCK):
        out[first:first + OFFLINE_BLOCK] = renderer.render(first, min(OFFLINE_BLOCK,
                                                                      total - first))
    return time.perf_counter() - started, renderer.length_frames, out


def _per_block(renderers: Sequence[BeatRenderer], readers: Sequence[ClipReader], blocksize: int,
               start: int, frames: int) -> tuple[list[float], list[float]]:
    beat_times: list[float] = []
    track_times: list[float] = []
    buffers = [np.zeros((blocksize, 2), dtype=np.float32) for _ in readers]
    clock = time.perf_counter
    for first in range(start, start + frames - blocksize + 1, blocksize):
        t0 = clock()
        for renderer in renderers:
            renderer.render(first, blocksize)
        t1 = clock()
        for reader, buffer in zip(readers, buffers, strict=True):
            buffer.fill(0.0)
            reader.render(buffer, first)
        t2 = clock()
        beat_times.append(t1 - t0)
        track_times.append(t2 - t1)
    return beat_times, track_times


def run_beats_bench(*, minutes: float = 3.0, runs: int = 3, tracks: int = 1,
                    block_seconds: float = 30.0, beat: str = "boom-bap",
                    blocksizes: Sequence[int] = BLOCKSIZES,
                    progress: Callable[[str], None] | None = None,
                    folder: Path | None = None) -> BeatsBenchResult:
    """Measure; see the module docstring. ``block_seconds`` of song are played per block size
    and run (from the start of the second section, where the full groove plays, when the beat is
    long enough)."""
    _check("minutes", minutes, 0.01, 60.0)
    _check("runs", runs, 1, 99)
    _check("tracks", tracks, 1, 64)
    _check("block_seconds", block_seconds, 0.05, 600.0)
    for size in blocksizes:
        _check("blocksize", size, 16, 8192)
    say = progress or (lambda _text: None)
    source = find_beat(beat)
    bars = max(1, math.ceil(minutes * 60.0 / (source.seconds / source.bars)))

    offline: list[float] = []
    audio = np.zeros((0, 2), dtype=np.float32)
    length = 0
    for run in range(runs):
        say(f"offline render {run + 1}/{runs}")
        seconds, length, audio = _offline(beat, bars)
        offline.append(seconds)

    costs: dict[int, tuple[list[float], list[float]]] = {b: ([], []) for b in blocksizes}
    with tempfile.TemporaryDirectory(prefix="studio-bench-beats-", dir=folder) as where:
        paths = []
        for i in range(tracks):
            path = Path(where) / f"track-{i + 1}.wav"
            sf.write(str(path), audio, SAMPLERATE, subtype="PCM_24")
            paths.append(path)
        total = len(audio)
        kit = open_kit("synth", SAMPLERATE)
        renderers = [BeatRenderer(source, kit, SAMPLERATE, bars=bars) for _ in range(tracks)]
        wanted = min(round(block_seconds * SAMPLERATE), total)
        groove = (renderers[0].timeline.bar_frame(source.arrangement[0].bars + 1)
                  if len(source.arrangement) > 1 else 0)
        start = max(0, min(groove, total - wanted))  # the full groove, if there is room
        frames = wanted
        for run in range(runs):
            for size in blocksizes:
                say(f"per block, {size} frames, run {run + 1}/{runs}")
                readers = [ClipReader([ClipSource(p, 0, 0, total)]) for p in paths]
                try:
                    beat_times, track_times = _per_block(renderers, readers, size, start, frames)
                finally:
                    for reader in readers:
                        reader.close()
                costs[size][0].extend(beat_times)
                costs[size][1].extend(track_times)
    blocks = tuple(BlockCost(size, tuple(costs[size][0]), tuple(costs[size][1]))
                   for size in blocksizes)
    return BeatsBenchResult(source.name, bars, length / SAMPLERATE, tracks, runs, tuple(offline),
                            blocks)


def format_beats_report(result: BeatsBenchResult) -> str:
    data = result.summary()
    offline = data["offline"]
    assert isinstance(offline, dict)
    lines = [
        f"Beat '{result.beat}', {result.bars} bars = {result.audio_seconds:.1f} s at "
        f"{SAMPLERATE} Hz, built-in kit, {result.runs} run(s).",
        f"Offline render (plan + render in blocks of {OFFLINE_BLOCK}): median "
        f"{offline['median_seconds']:.3f} s = {offline['x_real_time']:.0f}x real time.",
        "",
        f"Per block: {result.tracks} beat track(s) rendered live vs the same number of "
        "pre-rendered stereo tracks read from disk (ClipReader), in microseconds:",
    ]
    rows = []
    for block in result.blocks:
        s = block.summary()
        beat, tracks = s["beat"], s["tracks"]
        assert isinstance(beat, dict) and isinstance(tracks, dict)
        period_us = block.period * 1e6
        rows.append([f"{block.blocksize} frames ({period_us:.0f} us)", s["blocks"],
                     beat["median_us"], tracks["median_us"],
                     ratio(beat["median_us"], tracks["median_us"]),
                     beat["p99_us"], tracks["p99_us"], ratio(beat["p99_us"], tracks["p99_us"]),
                     beat["max_us"], tracks["max_us"],
                     f"{100 * beat['median_of_period']:.2f}%",
                     f"{100 * tracks['median_of_period']:.2f}%"])
    lines.append(format_table(
        ["block", "blocks", "beat p50", "tracks p50", "ratio", "beat p99", "tracks p99",
         "ratio", "beat max", "tracks max", "beat/period", "tracks/period"], rows))
    return "\n".join(lines)
