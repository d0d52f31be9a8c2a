"""MIDI files into beats and beats into MIDI files (pure: bytes in, a beat and a report out).

:func:`import_midi` reads a Standard MIDI File with the tolerant reader
(:func:`studio.core.midi_file.read_midi`) and makes a :class:`~studio.core.beat.Beat` of it:

- **Drums** are the notes on channel 10, mapped to kit voices by a drum map guessed for the file
  (General MIDI, or the Roland TD-11 map of the Groove dataset; see :mod:`studio.core.drum_map`).
  Keys no voice is close to are left out and counted.
- **The bass line**: the other notes, grouped by channel. A channel that plays one note at a time
  (no two notes start together, never three sounding at once, overlaps shorter than half a beat)
  and low (every note below middle C) becomes the bass line; if several channels qualify, the one
  with the most notes wins. A bass note that the one before it still overlaps by at least a
  sixteenth of a quarter note (or 40 % of its own length, if that is less) glides into it, as a
  slide on an 808. Every other note is left out and said so plainly: a beat holds drums and one
  bass line, and the studio has no clips of notes (yet).
- **Time** is counted in quarter notes from the file's start (:meth:`TempoMap.quarters_at`, which
  also turns SMPTE ticks, absolute seconds, into quarters with the tempo). Format 2 tracks play one
  after another. The time signature is the file's first (4/4 if it has none); later changes are
  reported, not followed. The tempo is the first tempo; a tempo change becomes a section tempo at
  the bar line nearest to it.
- **The grid.** A file that was written on a grid (every onset within 0.6 of a tick, and at most
  1/192 of a quarter note, of a 24-per-quarter grid or of a swung sixteenth grid) keeps its grid
  bar by bar: each bar takes the simplest grid that holds every onset of the bar exactly, in this
  order: sixteenths (swung when the file swings), sixteenths, eighth-note triplets,
  thirty-seconds, sixteenth triplets, twelve and 24 steps per quarter. A played file (a person
  on pads or e-drums) gets one grid for the whole file: sixteenths with the swing it was played
  with, unless more than a fifth of its onsets lie a quarter of a step or more away from that
  grid and the triplet or thirty-second grid holds them better. Swing is the median lateness of
  the odd sixteenths, kept when it is clear: at least 0.08 of a step, the odd sixteenths
  agreeing within 0.12 of a step, and (in a played file) at least six of them.
- **Patterns and arrangement.** Every bar becomes a step pattern (velocity kept; two hits of one
  voice on one step become one, the loudest). Equal bars share one pattern; the sections of the
  arrangement are the runs of equal bars at one tempo, named after MIDI markers that stand on a
  bar line (or after their pattern). A beat holds at most 64 patterns: a long performance where
  every bar differs gets patterns of 2, 4, 8 or 16 bars, and what still does not fit is cut off,
  with a warning.

:class:`MidiImport` carries the beat (``None`` when the file has neither drums nor a bass line)
and the report that ``studio beat import --json`` prints: :meth:`MidiImport.report`.

:func:`beat_to_midi` writes a beat as a type 1 file: a conductor track (title, time signature,
the tempo and each change of it, a marker naming each section), the drums on channel 10 with the
General MIDI key of each voice, and the bass line on channel 1 (program 39, Synth Bass 1).
Positions come from :class:`~studio.core.beat_timeline.BeatTimeline` itself, so swing lands
exactly where it plays; a note that glides out of the note before it while that one is still held
(legato, the slide of an 808) is written overlapping it (by an eighth of a quarter, or half the
gliding note), and any other bass note is cut where the next begins, as the sub bass plays it. A
glide after a rest cannot be said with notes alone (MIDI would need a controller), so it is
written as a plain note and reads back without its glide. :func:`import_midi` reads such a file
back to the same hits and notes. Levels, pans and mutes are not in the file (a muted voice is not
written at all).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import median
from typing import cast

from studio.core.beat import (
    BEAT_UNITS,
    MAX_BARS,
    MAX_PATTERNS,
    MAX_SECTIONS,
    MAX_STEPS,
    MAX_STEPS_PER_BEAT,
    MAX_SWING,
    MAX_TEXT,
    TEMPO_RANGE,
    VOICES,
    BassLine,
    BassNote,
    Beat,
    Pattern,
    Section,
    VoiceLane,
)
from studio.core.beat_timeline import BeatTimeline
from studio.core.drum_map import DrumMap, KitVoice, gm_key, guess_drum_map
from studio.core.i18n import Language, Words, language
from studio.core.midi_file import (
    SKIPPED_WORDS,
    ControlChange,
    MidiReading,
    Note,
    PitchBend,
    TempoMap,
    Text,
    length_seconds,
    read_midi,
    tempo_map,
    time_signatures,
)
from studio.core.midi_write import TrackToWrite, write_midi_type1

__all__ = [
    "BASS_CHANNEL",
    "BASS_PROGRAM",
    "DRUM_CHANNEL",
    "EXPORT_TICKS_PER_QUARTER",
    "IMPORT_SKIPPED_WORDS",
    "NOTHING_FOR_A_BEAT",
    "Grid",
    "MidiImport",
    "beat_to_midi",
    "import_midi",
    "import_reading",
]

DRUM_CHANNEL = 9  # channel 10 as people count
BASS_CHANNEL = 0
BASS_PROGRAM = 38  # GM program 39, Synth Bass 1 (counted from 0)
EXPORT_TICKS_PER_QUARTER = 960
HIGHEST_BASS_KEY = 59  # B3: every note of a bass line lies below middle C

_EXACT = 1 / 192  # quarters: this close to a bar line is on it
_TICK_SHARE = 0.6  # of a tick: an onset this close to a grid point was written on the grid
_TOGETHER = 1 / 24  # quarters: two notes starting this close start together
_LONG_OVERLAP = 0.5  # quarters: a note still sounding this long after the next began = a chord
_GLIDE_OVERLAP = 1 / 16  # quarters: overlap that makes the next bass note glide
_EXPORT_GLIDE = 1 / 8  # quarters: how far a gliding note's predecessor is written over it
_PLAYED_FAR = 0.25  # of a step: an onset this far from the grid does not fit it
_PLAYED_MISFIT = 0.2  # a grid fits a played file when at most this share of onsets misfits
_EXACT_SHARE = 0.98  # share of onsets on a grid for a file to count as written on one
_SWING_MIN = 0.08
_SWING_SPREAD = 0.12
_MAX_PATTERN_BARS = (1, 2, 4, 8, 16)
_DRUM_NOTE_QUARTERS = 1 / 16

# --- words -----------------------------------------------------------------------------------

NOTHING_FOR_A_BEAT = Words(
    nb="Fila har ingen trommenoter (kanal 10) og ingen dyp basslinje med én tone om gangen, så "
       "det er ingen beat i den.",
    en="The file has no drum notes (channel 10) and no low bass line played one note at a time, "
       "so there is no beat in it.",
)
_LEFT_OUT_CHANNEL = Words(
    nb="{count} noter på kanal {channel} ble utelatt: de er verken trommer eller en dyp "
       "basslinje med én tone om gangen. En beat har bare trommer og én basslinje, og studioet "
       "kan ikke lagre andre noter ennå.",
    en="{count} notes on channel {channel} were left out: they are neither drums nor a low bass "
       "line played one note at a time. A beat holds only drums and one bass line, and the "
       "studio cannot keep other notes yet.",
)
_NO_SOUND = Words(
    nb="{count} trommeslag har ingen lyd som ligner i trommesettene våre og ble utelatt "
       "(tangent {keys}).",
    en="{count} drum hits have no sound like them in our kits and were left out (key {keys}).",
)
_MERGED_HITS = Words(
    nb="{count} trommeslag havnet på samme steg som et annet slag på samme lyd og ble slått "
       "sammen (det sterkeste ble beholdt).",
    en="{count} drum hits fell on the same step as another hit of the same sound and were "
       "joined into one (the loudest was kept).",
)
_MERGED_BASS = Words(
    nb="{count} bassnoter havnet på samme steg som en annen; bare den siste ble beholdt.",
    en="{count} bass notes fell on the same step as another; only the last one was kept.",
)
_METER_CHANGES = Words(
    nb="Taktarten skifter i fila (første gang i takt {bar}, til {meter}); beaten holder {first} "
       "hele veien, så senere takter kan bli forskjøvet.",
    en="The time signature changes in the file (first in bar {bar}, to {meter}); the beat keeps "
       "{first} all the way, so later bars may be shifted.",
)
_BAD_METER = Words(
    nb="Taktarten {meter} i fila kan ikke brukes i en beat; 4/4 ble brukt.",
    en="The file's time signature {meter} can't be used for a beat; 4/4 was used.",
)
_TEMPO_MOVED = Words(
    nb="{count} tempoendringer kom midt i en takt og ble flyttet til nærmeste taktstrek.",
    en="{count} tempo changes came in the middle of a bar and were moved to the nearest bar "
       "line.",
)
_TEMPO_CLAMPED = Words(
    nb="Tempoet {value:g} BPM er utenfor {low:g}-{high:g}; {used:g} BPM ble brukt.",
    en="The tempo {value:g} BPM is outside {low:g}-{high:g}; {used:g} BPM was used.",
)
_CUT_OFF = Words(
    nb="En beat kan ha høyst {patterns} forskjellige mønstre og {sections} deler, så bare de "
       "første {bars} av {total} taktene ble tatt med.",
    en="A beat can hold at most {patterns} different patterns and {sections} sections, so only "
       "the first {bars} of {total} bars were kept.",
)
_MOVED_TO_PATTERN_START = Words(
    nb="Mønstrene ble {bars} takter lange (så mange takter er forskjellige); tempoendringer og "
       "markører inne i et mønster ble flyttet til starten av det.",
    en="The patterns became {bars} bars long (that many bars differ); tempo changes and markers "
       "inside a pattern were moved to its start.",
)
_OFF_GRID = Words(
    nb="{count} slag eller noter lå utenfor rutenettet og ble flyttet til nærmeste steg.",
    en="{count} hits or notes were off the grid and were moved to the nearest step.",
)
_GRID_WORDS: Mapping[int, Words] = {
    4: Words(nb="sekstendeler", en="sixteenths"),
    3: Words(nb="åttendedelstrioler", en="eighth-note triplets"),
    8: Words(nb="trettitodeler", en="thirty-seconds"),
    6: Words(nb="sekstendedelstrioler", en="sixteenth-note triplets"),
    12: Words(nb="12 steg per fjerdedel", en="12 steps per quarter note"),
    24: Words(nb="24 steg per fjerdedel", en="24 steps per quarter note"),
    2: Words(nb="åttendedeler", en="eighths"),
    1: Words(nb="fjerdedeler", en="quarter notes"),
}
_GRID_NOTE = Words(nb="Kvantisert til {grid}.", en="Quantised to {grid}.")
_SWUNG = Words(nb="{grid} med swing {swing:g}", en="{grid} with a swing of {swing:g}")
_GRIDS_NOTE = Words(
    nb="Fila var skrevet på et rutenett; hver takt beholdt sitt ({grids}).",
    en="The file was written on a grid; each bar kept its own ({grids}).",
)
_MAP_NOTE = Words(nb="Trommene ble lest som {map}.", en="The drums were read as {map}.")
_BASS_NOTE = Words(
    nb="Basslinjen kommer fra kanal {channel} ({count} noter).",
    en="The bass line comes from channel {channel} ({count} notes).",
)
_DESCRIPTION = Words(nb="Hentet fra MIDI-fila {file}.", en="Imported from the MIDI file {file}.")

IMPORT_SKIPPED_WORDS: Mapping[str, Words] = {
    **SKIPPED_WORDS,
    "other_notes": Words(nb="noter som ikke er trommer eller bass",
                         en="notes that are neither drums nor bass"),
    "drum_notes_without_sound": Words(nb="trommeslag uten lyd som ligner",
                                      en="drum hits with no sound like them"),
    "control": Words(nb="kontrollere og tonehøydehjul (brukes ikke i beats)",
                     en="controllers and pitch bend (beats don't use them)"),
}
"""What each key of the report's ``skipped`` counts, for people."""


