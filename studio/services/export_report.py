"""The short report after an export: loudness before and after, peaks, duration, and a
waveform overview drawn with Unicode block characters, in plain words (nb/en) and as JSON.

The overview is the highest absolute sample in each of :data:`COLUMNS` stretches of the song
(every frame in exactly one column, whatever the block sizes), drawn as bars rising from the
bottom: :data:`ROWS` rows of eighth blocks (``▁▂▃▄▅▆▇█``), linear in amplitude, full height =
full scale. It fits in 80 columns and needs no colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from studio.audio.loudness import LoudnessReport
from studio.audio.mastering import MasterResult
from studio.core.i18n import Words

__all__ = ["COLUMNS", "ROWS", "ExportReport", "Overview", "StemReport", "draw_overview"]

COLUMNS = 72
ROWS = 5
_EIGHTHS = " ▁▂▃▄▅▆▇█"

LOUDNESS_LINE = Words(
    nb="Lydstyrke: {before} før, {after} etter.",
    en="Loudness: {before} before, {after} after.",
)
TARGET_LINE = Words(
    nb="Mastring «{preset}»: mål {target:.1f} LUFS og topper under {ceiling:.1f} dBTP. {verdict}",
    en="Mastering “{preset}”: target {target:.1f} LUFS and peaks under {ceiling:.1f} dBTP. "
       "{verdict}",
)
ON_TARGET = Words(nb="Traff målet.", en="On target.")
OFF_TARGET = Words(
    nb="Bommet: {off:+.1f} LU fra målet, topp {peak:.1f} dBTP. Lyden var for stille, for "
       "kort eller for dynamisk til å nå det.",
    en="Missed: {off:+.1f} LU from the target, peak {peak:.1f} dBTP. The sound was too quiet, "
       "too short or too dynamic to get there.",
)
NO_MASTERING = Words(nb="Ingen mastring: miksen er lagret som den er.",
                     en="No mastering: the mix is saved as it is.")
PEAK_LINE = Words(
    nb="Topper: {true_peak} true peak (mellom samplene), {sample_peak} høyeste sample.",
    en="Peaks: {true_peak} true peak (between the samples), {sample_peak} highest sample.",
)
LIMITER_LINE = Words(
    nb="Toppbegrenseren tok høyst {db:.1f} dB, til sammen {seconds:.1f} s av sangen.",
    en="The peak limiter took at most {db:.1f} dB, for {seconds:.1f} s of the song in all.",
)
DURATION_LINE = Words(nb="Lengde: {duration}.", en="Length: {duration}.")
STEM_LINE = Words(
    nb="  {name}: {loudness}, topp {true_peak}",
    en="  {name}: {loudness}, peak {true_peak}",
)
SILENT = Words(nb="stille", en="silent")


def _lufs(value: float) -> str:
    return f"{value:.1f} LUFS" if math.isfinite(value) else SILENT.say()


def _db(value: float, unit: str) -> str:
    return f"{value:.1f} {unit}" if math.isfinite(value) else SILENT.say()


def _clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60.0)
    return f"{int(minutes)}:{rest:04.1f}"


def _loudness_json(report: LoudnessReport) -> dict[str, float | None]:
    return {key: (None if value is None else round(value, 2))
            for key, value in report.to_json().items()}


class Overview:
    """Collects the per-column peaks of audio written block by block (see the module
    docstring). :meth:`reset` starts over (a new try of the master)."""

    def __init__(self, frames: int, columns: int = COLUMNS) -> None:
        self.frames = max(frames, 1)
        self.columns = columns
        self.peaks = np.zeros(columns, dtype=np.float32)
        self._done = 0

    def reset(self) -> None:
        self.peaks.fill(0.0)
        self._done = 0

    def _start(self, column: int) -> int:
        return -(-column * self.frames // self.columns)  # the first frame f with f*C//F == c

    def add(self, block: npt.NDArray[np.float32]) -> float:
        """Frame ``f`` (counted over all blocks) belongs to column ``f * columns // frames``;
        frames past ``frames`` go to the last column. Returns the block's highest absolute
        sample."""
        n = block.shape[0]
        first = self._done
        self._done += n
        highest = 0.0
        if n == 0:
            return highest
        end = first + n
        column = min(first * self.columns // self.frames, self.columns - 1)
        while column < self.columns:
            stop = self._start(column + 1) if column < self.columns - 1 else end
            lo, hi = max(self._start(column), first), min(stop, end)
            if hi > lo:
                piece = block[lo - first: hi - first]
                peak = max(float(piece.max()), -float(piece.min()))
                self.peaks[column] = max(float(self.peaks[column]), peak)
                highest = max(highest, peak)
            if stop >= end:
                break
            column += 1
        return highest


def draw_overview(peaks: Sequence[float], seconds: float, rows: int = ROWS) -> list[str]:
    """The waveform as text lines (bars from the bottom, then a time line)."""
    levels = [min(max(float(p), 0.0), 1.0) * rows * 8 for p in peaks]
    lines = []
    for row in range(rows - 1, -1, -1):
        chars = []
        for level in levels:
            eighths = round(level - row * 8)
            chars.append(_EIGHTHS[min(max(eighths, 0), 8)])
        lines.append("".join(chars).rstrip() or " ")
    width = len(levels)
    start, middle, end = _clock(0), _clock(seconds / 2), _clock(seconds)
    axis = [" "] * width
    axis[: len(start)] = start
    mid = max(len(start) + 1, width // 2 - len(middle) // 2)
    axis[mid: mid + len(middle)] = middle
    axis[width - len(end):] = end
    lines.append("".join(axis)[:width])
    return lines


@dataclass(frozen=True)
class StemReport:
    name: str
    path: str
    loudness: LoudnessReport
    overview: list[float]


@dataclass(frozen=True)
class ExportReport:
    """What the export made, measured: for one file, its master (``master.after`` is what
    went into the file) and overview; for stems, each stem's loudness and a one-line overview.
    """

    seconds: float
    master: MasterResult | None
    overview: list[float]
    stems: list[StemReport] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [DURATION_LINE.say(duration=_duration(self.seconds))]
        m = self.master
        if m is not None:
            if m.target_lufs is None or m.ceiling_dbtp is None:
                out.append(NO_MASTERING.say())
            else:
                verdict = ON_TARGET if m.on_target else OFF_TARGET
                off = m.after.integrated_lufs - m.target_lufs
                out.append(TARGET_LINE.say(
                    preset=m.preset, target=m.target_lufs, ceiling=m.ceiling_dbtp,
                    verdict=verdict.say(off=off if math.isfinite(off) else -99.0,
                                        peak=m.after.true_peak_dbtp)))
            out.append(LOUDNESS_LINE.say(before=_lufs(m.before.integrated_lufs),
                                         after=_lufs(m.after.integrated_lufs)))
            out.append(PEAK_LINE.say(true_peak=_db(m.after.true_peak_dbtp, "dBTP"),
                                     sample_peak=_db(m.after.sample_peak_dbfs, "dBFS")))
            if m.limiter_max_db > 0.05:
                out.append(LIMITER_LINE.say(db=m.limiter_max_db, seconds=m.limited_seconds))
            out.extend(draw_overview(self.overview, self.seconds))
        for stem in self.stems:
            out.append(STEM_LINE.say(name=stem.name,
                                     loudness=_lufs(stem.loudness.integrated_lufs),
                                     true_peak=_db(stem.loudness.true_peak_dbtp, "dBTP")))
            out.append("  " + draw_overview(stem.overview, self.seconds, rows=1)[0])
        return out

    def to_json(self) -> dict[str, Any]:
        m = self.master
        data: dict[str, Any] = {"seconds": round(self.seconds, 3)}
        if m is not None:
            data["master"] = {
                "preset": m.preset,
                "target_lufs": m.target_lufs,
                "ceiling_dbtp": m.ceiling_dbtp,
                "on_target": m.on_target,
                "input_gain_db": round(m.input_gain_db, 2),
                "gain_db": round(m.gain_db, 2),
                "limiter_max_db": round(m.limiter_max_db, 2),
                "limited_seconds": round(m.limited_seconds, 3),
                "tries": m.tries,
            }
            data["before"] = {key: (None if value is None else round(value, 2))
                              for key, value in m.before.to_json().items()}
            data["after"] = _loudness_json(m.after)
            data["overview"] = [round(float(p), 4) for p in self.overview]
        data["stems"] = [{"name": s.name, "path": s.path, "loudness": _loudness_json(s.loudness),
                          "overview": [round(float(p), 4) for p in s.overview]}
                         for s in self.stems]
        return data
