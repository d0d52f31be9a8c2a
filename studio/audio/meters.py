"""Level meters for every channel, cheap enough for the audio callback.

:class:`MeterBank` writes four numbers per channel into a float64 array of shape
``(channels, 4)``, which may live in shared memory (the UI reads it; latest value wins):

``[PEAK]``
    A peak-hold that falls 20 dB per second (linear). Per frame it is
    ``peak = max(|x|, peak * d)`` with ``d = 10 ** (-1 / samplerate)``.
``[RMS]``
    The root of an exponential average of ``x²`` with a 300 ms time constant (linear). A sine
    reads 3.01 dB below its peak.
``[CLIP]``
    1.0 for 2 s after any sample with ``|x| >= 0.999``, else 0.0.
``[PEAK_MAX]``
    The highest ``|x|`` since the bank was made or :meth:`MeterBank.reset_clip` was called.

All four follow their per-frame definition exactly, whatever the block sizes: a block is cut into
chunks of at most :data:`CHUNK` frames, and each chunk is folded in with precomputed weights
(``d ** (m - 1 - k)`` for the peak, ``a ** (m - 1 - k)`` for the average), so one block of 1024
frames and 1024 blocks of one frame give the same readings up to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = [
    "CHUNK",
    "CLIP",
    "CLIP_HOLD_SECONDS",
    "CLIP_LEVEL",
    "PEAK",
    "PEAK_FALL_DB_PER_SECOND",
    "PEAK_MAX",
    "RMS",
    "RMS_SECONDS",
    "MeterBank",
    "to_dbfs",
]

PEAK, RMS, CLIP, PEAK_MAX = 0, 1, 2, 3
PEAK_FALL_DB_PER_SECOND = 20.0
RMS_SECONDS = 0.3
CLIP_LEVEL = 0.999
CLIP_HOLD_SECONDS = 2.0
CHUNK = 1024
FLOOR_DB = -120.0
_NO_CLIP = 1e18  # "frames since the last clip" when there was none


def to_dbfs(linear: float, floor: float = FLOOR_DB) -> float:
    """Decibels relative to full scale; silence (or anything not a number) reads ``floor``."""
    value = abs(float(linear))
    if math.isnan(value):
        return floor
    if value == math.inf:
        return math.inf
    if value == 0.0:
        return floor
    return max(floor, 20.0 * math.log10(value))


class MeterBank:
    """Peak, RMS, clip and max-peak meters for ``channels`` channels; see the module docstring."""

    def __init__(
        self,
        channels: int,
        samplerate: int,
        out: npt.NDArray[np.float64] | None = None,
    ) -> None:
        if channels <= 0 or samplerate <= 0:
            raise ValueError("channels and samplerate must be positive")
        if out is None:
            out = np.zeros((channels, 4), dtype=np.float64)
        elif out.shape != (channels, 4) or out.dtype != np.float64:
            raise ValueError(f"out must be float64 of shape ({channels}, 4)")
        self.channels = channels
        self.samplerate = samplerate
        self.out = out
        out.fill(0.0)

        k = np.arange(CHUNK, dtype=np.float64)
        exponent = CHUNK - 1 - k  # row k of a chunk of m frames uses weight[CHUNK - m + k]
        decay = 10.0 ** (-PEAK_FALL_DB_PER_SECOND / 20.0 / samplerate)
        self._peak_weight = np.repeat((decay**exponent)[:, None], channels, axis=1)
        self._peak_pow = decay ** np.arange(CHUNK + 1, dtype=np.float64)
        keep = math.exp(-1.0 / (RMS_SECONDS * samplerate))
        self._rms_weight = (1.0 - keep) * keep**exponent
        self._rms_pow = keep ** np.arange(CHUNK + 1, dtype=np.float64)
        self._position = np.repeat((k + 1.0)[:, None], channels, axis=1)
        self._hold = CLIP_HOLD_SECONDS * samplerate

        self._abs = np.zeros((CHUNK, channels), dtype=np.float64)
        self._tmp = np.zeros((CHUNK, channels), dtype=np.float64)
        self._mask = np.zeros((CHUNK, channels), dtype=np.bool_)
        self._chunk_max = np.zeros(channels, dtype=np.float64)
        self._last = np.zeros(channels, dtype=np.float64)
        self._acc = np.zeros(channels, dtype=np.float64)
        self._clip = np.zeros(channels, dtype=np.bool_)
        self._peak = np.zeros(channels, dtype=np.float64)
        self._mean_square = np.zeros(channels, dtype=np.float64)
        self._peak_max = np.zeros(channels, dtype=np.float64)
        self._age = np.full(channels, _NO_CLIP, dtype=np.float64)

    def reset_clip(self) -> None:
        """Turn the clip lights off and start the max-peak reading again."""
        self._age.fill(_NO_CLIP)
        self._peak_max.fill(0.0)
        self.out[:, CLIP] = 0.0
        self.out[:, PEAK_MAX] = 0.0

    def reset(self) -> None:
        """Everything back to silence."""
        self.reset_clip()
        self._peak.fill(0.0)
        self._mean_square.fill(0.0)
        self.out.fill(0.0)

    def update_rt(self, block: npt.NDArray[np.float32]) -> None:
        """Fold ``block`` (shape ``(n, channels)``, any ``n`` including 0) into the meters."""
        n = block.shape[0]
        if n == 0:
            return
        start = 0
        while start < n:
            m = min(CHUNK, n - start)
            self._chunk_rt(block[start : start + m], m)
            start += m
        out = self.out
        np.copyto(out[:, PEAK], self._peak)
        np.sqrt(self._mean_square, out=out[:, RMS])
        np.less(self._age, self._hold, out=self._clip)
        np.copyto(out[:, CLIP], self._clip)
        np.copyto(out[:, PEAK_MAX], self._peak_max)

    def _chunk_rt(self, x: npt.NDArray[np.float32], m: int) -> None:
        first = CHUNK - m
        level = self._abs[:m]
        np.copyto(level, x)
        np.abs(level, out=level)

        # Highest sample ever.
        np.maximum.reduce(level, axis=0, out=self._chunk_max)
        np.maximum(self._peak_max, self._chunk_max, out=self._peak_max)

        # Clip: frames since the last sample at or above CLIP_LEVEL.
        mask = self._mask[:m]
        tmp = self._tmp[:m]
        np.greater_equal(level, CLIP_LEVEL, out=mask)
        tmp.fill(-_NO_CLIP)
        np.copyto(tmp, self._position[:m], where=mask)
        # 1-based index of the last clip, or -_NO_CLIP
        np.maximum.reduce(tmp, axis=0, out=self._last)
        np.subtract(float(m), self._last, out=self._last)
        np.add(self._age, float(m), out=self._age)
        np.minimum(self._age, self._last, out=self._age)
        np.minimum(self._age, _NO_CLIP, out=self._age)

        # Falling peak: max(peak * d**m, max_k |x_k| * d**(m-1-k)).
        np.multiply(level, self._peak_weight[first:], out=level)
        np.maximum.reduce(level, axis=0, out=self._chunk_max)
        np.multiply(self._peak, self._peak_pow[m], out=self._peak)
        np.maximum(self._peak, self._chunk_max, out=self._peak)

        # Mean square: ms * a**m + (1 - a) * sum_k x_k² * a**(m-1-k).
        np.copyto(tmp, x)
        np.multiply(tmp, tmp, out=tmp)
        np.dot(self._rms_weight[first:], tmp, out=self._acc)
        np.multiply(self._mean_square, self._rms_pow[m], out=self._mean_square)
        np.add(self._mean_square, self._acc, out=self._mean_square)
