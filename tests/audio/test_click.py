from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.click import CLICK_SECONDS, Metronome, click_sound
from tests.audio.allocation import peak_allocation

SR = 48000
Audio = npt.NDArray[np.float32]


def render(
    metronome: Metronome, start: int, frames: int, sizes: Iterator[int] | None = None
) -> Audio:
    """Mix [start, start + frames) in one call, or in blocks of the given sizes."""
    out = np.zeros((frames, metronome.channels), dtype=np.float32)
    if sizes is None:
        metronome.mix_rt(out, start, frames)
        return out
    done = 0
    while done < frames:
        n = min(next(sizes), frames - done)
        metronome.mix_rt(out[done:], start + done, n)
        done += n
    return out


def random_sizes(seed: int, most: int) -> Iterator[int]:
    rng = np.random.default_rng(seed)
    fixed = [1, 65, 7, 128, 3, 2, 511]
    i = 0
    while True:
        yield fixed[i] if i < len(fixed) else int(rng.integers(1, most + 1))
        i += 1


def test_click_sound_is_short_and_ends_in_silence() -> None:
    sound = click_sound(SR, 1320.0, 0.6)
    assert len(sound) == round(CLICK_SECONDS * SR)
    assert 0.025 <= len(sound) / SR <= 0.045
    assert sound[0] != 0.0
    assert sound[-1] == 0.0
    assert np.max(np.abs(sound)) == pytest.approx(0.6)
    # Fast decay: the last quarter is more than 30 dB below the peak.
    tail = np.max(np.abs(sound[3 * len(sound) // 4 :]))
    assert 20 * np.log10(tail / 0.6) < -30


def test_first_sample_lands_exactly_on_each_beat() -> None:
    metronome = Metronome(SR, 2, frames_per_beat=24000.0, beats_per_bar=4, level=0.5)
    out = render(metronome, 0, 4 * 24000)
    length = metronome.click_frames
    accent = click_sound(SR, 1760.0, 1.0).astype(np.float32) * np.float32(0.5)
    normal = click_sound(SR, 1320.0, 0.6).astype(np.float32) * np.float32(0.5)
    np.testing.assert_allclose(out[:length, 0], accent, atol=1e-6)
    np.testing.assert_allclose(out[:length, 1], accent, atol=1e-6)
    for beat in (1, 2, 3):
        onset = beat * 24000
        assert np.all(out[onset - 100 : onset] == 0.0)
        assert np.all(out[onset] != 0.0)
        np.testing.assert_allclose(out[onset : onset + length, 0], normal, atol=1e-6)
    assert np.all(out[length:24000] == 0.0)


def test_fractional_tempo_uses_rounded_beat_frames() -> None:
    fpb = SR * 60.0 / 97.0  # 29690.72… frames per beat
    metronome = Metronome(SR, 1, frames_per_beat=fpb, beats_per_bar=3)
    out = render(metronome, 0, 10 * 30000)
    for beat in range(10):
        onset = round(beat * fpb)
        assert onset == metronome.beat_frame(beat)
        assert out[onset, 0] != 0.0
        if onset > 0:
            assert out[onset - 1, 0] == 0.0


def test_accent_on_first_beat_of_bar_including_count_in() -> None:
    metronome = Metronome(SR, 1, frames_per_beat=12000.0, beats_per_bar=4, level=1.0)
    start = -8 * 12000  # two bars of count-in
    out = render(metronome, start, 12 * 12000)
    length = metronome.click_frames
    for beat in range(-8, 4):
        onset = beat * 12000 - start
        peak = np.max(np.abs(out[onset : onset + length, 0]))
        expected = 1.0 if beat % 4 == 0 else 0.6
        assert peak == pytest.approx(expected, rel=1e-5), beat


@pytest.mark.parametrize("fpb", [24000.0, 29690.721649, 100.0, 1000.5])
def test_one_call_equals_many_blocks(fpb: float) -> None:
    metronome = Metronome(SR, 2, frames_per_beat=fpb, beats_per_bar=4, level=0.7)
    start = -round(2.5 * fpb) - 17
    frames = round(7 * fpb) + 1234
    whole = render(metronome, start, frames)
    assert np.any(whole != 0.0)
    for seed in range(3):
        split = render(metronome, start, frames, random_sizes(seed, 700))
        np.testing.assert_array_equal(whole, split)


def test_a_range_starting_mid_click_gets_the_rest_of_it() -> None:
    metronome = Metronome(SR, 1, frames_per_beat=24000.0, beats_per_bar=4)
    whole = render(metronome, -100, 2000)
    part = render(metronome, 500, 1400)  # starts inside the first click
    np.testing.assert_array_equal(whole[600:], part)


def test_mix_adds_into_out() -> None:
    metronome = Metronome(SR, 2, frames_per_beat=24000.0, beats_per_bar=4)
    out = np.full((256, 2), 0.25, dtype=np.float32)
    metronome.mix_rt(out, 0, 256)
    clicks = render(metronome, 0, 256)
    np.testing.assert_allclose(out, clicks + np.float32(0.25), atol=1e-7)


def test_mix_touches_only_first_n_frames() -> None:
    metronome = Metronome(SR, 1, frames_per_beat=24000.0, beats_per_bar=4)
    out = np.zeros((512, 1), dtype=np.float32)
    metronome.mix_rt(out, 0, 100)
    assert np.any(out[:100] != 0.0)
    assert np.all(out[100:] == 0.0)


def test_level_and_tempo_changes() -> None:
    metronome = Metronome(SR, 1, frames_per_beat=24000.0, beats_per_bar=4, level=0.5)
    loud = render(metronome, 0, 2000)
    metronome.set_level(0.25)
    assert metronome.level == 0.25
    np.testing.assert_allclose(render(metronome, 0, 2000), loud / 2, atol=1e-7)
    metronome.set_level(0.0)
    assert np.all(render(metronome, 0, 48000) == 0.0)
    metronome.set_level(5.0)  # clamped to full level
    assert metronome.level == 1.0
    metronome.set_tempo(12000.0, 3)
    out = render(metronome, 0, 48000)
    assert out[12000, 0] != 0.0 and out[11999, 0] == 0.0
    with pytest.raises(ValueError):
        metronome.set_tempo(0.0, 4)
    with pytest.raises(ValueError):
        metronome.set_tempo(24000.0, 0)


def test_mix_allocates_no_arrays() -> None:
    metronome = Metronome(SR, 2, frames_per_beat=2000.0, beats_per_bar=4)
    n = 2048
    out = np.zeros((n, 2), dtype=np.float32)

    def step(i: int) -> None:
        metronome.mix_rt(out, -10000 + i * 1001, n - (i % 7) * 65)

    for i in range(50):
        step(i)
    net, peak = peak_allocation(step, 2000)
    assert net < 1024
    assert peak < 4096  # an array temporary of one block would be >= 16 KiB


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError):
        Metronome(0, 2, 24000.0, 4)
    with pytest.raises(ValueError):
        Metronome(SR, 2, float("nan"), 4)
