"""The beat model: reading, checking and writing beat files, and laying beats out in frames."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.beat import (
    SECTION_NAMES,
    STEP_CHARS,
    VOICE_WORDS,
    VOICES,
    BassLine,
    BassNote,
    Beat,
    Pattern,
    Section,
    VoiceLane,
    dump_beat,
    note_name,
    parse_beat,
    parse_note_name,
    validate_beat,
)
from studio.core.beat_timeline import BassEvent, BeatTimeline, DrumHit
from studio.core.i18n import StudioError, Words
from studio.core.timebase import Timebase

REPO = Path(__file__).resolve().parents[2]
STARTERS = sorted((REPO / "presets" / "beats").glob("*.toml"))

GOOD = """
name = "test"
style = "test style"
tempo = 120
time_signature = "4/4"

[description]
nb = "En test."
en = "A test."

[[pattern]]
name = "main"
steps = 16
steps_per_beat = 4
swing = 0.25

[pattern.voices]
kick = "x... ..x. x... ...."
snare = ".... X... |.... X..o"
hat_closed = { steps = "1234 5678 9... xxxx", level = 0.5, pan = -0.25, mute = false }
shaker = [0, 10, 0, 20, 0, 30, 0, 40, 0, 50, 0, 60, 0, 70, 0, 127]

[pattern.bass]
level = 0.75
notes = [
  { step = 1, note = "C1", length = 4 },
  { step = 5, note = 31, length = 2, velocity = 90, glide = true },
]

[[section]]
name = "verse"
bars = 2
pattern = "main"