def _both(words: Words, **values: object) -> Words:
    """``words`` with its values filled in, in both languages."""
    return Words(words.say("nb", **values), words.say("en", **values))


# --- the grid --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """Steps per quarter note, and the swing of odd steps (in steps)."""

    per_quarter: int
    swing: float = 0.0

    def position(self, step: int) -> float:
        """Quarters from the bar's start to where ``step`` sounds."""
        late = self.swing if step % 2 == 1 else 0.0
        return (step + late) / self.per_quarter

    def nearest(self, at: float) -> int:
        """The step that sounds nearest to ``at`` quarters from the bar's start."""
        guess = math.floor(at * self.per_quarter)
        return min(range(guess - 1, guess + 2), key=lambda n: (abs(self.position(n) - at), n))

    def distance(self, at: float) -> float:
        return abs(self.position(self.nearest(at)) - at)

    def steps_per_beat(self, beat_unit: int) -> int | None:
        """Steps per beat of the time signature, or None when it is not a whole number."""
        steps = self.per_quarter * 4
        if steps % beat_unit:
            return None
        return steps // beat_unit

    def fits_meter(self, beats_per_bar: int, beat_unit: int) -> bool:
        per_beat = self.steps_per_beat(beat_unit)
        if per_beat is None or not 1 <= per_beat <= MAX_STEPS_PER_BEAT:
            return False
        if self.swing and per_beat % 2:
            return False
        return per_beat * beats_per_bar <= MAX_STEPS

    def words(self) -> Words:
        """The grid in plain words: "sixteenths with a swing of 0.2"."""
        name = _GRID_WORDS.get(self.per_quarter,
                               Words(nb=f"{self.per_quarter} steg per fjerdedel",
                                     en=f"{self.per_quarter} steps per quarter note"))
        return _both(_SWUNG, grid=name, swing=self.swing) if self.swing else name


