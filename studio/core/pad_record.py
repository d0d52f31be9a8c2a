"""Recording pad hits into a step pattern while it loops (pure).

A pattern loops from song frame :attr:`LoopClock.start_frame` (step 0 of a pass; any pass will
do, earlier or later) at the beat's tempo. Step ``N``, counted across passes, sounds at ::

    start_frame + round((N + swing(N)) / steps_per_beat * frames_per_beat)

exactly as :class:`studio.core.beat_timeline.BeatTimeline` plays it (swing delays odd steps of an
even grid). A hit played at song frame ``f`` goes to the step that sounds nearest to ``f`` among
the steps that lie on the chosen grid, and wraps around the loop: a hit just before the pattern
starts again lands on step 0. The grid is a note value (``1/4``, ``1/8``, ``1/16``, ``1/32``, or
the triplets ``1/8T`` and ``1/16T``). When the pattern's steps cannot show that grid (a 1/32 grid
on sixteenth steps, triplets on a straight grid) every step is allowed and the placement says
so; quantise off also allows every step (a step pattern cannot hold a hit between its steps).

:func:`record_hits` writes each hit's velocity into its step (a later hit on the same step
replaces an earlier one, as a new pass over the loop does) and adds a lane for a voice the
pattern did not have yet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

from studio.core.beat import VOICES, Pattern, VoiceLane
from studio.core.i18n import StudioError, Words

__all__ = [
    "GRIDS",
    "LoopClock",
    "PadHit",
    "Placement",
    "Quantise",
    "place_hit",
    "record_hits",
]

GRIDS: Mapping[str, Fraction] = {
    "1/4": Fraction(1, 4),
    "1/8": Fraction(1, 8),
    "1/16": Fraction(1, 16),
    "1/32": Fraction(1, 32),
    "1/8T": Fraction(1, 12),
    "1/16T": Fraction(1, 24),
}
"""Each grid's length as a fraction of a whole note."""

_BAD_GRID = Words(
    nb="Rutenettet «{grid}» finnes ikke. Velg ett av: {grids}.",
    en="There is no grid called '{grid}'. Choose one of: {grids}.",
)
_BAD_VOICE = Words(
    nb="«{voice}» er ingen lyd i trommesettet. Lydene er: {voices}.",
    en="'{voice}' is not a sound of the kit. The sounds are: {voices}.",
)


@dataclass(frozen=True)
class Quantise:
    on: bool = True
    grid: str = "1/16"

    def __post_init__(self) -> None:
        if self.grid not in GRIDS:
            raise StudioError(_BAD_GRID, grid=self.grid, grids=", ".join(GRIDS))


@dataclass(frozen=True)
class LoopClock:
    """Where and how fast the pattern loops in song frames."""

    start_frame: int  # song frame of step 0 of a pass
    tempo: float  # beats per minute (a beat is the time signature's beat unit)
    samplerate: int
    beat_unit: int = 4

    @property
    def frames_per_beat(self) -> float:
        return self.samplerate * 60.0 / self.tempo


@dataclass(frozen=True)
class PadHit:
    frame: int  # the song frame at which it was played
    voice: str
    velocity: int


@dataclass(frozen=True)
class Placement:
    step: int  # 0 … pattern.steps - 1
    frame: int  # where that step sounds (in the pass nearest the hit)
    grid_kept: bool  # False: the pattern's steps could not show the grid; every step allowed


def _grid_steps(pattern: Pattern, clock: LoopClock, quantise: Quantise) -> int | None:
    """Steps between grid points, or None when the grid does not fall on whole steps."""
    if not quantise.on:
        return 1
    beats = GRIDS[quantise.grid] * clock.beat_unit
    steps = beats * pattern.steps_per_beat
    if steps.denominator != 1 or steps < 1:
        return None
    return int(steps)


def _sounds_at(pattern: Pattern, clock: LoopClock, n: int) -> int:
    """Frame of step ``n`` counted across passes from the loop's start (may be negative)."""
    late = pattern.swing_offset(n)  # odd steps counted from the loop's start, as it plays
    return clock.start_frame + round((n + late) / pattern.steps_per_beat * clock.frames_per_beat)


def place_hit(pattern: Pattern, clock: LoopClock, frame: int, quantise: Quantise) -> Placement:
    """The step a hit played at ``frame`` belongs to; see the module docstring."""
    every = _grid_steps(pattern, clock, quantise)
    spacing = every or 1
    at = (frame - clock.start_frame) / clock.frames_per_beat * pattern.steps_per_beat
    first = math.floor(at / spacing) - 1
    best_n, best_frame = 0, 0
    best_distance = math.inf
    for m in range(first, first + 4):
        n = m * spacing
        sounds = _sounds_at(pattern, clock, n)
        distance = abs(sounds - frame)
        if distance < best_distance:
            best_n, best_frame, best_distance = n, sounds, distance
    return Placement(best_n % pattern.steps, best_frame, every is not None)


def record_hits(pattern: Pattern, clock: LoopClock, hits: Iterable[PadHit],
                quantise: Quantise) -> tuple[Pattern, tuple[Placement, ...]]:
    """The pattern with every hit written into its step, and where each one went."""
    lanes = {voice: list(lane.velocities) for voice, lane in pattern.voices.items()}
    placed = []
    for hit in hits:
        if hit.voice not in VOICES:
            raise StudioError(_BAD_VOICE, voice=hit.voice, voices=", ".join(VOICES))
        where = place_hit(pattern, clock, hit.frame, quantise)
        lane = lanes.setdefault(hit.voice, [0] * pattern.steps)
        lane[where.step] = max(1, min(127, hit.velocity))
        placed.append(where)
    voices: dict[str, VoiceLane] = {}
    for voice in VOICES:
        if voice in lanes:
            old = pattern.voices.get(voice)
            velocities = tuple(lanes[voice])
            voices[voice] = VoiceLane(velocities) if old is None else replace(
                old, velocities=velocities)
    return replace(pattern, voices=voices), tuple(placed)
