"""Type 1 MIDI export: exact bytes of a small beat; write → read (ours and mido) round trips."""

from __future__ import annotations

import io
from collections import deque

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.i18n import StudioError
from studio.core.midi_file import (
    Note,
    ProgramChange,
    length_seconds,
    read_midi,
    tempo_map,
    time_signatures,
)
from studio.core.midi_write import TrackToWrite, write_midi_type1


def test_exact_bytes_of_a_small_beat() -> None:
    beat = TrackToWrite("Beat", [Note(0, 48, 9, 36, 100), Note(96, 48, 9, 38, 90)])
    data = write_midi_type1([beat], 96, 120.0, (4, 4))
    expected = (
        b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x00\x60"
        + b"MTrk\x00\x00\x00\x14"
        + b"\x00\xff\x58\x04\x04\x02\x18\x08"
        + b"\x00\xff\x51\x03\x07\xa1\x20"
        + b"\x81\x10\xff\x2f\x00"
        + b"MTrk\x00\x00\x00\x1c"
        + b"\x00\xff\x03\x04Beat"
        + b"\x00\x99\x24\x64"
        + b"\x30\x89\x24\x40"
        + b"\x30\x99\x26\x5a"
        + b"\x30\x89\x26\x40"
        + b"\x00\xff\x2f\x00"
    )
    assert data == expected


def test_chords_use_running_status() -> None:
    chord = [Note(0, 96, 0, key, 100) for key in (60, 64, 67)]
    data = write_midi_type1([TrackToWrite("", chord)], 96, 120.0)
    assert b"\x00\x90\x3c\x64\x00\x40\x64\x00\x43\x64" in data
    assert b"\x60\x80\x3c\x40\x00\x40\x40\x00\x43\x40" in data


def test_conductor_track_holds_tempo_meter_and_title() -> None:
    data = write_midi_type1(
        [TrackToWrite("Bass", [Note(0, 96, 1, 36, 100)], program=38)],
        480,
        93.0,
        (6, 8),
        title="Min første låt",
    )
    reading = read_midi(data)
    assert reading.format == 1 and reading.problems == ()
    assert [t.name for t in reading.tracks] == ["Min første låt", "Bass"]
    assert tempo_map(reading).tempo_at(0) == round(60_000_000 / 93.0)
    assert [(s.numerator, s.denominator) for s in time_signatures(reading)] == [(6, 8)]
    assert ProgramChange(0, 1, 38) in reading.tracks[1].events


def test_end_tick_keeps_the_pattern_length() -> None:
    beat = TrackToWrite("Beat", [Note(0, 24, 9, 36, 100)])
    reading = read_midi(write_midi_type1([beat], 96, 120.0, end_tick=4 * 96))
    assert [t.end_tick for t in reading.tracks] == [384, 384]
    assert length_seconds(reading) == pytest.approx(2.0)


def test_a_note_repeated_right_after_itself_and_zero_length_notes() -> None:
    notes = [
        Note(0, 96, 0, 60, 10),
        Note(96, 0, 0, 60, 20),
        Note(96, 96, 0, 60, 30),
        Note(192, 0, 0, 60, 40),
        Note(192, 0, 0, 60, 50),
    ]
    reading = read_midi(write_midi_type1([TrackToWrite("", notes)], 96, 120.0))
    assert list(reading.tracks[1].notes) == sorted(notes, key=_order)