_EXACT_ORDER = (4, 3, 8, 6, 12, 24, 2, 1)
_PLAYED_ORDER = (4, 3, 6, 8, 2, 1)  # eighths and quarters: for bars too long for sixteenths


def _estimate_swing(sixteenths: Iterable[float], least: int) -> float:
    """The median lateness of odd sixteenths (in steps) when it is clear, else 0."""
    late = [x % 2 - 1 for x in sixteenths if 0.55 <= x % 2 < 1.8]
    if len(late) < least:
        return 0.0
    middle = median(late)
    spread = median(abs(v - middle) for v in late)
    swing = min(MAX_SWING, round(middle, 2))
    if swing < _SWING_MIN or spread > _SWING_SPREAD:
        return 0.0
    return swing


def _misfits(grid: Grid, positions: Sequence[float]) -> int:
    far = _PLAYED_FAR / grid.per_quarter
    return sum(1 for x in positions if grid.distance(x) > far)


@dataclass(frozen=True)
class _GridPlan:
    exact: bool
    file_grid: Grid  # the played file's grid (or the first exact candidate)
    candidates: tuple[Grid, ...]  # exact files: per-bar candidates in order of preference
    tolerance: float = _EXACT  # quarters: this close to a grid point is on it


def _plan_grid(onsets: Sequence[float], beats_per_bar: int, beat_unit: int,
               tolerance: float = _EXACT) -> _GridPlan:
    def usable(grids: Iterable[Grid]) -> tuple[Grid, ...]:
        return tuple(g for g in grids if g.fits_meter(beats_per_bar, beat_unit))

    fine = Grid(24)
    off_fine = [x for x in onsets if fine.distance(x) > tolerance]
    swing = _estimate_swing((4 * x for x in off_fine), 1)  # written: one swung note is clear
    exact_grids = [fine] + ([Grid(4, swing)] if swing else [])
    on_grid = sum(1 for x in onsets if any(g.distance(x) <= tolerance for g in exact_grids))
    if onsets and on_grid >= _EXACT_SHARE * len(onsets):
        order = ([Grid(4, swing)] if swing else []) + [Grid(q) for q in _EXACT_ORDER]
        candidates = usable(order)
        return _GridPlan(True, candidates[0], candidates, tolerance)
    played = _estimate_swing((4 * x for x in onsets), 6)
    order = [Grid(4, played)] + [Grid(q) for q in _PLAYED_ORDER[1:]]
    candidates = usable(order)
    best = candidates[0]
    allowed = _PLAYED_MISFIT * len(onsets)
    if _misfits(best, onsets) > allowed:
        counts = [(_misfits(g, onsets), i) for i, g in enumerate(candidates)]
        fitting = [i for count, i in counts if count <= allowed]
        best = candidates[fitting[0]] if fitting else candidates[min(counts)[1]]
    return _GridPlan(False, best, (best,))


def _bar_grid(plan: _GridPlan, positions: Sequence[float]) -> Grid:
    if not plan.exact:
        return plan.file_grid
    worst = []
    for grid in plan.candidates:
        far = max((grid.distance(x) for x in positions), default=0.0)
        if far <= plan.tolerance:
            return grid
        worst.append(far)
    return plan.candidates[worst.index(min(worst))]


# --- reading the file ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    at: float  # quarters from the start
    voice: str
    velocity: int


@dataclass(frozen=True)
class _Tone:
    start: float
    end: float
    pitch: int
    velocity: int


