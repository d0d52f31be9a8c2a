"""Beats: step patterns, a bass line, and their arrangement into a song form (pure model).

A :class:`Beat` holds :class:`Pattern` s (kit voices × steps, a velocity per step, swing, per-voice
level, pan and mute, and an optional :class:`BassLine` for the sub bass) and an arrangement of
:class:`Section` s (intro, verse, hook … each so many bars of one pattern, optionally changing the
tempo where it starts). Starter beats are TOML files in ``presets/beats/``; a person can read and
edit them::

    name = "boom-bap"
    style = "boom bap"
    tempo = 90
    time_signature = "4/4"
    kit = "synth"

    [description]
    nb = "Klassisk 90-talls hiphop."
    en = "Classic nineties hip hop."

    [[pattern]]
    name = "verse"
    steps = 16            # 16 steps of a sixteenth each = one bar of 4/4
    steps_per_beat = 4    # 4 = sixteenths, 3 or 6 = triplet grids, 8 = thirty-seconds
    swing = 0.2           # off-beat steps come this much of a step late (1/3 = triplet shuffle)

    [pattern.voices]
    kick  = "x... ...x ..x. ...."     # . off   o soft (50)   x hit (100)   X accent (127)
    snare = ".... x... .... x..o"     # 1-9: velocity 14..127; spaces and | are ignored
    hat_closed = { steps = "x.x. x.x. x.x. x.x.", level = 0.7, pan = 0.3 }
    shaker = [0, 40, 0, 60, 0, 40, 0, 60, 0, 40, 0, 60, 0, 40, 0, 60]   # exact velocities

    [pattern.bass]
    notes = [
      { step = 1, note = "D1", length = 6 },              # step counts from 1, like the pads
      { step = 11, note = "F1", length = 2, glide = true },
    ]

    [[section]]
    name = "verse"
    bars = 8
    pattern = "verse"
    tempo = 92            # optional: the tempo from this section on

Swing delays every odd step (0-based) by ``swing`` steps when ``steps_per_beat`` is even; a
triplet grid (odd ``steps_per_beat``) is already swung and ignores it. A pattern repeats through
its section; a section's length is whole bars of the beat's time signature.

:func:`parse_beat` checks everything and explains any mistake in plain words, naming the file and
the place; :func:`dump_beat` writes a beat back as TOML that :func:`parse_beat` reads to an equal
beat. Turning a beat into timed events is :mod:`studio.core.beat_timeline`.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Literal, get_args

from studio.core.i18n import StudioError, Words

__all__ = [
    "SECTION_NAMES",
    "STEP_CHARS",
    "VOICES",
    "VOICE_WORDS",
    "BassLine",
    "BassNote",
    "Beat",
    "Pattern",
    "Section",
    "VoiceLane",
    "dump_beat",
    "note_name",
    "parse_beat",
    "parse_note_name",
    "validate_beat",
]

Voice = Literal[
    "kick", "snare", "clap", "rim", "hat_closed", "hat_pedal", "hat_open",
    "tom_low", "tom_mid", "tom_high", "crash", "ride", "cowbell", "shaker",
]
VOICES: tuple[Voice, ...] = get_args(Voice)  # the kit voices, in the order a grid shows them
SECTION_NAMES: tuple[str, ...] = ("intro", "verse", "hook", "bridge", "outro")

# The voices in plain words, for messages and the UI.
VOICE_WORDS: Mapping[str, Words] = {
    "kick": Words(nb="basstromme (kick)", en="kick"),
    "snare": Words(nb="skarptromme", en="snare"),
    "clap": Words(nb="klapp", en="clap"),
    "rim": Words(nb="kantslag", en="rim"),
    "hat_closed": Words(nb="lukket hi-hat", en="closed hi-hat"),
    "hat_pedal": Words(nb="pedal-hi-hat", en="pedal hi-hat"),
    "hat_open": Words(nb="åpen hi-hat", en="open hi-hat"),
    "tom_low": Words(nb="lav tam", en="low tom"),
    "tom_mid": Words(nb="mellomtam", en="mid tom"),
    "tom_high": Words(nb="høy tam", en="high tom"),
    "crash": Words(nb="crash", en="crash"),
    "ride": Words(nb="ride", en="ride"),
    "cowbell": Words(nb="kubjelle", en="cowbell"),
    "shaker": Words(nb="shaker", en="shaker"),
}

# Step characters in a lane written as text. Digits 1-9 spread velocity evenly up to 127.
STEP_CHARS: Mapping[str, int] = {
    ".": 0, "-": 0, "o": 50, "x": 100, "X": 127,
    **{str(d): round(d * 127 / 9) for d in range(1, 10)},
}
_CHAR_FOR_VELOCITY: Mapping[int, str] = {
    **{v: c for c, v in STEP_CHARS.items() if c.isdigit()},
    0: ".", 50: "o", 100: "x", 127: "X",
}
_IGNORED_CHARS = " |"

MAX_STEPS = 256
MAX_STEPS_PER_BEAT = 32
MAX_SWING = 0.75
MAX_LEVEL = 2.0
TEMPO_RANGE = (20.0, 400.0)
MAX_BARS = 999
MAX_PATTERNS = 64
MAX_SECTIONS = 256
BEAT_UNITS = (1, 2, 4, 8, 16, 32)
MAX_TEXT = 80
MAX_DESCRIPTION = 600


@dataclass(frozen=True)
class VoiceLane:
    """One kit voice in a pattern: a velocity per step (0 = off, 1-127 = hit)."""

    velocities: tuple[int, ...]
    level: float = 1.0  # linear gain, 0..2
    pan: float = 0.0  # -1 left … 1 right
    mute: bool = False


@dataclass(frozen=True)
class BassNote:
    """One note of the bass line. ``step`` counts from 0 here (the file counts from 1)."""

    step: int
    pitch: int  # MIDI note number, C4 = 60
    length: int = 1  # in steps
    velocity: int = 100
    glide: bool = False  # slide into this pitch from the note before


@dataclass(frozen=True)
class BassLine:
    """A monophonic bass line for the sub bass: at most one note starts on a step."""

    notes: tuple[BassNote, ...]  # sorted by step
    level: float = 1.0
    mute: bool = False

    def at(self, step: int) -> BassNote | None:
        for note in self.notes:
            if note.step == step:
                return note
        return None


@dataclass(frozen=True)
class Pattern:
    name: str
    steps: int
    steps_per_beat: int = 4
    swing: float = 0.0
    voices: Mapping[str, VoiceLane] = field(default_factory=dict)
    bass: BassLine | None = None

    @property
    def beats(self) -> Fraction:
        """Length in beats (16 sixteenths = 4 beats)."""
        return Fraction(self.steps, self.steps_per_beat)

    def swing_offset(self, step: int) -> float:
        """How many steps late ``step`` sounds because of swing (0 on the beat grid)."""
        if self.swing and self.steps_per_beat % 2 == 0 and step % 2 == 1:
            return self.swing
        return 0.0


@dataclass(frozen=True)
class Section:
    name: str  # intro, verse, hook, bridge, outro, or any other name
    bars: int
    pattern: str
    tempo: float | None = None  # a new tempo from this section on


@dataclass(frozen=True)
class Beat:
    name: str
    style: str
    description: Words
    tempo: float
    patterns: tuple[Pattern, ...]
    arrangement: tuple[Section, ...]
    beats_per_bar: int = 4
    beat_unit: int = 4
    kit: str = "synth"

    def pattern(self, name: str) -> Pattern:
        for pattern in self.patterns:
            if pattern.name == name:
                return pattern
        raise KeyError(name)

    @property
    def bars(self) -> int:
        return sum(section.bars for section in self.arrangement)

    def section_tempos(self) -> tuple[float, ...]:
        """The tempo each section plays at (a change holds until the next one)."""
        tempos: list[float] = []
        current = self.tempo
        for section in self.arrangement:
            current = section.tempo if section.tempo is not None else current
            tempos.append(current)
        return tuple(tempos)

    @property
    def seconds(self) -> float:
        beats = self.beats_per_bar
        return sum(s.bars * beats * 60.0 / t
                   for s, t in zip(self.arrangement, self.section_tempos(), strict=True))

    def with_tempo(self, tempo: float) -> Beat:
        """The same beat at ``tempo``; tempo changes in sections keep their ratio to it."""
        ratio = tempo / self.tempo
        sections = tuple(s if s.tempo is None else replace(s, tempo=s.tempo * ratio)
                         for s in self.arrangement)
        return replace(self, tempo=tempo, arrangement=sections)

    def with_muted(self, *voices: str) -> Beat:
        """The same beat with these voices (or ``"bass"``) muted in every pattern."""
        patterns = []
        for p in self.patterns:
            lanes = {v: replace(lane, mute=True) if v in voices else lane
                     for v, lane in p.voices.items()}
            bass = p.bass
            if bass is not None and "bass" in voices:
                bass = replace(bass, mute=True)
            patterns.append(replace(p, voices=lanes, bass=bass))
        return replace(self, patterns=tuple(patterns))


# --- note names ------------------------------------------------------------------------------

_NOTE_RE = re.compile(r"([A-Ga-g])([#b]?)(-?\d+)")
_SEMITONES = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def parse_note_name(text: str) -> int | None:
    """MIDI number of a note name such as ``"C1"``, ``"F#2"`` or ``"Bb0"`` (C4 = 60)."""
    match = _NOTE_RE.fullmatch(text.strip())
    if match is None:
        return None
    letter, accidental, octave = match.groups()
    pitch = 12 * (int(octave) + 1) + _SEMITONES[letter.lower()]
    pitch += {"#": 1, "b": -1, "": 0}[accidental]
    return pitch if 0 <= pitch <= 127 else None


def note_name(pitch: int) -> str:
    return f"{_NAMES[pitch % 12]}{pitch // 12 - 1}"


# --- words -----------------------------------------------------------------------------------

_CANNOT_READ = Words(
    nb="Beaten {file} kan ikke leses: {detail}",
    en="The beat {file} can't be read: {detail}",
)
_MISSING = Words(
    nb="I beaten {file} mangler «{key}» ({where_nb}).",
    en="The beat {file} is missing '{key}' ({where_en}).",
)
_UNKNOWN_KEY = Words(
    nb="Beaten {file} har en innstilling vi ikke kjenner: «{key}» ({where_nb}). "
       "Tillatt: {allowed}.",
    en="The beat {file} has a setting we don't know: '{key}' ({where_en}). Allowed: {allowed}.",
)
_NOT_TEXT = Words(
    nb="I beaten {file} må «{key}» være tekst på høyst {most} tegn ({where_nb}).",
    en="In the beat {file}, '{key}' must be text of at most {most} characters ({where_en}).",
)
_NOT_TABLE = Words(
    nb="I beaten {file} må «{key}» være en tabell ({where_nb}).",
    en="In the beat {file}, '{key}' must be a table ({where_en}).",
)
_NOT_LIST = Words(
    nb="I beaten {file} må «{key}» være en liste ({where_nb}).",
    en="In the beat {file}, '{key}' must be a list ({where_en}).",
)
_NOT_NUMBER = Words(
    nb="I beaten {file} må «{key}» være et tall, ikke {value!r} ({where_nb}).",
    en="In the beat {file}, '{key}' must be a number, not {value!r} ({where_en}).",
)
_NOT_WHOLE = Words(
    nb="I beaten {file} må «{key}» være et helt tall, ikke {value!r} ({where_nb}).",
    en="In the beat {file}, '{key}' must be a whole number, not {value!r} ({where_en}).",
)
_NOT_FINITE = Words(
    nb="I beaten {file} må «{key}» være et vanlig tall, ikke {value} ({where_nb}).",
    en="In the beat {file}, '{key}' must be an ordinary number, not {value} ({where_en}).",
)
_OUT_OF_RANGE = Words(
    nb="I beaten {file} må «{key}» være mellom {low:g} og {high:g}, men er {value:g} "
       "({where_nb}).",
    en="In the beat {file}, '{key}' must be between {low:g} and {high:g}, but it is {value:g} "
       "({where_en}).",
)
_NOT_BOOL = Words(
    nb="I beaten {file} må «{key}» være true eller false ({where_nb}).",
    en="In the beat {file}, '{key}' must be true or false ({where_en}).",
)
_UNKNOWN_VOICE = Words(
    nb="Beaten {file} bruker en lyd vi ikke har: «{voice}» ({where_nb}). Lydene er: {allowed}.",
    en="The beat {file} uses a sound we don't have: '{voice}' ({where_en}). "
       "The sounds are: {allowed}.",
)
_STEP_COUNT = Words(
    nb="I beaten {file} har {where_nb} {count} steg, men mønsteret har {steps}.",
    en="In the beat {file}, {where_en} has {count} steps, but the pattern has {steps}.",
)
_BAD_STEP_CHAR = Words(
    nb="I beaten {file} ({where_nb}) betyr ikke tegnet «{char}» noe. Bruk . for av, o for "
       "svak, x for slag, X for aksent eller 1-9.",
    en="In the beat {file} ({where_en}) the character '{char}' means nothing. Use . for off, "
       "o for soft, x for a hit, X for an accent, or 1-9.",
)
_BAD_NOTE = Words(
    nb="I beaten {file} er {value!r} ikke en tone ({where_nb}). Skriv f.eks. \"C1\", \"F#1\" "
       "eller et MIDI-tall 0-127.",
    en="In the beat {file}, {value!r} is not a note ({where_en}). Write e.g. \"C1\", \"F#1\" "
       "or a MIDI number 0-127.",
)
_TWO_NOTES = Words(
    nb="I beaten {file} starter to bassnoter på steg {step} ({where_nb}); bassen spiller én "
       "tone om gangen.",
    en="In the beat {file}, two bass notes start on step {step} ({where_en}); the bass plays "
       "one note at a time.",
)
_DUPLICATE_PATTERN = Words(
    nb="Beaten {file} har to mønstre som heter «{name}».",
    en="The beat {file} has two patterns called '{name}'.",
)
_UNKNOWN_PATTERN = Words(
    nb="I beaten {file} bruker {where_nb} mønsteret «{name}», som ikke finnes. "
       "Mønstrene er: {available}.",
    en="In the beat {file}, {where_en} uses the pattern '{name}', which does not exist. "
       "The patterns are: {available}.",
)
_NONE = Words(
    nb="Beaten {file} har ingen {what_nb}.",
    en="The beat {file} has no {what_en}.",
)
_TOO_MANY = Words(
    nb="Beaten {file} har {count} {what_nb}; høyst {most} er lov.",
    en="The beat {file} has {count} {what_en}; at most {most} are allowed.",
)
_BAD_TIME_SIGNATURE = Words(
    nb="I beaten {file} må taktarten skrives som \"4/4\", \"3/4\" eller \"6/8\", ikke {value!r}.",
    en="In the beat {file}, the time signature must be written like \"4/4\", \"3/4\" or "
       "\"6/8\", not {value!r}.",
)


@dataclass(frozen=True)
class _Place:
    """Where in a file something is, in both languages."""

    nb: str
    en: str

    def then(self, nb: str, en: str) -> _Place:
        return _Place(f"{self.nb}, {nb}" if self.nb else nb, f"{self.en}, {en}" if self.en else en)

    def values(self) -> dict[str, str]:
        return {"where_nb": self.nb or "øverst i fila", "where_en": self.en or "at the top"}


_TOP = _Place("", "")


# --- reading values --------------------------------------------------------------------------


class _Reader:
    """Checks values of one file, raising plain-word errors that name the file and place."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, words: Words, place: _Place, **values: object) -> StudioError:
        return StudioError(words, file=self.source, **place.values(), **values)

    def keys(self, table: Mapping[str, object], allowed: Sequence[str], place: _Place) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(_UNKNOWN_KEY, place, key=key, allowed=", ".join(allowed))

    def table(self, table: Mapping[str, object], key: str, place: _Place,
              required: bool = True) -> dict[str, object] | None:
        if key not in table:
            if required:
                raise self.fail(_MISSING, place, key=key)
            return None
        value = table[key]
        if not isinstance(value, dict):
            raise self.fail(_NOT_TABLE, place, key=key)
        return value

    def text(self, table: Mapping[str, object], key: str, place: _Place,
             default: str | None = None, most: int = MAX_TEXT) -> str:
        if key not in table:
            if default is not None:
                return default
            raise self.fail(_MISSING, place, key=key)
        value = table[key]
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > most:
            raise self.fail(_NOT_TEXT, place, key=key, most=most)
        return value.strip()

    def number(self, table: Mapping[str, object], key: str, place: _Place, low: float,
               high: float, default: float | None = None) -> float:
        if key not in table:
            if default is not None:
                return default
            raise self.fail(_MISSING, place, key=key)
        return self.check_number(table[key], key, place, low, high)

    def check_number(self, value: object, key: str, place: _Place, low: float,
                     high: float) -> float:
        # bool is an int in Python, but `true` is not a number to a person editing a file.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(_NOT_NUMBER, place, key=key, value=value)
        number = float(value)
        if not math.isfinite(number):
            raise self.fail(_NOT_FINITE, place, key=key, value=number)
        if not low <= number <= high:
            raise self.fail(_OUT_OF_RANGE, place, key=key, low=low, high=high, value=number)
        return number

    def whole(self, table: Mapping[str, object], key: str, place: _Place, low: int, high: int,
              default: int | None = None) -> int:
        if key not in table:
            if default is not None:
                return default
            raise self.fail(_MISSING, place, key=key)
        return self.check_whole(table[key], key, place, low, high)

    def check_whole(self, value: object, key: str, place: _Place, low: int, high: int) -> int:
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(_NOT_FINITE, place, key=key, value=value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(_NOT_WHOLE, place, key=key, value=value)
        if not low <= value <= high:
            raise self.fail(_OUT_OF_RANGE, place, key=key, low=low, high=high, value=value)
        return value

    def flag(self, table: Mapping[str, object], key: str, place: _Place,
             default: bool = False) -> bool:
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, bool):
            raise self.fail(_NOT_BOOL, place, key=key)
        return value


