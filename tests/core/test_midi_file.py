"""The tolerant MIDI reader against real files (jazz-soft's test suite, the Groove dataset),
against mido where mido can read a file, against hand-made broken files, and against fuzzing."""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections import Counter, deque
from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.i18n import StudioError
from studio.core.midi_file import (
    EMPTY,
    HEADER_CUT,
    NO_TRACKS,
    NOT_MIDI,
    READER_FAILED,
    ControlChange,
    KeySignature,
    MidiEvent,
    MidiReading,
    Note,
    NoteOff,
    NoteOn,
    PitchBend,
    ProgramChange,
    Tempo,
    Text,
    TimeSignature,
    bar_count,
    initial_tempo_bpm,
    length_bars,
    length_seconds,
    pair_notes,
    paired_notes,
    read_midi,
    tempo_map,
    time_signatures,
    track_start_seconds,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "midi"
EXPECTED = list(csv.DictReader((DATA / "expected_midi.csv").open(encoding="utf-8")))
GROOVE_INFO = list(csv.DictReader((DATA / "groove" / "info_subset.csv").open(encoding="utf-8")))
ALL_FILES = sorted(p for p in DATA.rglob("*") if p.suffix in (".mid", ".syx"))
C_MAJOR = [60, 62, 64, 65, 67, 69, 71, 72]
MAJOR_STEPS = [2, 2, 1, 2, 2, 2, 1]


def read(name: str) -> MidiReading:
    return read_midi((DATA / name).read_bytes())


def codes(reading: MidiReading) -> set[str]:
    return set(reading.problem_codes())


# --- building files by hand -------------------------------------------------------------------


def vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def mthd(fmt: int, ntracks: int, division: int, length: int = 6, extra: bytes = b"") -> bytes:
    body = fmt.to_bytes(2, "big") + ntracks.to_bytes(2, "big") + division.to_bytes(2, "big")
    return b"MThd" + length.to_bytes(4, "big") + body + extra


def mtrk(body: bytes, length: int | None = None) -> bytes:
    return b"MTrk" + (len(body) if length is None else length).to_bytes(4, "big") + body


EOT = b"\x00\xff\x2f\x00"


def tempo(us: int, delta: int = 0) -> bytes:
    return vlq(delta) + b"\xff\x51\x03" + us.to_bytes(3, "big")


def note(key: int, length: int, delta: int = 0, channel: int = 0, velocity: int = 100) -> bytes:
    return (
        vlq(delta)
        + bytes([0x90 | channel, key, velocity])
        + vlq(length)
        + bytes([0x80 | channel, key, 64])
    )


def scale_body(step: int = 96) -> bytes:
    return b"".join(note(key, step) for key in C_MAJOR) + EOT


def smf(*bodies: bytes, fmt: int = 1, division: int = 96) -> bytes:
    return mthd(fmt, len(bodies), division) + b"".join(mtrk(body) for body in bodies)


# --- every fixture ----------------------------------------------------------------------------


def test_all_fixtures_are_here() -> None:
    listed = {row["file"] for row in EXPECTED}
    present = {p.relative_to(DATA).as_posix() for p in ALL_FILES if p.suffix == ".mid"}
    assert listed == present and len(listed) == 74


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_fixture_reads_or_is_refused_in_plain_words(path: Path) -> None:
    try:
        reading = read_midi(path.read_bytes())
    except StudioError as error:
        assert error.words in (EMPTY, NOT_MIDI)
        assert error.say("nb") and error.say("en")
        return
    assert reading.tracks
    for problem in reading.problems:
        assert problem.say("nb") and problem.say("en")
    length_seconds(reading)
    bar_count(reading)


def _behaviour_length(row: dict[str, str]) -> float | None:
    found = re.search(r"(\d+(?:\.\d+)?) s\b", row["expected_behaviour"])
    if found:
        return float(found.group(1))
    try:
        return float(row["mido_1.3.3_length_s"])
    except ValueError:
        return None


CATEGORY_PROBLEMS = {
    "broken-illegal-status": {"illegal_status"},
    "running-status": {"running_after_system"},
    "broken-truncated": {"truncated"},
    "broken-tolerable": {"trailing_junk"},
    "chunk-edge": {"unknown_chunk"},
}


@pytest.mark.parametrize("row", EXPECTED, ids=lambda row: Path(row["file"]).name)
def test_expected_behaviour_from_the_csv(row: dict[str, str]) -> None:
    data = (DATA / row["file"]).read_bytes()
    assert len(data) == int(row["bytes"])
    behaviour = row["expected_behaviour"]

    if not row["smf_format"]:  # "must be rejected cleanly"
        assert "rejected" in behaviour
        with pytest.raises(StudioError) as refused:
            read_midi(data)
        assert refused.value.words is (EMPTY if not data else NOT_MIDI)
        return

    reading = read_midi(data)
    assert reading.declared_format == int(row["smf_format"])
    assert reading.declared_tracks == int(row["tracks_declared"])
    ppq = re.fullmatch(r"(\d+) PPQ", row["division"])
    assert ppq is not None
    assert not reading.division.is_smpte
    assert reading.division.ticks_per_quarter == int(ppq.group(1))

    expected_length = _behaviour_length(row)
    if expected_length is not None:
        assert length_seconds(reading) == pytest.approx(expected_length, abs=1e-3)

    if "C-major scale" in behaviour and "still" not in behaviour:
        # "still a C-major scale" files play one key retuned by SysEx/RPN: not a scale of keys.
        scales = [[n.key for n in t.notes] for t in reading.tracks if t.notes]
        assert C_MAJOR in scales
        for keys in scales:
            assert [b - a for a, b in itertools.pairwise(keys)] == MAJOR_STEPS

    hits = re.search(r"(\d+) hits", behaviour)
    if hits:
        assert reading.note_count == int(hits.group(1))
    programs = re.search(r"\b(\d+) (?:GM1 )?programs", behaviour)
    if programs:
        changes = [e for t in reading.tracks for e in t.events if isinstance(e, ProgramChange)]
        assert len(changes) == int(programs.group(1))

    category = row["category"]
    if category == "format-edge":
        expected = {"format0_tracks"} if reading.declared_format == 0 else set()
    else:
        expected = CATEGORY_PROBLEMS.get(category, set())
    assert codes(reading) == expected, [p.say("en") for p in reading.problems]


@pytest.mark.parametrize(
    "name", [r["file"] for r in EXPECTED if r["category"] == "broken-illegal-status"]
)
def test_the_illegal_status_byte_is_named(name: str) -> None:
    reading = read(name)
    (problem,) = reading.problems
    named = str(problem.value("items")).split(", ")
    found = re.search(r"illegal-message-(f[0-9a-f])", name)
    if found:
        assert named == [found.group(1).upper()]
        assert reading.skipped == {"system": 1}
    else:  # the "all" file has every one of them
        assert named == [
            "F1",
            "F2",
            "F3",
            "F4",
            "F5",
            "F6",
            "F8",
            "F9",
            "FA",
            "FB",
            "FC",
            "FD",
            "FE",
        ]
        assert reading.skipped == {"system": 13}


def test_format_0_with_two_tracks_plays_them_together() -> None:
    reading = read("jazz-soft/test-2-tracks-type-0.mid")
    assert reading.format == 1
    first, second = (t.notes for t in reading.tracks)
    assert [n.start_tick for n in first] == [n.start_tick for n in second]
    assert track_start_seconds(reading, 1) == 0.0


def test_format_2_plays_tracks_one_after_another() -> None:
    reading = read("jazz-soft/test-2-tracks-type-2.mid")
    assert reading.format == 2
    assert track_start_seconds(reading, 0) == 0.0
    assert track_start_seconds(reading, 1) == pytest.approx(4.5)
    assert length_seconds(reading) == pytest.approx(9.0)


def test_all_gm_percussion_keys_on_channel_10() -> None:
    reading = read("jazz-soft/test-all-gm-percussion.mid")
    notes = reading.tracks[0].notes
    assert {n.channel for n in notes} == {9}
    assert Counter(n.key for n in notes) == {key: 3 for key in range(27, 88)}


def test_karaoke_tracks_tempo_and_lyrics() -> None:
    reading = read("jazz-soft/test-karaoke-kar.mid")
    assert (reading.format, len(reading.tracks), reading.division.ticks_per_quarter) == (1, 3, 100)
    assert tempo_map(reading).tempo_at(0) == 666667
    assert [t.name for t in reading.tracks] == ["Karaoke .KAR Test", "Lyrics", ""]
    words = [e.text for e in reading.tracks[1].events if isinstance(e, Text)]
    assert words[0] == "Lyrics" and words[1].startswith("@T")
    assert any(w.startswith("\\") for w in words)
    assert reading.tracks[2].notes[0] == Note(0, 75, 0, 64, 127)


def test_note_on_velocity_is_kept() -> None:
    reading = read("jazz-soft/test-note-on-velocity.mid")
    assert [n.velocity for n in reading.tracks[0].notes] == [1, 16, 32, 48, 64, 80, 96, 112, 127]


def test_end_of_track_sets_the_length() -> None:
    reading = read("jazz-soft/test-track-length.mid")
    assert reading.tracks[0].notes == (Note(0, 96, 0, 60, 127),)
    assert reading.tracks[0].end_tick == 96 + 192
    assert length_seconds(reading) == pytest.approx(1.5)


def test_smpte_offset_is_not_smpte_division() -> None:
    reading = read("jazz-soft/test-smpte-offset.mid")
    assert reading.skipped == {"meta": 1}
    assert not reading.division.is_smpte


# --- the same as mido where mido can read the file ------------------------------------------


_MIDO_TEXT = {
    "text": "text",
    "copyright": "copyright",
    "track_name": "track_name",
    "instrument_name": "instrument",
    "lyrics": "lyric",
    "marker": "marker",
    "cue_marker": "cue",
}


def _mido_track(track: mido.MidiTrack) -> tuple[list[Note], Counter[str]]:
    """FIFO-paired notes and counts of event kinds, the way the studio reader sees them."""
    tick = 0
    waiting: dict[tuple[int, int], deque[tuple[int, int]]] = {}
    notes: list[Note] = []
    kinds: Counter[str] = Counter()
    for msg in track:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            waiting.setdefault((msg.channel, msg.note), deque()).append((tick, msg.velocity))
        elif msg.type in ("note_on", "note_off"):
            queue = waiting.get((msg.channel, msg.note))
            if queue:
                start, velocity = queue.popleft()
                notes.append(Note(start, tick - start, msg.channel, msg.note, velocity))
        elif msg.type == "set_tempo":
            kinds["tempo"] += 1
        elif msg.type in ("control_change", "program_change", "pitchwheel", "time_signature"):
            kinds[msg.type] += 1
        elif msg.type == "key_signature":
            kinds["key_signature"] += 1
        elif msg.type in _MIDO_TEXT:
            kinds["text:" + _MIDO_TEXT[msg.type]] += 1
    for (channel, key), queue in waiting.items():
        for start, velocity in queue:
            notes.append(Note(start, tick - start, channel, key, velocity))
    notes.sort(key=lambda n: (n.start_tick, n.channel, n.key, n.length_tick))
    return notes, kinds


def _our_kinds(events: tuple[object, ...]) -> Counter[str]:
    names = {
        Tempo: "tempo",
        ControlChange: "control_change",
        ProgramChange: "program_change",
        PitchBend: "pitchwheel",
        TimeSignature: "time_signature",
        KeySignature: "key_signature",
    }
    kinds: Counter[str] = Counter()
    for event in events:
        if isinstance(event, Text):
            kinds["text:" + event.kind] += 1
        elif type(event) in names:
            kinds[names[type(event)]] += 1
    return kinds


MIDO_READS = [r for r in EXPECTED if r["mido_1.3.3_result"] == "parses"]


@pytest.mark.parametrize("row", MIDO_READS, ids=lambda row: Path(row["file"]).name)
def test_same_notes_events_and_length_as_mido(row: dict[str, str]) -> None:
    path = DATA / row["file"]
    theirs = mido.MidiFile(str(path))
    ours = read_midi(path.read_bytes())
    assert len(ours.tracks) == len(theirs.tracks)
    for track, their_track in zip(ours.tracks, theirs.tracks, strict=True):
        notes, kinds = _mido_track(their_track)
        assert list(track.notes) == notes
        assert _our_kinds(track.events) == kinds
    if theirs.type != 2:
        assert length_seconds(ours) == pytest.approx(theirs.length, abs=1e-6)


def test_pitch_bend_values_match_mido() -> None:
    path = DATA / "jazz-soft/test-rpn-00-00-pitch-bend-range.mid"
    theirs = [m.pitch for m in mido.MidiFile(str(path)).tracks[0] if m.type == "pitchwheel"]
    ours = [
        e.value for e in read_midi(path.read_bytes()).tracks[0].events if isinstance(e, PitchBend)
    ]
    assert ours == theirs and min(ours) < 0 < max(ours)


# --- the Groove dataset ------------------------------------------------------------------------


@pytest.mark.parametrize("row", GROOVE_INFO, ids=lambda row: row["id"])
def test_groove_tempo_bars_and_length_match_the_dataset(row: dict[str, str]) -> None:
    reading = read("groove/" + row["midi_filename"])
    bpm = float(row["bpm"])
    duration = float(row["duration"])
    numerator, denominator = (int(x) for x in row["time_signature"].split("-"))
    assert reading.problems == ()
    assert initial_tempo_bpm(reading) == pytest.approx(bpm)
    assert [(s.numerator, s.denominator) for s in time_signatures(reading)] == [
        (numerator, denominator)
    ]
    assert length_seconds(reading) == pytest.approx(duration, abs=1e-6)
    bars = duration * bpm / 60 / (numerator * 4 / denominator)
    assert length_bars(reading) == pytest.approx(bars, abs=1e-6)
    assert bar_count(reading) == math.ceil(bars)
    assert {n.channel for _, n in paired_notes(reading)} == {9}


# --- formats, division and tempo maps ----------------------------------------------------------


def test_tempo_change_moves_later_notes() -> None:
    # 480 PPQ: 120 BPM for two beats (1 s), then 60 BPM.
    body = tempo(500_000) + tempo(1_000_000, delta=960) + note(60, 480, delta=480) + EOT
    reading = read_midi(smf(body, fmt=0, division=480))
    (n,) = reading.tracks[0].notes
    tempos = tempo_map(reading)
    assert n.start_tick == 1440
    assert tempos.seconds_at(n.start_tick) == pytest.approx(2.0)
    assert tempos.seconds_at(n.end_tick) == pytest.approx(3.0)
    assert tempos.tick_at(2.0) == pytest.approx(1440)
    assert tempos.tick_at(0.5) == pytest.approx(480)
    assert tempos.bpm_at(0) == pytest.approx(120) and tempos.bpm_at(1000) == pytest.approx(60)
    assert length_seconds(reading) == pytest.approx(3.0)


def test_format_1_tempo_in_any_track_applies_to_all() -> None:
    conductor = tempo(250_000) + EOT  # 240 BPM
    reading = read_midi(smf(conductor, note(60, 96, delta=96) + EOT, fmt=1, division=96))
    n = reading.tracks[1].notes[0]
    assert tempo_map(reading, 1).seconds_at(n.start_tick) == pytest.approx(0.25)
    assert length_seconds(reading) == pytest.approx(0.5)


def test_same_tick_tempo_last_one_wins() -> None:
    body = tempo(1_000_000) + tempo(500_000) + note(60, 96) + EOT
    reading = read_midi(smf(body, fmt=0))
    assert tempo_map(reading).tempo_at(0) == 500_000


def test_format_2_tracks_keep_their_own_tempo() -> None:
    slow = tempo(1_000_000) + note(60, 96) + EOT  # 60 BPM: 1 s
    plain = note(62, 192) + EOT  # default 120 BPM: 1 s
    reading = read_midi(smf(slow, plain, fmt=2, division=96))
    assert reading.format == 2 and reading.problems == ()
    assert tempo_map(reading, 0).tempo_at(0) == 1_000_000
    assert tempo_map(reading, 1).tempo_at(0) == 500_000
    assert track_start_seconds(reading, 1) == pytest.approx(1.0)
    assert length_seconds(reading) == pytest.approx(2.0)
    assert length_bars(reading) == pytest.approx(0.25 + 0.5)


@pytest.mark.parametrize(("fps", "per_frame", "rate"), [(25, 40, 1000.0), (29, 100, 2997.0)])
def test_smpte_division_ticks_are_absolute_time(fps: int, per_frame: int, rate: float) -> None:
    division = ((256 - fps) << 8) | per_frame
    body = tempo(1_000_000) + note(60, int(rate), delta=int(rate) // 2) + EOT
    reading = read_midi(smf(body, fmt=0, division=division))
    assert reading.division.is_smpte
    assert reading.division.smpte_fps == fps and reading.division.ticks_per_frame == per_frame
    assert reading.problems == ()
    n = reading.tracks[0].notes[0]
    tempos = tempo_map(reading)
    assert tempos.seconds_at(n.start_tick) == pytest.approx(0.5, rel=1e-3)  # tempo ignored
    assert length_seconds(reading) == pytest.approx(1.5, rel=1e-3)
    # bars still follow the tempo: 1.5 s at 60 BPM in 4/4
    assert length_bars(reading) == pytest.approx(1.5 / 4, rel=1e-3)


def test_time_signature_changes_count_bars() -> None:
    three_four = b"\x00\xff\x58\x04\x03\x02\x18\x08"
    six_eight = vlq(96 * 3 * 2) + b"\xff\x58\x04\x06\x03\x18\x08"  # after two bars of 3/4
    body = three_four + six_eight + vlq(96 * 3) + b"\xff\x2f\x00"  # one bar of 6/8
    reading = read_midi(smf(body, fmt=0))
    assert [(s.tick, s.numerator, s.denominator) for s in time_signatures(reading)] == [
        (0, 3, 4),
        (576, 6, 8),
    ]
    assert length_bars(reading) == pytest.approx(3.0)
    assert bar_count(reading) == 3


def test_events_are_read_with_their_values() -> None:
    body = (
        b"\x00\xff\x03\x05Drums"
        + b"\x00\xff\x58\x04\x06\x03\x18\x08"
        + b"\x00\xff\x59\x02\xfd\x01"  # 3 flats, minor
        + b"\x00\xc9\x05"
        + b"\x00\xb9\x07\x64"
        + b"\x00\xe9\x00\x40"  # centre
        + b"\x00\xe9\x7f\x7f"
        + b"\x00\xff\x05\x03l\xc3\xa5"  # UTF-8
        + b"\x00\xff\x01\x03\xe6\xf8\xe5"  # latin-1
        + b"\x00\x99\x24\x50\x10\x89\x24\x00"
        + b"\x00\xa9\x24\x10\x00\xd9\x10"  # aftertouch: skipped
        + b"\x00\xff\x7f\x02\x00\x01"  # sequencer-specific: skipped
        + EOT
    )
    reading = read_midi(smf(body, fmt=0))
    track = reading.tracks[0]
    assert track.name == "Drums"
    assert track.events == (
        Text(0, "track_name", "Drums"),
        TimeSignature(0, 6, 8, 24, 8),
        KeySignature(0, -3, True),
        ProgramChange(0, 9, 5),
        ControlChange(0, 9, 7, 100),
        PitchBend(0, 9, 0),
        PitchBend(0, 9, 8191),
        Text(0, "lyric", "lå"),
        Text(0, "text", "æøå"),
        NoteOn(0, 9, 36, 80),
        NoteOff(16, 9, 36, 0),
    )
    assert track.notes == (Note(0, 16, 9, 36, 80),)
    assert reading.skipped == {"pressure": 2, "meta": 1}
    assert reading.problems == ()


# --- pairing notes -------------------------------------------------------------------------


def test_notes_pair_first_in_first_out() -> None:
    events: list[MidiEvent] = [
        NoteOn(0, 0, 60, 10),
        NoteOn(10, 0, 60, 20),
        NoteOff(20, 0, 60, 0),
        NoteOff(30, 0, 60, 0),
        NoteOn(30, 1, 60, 30),  # other channel, never released
        NoteOff(40, 2, 61, 0),  # never struck
    ]
    notes, open_notes, stray = pair_notes(events, end_tick=100)
    assert notes == (Note(0, 20, 0, 60, 10), Note(10, 20, 0, 60, 20), Note(30, 70, 1, 60, 30))
    assert (open_notes, stray) == (1, 1)


def test_unended_and_stray_notes_are_reported() -> None:
    body = b"\x00\x90\x3c\x40" + b"\x10\x80\x3e\x40" + b"\x20\xff\x2f\x00"
    reading = read_midi(smf(body, fmt=0))
    assert reading.tracks[0].notes == (Note(0, 0x30, 0, 60, 0x40),)
    assert codes(reading) == {"unmatched_on", "unmatched_off"}
    assert all(p.value("track") == 1 and p.value("count") == 1 for p in reading.problems)


# --- broken files made by hand -----------------------------------------------------------------


SCALE = smf(scale_body(), fmt=0)


def scale_keys(reading: MidiReading, track: int = 0) -> list[int]:
    return [n.key for n in reading.tracks[track].notes]


def test_riff_rmid_wrapper() -> None:
    inner = SCALE
    riff_body = b"RMID" + b"data" + len(inner).to_bytes(4, "little") + inner
    wrapped = b"RIFF" + len(riff_body).to_bytes(4, "little") + riff_body
    reading = read_midi(wrapped)
    assert scale_keys(reading) == C_MAJOR and reading.problems == ()


def test_junk_before_the_header_is_skipped() -> None:
    reading = read_midi(b"\x00" * 128 + SCALE)  # e.g. a MacBinary header
    assert scale_keys(reading) == C_MAJOR
    assert codes(reading) == {"leading_junk"}
    assert reading.problems[0].value("count") == 128


def test_track_length_too_short_reads_on_to_end_of_track() -> None:
    body = scale_body()
    data = mthd(0, 1, 96) + mtrk(body, length=len(body) - 20)
    reading = read_midi(data)
    assert scale_keys(reading) == C_MAJOR
    assert codes(reading) == {"length_short"}


def test_track_length_zero_reads_on_to_end_of_track() -> None:
    data = mthd(1, 2, 96) + mtrk(scale_body(), length=0) + mtrk(note(40, 96) + EOT)
    reading = read_midi(data)
    assert scale_keys(reading, 0) == C_MAJOR and scale_keys(reading, 1) == [40]
    assert codes(reading) == {"length_short"}


def test_track_length_ending_inside_text_is_not_taken_for_a_chunk() -> None:
    body = b"\x00\xff\x01\x20" + b"This text runs over the end. Yes" + scale_body()
    data = mthd(1, 2, 96) + mtrk(body, length=10) + mtrk(note(40, 96) + EOT)
    reading = read_midi(data)
    assert scale_keys(reading, 0) == C_MAJOR and scale_keys(reading, 1) == [40]
    assert codes(reading) == {"length_short"}


def test_unknown_chunk_with_an_impossible_length_is_skipped_as_junk() -> None:
    data = mthd(1, 1, 96) + b"XFIH\xff\xff\xff\xff" + b"stuff" + mtrk(scale_body())
    reading = read_midi(data)
    assert scale_keys(reading) == C_MAJOR
    assert codes(reading) == {"junk_between"}


def test_track_length_too_long_resyncs_on_the_next_track() -> None:
    first, second = scale_body(), note(40, 96) + EOT
    data = mthd(1, 2, 96) + mtrk(first, length=len(first) + 10) + mtrk(second)
    reading = read_midi(data)
    assert scale_keys(reading, 0) == C_MAJOR and scale_keys(reading, 1) == [40]
    assert codes(reading) == {"length_long"}


def test_track_length_past_the_end_of_the_file_uses_what_exists() -> None:
    body = scale_body()
    reading = read_midi(mthd(0, 1, 96) + mtrk(body, length=len(body) + 1000))
    assert scale_keys(reading) == C_MAJOR
    assert codes(reading) == {"length_long"}


def test_missing_end_of_track_at_the_end_of_the_file() -> None:
    body = scale_body()[: -len(EOT)]
    reading = read_midi(mthd(0, 1, 96) + mtrk(body))
    assert scale_keys(reading) == C_MAJOR
    assert reading.tracks[0].end_tick == 8 * 96
    assert codes(reading) == {"no_end"}


def test_missing_end_of_track_before_the_next_track() -> None:
    first = note(60, 96)
    reading = read_midi(smf(first, note(62, 48) + EOT))
    assert scale_keys(reading, 0) == [60] and scale_keys(reading, 1) == [62]
    assert codes(reading) == {"no_end"}


@pytest.mark.parametrize("cut", range(22, len(SCALE)))
def test_truncated_file_keeps_every_whole_event(cut: int) -> None:
    # 22 bytes of headers, then 8 notes of 8 bytes: note-on in the first 4, note-off in the next 4
    reading = read_midi(SCALE[:cut])
    whole_ons = sum(1 for i in range(8) if 22 + 8 * i + 4 <= cut)
    whole_offs = sum(1 for i in range(8) if 22 + 8 * i + 8 <= cut)
    assert scale_keys(reading) == C_MAJOR[:whole_ons]
    assert codes(reading) == {"truncated"} | ({"unmatched_on"} if whole_ons > whole_offs else set())


def test_end_of_track_cut_after_ff_2f_still_ends_the_track() -> None:
    reading = read("jazz-soft/test-corrupt-file-missing-byte.mid")
    assert reading.tracks[0].end_tick == 8 * 96 and scale_keys(reading) == C_MAJOR


def test_too_long_number_drops_the_rest_of_the_track_only() -> None:
    body = note(60, 96) + b"\x81\x81\x81\x81\x01\x90\x3e\x40" + EOT
    reading = read_midi(smf(body, note(64, 96) + EOT))
    assert scale_keys(reading, 0) == [60] and scale_keys(reading, 1) == [64]
    assert codes(reading) == {"bad_number"}


def test_missing_data_byte_drops_only_that_message() -> None:
    body = b"\x00\x90\x3c" + b"\x90\x3e\x40" + b"\x60\x80\x3e\x40" + EOT
    reading = read_midi(smf(body, fmt=0))
    assert reading.tracks[0].notes == (Note(0, 96, 0, 62, 64),)
    assert codes(reading) == {"missing_data"}


def test_data_bytes_without_status_are_skipped() -> None:
    body = b"\x00\x3c" + note(60, 96) + EOT
    reading = read_midi(smf(body, fmt=0))
    assert scale_keys(reading) == [60]
    assert codes(reading) == {"no_status"}


def test_running_status_survives_sysex() -> None:
    body = b"\x00\x90\x3c\x40" + b"\x00\xf0\x02\x7e\xf7" + b"\x60\x3c\x00" + EOT
    reading = read_midi(smf(body, fmt=0))
    assert reading.tracks[0].notes == (Note(0, 96, 0, 60, 64),)
    assert codes(reading) == {"running_after_system"}
    assert reading.skipped == {"sysex": 1}


@pytest.mark.parametrize("length", [4, 8, 10])
def test_wrong_header_length_is_read_anyway(length: int) -> None:
    extra = b"\x00" * max(0, length - 6)
    data = mthd(0, 1, 96, length=length, extra=extra) + mtrk(scale_body())
    reading = read_midi(data)
    assert scale_keys(reading) == C_MAJOR
    assert codes(reading) == {"header_length"}


def test_unknown_format_plays_tracks_together() -> None:
    reading = read_midi(smf(scale_body(), note(40, 96) + EOT, fmt=7))
    assert reading.format == 1 and reading.declared_format == 7
    assert codes(reading) == {"unknown_format"}


def test_division_zero_falls_back() -> None:
    reading = read_midi(smf(scale_body(), fmt=0, division=0))
    assert reading.division.ticks_per_quarter == 96
    assert codes(reading) == {"bad_division"}


def test_wrong_track_count_reads_what_exists() -> None:
    data = mthd(1, 3, 96) + mtrk(scale_body()) + mtrk(note(40, 96) + EOT)
    reading = read_midi(data)
    assert len(reading.tracks) == 2
    assert codes(reading) == {"track_count"}
    assert (reading.problems[0].value("declared"), reading.problems[0].value("found")) == (3, 2)


def test_junk_between_tracks_is_skipped() -> None:
    data = mthd(1, 2, 96) + mtrk(scale_body()) + b"\x00\x01\x02" + mtrk(note(40, 96) + EOT)
    reading = read_midi(data)
    assert len(reading.tracks) == 2 and codes(reading) == {"junk_between"}


def test_impossible_meta_values_are_ignored() -> None:
    body = (
        b"\x00\xff\x51\x03\x00\x00\x00"  # tempo 0
        + b"\x00\xff\x58\x04\x00\x02\x18\x08"  # 0/4
        + b"\x00\xff\x58\x04\x04\x09\x18\x08"  # 4/512
        + b"\x00\xff\x59\x02\x09\x00"  # 9 sharps
        + note(60, 96)
        + EOT
    )
    reading = read_midi(smf(body, fmt=0))
    assert scale_keys(reading) == [60]
    assert codes(reading) == {"bad_tempo", "bad_time_signature", "bad_key_signature"}
    assert tempo_map(reading).tempo_at(0) == 500_000
    assert dict(reading.problems[1].values)["count"] == 2


def test_event_cap_is_reported() -> None:
    reading = read_midi(SCALE, max_events=5)
    assert sum(len(t.events) for t in reading.tracks) <= 5
    assert "capped" in codes(reading)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", EMPTY),
        (b"not a midi file", NOT_MIDI),
        (b"\x00" * 1000, NOT_MIDI),
        (b"MThd\x00\x00\x00\x06\x00", HEADER_CUT),
        (mthd(0, 1, 96), NO_TRACKS),
        (mthd(0, 1, 96) + b"\x00\x01", NO_TRACKS),
    ],
)
def test_nothing_to_trust_is_refused_in_plain_words(data: bytes, words: object) -> None:
    with pytest.raises(StudioError) as refused:
        read_midi(data)
    assert refused.value.words is words
    assert "\n" not in refused.value.say("nb") and "\n" not in refused.value.say("en")


