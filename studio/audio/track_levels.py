"""Per-track levels of the live mix, from the disk worker to the screen.

The mix graph runs in the disk worker, a second or two ahead of what is heard. For every short
window it renders it leaves each track's post-fader peak here (left and right), stamped with the
epoch and the timeline frames the window covers (the timeline, unlike the song position, never
repeats within an epoch, even when a loop plays the same bars again). A screen looks up the
windows being heard now (the engine's epoch and timeline position): the meters move with the
sound, not with the prefetch.

One writer (the disk worker), any number of readers. A slot is marked invalid while it is
rewritten, and a reader checks the stamp again after copying, so it never shows a half-written
slot; a missed window just means the meter holds for a frame.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from studio.audio.shm import ArraySpec, SharedRegion

WINDOW = 1024  # frames per level: 21 ms at 48 kHz, finer than a 30-per-second screen
SLOTS = 1024  # windows kept: 21 s at 48 kHz, more than the playback rings hold ahead
MAX_TRACKS = 64

_SEQ, _EPOCH, _START, _FRAMES = range(4)


class TrackLevels:
    def __init__(self, region: SharedRegion, prefix: str = "levels") -> None:
        self.peaks = region[f"{prefix}.peaks"]
        self.stamps = region[f"{prefix}.stamps"]
        self.head = region[f"{prefix}.head"]

    @staticmethod
    def specs(prefix: str = "levels") -> list[ArraySpec]:
        return [ArraySpec(f"{prefix}.peaks", "float32", (SLOTS, MAX_TRACKS, 2)),
                ArraySpec(f"{prefix}.stamps", "int64", (SLOTS, 4)),
                ArraySpec(f"{prefix}.head", "int64", (8,))]

    # the writer (disk worker) -----------------------------------------------------------------
    def write(self, epoch: int, t: int, peaks: npt.NDArray[np.float32], frames: int) -> None:
        """Leave ``peaks`` (windows × tracks × 2: one window per :data:`WINDOW` of the
        ``frames`` frames from timeline frame ``t``, the last one maybe shorter) for the
        readers."""
        tracks = min(peaks.shape[1], MAX_TRACKS)
        seq = int(self.head[0])
        for j in range(peaks.shape[0]):
            slot = seq % SLOTS
            self.stamps[slot, _SEQ] = -1  # being rewritten
            self.peaks[slot, :tracks] = peaks[j, :tracks]
            self.peaks[slot, tracks:] = 0.0
            self.stamps[slot, _EPOCH] = epoch
            self.stamps[slot, _START] = t + j * WINDOW
            self.stamps[slot, _FRAMES] = min(WINDOW, frames - j * WINDOW)
            self.stamps[slot, _SEQ] = seq
            seq += 1
        self.head[0] = seq

    # readers ----------------------------------------------------------------------------------
    def find(self, epoch: int, first: int, last: int, tracks: int
             ) -> npt.NDArray[np.float32] | None:
        """The highest peaks (tracks × 2) of ``epoch``'s windows that cover any timeline
        frame from ``first`` to ``last``, or None when there are none (not rendered yet, or already
        written over)."""
        stamps = self.stamps.copy()
        start = stamps[:, _START]
        hits = np.flatnonzero((stamps[:, _SEQ] >= 0) & (stamps[:, _EPOCH] == epoch)
                              & (start <= last) & (first < start + stamps[:, _FRAMES]))
        if not len(hits):
            return None
        found = self.peaks[hits, :min(tracks, MAX_TRACKS)].max(axis=0)
        if (self.stamps[hits, _SEQ] != stamps[hits, _SEQ]).any():
            return None  # rewritten while we read
        return found  # type: ignore[no-any-return]


def window_peaks(block: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Peaks (windows × channels) of ``block`` (frames × channels) over :data:`WINDOW`-frame
    windows from its first frame."""
    starts = np.arange(0, len(block), WINDOW)
    return np.maximum.reduceat(np.abs(block), starts, axis=0)  # type: ignore[no-any-return]