# --- parsing ---------------------------------------------------------------------------------

_TOP_KEYS = ("name", "style", "description", "tempo", "time_signature", "kit", "pattern",
             "section")
_PATTERN_KEYS = ("name", "steps", "steps_per_beat", "swing", "voices", "bass")
_LANE_KEYS = ("steps", "level", "pan", "mute")
_BASS_KEYS = ("level", "mute", "notes")
_NOTE_KEYS = ("step", "note", "length", "velocity", "glide")
_SECTION_KEYS = ("name", "bars", "pattern", "tempo")


def _velocities(r: _Reader, raw: object, steps: int, place: _Place) -> tuple[int, ...]:
    if isinstance(raw, str):
        values = []
        for char in raw:
            if char in _IGNORED_CHARS:
                continue
            if char not in STEP_CHARS:
                raise r.fail(_BAD_STEP_CHAR, place, char=char)
            values.append(STEP_CHARS[char])
    elif isinstance(raw, list):
        values = [r.check_whole(v, "steps", place.then(f"steg {i}", f"step {i}"), 0, 127)
                  for i, v in enumerate(raw, start=1)]
    else:
        raise r.fail(_NOT_LIST, place, key="steps")
    if len(values) != steps:
        raise r.fail(_STEP_COUNT, place, count=len(values), steps=steps)
    return tuple(values)


