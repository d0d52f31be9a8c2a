"""Mastering: a master chain, a gain to reach a loudness target, and a true-peak-safe limiter.

The pieces, in signal order (all of them work block by block, on blocks of any size):

:class:`ChainStage`
    An input gain (so the chain always sees the mix at the level its preset was set for, see
    ``studio.core.master_preset``) and the preset's EQ and compressor, run by pedalboard through
    :class:`studio.audio.frame_chain.FrameChain` (warmed up and never reset from Python, so the
    block size does not change the result). The EQ filters at the head of the chain come
    before the input gain (a gain commutes with a linear filter), so they can run before the
    mix's loudness is known. No latency.
:class:`PeakLimiter`
    A look-ahead limiter that holds a TRUE-peak ceiling (BS.1770-4 Annex 2, the same polyphase
    interpolator the loudness meter uses: :func:`studio.audio.loudness.true_peak_filter`).
    Why our own: ``pedalboard.Limiter`` adds make-up gain and clipped a test master to 0 dBFS;
    ``pedalboard.BrickwallLimiter`` (0.9.26) held the *sample* peak but, measured on the
    fixture music turned up to -9 LUFS (peaks 7 dB over its ceiling), let the true peak through
    at -0.66 dBTP with ``ceiling_db=-1`` (-0.98 with ``true_peak=True``; its documentation says
    it does not guarantee the reconstructed waveform), and fed in blocks it returns fewer
    frames than it is given (its look-ahead), so block-by-block output is not the one-call
    output.

    How it works, every step vectorised with numpy (no Python loop over samples):

    1. Peak per frame: the interpolated (oversampled to >= 192 kHz) signal's largest absolute
       value over each interval between two frames, over all channels (``P[t]``, delayed by
       half the interpolator's length).
    2. Needed reduction in dB at frame ``t``: ``d[t] = max(0, 20 log10(max(P[t-1], P[t]) /
       ceiling))``: a frame's gain bounds the two intervals next to it.
    3. Hold: ``h[t] = max(d[t .. t + L + K - 1])``: the reduction is known ``L + K`` frames
       ahead (``L`` = look-ahead, ``K`` = :data:`PRE_HOLD_FRAMES`).
    4. Release at a constant rate in dB per second: ``e[t] = max over k <= t of (h[k] -
       rate * (t - k))``, computed as a running maximum (``numpy.maximum.accumulate``) of
       ``h[k] + rate * k`` with ``k`` counted from the stream's start, so it gives the same
       numbers whatever the block boundaries.
    5. Attack: ``s[t]`` = the mean of ``e`` over the last ``L`` frames, a linear fade in dB.
       Every ``e[j]`` in that window is at least ``d[t]`` (the hold of step 3 reaches ``t``
       from each of them), so ``s[t] >= d[t]``: the ceiling is held, and the gain is already
       flat for ``K`` frames before a peak, where the interpolator looks.
    6. The audio, delayed by the detector's and the hold's latency, is multiplied by
       ``10 ** (-s / 20)``.

    The limiter aims :data:`CEILING_MARGIN_DB` under the ceiling (the gain changes a little
    within the interpolator's reach); the offline master measures the result again and lowers
    the aim if the meter still finds a peak over the ceiling.
:class:`MasterChain`
    Both, with fixed gains: what runs live after the mix graph (give it the input gain, gain
    and margin of the last offline master, :class:`MasterResult`), and offline in
    :func:`master_offline`; the two give the same samples (within float rounding). Live, its
    output is :attr:`MasterChain.latency_frames` late (the look-ahead: 119 frames, 2.5 ms, at
    48 kHz with the shipped presets), and each block allocates its output (numpy and
    pedalboard return new arrays).

:func:`master_offline` masters a whole song without holding it in memory (work files are
anonymous temporary files: gone when closed, even after a crash):

1. The mix is rendered once, block by block, and as each block comes its integrated loudness
   and peaks are read (:class:`MixReading`, on a thread of its own) and the chain's leading
   linear filters, which do not depend on the loudness, run on it (:meth:`ChainStage.linear`)
   on the way into a float work file: all of it overlapping the rendering.
2. The input gain is set from the mix's integrated loudness; the gain and the rest of the
   chain (the compressor) run over the work file, writing the output back in place, while two
   threads read it: an integrated-loudness meter, whose K-weighted power of every frame is
   kept, and the true-peak detector, whose output is kept (two more work files).
3. The gain to the target is found without touching the audio: for a candidate gain, the same
   :class:`GainComputer` runs over the kept peaks, and the loudness after the limiter follows
   from the kept power times the squared gains (secant steps until within :data:`AIM_LU`).
   Turning up stops where the limiter would take more than :data:`MAX_LIMITER_DB` off the
   peaks, or where a dB more gain brings less than :data:`MIN_SLOPE` LU: material too spiky
   for the target is left as loud as it sensibly gets, not crushed, and the result says how
   far off it is.
4. The work file goes through the gain and the limiter into the sink (the export's file)
   while the full meter reads what is written (a lossy sink decodes its file and meters that).
   If the written result is more than :data:`FINAL_AIM_LU` off the target, or a peak is over
   the ceiling, the aim is corrected (by what the prediction missed, and a lower ceiling for
   the limiter) and step 4 runs again (at most :data:`MAX_TRIES` times in all).

Measured on the fixture music and synthetic material (``tests/audio/test_mastering.py``): every
target lands within ±0.5 LU with the ceiling held, nearly always with the file written once.
A preset without a target ("none") is one pass: the mix goes to the sink unchanged, and is
measured.
"""

