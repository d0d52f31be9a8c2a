"""MIDI files into beats and back: every fixture, the Groove performance, the starter beats
round trip, and hand-made files for grids, swing, tempo, meter, bass lines, SMPTE and format 2."""

from __future__ import annotations

import csv
import itertools
import math
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core.beat import Beat, parse_beat, validate_beat
from studio.core.beat_timeline import BeatTimeline
from studio.core.i18n import StudioError
from studio.core.midi_file import Note, length_seconds, read_midi, tempo_map
from studio.core.midi_to_beat import (
    NOTHING_FOR_A_BEAT,
    Grid,
    MidiImport,
    beat_to_midi,
    import_midi,
)
from studio.core.midi_write import TrackToWrite, write_midi_type1

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "midi"
BEATS = REPO / "presets" / "beats"
EXPECTED = list(csv.DictReader((DATA / "expected_midi.csv").open(encoding="utf-8")))
GROOVE_BEAT = DATA / "groove" / "drummer7" / "session1" / "22_hiphop_100_beat_4-4.mid"
REPORT_KEYS = {"format", "tracks", "notes", "length_seconds", "tempo_bpm", "skipped", "warnings"}
STARTERS = sorted(BEATS.glob("*.toml"))
TPQ = 480


def starter(path: Path) -> Beat:
    return parse_beat(path.read_text(encoding="utf-8"), path.name)


def played(beat: Beat, rate: int = 48000) -> tuple[list[tuple[int, str, int]],
                                                    list[tuple[int, int, int, int, bool]]]:
    """Every hit and bass note as the beat plays it (frames at ``rate``)."""
    timeline = BeatTimeline(beat, rate)
    events = timeline.events(0, timeline.length_frames or 0)
    return ([(h.frame, h.voice, h.velocity) for h in events.hits],
            [(b.frame, b.length, b.pitch, b.velocity, b.glide) for b in events.bass])