def _lane(r: _Reader, raw: object, steps: int, place: _Place) -> VoiceLane:
    if isinstance(raw, dict):
        r.keys(raw, _LANE_KEYS, place)
        if "steps" not in raw:
            raise r.fail(_MISSING, place, key="steps")
        return VoiceLane(
            velocities=_velocities(r, raw["steps"], steps, place),
            level=r.number(raw, "level", place, 0.0, MAX_LEVEL, 1.0),
            pan=r.number(raw, "pan", place, -1.0, 1.0, 0.0),
            mute=r.flag(raw, "mute", place),
        )
    return VoiceLane(velocities=_velocities(r, raw, steps, place))


def _pitch(r: _Reader, raw: object, place: _Place) -> int:
    if isinstance(raw, str):
        pitch = parse_note_name(raw)
        if pitch is None:
            raise r.fail(_BAD_NOTE, place, value=raw)
        return pitch
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 127:
        raise r.fail(_BAD_NOTE, place, value=raw)
    return raw


def _bass(r: _Reader, raw: dict[str, object], steps: int, place: _Place) -> BassLine:
    r.keys(raw, _BASS_KEYS, place)
    raw_notes = raw.get("notes", [])
    if not isinstance(raw_notes, list):
        raise r.fail(_NOT_LIST, place, key="notes")
    notes: dict[int, BassNote] = {}
    for index, item in enumerate(raw_notes, start=1):
        where = place.then(f"note nr. {index}", f"note number {index}")
        if not isinstance(item, dict):
            raise r.fail(_NOT_TABLE, where, key="notes")
        r.keys(item, _NOTE_KEYS, where)
        step = r.whole(item, "step", where, 1, steps) - 1
        if "note" not in item:
            raise r.fail(_MISSING, where, key="note")
        note = BassNote(
            step=step,
            pitch=_pitch(r, item["note"], where),
            length=r.whole(item, "length", where, 1, MAX_STEPS, 1),
            velocity=r.whole(item, "velocity", where, 1, 127, 100),
            glide=r.flag(item, "glide", where),
        )
        if step in notes:
            raise r.fail(_TWO_NOTES, where, step=step + 1)
        notes[step] = note
    return BassLine(
        notes=tuple(notes[s] for s in sorted(notes)),
        level=r.number(raw, "level", place, 0.0, MAX_LEVEL, 1.0),
        mute=r.flag(raw, "mute", place),
    )


