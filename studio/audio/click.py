"""The metronome click (also the count-in).

Two short sounds are made once, when the metronome is built: a higher, louder one for the first
beat of a bar and a lower, softer one for the other beats. Each is a small pitched "wood block":
two sine partials (a fundamental and an inharmonic partial) under a very short attack and a fast
exponential decay, about 35 ms long and ending in true silence. No square waves, no harsh edges.

The metronome keeps no position: :meth:`Metronome.mix_rt` works out from the song frame alone
which clicks sound in the block. Beat ``b`` (negative for count-in before the song) starts at
frame ``round(b * frames_per_beat)`` (Python's ``round``, the same as
:meth:`studio.core.timebase.Timebase.beat_to_frame`), its first sample lands exactly on that
frame, and mixing a range in one call or in many blocks of any size gives identical samples.
Loops and locates therefore need nothing special.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["CLICK_SECONDS", "Metronome", "click_sound"]

Audio = npt.NDArray[np.float32]

CLICK_SECONDS = 0.035
_ATTACK_SECONDS = 0.0008
_FADE_SECONDS = 0.003
# (fundamental Hz, peak amplitude) of the two sounds.
_ACCENT = (1760.0, 1.0)
_NORMAL = (1320.0, 0.6)


def click_sound(samplerate: int, pitch_hz: float, amplitude: float) -> npt.NDArray[np.float64]:
    """One wood-block-like click, mono, ``CLICK_SECONDS`` long.

    The first sample is small but not zero (so the onset is exactly the first frame) and the last
    sample is zero.
    """
    length = max(8, round(CLICK_SECONDS * samplerate))
    t = np.arange(length, dtype=np.float64) / samplerate
    # The inharmonic partial dies away faster than the fundamental, as on a real wood block.
    fundamental = np.cos(2 * np.pi * pitch_hz * t)
    partial = np.cos(2 * np.pi * 2.76 * pitch_hz * t) * np.exp(-t / 0.003)
    tone = 0.75 * fundamental + 0.25 * partial
    attack = max(1, round(_ATTACK_SECONDS * samplerate))
    envelope = np.exp(-t / 0.0055)
    envelope[:attack] *= np.arange(1, attack + 1) / attack
    fade = max(2, round(_FADE_SECONDS * samplerate))
    envelope[-fade:] *= np.linspace(1.0, 0.0, fade)
    sound = tone * envelope
    sound *= amplitude / np.max(np.abs(sound))
    return sound


class Metronome:
    """Adds clicks into audio blocks by song position; see the module docstring."""

    def __init__(
        self,
        samplerate: int,
        channels: int,
        frames_per_beat: float,
        beats_per_bar: int,
        level: float = 0.5,
    ) -> None:
        if samplerate <= 0 or channels <= 0:
            raise ValueError("samplerate and channels must be positive")
        self.samplerate = samplerate
        self.channels = channels
        accent = click_sound(samplerate, *_ACCENT)
        normal = click_sound(samplerate, *_NORMAL)
        self.click_frames = len(accent)
        self._accent_base = np.repeat(accent[:, None], channels, axis=1).astype(np.float32)
        self._normal_base = np.repeat(normal[:, None], channels, axis=1).astype(np.float32)
        self._accent = np.zeros_like(self._accent_base)
        self._normal = np.zeros_like(self._normal_base)
        self._level = 0.0
        self.frames_per_beat = 1.0
        self.beats_per_bar = 1
        self.set_tempo(frames_per_beat, beats_per_bar)
        self.set_level(level)

    @property
    def level(self) -> float:
        return self._level

    def set_level(self, level: float) -> None:
        """Loudness from 0 (silent) to 1 (accent peaks at full scale). Allocates nothing."""
        if not math.isfinite(level):
            level = 0.0
        level = min(1.0, max(0.0, float(level)))
        self._level = level
        np.multiply(self._accent_base, np.float32(level), out=self._accent)
        np.multiply(self._normal_base, np.float32(level), out=self._normal)

    def set_tempo(self, frames_per_beat: float, beats_per_bar: int) -> None:
        """Change tempo and metre; takes effect from the next block. Allocates nothing."""
        if not (math.isfinite(frames_per_beat) and frames_per_beat >= 1.0):
            raise ValueError("frames_per_beat must be a finite number of at least 1")
        if beats_per_bar < 1:
            raise ValueError("beats_per_bar must be at least 1")
        self.frames_per_beat = float(frames_per_beat)
        self.beats_per_bar = int(beats_per_bar)

    def beat_frame(self, beat: int) -> int:
        """The song frame where ``beat`` (counted from 0; negative in the count-in) starts."""
        return round(beat * self.frames_per_beat)

    def mix_rt(self, out: Audio, song_frame: int, n: int) -> None:
        """Add every click sounding in song frames ``[song_frame, song_frame + n)`` to ``out``."""
        if n <= 0 or self._level == 0.0:
            return
        fpb = self.frames_per_beat
        length = self.click_frames
        end = song_frame + n
        # Candidate beats, one extra on each side to be safe with rounding; checked exactly below.
        first = math.floor((song_frame - length) / fpb)
        last = math.ceil(end / fpb)
        for beat in range(first, last + 1):
            onset = round(beat * fpb)
            if onset >= end or onset + length <= song_frame:
                continue
            sound = self._accent if beat % self.beats_per_bar == 0 else self._normal
            src_start = max(0, song_frame - onset)
            dst_start = max(0, onset - song_frame)
            count = min(length - src_start, n - dst_start)
            target = out[dst_start : dst_start + count]
            np.add(target, sound[src_start : src_start + count], out=target)
