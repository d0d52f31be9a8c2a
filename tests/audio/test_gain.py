from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.gain import SmoothedGain, constant_power_pan
from tests.audio.allocation import peak_allocation

Audio = npt.NDArray[np.float32]
ODD_SIZES = [65, 1, 33, 127, 7, 256, 3]


def run(
    gain: SmoothedGain,
    src: Audio,
    sizes: list[int],
    events: dict[int, float] | None = None,
    add: bool = False,
) -> Audio:
    """Process ``src`` in blocks; ``events`` maps a frame to a new target set before it."""
    events = events or {}
    dst = np.zeros_like(src) if add else np.full_like(src, np.nan)
    done = 0
    i = 0
    cuts = sorted(events)
    while done < len(src):
        if done in events:
            gain.set_target(events[done])
        n = min(sizes[i % len(sizes)], len(src) - done, gain.max_frames)
        later = [c for c in cuts if c > done]
        if later:
            n = min(n, later[0] - done)  # targets change between blocks, as in the engine
        if add:
            gain.add_rt(src[done:], dst[done:], n)
        else:
            gain.apply_rt(src[done:], dst[done:], n)
        done += n
        i += 1
    return dst


def ones(frames: int, channels: int = 2) -> Audio:
    return np.ones((frames, channels), dtype=np.float32)


def test_pan_is_constant_power_and_minus_3_db_in_the_centre() -> None:
    left, right = constant_power_pan(0.0)
    assert left == pytest.approx(math.sqrt(0.5)) and right == pytest.approx(math.sqrt(0.5))
    assert 20 * math.log10(left) == pytest.approx(-3.01, abs=0.01)
    assert constant_power_pan(-1.0) == pytest.approx((1.0, 0.0))
    assert constant_power_pan(1.0) == pytest.approx((0.0, 1.0))
    for pan in np.linspace(-1, 1, 21):
        left, right = constant_power_pan(float(pan))
        assert left**2 + right**2 == pytest.approx(1.0)
    assert constant_power_pan(3.0) == constant_power_pan(1.0)
    assert constant_power_pan(-3.0) == constant_power_pan(-1.0)
    assert constant_power_pan(float("nan")) == constant_power_pan(0.0)


def test_ramp_has_no_step_and_reaches_target_exactly() -> None:
    ramp = 480
    gain = SmoothedGain(256, 2, ramp_frames=ramp, initial=1.0)
    out = run(gain, ones(2000), ODD_SIZES, {0: 0.25})
    curve = out[:, 0].astype(np.float64)
    slope = 0.75 / ramp
    steps = np.abs(np.diff(np.concatenate([[1.0], curve])))
    assert np.max(steps) <= slope + 2e-7  # float32 rounding of the output
    assert curve[ramp - 1] == np.float32(0.25)
    assert curve[ramp - 2] != np.float32(0.25)
    assert np.all(curve[ramp - 1 :] == np.float32(0.25))
    assert gain.current == 0.25
    assert not gain.ramping
    np.testing.assert_array_equal(out[:, 0], out[:, 1])


def test_new_target_mid_ramp_starts_from_where_it_is() -> None:
    gain = SmoothedGain(128, 1, ramp_frames=400, initial=0.0)
    out = run(gain, ones(1500, 1), ODD_SIZES, {0: 1.0, 200: 0.2})
    curve = np.concatenate([[0.0], out[:, 0].astype(np.float64)])
    # Fastest possible slope: from 0.5 down to 0.2 over 400 frames, or 0 to 1 over 400.
    assert np.max(np.abs(np.diff(curve))) <= 1.0 / 400 + 2e-7
    assert curve[200] == pytest.approx(0.5, abs=1e-6)
    assert curve[600] == np.float32(0.2)
    assert gain.current == pytest.approx(0.2)


def test_output_does_not_depend_on_block_size() -> None:
    rng = np.random.default_rng(3)
    src = rng.standard_normal((5000, 2)).astype(np.float32)
    events = {0: 0.5, 700: 1.3, 900: 0.0, 3000: 1.0}
    reference = run(SmoothedGain(512, 2, 441), src, [512], events)
    for sizes in ([1], [65, 7, 3], [511, 2], [100]):
        other = run(SmoothedGain(512, 2, 441), src, sizes, events)
        np.testing.assert_array_equal(other, reference)
    added = run(SmoothedGain(512, 2, 441), src, [65, 7, 3], events, add=True)
    np.testing.assert_array_equal(added, reference)


def test_add_adds_and_apply_works_in_place() -> None:
    gain = SmoothedGain(64, 2, ramp_frames=10, initial=0.5)
    src = ones(64)
    dst = np.full((64, 2), 2.0, dtype=np.float32)
    gain.add_rt(src, dst, 64)
    np.testing.assert_array_equal(dst, np.full((64, 2), 2.5, dtype=np.float32))
    buffer = np.full((64, 2), 4.0, dtype=np.float32)
    gain.apply_rt(buffer, buffer, 32)
    assert np.all(buffer[:32] == 2.0) and np.all(buffer[32:] == 4.0)


def test_unity_and_zero_fast_paths() -> None:
    gain = SmoothedGain(64, 1, ramp_frames=16, initial=1.0)
    src = np.arange(64, dtype=np.float32)[:, None]
    dst = np.zeros_like(src)
    gain.apply_rt(src, dst, 64)
    np.testing.assert_array_equal(dst, src)
    gain.set_target(0.0)
    gain.apply_rt(src, dst, 64)
    assert np.all(dst[16:] == 0.0)
    before = dst.copy()
    gain.add_rt(src, dst, 64)
    np.testing.assert_array_equal(dst, before)


def test_zero_ramp_jumps_and_bad_values_are_refused() -> None:
    gain = SmoothedGain(16, 1, ramp_frames=0, initial=1.0)
    gain.set_target(0.5)
    assert gain.current == 0.5
    with pytest.raises(ValueError):
        gain.set_target(float("inf"))
    with pytest.raises(ValueError):
        SmoothedGain(0, 1, 10)


def test_apply_and_add_allocate_no_arrays() -> None:
    n = 2048
    gain = SmoothedGain(n, 2, ramp_frames=48000, initial=0.0)
    src = ones(n)
    dst = np.zeros((n, 2), dtype=np.float32)
    targets = [1.0, 0.3, 0.3, 0.7, 1.0, 1.0]

    def step(i: int) -> None:
        if i % 50 == 0:
            gain.set_target(targets[(i // 50) % len(targets)])
        size = n - (i % 7) * 65
        if i % 2:
            gain.apply_rt(src, dst, size)
        else:
            gain.add_rt(src, dst, size)

    for i in range(100):
        step(i)
    net, peak = peak_allocation(step, 2000)
    assert net < 1024
    assert peak < 4096  # an array temporary of one block would be >= 16 KiB
