"""A beat laid out in frames: where every drum hit and bass note falls at a sample rate.

The arrangement is cut into *spans* (one per section played, or one for a pattern looped) and
*tempo segments* (runs of spans at one tempo). Every position is computed from a whole step
index, never by adding up step lengths: step ``n`` of a span at ``steps_per_beat`` = ``q`` sounds
at frame ::

    segment_frame + round((k + swing) / q * frames_per_beat)

where ``k`` counts steps of that span's grid from the start of its tempo segment (sections start
on whole beats, so ``k`` is whole), ``swing`` is the pattern's swing on odd steps of an even grid
and ``frames_per_beat = samplerate * 60 / tempo``. On whole beats this is exactly
:meth:`studio.core.timebase.Timebase.beat_to_frame`. A tempo segment starts where the previous one
says its last beat ends, so a tempo change moves nothing before it.

:meth:`BeatTimeline.events` gives the hits and notes that start in a frame range; asking for
``[a, b)`` and ``[b, c)`` gives exactly what ``[a, c)`` gives.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from studio.core.beat import VOICES, BassNote, Beat, Pattern, VoiceLane

__all__ = ["BassEvent", "BeatTimeline", "DrumHit", "Events", "Span"]


@dataclass(frozen=True)
class DrumHit:
    frame: int
    voice: str
    velocity: int  # 1..127
    level: float  # the pattern's level for this voice
    pan: float  # the pattern's pan for this voice, -1..1


@dataclass(frozen=True)
class BassEvent:
    frame: int
    length: int  # frames, at least 1
    pitch: int  # MIDI note number
    velocity: int
    glide: bool
    level: float  # the pattern's bass level


@dataclass(frozen=True)
class Events:
    hits: tuple[DrumHit, ...]  # by frame, then in the order of VOICES
    bass: tuple[BassEvent, ...]  # by frame


@dataclass(frozen=True)
class _PatternPlan:
    lanes: tuple[tuple[str, VoiceLane], ...]  # sounding lanes in VOICES order
    bass: dict[int, BassNote]
    bass_level: float


def _plan(pattern: Pattern) -> _PatternPlan:
    lanes = tuple((v, pattern.voices[v]) for v in VOICES
                  if v in pattern.voices and not pattern.voices[v].mute)
    bass: dict[int, BassNote] = {}
    level = 1.0
    if pattern.bass is not None and not pattern.bass.mute:
        bass = {note.step: note for note in pattern.bass.notes}
        level = pattern.bass.level
    return _PatternPlan(lanes, bass, level)


@dataclass(frozen=True)
class Span:
    """One section (or the looped pattern) placed on the timeline."""

    name: str
    pattern: Pattern
    start_beat: int
    beats: int | None  # None: endless
    tempo: float
    segment_beat: int  # where this span's tempo segment starts
    segment_frame: int
    samplerate: int

    @property
    def frames_per_beat(self) -> float:
        return self.samplerate * 60.0 / self.tempo

    @property
    def steps(self) -> int | None:
        """How many steps the span plays (None: endless)."""
        return None if self.beats is None else self.beats * self.pattern.steps_per_beat

    def step_frame(self, n: int) -> int:
        """Frame of step ``n`` of this span (0 = its first), swing included."""
        q = self.pattern.steps_per_beat
        k = (self.start_beat - self.segment_beat) * q + n
        return self.segment_frame + round((k + self.pattern.swing_offset(n)) / q
                                          * self.frames_per_beat)

    def beat_frame(self, beats: int) -> int:
        """Frame of whole beat ``beats`` counted from the span's start."""
        return self.segment_frame + round(
            (self.start_beat - self.segment_beat + beats) * self.frames_per_beat)

    @property
    def start_frame(self) -> int:
        return self.beat_frame(0)

    @property
    def end_frame(self) -> int | None:
        return None if self.beats is None else self.beat_frame(self.beats)

    def first_step_at_or_after(self, frame: int) -> int:
        q = self.pattern.steps_per_beat
        k0 = (self.start_beat - self.segment_beat) * q
        guess = math.floor((frame - self.segment_frame) / self.frames_per_beat * q) - k0 - 2
        n = max(0, guess)
        while self.step_frame(n) < frame:
            n += 1
        return n