[[section]]
name = "my own part"
bars = 1
pattern = "main"
tempo = 60
"""


def beat_from(text: str = GOOD) -> Beat:
    return parse_beat(text, "bad.toml")


# --- starter beats -----------------------------------------------------------------------------


def test_there_are_starter_beats_for_the_styles_members_ask_for() -> None:
    beats = [parse_beat(p.read_text(encoding="utf-8"), str(p)) for p in STARTERS]
    styles = {b.style for b in beats}
    assert len(beats) >= 8
    for wanted in ("boom bap", "trap", "drill", "lo-fi", "pop", "house", "ballad"):
        assert wanted in styles
    assert styles & {"reggaeton", "afrobeats"}
    for beat in beats:
        assert len(beat.description.nb) > 40 and len(beat.description.en) > 40
        assert beat.description.nb != beat.description.en
        names = [s.name for s in beat.arrangement]
        assert {"intro", "verse", "hook"} <= set(names) <= set(SECTION_NAMES), beat.name
        assert names[0] == "intro" and names[-1] == "outro"
        assert 60 <= beat.seconds <= 240
        assert any(p.bass is not None and p.bass.notes for p in beat.patterns), beat.name


def test_every_kit_voice_is_used_by_some_starter_beat() -> None:
    used = set()
    for path in STARTERS:
        beat = parse_beat(path.read_text(encoding="utf-8"), str(path))
        for pattern in beat.patterns:
            used |= {v for v, lane in pattern.voices.items() if any(lane.velocities)}
    assert used == set(VOICES)


def test_starter_beats_are_musically_what_they_say() -> None:
    def load(name: str) -> Beat:
        return parse_beat((REPO / "presets" / "beats" / f"{name}.toml").read_text(), name)

    trap = load("trap")
    grids = {p.steps_per_beat for p in trap.patterns}
    assert 8 in grids and 6 in grids  # 32nd rolls and triplet rolls
    verse = trap.pattern("verse")
    hats = verse.voices["hat_closed"].velocities
    assert all(hats[i] for i in range(28, 32))  # a 32nd-note roll at the end of the bar
    assert verse.voices["snare"].velocities[16] and not verse.voices["snare"].velocities[8]
    assert any(n.glide for p in trap.patterns if p.bass for n in p.bass.notes)  # 808 slides

    drill = load("drill").pattern("verse")
    snare = drill.voices["snare"].velocities  # 6 steps a beat, two bars
    assert snare[12] and snare[36]  # beat 3 of both bars
    assert snare[45]  # the late, syncopated one on the "and" of 4
    assert drill.bass is not None and sum(1 for n in drill.bass.notes if n.glide) >= 3

    house = load("house").pattern("verse")
    kick = house.voices["kick"].velocities
    assert all(kick[::4]) and not any(v for i, v in enumerate(kick) if i % 4)  # four on the floor
    reggaeton = load("reggaeton").pattern("verse").voices["snare"].velocities
    assert [i for i in range(16) if reggaeton[i]] == [3, 6, 11, 14]  # dembow
    ballad = load("ballad")
    assert {p.steps_per_beat for p in ballad.patterns} == {3}
    assert ballad.arrangement[-1].tempo is not None and ballad.arrangement[-1].tempo < 68
    assert load("boom-bap").pattern("verse").swing > 0 and load("lo-fi").pattern("verse").swing > 0


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_starter_beats_round_trip_through_the_writer(path: Path) -> None:
    beat = parse_beat(path.read_text(encoding="utf-8"), str(path))
    text = dump_beat(beat)
    again = parse_beat(text, "dumped")
    assert again == beat
    assert dump_beat(again) == text


# --- reading -------------------------------------------------------------------------------------


def test_a_good_file_reads_into_the_model() -> None:
    beat = beat_from()
    assert (beat.name, beat.style, beat.tempo, beat.beats_per_bar, beat.beat_unit, beat.kit) == (
        "test", "test style", 120.0, 4, 4, "synth")
    main = beat.pattern("main")
    assert main.steps == 16 and main.steps_per_beat == 4 and main.swing == 0.25
    assert list(main.voices) == ["kick", "snare", "hat_closed", "shaker"]  # VOICES order
    assert main.voices["kick"].velocities == (100, 0, 0, 0, 0, 0, 100, 0, 100, 0, 0, 0, 0, 0, 0, 0)
    assert main.voices["snare"].velocities[4] == 127 and main.voices["snare"].velocities[15] == 50
    hats = main.voices["hat_closed"]
    assert hats.velocities[:9] == tuple(STEP_CHARS[str(d)] for d in range(1, 10))
    assert (hats.level, hats.pan, hats.mute) == (0.5, -0.25, False)
    assert main.voices["shaker"].velocities[-1] == 127
    assert main.bass == BassLine(notes=(BassNote(0, 24, 4, 100, False),
                                        BassNote(4, 31, 2, 90, True)), level=0.75)
    assert [s.name for s in beat.arrangement] == ["verse", "my own part"]
    assert beat.section_tempos() == (120.0, 60.0)
    assert beat.bars == 3
    assert beat.seconds == pytest.approx(2 * 2.0 + 4.0)


def test_digits_spread_velocity_up_to_127() -> None:
    assert [STEP_CHARS[str(d)] for d in range(1, 10)] == [14, 28, 42, 56, 71, 85, 99, 113, 127]


def test_note_names() -> None:
    assert parse_note_name("C4") == 60 and parse_note_name("A4") == 69
    assert parse_note_name("C1") == 24 and parse_note_name("F#1") == 30
    assert parse_note_name("Bb0") == 22 and parse_note_name("c-1") == 0
    assert parse_note_name("H2") is None and parse_note_name("C99") is None
    for pitch in range(128):
        assert parse_note_name(note_name(pitch)) == pitch


def _swap(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


BAD = {
    "syntax": (_swap('tempo = 120', 'tempo = = 120'), "can't be read"),
    "unknown top key": (_swap('tempo = 120', 'tempo = 120\ncolour = "red"'), "'colour'"),
    "missing description": (GOOD.replace('[description]\nnb = "En test."\nen = "A test."', ""),
                            "missing 'description'"),
    "unknown voice": (_swap('kick = "x', 'kik = "x'), "'kik'"),
    "velocity too high": (_swap("0, 127]", "0, 128]"), "between 0 and 127"),
    "velocity not whole": (_swap("0, 127]", "0, 12.5]"), "whole number"),
    "step count": (_swap('kick = "x... ..x. x... ...."', 'kick = "x... ..x. x... ..."'),
                   "15 steps, but the pattern has 16"),
    "bad step char": (_swap('kick = "x... ..x.', 'kick = "x... ..q.'), "'q'"),
    "unknown pattern": (_swap('bars = 2\npattern = "main"', 'bars = 2\npattern = "nope"'),
                        "'nope'"),
    "tempo nan": (_swap("tempo = 120", "tempo = nan"), "ordinary number"),
    "tempo inf": (_swap("tempo = 120", "tempo = inf"), "ordinary number"),
    "tempo bool": (_swap("tempo = 120", "tempo = true"), "must be a number"),
    "tempo too fast": (_swap("tempo = 120", "tempo = 500"), "between 20 and 400"),
    "section tempo nan": (_swap("tempo = 60", "tempo = -nan"), "ordinary number"),
    "swing too much": (_swap("swing = 0.25", "swing = 0.9"), "between 0 and 0.75"),
    "level nan": (_swap("level = 0.5", "level = nan"), "ordinary number"),
    "pan too far": (_swap("pan = -0.25", "pan = -2"), "between -1 and 1"),
    "steps not whole": (_swap("steps = 16", "steps = 16.0"), "whole number"),
    "no steps": (_swap("steps = 16\n", ""), "missing 'steps'"),
    "bad note": (_swap('note = "C1"', 'note = "H1"'), "not a note"),
    "note out of range": (_swap("note = 31", "note = 128"), "not a note"),
    "bass step past the end": (_swap("step = 5,", "step = 17,"), "between 1 and 16"),
    "two notes on a step": (_swap("step = 5,", "step = 1,"), "two bass notes start on step 1"),
    "bad time signature": (_swap('"4/4"', '"4/5"'), "time signature"),
    "duplicate pattern": (GOOD.replace("[[section]]", '[[pattern]]\nname = "main"\nsteps = 4\n\n'
                                       "[[section]]", 1), "two patterns called 'main'"),
    "no sections": (GOOD[:GOOD.index("[[section]]")], "no sections"),
    "no patterns": (GOOD[:GOOD.index("[[pattern]]")] + GOOD[GOOD.index("[[section]]"):],
                    "no patterns"),
    "empty name": (_swap('name = "test"', 'name = "  "'), "'name' must be text"),
    "voices not a table": (_swap("[pattern.voices]", "[[pattern.voices]]"),
                           "'voices' must be a table"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_every_bad_file_gets_plain_words_naming_the_file(case: str) -> None:
    text, expected = BAD[case]
    with pytest.raises(StudioError) as caught:
        parse_beat(text, "bad.toml")
    error = caught.value
    english, norwegian = error.say("en"), error.say("nb")
    assert "bad.toml" in english and "bad.toml" in norwegian
    assert expected in english, english
    assert english != norwegian
    assert "Traceback" not in english and "{" not in english and "{" not in norwegian


def test_errors_say_where_in_the_file() -> None:
    with pytest.raises(StudioError) as caught:
        parse_beat(_swap("0, 127]", "0, 300]"), "bad.toml")
    assert "pattern 'main'" in caught.value.say("en") and "shaker" in caught.value.say("en")
    assert "step 16" in caught.value.say("en") and "steg 16" in caught.value.say("nb")


def test_validate_beat_checks_a_beat_made_in_code() -> None:
    beat = beat_from()
    assert validate_beat(beat) == beat
    broken_lane = VoiceLane(velocities=(200,) + (0,) * 15)
    main = beat.pattern("main")
    broken = replace(beat, patterns=(replace(main, voices={**main.voices, "kick": broken_lane}),))
    with pytest.raises(StudioError):
        validate_beat(broken)
    with pytest.raises(StudioError):
        validate_beat(replace(beat, tempo=float("nan")))
    with pytest.raises(StudioError):
        validate_beat(replace(beat, description=Words(nb="", en="x")))


def test_the_writer_keeps_odd_text_and_exact_velocities() -> None:
    beat = beat_from()
    odd = replace(beat, name='quote " back \\ tab \t del \x7f', style="æøå 🥁",
                  description=Words(nb="linje\nto", en="line\ntwo"))
    assert parse_beat(dump_beat(odd), "odd") == odd
    assert "= [0, 10, 0, 20" in dump_beat(beat)  # not expressible as characters


def test_with_tempo_and_with_muted() -> None:
    beat = beat_from()
    faster = beat.with_tempo(150)
    assert faster.section_tempos() == (150.0, 75.0)
    muted = beat.with_muted("kick", "bass")
    assert muted.pattern("main").voices["kick"].mute
    bass = muted.pattern("main").bass
    assert bass is not None and bass.mute
    assert not muted.pattern("main").voices["snare"].mute


def test_every_voice_has_plain_words() -> None:
    assert set(VOICE_WORDS) == set(VOICES)


# --- the timeline --------------------------------------------------------------------------------

SR = 48000


def simple_beat(tempo: float = 93.0, swing: float = 0.0, per_beat: int = 4, steps: int = 16,
                sections: tuple[Section, ...] | None = None) -> Beat:
    every = VoiceLane(velocities=(100,) * steps)
    pattern = Pattern("p", steps, per_beat, swing, {"hat_closed": every},
                      BassLine((BassNote(0, 36, 4),)))
    return Beat("t", "t", Words("t", "t"), tempo, (pattern,),
                sections or (Section("verse", 4, "p"),))


def test_whole_beats_land_where_the_timebase_says() -> None:
    beat = simple_beat(tempo=93.0)
    timeline = BeatTimeline(beat, SR)
    hits = timeline.events(0, timeline.length_frames or 0).hits
    tb = Timebase(SR, 93.0)
    on_beats = [h.frame for h in hits][::4]
    assert on_beats == [tb.beat_to_frame(b) for b in range(16)]
    assert timeline.length_frames == tb.bars_to_frames(4)
    assert timeline.bar_frame(3) == tb.bar_to_frame(3)


def test_steps_come_from_the_step_index_not_from_adding_lengths() -> None:
    beat = simple_beat(tempo=97.0, sections=(Section("verse", 999, "p"),))
    timeline = BeatTimeline(beat, 44100)
    fpb = 44100 * 60.0 / 97.0
    step = 999 * 16 - 1
    span = timeline.spans[0]
    assert span.step_frame(step) == round(step / 4 * fpb)
    (hit,) = timeline.events(span.step_frame(step), 1).hits
    assert hit.frame == round(step / 4 * fpb)


def test_swing_delays_off_beat_steps_only() -> None:
    timeline = BeatTimeline(simple_beat(tempo=120.0, swing=0.5), SR)
    frames = [h.frame for h in timeline.events(0, SR * 2).hits]
    step = SR * 60 / 120 / 4  # 6000 frames
    assert frames[:4] == [0, round(1.5 * step), round(2 * step), round(3.5 * step)]


def test_triplet_grids_and_no_swing_on_them() -> None:
    timeline = BeatTimeline(simple_beat(tempo=100.0, swing=0.5, per_beat=3, steps=12), SR)
    fpb = SR * 60 / 100
    frames = [h.frame for h in timeline.events(0, round(fpb * 2)).hits]
    assert frames == [round(i / 3 * fpb) for i in range(6)]


def test_a_tempo_change_moves_nothing_before_it() -> None:
    sections = (Section("verse", 2, "p"), Section("hook", 2, "p", tempo=140.0),
                Section("outro", 1, "p"))
    changed = BeatTimeline(simple_beat(tempo=90.0, sections=sections), SR)
    steady = BeatTimeline(simple_beat(tempo=90.0), SR)
    boundary = Timebase(SR, 90.0).bars_to_frames(2)
    assert changed.events(0, boundary) == steady.events(0, boundary)
    hook = changed.spans[1]
    assert hook.start_frame == boundary and hook.tempo == 140.0
    fpb = SR * 60 / 140
    hits = changed.events(boundary, SR * 10).hits
    assert [h.frame for h in hits[:5]] == [boundary + round(i / 4 * fpb) for i in range(5)]
    assert changed.spans[2].tempo == 140.0  # a change holds until the next one
    assert changed.length_frames == boundary + round(12 * fpb)


def test_bass_events_have_lengths_in_frames() -> None:
    timeline = BeatTimeline(simple_beat(tempo=120.0), SR)
    bass = timeline.events(0, SR * 2).bass
    assert [(b.frame, b.length, b.pitch) for b in bass] == [(0, SR // 2, 36)]
    assert timeline.events(0, SR * 2 + 1).bass[-1].frame == SR * 2


def test_muted_lanes_and_bass_are_silent() -> None:
    beat = simple_beat().with_muted("hat_closed", "bass")
    timeline = BeatTimeline(beat, SR)
    assert timeline.events(0, 10 * SR) == timeline.events(0, 0)


def test_bars_cut_or_repeat_the_arrangement_and_patterns_loop() -> None:
    beat = beat_from()  # 2 bars at 120 then 1 bar at 60
    cut = BeatTimeline(beat, SR, bars=1)
    assert cut.length_frames == 2 * SR
    repeated = BeatTimeline(beat, SR, bars=6)
    assert [s.name for s in repeated.spans] == ["verse", "my own part", "verse", "my own part"]
    assert [s.tempo for s in repeated.spans] == [120.0, 60.0, 120.0, 60.0]
    assert repeated.length_frames == 2 * (4 * SR + 4 * SR)
    looped = BeatTimeline(beat, SR, pattern="main")
    assert looped.length_frames is None
    far = 10**9
    late = looped.events(far, SR).hits
    assert late and all(far <= h.frame < far + SR for h in late)
    with pytest.raises(KeyError):
        BeatTimeline(beat, SR, pattern="nope")


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=40 * SR), max_size=12),
       start=st.integers(min_value=-SR, max_value=5 * SR))
def test_events_do_not_depend_on_how_the_range_is_split(cuts: list[int], start: int) -> None:
    timeline = BeatTimeline(beat_from(), SR, bars=9)
    end = start + 40 * SR
    points = sorted({start, end, *(start + c for c in cuts)})
    hits: list[DrumHit] = []
    bass: list[BassEvent] = []
    for a, b in itertools.pairwise(points):
        part = timeline.events(a, b - a)
        hits += part.hits
        bass += part.bass
    whole = timeline.events(start, end - start)
    assert tuple(hits) == whole.hits and tuple(bass) == whole.bass
