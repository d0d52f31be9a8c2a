from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.meters import CLIP, PEAK, PEAK_MAX, RMS, MeterBank, to_dbfs
from tests.audio.allocation import peak_allocation

SR = 48000
Audio = npt.NDArray[np.float32]


def sine(amplitude: float, hz: float, seconds: float, channels: int = 1) -> Audio:
    t = np.arange(round(seconds * SR)) / SR
    wave = amplitude * np.sin(2 * np.pi * hz * t)
    return np.repeat(wave[:, None], channels, axis=1).astype(np.float32)


def feed(bank: MeterBank, audio: Audio, sizes: list[int] | None = None) -> None:
    if sizes is None:
        bank.update_rt(audio)
        return
    done = 0
    i = 0
    while done < len(audio):
        n = sizes[i % len(sizes)]
        bank.update_rt(audio[done : done + n])
        done += n
        i += 1


def test_to_dbfs() -> None:
    assert to_dbfs(1.0) == 0.0
    assert to_dbfs(0.5) == pytest.approx(-6.0206, abs=1e-3)
    assert to_dbfs(-0.5) == pytest.approx(-6.0206, abs=1e-3)
    assert to_dbfs(0.0) == -120.0
    assert to_dbfs(1e-9) == -120.0
    assert to_dbfs(float("nan")) == -120.0
    assert to_dbfs(float("inf")) == math.inf
    assert to_dbfs(0.0, floor=-90.0) == -90.0


def test_sine_reads_right_peak_and_rms() -> None:
    bank = MeterBank(2, SR)
    audio = sine(0.5, 1000.0, 2.0, channels=2)
    audio[:, 1] *= 0.1
    feed(bank, audio, [256])
    out = bank.out
    assert out[0, PEAK] == pytest.approx(0.5, rel=2e-3)
    assert out[0, RMS] == pytest.approx(0.5 / math.sqrt(2), rel=5e-3)
    assert to_dbfs(out[0, PEAK]) - to_dbfs(out[0, RMS]) == pytest.approx(3.01, abs=0.05)
    assert out[1, PEAK] == pytest.approx(0.05, rel=2e-3)
    assert to_dbfs(out[1, RMS]) == pytest.approx(to_dbfs(0.05) - 3.01, abs=0.05)
    assert out[0, PEAK_MAX] == pytest.approx(0.5, rel=1e-4)
    assert out[0, CLIP] == 0.0


def test_peak_falls_20_db_per_second_and_rms_follows() -> None:
    bank = MeterBank(1, SR)
    feed(bank, sine(0.5, 1000.0, 1.0), [480])
    peak_before = to_dbfs(bank.out[0, PEAK])
    feed(bank, np.zeros((SR, 1), dtype=np.float32), [480])
    assert to_dbfs(bank.out[0, PEAK]) == pytest.approx(peak_before - 20.0, abs=0.05)
    # The mean square falls by e**(-1 / 0.3) in one second: 14.5 dB.
    rms_drop = to_dbfs(0.5 / math.sqrt(2)) - to_dbfs(bank.out[0, RMS])
    assert rms_drop == pytest.approx(10 * math.log10(math.e) / 0.3, abs=0.2)
    assert bank.out[0, PEAK_MAX] == pytest.approx(0.5, rel=1e-4)


def test_rms_settles_in_about_300_ms() -> None:
    bank = MeterBank(1, SR)
    feed(bank, sine(0.5, 1000.0, 0.3), [128])
    reading = bank.out[0, RMS] ** 2 / (0.5**2 / 2)
    assert reading == pytest.approx(1 - math.exp(-1), abs=0.02)