@dataclass(frozen=True)
class _TimeLine:
    offset: float  # quarters before this time line starts
    tempo: TempoMap


def _time_lines(reading: MidiReading) -> list[_TimeLine]:
    """One time line per track in format 2 (played one after another), else one for all."""
    if reading.format != 2:
        line = _TimeLine(0.0, tempo_map(reading))
        return [line] * len(reading.tracks)
    lines = []
    offset = 0.0
    for index, track in enumerate(reading.tracks):
        tm = tempo_map(reading, index)
        lines.append(_TimeLine(offset, tm))
        offset += tm.quarters_at(track.end_tick)
    return lines


def _end_quarters(reading: MidiReading, lines: Sequence[_TimeLine]) -> float:
    ends = [line.offset + line.tempo.quarters_at(track.end_tick)
            for track, line in zip(reading.tracks, lines, strict=True)]
    return max(ends, default=0.0)


def _tempo_changes(reading: MidiReading, lines: Sequence[_TimeLine]) -> list[tuple[float, float]]:
    """(quarters, quarter notes per minute) for every tempo of every time line, in order."""
    seen: set[int] = set()
    changes: list[tuple[float, float]] = []
    for line in lines:
        if id(line.tempo) in seen:
            continue
        seen.add(id(line.tempo))
        for quarters, micros in zip(line.tempo.change_quarters, line.tempo.tempos, strict=True):
            changes.append((line.offset + quarters, 60_000_000 / micros))
    changes.sort(key=lambda change: change[0])
    return changes


def _markers(reading: MidiReading, lines: Sequence[_TimeLine]) -> list[tuple[float, str]]:
    found = []
    for track, line in zip(reading.tracks, lines, strict=True):
        for event in track.events:
            if isinstance(event, Text) and event.kind == "marker":
                text = " ".join(event.text.split())[:MAX_TEXT]
                if text:
                    found.append((line.offset + line.tempo.quarters_at(event.tick), text))
    found.sort(key=lambda marker: marker[0])
    return found


def _monophonic(tones: Sequence[_Tone]) -> bool:
    for a, b in itertools.pairwise(tones):
        if b.start - a.start < _TOGETHER or a.end - b.start > _LONG_OVERLAP:
            return False
    return all(a.end <= c.start + _TOGETHER for a, c in zip(tones, tones[2:], strict=False))


def _choose_bass(groups: Mapping[int, list[_Tone]]) -> int | None:
    """The channel whose notes make the bass line, or None."""
    fitting = [(len(tones), -sum(t.pitch for t in tones) / len(tones), -channel)
               for channel, tones in groups.items()
               if tones and max(t.pitch for t in tones) <= HIGHEST_BASS_KEY
               and _monophonic(tones)]
    if not fitting:
        return None
    return -max(fitting)[2]


# --- bars ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bar:
    grid: Grid
    lanes: tuple[tuple[str, tuple[int, ...]], ...]  # sounding voices, by voice name
    bass: tuple[BassNote, ...]


@dataclass
class _Counts:
    merged_hits: int = 0
    merged_bass: int = 0
    off_grid: int = 0


def _placed(at: float, bar_quarters: float, grids: Sequence[Grid], steps: Sequence[int]
            ) -> tuple[int, int]:
    """(bar, step) of an onset, wrapping a late-in-the-bar onset to the next bar's step 0."""
    bar = max(0, math.floor((at + _EXACT) / bar_quarters))
    bar = min(bar, len(grids) - 1)
    step = grids[bar].nearest(at - bar * bar_quarters)
    if step >= steps[bar] and bar + 1 < len(grids):
        return bar + 1, 0
    return bar, max(0, min(step, steps[bar] - 1))


def _glides(tones: Sequence[_Tone]) -> list[bool]:
    """Which notes glide: those the note before still overlaps clearly when they start."""
    return [False] + [
        a.end > b.start and a.end - b.start >= min(_GLIDE_OVERLAP, 0.4 * (b.end - b.start))
        for a, b in itertools.pairwise(tones)]


def _build_bars(hits: Sequence[_Hit], tones: Sequence[_Tone], bars: int, bar_quarters: float,
                plan: _GridPlan, beats_per_bar: int, beat_unit: int, counts: _Counts
                ) -> list[_Bar]:
    # Which bar each onset belongs to (before quantising), for choosing each bar's grid.
    by_bar: list[list[float]] = [[] for _ in range(bars)]

    def note_position(at: float) -> int:
        bar = min(bars - 1, max(0, math.floor((at + _EXACT) / bar_quarters)))
        by_bar[bar].append(at - bar * bar_quarters)
        return bar

    for hit in hits:
        note_position(hit.at)
    for i, tone in enumerate(tones):
        bar = note_position(tone.start)
        # A note's length is counted in steps of its first bar; one held into the next note
        # ends where that one starts.
        end = min(tone.end, tones[i + 1].start if i + 1 < len(tones) else math.inf)
        by_bar[bar].append(min(end, bars * bar_quarters) - bar * bar_quarters)
    grids = [_bar_grid(plan, positions) for positions in by_bar]
    per_beat = [g.steps_per_beat(beat_unit) or 4 for g in grids]
    steps = [p * beats_per_bar for p in per_beat]
    if plan.exact:
        counts.off_grid = sum(1 for b, positions in enumerate(by_bar) for x in positions
                              if grids[b].distance(x) > plan.tolerance)

    lanes: list[dict[str, list[int]]] = [{} for _ in range(bars)]
    for hit in hits:
        bar, step = _placed(hit.at, bar_quarters, grids, steps)
        lane = lanes[bar].setdefault(hit.voice, [0] * steps[bar])
        if lane[step]:
            counts.merged_hits += 1
        lane[step] = max(lane[step], hit.velocity)

    bass: list[dict[int, BassNote]] = [{} for _ in range(bars)]
    # Notes that land on one step: the last one plays (the bass plays one note at a time).
    placed = [(_placed(tone.start, bar_quarters, grids, steps), tone) for tone in tones]
    kept = [(place, tone) for k, (place, tone) in enumerate(placed)
            if k + 1 == len(placed) or placed[k + 1][0] != place]
    counts.merged_bass = len(placed) - len(kept)
    places = [place for place, _ in kept]
    tones = [tone for _, tone in kept]
    glides = _glides(tones)
    for i, tone in enumerate(tones):
        bar, step = places[i]
        start_at = bar * bar_quarters
        end = min(tone.end, bars * bar_quarters)
        if i + 1 < len(tones) and (glides[i + 1] or tone.end > tones[i + 1].start):
            # Held into the next note: it ends exactly where that one starts, as quantised.
            next_bar, next_step = places[i + 1]
            end = next_bar * bar_quarters + grids[next_bar].position(next_step)
        end_step = grids[bar].nearest(end - start_at)
        length = max(1, min(MAX_STEPS, end_step - step))
        bass[bar][step] = BassNote(step=step, pitch=tone.pitch, length=length,
                                   velocity=max(1, min(127, tone.velocity)), glide=glides[i])
    return [
        _Bar(grids[b], tuple(sorted((v, tuple(lane)) for v, lane in lanes[b].items())),
             tuple(bass[b][s] for s in sorted(bass[b])))
        for b in range(bars)
    ]