def drums(*hits: tuple[float, int, int], tpq: int = TPQ, tempo: float = 120.0,
          end: float | None = None, others: list[Note] | None = None,
          meter: tuple[int, int] = (4, 4)) -> bytes:
    """A type 1 file with drum hits (quarters, key, velocity) on channel 10."""
    notes = [Note(round(q * tpq), tpq // 8, 9, key, velocity) for q, key, velocity in hits]
    tracks = [TrackToWrite("drums", notes)]
    if others:
        tracks.append(TrackToWrite("other", others))
    end_tick = None if end is None else round(end * tpq)
    return write_midi_type1(tracks, tpq, tempo, meter, end_tick=end_tick)


def lanes(result: MidiImport) -> dict[str, list[tuple[int, int, int]]]:
    """voice -> [(bar, step, velocity)] over the whole arrangement, one entry per bar played."""
    beat = result.beat
    assert beat is not None
    out: dict[str, list[tuple[int, int, int]]] = {}
    bar = 0
    for section in beat.arrangement:
        pattern = beat.pattern(section.pattern)
        per_bar = pattern.steps_per_beat * beat.beats_per_bar
        for i in range(section.bars):
            offset = (i * per_bar) % pattern.steps
            for voice, lane in pattern.voices.items():
                for step in range(per_bar):
                    velocity = lane.velocities[offset + step]
                    if velocity:
                        out.setdefault(voice, []).append((bar + i, step, velocity))
        bar += section.bars
    return out


# --- every fixture ----------------------------------------------------------------------------


def _expected_length(row: dict[str, str]) -> float | None:
    found = re.search(r"(\d+(?:\.\d+)?) s\b", row["expected_behaviour"])
    if found:
        return float(found.group(1))
    try:
        return float(row["mido_1.3.3_length_s"])
    except ValueError:
        return None


@pytest.mark.parametrize("row", EXPECTED, ids=lambda row: Path(row["file"]).name)
def test_every_fixture_is_imported_or_refused_as_the_csv_says(row: dict[str, str]) -> None:
    data = (DATA / row["file"]).read_bytes()
    if not row["smf_format"]:  # "must be rejected cleanly"
        with pytest.raises(StudioError) as refused:
            import_midi(data, "x")
        assert refused.value.say("en") and refused.value.say("nb")
        return
    result = import_midi(data, Path(row["file"]).stem, row["file"])
    report = result.report("en")
    assert set(report) == REPORT_KEYS
    assert report["format"] == int(row["smf_format"])
    assert report["tracks"] == read_midi(data).declared_tracks or row["category"] == "format-edge"
    expected = _expected_length(row)
    if expected is not None:
        assert report["length_seconds"] == pytest.approx(expected, abs=1e-3)
    hits = re.search(r"(\d+) hits", row["expected_behaviour"])
    if hits:
        assert report["notes"] == int(hits.group(1))
    if row["category"].startswith("broken") or row["category"] in (
            "running-status", "chunk-edge"):
        assert report["warnings"], "a repaired file must say what was wrong"
    skipped = report["skipped"]
    warnings = report["warnings"]
    assert isinstance(skipped, dict) and all(v > 0 for v in skipped.values())
    assert isinstance(warnings, list)
    if result.beat is None:
        assert NOTHING_FOR_A_BEAT.say("en") in warnings
    else:
        assert validate_beat(result.beat) == result.beat
    for words in result.warnings:
        assert words.say("nb") and words.say("en")


def test_the_report_says_what_was_left_out_in_plain_words() -> None:
    result = import_midi((DATA / "jazz-soft" / "test-c-major-scale.mid").read_bytes(), "scale")
    assert result.beat is None and result.skipped == {"other_notes": 8}
    said = " ".join(result.report("en")["warnings"])  # type: ignore[arg-type]
    assert "8 notes on channel 1 were left out" in said
    assert "cannot keep other notes" in said  # a clip of notes is not in the model: said so
    norsk = " ".join(result.report("nb")["warnings"])  # type: ignore[arg-type]
    assert "ble utelatt" in norsk


def test_all_gm_percussion_maps_every_key_that_has_a_sound() -> None:
    result = import_midi((DATA / "jazz-soft" / "test-all-gm-percussion.mid").read_bytes(), "gm")
    assert result.notes == 183 and result.drum_map == "gm"
    # 13 keys have no sound like them in a drum kit (whistles, cuícas, triangles …), 3 hits each
    assert result.skipped["drum_notes_without_sound"] == 39
    assert result.drum_hits == 144
    found = lanes(result)
    assert sum(len(v) for v in found.values()) == 144  # every hit on a step of its own
    assert result.beat is not None and len(result.beat.patterns) <= 64


# --- the Groove performance -------------------------------------------------------------------


def test_the_groove_file_becomes_a_hip_hop_beat_at_100_bpm_on_the_right_steps() -> None:
    data = GROOVE_BEAT.read_bytes()
    result = import_midi(data, GROOVE_BEAT.stem)
    beat = result.beat
    assert beat is not None and result.drum_map == "td11"
    assert beat.tempo == 100.0 and (beat.beats_per_bar, beat.beat_unit) == (4, 4)
    assert result.tempo_bpm == 100.0 and result.length_seconds == pytest.approx(20.01375)
    assert all(p.steps_per_beat == 4 and p.swing == 0.0 for p in beat.patterns)
    assert beat.bars == 9  # 20.01 s at 100 BPM is 8.3 bars
    # Where a musician would write each kick and snare: the nearest sixteenth of the take.
    reading = read_midi(data)
    sixteenth = reading.division.ticks_per_quarter // 4
    want: dict[str, dict[tuple[int, int], int]] = {"kick": {}, "snare": {}}
    for note in reading.tracks[0].notes:
        voice = {36: "kick", 38: "snare", 40: "snare"}.get(note.key)
        if voice:
            bar, step = divmod(round(note.start_tick / sixteenth), 16)
            want[voice][(bar, step)] = max(want[voice].get((bar, step), 0), note.velocity)
    got = lanes(result)
    for voice in ("kick", "snare"):
        assert {(b, s): v for b, s, v in got[voice]} == want[voice], voice
    # the groove itself: kick on the one, backbeat snare on beat 4 of the first bars
    assert (0, 0, 75) in got["kick"] and (0, 12, 127) in got["snare"]
    assert (1, 12, 127) in got["snare"]


def test_the_groove_fill_is_one_bar_at_100_bpm() -> None:
    path = DATA / "groove" / "drummer7" / "session1" / "23_hiphop_100_fill_4-4.mid"
    result = import_midi(path.read_bytes(), path.stem)
    assert result.beat is not None and result.beat.bars == 1 and result.beat.tempo == 100.0
    assert result.notes == 13 and result.drum_hits == 13


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_every_starter_beat_exports_and_imports_to_the_same_hits_and_notes(path: Path) -> None:
    beat = starter(path)
    data = beat_to_midi(beat)
    reading = read_midi(data)
    assert reading.declared_format == 1 and not reading.problems
    drum_channels = {n.channel for n in reading.tracks[1].notes}
    assert drum_channels == {9}
    back = import_midi(data, beat.name)
    assert back.beat is not None and not back.warnings
    assert played(back.beat) == played(beat)
    assert back.beat.tempo == beat.tempo
    assert back.beat.section_tempos() == beat.section_tempos()
    assert [s.name for s in back.beat.arrangement] == [s.name for s in beat.arrangement]
    assert [s.bars for s in back.beat.arrangement] == [s.bars for s in beat.arrangement]
    assert length_seconds(reading) == pytest.approx(beat.seconds, abs=1e-3)
    # and once more: the imported beat writes the same file
    assert beat_to_midi(back.beat) == beat_to_midi(replace(
        beat, patterns=back.beat.patterns, arrangement=back.beat.arrangement))


def test_muted_voices_are_not_written() -> None:
    beat = starter(BEATS / "boom-bap.toml").with_muted("snare", "bass")
    back = import_midi(beat_to_midi(beat), "x")
    assert back.beat is not None and back.bass_notes == 0
    assert played(back.beat) == played(beat)
    assert "snare" not in lanes(back)


def test_a_glide_is_written_as_an_overlap_and_read_back() -> None:
    beat = starter(BEATS / "trap.toml")
    reading = read_midi(beat_to_midi(beat))
    bass = reading.tracks[2].notes
    overlaps = sum(1 for a, b in itertools.pairwise(bass) if a.end_tick > b.start_tick)
    glides = sum(1 for _, _, _, _, glide in played(beat)[1] if glide)
    assert overlaps == glides > 0


# --- grids and swing --------------------------------------------------------------------------


def _played_hits(rng: random.Random, swing: float, bars: int = 4, jitter: float = 0.02
                 ) -> list[tuple[float, int, int]]:
    hits = []
    for bar in range(bars):
        for step in range(16):
            late = swing if step % 2 else 0.0
            at = bar * 4 + (step + late) / 4 + rng.uniform(-jitter, jitter)
            hits.append((max(0.0, at), 42, 60 + step))
        hits.append((bar * 4 + rng.uniform(0, jitter), 36, 100))
        hits.append((bar * 4 + 1 + rng.uniform(-jitter, jitter), 38, 110))
    return hits


@pytest.mark.parametrize("swing", [0.0, 0.2, 0.33])
def test_swing_is_found_in_a_played_file(swing: float) -> None:
    result = import_midi(drums(*_played_hits(random.Random(7), swing)), "played")
    assert result.beat is not None
    (pattern_swing,) = {p.swing for p in result.beat.patterns}
    assert pattern_swing == pytest.approx(swing, abs=0.03)
    found = lanes(result)
    assert len(found["hat_closed"]) == 4 * 16  # every hat on its own step
    assert all(step == 0 for _, step, _ in found["kick"])
    assert all(step == 4 for _, step, _ in found["snare"])


def test_triplets_are_found_when_the_onsets_say_so() -> None:
    hits = [(b * 4 + k / 3, 42, 80) for b in range(2) for k in range(12)]
    hits += [(b * 4 + 2, 38, 100) for b in range(2)]
    result = import_midi(drums(*hits), "triplets")
    assert result.beat is not None
    assert {p.steps_per_beat for p in result.beat.patterns} == {3}
    assert len(lanes(result)["hat_closed"]) == 24
    shaky = [(q + random.Random(int(q * 99)).uniform(-0.02, 0.02), k, v) for q, k, v in hits]
    played_result = import_midi(drums(*[(max(0.0, q), k, v) for q, k, v in shaky]), "played")
    assert played_result.beat is not None
    assert {p.steps_per_beat for p in played_result.beat.patterns} == {3}


def test_a_written_file_keeps_each_bars_grid() -> None:
    sixteenths = [(k / 4, 42, 70) for k in range(16)]
    triplets = [(4 + k / 3, 42, 70) for k in range(12)]
    thirty_seconds = [(8 + k / 8, 42, 70) for k in range(32)]
    result = import_midi(drums(*sixteenths, *triplets, *thirty_seconds), "grids")
    assert result.beat is not None
    grids = [result.beat.pattern(s.pattern).steps_per_beat for s in result.beat.arrangement]
    assert grids == [4, 3, 8]
    assert not result.warnings


def test_grid_positions_and_swing() -> None:
    grid = Grid(4, 0.5)
    assert grid.position(1) == pytest.approx(1.5 / 4)
    assert grid.nearest(0.36) == 1 and grid.nearest(0.3) == 1 and grid.nearest(0.18) == 0
    assert Grid(3).steps_per_beat(8) is None and Grid(4).steps_per_beat(8) == 2
    assert not Grid(4, 0.2).fits_meter(4, 16)  # one step per beat cannot swing


# --- tempo, meter, markers, length ------------------------------------------------------------


def _with_conductor(data: bytes, events: list[tuple[int, bytes]]) -> bytes:
    """Replace the conductor track of a type 1 file by one holding ``events``."""
    body = bytearray()
    now = 0
    for tick, message in sorted(events, key=lambda e: e[0]):
        body += _vlq(tick - now) + message
        now = tick
    body += b"\x00\xff\x2f\x00"
    length = int.from_bytes(data[18:22], "big")
    return data[:14] + b"MTrk" + len(body).to_bytes(4, "big") + bytes(body) + data[
        22 + length:]


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _tempo(bpm: float) -> bytes:
    return b"\xff\x51\x03" + round(60_000_000 / bpm).to_bytes(3, "big")


def _marker(text: str) -> bytes:
    return b"\xff\x06" + bytes([len(text)]) + text.encode()


def _meter(num: int, den: int) -> bytes:
    return b"\xff\x58\x04" + bytes([num, den.bit_length() - 1, 24, 8])


def test_tempo_changes_at_bar_lines_become_section_tempos() -> None:
    hits = [(b * 4 + q, 36, 100) for b in range(4) for q in range(4)]
    data = _with_conductor(drums(*hits), [
        (0, _meter(4, 4)), (0, _tempo(90)), (8 * TPQ, _tempo(120)), (11 * TPQ, _tempo(100))])
    result = import_midi(data, "tempo")
    beat = result.beat
    assert beat is not None and beat.tempo == 90.0 and result.tempo_bpm == 90.0
    assert beat.section_tempos() == (90.0, 120.0, 100.0)
    assert [s.bars for s in beat.arrangement] == [2, 1, 1]
    said = " ".join(w.say("en") for w in result.warnings)
    assert "1 tempo changes came in the middle of a bar" in said


def test_markers_on_bar_lines_name_the_sections() -> None:
    hits = [(b * 4, 36, 100) for b in range(6)] + [(b * 4 + 2, 38, 100) for b in range(2, 6)]
    data = _with_conductor(drums(*hits), [
        (0, _meter(4, 4)), (0, _tempo(96)), (0, _marker("intro")), (8 * TPQ, _marker("verse"))])
    beat = import_midi(data, "marked").beat
    assert beat is not None
    assert [(s.name, s.bars) for s in beat.arrangement] == [("intro", 2), ("verse", 4)]
    assert [p.name for p in beat.patterns] == ["intro", "verse"]


def test_time_signature_three_four_and_a_change_that_is_not_followed() -> None:
    hits = [(b * 3 + q, 36 if q == 0 else 42, 90) for b in range(4) for q in range(3)]
    data = _with_conductor(drums(*hits, meter=(3, 4)), [
        (0, _meter(3, 4)), (0, _tempo(120)), (9 * TPQ, _meter(6, 8))])
    result = import_midi(data, "waltz")
    beat = result.beat
    assert beat is not None and (beat.beats_per_bar, beat.beat_unit) == (3, 4)
    assert all(p.steps == 12 for p in beat.patterns)
    said = " ".join(w.say("en") for w in result.warnings)
    assert "changes in the file (first in bar 4, to 6/8)" in said


def test_six_eight_counts_eighth_note_beats() -> None:
    hits = [(b * 3 + k / 2, 42, 80) for b in range(2) for k in range(6)]
    data = _with_conductor(drums(*hits), [(0, _meter(6, 8)), (0, _tempo(60))])
    beat = import_midi(data, "six-eight").beat
    assert beat is not None and (beat.beats_per_bar, beat.beat_unit) == (6, 8)
    assert beat.tempo == 120.0  # 60 quarter notes a minute = 120 eighths
    assert beat.seconds == pytest.approx(6.0)


def test_the_beat_lasts_as_long_as_the_file() -> None:
    beat = import_midi(drums((0, 36, 100), end=10), "long").beat
    assert beat is not None and beat.bars == 3  # 10 quarter notes begin a third bar


def test_smpte_division_is_read_through_seconds() -> None:
    # 25 frames a second, 40 ticks a frame: 1000 ticks a second; no tempo, so 120 BPM
    body = b""
    for i in range(8):
        body += _vlq(0 if i == 0 else 460) + bytes([0x99, 36 if i % 4 == 0 else 42, 100])
        body += _vlq(40) + bytes([0x89, 36 if i % 4 == 0 else 42, 0])
    body += b"\x00\xff\x2f\x00"
    division = ((256 - 25) << 8) | 40
    data = (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01" + division.to_bytes(2, "big")
            + b"MTrk" + len(body).to_bytes(4, "big") + body)
    result = import_midi(data, "smpte")
    assert result.beat is not None and result.beat.tempo == 120.0
    assert result.length_seconds == pytest.approx(3.54)  # the last note ends at 3.5 + 0.04 s
    found = lanes(result)
    assert found["kick"] == [(0, 0, 100), (1, 0, 100)]
    assert [step for _, step, _ in found["hat_closed"]] == [4, 8, 12] * 2


def test_format_2_tracks_play_one_after_another() -> None:
    def track(key: int) -> bytes:
        body = b""
        for q in range(4):
            body += _vlq(0 if q == 0 else TPQ - 60) + bytes([0x99, key, 100])
            body += _vlq(60) + bytes([0x89, key, 0])
        body += _vlq(4 * TPQ - (3 * TPQ + 60)) + b"\xff\x2f\x00"  # each track is one bar
        return b"MTrk" + len(body).to_bytes(4, "big") + body

    data = (b"MThd\x00\x00\x00\x06\x00\x02\x00\x02" + TPQ.to_bytes(2, "big")
            + track(36) + track(38))
    result = import_midi(data, "two")
    found = lanes(result)
    assert [b for b, _, _ in found["kick"]] == [0] * 4
    assert [b for b, _, _ in found["snare"]] == [1] * 4


# --- bass lines and other notes ---------------------------------------------------------------


def test_a_low_line_one_note_at_a_time_becomes_the_bass() -> None:
    line = [Note(0, TPQ, 1, 38, 100), Note(TPQ, TPQ // 2, 1, 41, 90),
            Note(2 * TPQ, 2 * TPQ, 1, 36, 80)]
    chords = [Note(0, 4 * TPQ, 0, key, 70) for key in (60, 64, 67)]
    result = import_midi(drums((0, 36, 100), others=line + chords), "bass")
    beat = result.beat
    assert beat is not None and result.bass_notes == 3
    bass = beat.pattern(beat.arrangement[0].pattern).bass
    assert bass is not None
    assert [(n.step, n.pitch, n.length, n.velocity, n.glide) for n in bass.notes] == [
        (0, 38, 4, 100, False), (4, 41, 2, 90, False), (8, 36, 8, 80, False)]
    assert result.skipped["other_notes"] == 3
    said = " ".join(w.say("en") for w in result.warnings)
    assert "3 notes on channel 1 were left out" in said


def test_overlapping_bass_notes_glide_and_chords_are_not_a_bass() -> None:
    line = [Note(0, TPQ + TPQ // 4, 2, 36, 100), Note(TPQ, TPQ, 2, 43, 100)]
    beat = import_midi(drums((0, 36, 100), others=line), "glide").beat
    assert beat is not None
    bass = beat.patterns[0].bass
    assert bass is not None
    assert [(n.step, n.length, n.glide) for n in bass.notes] == [(0, 4, False), (4, 4, True)]
    high = [Note(q * TPQ, TPQ, 2, 72 + q, 100) for q in range(4)]
    result = import_midi(drums((0, 36, 100), others=high), "high")
    assert result.bass_notes == 0 and result.skipped["other_notes"] == 4
    chord = [Note(0, TPQ, 3, k, 100) for k in (36, 40)]
    assert import_midi(drums((0, 36, 100), others=chord), "chord").bass_notes == 0


def test_a_bass_line_alone_is_a_beat() -> None:
    data = write_midi_type1([TrackToWrite("bass", [Note(q * TPQ, TPQ, 0, 33, 90)
                                                   for q in range(8)])], TPQ, 90.0)
    result = import_midi(data, "only bass")
    assert result.beat is not None and result.drum_hits == 0 and result.bass_notes == 8


def test_hits_on_one_step_are_joined_and_said() -> None:
    result = import_midi(drums((0, 36, 50), (0.01, 36, 90), (0, 35, 70)), "flam")
    found = lanes(result)
    assert found["kick"] == [(0, 0, 90)]
    assert any("2 drum hits fell on the same step" in w.say("en") for w in result.warnings)


def test_a_long_performance_gets_longer_patterns_and_is_cut_only_past_the_limits() -> None:
    rng = random.Random(3)
    hits = [(bar * 4 + step / 4, 42, rng.randint(1, 127)) for bar in range(100)
            for step in range(0, 16, 2)]
    result = import_midi(drums(*hits), "long")
    beat = result.beat
    assert beat is not None and beat.bars == 100 and len(beat.patterns) <= 64
    assert {p.steps for p in beat.patterns} <= {32}
    assert any("2 bars long" in w.say("en") for w in result.warnings)
    assert len(lanes(result)["hat_closed"]) == 800
    huge = [(bar * 4, 36, 1 + bar % 127) for bar in range(1100)]
    cut = import_midi(drums(*huge), "huge")
    assert cut.beat is not None and cut.beat.bars == 1024
    assert any("only the first 1024 of 1100 bars" in w.say("en") for w in cut.warnings)
    validate_beat(cut.beat)


# --- robustness -------------------------------------------------------------------------------


FIXTURE_BYTES = [p.read_bytes() for p in sorted(DATA.rglob("*.mid")) if p.stat().st_size]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIXTURE_BYTES), st.lists(st.tuples(st.integers(0, 10**6),
                                                          st.integers(0, 255)), max_size=8),
       st.integers(0, 10**6))
def test_mutated_files_import_or_are_refused_and_every_beat_is_valid(
        data: bytes, changes: list[tuple[int, int]], cut: int) -> None:
    mutated = bytearray(data)
    for where, value in changes:
        mutated[where % len(mutated)] = value
    mutated = mutated[:max(1, cut % (len(mutated) + 1))]
    try:
        result = import_midi(bytes(mutated), "fuzz")
    except StudioError:
        return
    assert set(result.report("en")) == REPORT_KEYS
    if result.beat is not None:
        assert validate_beat(result.beat) == result.beat
        assert math.isfinite(result.beat.seconds)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 64), st.sampled_from([35, 36, 38, 42, 46, 49, 51, 80]),
                          st.integers(1, 127)), min_size=1, max_size=60),
       st.sampled_from([96, 480, 960]), st.floats(40, 240))
