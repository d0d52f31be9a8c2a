"""Writing notes as a type 1 Standard MIDI File: pure, notes in and bytes out.

Track 0 is the conductor track (title, tempo, time signature); every :class:`TrackToWrite`
becomes one more track with its name, an optional program change on each channel it uses, and
its notes as note-on/note-off pairs (note-off ``8n kk 40``), written with running status. Drums
go on channel 10 (index 9) when the caller puts them there. All tracks end at the same tick: the
last note-off, or ``end_tick`` when the caller wants a pattern's full length kept. At one tick,
note-offs come before note-ons, so a note repeated right after itself reads back as two notes;
a note of length 0 is written on then off before the other note-ons. The bytes read back through
:func:`studio.core.midi_file.read_midi` (and mido, pairing first in, first out) to the same
notes, provided notes of one key on one channel do not overlap (MIDI cannot tell overlapping
ones apart).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from studio.core.i18n import StudioError, Words
from studio.core.midi_file import Note

__all__ = ["TrackToWrite", "write_midi_type1"]

_BAD_TICKS = Words(
    nb="MIDI-fila kan ikke skrives: tikk per taktslag må være mellom 1 og 32767, ikke {value}.",
    en="The MIDI file can't be written: ticks per beat must be between 1 and 32767, not {value}.",
)
_BAD_TEMPO = Words(
    nb="MIDI-fila kan ikke skrives: tempoet {value} BPM kan ikke lagres i en MIDI-fil.",
    en="The MIDI file can't be written: a tempo of {value} BPM can't be stored in a MIDI file.",
)
_BAD_METER = Words(
    nb="MIDI-fila kan ikke skrives: taktarten {numerator}/{denominator} går ikke (nevneren må "
    "være 1, 2, 4, 8, 16, 32 eller 64).",
    en="The MIDI file can't be written: the time signature {numerator}/{denominator} is not "
    "possible (the lower number must be 1, 2, 4, 8, 16, 32 or 64).",
)
_BAD_NOTE = Words(
    nb="MIDI-fila kan ikke skrives: note nr. {index} i sporet «{track}» har en verdi utenfor "
    "det MIDI tillater (kanal {channel}, tone {key}, styrke {velocity}, start {start}, "
    "lengde {length}).",
    en="The MIDI file can't be written: note number {index} in the track '{track}' has a value "
    "MIDI does not allow (channel {channel}, key {key}, velocity {velocity}, start {start}, "
    "length {length}).",
)
_BAD_PROGRAM = Words(
    nb="MIDI-fila kan ikke skrives: instrumentnummeret {value} i sporet «{track}» må være "
    "mellom 0 og 127.",
    en="The MIDI file can't be written: the program number {value} in the track '{track}' must "
    "be between 0 and 127.",
)
_TOO_MANY_TRACKS = Words(
    nb="MIDI-fila kan ikke skrives: den kan ha høyst 65534 spor, ikke {value}.",
    en="The MIDI file can't be written: it can hold at most 65534 tracks, not {value}.",
)


@dataclass(frozen=True)
class TrackToWrite:
    """One track: a name, its notes (each with its own channel) and optionally a GM program,
    sent at tick 0 on every channel the notes use."""

    name: str
    notes: Sequence[Note]
    program: int | None = None


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _text(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _meta(meta_type: int, payload: bytes) -> bytes:
    return bytes([0xFF, meta_type]) + _vlq(len(payload)) + payload


def _chunk(events: list[tuple[int, bytes]], end_tick: int) -> bytes:
    """An MTrk chunk from (tick, message) pairs already in order, with running status."""
    body = bytearray()
    now = 0
    running = 0
    for tick, message in events:
        body += _vlq(tick - now)
        now = tick
        status = message[0]
        if status < 0xF0 and status == running:
            body += message[1:]
        else:
            body += message
            running = status if status < 0xF0 else 0
    body += _vlq(max(0, end_tick - now)) + _meta(0x2F, b"")
    return b"MTrk" + len(body).to_bytes(4, "big") + bytes(body)


def _check(
    tracks: Sequence[TrackToWrite],
    ticks_per_quarter: int,
    tempo_bpm: float,
    time_signature: tuple[int, int],
) -> int:
    """Validate everything; return the tempo in microseconds per quarter note."""
    if not 1 <= ticks_per_quarter <= 0x7FFF:
        raise StudioError(_BAD_TICKS, value=ticks_per_quarter)
    if not (math.isfinite(tempo_bpm) and tempo_bpm > 0):
        raise StudioError(_BAD_TEMPO, value=tempo_bpm)
    microseconds = round(60_000_000 / tempo_bpm)
    if not 1 <= microseconds <= 0xFFFFFF:
        raise StudioError(_BAD_TEMPO, value=tempo_bpm)
    numerator, denominator = time_signature
    if not (1 <= numerator <= 255 and denominator in (1, 2, 4, 8, 16, 32, 64)):
        raise StudioError(_BAD_METER, numerator=numerator, denominator=denominator)
    if len(tracks) > 0xFFFE:
        raise StudioError(_TOO_MANY_TRACKS, value=len(tracks))
    for track in tracks:
        if track.program is not None and not 0 <= track.program <= 127:
            raise StudioError(_BAD_PROGRAM, value=track.program, track=track.name)
        for index, note in enumerate(track.notes, start=1):
            if not (
                0 <= note.channel <= 15
                and 0 <= note.key <= 127
                and 1 <= note.velocity <= 127
                and note.start_tick >= 0
                and note.length_tick >= 0
            ):
                raise StudioError(
                    _BAD_NOTE,
                    index=index,
                    track=track.name,
                    channel=note.channel + 1,
                    key=note.key,
                    velocity=note.velocity,
                    start=note.start_tick,
                    length=note.length_tick,
                )
    return microseconds


def write_midi_type1(
    tracks: Sequence[TrackToWrite],
    ticks_per_quarter: int,
    tempo_bpm: float,
    time_signature: tuple[int, int] = (4, 4),
    *,
    title: str = "",
    end_tick: int | None = None,
) -> bytes:
    """The bytes of a type 1 MIDI file holding ``tracks`` after a tempo/time-signature track.

    Raises :class:`StudioError` when a value cannot be stored in a MIDI file.
    """
    microseconds = _check(tracks, ticks_per_quarter, tempo_bpm, time_signature)
    last = max((n.start_tick + n.length_tick for t in tracks for n in t.notes), default=0)
    end = max(last, end_tick or 0)

    numerator, denominator = time_signature
    conductor: list[tuple[int, bytes]] = []
    if title:
        conductor.append((0, _meta(0x03, _text(title))))
    exponent = denominator.bit_length() - 1
    clocks = max(1, 96 // denominator)
    conductor.append((0, _meta(0x58, bytes([numerator, exponent, clocks, 8]))))
    conductor.append((0, _meta(0x51, microseconds.to_bytes(3, "big"))))
    chunks = [_chunk(conductor, end)]

    for track in tracks:
        head: list[tuple[int, bytes]] = []
        if track.name:
            head.append((0, _meta(0x03, _text(track.name))))
        if track.program is not None:
            for channel in sorted({note.channel for note in track.notes}):
                head.append((0, bytes([0xC0 | channel, track.program])))
        # Sorted by (tick, group, sequence, part): at one tick note-offs come first (group 0),
        # then each zero-length note's on and off together (group 1), then note-ons (group 2).
        timed: list[tuple[int, int, int, int, bytes]] = []
        for seq, note in enumerate(track.notes):
            on = bytes([0x90 | note.channel, note.key, note.velocity])
            off = bytes([0x80 | note.channel, note.key, 0x40])
            if note.length_tick:
                timed.append((note.start_tick, 2, seq, 0, on))
                timed.append((note.end_tick, 0, seq, 0, off))
            else:
                timed.append((note.start_tick, 1, seq, 0, on))
                timed.append((note.start_tick, 1, seq, 1, off))
        timed.sort(key=lambda item: item[:4])
        chunks.append(_chunk(head + [(item[0], item[4]) for item in timed], end))

    header = b"MThd" + (6).to_bytes(4, "big")
    header += (1).to_bytes(2, "big") + len(chunks).to_bytes(2, "big")
    header += ticks_per_quarter.to_bytes(2, "big")
    return header + b"".join(chunks)