def _pattern(r: _Reader, raw: object, index: int) -> Pattern:
    place = _Place(f"mønster nr. {index}", f"pattern number {index}")
    if not isinstance(raw, dict):
        raise r.fail(_NOT_TABLE, place, key="pattern")
    r.keys(raw, _PATTERN_KEYS, place)
    name = r.text(raw, "name", place)
    place = _Place(f"mønsteret «{name}»", f"the pattern '{name}'")
    steps = r.whole(raw, "steps", place, 1, MAX_STEPS)
    per_beat = r.whole(raw, "steps_per_beat", place, 1, MAX_STEPS_PER_BEAT, 4)
    swing = r.number(raw, "swing", place, 0.0, MAX_SWING, 0.0)
    lanes: dict[str, VoiceLane] = {}
    voices = r.table(raw, "voices", place, required=False) or {}
    for voice, lane in voices.items():
        where = place.then(f"lyden {voice}", f"the sound {voice}")
        if voice not in VOICES:
            raise r.fail(_UNKNOWN_VOICE, where, voice=voice, allowed=", ".join(VOICES))
        lanes[voice] = _lane(r, lane, steps, where)
    bass_table = r.table(raw, "bass", place, required=False)
    bass = None
    if bass_table is not None:
        bass = _bass(r, bass_table, steps, place.then("bassen", "the bass"))
    ordered: dict[str, VoiceLane] = {v: lanes[v] for v in VOICES if v in lanes}
    return Pattern(name=name, steps=steps, steps_per_beat=per_beat, swing=swing,
                   voices=ordered, bass=bass)


