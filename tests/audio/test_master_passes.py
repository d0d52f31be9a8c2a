"""The pieces the offline master splits its work into: the master chain's linear filters before
the input gain (as the preset sounds with the gain first, within float rounding), and the
loudness meter's true peak in chunks (the same as a sliding window, at every length around a
chunk's edge, whatever the blocks)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from studio.audio.effects import MonitorChain
from studio.audio.loudness import LoudnessMeter, measure_loudness, true_peak_filter
from studio.audio.mastering import ChainStage
from studio.core.master_preset import find_master_preset

SR = 48000
Audio = npt.NDArray[np.float32]


def music(frames: int, seed: int = 9) -> Audio:
    """Noise with a swelling level and a few loud hits: compressors and peaks to work on."""
    rng = np.random.default_rng(seed)
    audio = rng.standard_normal((frames, 2)) * np.linspace(0.02, 0.3, frames)[:, None]
    audio[:: SR // 4] *= 3.0
    return audio.astype(np.float32)


@pytest.mark.parametrize("name", ["streaming", "loud", "podcast"])
@pytest.mark.parametrize("input_gain_db", [-7.5, 0.0, 6.0])
def test_filters_before_the_gain_sound_as_the_gain_before_them(name: str,
                                                               input_gain_db: float) -> None:
    preset = find_master_preset(name)
    audio = music(3 * SR)
    gain = np.float32(10 ** (input_gain_db / 20))
    whole = MonitorChain(preset.chain_preset(), SR, 2, 4096)
    expected = np.concatenate([whole.process_rt(audio[s: s + 4096] * gain).copy()
                               for s in range(0, audio.shape[0], 4096)])
    stage = ChainStage(preset, SR, 2, input_gain_db, 4096)
    got = np.concatenate([stage.process(audio[s: s + 4096])
                          for s in range(0, audio.shape[0], 4096)])
    # float rounding only: the IIR filters' float32 memory sees other numbers (up to 2.3e-5,
    # -93 dBFS, with "loud"'s low shelf; as between block sizes, see studio.audio.effects)
    assert np.max(np.abs(got - expected)) < 5e-5
    assert np.max(np.abs(got - audio * gain)) > 1e-2  # the chain did something
    # in two steps, the input gain set in between (as the offline master does): the same
    split = ChainStage(preset, SR, 2, 0.0, 4096)
    linear = [split.linear(audio[s: s + 4096]) for s in range(0, audio.shape[0], 4096)]
    split.set_input_gain(input_gain_db)
    assert np.array_equal(np.concatenate([split.after_linear(x) for x in linear]), got)


def test_a_block_longer_than_the_chains_is_cut() -> None:
    preset = find_master_preset("streaming")
    audio = music(5000)
    one = ChainStage(preset, SR, 2, 3.0, 1024).process(audio)
    pieces = ChainStage(preset, SR, 2, 3.0, 1024)
    assert np.array_equal(one, np.concatenate([pieces.process(audio[s: s + 1024])
                                               for s in range(0, 5000, 1024)]))


def reference_true_peak(audio: Audio) -> float:
    """The interpolator over sliding windows, silence around the audio."""
    matrix = true_peak_filter(4)
    padded = np.concatenate((np.zeros((32, 2), np.float32), audio, np.zeros((32, 2), np.float32)))
    best = float(np.abs(audio).max())
    for channel in range(2):
        values = sliding_window_view(padded[:, channel], matrix.shape[0]) @ matrix
        best = max(best, float(np.abs(values).max()))
    return 20 * math.log10(best)


@pytest.mark.parametrize("frames", [1, 31, 32, 33, 8191, 8192, 8193, 16384 + 17])
def test_the_true_peak_in_chunks_equals_a_sliding_window(frames: int) -> None:
    rng = np.random.default_rng(frames)
    audio = (rng.standard_normal((frames, 2)) * 0.2).astype(np.float32)
    audio[-1] = [0.9, -0.9]  # the ringing after the last frame counts
    whole = measure_loudness(audio, SR).true_peak_dbtp
    assert whole == pytest.approx(reference_true_peak(audio), abs=1e-5)
    for size in (1, 7, 8192, 8193):
        meter = LoudnessMeter(SR, 2)
        for start in range(0, frames, size):
            meter.feed(audio[start: start + size])
        assert meter.report().true_peak_dbtp == whole, size
