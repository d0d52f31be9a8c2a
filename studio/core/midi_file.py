"""Reading Standard MIDI Files, including broken ones, as pure functions over bytes.

:func:`read_midi` never raises anything but :class:`StudioError`, always finishes (every loop
consumes at least one byte or stops, and the number of messages read is capped), and refuses a
file only when nothing in it can be trusted: an empty file, a file with no ``MThd`` header, a
header that is cut off, or a file without a single track. Everything else is read as far as it
can be trusted and each deviation becomes a :class:`Problem` in plain words. Tolerated, and how:
a RIFF ``RMID`` wrapper is unwrapped and junk before ``MThd`` is skipped; a header length other
than 6 is read anyway; an unknown format is read as format 1, and a format 0 file with several
tracks plays them together; an invalid division falls back to 96 ticks per quarter; unknown
chunks are skipped by their length, and junk between or after chunks is skipped up to the next
``MTrk``; a chunk length that runs past the end of the file uses the bytes that exist, one that
is longer than the track (the next ``MTrk`` starts right after End-of-Track) resyncs there, and
one that is too short (the bytes after it are not a chunk) reads on to the End-of-Track; a missing
End-of-Track ends the track at its last event; a truncated file keeps every whole event before the
cut (an End-of-Track cut after ``FF 2F`` still counts); illegal status bytes F1–F6 and F8–FE are
skipped together with the data bytes the MIDI wire protocol gives them (F1 and F3 one, F2 two);
running status survives SysEx, meta and illegal messages; a message whose data byte is missing
(a status byte comes instead) is dropped and the status byte read as the next message; data
bytes with no status before them are skipped; variable-length numbers may be non-minimal, but one
longer than four bytes cannot be trusted, and the rest of its track is left out. Meta events with
impossible values (tempo 0, a time signature over 0 or 1/128, a key of 9 sharps) are ignored.
SysEx, SMPTE offset, sequencer-specific and other meta events, and aftertouch are counted in
:attr:`MidiReading.skipped`. Note-on with velocity 0 is a note-off; notes pair first-in,
first-out per channel and key, and a note that never ends lasts to the end of its track.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from studio.core.i18n import Language, StudioError, Words

__all__ = [
    "DEFAULT_TEMPO",
    "MAX_EVENTS",
    "SKIPPED_WORDS",
    "ControlChange",
    "Division",
    "KeySignature",
    "MidiEvent",
    "MidiReading",
    "MidiTrack",
    "Note",
    "NoteOff",
    "NoteOn",
    "PitchBend",
    "Problem",
    "ProgramChange",
    "Tempo",
    "TempoMap",
    "Text",
    "TimeSignature",
    "bar_count",
    "initial_tempo_bpm",
    "length_bars",
    "length_seconds",
    "pair_notes",
    "paired_notes",
    "read_midi",
    "tempo_map",
    "time_signatures",
    "track_start_seconds",
]

MAX_EVENTS = 2_000_000
"""Messages read from one file at most (kept and skipped ones together)."""

MAX_TRACKS = 65_535
"""Tracks read from one file at most (the header cannot count more)."""

DEFAULT_TEMPO = 500_000
"""Microseconds per quarter note before the first tempo event (120 BPM)."""

FALLBACK_TICKS_PER_QUARTER = 96

# ---------------------------------------------------------------------------------------------
# Words


EMPTY = Words(nb="Fila er tom.", en="The file is empty.")
NOT_MIDI = Words(nb="Dette er ikke en MIDI-fil.", en="This is not a MIDI file.")
HEADER_CUT = Words(
    nb="MIDI-fila slutter før hodet er ferdig, så ingenting i den kan brukes.",
    en="The MIDI file ends before its header is complete, so nothing in it can be used.",
)
NO_TRACKS = Words(
    nb="MIDI-fila har ingen spor, så det er ingenting å hente.",
    en="The MIDI file has no tracks, so there is nothing to import.",
)
READER_FAILED = Words(
    nb="MIDI-fila kunne ikke leses på grunn av en feil i studioet; prøv en annen fil.",
    en="The MIDI file could not be read because of a fault in the studio; try another file.",
)
"""Only for faults in this reader; the tests make sure no file reaches it."""

_PROBLEM_WORDS: dict[str, Words] = {
    "leading_junk": Words(
        nb="Rot foran MIDI-hodet ble hoppet over.",
        en="Junk before the MIDI header was skipped.",
    ),
    "header_length": Words(
        nb="MIDI-hodet oppgir feil lengde ({length} byte i stedet for 6); det ble lest likevel.",
        en="The MIDI header gives the wrong length ({length} bytes instead of 6); it was read "
        "anyway.",
    ),
    "unknown_format": Words(
        nb="Fila sier at den er format {format}, som ikke finnes; sporene spilles samtidig, som i "
        "format 1.",
        en="The file says it is format {format}, which does not exist; its tracks play together, "
        "as in format 1.",
    ),
    "format0_tracks": Words(
        nb="Fila er format 0, men har {found} spor; de spilles samtidig.",
        en="The file is format 0 but holds {found} tracks; they play together.",
    ),
    "bad_division": Words(
        nb="Fila oppgir ingen gyldig tidsenhet; vi brukte {ticks} tikk per taktslag.",
        en="The file gives no valid time unit; we used {ticks} ticks per beat.",
    ),
    "odd_smpte": Words(
        nb="Fila måler tid i SMPTE-bilder med {fps} bilder i sekundet, som er uvanlig; tidene kan "
        "bli feil.",
        en="The file measures time in SMPTE frames at {fps} frames a second, which is unusual; "
        "times may be off.",
    ),
    "track_count": Words(
        nb="Hodet sier {declared} spor, men fila har {found}; vi leste de {found} som finnes.",
        en="The header says {declared} tracks but the file holds {found}; the {found} that exist "
        "were read.",
    ),
    "too_many_tracks": Words(
        nb="Fila har mer enn {limit} spor; resten ble utelatt.",
        en="The file has more than {limit} tracks; the rest were left out.",
    ),
    "unknown_chunk": Words(
        nb="Deler av fila som ikke er MIDI-spor, ble hoppet over: {items}.",
        en="Parts of the file that are not MIDI tracks were skipped: {items}.",
    ),
    "junk_between": Words(
        nb="Rot mellom sporene ble hoppet over.",
        en="Junk between the tracks was skipped.",
    ),
    "trailing_junk": Words(
        nb="Rot etter siste spor ble ignorert.",
        en="Junk after the last track was ignored.",
    ),
    "truncated": Words(
        nb="Fila slutter midt i spor {track}; alt før bruddet ble lest.",
        en="The file ends in the middle of track {track}; everything before the break was read.",
    ),
    "cut_event": Words(
        nb="Den siste hendelsen i spor {track} var ufullstendig og ble utelatt.",
        en="The last event in track {track} was incomplete and was left out.",
    ),
    "length_short": Words(
        nb="Spor {track} oppgir at det er kortere enn det er; vi leste videre til slutten av "
        "sporet.",
        en="Track {track} says it is shorter than it is; we read on to the end of the track.",
    ),
    "length_long": Words(
        nb="Spor {track} oppgir at det er lengre enn det er; vi brukte det som finnes.",
        en="Track {track} says it is longer than it is; we used what is there.",
    ),
    "after_end": Words(
        nb="Spor {track}: rot etter sluttmerket ble ignorert.",
        en="Track {track}: junk after its end marker was ignored.",
    ),
    "no_end": Words(
        nb="Spor {track} mangler sluttmerke; det slutter ved siste hendelse.",
        en="Track {track} has no end marker; it ends at its last event.",
    ),
    "illegal_status": Words(
        nb="Spor {track}: meldinger som ikke hører hjemme i en MIDI-fil, ble hoppet over "
        "({items}; {count} i alt).",
        en="Track {track}: messages that do not belong in a MIDI file were skipped ({items}; "
        "{count} in all).",
    ),
    "running_after_system": Words(
        nb="Spor {track}: en melding fortsatte uten ny statusbyte etter SysEx eller en "
        "metahendelse; den ble lest som samme slags som før ({count} i alt).",
        en="Track {track}: a message went on without a new status byte after a SysEx or meta "
        "event; it was read as the same kind as the one before ({count} in all).",
    ),
    "missing_data": Words(
        nb="Spor {track}: meldinger som manglet en databyte, ble utelatt ({count} i alt).",
        en="Track {track}: messages missing a data byte were left out ({count} in all).",
    ),
    "no_status": Words(
        nb="Spor {track}: byte uten statusbyte foran ble hoppet over ({count} i alt).",
        en="Track {track}: bytes with no status byte before them were skipped ({count} in all).",
    ),
    "bad_number": Words(
        nb="Spor {track} har et tall som ikke kan leses (ved byte {offset}); resten av sporet ble "
        "utelatt.",
        en="Track {track} has a number that can't be read (at byte {offset}); the rest of the "
        "track was left out.",
    ),
    "bad_tempo": Words(
        nb="Spor {track}: ugyldige tempo ble ignorert ({count} i alt).",
        en="Track {track}: invalid tempo changes were ignored ({count} in all).",
    ),
    "bad_time_signature": Words(
        nb="Spor {track}: ugyldige taktarter ble ignorert ({count} i alt).",
        en="Track {track}: invalid time signatures were ignored ({count} in all).",
    ),
    "bad_key_signature": Words(
        nb="Spor {track}: ugyldige tonearter ble ignorert ({count} i alt).",
        en="Track {track}: invalid key signatures were ignored ({count} in all).",
    ),
    "unmatched_on": Words(
        nb="Spor {track}: noter som aldri ble sluppet, varer til sporet slutter ({count} i alt).",
        en="Track {track}: notes that were never released last until the track ends ({count} "
        "in all).",
    ),
    "unmatched_off": Words(
        nb="Spor {track}: slipp av noter som aldri ble slått an, ble ignorert ({count} i alt).",
        en="Track {track}: releases of notes that were never struck were ignored ({count} in all).",
    ),
    "capped": Words(
        nb="Fila har mer enn {limit} hendelser; bare de første {limit} ble lest.",
        en="The file has more than {limit} events; only the first {limit} were read.",
    ),
}

SKIPPED_WORDS: Mapping[str, Words] = {
    "sysex": Words(nb="SysEx-meldinger", en="SysEx messages"),
    "meta": Words(
        nb="andre metahendelser (SMPTE-start, portnummer, produsentdata …)",
        en="other meta events (SMPTE offset, port number, sequencer data …)",
    ),
    "pressure": Words(nb="anslagstrykk (aftertouch)", en="key and channel pressure (aftertouch)"),
    "system": Words(
        nb="systemmeldinger som ikke hører hjemme i en fil",
        en="system messages not allowed in a file",
    ),
}
"""What each key of :attr:`MidiReading.skipped` counts, for people."""


@dataclass(frozen=True)
class Problem:
    """One thing that was wrong with a file, and what the reader did about it."""

    code: str
    words: Words
    values: tuple[tuple[str, object], ...] = ()

    def value(self, name: str) -> object:
        return dict(self.values).get(name)

    def say(self, lang: Language | None = None) -> str:
        return self.words.say(lang, **dict(self.values))

    def __str__(self) -> str:
        return self.say()


# ---------------------------------------------------------------------------------------------
# Data read from a file


@dataclass(frozen=True)
class Division:
    """The file's time unit: ticks per quarter note, or SMPTE frames a second × ticks a frame."""

    ticks_per_quarter: int = 0
    smpte_fps: int = 0
    """24, 25, 29 (meaning 29.97 drop-frame) or 30; 0 for ticks per quarter."""
    ticks_per_frame: int = 0

    @property
    def is_smpte(self) -> bool:
        return self.smpte_fps > 0

    @property
    def frames_per_second(self) -> float:
        return 30000 / 1001 if self.smpte_fps == 29 else float(self.smpte_fps)

    @property
    def ticks_per_second(self) -> float:
        """SMPTE only: ticks are absolute time."""
        return self.frames_per_second * self.ticks_per_frame