# --- patterns and sections -------------------------------------------------------------------


def _pattern_name(index: int) -> str:
    """A, B, … Z, AA, AB, …"""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _chunk_size(bars: Sequence[_Bar], steps_per_bar: Sequence[int]) -> int:
    """The fewest bars per pattern that makes at most MAX_PATTERNS patterns; if none does, the
    most bars a pattern can hold (the arrangement is then cut off where patterns run out)."""
    possible = []
    for size in _MAX_PATTERN_BARS:
        chunks = [bars[i:i + size] for i in range(0, len(bars), size)]
        if any(len({b.grid for b in chunk}) > 1 for chunk in chunks):
            continue
        if any(steps_per_bar[i] * size > MAX_STEPS for i in range(0, len(bars), size)):
            continue
        if len({tuple(chunk) for chunk in chunks}) <= MAX_PATTERNS:
            return size
        possible.append(size)
    return max(possible, default=1)


def _pattern_of(name: str, chunk: Sequence[_Bar], beat_unit: int, beats_per_bar: int) -> Pattern:
    grid = chunk[0].grid
    per_beat = grid.steps_per_beat(beat_unit) or 4
    bar_steps = per_beat * beats_per_bar
    steps = bar_steps * len(chunk)
    lanes: dict[str, list[int]] = {}
    notes: list[BassNote] = []
    for i, bar in enumerate(chunk):
        for voice, velocities in bar.lanes:
            lane = lanes.setdefault(voice, [0] * steps)
            lane[i * bar_steps:(i + 1) * bar_steps] = velocities
        notes += [replace(n, step=n.step + i * bar_steps) for n in bar.bass]
    voices: dict[str, VoiceLane] = {v: VoiceLane(tuple(lanes[v])) for v in VOICES if v in lanes}
    return Pattern(name=name, steps=steps, steps_per_beat=per_beat,
                   swing=grid.swing if per_beat % 2 == 0 else 0.0, voices=voices,
                   bass=BassLine(tuple(notes)) if notes else None)


@dataclass(frozen=True)
class _Arranged:
    patterns: tuple[Pattern, ...]
    sections: tuple[Section, ...]
    kept_bars: int


class _Arranger:
    """Collects patterns (equal bar runs share one) and sections, within the beat's limits."""

    def __init__(self, first_tempo: float, beat_unit: int, beats_per_bar: int) -> None:
        self.patterns: dict[tuple[_Bar, ...], Pattern] = {}
        self.sections: list[Section] = []
        self.kept = 0
        self.previous_tempo = first_tempo
        self.beat_unit = beat_unit
        self.beats_per_bar = beats_per_bar

    def _new_name(self, hint: str | None) -> str:
        taken = {p.name for p in self.patterns.values()}
        if hint:
            name, number = hint, 2
            while name in taken:
                name = f"{hint[:MAX_TEXT - 4]} {number}"
                number += 1
            return name
        index = len(self.patterns)
        while _pattern_name(index) in taken:
            index += 1
        return _pattern_name(index)

    def place(self, first: int, chunk: tuple[_Bar, ...], bars: int, part: str | None,
              marked: bool, tempo: float) -> bool:
        """Play ``chunk`` (as one pattern) for ``bars`` bars from bar ``first``; False when the
        beat has no room for it."""
        pattern = self.patterns.get(chunk)
        if pattern is None:
            if len(self.patterns) >= MAX_PATTERNS:
                return False
            pattern = _pattern_of(self._new_name(part), chunk, self.beat_unit,
                                  self.beats_per_bar)
            self.patterns[chunk] = pattern
        last = self.sections[-1] if self.sections else None
        if (last is not None and last.pattern == pattern.name and not marked
                and tempo == self.previous_tempo and last.bars % len(chunk) == 0
                and last.bars + bars <= MAX_BARS):
            self.sections[-1] = replace(last, bars=last.bars + bars)
        else:
            if len(self.sections) >= MAX_SECTIONS:
                return False
            changed = bool(self.sections) and tempo != self.previous_tempo
            self.sections.append(Section(name=part or pattern.name, bars=bars,
                                         pattern=pattern.name, tempo=tempo if changed else None))
        self.previous_tempo = tempo
        self.kept = first + bars
        return True

    def result(self) -> _Arranged:
        return _Arranged(tuple(self.patterns.values()), tuple(self.sections), self.kept)


def _chunk_ok(bars: Sequence[_Bar], steps_per_bar: Sequence[int], first: int, size: int) -> bool:
    chunk = bars[first:first + size]
    return (len(chunk) == size and len({b.grid for b in chunk}) == 1
            and steps_per_bar[first] * size <= MAX_STEPS)