def _section(r: _Reader, raw: object, index: int, patterns: Mapping[str, Pattern]) -> Section:
    place = _Place(f"del nr. {index}", f"section number {index}")
    if not isinstance(raw, dict):
        raise r.fail(_NOT_TABLE, place, key="section")
    r.keys(raw, _SECTION_KEYS, place)
    name = r.text(raw, "name", place)
    place = _Place(f"del nr. {index} ({name})", f"section number {index} ({name})")
    pattern = r.text(raw, "pattern", place)
    if pattern not in patterns:
        raise r.fail(_UNKNOWN_PATTERN, place, name=pattern, available=", ".join(patterns))
    tempo = None
    if "tempo" in raw:
        tempo = r.number(raw, "tempo", place, *TEMPO_RANGE)
    return Section(name=name, bars=r.whole(raw, "bars", place, 1, MAX_BARS), pattern=pattern,
                   tempo=tempo)


def _time_signature(r: _Reader, data: Mapping[str, object]) -> tuple[int, int]:
    raw = data.get("time_signature", "4/4")
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{1,2})\s*", raw) if isinstance(raw, str) else None
    if match is None:
        raise StudioError(_BAD_TIME_SIGNATURE, file=r.source, value=raw)
    beats, unit = int(match.group(1)), int(match.group(2))
    if not 1 <= beats <= 32 or unit not in BEAT_UNITS:
        raise StudioError(_BAD_TIME_SIGNATURE, file=r.source, value=raw)
    return beats, unit