class BeatTimeline:
    """A beat (or one of its patterns looped) in frames at ``samplerate``.

    - ``pattern=None, bars=None``: the arrangement, once;
    - ``pattern=None, bars=N``: the first N bars of the arrangement, which starts again from
      the top if it is shorter;
    - ``pattern="name", bars=N``: that pattern looped for N bars at the beat's tempo;
    - ``pattern="name", bars=None``: that pattern looped without end.
    """

    def __init__(self, beat: Beat, samplerate: int, *, pattern: str | None = None,
                 bars: int | None = None) -> None:
        if samplerate <= 0:
            raise ValueError("samplerate must be positive")
        if bars is not None and bars <= 0:
            raise ValueError("bars must be positive")
        self.beat = beat
        self.samplerate = samplerate
        per_bar = beat.beats_per_bar
        # (name, pattern, beats or None, tempo) in the order they play
        parts: list[tuple[str, Pattern, int | None, float]] = []
        if pattern is not None:
            parts.append((pattern, beat.pattern(pattern), None if bars is None
                          else bars * per_bar, beat.tempo))
        else:
            tempos = beat.section_tempos()
            left = bars if bars is not None else beat.bars
            while left > 0:
                for section, tempo in zip(beat.arrangement, tempos, strict=True):
                    take = min(section.bars, left)
                    parts.append((section.name, beat.pattern(section.pattern), take * per_bar,
                                  tempo))
                    left -= take
                    if left == 0:
                        break
        self.spans: tuple[Span, ...] = self._place(parts)
        self._starts = [span.start_frame for span in self.spans]
        self._plans = {id(span.pattern): _plan(span.pattern) for span in self.spans}

    def _place(self, parts: list[tuple[str, Pattern, int | None, float]]) -> tuple[Span, ...]:
        spans: list[Span] = []
        beat_at = 0
        for name, pattern, beats, tempo in parts:
            if spans and spans[-1].tempo == tempo:
                seg_beat, seg_frame = spans[-1].segment_beat, spans[-1].segment_frame
            elif spans:
                seg_beat, seg_frame = beat_at, spans[-1].end_frame or 0
            else:
                seg_beat, seg_frame = 0, 0
            spans.append(Span(name, pattern, beat_at, beats, tempo, seg_beat, seg_frame,
                              self.samplerate))
            beat_at += beats or 0
        return tuple(spans)

    @property
    def length_frames(self) -> int | None:
        """Where the last span ends (None for a pattern looped without end)."""
        return self.spans[-1].end_frame

    def bar_frame(self, bar: int) -> int:
        """Frame where ``bar`` starts (bars count from 1)."""
        beat = (bar - 1) * self.beat.beats_per_bar
        for span in reversed(self.spans):
            if span.start_beat <= beat:
                return span.beat_frame(beat - span.start_beat)
        return 0

    def events(self, start: int, frames: int) -> Events:
        """Drum hits and bass notes that start in ``[start, start + frames)``."""
        end = start + frames
        hits: list[DrumHit] = []
        bass: list[BassEvent] = []
        if frames <= 0:
            return Events((), ())
        first = max(0, bisect.bisect_right(self._starts, start) - 1)
        for span in self.spans[first:]:
            if span.start_frame >= end:
                break
            span_end = span.end_frame
            if span_end is not None and span_end <= start:
                continue
            self._span_events(span, start, end, hits, bass)
        return Events(tuple(hits), tuple(bass))

    def _span_events(self, span: Span, start: int, end: int, hits: list[DrumHit],
                     bass: list[BassEvent]) -> None:
        plan = self._plans[id(span.pattern)]
        steps = span.pattern.steps
        total = span.steps
        n = span.first_step_at_or_after(start)
        while total is None or n < total:
            frame = span.step_frame(n)
            if frame >= end:
                break
            step = n % steps
            for voice, lane in plan.lanes:
                velocity = lane.velocities[step]
                if velocity:
                    hits.append(DrumHit(frame, voice, velocity, lane.level, lane.pan))
            note = plan.bass.get(step)
            if note is not None:
                length = max(1, span.step_frame(n + note.length) - frame)
                bass.append(BassEvent(frame, length, note.pitch, note.velocity, note.glide,
                                      plan.bass_level))
            n += 1
