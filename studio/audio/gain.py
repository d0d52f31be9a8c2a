"""Click-free gain changes and constant-power panning.

A fader move must never jump: :class:`SmoothedGain` moves linearly from the gain it is at to the
new target over ``ramp_frames``, across as many blocks as that takes, whatever their sizes. The
gain at every frame of a ramp is computed from the frame's position in the ramp (not by adding a
step per frame), so the output does not depend on how the audio was split into blocks.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["SmoothedGain", "constant_power_pan"]

Audio = npt.NDArray[np.float32]


def constant_power_pan(pan: float) -> tuple[float, float]:
    """(left, right) gains for ``pan`` from -1 (left) to 1 (right); -3 dB each at the centre.

    Values outside -1..1 are clamped; a value that is not a number counts as the centre.
    """
    if not math.isfinite(pan):
        pan = 0.0 if math.isnan(pan) else math.copysign(1.0, pan)
    pan = min(1.0, max(-1.0, pan))
    angle = (pan + 1.0) * math.pi / 4.0
    return math.cos(angle), math.sin(angle)


class SmoothedGain:
    """A linear gain that ramps to new values instead of jumping.

    ``set_target`` starts a ramp from the current gain; frame ``j`` (1-based) of the ramp has
    gain ``start + (target - start) * j / ramp_frames`` and the last frame is exactly ``target``.
    ``set_target`` and the ``*_rt`` methods allocate nothing and may run on the audio thread.
    """

    def __init__(self, max_frames: int, channels: int, ramp_frames: int, initial: float = 1.0):
        if max_frames <= 0 or channels <= 0:
            raise ValueError("max_frames and channels must be positive")
        if ramp_frames < 0:
            raise ValueError("ramp_frames must not be negative")
        if not math.isfinite(initial):
            raise ValueError("initial gain must be a finite number")
        self.max_frames = max_frames
        self.channels = channels
        self.ramp_frames = ramp_frames
        self._current = float(initial)
        self._target = float(initial)
        self._start = float(initial)
        self._step = 0.0
        self._pos = 0  # frames of the ramp already done; == ramp_frames when not ramping
        self._remaining = 0
        # Ramp positions 1, 2, …, max_frames within a block, one column per channel. The ramp
        # is as wide as the audio on purpose: multiplying by a (n, 1) column would broadcast,
        # and numpy allocates iterator buffers for that.
        index = np.arange(1, max_frames + 1, dtype=np.float64)
        self._index = np.repeat(index[:, None], channels, axis=1)
        self._ramp64 = np.zeros((max_frames, channels), dtype=np.float64)
        self._ramp = np.zeros((max_frames, channels), dtype=np.float32)
        self._scratch = np.zeros((max_frames, channels), dtype=np.float32)

    @property
    def current(self) -> float:
        """The gain of the last frame processed (or the initial gain)."""
        return self._current

    @property
    def target(self) -> float:
        return self._target

    @property
    def ramping(self) -> bool:
        return self._remaining > 0

    def set_target(self, linear: float) -> None:
        """Move to ``linear`` over ``ramp_frames`` frames, starting with the next frame."""
        if not math.isfinite(linear):
            raise ValueError("gain must be a finite number")
        linear = float(linear)
        if linear == self._target and self._remaining == 0:
            return
        self._target = linear
        if self.ramp_frames == 0 or linear == self._current:
            self._current = linear
            self._remaining = 0
            return
        self._start = self._current
        self._step = (linear - self._current) / self.ramp_frames
        self._pos = 0
        self._remaining = self.ramp_frames

    def reset(self, linear: float) -> None:
        """Jump to ``linear`` at once (only for when nothing is playing)."""
        if not math.isfinite(linear):
            raise ValueError("gain must be a finite number")
        self._current = self._target = float(linear)
        self._remaining = 0

    def _fill_ramp(self, n: int) -> int:
        """Write the gains of the next ``n`` frames into ``_ramp``; returns frames of ramp used."""
        k = min(self._remaining, n)
        r = self._ramp64[:k]
        np.add(self._index[:k], float(self._pos), out=r)
        np.multiply(r, self._step, out=r)
        np.add(r, self._start, out=r)
        self._pos += k
        self._remaining -= k
        if self._remaining == 0:
            r[k - 1].fill(self._target)
            self._current = self._target
        else:
            self._current = float(r[k - 1, 0])
        np.copyto(self._ramp[:k], r)
        if k < n:
            self._ramp[k:n].fill(self._target)
        return k

    def apply_rt(self, src: Audio, dst: Audio, n: int) -> None:
        """``dst[:n] = src[:n] * gain`` (``src`` and ``dst`` may be the same array)."""
        if n <= 0:
            return
        if self._remaining == 0:
            gain = self._current
            if gain == 1.0:
                if src is not dst:
                    np.copyto(dst[:n], src[:n])
            else:
                np.multiply(src[:n], np.float32(gain), out=dst[:n])
            return
        self._fill_ramp(n)
        np.multiply(src[:n], self._ramp[:n], out=dst[:n])

    def add_rt(self, src: Audio, dst: Audio, n: int) -> None:
        """``dst[:n] += src[:n] * gain``."""
        if n <= 0:
            return
        if self._remaining == 0:
            gain = self._current
            if gain == 0.0:
                return
            if gain == 1.0:
                np.add(dst[:n], src[:n], out=dst[:n])
                return
            scratch = self._scratch[:n]
            np.multiply(src[:n], np.float32(gain), out=scratch)
        else:
            self._fill_ramp(n)
            scratch = self._scratch[:n]
            np.multiply(src[:n], self._ramp[:n], out=scratch)
        np.add(dst[:n], scratch, out=dst[:n])
