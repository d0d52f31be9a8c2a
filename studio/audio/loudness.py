"""Loudness per ITU-R BS.1770-4 and EBU R 128 (EBU Tech 3341 and 3342).

:func:`measure_loudness` meters a whole array; :class:`LoudnessMeter` does the same job on blocks
of any size, as they come, and gives the same numbers whatever the block sizes.

How it works, step by step:

K-weighting
    Two biquads (a high shelf and a high pass), designed for any sample rate by the bilinear
    transform of the analogue prototypes, with the parameters libebur128 derived from the
    BS.1770 48 kHz coefficients (so 48 kHz gives exactly :data:`BS1770_48K_SOS`); unlike
    libebur128 the high pass keeps its 48 kHz pass-band gain at every rate. Within 0.002 dB
    of the 48 kHz response at 44.1 kHz, 0.03 dB at 22.05 kHz. Run with
    :func:`scipy.signal.sosfilt`, whose state is carried from block to block.
Channel weights
    1.0 for L, R and C, 1.41 for the surround channels, 0 (left out) for the LFE; see
    :func:`channel_weights`. The weighted sum of squares gives one power value per frame.
Windows
    The power is summed in steps of 100 ms (``round(samplerate / 10)`` frames) counted from the
    first frame. Gating blocks are 4 steps (400 ms, 75 % overlap); momentary loudness is the
    same 400 ms window and short-term loudness a 3 s window (30 steps). The *maximum*
    momentary and short-term readings are taken over windows ending at every single frame (a
    live meter, with silence before the start), so a short event is never missed between
    updates.
Integrated loudness (BS.1770-4)
    Gating blocks above -70 LUFS, then those above (their mean - 10 LU); ``-inf`` when no
    block is above the gates (silence, or less than 400 ms of audio).
Loudness range (EBU Tech 3342)
    Complete 3 s windows every 100 ms (10 Hz), above -70 LUFS and above (their mean - 20 LU);
    the difference between the 95th and the 10th percentile (nearest rank). 0.0 LU when
    there is nothing to measure.
True peak (BS.1770-4 Annex 2)
    Oversampled to at least 192 kHz (4x at 48 kHz, 5x at 44.1 kHz, ...) with a polyphase
    Kaiser-windowed sinc FIR of 32 taps per phase (flat within 0.001 dB up to 0.4 x the sample
    rate, images above 0.6 x the rate down 70 dB), as one float32 matrix product per chunk of
    8192 frames with the filter laid out as a band (:func:`true_peak_band`: every sample read
    twice instead of 33 times; the meter took 0.44 s for 3 minutes of stereo with a sliding
    window, 0.29 s so). The phase at the original sample instants is the identity, so the true
    peak is never below the sample peak. The filter rings before the first and after the last
    frame as if silence surrounded the audio.

Loudness is ``-0.691 + 10 log10(power)`` in LUFS; levels are in dB relative to full scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import signal

__all__ = [
    "ABSOLUTE_GATE_LUFS",
    "BS1770_48K_SOS",
    "LRA_RELATIVE_GATE_LU",
    "MAX_SAMPLERATE",
    "MIN_SAMPLERATE",
    "RELATIVE_GATE_LU",
    "REPORT_KEYS",
    "LoudnessMeter",
    "LoudnessReport",
    "NotFiniteError",
    "channel_weights",
    "integrated_from_blocks",
    "k_weighting_sos",
    "loudness_range_from_windows",
    "measure_loudness",
    "true_peak_band",
    "true_peak_factor",
    "true_peak_filter",
]

Floats = npt.NDArray[np.float64]

LOUDNESS_OFFSET = -0.691  # BS.1770: makes a 1 kHz sine read its own RMS level in LUFS
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0
LRA_LOW_PERCENTILE = 0.10
LRA_HIGH_PERCENTILE = 0.95
MOMENTARY_STEPS = 4  # 400 ms in 100 ms steps
SHORT_TERM_STEPS = 30  # 3 s
SURROUND_WEIGHT = 1.41
TRUE_PEAK_MIN_RATE = 192_000
TRUE_PEAK_TAPS_PER_PHASE = 32
TRUE_PEAK_KAISER_BETA = 8.0
MIN_SAMPLERATE = 8_000  # the K-weighting shelf sits at 1.7 kHz
MAX_SAMPLERATE = 768_000
CHUNK_FRAMES = 1 << 16  # the meter works through long blocks this much at a time
_TRUE_PEAK_CHUNK = 256  # pieces of taps - 1 frames per matrix product

REPORT_KEYS = ("integrated_lufs", "lra_lu", "momentary_max_lufs", "short_term_max_lufs",
               "true_peak_dbtp", "sample_peak_dbfs")

# ITU-R BS.1770-4 Table 1 and Table 2: the K-weighting at 48 kHz as second-order sections.
BS1770_48K_SOS: Floats = np.array([
    [1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241,
     0.73248077421585],
    [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621],
])

# Analogue prototypes behind the BS.1770 coefficients (as derived for libebur128).
_SHELF_HZ = 1681.974450955533
_SHELF_GAIN_DB = 3.999843853973347
_SHELF_Q = 0.7071752369554196
_SHELF_VB_EXPONENT = 0.4996667741545416
_HIGH_PASS_HZ = 38.13547087602444
_HIGH_PASS_Q = 0.5003270373238773


class NotFiniteError(ValueError):
    """The audio holds NaN or infinite samples, so no loudness can be measured."""


def _check_samplerate(samplerate: float) -> None:
    if not MIN_SAMPLERATE <= samplerate <= MAX_SAMPLERATE:
        raise ValueError(f"sample rate {samplerate} Hz is outside "
                         f"{MIN_SAMPLERATE}..{MAX_SAMPLERATE} Hz")


def k_weighting_sos(samplerate: float) -> Floats:
    """The K-weighting filter for ``samplerate`` as two second-order sections (shelf, high
    pass), by the bilinear transform (pre-warped at each corner frequency) of the analogue
    prototypes; at 48 kHz this is :data:`BS1770_48K_SOS`."""
    _check_samplerate(samplerate)
    k = math.tan(math.pi * _SHELF_HZ / samplerate)
    vh = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    vb = vh**_SHELF_VB_EXPONENT
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf = [(vh + vb * k / _SHELF_Q + k * k) / a0, 2.0 * (k * k - vh) / a0,
             (vh - vb * k / _SHELF_Q + k * k) / a0,
             1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _SHELF_Q + k * k) / a0]
    a0 = _high_pass_a0(samplerate)
    k = math.tan(math.pi * _HIGH_PASS_HZ / samplerate)
    # BS.1770's numerator (1, -2, 1) at 48 kHz means a pass-band gain of a0(48 kHz) (+0.043
    # dB); keeping that gain at every rate is the bilinear transform of one analogue prototype.
    # (libebur128 keeps (1, -2, 1) instead, which drifts by +0.05 dB at 22.05 kHz.)
    gain = _high_pass_a0(48_000.0) / a0
    high_pass = [gain, -2.0 * gain, gain,
                 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HIGH_PASS_Q + k * k) / a0]
    return np.array([shelf, high_pass], dtype=np.float64)


def _high_pass_a0(samplerate: float) -> float:
    k = math.tan(math.pi * _HIGH_PASS_HZ / samplerate)
    return 1.0 + k / _HIGH_PASS_Q + k * k


def channel_weights(channels: int) -> Floats:
    """BS.1770-4 weights for the usual channel orders.

    1: mono; 2: L R; 3: L R C; 4: L R Ls Rs; 5: L R C Ls Rs (the EBU test set's order);
    6 and more: L R C LFE Ls Rs (WAV/SMPTE 5.1 order) with the LFE left out and any further
    channels weighted 1.0. Pass your own weights to :class:`LoudnessMeter` for other layouts.
    """
    if channels < 1:
        raise ValueError("at least one channel is needed")
    weights = np.ones(channels, dtype=np.float64)
    if channels == 4:
        weights[2:4] = SURROUND_WEIGHT
    elif channels == 5:
        weights[3:5] = SURROUND_WEIGHT
    elif channels >= 6:
        weights[3] = 0.0
        weights[4:6] = SURROUND_WEIGHT
    return weights


def true_peak_factor(samplerate: float) -> int:
    """How many times to oversample so the rate reaches 192 kHz (1 at 192 kHz and above)."""
    return max(1, math.ceil(TRUE_PEAK_MIN_RATE / samplerate - 1e-9))


def true_peak_filter(factor: int) -> npt.NDArray[np.float32]:
    """The interpolation filter as a matrix of shape ``(taps, factor)``: row ``r`` holds the
    coefficient for input frame ``j - taps + 1 + r`` in each of the ``factor`` output phases of
    frame ``j``. Phase 0 is a pure delay of ``taps // 2`` frames (gain exactly 1)."""
    if factor < 2:
        raise ValueError("no filter is needed without oversampling")
    half = TRUE_PEAK_TAPS_PER_PHASE // 2
    length = factor * TRUE_PEAK_TAPS_PER_PHASE + 1
    centre = length // 2  # = factor * half: on phase 0
    h = signal.firwin(length, 1.0 / factor, window=("kaiser", TRUE_PEAK_KAISER_BETA))
    h /= h[centre]
    for m in range(1, half + 1):  # the sinc's own zeros, exactly
        h[centre - m * factor] = 0.0
        h[centre + m * factor] = 0.0
    taps = TRUE_PEAK_TAPS_PER_PHASE + 1
    padded = np.zeros(taps * factor)
    padded[:length] = h
    return np.ascontiguousarray(padded.reshape(taps, factor)[::-1], dtype=np.float32)


def _lufs(power: float) -> float:
    return LOUDNESS_OFFSET + 10.0 * math.log10(power) if power > 0.0 else -math.inf


def _db(linear: float) -> float:
    return 20.0 * math.log10(linear) if linear > 0.0 else -math.inf


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class LoudnessReport:
    """What the meter read. ``-inf`` means there was nothing to measure (silence, or too short
    for a gating block); the loudness range is 0.0 LU then."""

    integrated_lufs: float
    lra_lu: float
    momentary_max_lufs: float
    short_term_max_lufs: float
    true_peak_dbtp: float
    sample_peak_dbfs: float

    def to_json(self) -> dict[str, float | None]:
        """The six readings by their :data:`REPORT_KEYS`; ``-inf`` becomes ``None`` (null)."""
        return {key: _json_number(getattr(self, key)) for key in REPORT_KEYS}


def integrated_from_blocks(block_powers: Floats) -> float:
    """BS.1770-4 gated loudness of the 400 ms gating-block powers."""
    above = block_powers[block_powers > _power(ABSOLUTE_GATE_LUFS)]
    if above.size == 0:
        return -math.inf
    gate = float(np.mean(above)) * 10.0 ** (RELATIVE_GATE_LU / 10.0)
    return _lufs(float(np.mean(above[above > gate])))


def loudness_range_from_windows(short_term_powers: Floats) -> float:
    """EBU Tech 3342 loudness range of the 3 s window powers (taken at 10 Hz or faster)."""
    above = short_term_powers[short_term_powers > _power(ABSOLUTE_GATE_LUFS)]
    if above.size == 0:
        return 0.0
    gate = float(np.mean(above)) * 10.0 ** (LRA_RELATIVE_GATE_LU / 10.0)
    kept = np.sort(above[above > gate])
    last = kept.size - 1
    low = float(kept[int(last * LRA_LOW_PERCENTILE + 0.5)])
    high = float(kept[int(last * LRA_HIGH_PERCENTILE + 0.5)])
    return _lufs(high) - _lufs(low)


def _power(lufs: float) -> float:
    return float(10.0 ** ((lufs - LOUDNESS_OFFSET) / 10.0))


class _Windows:
    """Sums of the per-frame power over sliding windows made of whole 100 ms steps.

    Each complete step keeps the running sum of its frames (``prefix``); a window of ``d``
    steps ending at frame ``i`` of step ``k`` is ``prefix[k][i] + total[k-1] + ... +
    total[k-d+1] + (total[k-d] - prefix[k-d][i])``. Steps before the first frame are silence.
    Every number is computed from complete steps in a fixed order, so how the frames arrive
    makes no difference.
    """

    def __init__(self, step: int) -> None:
        self.step = step
        self.steps = 0
        self.pending: Floats = np.zeros(0)
        self.prefix: Floats = np.zeros((SHORT_TERM_STEPS, step))
        self.totals: Floats = np.zeros(SHORT_TERM_STEPS)
        self.block_powers: list[Floats] = []
        self.short_term_powers: list[Floats] = []
        self.max_momentary_sum = 0.0
        self.max_short_term_sum = 0.0

    def push(self, power: Floats) -> None:
        frames = np.concatenate((self.pending, power)) if self.pending.size else power
        count = frames.size // self.step
        if count:
            prefix = np.cumsum(frames[: count * self.step].reshape(count, self.step), axis=1)
            totals = prefix[:, -1].copy()
            self._fold(prefix, totals)
        self.pending = frames[count * self.step:].copy()

    def _fold(self, prefix: Floats, totals: Floats) -> None:
        count = totals.size
        all_totals = np.concatenate((self.totals, totals))
        history = SHORT_TERM_STEPS
        for steps, is_momentary in ((MOMENTARY_STEPS, True), (SHORT_TERM_STEPS, False)):
            before = _sum_previous(all_totals, history, count, steps - 1)
            window_totals = totals + before  # windows ending at each step's last frame
            oldest_total = all_totals[history - steps: history - steps + count]
            oldest_prefix = np.concatenate((self.prefix[history - steps:], prefix))[:count]
            sums = np.subtract(oldest_total[:, None], oldest_prefix, out=oldest_prefix)
            sums += prefix  # the same order as in tail_sums
            sums += before[:, None]
            best = float(sums.max())
            first_complete = max(0, steps - 1 - self.steps)  # windows not reaching before 0
            kept = window_totals[first_complete:] / (steps * self.step)
            if is_momentary:
                self.max_momentary_sum = max(self.max_momentary_sum, best)
                self.block_powers.append(kept)
            else:
                self.max_short_term_sum = max(self.max_short_term_sum, best)
                self.short_term_powers.append(kept)
        self.prefix = np.concatenate((self.prefix[count:], prefix[-history:]))
        self.totals = all_totals[-history:].copy()
        self.steps += count

    def tail_sums(self, steps: int) -> Floats:
        """Window sums ending at each frame of the incomplete step (maybe none)."""
        if not self.pending.size:
            return np.zeros(0)
        partial = np.cumsum(self.pending)
        n = partial.size
        before = _sum_previous(self.totals, SHORT_TERM_STEPS, 1, steps - 1)
        oldest = SHORT_TERM_STEPS - steps
        sums: Floats = self.totals[oldest] - self.prefix[oldest, :n]
        sums += partial
        sums += before[0]
        return sums

    def latest_sum(self, steps: int) -> float:
        """The window of ``steps`` steps ending at the last frame pushed."""
        tail = self.tail_sums(steps)
        if tail.size:
            return float(tail[-1])
        return float(self.totals[SHORT_TERM_STEPS - steps:].sum())


def _sum_previous(all_totals: Floats, history: int, count: int, steps: int) -> Floats:
    """For each new step ``r`` (at ``history + r``), the sum of the ``steps`` totals before it,
    added nearest first."""
    acc = np.zeros(count)
    for back in range(1, steps + 1):
        acc += all_totals[history - back: history - back + count]
    return acc


def true_peak_band(factor: int) -> npt.NDArray[np.float32]:
    """The interpolation filter (phases 1 … factor-1) laid out for one matrix product per
    piece of ``taps - 1`` frames: shape ``(2 * piece, (factor - 1) * piece)``; row ``r`` is
    frame ``r`` of a piece and the one after it, and column ``(phase - 1) * piece + i`` gives
    that phase of the window ending at frame ``i`` of the later piece. Each column holds the
    filter once (``taps`` coefficients), the rest is zero."""
    matrix = true_peak_filter(factor)  # (taps, factor), row r: frame j - taps + 1 + r
    piece = matrix.shape[0] - 1
    band = np.zeros((2 * piece, (factor - 1) * piece), dtype=np.float32)
    for i in range(piece):  # columns phase by phase: (phase - 1) * piece + i
        band[i: i + piece + 1, i::piece] = matrix[:, 1:]
    return band


class _TruePeak:
    """Highest absolute value of the oversampled signal between the samples (phase 0, the
    samples themselves, is the meter's sample peak), fed block by block.

    The frames are gathered into chunks of :data:`_TRUE_PEAK_CHUNK` pieces of ``taps - 1``
    frames; each chunk, with the piece before it, is one matrix product with
    :func:`true_peak_band` (every sample read twice, not ``taps`` times as by a sliding
    window), always of the same shape, so the numbers do not depend on how the frames came."""

    def __init__(self, samplerate: float, channels: int) -> None:
        self.factor = true_peak_factor(samplerate)
        self.channels = channels
        self.peak = 0.0
        self.band = true_peak_band(self.factor) if self.factor > 1 else None
        self.piece = 0 if self.band is None else self.band.shape[0] // 2
        self.chunk = self.piece * _TRUE_PEAK_CHUNK
        # the piece before the chunk (silence before the start), then the chunk being filled
        self.frames = np.zeros((self.piece + self.chunk, channels), dtype=np.float32)
        self.filled = self.piece

    def push(self, block: npt.NDArray[np.float32]) -> None:
        if self.band is None:
            if block.size:
                self.peak = max(self.peak, float(np.max(np.abs(block))))
            return
        done = 0
        total = block.shape[0]
        while done < total:
            n = min(total - done, self.frames.shape[0] - self.filled)
            self.frames[self.filled: self.filled + n] = block[done: done + n]
            self.filled += n
            done += n
            if self.filled == self.frames.shape[0]:
                self.peak = max(self.peak, self._scan(self.frames))
                self.frames[: self.piece] = self.frames[self.chunk:]
                self.filled = self.piece

    def peak_with_tail(self) -> float:
        """The peak including the filter's ringing after the last frame (state untouched)."""
        if self.band is None:
            return self.peak
        pieces = -(-self.filled // self.piece)  # the frames waiting, and a piece of ringing
        rest = np.zeros((self.piece * (pieces + 1), self.channels), dtype=np.float32)
        rest[: self.filled] = self.frames[: self.filled]
        return max(self.peak, self._scan(rest))

    def _scan(self, frames: npt.NDArray[np.float32]) -> float:
        """The largest interpolated value for the frames after the first piece of
        ``frames`` (whole pieces)."""
        assert self.band is not None
        piece = self.piece
        count = frames.shape[0] // piece - 1
        columns = frames.T.reshape(self.channels, count + 1, piece)
        pairs = np.concatenate((columns[:, :-1], columns[:, 1:]), axis=2)
        values = pairs.reshape(self.channels * count, 2 * piece) @ self.band
        return max(float(values.max()), -float(values.min()))


class LoudnessMeter:
    """An EBU R 128 meter fed with blocks of shape ``(frames, channels)`` of any size.

    Read the live values (:meth:`momentary_lufs`, :meth:`short_term_lufs`) and everything so
    far (:meth:`integrated_lufs`, :meth:`loudness_range_lu`, :meth:`report`) at any time.
    """

    def __init__(self, samplerate: int, channels: int,
                 weights: Sequence[float] | None = None) -> None:
        _check_samplerate(samplerate)
        chosen = channel_weights(channels) if weights is None else np.asarray(weights, float)
        if chosen.shape != (channels,) or not np.all(np.isfinite(chosen)) or np.any(chosen < 0):
            raise ValueError(f"need {channels} finite, non-negative channel weights")
        self.samplerate = samplerate
        self.channels = channels
        self.frames = 0
        self._active = np.flatnonzero(chosen > 0.0)
        self._all_active = self._active.size == channels
        self._weights = chosen[self._active]
        self._sos = k_weighting_sos(samplerate)
        self._state = np.zeros((self._sos.shape[0], 2, self._active.size))
        self._windows = _Windows(int(samplerate / 10 + 0.5))
        self._true_peak = _TruePeak(samplerate, channels)
        self._sample_peak = 0.0

    def feed(self, block: npt.ArrayLike) -> None:
        """Add the next frames (float samples, full scale at 1.0). Raises
        :class:`NotFiniteError` for NaN or infinite samples (the meter is unchanged then).
        A long block is worked through in pieces, so it needs little memory beyond itself."""
        audio = np.asarray(block)
        if audio.ndim == 1 and self.channels == 1:
            audio = audio[:, None]
        if audio.ndim != 2 or audio.shape[1] != self.channels:
            raise ValueError(f"expected frames x {self.channels} channels, got {audio.shape}")
        if not np.issubdtype(audio.dtype, np.floating):
            raise ValueError(f"expected float samples, got {audio.dtype}")
        if audio.shape[0] == 0:
            return
        peak = max(float(audio.max()), -float(audio.min()))
        if not math.isfinite(peak):
            raise NotFiniteError("the audio holds NaN or infinite samples")
        for start in range(0, audio.shape[0], CHUNK_FRAMES):
            self._feed_piece(np.asarray(audio[start: start + CHUNK_FRAMES], dtype=np.float32))

    def _feed_piece(self, audio: npt.NDArray[np.float32]) -> None:
        self._sample_peak = max(self._sample_peak, max(float(audio.max()), -float(audio.min())))
        self._true_peak.push(audio)
        source = audio if self._all_active else audio[:, self._active]
        filtered, self._state = signal.sosfilt(self._sos, source, axis=0, zi=self._state)
        np.square(filtered, out=filtered)
        self._windows.push(filtered @ self._weights)
        self.frames += audio.shape[0]

    def _window_lufs(self, steps: int) -> float:
        return _lufs(self._windows.latest_sum(steps) / (steps * self._windows.step))

    def momentary_lufs(self) -> float:
        """Loudness of the last 400 ms (silence counted before the start)."""
        return self._window_lufs(MOMENTARY_STEPS)

    def short_term_lufs(self) -> float:
        """Loudness of the last 3 s (silence counted before the start)."""
        return self._window_lufs(SHORT_TERM_STEPS)

    def integrated_lufs(self) -> float:
        """Gated loudness of everything so far."""
        return integrated_from_blocks(_joined(self._windows.block_powers))

    def loudness_range_lu(self) -> float:
        """Loudness range of everything so far."""
        return loudness_range_from_windows(_joined(self._windows.short_term_powers))

    def _max_lufs(self, steps: int, committed: float) -> float:
        tail = self._windows.tail_sums(steps)
        best = max(committed, float(tail.max())) if tail.size else committed
        return _lufs(best / (steps * self._windows.step))

    def report(self) -> LoudnessReport:
        """All six readings for everything fed so far."""
        windows = self._windows
        return LoudnessReport(
            integrated_lufs=self.integrated_lufs(),
            lra_lu=self.loudness_range_lu(),
            momentary_max_lufs=self._max_lufs(MOMENTARY_STEPS, windows.max_momentary_sum),
            short_term_max_lufs=self._max_lufs(SHORT_TERM_STEPS, windows.max_short_term_sum),
            true_peak_dbtp=_db(max(self._true_peak.peak_with_tail(), self._sample_peak)),
            sample_peak_dbfs=_db(self._sample_peak),
        )


def _joined(parts: list[Floats]) -> Floats:
    return np.concatenate(parts) if parts else np.zeros(0)


def measure_loudness(audio: npt.NDArray[Any], samplerate: int) -> LoudnessReport:
    """Meter ``audio`` (shape ``(frames, channels)``, or ``(frames,)`` for mono) at
    ``samplerate``; see the module docstring for what each reading means."""
    data = np.asarray(audio)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] < 1:
        raise ValueError(f"expected an array of frames x channels, got shape {data.shape}")
    meter = LoudnessMeter(samplerate, data.shape[1])
    meter.feed(data)
    return meter.report()