@pytest.mark.parametrize(
    ("tracks", "tpq", "bpm", "meter"),
    [
        ([TrackToWrite("", [Note(0, 1, 16, 60, 100)])], 96, 120.0, (4, 4)),
        ([TrackToWrite("", [Note(0, 1, 0, 128, 100)])], 96, 120.0, (4, 4)),
        ([TrackToWrite("", [Note(0, 1, 0, 60, 0)])], 96, 120.0, (4, 4)),
        ([TrackToWrite("", [Note(-1, 1, 0, 60, 100)])], 96, 120.0, (4, 4)),
        ([TrackToWrite("", [Note(0, -1, 0, 60, 100)])], 96, 120.0, (4, 4)),
        ([TrackToWrite("", [], program=128)], 96, 120.0, (4, 4)),
        ([], 0, 120.0, (4, 4)),
        ([], 40000, 120.0, (4, 4)),
        ([], 96, 0.0, (4, 4)),
        ([], 96, float("nan"), (4, 4)),
        ([], 96, 2.0, (4, 4)),
        ([], 96, 120.0, (4, 3)),
        ([], 96, 120.0, (0, 4)),
    ],
)
def test_values_midi_cannot_hold_are_refused_in_plain_words(
    tracks: list[TrackToWrite], tpq: int, bpm: float, meter: tuple[int, int]
) -> None:
    with pytest.raises(StudioError) as refused:
        write_midi_type1(tracks, tpq, bpm, meter)
    assert refused.value.say("nb") and refused.value.say("en")


# --- round trips -------------------------------------------------------------------------------


def _order(note: Note) -> tuple[int, int, int, int]:
    return (note.start_tick, note.channel, note.key, note.length_tick)


def _without_overlaps(notes: list[Note]) -> list[Note]:
    """MIDI cannot tell overlapping notes of one key on one channel apart: keep the others."""
    kept: list[Note] = []
    last_end: dict[tuple[int, int], int] = {}
    for n in sorted(notes, key=lambda n: (n.start_tick, n.length_tick)):
        if n.start_tick >= last_end.get((n.channel, n.key), 0):
            kept.append(n)
            last_end[(n.channel, n.key)] = n.end_tick
    return kept


notes_strategy = st.builds(
    Note,
    start_tick=st.integers(0, 4000),
    length_tick=st.integers(0, 1500),
    channel=st.integers(0, 15),
    key=st.integers(0, 127),
    velocity=st.integers(1, 127),
)
tracks_strategy = st.lists(
    st.lists(notes_strategy, max_size=40).map(_without_overlaps), min_size=1, max_size=4
)


def _mido_notes(track: mido.MidiTrack) -> list[Note]:
    tick = 0
    waiting: dict[tuple[int, int], deque[tuple[int, int]]] = {}
    notes: list[Note] = []
    for msg in track:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity:
            waiting.setdefault((msg.channel, msg.note), deque()).append((tick, msg.velocity))
        elif msg.type in ("note_on", "note_off"):
            start, velocity = waiting[(msg.channel, msg.note)].popleft()
            notes.append(Note(start, tick - start, msg.channel, msg.note, velocity))
    assert not any(waiting.values())
    return sorted(notes, key=_order)


@settings(max_examples=150, deadline=None)
@given(
    tracks_strategy,
    st.integers(1, 0x7FFF),
    st.floats(20.0, 400.0),
    st.sampled_from([(4, 4), (3, 4), (6, 8), (7, 8), (5, 4), (2, 2)]),
)
def test_write_then_read_gives_the_same_notes(
    note_lists: list[list[Note]], tpq: int, bpm: float, meter: tuple[int, int]
) -> None:
    tracks = [TrackToWrite(f"Spor {i}", notes) for i, notes in enumerate(note_lists)]
    data = write_midi_type1(tracks, tpq, bpm, meter)

    ours = read_midi(data)
    assert ours.problems == () and ours.format == 1
    assert ours.division.ticks_per_quarter == tpq
    assert tempo_map(ours).tempo_at(0) == round(60_000_000 / bpm)
    assert [(s.numerator, s.denominator) for s in time_signatures(ours)] == [meter]
    assert [t.name for t in ours.tracks] == [""] + [t.name for t in tracks]
    for written, read_back in zip(tracks, ours.tracks[1:], strict=True):
        assert list(read_back.notes) == sorted(written.notes, key=_order)

    theirs = mido.MidiFile(file=io.BytesIO(data))
    assert theirs.type == 1 and theirs.ticks_per_beat == tpq
    assert [m.tempo for m in theirs.tracks[0] if m.type == "set_tempo"] == [round(60_000_000 / bpm)]
    for written, their_track in zip(tracks, theirs.tracks[1:], strict=True):
        assert _mido_notes(their_track) == sorted(written.notes, key=_order)
    assert theirs.length == pytest.approx(length_seconds(ours))
