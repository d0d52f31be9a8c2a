"""The offline mixdown: every track's clips (through :class:`ClipReader`, as live playback
reads them) with the track's gain and constant-power pan, summed to stereo, block by block so a
long song never has to fit in memory. Block size does not change the result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from studio.audio.clip_reader import ClipReader, ClipSource

BLOCK = 65536


@dataclass(frozen=True)
class MixTrack:
    clips: list[ClipSource]
    gain_left: float
    gain_right: float


def song_length(tracks: list[MixTrack]) -> int:
    return max((c.position + c.length for t in tracks for c in t.clips), default=0)


def mixdown_blocks(tracks: list[MixTrack], start: int = 0, frames: int | None = None,
                   block: int = BLOCK) -> Iterator[np.ndarray]:
    """Stereo float32 blocks of the mix from ``start`` for ``frames`` (default: to the end)."""
    if frames is None:
        frames = max(song_length(tracks) - start, 0)
    readers = [ClipReader(t.clips) for t in tracks]
    gains = [np.array([t.gain_left, t.gain_right], dtype=np.float32) for t in tracks]
    scratch = np.zeros((block, 2), dtype=np.float32)
    try:
        done = 0
        while done < frames:
            n = min(block, frames - done)
            out = np.zeros((n, 2), dtype=np.float32)
            for reader, gain in zip(readers, gains, strict=True):
                buf = scratch[:n]
                buf.fill(0.0)
                reader.render(buf, start + done)
                out += buf * gain
            done += n
            yield out
    finally:
        for reader in readers:
            reader.close()
