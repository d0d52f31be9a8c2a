"""An effect chain run on blocks as the studio lays audio out, ``(frames, channels)``, without
turning them around first: for the mix graph and the master chain, where every track and bus
runs its preset on every block.

:class:`studio.audio.effects.MonitorChain` (the live monitor's chain) hands pedalboard
``(channels, frames)`` and copies the result back into a buffer of its own: two transposing
copies per block on our side, on top of pedalboard's own copy in and out. Given ``(frames,
channels)``, pedalboard reads the block as interleaved (its layout guess, helped by the channel
count it was last prepared with) and returns a new ``(frames, channels)`` array: the same
samples, bit for bit (the same plugins on the same numbers; only the copies differ), with
nothing to copy on our side.

The rules are :class:`MonitorChain`'s (see ``studio.audio.effects`` for why): one silent block
of ``max_frames`` frames is processed first (so no later block re-prepares the plugins, which
would clear them), in this layout (so a ``(2, 2)`` block, ambiguous for pedalboard, is read
with the layout it saw last); :meth:`FrameChain.reset` only sets a flag, and the next block is
processed with ``reset=True``; nothing calls ``reset()`` from Python.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from studio.audio.effects import build_board
from studio.core.preset import Preset

__all__ = ["FrameChain"]

Audio = npt.NDArray[np.float32]


class FrameChain:
    """Runs a preset on ``(frames, channels)`` blocks, one after the other."""

    def __init__(self, preset: Preset, samplerate: int, channels: int, max_frames: int) -> None:
        if samplerate <= 0 or channels <= 0 or max_frames <= 0:
            raise ValueError("samplerate, channels and max_frames must be positive")
        self.preset = preset
        self.samplerate = samplerate
        self.channels = channels
        self.max_frames = max_frames
        self.board = build_board(preset, samplerate)
        self._empty = len(self.board) == 0
        self._reset_pending = True
        if not self._empty:  # never square: one frame more than channels at least
            warm = np.zeros((max(max_frames, channels + 1), channels), dtype=np.float32)
            self.board.process(warm, float(samplerate), reset=False)

    def reset(self) -> None:
        """Forget tails and filter memory, from the next block on (only sets a flag)."""
        self._reset_pending = True

    def process_frames(self, block: Audio) -> Audio:
        """The processed ``block`` (shape ``(n, channels)``, ``n <= max_frames``, float32 and
        C-contiguous): a new array, or ``block`` itself when the chain has no effects."""
        n = block.shape[0]
        if self._empty or n == 0:
            return block
        reset = self._reset_pending
        self._reset_pending = False
        out: Audio = self.board.process(block, float(self.samplerate), reset=reset)
        if out.shape[0] != n:  # a plugin with latency returned fewer frames: silence first
            padded = np.zeros_like(block)
            padded[n - out.shape[0]:] = out
            return padded
        return out
