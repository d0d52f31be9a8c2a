"""A take's waveform overview: the lowest and highest sample in each of a few columns.

The take file is read with soundfile in blocks, so a long take never has to fit in memory, and
each frame lands in exactly one column (column ``c`` holds frames ``[c*n//columns,
(c+1)*n//columns)``), whatever the block size. All channels of a frame count. The screens draw
the result; computing it belongs in a worker thread.

A restricted take (consent withdrawn, kept under a retention duty) is never shown, as it is never
played.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soundfile as sf

from studio.core.i18n import StudioError, Words
from studio.core.people import Actor
from studio.core.song import Take
from studio.services.consent import check_may_listen
from studio.services.studio import TAKE_FILE_MISSING, Studio

BLOCK_FRAMES = 1 << 16
MAX_COLUMNS = 4096

RESTRICTED_TAKE = Words(
    nb="Opptak {take} er sperret og vises ikke.",
    en="Take {take} is restricted and is not shown.",
)
UNREADABLE = Words(
    nb="Opptak {take} kan ikke leses ({why}).",
    en="Take {take} cannot be read ({why}).",
)
COLUMNS_BAD = Words(
    nb="En oversikt trenger mellom 1 og {most} kolonner, ikke {columns}.",
    en="An overview needs between 1 and {most} columns, not {columns}.",
)


@dataclass(frozen=True)
class Waveform:
    """``low[c]`` and ``high[c]``: the lowest and highest sample in column ``c`` (0.0 for a
    column with no frames, which only happens when the take is shorter than the columns)."""

    take_id: int
    frames: int
    samplerate: int
    low: tuple[float, ...]
    high: tuple[float, ...]

    @property
    def columns(self) -> int:
        return len(self.low)

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate if self.samplerate else 0.0

    def peaks(self) -> tuple[float, ...]:
        """The larger of ``|low|`` and ``|high|`` per column (what a one-line overview draws)."""
        return tuple(max(-lo, hi, 0.0) for lo, hi in zip(self.low, self.high, strict=True))


def column_edges(frames: int, columns: int) -> np.ndarray:
    """The first frame of each column, and ``frames`` at the end (``columns + 1`` numbers)."""
    return (np.arange(columns + 1, dtype=np.int64) * frames) // columns


def min_max_columns(audio: np.ndarray, columns: int, *, first_frame: int = 0,
                    total_frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-column minimum and maximum of ``audio`` (frames, channels) as part of a take of
    ``total_frames`` frames starting at ``first_frame``. Columns the block does not reach are
    +inf / -inf, so results of several blocks combine with ``np.minimum`` / ``np.maximum``."""
    total = len(audio) if total_frames is None else total_frames
    low = np.full(columns, np.inf)
    high = np.full(columns, -np.inf)
    n = len(audio)
    if n == 0 or total == 0:
        return low, high
    flat = audio.reshape(n, -1)
    frame_low = flat.min(axis=1)
    frame_high = flat.max(axis=1)
    edges = column_edges(total, columns)
    # the columns this block touches, and where each one starts inside the block
    first_col = int(np.searchsorted(edges, first_frame, side="right")) - 1
    last_col = int(np.searchsorted(edges, first_frame + n - 1, side="right")) - 1
    cols = np.arange(max(first_col, 0), min(last_col, columns - 1) + 1)
    cols = cols[edges[cols + 1] > edges[cols]]  # columns with frames in them
    starts = np.maximum(edges[cols] - first_frame, 0)
    low[cols] = np.minimum.reduceat(frame_low, starts)
    high[cols] = np.maximum.reduceat(frame_high, starts)
    return low, high


def take_waveform(studio: Studio, take: Take, columns: int, *, actor: Actor | None = None,
                  block_frames: int = BLOCK_FRAMES) -> Waveform:
    """Read the take's file block by block and return its overview in ``columns`` columns."""
    if not 1 <= columns <= MAX_COLUMNS:
        raise StudioError(COLUMNS_BAD, most=MAX_COLUMNS, columns=columns)
    if take.restricted:
        raise StudioError(RESTRICTED_TAKE, take=take.id)
    check_may_listen(studio, studio.catalog.song(take.song_id), actor)
    path = studio.take_path(take)
    if not path.exists():
        raise StudioError(TAKE_FILE_MISSING, take=take.id)
    low = np.full(columns, np.inf)
    high = np.full(columns, -np.inf)
    try:
        with sf.SoundFile(str(path)) as f:
            total = f.frames
            samplerate = f.samplerate
            done = 0
            while done < total:
                block = f.read(min(block_frames, total - done), dtype="float32", always_2d=True)
                if len(block) == 0:
                    break  # the file is shorter than its header said: show what is there
                lo, hi = min_max_columns(block, columns, first_frame=done, total_frames=total)
                np.minimum(low, lo, out=low)
                np.maximum(high, hi, out=high)
                done += len(block)
    except (sf.LibsndfileError, RuntimeError, OSError) as error:
        raise StudioError(UNREADABLE, take=take.id, why=str(error)) from None
    empty = ~np.isfinite(low)
    low[empty] = 0.0
    high[empty] = 0.0
    return Waveform(take.id, int(total), int(samplerate),
                    tuple(float(v) for v in low), tuple(float(v) for v in high))