from __future__ import annotations

import math
import queue
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Protocol

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from studio.audio.blas_threads import keep_freed_memory, single_blas_thread
from studio.audio.frame_chain import FrameChain
from studio.audio.loudness import (
    LoudnessMeter,
    LoudnessReport,
    integrated_from_blocks,
    k_weighting_sos,
    true_peak_band,
    true_peak_factor,
)
from studio.core.master_preset import LimiterSettings, MasterPreset

__all__ = [
    "AIM_LU",
    "BLOCK",
    "CEILING_MARGIN_DB",
    "MAX_LIMITER_DB",
    "MAX_TRIES",
    "TOLERANCE_LU",
    "Cancelled",
    "ChainStage",
    "GainComputer",
    "IntegratedMeter",
    "MasterChain",
    "MasterResult",
    "MasterSink",
    "MixReading",
    "PeakLimiter",
    "TruePeakDetector",
    "master_offline",
    "window_max",
]

Audio = npt.NDArray[np.float32]
Floats = npt.NDArray[np.float64]

BLOCK = 65536
TOLERANCE_LU = 0.5  # the promise: within this of the target
AIM_LU = 0.1  # what a try must reach to be kept at once
MAX_TRIES = 4
MAX_AIMS = 8
FINAL_AIM_LU = 0.2  # a written result further off than this is written again
MAX_LIMITER_DB = 12.0  # turning up stops where the limiter would take more off the peaks
MIN_SLOPE = 0.2  # … or where a dB more gain brings less than this much loudness
CEILING_MARGIN_DB = 0.05  # the limiter aims this far under the ceiling at first
CEILING_STEP_DB = 0.05  # extra margin when the meter still found a peak over the ceiling
PRE_HOLD_FRAMES = 8  # the gain is flat this many frames before a peak
RELEASE_REFERENCE_DB = 6.0  # release_ms is the time to come back this many dB
MAX_INPUT_GAIN_DB = 24.0
MAX_GAIN_DB = 36.0
# effects that are linear and time-invariant: a gain before or after them gives the same sound
LINEAR_EFFECTS = frozenset({"HighpassFilter", "LowpassFilter", "LowShelfFilter",
                            "HighShelfFilter", "PeakFilter", "Gain"})


class Cancelled(Exception):
    """Raised by :func:`master_offline` when its cancel event is set (the caller says so)."""


_DB_TO_NEPER = -math.log(10.0) / 20.0  # 10 ** (-db / 20) == exp(db * this)


def _db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def window_max(values: Floats, width: int) -> Floats:
    """``out[i] = max(values[i : i + width])`` for every complete window (exact; about
    ``log2(width)`` passes of :func:`numpy.maximum`)."""
    if width < 1 or values.shape[0] < width:
        raise ValueError("need at least one complete window")
    out = values
    span = 1
    while span * 2 <= width:
        out = np.maximum(out[:-span], out[span:])
        span *= 2
    if span < width:
        count = values.shape[0] - width + 1
        out = np.maximum(out[:count], out[width - span: width - span + count])
    return out