def _count(r: _Reader, items: object, key: str, what: tuple[str, str], most: int) -> list[object]:
    if not isinstance(items, list):
        raise r.fail(_NOT_LIST, _TOP, key=key)
    if not items:
        raise StudioError(_NONE, file=r.source, what_nb=what[0], what_en=what[1])
    if len(items) > most:
        raise StudioError(_TOO_MANY, file=r.source, count=len(items), most=most,
                          what_nb=what[0], what_en=what[1])
    return items


def parse_beat(text: str, source: str) -> Beat:
    """Read one beat from TOML text; ``source`` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StudioError(_CANNOT_READ, file=source, detail=str(error)) from None
    r = _Reader(source)
    r.keys(data, _TOP_KEYS, _TOP)
    name = r.text(data, "name", _TOP)
    style = r.text(data, "style", _TOP)
    words = r.table(data, "description", _TOP)
    assert words is not None
    place = _Place("beskrivelsen", "the description")
    r.keys(words, ("nb", "en"), place)
    description = Words(nb=r.text(words, "nb", place, most=MAX_DESCRIPTION),
                        en=r.text(words, "en", place, most=MAX_DESCRIPTION))
    tempo = r.number(data, "tempo", _TOP, *TEMPO_RANGE)
    beats_per_bar, beat_unit = _time_signature(r, data)
    kit = r.text(data, "kit", _TOP, default="synth", most=400)

    patterns: dict[str, Pattern] = {}
    raw_patterns = _count(r, data.get("pattern", []), "pattern", ("mønstre", "patterns"),
                          MAX_PATTERNS)
    for index, raw in enumerate(raw_patterns, start=1):
        pattern = _pattern(r, raw, index)
        if pattern.name in patterns:
            raise StudioError(_DUPLICATE_PATTERN, file=source, name=pattern.name)
        patterns[pattern.name] = pattern
    raw_sections = _count(r, data.get("section", []), "section", ("deler (intro, vers …)",
                          "sections (intro, verse …)"), MAX_SECTIONS)
    sections = tuple(_section(r, raw, index, patterns)
                     for index, raw in enumerate(raw_sections, start=1))
    return Beat(name=name, style=style, description=description, tempo=tempo,
                patterns=tuple(patterns.values()), arrangement=sections,
                beats_per_bar=beats_per_bar, beat_unit=beat_unit, kit=kit)


def validate_beat(beat: Beat, source: str = "(beat)") -> Beat:
    """Check a beat made in code (an import, an edit) by the same rules as a file.

    Returns the beat as read back from its TOML form, which equals ``beat`` when it is valid.
    """
    return parse_beat(dump_beat(beat), source)


# --- writing ---------------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))  # 140.0 reads back as 140, which parses to the same float
    return repr(value)


def _lane_text(velocities: Sequence[int], per_beat: int) -> str | None:
    if not all(v in _CHAR_FOR_VELOCITY for v in velocities):
        return None
    chars = "".join(_CHAR_FOR_VELOCITY[v] for v in velocities)
    return " ".join(chars[i:i + per_beat] for i in range(0, len(chars), per_beat))


def _lane_value(lane: VoiceLane, per_beat: int) -> str:
    text = _lane_text(lane.velocities, per_beat)
    steps = _toml_string(text) if text is not None else (
        "[" + ", ".join(str(v) for v in lane.velocities) + "]")
    extras = []
    if lane.level != 1.0:
        extras.append(f"level = {_toml_number(lane.level)}")
    if lane.pan != 0.0:
        extras.append(f"pan = {_toml_number(lane.pan)}")
    if lane.mute:
        extras.append("mute = true")
    if not extras:
        return steps
    return "{ " + ", ".join([f"steps = {steps}", *extras]) + " }"


def _note_value(note: BassNote) -> str:
    parts = [f"step = {note.step + 1}",
             f"note = {_toml_string(note_name(note.pitch))}" if 0 <= note.pitch <= 127
             else f"note = {note.pitch}",
             f"length = {note.length}"]
    if note.velocity != 100:
        parts.append(f"velocity = {note.velocity}")
    if note.glide:
        parts.append("glide = true")
    return "{ " + ", ".join(parts) + " }"


def dump_beat(beat: Beat) -> str:
    """The beat as TOML that a person can read and :func:`parse_beat` reads back."""
    lines = [
        "# A beat for the studio. Lanes: . off, o soft, x hit, X accent, 1-9 soft to hard.",
        "# Bass notes: step counts from 1, length in steps, glide = slide from the note before.",
        f"name = {_toml_string(beat.name)}",
        f"style = {_toml_string(beat.style)}",
        f"tempo = {_toml_number(beat.tempo)}",
        f'time_signature = "{beat.beats_per_bar}/{beat.beat_unit}"',
        f"kit = {_toml_string(beat.kit)}",
        "",
        "[description]",
        f"nb = {_toml_string(beat.description.nb)}",
        f"en = {_toml_string(beat.description.en)}",
    ]
    for p in beat.patterns:
        lines += ["", "[[pattern]]", f"name = {_toml_string(p.name)}", f"steps = {p.steps}",
                  f"steps_per_beat = {p.steps_per_beat}", f"swing = {_toml_number(p.swing)}"]
        if p.voices:
            lines += ["", "[pattern.voices]"]
            width = max(len(v) for v in p.voices)
            for voice, lane in p.voices.items():
                lines.append(f"{voice:<{width}} = {_lane_value(lane, p.steps_per_beat)}")
        if p.bass is not None:
            lines += ["", "[pattern.bass]"]
            if p.bass.level != 1.0:
                lines.append(f"level = {_toml_number(p.bass.level)}")
            if p.bass.mute:
                lines.append("mute = true")
            lines.append("notes = [")
            lines += [f"  {_note_value(n)}," for n in p.bass.notes]
            lines.append("]")
    for s in beat.arrangement:
        lines += ["", "[[section]]", f"name = {_toml_string(s.name)}", f"bars = {s.bars}",
                  f"pattern = {_toml_string(s.pattern)}"]
        if s.tempo is not None:
            lines.append(f"tempo = {_toml_number(s.tempo)}")
    return "\n".join(lines) + "\n"