@dataclass(frozen=True, slots=True)
class NoteOn:
    tick: int
    channel: int
    key: int
    velocity: int


@dataclass(frozen=True, slots=True)
class NoteOff:
    tick: int
    channel: int
    key: int
    velocity: int


@dataclass(frozen=True, slots=True)
class Tempo:
    tick: int
    microseconds_per_quarter: int

    @property
    def bpm(self) -> float:
        return 60_000_000 / self.microseconds_per_quarter


@dataclass(frozen=True, slots=True)
class TimeSignature:
    tick: int
    numerator: int
    denominator: int
    clocks_per_click: int = 24
    thirty_seconds_per_quarter: int = 8

    @property
    def quarters_per_bar(self) -> float:
        return self.numerator * 4 / self.denominator


@dataclass(frozen=True, slots=True)
class KeySignature:
    tick: int
    sharps: int
    """Negative for flats, -7..7."""
    minor: bool


@dataclass(frozen=True, slots=True)
class Text:
    tick: int
    kind: str
    """text, copyright, track_name, instrument, lyric, marker, cue, program_name, device_name or
    text_<n> for the other text meta types 08–0F."""
    text: str


@dataclass(frozen=True, slots=True)
class ProgramChange:
    tick: int
    channel: int
    program: int


@dataclass(frozen=True, slots=True)
class ControlChange:
    tick: int
    channel: int
    controller: int
    value: int