def _repeats(bars: Sequence[_Bar], first: int, end: int, period: int) -> int:
    """How many bars from ``first`` (up to ``end``) repeat the ``period`` bars before them,
    counting the first period itself."""
    at = first + period
    while at < end and bars[at] == bars[at - period]:
        at += 1
    return min(at, end) - first


def _arrange_fixed(bars: Sequence[_Bar], tempos: Sequence[float], names: Sequence[str | None],
                   size: int, beat_unit: int, beats_per_bar: int) -> _Arranged:
    """Patterns of ``size`` bars each (a performance where too many bars differ)."""
    arranger = _Arranger(tempos[0], beat_unit, beats_per_bar)
    part: str | None = None
    for first in range(0, len(bars), size):
        chunk = tuple(bars[first:first + size])
        marker = next((n for n in names[first:first + size] if n), None)
        part = marker or part
        if not arranger.place(first, chunk, len(chunk), part, marker is not None, tempos[first]):
            break
    return arranger.result()


def _arrange(bars: Sequence[_Bar], tempos: Sequence[float], names: Sequence[str | None],
             steps_per_bar: Sequence[int], beat_unit: int, beats_per_bar: int) -> _Arranged:
    """Parts run from marker to marker (and tempo change to tempo change). A named part that
    repeats a phrase of up to 16 bars all through becomes one section with that phrase as its
    pattern; otherwise phrases that repeat at least twice in a row become sections, and the
    rest one bar each."""
    arranger = _Arranger(tempos[0], beat_unit, beats_per_bar)
    starts = [b for b in range(len(bars))
              if b == 0 or names[b] is not None or tempos[b] != tempos[b - 1]]
    part: str | None = None
    for first, end in zip(starts, [*starts[1:], len(bars)], strict=True):
        part = names[first] or part
        marked = names[first] is not None
        whole = None
        if part is not None:
            whole = next((p for p in range(1, min(16, end - first) + 1)
                          if _chunk_ok(bars, steps_per_bar, first, p)
                          and _repeats(bars, first, end, p) == end - first
                          and end - first <= MAX_BARS), None)
        if whole is not None:
            if not arranger.place(first, tuple(bars[first:first + whole]), end - first, part,
                                  marked, tempos[first]):
                return arranger.result()
            continue
        at = first
        while at < end:
            best = (1, 1)  # (bars covered, period)
            for period in range(1, 9):
                if not _chunk_ok(bars, steps_per_bar, at, period):
                    continue
                covered = min(_repeats(bars, at, end, period), MAX_BARS - MAX_BARS % period)
                if (covered >= 2 * period or period == 1) and covered > best[0]:
                    best = (covered, period)
            covered, period = best
            if not arranger.place(at, tuple(bars[at:at + period]), covered, part,
                                  marked and at == first, tempos[first]):
                return arranger.result()
            at += covered
    return arranger.result()


# --- the import ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MidiImport:
    """What a MIDI file gave: the beat (None when it has no drums and no bass line) and the
    facts of the report."""

    beat: Beat | None
    format: int
    tracks: int
    notes: int
    length_seconds: float
    tempo_bpm: float
    skipped: Mapping[str, int]
    warnings: tuple[Words, ...]
    notes_for_people: tuple[Words, ...] = ()  # grid, drum map, where the bass came from
    drum_hits: int = 0
    bass_notes: int = 0
    drum_map: str | None = None
    problems: tuple[str, ...] = field(default=())  # the reader's problem codes

    def report(self, lang: Language | None = None) -> dict[str, object]:
        """``{"format", "tracks", "notes", "length_seconds", "tempo_bpm", "skipped",
        "warnings"}``, the warnings said in ``lang`` (the current language by default)."""
        lang = lang or language()
        return {
            "format": self.format,
            "tracks": self.tracks,
            "notes": self.notes,
            "length_seconds": round(self.length_seconds, 3),
            "tempo_bpm": round(self.tempo_bpm, 3),
            "skipped": dict(self.skipped),
            "warnings": [w.say(lang) for w in self.warnings],
        }


def import_midi(data: bytes, name: str = "MIDI", source: str = "") -> MidiImport:
    """Read a MIDI file from bytes and make a beat of it; see the module docstring.

    Raises :class:`~studio.core.i18n.StudioError` only when nothing in the file can be trusted
    (the reader's refusals).
    """
    return import_reading(read_midi(data), name, source or name)


def _clean_name(name: str) -> str:
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", name).split())[:MAX_TEXT]
    return text or "MIDI"


