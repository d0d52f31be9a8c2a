"""The one place where frames, seconds, beats and bars are converted.

Time inside the studio is an ``int`` number of frames at the song's sample rate. Song frame 0 is
the first beat of bar 1. Negative frames are the pre-roll before the song (count-in).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Timebase:
    samplerate: int
    tempo_bpm: float = 90.0
    beats_per_bar: int = 4
    beat_unit: int = 4

    def __post_init__(self) -> None:
        if self.samplerate <= 0:
            raise ValueError("samplerate must be positive")
        if not (math.isfinite(self.tempo_bpm) and 20.0 <= self.tempo_bpm <= 400.0):
            raise ValueError("tempo must be between 20 and 400 BPM")
        if not 1 <= self.beats_per_bar <= 32:
            raise ValueError("beats per bar must be between 1 and 32")

    @property
    def frames_per_beat(self) -> float:
        return self.samplerate * 60.0 / self.tempo_bpm

    @property
    def frames_per_bar(self) -> float:
        return self.frames_per_beat * self.beats_per_bar

    def seconds_to_frames(self, seconds: float) -> int:
        return round(seconds * self.samplerate)

    def frames_to_seconds(self, frames: int) -> float:
        return frames / self.samplerate

    def beat_to_frame(self, beat: float) -> int:
        """Frame of a beat counted from 0 (beat 0 = bar 1, beat 1)."""
        return round(beat * self.frames_per_beat)

    def bar_to_frame(self, bar: int) -> int:
        """Frame where a bar starts; bars count from 1 as musicians do."""
        return self.beat_to_frame((bar - 1) * self.beats_per_bar)

    def bars_to_frames(self, bars: int) -> int:
        return self.beat_to_frame(bars * self.beats_per_bar)

    def frame_to_bar_beat(self, frame: int) -> tuple[int, int, float]:
        """(bar, beat, fraction) counted from 1, e.g. (3, 2, 0.5) = bar 3, beat 2 and a half."""
        beats = frame / self.frames_per_beat
        whole = math.floor(beats)
        bar, beat = divmod(whole, self.beats_per_bar)
        return bar + 1, beat + 1, beats - whole

    def ms_to_frames(self, ms: float) -> int:
        return round(ms * self.samplerate / 1000.0)

    def frames_to_ms(self, frames: int) -> float:
        return frames * 1000.0 / self.samplerate


def format_clock(frames: int, samplerate: int) -> str:
    """m:ss.t for people (negative during count-in)."""
    sign = "-" if frames < 0 else ""
    tenths = abs(frames) * 10 // samplerate
    minutes, rest = divmod(tenths, 600)
    return f"{sign}{minutes}:{rest // 10:02d}.{rest % 10}"