@dataclass(frozen=True, slots=True)
class PitchBend:
    tick: int
    channel: int
    value: int
    """-8192..8191, 0 = centre."""


MidiEvent = (
    NoteOn
    | NoteOff
    | Tempo
    | TimeSignature
    | KeySignature
    | Text
    | ProgramChange
    | ControlChange
    | PitchBend
)


@dataclass(frozen=True, slots=True)
class Note:
    """A note-on paired with its note-off; times in ticks of its track."""

    start_tick: int
    length_tick: int
    channel: int
    key: int
    velocity: int

    @property
    def end_tick(self) -> int:
        return self.start_tick + self.length_tick


@dataclass(frozen=True)
class MidiTrack:
    name: str
    events: tuple[MidiEvent, ...]
    end_tick: int
    """Tick of End-of-Track (or of the last event when the marker is missing)."""
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class MidiReading:
    format: int
    """0, 1 or 2 as the tracks should be played (see :attr:`declared_format`)."""
    division: Division
    tracks: tuple[MidiTrack, ...]
    problems: tuple[Problem, ...] = ()
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Messages left out on purpose, by kind (see :data:`SKIPPED_WORDS`)."""
    declared_format: int = 0
    declared_tracks: int = 0

    @property
    def note_count(self) -> int:
        return sum(len(track.notes) for track in self.tracks)

    def problem_codes(self) -> tuple[str, ...]:
        return tuple(problem.code for problem in self.problems)


# ---------------------------------------------------------------------------------------------
# Problem collection


class _Report:
    """Collects problems, one entry per (code, track) with a running count."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int], tuple[dict[str, object], list[int], list[str]]] = {}

    def add(self, code: str, track: int = -1, amount: int = 1, **values: object) -> None:
        key = (code, track)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = (dict(values), [amount], [])
        else:
            entry[1][0] += amount

    def add_item(self, code: str, track: int, item: str) -> None:
        self.add(code, track)
        items = self._entries[(code, track)][2]
        if len(items) >= 16:
            if items[-1] != "…":
                items.append("…")
        elif item not in items:
            items.append(item)

    def has(self, code: str, track: int = -1) -> bool:
        return (code, track) in self._entries

    def problems(self) -> tuple[Problem, ...]:
        out = []
        for (code, track), (values, count, items) in self._entries.items():
            merged: dict[str, object] = {"count": count[0]}
            if track >= 0:
                merged["track"] = track + 1
            if items:
                merged["items"] = ", ".join(items)
            merged.update(values)
            out.append(Problem(code, _PROBLEM_WORDS[code], tuple(merged.items())))
        return tuple(out)


