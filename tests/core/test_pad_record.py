"""Recording pad hits into a looping pattern: quantise, grids, swing and the loop's wrap."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.beat import Beat, Pattern, Section, VoiceLane
from studio.core.beat_timeline import BeatTimeline
from studio.core.i18n import StudioError, Words
from studio.core.pad_record import GRIDS, LoopClock, PadHit, Quantise, place_hit, record_hits

SR = 48000


def pattern(steps: int = 16, per_beat: int = 4, swing: float = 0.0) -> Pattern:
    return Pattern("verse", steps, per_beat, swing,
                   {"kick": VoiceLane(tuple([100] + [0] * (steps - 1)), level=0.8, pan=-0.2)})


def clock(tempo: float = 90.0, start: int = 0) -> LoopClock:
    return LoopClock(start_frame=start, tempo=tempo, samplerate=SR)


def step_frame(p: Pattern, c: LoopClock, n: int) -> int:
    """Where step ``n`` (counted across passes) sounds, as the beat timeline plays the loop."""
    beat = Beat("b", "x", Words("", ""), c.tempo, (p,), (Section("verse", 1, p.name),))
    timeline = BeatTimeline(beat, c.samplerate, pattern=p.name)
    return c.start_frame + timeline.spans[0].step_frame(n)


def test_a_hit_near_a_step_goes_to_that_step() -> None:
    p, c = pattern(), clock()
    sixteenth = c.frames_per_beat / 4
    for step in range(16):
        for late in (-0.4, -0.1, 0.0, 0.2, 0.45):
            frame = round((step + late) * sixteenth)
            placed = place_hit(p, c, frame, Quantise())
            assert placed.step == step % 16 and placed.grid_kept
            assert placed.frame == step_frame(p, c, step)


def test_the_loop_wraps_a_late_hit_to_step_zero_and_any_pass_counts() -> None:
    p, c = pattern(), clock(start=1000)
    bar = 4 * c.frames_per_beat
    end = round(c.start_frame + bar)
    assert place_hit(p, c, end - 200, Quantise()).step == 0
    assert place_hit(p, c, end - 200, Quantise()).frame == round(c.start_frame + bar)
    for passes in (1, 2, 7):
        frame = round(c.start_frame + passes * bar + 5 * c.frames_per_beat / 4 + 30)
        assert place_hit(p, c, frame, Quantise()).step == 5
    assert place_hit(p, c, c.start_frame - 10, Quantise()).step == 0  # before the loop began
    assert place_hit(p, c, round(c.start_frame - c.frames_per_beat), Quantise()).step == 12


def test_coarser_grids_allow_only_their_steps() -> None:
    p, c = pattern(), clock()
    sixteenth = c.frames_per_beat / 4
    hit = round(3 * sixteenth)  # on the fourth sixteenth
    assert place_hit(p, c, hit, Quantise(grid="1/16")).step == 3
    assert place_hit(p, c, hit, Quantise(grid="1/8")).step in (2, 4)
    assert place_hit(p, c, round(3.2 * sixteenth), Quantise(grid="1/8")).step == 4
    assert place_hit(p, c, round(1.9 * sixteenth), Quantise(grid="1/4")).step == 0
    assert place_hit(p, c, round(2.1 * sixteenth), Quantise(grid="1/4")).step == 4
    assert place_hit(p, c, round(14.5 * sixteenth), Quantise(grid="1/4")).step == 0  # wraps


def test_a_grid_the_steps_cannot_show_falls_back_to_every_step() -> None:
    p, c = pattern(), clock()
    sixteenth = c.frames_per_beat / 4
    for grid in ("1/32", "1/8T", "1/16T"):
        placed = place_hit(p, c, round(5.3 * sixteenth), Quantise(grid=grid))
        assert placed.step == 5 and not placed.grid_kept
    off = place_hit(p, c, round(5.3 * sixteenth), Quantise(on=False))
    assert off.step == 5 and off.grid_kept


def test_triplet_grids_on_a_triplet_pattern() -> None:
    p, c = pattern(steps=12, per_beat=3), clock()
    third = c.frames_per_beat / 3
    assert place_hit(p, c, round(4.3 * third), Quantise(grid="1/8T")).step == 4
    assert place_hit(p, c, round(4.3 * third), Quantise(grid="1/4")).step == 3
    p6 = pattern(steps=24, per_beat=6)
    assert place_hit(p6, c, round(4.3 * third), Quantise(grid="1/8T")).step == 8
    assert place_hit(p6, c, round(4.3 * third), Quantise(grid="1/16T")).step == 9


def test_swing_moves_the_odd_steps_and_the_hits_follow() -> None:
    p, c = pattern(swing=0.5), clock()
    sixteenth = c.frames_per_beat / 4
    # step 1 sounds at 1.5 sixteenths: a hit at 1.4 belongs to it, one at 0.7 too, 0.6 to step 0
    assert place_hit(p, c, round(1.4 * sixteenth), Quantise()).step == 1
    assert place_hit(p, c, round(0.8 * sixteenth), Quantise()).step == 1
    assert place_hit(p, c, round(0.7 * sixteenth), Quantise()).step == 0
    assert place_hit(p, c, round(1.9 * sixteenth), Quantise()).step == 2
    assert place_hit(p, c, round(1.4 * sixteenth), Quantise()).frame == step_frame(p, c, 1)
    # on a 1/8 grid only even steps are allowed, swing or not
    assert place_hit(p, c, round(1.4 * sixteenth), Quantise(grid="1/8")).step == 2


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([(16, 4), (32, 4), (12, 3), (24, 6), (32, 8), (8, 2)]),
       st.floats(40, 240), st.sampled_from([0.0, 0.12, 0.3, 0.6, 0.75]),
       st.integers(-10**6, 10**6), st.integers(0, 400), st.integers(-40, 40))
def test_a_hit_on_a_step_as_it_plays_lands_on_that_step(
        shape: tuple[int, int], tempo: float, swing: float, start: int, n: int,
        nudge: int) -> None:
    steps, per_beat = shape
    p, c = pattern(steps, per_beat, swing), clock(tempo, start)
    frame = step_frame(p, c, n)
    placed = place_hit(p, c, frame + nudge, Quantise(on=False))
    assert placed.step == n % steps and placed.frame == frame


def test_recording_writes_velocities_and_adds_voices() -> None:
    p, c = pattern(), clock()
    sixteenth = c.frames_per_beat / 4
    hits = [PadHit(round(4 * sixteenth + 50), "snare", 90),
            PadHit(round(12 * sixteenth - 80), "snare", 200),
            PadHit(round(16 * sixteenth + 4 * sixteenth - 30), "snare", 60),  # next pass, step 4
            PadHit(round(2 * sixteenth), "kick", 0),
            PadHit(round(15.8 * sixteenth), "hat_open", 70)]  # wraps to step 0
    new, placed = record_hits(p, c, hits, Quantise())
    assert [x.step for x in placed] == [4, 12, 4, 2, 0]
    snare = new.voices["snare"].velocities
    assert snare[4] == 60 and snare[12] == 127 and sum(1 for v in snare if v) == 2
    kick = new.voices["kick"]
    assert kick.velocities[:3] == (100, 0, 1) and kick.level == 0.8 and kick.pan == -0.2
    assert new.voices["hat_open"].velocities[0] == 70
    assert list(new.voices) == ["kick", "snare", "hat_open"]  # the kit's order
    assert p.voices["kick"].velocities[2] == 0  # the old pattern is untouched


def test_bad_grids_and_voices_get_plain_words() -> None:
    with pytest.raises(StudioError) as bad_grid:
        Quantise(grid="1/5")
    assert "1/16" in bad_grid.value.say("en") and bad_grid.value.say("nb")
    with pytest.raises(StudioError) as bad_voice:
        record_hits(pattern(), clock(), [PadHit(0, "banjo", 100)], Quantise())
    assert "banjo" in bad_voice.value.say("en")
    assert set(GRIDS) == {"1/4", "1/8", "1/16", "1/32", "1/8T", "1/16T"}