def test_any_drum_file_gives_a_valid_beat_that_round_trips(
        hits: list[tuple[float, int, int]], tpq: int, tempo: float) -> None:
    result = import_midi(drums(*hits, tpq=tpq, tempo=tempo), "any")
    if result.beat is None:  # only the keys with no sound (80: a triangle)
        assert {k for _, k, _ in hits} == {80}
        return
    assert validate_beat(result.beat) == result.beat
    back = import_midi(beat_to_midi(result.beat), "again")
    assert back.beat is not None and played(back.beat) == played(result.beat)


def test_tempo_map_of_an_export_follows_the_sections() -> None:
    beat = starter(BEATS / "ballad.toml")
    tm = tempo_map(read_midi(beat_to_midi(beat)))
    assert [round(60_000_000 / t, 3) for t in tm.tempos] == [68.0, 62.0]


@pytest.mark.parametrize(("meter", "per_beat"), [((7, 8), 2), ((32, 4), 4), ((32, 1), 8),
                                                 ((5, 16), 1), ((2, 2), 8)])
def test_unusual_meters_get_a_grid_whose_bars_fit_a_pattern(
        meter: tuple[int, int], per_beat: int) -> None:
    num, den = meter
    quarters_per_bar = num * 4 / den
    hits = [(b * quarters_per_bar + k * 0.5, 42, 80) for b in range(3)
            for k in range(int(quarters_per_bar * 2))]
    data = _with_conductor(drums(*hits), [(0, _meter(num, den)), (0, _tempo(100))])
    beat = import_midi(data, "meter").beat
    assert beat is not None and (beat.beats_per_bar, beat.beat_unit) == meter
    assert {p.steps_per_beat for p in beat.patterns} == {per_beat}
    assert validate_beat(beat) == beat
    back = import_midi(beat_to_midi(beat), "again").beat
    assert back is not None and played(back) == played(beat)