# ---------------------------------------------------------------------------------------------
# Reading


_TEXT_KINDS = {
    0x01: "text",
    0x02: "copyright",
    0x03: "track_name",
    0x04: "instrument",
    0x05: "lyric",
    0x06: "marker",
    0x07: "cue",
    0x08: "program_name",
    0x09: "device_name",
}
_SYSTEM_DATA_BYTES = {0xF1: 1, 0xF2: 2, 0xF3: 1}
_TRUNCATED = -1
_BAD = -2


def _u16(data: bytes, pos: int) -> int:
    return (data[pos] << 8) | data[pos + 1]


def _u32(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos : pos + 4], "big")


def _looks_like_chunk(data: bytes, pos: int) -> bool:
    """Whether a chunk starts at ``pos``: ``MTrk``, or four printable ASCII characters and a
    length that fits in the file (so that text or note data is not taken for a chunk)."""
    if pos < 0 or pos + 8 > len(data):
        return False
    if data.startswith(b"MTrk", pos):
        return True
    if not all(0x20 < byte < 0x7F for byte in data[pos : pos + 4]):
        return False
    return pos + 8 + _u32(data, pos + 4) <= len(data)


def _vlq(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """A variable-length number at ``pos``: (value, position after it).

    Value is ``_TRUNCATED`` when the bytes run out and ``_BAD`` when the number is longer than
    the four bytes the format allows. Non-minimal forms (``80 80 00``) are valid.
    """
    value = 0
    for i in range(4):
        if pos + i >= end:
            return _TRUNCATED, pos + i
        byte = data[pos + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    return _BAD, pos + 4


def _decode_text(raw: bytes) -> str:
    raw = raw.rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _unwrap_riff(data: bytes) -> bytes:
    """The SMF inside a RIFF ``RMID`` file (its ``data`` chunk), or ``data`` unchanged."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"RMID":
        return data
    pos = 12
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if data[pos : pos + 4] == b"data":
            return data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    return data


@dataclass
class _TrackResult:
    events: list[MidiEvent]
    name: str
    end_tick: int


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


def _read_track(
    data: bytes,
    start: int,
    declared_end: int,
    track: int,
    report: _Report,
    skipped: dict[str, int],
    budget: _Budget,
) -> tuple[_TrackResult, int | None]:
    """Events of the ``MTrk`` chunk whose data starts at ``start``.

    Returns the track and the position where the next chunk should start (``None`` when the
    event budget ran out and reading must stop).
    """
    n = len(data)
    pos = start
    tick = 0
    running = 0
    after_system = False
    goes_on = False
    skip_delta = False
    found_end = False
    name: str | None = None
    events: list[MidiEvent] = []
    next_pos: int | None = n

    def cut_short() -> int:
        """The data ran out mid-event: end the track where the evidence says it ends."""
        if not goes_on and declared_end < n and _looks_like_chunk(data, declared_end):
            report.add("cut_event", track)
            return declared_end
        report.add("truncated", track)
        return n

    def after_garbage(at: int) -> int:
        if not goes_on and at <= declared_end <= n:
            return declared_end
        found = data.find(b"MTrk", at)
        return found if found >= 0 else n

    while True:
        if not goes_on and pos >= declared_end:
            if declared_end >= n or _looks_like_chunk(data, declared_end):
                report.add("no_end", track)
                next_pos = min(declared_end, n)
                break
            goes_on = True
            report.add("length_short", track)
        if pos >= n:
            report.add("truncated" if (declared_end > n and not goes_on) else "no_end", track)
            next_pos = n
            break
        if goes_on and data.startswith(b"MTrk", pos):
            report.add("no_end", track)
            next_pos = pos
            break
        if budget.exhausted:
            next_pos = None
            break
        budget.used += 1
        event_start = pos

        if skip_delta:
            skip_delta = False
            delta = 0
        else:
            delta, pos = _vlq(data, pos, n)
            if delta == _TRUNCATED:
                next_pos = cut_short()
                break
            if delta == _BAD:
                report.add("bad_number", track, offset=event_start)
                next_pos = after_garbage(pos)
                break
        if pos >= n:
            next_pos = cut_short()
            break

        status = data[pos]
        event: MidiEvent | None = None

        if status < 0xF0:
            # A channel message, with its own status byte or running status.
            if status >= 0x80:
                running = status
                pos += 1
                after_system = False
            elif running:
                if after_system:
                    report.add("running_after_system", track)
                    after_system = False
            else:
                report.add("no_status", track)
                pos += 1
                tick += delta
                continue
            kind = running & 0xF0
            channel = running & 0x0F
            needed = 1 if kind in (0xC0, 0xD0) else 2
            if pos + needed > n:
                next_pos = cut_short()
                break
            first = data[pos]
            second = data[pos + 1] if needed == 2 else 0
            if first >= 0x80 or second >= 0x80:
                # A status byte where a data byte belongs: drop this message and read that
                # byte as the next message's status, at the same time.
                report.add("missing_data", track)
                pos += 1 if first < 0x80 else 0
                tick += delta
                skip_delta = True
                continue
            pos += needed
            at = tick + delta
            if kind == 0x90 and second > 0:
                event = NoteOn(at, channel, first, second)
            elif kind in (0x80, 0x90):
                event = NoteOff(at, channel, first, second)
            elif kind == 0xB0:
                event = ControlChange(at, channel, first, second)
            elif kind == 0xC0:
                event = ProgramChange(at, channel, first)
            elif kind == 0xE0:
                event = PitchBend(at, channel, ((second << 7) | first) - 8192)
            else:
                skipped["pressure"] = skipped.get("pressure", 0) + 1
        elif status == 0xFF:
            pos += 1
            if pos >= n:
                next_pos = cut_short()
                break
            meta_type = data[pos]
            pos += 1
            if meta_type == 0x2F:
                # End-of-Track: its length byte should be 00; anything else is left to the
                # check after the track.
                if pos >= n:
                    report.add("truncated", track)
                elif data[pos] == 0:
                    pos += 1
                tick += delta
                found_end = True
                if not goes_on and pos > declared_end:
                    report.add("length_short", track)
                break
            else:
                length, pos = _vlq(data, pos, n)
                if length == _TRUNCATED or (length >= 0 and pos + length > n):
                    next_pos = cut_short()
                    break
                if length == _BAD:
                    report.add("bad_number", track, offset=event_start)
                    next_pos = after_garbage(pos)
                    break
                payload = data[pos : pos + length]
                pos += length
                at = tick + delta
                event = _meta_event(meta_type, payload, at, track, report, skipped)
            after_system = True
        elif status in (0xF0, 0xF7):
            length, pos = _vlq(data, pos + 1, n)
            if length == _TRUNCATED or (length >= 0 and pos + length > n):
                next_pos = cut_short()
                break
            if length == _BAD:
                report.add("bad_number", track, offset=event_start)
                next_pos = after_garbage(pos)
                break
            pos += length
            skipped["sysex"] = skipped.get("sysex", 0) + 1
            after_system = True
        else:
            # F1–F6, F8–FE: wire-protocol messages that have no place in a file.
            pos += 1
            for _ in range(_SYSTEM_DATA_BYTES.get(status, 0)):
                if pos < n and data[pos] < 0x80:
                    pos += 1
            report.add_item("illegal_status", track, f"{status:02X}")
            skipped["system"] = skipped.get("system", 0) + 1
            after_system = True

        if not goes_on and pos > declared_end:
            # The message ran over the chunk's declared end.
            if declared_end >= n or _looks_like_chunk(data, declared_end):
                report.add("cut_event", track)
                next_pos = declared_end
                break
            goes_on = True
            report.add("length_short", track)
        tick += delta
        if event is not None:
            events.append(event)
            if name is None and isinstance(event, Text) and event.kind == "track_name":
                name = event.text

    if found_end:
        next_pos = _after_end_of_track(data, pos, declared_end, goes_on, track, report)
    return _TrackResult(events, name or "", tick), next_pos


def _after_end_of_track(
    data: bytes, pos: int, declared_end: int, goes_on: bool, track: int, report: _Report
) -> int:
    """Where the next chunk starts once a track's End-of-Track was read at ``pos``."""
    n = len(data)
    if goes_on:
        return pos
    chunk_end = min(declared_end, n)
    if declared_end > n and not report.has("truncated", track):
        report.add("length_long", track)
    if pos >= chunk_end:
        return max(pos, chunk_end)
    region = data[pos:chunk_end]
    found = region.find(b"MTrk")
    if found >= 0:
        if not report.has("length_long", track):
            report.add("length_long", track)
        if found:
            report.add("after_end", track, amount=found)
        return pos + found
    report.add("after_end", track, amount=len(region))
    return chunk_end


def _meta_event(
    meta_type: int,
    payload: bytes,
    tick: int,
    track: int,
    report: _Report,
    skipped: dict[str, int],
) -> MidiEvent | None:
    if meta_type == 0x51:
        tempo = int.from_bytes(payload[:3], "big") if len(payload) >= 3 else 0
        if tempo <= 0:
            report.add("bad_tempo", track)
            return None
        return Tempo(tick, tempo)
    if meta_type == 0x58:
        if len(payload) < 2 or payload[0] == 0 or payload[1] > 6:
            report.add("bad_time_signature", track)
            return None
        clocks = payload[2] if len(payload) > 2 else 24
        thirty_seconds = payload[3] if len(payload) > 3 else 8
        return TimeSignature(tick, payload[0], 1 << payload[1], clocks, thirty_seconds)
    if meta_type == 0x59:
        sharps = int.from_bytes(payload[:1], "big", signed=True)
        if len(payload) < 2 or not -7 <= sharps <= 7 or payload[1] > 1:
            report.add("bad_key_signature", track)
            return None
        return KeySignature(tick, sharps, payload[1] == 1)
    if 0x01 <= meta_type <= 0x0F:
        kind = _TEXT_KINDS.get(meta_type, f"text_{meta_type:02x}")
        return Text(tick, kind, _decode_text(payload))
    skipped["meta"] = skipped.get("meta", 0) + 1
    return None


def _read_division(raw: int, report: _Report) -> Division:
    if raw & 0x8000:
        fps = 256 - (raw >> 8)
        ticks_per_frame = raw & 0xFF
        if ticks_per_frame > 0:
            if fps not in (24, 25, 29, 30):
                report.add("odd_smpte", fps=fps)
            return Division(smpte_fps=fps, ticks_per_frame=ticks_per_frame)
    elif raw > 0:
        return Division(ticks_per_quarter=raw)
    report.add("bad_division", ticks=FALLBACK_TICKS_PER_QUARTER)
    return Division(ticks_per_quarter=FALLBACK_TICKS_PER_QUARTER)


def read_midi(data: bytes, *, max_events: int = MAX_EVENTS) -> MidiReading:
    """Read a Standard MIDI File (or RIFF RMID) from bytes; see the module text for tolerance.

    Raises :class:`StudioError` (and nothing else) only when nothing in ``data`` can be trusted.
    """
    try:
        return _read(bytes(data), max_events)
    except StudioError:
        raise
    except Exception as error:  # pragma: no cover - a bug here must still not crash an import
        raise StudioError(READER_FAILED) from error


def _read(data: bytes, max_events: int) -> MidiReading:
    if not data:
        raise StudioError(EMPTY)
    report = _Report()
    data = _unwrap_riff(data)
    head = data.find(b"MThd")
    if head < 0:
        raise StudioError(NOT_MIDI)
    if head > 0:
        report.add("leading_junk", amount=head)
    if head + 14 > len(data):
        raise StudioError(HEADER_CUT)
    header_length = _u32(data, head + 4)
    declared_format = _u16(data, head + 8)
    declared_tracks = _u16(data, head + 10)
    division = _read_division(_u16(data, head + 12), report)
    pos = head + 8 + header_length
    if header_length != 6:
        report.add("header_length", length=header_length)
        if not _looks_like_chunk(data, pos) and _looks_like_chunk(data, head + 14):
            pos = head + 14

    n = len(data)
    budget = _Budget(max(0, max_events))
    skipped: dict[str, int] = {}
    results: list[_TrackResult] = []
    while pos < n:
        if len(results) >= MAX_TRACKS:
            report.add("too_many_tracks", limit=MAX_TRACKS)
            break
        chunk_id = data[pos : pos + 4]
        if chunk_id == b"MTrk" and pos + 8 <= n:
            start = pos + 8
            result, next_pos = _read_track(
                data, start, start + _u32(data, pos + 4), len(results), report, skipped, budget
            )
            results.append(result)
            if next_pos is None:
                report.add("capped", limit=max_events)
                break
            pos = max(next_pos, start)
            continue
        if _looks_like_chunk(data, pos):
            size = _u32(data, pos + 4)
            report.add_item("unknown_chunk", -1, f"{chunk_id.decode('ascii')} ({size} B)")
            pos += 8 + size
            continue
        found = data.find(b"MTrk", pos + 1)
        if found < 0:
            report.add("trailing_junk", amount=n - pos)
            break
        report.add("junk_between", amount=found - pos)
        pos = found

    if not results:
        raise StudioError(NO_TRACKS)
    if len(results) != declared_tracks:
        report.add("track_count", declared=declared_tracks, found=len(results))
    if declared_format > 2:
        report.add("unknown_format", format=declared_format)
        play_format = 1
    elif declared_format == 0 and len(results) > 1:
        report.add("format0_tracks", found=len(results))
        play_format = 1
    else:
        play_format = declared_format

    tracks = []
    for index, result in enumerate(results):
        notes, open_notes, stray_offs = pair_notes(result.events, result.end_tick)
        if open_notes:
            report.add("unmatched_on", index, amount=open_notes)
        if stray_offs:
            report.add("unmatched_off", index, amount=stray_offs)
        tracks.append(MidiTrack(result.name, tuple(result.events), result.end_tick, notes))
    return MidiReading(
        format=play_format,
        division=division,
        tracks=tuple(tracks),
        problems=report.problems(),
        skipped=dict(skipped),
        declared_format=declared_format,
        declared_tracks=declared_tracks,
    )


# ---------------------------------------------------------------------------------------------
# Notes


def pair_notes(events: Iterable[MidiEvent], end_tick: int) -> tuple[tuple[Note, ...], int, int]:
    """Pair note-ons with note-offs, first in first out per channel and key.

    Returns (notes sorted by start, channel and key; note-ons that never ended, which last until
    ``end_tick``; note-offs with no note-on, which are ignored).
    """
    open_notes: dict[tuple[int, int], deque[tuple[int, int]]] = {}
    notes: list[Note] = []
    stray_offs = 0
    for event in events:
        if isinstance(event, NoteOn):
            open_notes.setdefault((event.channel, event.key), deque()).append(
                (event.tick, event.velocity)
            )
        elif isinstance(event, NoteOff):
            waiting = open_notes.get((event.channel, event.key))
            if waiting:
                start, velocity = waiting.popleft()
                notes.append(Note(start, event.tick - start, event.channel, event.key, velocity))
            else:
                stray_offs += 1
    unended = 0
    for (channel, key), waiting in open_notes.items():
        for start, velocity in waiting:
            notes.append(Note(start, max(0, end_tick - start), channel, key, velocity))
            unended += 1
    notes.sort(key=lambda note: (note.start_tick, note.channel, note.key, note.length_tick))
    return tuple(notes), unended, stray_offs


def paired_notes(reading: MidiReading) -> list[tuple[int, Note]]:
    """Every note of every track as (track index, note), in track order.

    In format 2 each track has its own time line; see :func:`track_start_seconds`.
    """
    return [(index, note) for index, track in enumerate(reading.tracks) for note in track.notes]


# ---------------------------------------------------------------------------------------------
# Time


@dataclass(frozen=True)
class TempoMap:
    """Converts ticks to seconds (and back) for one time line."""

    division: Division
    change_ticks: tuple[int, ...]
    """Ticks where a tempo starts; the first is 0."""
    tempos: tuple[int, ...]
    """Microseconds per quarter note from each change on."""
    change_seconds: tuple[float, ...]
    """Seconds from tick 0 to each change."""
    change_quarters: tuple[float, ...]
    """Quarter notes from tick 0 to each change."""

    def _index(self, tick: float) -> int:
        return max(0, bisect.bisect_right(self.change_ticks, tick) - 1)

    def tempo_at(self, tick: float) -> int:
        return self.tempos[self._index(tick)]

    def bpm_at(self, tick: float) -> float:
        return 60_000_000 / self.tempo_at(tick)

    def seconds_at(self, tick: float) -> float:
        if self.division.is_smpte:
            return tick / self.division.ticks_per_second
        i = self._index(tick)
        tpq = self.division.ticks_per_quarter
        return self.change_seconds[i] + (tick - self.change_ticks[i]) * self.tempos[i] / (
            1_000_000 * tpq
        )

    def tick_at(self, seconds: float) -> float:
        if self.division.is_smpte:
            return seconds * self.division.ticks_per_second
        i = max(0, bisect.bisect_right(self.change_seconds, seconds) - 1)
        tpq = self.division.ticks_per_quarter
        return (
            self.change_ticks[i]
            + (seconds - self.change_seconds[i]) * 1_000_000 * tpq / (self.tempos[i])
        )

    def quarters_at(self, tick: float) -> float:
        """Quarter notes from tick 0 to ``tick`` (for SMPTE files, counted with the tempo)."""
        if not self.division.is_smpte:
            return tick / self.division.ticks_per_quarter
        i = self._index(tick)
        seconds = (tick - self.change_ticks[i]) / self.division.ticks_per_second
        return self.change_quarters[i] + seconds * 1_000_000 / self.tempos[i]


def _build_tempo_map(division: Division, tempos: Sequence[Tempo]) -> TempoMap:
    by_tick: dict[int, int] = {}
    for tempo in sorted(tempos, key=lambda t: t.tick):
        by_tick[tempo.tick] = tempo.microseconds_per_quarter  # the last one at a tick wins
    if 0 not in by_tick:
        by_tick[0] = DEFAULT_TEMPO
    ticks = sorted(by_tick)
    values = [by_tick[t] for t in ticks]
    seconds = [0.0]
    quarters = [0.0]
    for i in range(1, len(ticks)):
        span = ticks[i] - ticks[i - 1]
        if division.is_smpte:
            step = span / division.ticks_per_second
            seconds.append(ticks[i] / division.ticks_per_second)
            quarters.append(quarters[-1] + step * 1_000_000 / values[i - 1])
        else:
            tpq = division.ticks_per_quarter
            seconds.append(seconds[-1] + span * values[i - 1] / (1_000_000 * tpq))
            quarters.append(ticks[i] / tpq)
    return TempoMap(division, tuple(ticks), tuple(values), tuple(seconds), tuple(quarters))


def _time_line(reading: MidiReading, track: int) -> list[MidiTrack]:
    """The tracks whose tempo and meter events govern ``track``."""
    if reading.format == 2:
        return [reading.tracks[track]]
    return list(reading.tracks)


def tempo_map(reading: MidiReading, track: int = 0) -> TempoMap:
    """Tempo map for ``track``: in formats 0 and 1 tempo events from any track apply to all; in
    format 2 each track has its own. With SMPTE division ticks are absolute time."""
    tempos = [e for t in _time_line(reading, track) for e in t.events if isinstance(e, Tempo)]
    return _build_tempo_map(reading.division, tempos)


def time_signatures(reading: MidiReading, track: int = 0) -> tuple[TimeSignature, ...]:
    """Time signature changes governing ``track`` (4/4 from tick 0 unless the file says)."""
    found = [
        e for t in _time_line(reading, track) for e in t.events if isinstance(e, TimeSignature)
    ]
    by_tick: dict[int, TimeSignature] = {}
    for signature in sorted(found, key=lambda s: s.tick):
        by_tick[signature.tick] = signature
    if 0 not in by_tick:
        by_tick[0] = TimeSignature(0, 4, 4)
    return tuple(by_tick[t] for t in sorted(by_tick))


def initial_tempo_bpm(reading: MidiReading) -> float:
    return tempo_map(reading).bpm_at(0)


def _time_lines(reading: MidiReading) -> list[tuple[int, int]]:
    """(track whose map applies, end tick) for each time line played one after another."""
    if not reading.tracks:
        return []
    if reading.format == 2:
        return [(i, track.end_tick) for i, track in enumerate(reading.tracks)]
    return [(0, max(track.end_tick for track in reading.tracks))]


def length_seconds(reading: MidiReading) -> float:
    """How long the file plays: the latest track end (format 2: all tracks one after another)."""
    return sum(tempo_map(reading, i).seconds_at(end) for i, end in _time_lines(reading))


def track_start_seconds(reading: MidiReading, track: int) -> float:
    """When ``track`` starts playing: 0, or in format 2 after all tracks before it."""
    if reading.format != 2:
        return 0.0
    return sum(tempo_map(reading, i).seconds_at(reading.tracks[i].end_tick) for i in range(track))


def length_bars(reading: MidiReading) -> float:
    """How many bars the file spans, following its time signatures (fractions included)."""
    total = 0.0
    for i, end in _time_lines(reading):
        beats = tempo_map(reading, i)
        signatures = time_signatures(reading, i)
        for j, signature in enumerate(signatures):
            if signature.tick >= end:
                break
            stop = min(signatures[j + 1].tick if j + 1 < len(signatures) else end, end)
            quarters = beats.quarters_at(stop) - beats.quarters_at(signature.tick)
            total += quarters / signature.quarters_per_bar
    return total


def bar_count(reading: MidiReading) -> int:
    """Whole bars needed to hold the file (a bar begun counts)."""
    return math.ceil(round(length_bars(reading), 6))
