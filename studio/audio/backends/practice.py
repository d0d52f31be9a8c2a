"""The practice device: runs the engine in real time with a built-in signal as its input.

Used when the machine has no audio hardware, so the whole studio (meters, recording, playback
timing) works and can be tried. The studio says plainly that it is using it.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from studio.audio.engine import Engine


def practice_signal(samplerate: int, seconds: float = 8.0) -> np.ndarray:
    """A sung-like phrase: a voice with vibrato and a few harmonics, phrases and breaths.

    Mono float32, loops seamlessly, peaks around -12 dBFS so meters show a healthy level."""
    n = int(samplerate * seconds)
    t = np.arange(n, dtype=np.float64) / samplerate
    notes = np.array([220.0, 246.94, 261.63, 293.66, 261.63, 246.94, 220.0, 196.0])
    note_len = seconds / len(notes)
    idx = np.minimum((t / note_len).astype(np.int64), len(notes) - 1)
    freq = notes[idx] * (1.0 + 0.006 * np.sin(2 * np.pi * 5.5 * t))
    phase = 2 * np.pi * np.cumsum(freq) / samplerate
    voice = np.zeros(n)
    for k in range(1, 7):
        voice += np.sin(k * phase) / k**1.5
    within = (t % note_len) / note_len
    envelope = np.clip(within / 0.08, 0, 1) * np.clip((1.0 - within) / 0.15, 0, 1)
    phrase = ((t % (seconds / 2)) < (seconds / 2) * 0.85).astype(np.float64)
    signal = voice * envelope * phrase
    signal *= 10 ** (-12 / 20) / max(float(np.max(np.abs(signal))), 1e-9)
    return signal.astype(np.float32).reshape(-1, 1)


class PracticeDevice:
    """A thread that calls the callback on time, block by block, like a sound card would."""

    name = "practice"

    def __init__(
        self,
        engine: Engine,
        samplerate: int,
        blocksize: int = 256,
        input_channels: int = 2,
        speed: float = 1.0,
    ) -> None:
        self.engine = engine
        self.samplerate = samplerate
        self.blocksize = blocksize or 256
        mono = practice_signal(samplerate)
        self.signal = np.repeat(mono, max(input_channels, 1), axis=1)
        if input_channels >= 2:
            self.signal[:, 1] *= 0.5  # the second input a little quieter, so they differ
        self._in = np.zeros((self.blocksize, max(input_channels, 1)), dtype=np.float32)
        self._out = np.zeros((self.blocksize, engine.output_channels), dtype=np.float32)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="practice-device", daemon=True)
        # the signal is generated in step with the clock: nothing to compensate
        self.latency = (0.0, 0.0)
        self.speed = speed  # > 1: faster than real time (benchmarks); 0: as fast as possible

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)

    @property
    def active(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        n = self.blocksize
        period = n / self.samplerate / self.speed if self.speed > 0 else 0.0
        pos = 0
        length = len(self.signal)
        next_time = time.monotonic()
        while not self._stop.is_set():
            first = min(n, length - pos)
            self._in[:first] = self.signal[pos : pos + first]
            if first < n:
                self._in[first:] = self.signal[: n - first]
            pos = (pos + n) % length
            self.engine.process_rt(self._in, self._out, n, next_time)
            next_time += period
            if period == 0.0:
                continue
            delay = next_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.5:  # we were suspended: start again from now, the gap is logged
                next_time = time.monotonic()