def import_reading(reading: MidiReading, name: str = "MIDI", source: str = "") -> MidiImport:
    """:func:`import_midi` for a file already read."""
    warnings: list[Words] = [_both(p.words, **dict(p.values)) for p in reading.problems]
    notes_for_people: list[Words] = []
    skipped: Counter[str] = Counter(reading.skipped)
    lines = _time_lines(reading)
    first_tempo = 60_000_000 / lines[0].tempo.tempos[0] if lines else 120.0

    # Every note, with its place in quarters.
    drums: list[tuple[float, Note]] = []
    others: dict[int, list[_Tone]] = {}
    for track, line in zip(reading.tracks, lines, strict=True):
        for event in track.events:
            if isinstance(event, ControlChange | PitchBend):
                skipped["control"] += 1
        for note in track.notes:
            start = line.offset + line.tempo.quarters_at(note.start_tick)
            if note.channel == DRUM_CHANNEL:
                drums.append((start, note))
            else:
                end = line.offset + line.tempo.quarters_at(note.end_tick)
                others.setdefault(note.channel, []).append(
                    _Tone(start, max(start, end), note.key, note.velocity))

    drum_map: DrumMap | None = guess_drum_map(n.key for _, n in drums) if drums else None
    hits: list[_Hit] = []
    silent: Counter[int] = Counter()
    for at, note in drums:
        voice = drum_map.voice(note.key) if drum_map else None
        if voice is None:
            silent[note.key] += 1
        else:
            hits.append(_Hit(at, voice, note.velocity))
    if silent:
        skipped["drum_notes_without_sound"] += sum(silent.values())
        warnings.append(_both(_NO_SOUND, count=sum(silent.values()),
                              keys=", ".join(str(k) for k in sorted(silent))))
    for tones in others.values():
        tones.sort(key=lambda t: (t.start, t.pitch))
    bass_channel = _choose_bass(others)
    tones = others.get(bass_channel, []) if bass_channel is not None else []
    for channel in sorted(others):
        if channel != bass_channel and others[channel]:
            skipped["other_notes"] += len(others[channel])
            warnings.append(_both(_LEFT_OUT_CHANNEL, count=len(others[channel]),
                                  channel=channel + 1))

    beat = None
    if hits or tones:
        beat = _make_beat(reading, lines, hits, tones, name, source, warnings, notes_for_people)
        if drum_map is not None and hits:
            notes_for_people.insert(0, _both(_MAP_NOTE, map=drum_map.words))
        if bass_channel is not None:
            notes_for_people.append(_both(_BASS_NOTE, channel=bass_channel + 1,
                                          count=len(tones)))
    else:
        warnings.append(NOTHING_FOR_A_BEAT)
    return MidiImport(
        beat=beat, format=reading.declared_format, tracks=len(reading.tracks),
        notes=reading.note_count, length_seconds=length_seconds(reading),
        tempo_bpm=round(first_tempo, 3), skipped=dict(skipped), warnings=tuple(warnings),
        notes_for_people=tuple(notes_for_people), drum_hits=len(hits), bass_notes=len(tones),
        drum_map=drum_map.name if drum_map else None, problems=reading.problem_codes())


def _meter(reading: MidiReading, lines: Sequence[_TimeLine], warnings: list[Words]
           ) -> tuple[int, int]:
    signatures = time_signatures(reading, 0)
    first = signatures[0]
    beats, unit = first.numerator, first.denominator
    if not (1 <= beats <= 32 and unit in BEAT_UNITS):
        warnings.append(_both(_BAD_METER, meter=f"{beats}/{unit}"))
        beats, unit = 4, 4
    line = lines[0]
    bar_quarters = beats * 4 / unit
    for signature in signatures[1:]:
        if (signature.numerator, signature.denominator) != (first.numerator, first.denominator):
            bar = math.floor(line.tempo.quarters_at(signature.tick) / bar_quarters + _EXACT) + 1
            warnings.append(_both(_METER_CHANGES, bar=bar, first=f"{beats}/{unit}",
                                  meter=f"{signature.numerator}/{signature.denominator}"))
            break
    return beats, unit


def _beat_tempo(quarter_bpm: float, beat_unit: int, warnings: list[Words]) -> float:
    tempo = round(quarter_bpm * beat_unit / 4, 3)
    low, high = TEMPO_RANGE
    if not low <= tempo <= high:
        used = min(high, max(low, tempo))
        warnings.append(_both(_TEMPO_CLAMPED, value=tempo, used=used, low=low, high=high))
        return used
    return tempo


def _bar_tempos(changes: Sequence[tuple[float, float]], bars: int, bar_quarters: float,
                beat_unit: int, warnings: list[Words]) -> list[float]:
    by_bar: dict[int, float] = {}
    moved = 0
    for at, bpm in changes:
        bar = round(at / bar_quarters)
        if abs(at - bar * bar_quarters) > _EXACT:
            moved += 1
        by_bar[min(max(bar, 0), bars - 1)] = bpm
    if moved:
        warnings.append(_both(_TEMPO_MOVED, count=moved))
    tempos = []
    current = changes[0][1] if changes else 120.0
    said: set[float] = set()
    for bar in range(bars):
        current = by_bar.get(bar, current)
        quiet: list[Words] = []
        tempo = _beat_tempo(current, beat_unit, quiet)
        if quiet and current not in said:
            said.add(current)
            warnings += quiet
        tempos.append(tempo)
    return tempos


def _tolerance(reading: MidiReading) -> float:
    """Quarters within which an onset of this file counts as on a grid point: a little more
    than half a tick, the most that writing a grid position in whole ticks moves it."""
    division = reading.division
    if division.is_smpte or division.ticks_per_quarter <= 0:
        return _EXACT
    return min(_EXACT, _TICK_SHARE / division.ticks_per_quarter)