# ---------------------------------------------------------------------------------------------
# the limiter
class TruePeakDetector:
    """Per-frame true-peak estimate of a stream: for each interval between two frames, the
    largest absolute value of the oversampled signal over all channels.

    :meth:`push` returns one value per frame pushed, for the frames :attr:`delay` earlier (the
    interpolator looks that far ahead); the first :attr:`delay` values are the filter's ringing
    before the stream started (silence before it).

    The interpolated values are exactly the loudness meter's (the same filter, phase 0 being
    the sample itself), computed as one matrix product per block: the frames are cut into
    pieces of ``taps - 1`` (32), each piece together with the one before it (64 frames) times a
    banded matrix holding the filter once per output frame of the piece, shape (64, 32 x
    (factor - 1)). That touches every sample twice instead of 33 times (the meter's sliding
    window), measured 2.5x faster on one core."""

    def __init__(self, samplerate: int, channels: int) -> None:
        self.factor = true_peak_factor(samplerate)
        self.channels = channels
        if self.factor > 1:
            band = true_peak_band(self.factor)
            piece = band.shape[0] // 2
            self._piece = piece
            self.delay = piece // 2
            self._band: npt.NDArray[np.float32] | None = band
        else:
            self._piece = 0
            self.delay = 0
            self._band = None
        self._history = np.zeros((self._piece, channels), dtype=np.float32)

    def push(self, block: Audio) -> Floats:
        n = block.shape[0]
        if n == 0:
            return np.zeros(0)
        if self._band is None:
            simple: Floats = np.abs(block).max(axis=1).astype(np.float64)
            return simple
        piece = self._piece
        count = -(-n // piece)  # pieces of output
        extended = np.zeros((piece * (count + 1), self.channels), dtype=np.float32)
        extended[:piece] = self._history
        extended[piece: piece + n] = block
        self._history = extended[n: n + piece].copy()
        columns = extended.T.reshape(self.channels, count + 1, piece)
        pairs = np.concatenate((columns[:, :-1], columns[:, 1:]), axis=2)
        values = pairs.reshape(self.channels * count, 2 * piece) @ self._band
        np.abs(values, out=values)
        values = values.reshape(self.channels, count, self.factor - 1, piece)
        peaks = values[:, :, 0].copy()
        for phase in range(1, self.factor - 1):
            np.maximum(peaks, values[:, :, phase], out=peaks)
        flat = peaks.reshape(self.channels, count * piece)
        best = flat[0, :n].copy()
        for channel in range(1, self.channels):
            np.maximum(best, flat[channel, :n], out=best)
        samples = np.abs(extended[self.delay: self.delay + n])
        for channel in range(self.channels):
            np.maximum(best, samples[:, channel], out=best)
        return best.astype(np.float64)


class GainComputer:
    """Steps 2 to 5 of the limiter (see the module docstring): peaks in, gains out, the gains
    :attr:`latency` frames behind the peaks pushed."""

    def __init__(self, samplerate: int, ceiling_db: float, settings: LimiterSettings) -> None:
        self.ceiling = _db_to_gain(ceiling_db)
        self.attack = max(1, round(settings.lookahead_ms * samplerate / 1000.0))
        self.hold = self.attack + PRE_HOLD_FRAMES
        self.latency = self.hold - 1
        self.rate = RELEASE_REFERENCE_DB / (settings.release_ms * samplerate / 1000.0)
        self._last_peak = 0.0
        self._pending: Floats = np.zeros(self.hold - 1)  # reductions waiting for their hold
        self._recent: Floats = np.zeros(self.attack - 1)  # released values for the mean
        self._running = 0.0  # the running maximum of h[k] + rate * k so far
        self._index = 0  # frames of h made so far
        self.max_reduction_db = 0.0
        self.reduced_frames = 0  # frames turned down by more than 0.1 dB

    def push(self, peaks: Floats) -> npt.NDArray[np.float32]:
        n = peaks.shape[0]
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        previous = np.empty(n)
        previous[0] = self._last_peak
        previous[1:] = peaks[:-1]
        self._last_peak = float(peaks[-1])
        level = np.maximum(previous, peaks)
        reduction = np.zeros(n)
        over = level > self.ceiling
        if over.any():
            reduction[over] = 20.0 * np.log10(level[over] / self.ceiling)
        waiting = np.concatenate((self._pending, reduction))
        self._pending = waiting[n:]
        if waiting.max() > 0.0:
            held = window_max(waiting, self.hold)
        else:
            held = np.zeros(n)
        released = self._release(held)
        joined = np.concatenate((self._recent, released))
        self._recent = joined[n:]
        if joined.max() > 0.0:
            sums = np.cumsum(joined)
            smooth = sums[self.attack - 1:].copy()
            smooth[1:] -= sums[: n - 1]
            smooth /= self.attack
            np.maximum(smooth, 0.0, out=smooth)
            self.max_reduction_db = max(self.max_reduction_db, float(smooth.max()))
            self.reduced_frames += int(np.count_nonzero(smooth > 0.1))
            # 10 ** (-smooth / 20), as a float32 exp (vectorised; the float64 power was 16
            # times slower and its extra digits were rounded away anyway)
            return np.exp((smooth * _DB_TO_NEPER).astype(np.float32))
        return np.ones(n, dtype=np.float32)

    def _release(self, held: Floats) -> Floats:
        n = held.shape[0]
        start = self._index
        self._index += n
        if held.max() <= 0.0 and self._running - self.rate * start <= 0.0:
            return np.zeros(n)
        ramp = self.rate * np.arange(start, start + n, dtype=np.float64)
        running = np.maximum.accumulate(held + ramp)
        np.maximum(running, self._running, out=running)
        self._running = float(running[-1])
        running -= ramp
        np.maximum(running, 0.0, out=running)
        return running


class _Delay:
    """A delay line of ``frames`` frames for blocks of any size (silence before the start)."""

    def __init__(self, frames: int, channels: int) -> None:
        self._pending = np.zeros((frames, channels), dtype=np.float32)

    def push(self, block: Audio) -> Audio:
        if self._pending.shape[0] == 0:
            return block
        joined = np.concatenate((self._pending, block))
        n = block.shape[0]
        self._pending = joined[n:]
        return joined[:n]


class PeakLimiter:
    """The true-peak-safe look-ahead limiter: blocks in, the same number of frames out,
    :attr:`latency` frames late (see the module docstring)."""

    def __init__(self, samplerate: int, channels: int, ceiling_dbtp: float,
                 settings: LimiterSettings, margin_db: float = CEILING_MARGIN_DB) -> None:
        self.detector = TruePeakDetector(samplerate, channels)
        self.gains = GainComputer(samplerate, ceiling_dbtp - margin_db, settings)
        self.latency = self.detector.delay + self.gains.latency
        self._delay = _Delay(self.latency, channels)

    def process(self, block: Audio, peaks: Floats | None = None) -> Audio:
        """The next block out. ``peaks``: this block's :class:`TruePeakDetector` output when it
        was computed already (the offline master keeps it from its analysis pass)."""
        if block.shape[0] == 0:
            return block
        if peaks is None:
            peaks = self.detector.push(block)
        gains = self.gains.push(peaks)
        delayed = self._delay.push(block)
        out: Audio = delayed * gains[:, None]
        return out


# ---------------------------------------------------------------------------------------------
# the chain
class ChainStage:
    """Input gain and the preset's master chain (EQ, compressor). No latency.

    The chain's leading linear effects (the EQ filters, :data:`LINEAR_EFFECTS`) run before the
    input gain and the rest (the compressor on) after it: a gain commutes with a linear filter,
    so the compressor still sees the mix at the level the preset was set for, and the offline
    master can run the filters while the mix is being rendered, before its loudness (and so the
    input gain) is known."""

    def __init__(self, preset: MasterPreset, samplerate: int, channels: int,
                 input_gain_db: float, max_frames: int = BLOCK) -> None:
        self.input_gain = np.float32(_db_to_gain(input_gain_db))
        effects = preset.effects
        split = 0
        while split < len(effects) and effects[split].type in LINEAR_EFFECTS:
            split += 1
        whole = preset.chain_preset()
        self._linear = (FrameChain(replace(whole, effects=effects[:split]), samplerate,
                                   channels, max_frames) if split else None)
        self._rest = (FrameChain(replace(whole, effects=effects[split:]), samplerate,
                                 channels, max_frames) if split < len(effects) else None)
        self.max_frames = max_frames

    def set_input_gain(self, input_gain_db: float) -> None:
        self.input_gain = np.float32(_db_to_gain(input_gain_db))

    def linear(self, block: Audio) -> Audio:
        """The leading linear effects only (a new array, or ``block`` when there are none)."""
        return self._run(self._linear, block)

    def after_linear(self, block: Audio) -> Audio:
        """The input gain and the rest of the chain, for audio that has been through
        :meth:`linear`."""
        scaled: Audio = block * self.input_gain if self.input_gain != 1.0 else block
        return self._run(self._rest, scaled)

    def process(self, block: Audio) -> Audio:
        return self.after_linear(self.linear(block))

    def _run(self, chain: FrameChain | None, block: Audio) -> Audio:
        if chain is None:
            return block
        if block.shape[0] <= self.max_frames:
            return chain.process_frames(np.ascontiguousarray(block))
        return np.concatenate([chain.process_frames(np.ascontiguousarray(
            block[start: start + self.max_frames]))
            for start in range(0, block.shape[0], self.max_frames)])


class MasterChain:
    """The whole master with fixed gains, block by block: input gain, chain, gain, limiter.

    Output is :attr:`latency_frames` late (the limiter's look-ahead); :meth:`flush` gives the
    last frames. A preset without a target passes the audio through unchanged (latency 0).
    Each call allocates its output (numpy and pedalboard work on new arrays); blocks of at most
    ``max_frames`` frames are processed without further splitting.
    """

    def __init__(self, preset: MasterPreset, samplerate: int, channels: int = 2, *,
                 input_gain_db: float = 0.0, gain_db: float = 0.0, max_frames: int = BLOCK,
                 margin_db: float = CEILING_MARGIN_DB) -> None:
        self.preset = preset
        self.channels = channels
        self._chain: ChainStage | None = None
        self._limiter: PeakLimiter | None = None
        self.gain = np.float32(_db_to_gain(gain_db))
        if preset.target is not None:
            self._chain = ChainStage(preset, samplerate, channels, input_gain_db, max_frames)
            self._limiter = PeakLimiter(samplerate, channels, preset.target.true_peak_dbtp,
                                        preset.limiter, margin_db)
        self.latency_frames = self._limiter.latency if self._limiter is not None else 0

    def process(self, block: Audio) -> Audio:
        if self._chain is None or self._limiter is None:
            return block
        return self._limiter.process(self._chain.process(block) * self.gain)

    def after_chain(self, block: Audio) -> Audio:
        """Only the input gain and the chain (what the offline master measures first)."""
        return block if self._chain is None else self._chain.process(block)

    def limit(self, block: Audio, peaks: Floats | None = None) -> Audio:
        """Only the gain and the limiter, for audio that has been through :meth:`after_chain`
        (``peaks``: the detector's output for that audio before the gain, if known)."""
        if self._limiter is None:
            return block
        return self._limiter.process(block * self.gain,
                                     None if peaks is None else peaks * float(self.gain))

    def flush(self, peaks: Floats | None = None) -> Audio:
        """The last :attr:`latency_frames` frames (the limiter fed with silence)."""
        if self._limiter is None or self.latency_frames == 0:
            return np.zeros((0, self.channels), dtype=np.float32)
        return self.limit(np.zeros((self.latency_frames, self.channels), dtype=np.float32),
                          peaks)

    @property
    def max_reduction_db(self) -> float:
        return self._limiter.gains.max_reduction_db if self._limiter is not None else 0.0

    @property
    def reduced_frames(self) -> int:
        return self._limiter.gains.reduced_frames if self._limiter is not None else 0


# ---------------------------------------------------------------------------------------------
# offline
class IntegratedMeter:
    """BS.1770-4 integrated loudness only (K-weighting and 400 ms gating blocks, no true
    peak): the cheap reading the offline master needs between its passes. Same numbers as
    :class:`LoudnessMeter`'s integrated loudness for stereo (and any block sizes)."""

    def __init__(self, samplerate: int, channels: int) -> None:
        self._sos = k_weighting_sos(samplerate)
        self._state = np.zeros((self._sos.shape[0], 2, channels))
        self._step = int(samplerate / 10 + 0.5)
        self._pending: Floats = np.zeros(0)
        self._steps: list[Floats] = []

    def feed(self, block: Audio) -> Floats:
        """Meter the next frames; returns their K-weighted power (summed over channels)."""
        if block.shape[0] == 0:
            return np.zeros(0)
        filtered, self._state = signal.sosfilt(self._sos, block, axis=0, zi=self._state)
        np.square(filtered, out=filtered)
        power: Floats = filtered[:, 0].copy()
        for channel in range(1, filtered.shape[1]):
            power += filtered[:, channel]
        self.feed_power(power)
        return power

    def feed_power(self, power: Floats) -> None:
        """Meter frames given as their K-weighted power already."""
        if power.shape[0] == 0:
            return
        frames = np.concatenate((self._pending, power)) if self._pending.size else power
        count = frames.shape[0] // self._step
        if count:
            self._steps.append(frames[: count * self._step].reshape(count, self._step)
                               .sum(axis=1))
        self._pending = frames[count * self._step:].copy()

    def integrated_lufs(self) -> float:
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0)
        if steps.shape[0] < 4:
            return -math.inf
        blocks = sliding_window_view(steps, 4).sum(axis=1) / (4 * self._step)
        return integrated_from_blocks(blocks)


