"""How the transport walks through the song: start position, count-in pre-roll and loop range.

The engine and the disk worker both call :func:`song_runs` for the same *epoch* (one start of the
transport) so they agree, frame for frame, on which song frame is heard at each moment, without
talking to each other. Timeline frame ``t`` counts frames since the epoch started.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class LoopRange:
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a loop must end after it starts")

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Epoch:
    """One start of the transport: where it starts and whether it loops."""

    number: int
    start: int  # song frame at timeline frame 0 (may be negative: count-in)
    loop: LoopRange | None = None

    def song_frame(self, t: int) -> int:
        """The song frame heard at timeline frame t."""
        pos = self.start + t
        loop = self.loop
        if loop is None or pos < loop.end or self.start >= loop.end:
            return pos
        return loop.start + (pos - loop.end) % loop.length

    def pass_index(self, t: int) -> int:
        """How many times the loop has wrapped by timeline frame t (0 in the first pass)."""
        loop = self.loop
        pos = self.start + t
        if loop is None or pos < loop.end or self.start >= loop.end:
            return 0
        return 1 + (pos - loop.end) // loop.length


def song_runs(epoch: Epoch, t: int, frames: int) -> Iterator[tuple[int, int, int]]:
    """Split timeline frames [t, t+frames) into runs that are contiguous in song time.

    Yields (offset into the block, song frame, length). A run ends at every loop wrap.
    """
    done = 0
    while done < frames:
        pos = epoch.song_frame(t + done)
        n = frames - done
        loop = epoch.loop
        if loop is not None and epoch.start < loop.end and pos < loop.end:
            n = min(n, loop.end - pos)
        yield done, pos, n
        done += n