# --- fuzzing -----------------------------------------------------------------------------------


SMALL_FILES = [p.read_bytes() for p in ALL_FILES if p.stat().st_size <= 3000]


def _check_tolerant(data: bytes) -> None:
    try:
        reading = read_midi(data)
    except StudioError as error:
        assert error.words is not READER_FAILED, repr(error.__cause__)
        assert error.say("nb") and error.say("en")
        return
    # every message costs at least two bytes (delta time and status), so reading made progress
    assert sum(len(t.events) for t in reading.tracks) * 2 <= len(data)
    for problem in reading.problems:
        assert problem.say("nb") and problem.say("en")
    for index, track in enumerate(reading.tracks):
        assert track.end_tick >= max((e.tick for e in track.events), default=0)
        assert all(n.length_tick >= 0 and n.start_tick >= 0 for n in track.notes)
        track_start_seconds(reading, index)
    assert math.isfinite(length_seconds(reading)) or reading.division.is_smpte
    bar_count(reading)
    paired_notes(reading)


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SMALL_FILES)))
    for _ in range(draw(st.integers(1, 6))):
        size = len(data)
        action = draw(st.sampled_from(["cut", "flip", "insert", "delete", "length", "high"]))
        at = draw(st.integers(0, max(0, size - 1)))
        if action == "cut":
            del data[at:]
        elif action == "flip" and size:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif action == "length":
            where = data.find(b"MTrk", at) if size else -1
            if where >= 0 and where + 8 <= len(data):
                data[where + 4 : where + 8] = draw(st.integers(0, 2**32 - 1)).to_bytes(4, "big")
        elif action == "high" and size:
            data[at] = draw(st.integers(0xF0, 0xFF))
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files())
def test_fuzz_mutated_real_files(data: bytes) -> None:
    _check_tolerant(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes(data: bytes) -> None:
    _check_tolerant(data)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 3),
    st.integers(0, 0xFFFF),
    st.lists(st.tuples(st.binary(max_size=80), st.integers(0, 120)), min_size=1, max_size=4),
)
def test_fuzz_random_tracks_behind_a_real_header(
    fmt: int, division: int, tracks: list[tuple[bytes, int]]
) -> None:
    data = mthd(fmt, len(tracks), division) + b"".join(
        mtrk(body, length) for body, length in tracks
    )
    _check_tolerant(data)