class _Worker:
    """Calls ``work`` with each block fed, in order, on a thread of its own (numpy, scipy and
    pedalboard release the GIL for the heavy parts), so that work overlaps the caller's.
    :meth:`finish` waits for every block fed so far and raises what ``work`` raised."""

    def __init__(self, work: Callable[[Audio], object], name: str) -> None:
        self._work = work
        self._queue: queue.Queue[Audio | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            block = self._queue.get()
            if block is None:
                return
            if self._error is None:
                try:
                    self._work(block)
                except BaseException as error:  # handed to the caller in finish()
                    self._error = error

    def feed(self, block: Audio) -> None:
        self._queue.put(block)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def finish(self) -> None:
        self.close()
        if self._error is not None:
            raise self._error


class _MeterThread(_Worker):
    """A :class:`LoudnessMeter` fed on a thread of its own, so metering overlaps rendering and
    writing. :meth:`report` waits for every block fed so far."""

    def __init__(self, samplerate: int, channels: int) -> None:
        self.meter = LoudnessMeter(samplerate, channels)
        super().__init__(self.meter.feed, "master-meter")

    def report(self) -> LoudnessReport:
        self.finish()
        return self.meter.report()


@dataclass(frozen=True)
class MixReading:
    """The mix as it came in: its integrated loudness and peaks (BS.1770-4, the same numbers
    as :class:`LoudnessMeter`'s). The full report (loudness range, momentary and short-term
    maxima) is made of the result, where it matters; leaving it out here saves a quarter of a
    second per 3-minute song on the way in."""

    integrated_lufs: float
    true_peak_dbtp: float
    sample_peak_dbfs: float

    @classmethod
    def of(cls, report: LoudnessReport) -> MixReading:
        return cls(report.integrated_lufs, report.true_peak_dbtp, report.sample_peak_dbfs)

    def to_json(self) -> dict[str, float | None]:
        return {key: (value if math.isfinite(value) else None) for key, value in (
            ("integrated_lufs", self.integrated_lufs), ("true_peak_dbtp", self.true_peak_dbtp),
            ("sample_peak_dbfs", self.sample_peak_dbfs))}


class _MixMeter(_Worker):
    """Integrated loudness, true peak and sample peak of the mix, on a thread of its own."""

    def __init__(self, samplerate: int, channels: int) -> None:
        self._loudness = IntegratedMeter(samplerate, channels)
        self._detector = TruePeakDetector(samplerate, channels)
        self._true_peak = 0.0
        self._sample_peak = 0.0
        super().__init__(self._measure, "master-mix-meter")

    def _measure(self, block: Audio) -> None:
        if block.shape[0] == 0:
            return
        self._loudness.feed(block)
        self._true_peak = max(self._true_peak, float(self._detector.push(block).max()))
        self._sample_peak = max(self._sample_peak, float(block.max()), -float(block.min()))

    def reading(self) -> MixReading:
        self.finish()
        tail = self._detector.push(np.zeros((2 * self._detector.delay + 1,
                                             self._detector.channels), dtype=np.float32))
        true_peak = max(self._true_peak, float(tail.max()), self._sample_peak)
        return MixReading(self._loudness.integrated_lufs(), _to_db(true_peak),
                          _to_db(self._sample_peak))


def _to_db(linear: float) -> float:
    return 20.0 * math.log10(linear) if linear > 0.0 else -math.inf


class MasterSink(Protocol):
    """Where :func:`master_offline` writes the result: :meth:`restart` is called before each
    try (open, or truncate and start over), then :meth:`write` with each block in order, then
    :meth:`verify`: the sink's own measurement of what it holds now (a lossy encoder moves the
    peaks, so an MP3 or Ogg sink decodes its file and meters it), or None when what it was
    given is what it holds (PCM), and the master's own meter counts."""

    @property
    def headroom_db(self) -> float:
        """How much further under the ceiling the limiter should aim from the start (a lossy
        encoder's usual overshoot; 0 for PCM)."""
        ...

    def restart(self) -> None: ...

    def write(self, block: Audio) -> None: ...

    def verify(self) -> LoudnessReport | None: ...


@dataclass(frozen=True)
class MasterResult:
    preset: str
    target_lufs: float | None
    ceiling_dbtp: float | None
    before: MixReading  # the mix as it came in
    after: LoudnessReport  # what was written
    input_gain_db: float
    gain_db: float
    limiter_max_db: float  # the most the limiter turned down
    limited_seconds: float  # how long it turned down by more than 0.1 dB
    tries: int  # how many times the file was written (the gain is found before, unwritten)
    frames: int
    samplerate: int
    margin_db: float  # how far under the ceiling the limiter aimed in the end

    @property
    def on_target(self) -> bool:
        """Within ±0.5 LU of the target with the ceiling held (True when there is no target)."""
        if self.target_lufs is None or self.ceiling_dbtp is None:
            return True
        return (abs(self.after.integrated_lufs - self.target_lufs) <= TOLERANCE_LU
                and self.after.true_peak_dbtp <= self.ceiling_dbtp)


Progress = Callable[[float], None]


class _Run:
    def __init__(self, progress: Progress | None, cancel: threading.Event | None) -> None:
        self.progress = progress
        self.cancel = cancel

    def step(self, fraction: float) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled
        if self.progress is not None:
            self.progress(min(1.0, max(0.0, fraction)))


def _raw(block: Audio) -> memoryview:
    """The bytes of a float32 block (no copy when it is C-contiguous float32 already)."""
    return np.ascontiguousarray(block, dtype=np.float32).reshape(-1).view(np.uint8).data


def _read(file: IO[bytes], frames: int, channels: int) -> Audio:
    block = np.empty((frames, channels), dtype=np.float32)
    got = file.readinto(_raw(block))  # type: ignore[attr-defined]
    if got != block.nbytes:
        raise OSError("the temporary mastering file came back short")
    return block


def _read_peaks(file: IO[bytes], frames: int) -> Floats:
    peaks: Floats = _read(file, frames, 1)[:, 0].astype(np.float64)
    return peaks


def master_offline(blocks: Iterable[Audio], frames: int, samplerate: int, preset: MasterPreset,
                   sink: MasterSink, *, channels: int = 2, temp_dir: Path | None = None,
                   block: int = BLOCK, progress: Progress | None = None,
                   cancel: threading.Event | None = None) -> MasterResult:
    """Master ``frames`` frames of ``blocks`` (the mix, any block sizes) with ``preset`` into
    ``sink`` (see the module docstring). Raises :class:`Cancelled` when ``cancel`` is set;
    the sink may then hold a partial result, which the caller throws away. OpenBLAS runs on
    one thread meanwhile, rendering ``blocks`` included, and freed memory is reused rather than
    handed back to the kernel (:mod:`studio.audio.blas_threads`)."""
    keep_freed_memory()
    with single_blas_thread():
        return _master_offline(blocks, frames, samplerate, preset, sink, channels, temp_dir,
                               block, _Run(progress, cancel))


def _master_offline(blocks: Iterable[Audio], frames: int, samplerate: int, preset: MasterPreset,
                    sink: MasterSink, channels: int, temp_dir: Path | None, block: int,
                    run: _Run) -> MasterResult:
    if preset.target is None:
        meter = _MeterThread(samplerate, channels)
        try:
            sink.restart()
            done = 0
            for piece in blocks:
                run.step(done / frames if frames else 1.0)
                meter.feed(piece)
                sink.write(piece)
                done += piece.shape[0]
            report = meter.report()
        finally:
            meter.close()
        after = sink.verify() or report
        run.step(1.0)
        return MasterResult(preset.name, None, None, MixReading.of(report), after, 0.0, 0.0,
                            0.0, 0.0, 1, done, samplerate, CEILING_MARGIN_DB)
    mix = _MixMeter(samplerate, channels)
    try:
        return _master_to_target(blocks, frames, samplerate, preset, sink, channels, temp_dir,
                                 block, run, mix)
    finally:
        mix.close()


def _master_to_target(blocks: Iterable[Audio], frames: int, samplerate: int,
                      preset: MasterPreset, sink: MasterSink, channels: int,
                      temp_dir: Path | None, block: int, run: _Run, mix: _MixMeter
                      ) -> MasterResult:
    target = preset.target
    assert target is not None
    with tempfile.TemporaryFile(dir=temp_dir) as audio, \
            tempfile.TemporaryFile(dir=temp_dir) as peaks, \
            tempfile.TemporaryFile(dir=temp_dir) as power:
        # pass 1, while the mix is rendered: the mix metered (on a thread of its own), and
        # through the chain's linear filters (which do not depend on its loudness) into the
        # work file
        stage = ChainStage(preset, samplerate, channels, 0.0, block)
        total = 0
        for piece in blocks:
            run.step(0.5 * total / frames if frames else 0.0)
            mix.feed(piece)
            audio.write(_raw(stage.linear(piece)))
            total += piece.shape[0]
        before_report = mix.reading()
        input_gain_db = 0.0
        if preset.input_lufs is not None and math.isfinite(before_report.integrated_lufs):
            input_gain_db = float(np.clip(preset.input_lufs - before_report.integrated_lufs,
                                          -MAX_INPUT_GAIN_DB, MAX_INPUT_GAIN_DB))
        stage.set_input_gain(input_gain_db)
        # pass 2: the input gain and the rest of the chain (written back in place), metered;
        # the peaks and the K-weighted power kept for finding the gain, each on a thread of
        # its own while the chain runs on
        shape = _Shape(total, channels, block, samplerate, preset, input_gain_db)
        chained = IntegratedMeter(samplerate, channels)
        detector = TruePeakDetector(samplerate, channels)
        powers = _Worker(lambda piece: power.write(_raw(chained.feed(piece)
                                                        .astype(np.float32))), "master-power")
        peaker = _Worker(lambda piece: peaks.write(_raw(detector.push(piece)
                                                        .astype(np.float32))), "master-peaks")
        try:
            audio.seek(0)
            for start in range(0, total, block):
                run.step(0.5 + 0.2 * start / total)
                piece = stage.after_linear(_read(audio, min(block, total - start), channels))
                powers.feed(piece)
                peaker.feed(piece)
                audio.seek(start * channels * 4)
                audio.write(_raw(piece))
            powers.finish()
            peaker.finish()
        finally:
            powers.close()
            peaker.close()
        latency = PeakLimiter(samplerate, channels, target.true_peak_dbtp, preset.limiter).latency
        tail = np.zeros((latency, channels), dtype=np.float32)
        peaks.write(_raw(detector.push(tail).astype(np.float32)))
        after_chain_lufs = chained.integrated_lufs()
        # pass 3: find the gain that lands on the target after the limiter, from the kept
        # peaks and power (no audio is touched) …
        gain_db = 0.0
        if math.isfinite(after_chain_lufs):
            gain_db = _clip_gain(target.integrated_lufs - after_chain_lufs)
        margin = CEILING_MARGIN_DB + sink.headroom_db
        run.step(0.7)
        aim = _aim(shape, peaks, power, gain_db, margin)
        finals = 0
        while True:
            # … then write it with that gain, and measure what was written
            finals += 1
            meter = _MeterThread(samplerate, channels)
            try:
                chain = _limit_pass(shape, audio, peaks, aim.gain_db, margin, sink, meter, run,
                                    0.75 + 0.25 * (1 - 0.5 ** (finals - 1)))
                measured = meter.report()
            finally:
                meter.close()
            report = sink.verify() or measured
            over = report.true_peak_dbtp - target.true_peak_dbtp
            missed = target.integrated_lufs - report.integrated_lufs
            if finals >= MAX_TRIES or not math.isfinite(report.integrated_lufs):
                break
            if over <= 0.0 and (abs(missed) <= FINAL_AIM_LU or not aim.reached):
                break  # on target, or as close as the material allows
            if over > 0.0:
                margin += over + CEILING_STEP_DB
            bias = report.integrated_lufs - aim.predicted_lufs
            again = _aim(shape, peaks, power, aim.gain_db, margin, bias)
            if over <= 0.0 and abs(again.gain_db - aim.gain_db) < 1e-3:
                break
            aim = again
        gain_db = aim.gain_db
    run.step(1.0)
    return MasterResult(preset.name, target.integrated_lufs, target.true_peak_dbtp,
                        before_report, report, input_gain_db, gain_db, chain.max_reduction_db,
                        chain.reduced_frames / samplerate, finals, total, samplerate, margin)


@dataclass(frozen=True)
class _Shape:
    total: int
    channels: int
    block: int
    samplerate: int
    preset: MasterPreset
    input_gain_db: float


def _clip_gain(gain_db: float) -> float:
    return float(np.clip(gain_db, -MAX_GAIN_DB, MAX_GAIN_DB))


@dataclass
class _Aim:
    gain_db: float
    predicted_lufs: float
    reached: bool  # within AIM_LU of the target (predicted)


def _aim(shape: _Shape, peaks: IO[bytes], power: IO[bytes], gain_db: float, margin: float,
         bias: float = 0.0) -> _Aim:
    """The gain that lands on the target, found without touching the audio: for a gain, the
    limiter's gains come from the kept peaks (the same :class:`GainComputer` as the real pass)
    and the loudness from the kept K-weighted power times gain² (the K-weighting is linear;
    the limiter's slow gain changes pass through it almost unchanged, measured within a few
    hundredths of a LU, and the written result is measured for real anyway). ``bias``: what
    the last real measurement found minus what was predicted for it.

    Secant steps on loudness(gain) until within :data:`AIM_LU`. Turning up never makes the
    limiter take more than :data:`MAX_LIMITER_DB` off the peaks, and stops when another dB of
    gain brings less than :data:`MIN_SLOPE` LU: material that cannot get there (sparse hits,
    silence) is left at the best level it stands, and the result says how far off it is,
    instead of being crushed."""
    target = shape.preset.target
    assert target is not None
    tried: list[tuple[float, float]] = []  # gain, predicted loudness
    best: _Aim | None = None
    for _ in range(MAX_AIMS):
        predicted, most = _predict(shape, peaks, power, gain_db, margin)
        loudness = predicted + bias
        missed = target.integrated_lufs - loudness
        slope = 1.0
        if tried and gain_db != tried[-1][0]:
            slope = (predicted - tried[-1][1]) / (gain_db - tried[-1][0])
        if tried and gain_db > tried[-1][0] and slope < MIN_SLOPE:
            break  # turning up no longer makes it louder: keep the gain before
        if most <= MAX_LIMITER_DB + 0.05 and (
                best is None or abs(missed) < abs(target.integrated_lufs
                                                  - best.predicted_lufs - bias)):
            best = _Aim(gain_db, predicted, abs(missed) <= AIM_LU)
        if not math.isfinite(loudness) or abs(missed) <= AIM_LU:
            break
        tried.append((gain_db, predicted))
        step = missed / float(np.clip(slope, MIN_SLOPE, 1.0))
        if step > 0:
            step = min(step, MAX_LIMITER_DB - most)  # peaks grow dB for dB with the gain
            if step <= 0.01:
                break
        gain_db = _clip_gain(gain_db + step)
    if best is None:  # even the first gain needed more limiting than allowed
        return _Aim(gain_db, predicted, False)
    return best


def _predict(shape: _Shape, peaks: IO[bytes], power: IO[bytes], gain_db: float,
             margin: float) -> tuple[float, float]:
    """The loudness after the limiter at this gain (see :func:`_aim`), and the most the
    limiter takes off."""
    target = shape.preset.target
    assert target is not None
    limiter = PeakLimiter(shape.samplerate, shape.channels, target.true_peak_dbtp,
                          shape.preset.limiter, margin)
    computer = limiter.gains
    gain = _db_to_gain(gain_db)
    meter = IntegratedMeter(shape.samplerate, shape.channels)
    skip = limiter.latency
    peaks.seek(0)
    power.seek(0)
    for start in range(0, shape.total + limiter.latency, shape.block):
        n = min(shape.block, shape.total + limiter.latency - start)
        gains = computer.push(_read_peaks(peaks, n) * gain)
        if skip:  # the first gains are for the frames before the start
            dropped = min(skip, gains.shape[0])
            gains = gains[dropped:]
            skip -= dropped
        if gains.shape[0]:
            squared = np.square(gains, dtype=np.float64) * (gain * gain)
            meter.feed_power(squared * _read_peaks(power, gains.shape[0]))
    return meter.integrated_lufs(), computer.max_reduction_db


def _limit_pass(shape: _Shape, audio: IO[bytes], peaks: IO[bytes], gain_db: float,
                margin: float, sink: MasterSink | None, meter: _MeterThread,
                run: _Run, fraction: float) -> MasterChain:
    """Gain and limiter over the work file (peaks from the analysis pass), the result fed to
    ``meter`` and, when given, to ``sink``. Returns the chain (for its limiter's figures)."""
    channels, total, block = shape.channels, shape.total, shape.block
    chain = MasterChain(shape.preset, shape.samplerate, channels,
                        input_gain_db=shape.input_gain_db, gain_db=gain_db, max_frames=block,
                        margin_db=margin)
    skip = chain.latency_frames
    writer: _Worker | None = None
    if sink is not None:
        sink.restart()
        # the file is written on a thread of its own (libsndfile's conversion to the file's
        # format releases the GIL), overlapping the limiter and the meter
        writer = _Worker(sink.write, "master-writer")
    audio.seek(0)
    peaks.seek(0)

    def emit(out: Audio) -> None:
        nonlocal skip
        if skip:
            dropped = min(skip, out.shape[0])
            out = out[dropped:]
            skip -= dropped
        if out.shape[0]:
            meter.feed(out)
            if writer is not None:
                writer.feed(out)

    try:
        for start in range(0, total, block):
            run.step(fraction)
            n = min(block, total - start)
            emit(chain.limit(_read(audio, n, channels), _read_peaks(peaks, n)))
        emit(chain.flush(_read_peaks(peaks, chain.latency_frames)))
        if writer is not None:
            writer.finish()
    finally:
        if writer is not None:
            writer.close()
    return chain