def test_clip_holds_for_two_seconds_then_releases() -> None:
    bank = MeterBank(2, SR)
    hit = np.zeros((65, 2), dtype=np.float32)
    hit[0, 0] = 1.0  # one clipping sample on the left, first frame of the block
    bank.update_rt(hit)
    assert bank.out[0, CLIP] == 1.0
    assert bank.out[1, CLIP] == 0.0
    silence = np.zeros((2 * SR, 2), dtype=np.float32)
    # 2 s after the sample = 2 * SR frames after it; 64 of those came in the first block.
    feed(bank, silence[: 2 * SR - 1 - 64], [65, 1, 333])
    assert bank.out[0, CLIP] == 1.0
    bank.update_rt(silence[:1])
    assert bank.out[0, CLIP] == 0.0
    assert bank.out[0, PEAK_MAX] == 1.0


def test_clip_threshold_and_negative_samples() -> None:
    bank = MeterBank(1, SR)
    bank.update_rt(np.full((10, 1), 0.998, dtype=np.float32))
    assert bank.out[0, CLIP] == 0.0
    bank.update_rt(np.full((1, 1), -0.9995, dtype=np.float32))
    assert bank.out[0, CLIP] == 1.0


def test_reset_clip_clears_clip_and_max() -> None:
    bank = MeterBank(1, SR)
    bank.update_rt(np.full((100, 1), 1.0, dtype=np.float32))
    assert bank.out[0, CLIP] == 1.0 and bank.out[0, PEAK_MAX] == 1.0
    bank.reset_clip()
    assert bank.out[0, CLIP] == 0.0 and bank.out[0, PEAK_MAX] == 0.0
    bank.update_rt(np.full((100, 1), 0.25, dtype=np.float32))
    assert bank.out[0, CLIP] == 0.0
    assert bank.out[0, PEAK_MAX] == pytest.approx(0.25)
    bank.reset()
    assert np.all(bank.out == 0.0)


def test_readings_do_not_depend_on_block_size() -> None:
    rng = np.random.default_rng(7)
    audio = (0.2 * rng.standard_normal((3 * SR, 2))).astype(np.float32)
    audio += sine(0.3, 220.0, 3.0, channels=2)
    audio[SR : SR + 50] = 1.0  # clipping burst
    audio[2 * SR :] *= 0.01  # then quiet, so peak and rms are falling
    one = MeterBank(2, SR)
    feed(one, audio)
    for sizes in ([1, 65, 7, 1024, 333], [4096], [2049, 3]):
        other = MeterBank(2, SR)
        feed(other, audio, sizes)
        np.testing.assert_allclose(other.out, one.out, rtol=1e-9, atol=1e-12)


def test_zero_frames_change_nothing() -> None:
    bank = MeterBank(2, SR)
    bank.update_rt(sine(0.5, 1000.0, 0.1, channels=2))
    before = bank.out.copy()
    bank.update_rt(np.zeros((0, 2), dtype=np.float32))
    np.testing.assert_array_equal(bank.out, before)


def test_writes_into_given_array() -> None:
    shared = np.zeros((3, 2, 4), dtype=np.float64)  # as if several banks shared one region
    bank = MeterBank(2, SR, out=shared[1])
    bank.update_rt(np.full((10, 2), 0.5, dtype=np.float32))
    assert shared[1, 0, PEAK] == pytest.approx(0.5)
    assert np.all(shared[0] == 0.0) and np.all(shared[2] == 0.0)
    with pytest.raises(ValueError):
        MeterBank(2, SR, out=np.zeros((2, 3)))
    with pytest.raises(ValueError):
        MeterBank(2, SR, out=np.zeros((2, 4), dtype=np.float32))


def test_update_allocates_no_arrays() -> None:
    bank = MeterBank(2, SR)
    rng = np.random.default_rng(1)
    audio = (0.5 * rng.standard_normal((4096, 2))).astype(np.float32)

    def step(i: int) -> None:
        bank.update_rt(audio[: 4096 - (i % 9) * 65])

    for i in range(20):
        step(i)
    net, peak = peak_allocation(step, 300)
    assert net < 1024
    assert peak < 4096  # an array temporary of one block would be >= 32 KiB