def _make_beat(reading: MidiReading, lines: Sequence[_TimeLine], hits: list[_Hit],
               tones: list[_Tone], name: str, source: str, warnings: list[Words],
               notes_for_people: list[Words]) -> Beat:
    beats_per_bar, beat_unit = _meter(reading, lines, warnings)
    bar_quarters = beats_per_bar * 4 / beat_unit
    hits.sort(key=lambda h: h.at)
    onsets = [h.at for h in hits] + [t.start for t in tones]
    last = max(onsets) if onsets else 0.0
    end = _end_quarters(reading, lines)
    bars = max(1, math.ceil(end / bar_quarters - _EXACT),
               math.floor((last + _EXACT) / bar_quarters) + 1)
    plan = _plan_grid(onsets, beats_per_bar, beat_unit, _tolerance(reading))
    counts = _Counts()
    built = _build_bars(hits, tones, bars, bar_quarters, plan, beats_per_bar, beat_unit, counts)
    if counts.merged_hits:
        warnings.append(_both(_MERGED_HITS, count=counts.merged_hits))
    if counts.merged_bass:
        warnings.append(_both(_MERGED_BASS, count=counts.merged_bass))
    if counts.off_grid:
        warnings.append(_both(_OFF_GRID, count=counts.off_grid))
    if plan.exact:
        used = sorted({b.grid for b in built}, key=lambda g: (g.per_quarter, g.swing))
        if len(used) == 1:
            notes_for_people.append(_both(_GRID_NOTE, grid=used[0].words()))
        else:
            said = {lang: ", ".join(g.words().say(lang) for g in used) for lang in ("nb", "en")}
            notes_for_people.append(Words(_GRIDS_NOTE.say("nb", grids=said["nb"]),
                                          _GRIDS_NOTE.say("en", grids=said["en"])))
    else:
        notes_for_people.append(_both(_GRID_NOTE, grid=plan.file_grid.words()))

    tempos = _bar_tempos(_tempo_changes(reading, lines), bars, bar_quarters, beat_unit, warnings)
    names: list[str | None] = [None] * bars
    for at, text in _markers(reading, lines):
        bar = round(at / bar_quarters)
        if abs(at - bar * bar_quarters) <= _EXACT and 0 <= bar < bars:
            names[bar] = text
    steps_per_bar = [(b.grid.steps_per_beat(beat_unit) or 4) * beats_per_bar for b in built]
    size = _chunk_size(built, steps_per_bar)
    if size > 1:
        warnings.append(_both(_MOVED_TO_PATTERN_START, bars=size))
        arranged = _arrange_fixed(built, tempos, names, size, beat_unit, beats_per_bar)
    else:
        arranged = _arrange(built, tempos, names, steps_per_bar, beat_unit, beats_per_bar)
    if arranged.kept_bars < bars:
        warnings.append(_both(_CUT_OFF, patterns=MAX_PATTERNS, sections=MAX_SECTIONS,
                              bars=arranged.kept_bars, total=bars))
    file_name = source[-200:]
    return Beat(
        name=_clean_name(name), style="MIDI",
        description=_both(_DESCRIPTION, file=file_name),
        tempo=tempos[0], patterns=arranged.patterns, arrangement=arranged.sections,
        beats_per_bar=beats_per_bar, beat_unit=beat_unit, kit="synth")


# --- the export ------------------------------------------------------------------------------


def beat_to_midi(beat: Beat, *, ticks_per_quarter: int = EXPORT_TICKS_PER_QUARTER) -> bytes:
    """The beat as a type 1 MIDI file; see the module docstring."""
    ticks_per_beat = ticks_per_quarter * 4 // beat.beat_unit
    # At 60 BPM with one "frame" per tick, the timeline gives every position in ticks.
    flat = replace(beat, tempo=60.0,
                   arrangement=tuple(replace(s, tempo=None) for s in beat.arrangement))
    timeline = BeatTimeline(flat, ticks_per_beat)
    end = timeline.length_frames or 0
    events = timeline.events(0, end)
    drum_length = max(1, round(ticks_per_quarter * _DRUM_NOTE_QUARTERS))
    drums = [Note(hit.frame, drum_length, DRUM_CHANNEL, gm_key(cast(KitVoice, hit.voice)),
                  hit.velocity) for hit in events.hits]
    bass: list[Note] = []
    played = events.bass
    for i, note in enumerate(played):
        stop = note.frame + note.length
        following = played[i + 1] if i + 1 < len(played) else None
        if following is not None:
            if following.glide and stop >= following.frame:  # legato: the slide of an 808
                over = max(1, min(round(ticks_per_quarter * _EXPORT_GLIDE),
                                  following.length // 2))
                stop = following.frame + over
            else:
                stop = min(stop, following.frame)
        bass.append(Note(note.frame, max(1, stop - note.frame), BASS_CHANNEL, note.pitch,
                         note.velocity))
    tracks = [TrackToWrite("Drums", drums)]
    if bass:
        tracks.append(TrackToWrite("Bass", bass, program=BASS_PROGRAM))
    first_quarter_bpm = beat.tempo * 4 / beat.beat_unit
    data = write_midi_type1(tracks, ticks_per_quarter, first_quarter_bpm,
                            (beat.beats_per_bar, beat.beat_unit), title=beat.name, end_tick=end)
    return _with_conductor(data, _conductor(beat, timeline, ticks_per_quarter, end))


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _meta(kind: int, payload: bytes) -> bytes:
    return bytes([0xFF, kind]) + _vlq(len(payload)) + payload


def _text_bytes(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _conductor(beat: Beat, timeline: BeatTimeline, ticks_per_quarter: int, end: int) -> bytes:
    """The conductor track: title, meter, and at each section its tempo and a marker."""
    events: list[tuple[int, bytes]] = []
    if beat.name:
        events.append((0, _meta(0x03, _text_bytes(beat.name))))
    exponent = beat.beat_unit.bit_length() - 1
    events.append((0, _meta(0x58, bytes([beat.beats_per_bar, exponent,
                                         max(1, 96 // beat.beat_unit), 8]))))
    bar = 1
    previous = None
    for section, tempo in zip(beat.arrangement, beat.section_tempos(), strict=True):
        tick = timeline.bar_frame(bar)
        micros = max(1, min(0xFFFFFF, round(60_000_000 / (tempo * 4 / beat.beat_unit))))
        if micros != previous:
            events.append((tick, _meta(0x51, micros.to_bytes(3, "big"))))
            previous = micros
        events.append((tick, _meta(0x06, _text_bytes(section.name))))
        bar += section.bars
    body = bytearray()
    now = 0
    for tick, message in events:
        body += _vlq(tick - now) + message
        now = tick
    body += _vlq(max(0, end - now)) + _meta(0x2F, b"")
    return b"MTrk" + len(body).to_bytes(4, "big") + bytes(body)


def _with_conductor(data: bytes, conductor: bytes) -> bytes:
    """``data`` (a type 1 file from :func:`write_midi_type1`) with its first track replaced."""
    first = 14
    length = int.from_bytes(data[first + 4:first + 8], "big")
    return data[:first] + conductor + data[first + 8 + length:]
