"""FrameChain: pedalboard given (frames, channels) blocks as they are gives the same samples as
MonitorChain (which turns them around), bit for bit: every shipped preset, blocks of any size
(1, 2 and 3 frames too: a (2, 2) block is ambiguous for pedalboard), across a reset, mono and
stereo."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.effects import MonitorChain
from studio.audio.frame_chain import FrameChain
from studio.core.i18n import Words
from studio.core.preset import Preset, list_presets

SR = 48000
SIZES = (2, 1, 3, 7, 64, 65, 1024, 511, 2)
Audio = npt.NDArray[np.float32]


def noise(frames: int, channels: int) -> Audio:
    rng = np.random.default_rng(11)
    audio = rng.standard_normal((frames, channels)) * np.linspace(0.01, 0.4, frames)[:, None]
    audio[frames // 3: frames // 2] = 0.0  # a pause: gates, compressors and tails act
    return audio.astype(np.float32)


def pieces(audio: Audio, sizes: tuple[int, ...] = SIZES) -> list[Audio]:
    out, start, k = [], 0, 0
    while start < audio.shape[0]:
        out.append(np.ascontiguousarray(audio[start: start + sizes[k % len(sizes)]]))
        start += sizes[k % len(sizes)]
        k += 1
    return out


def both(preset: Preset, audio: Audio, reset_at: int | None = None) -> tuple[Audio, Audio]:
    channels = audio.shape[1]
    monitor = MonitorChain(preset, SR, channels, 1024)
    frames = FrameChain(preset, SR, channels, 1024)
    a, b = [], []
    for k, block in enumerate(pieces(audio)):
        if k == reset_at:
            monitor.reset()
            frames.reset()
        a.append(monitor.process_rt(block).copy())
        b.append(frames.process_frames(block).copy())
    return np.concatenate(a), np.concatenate(b)


@pytest.mark.parametrize("preset", list_presets(), ids=lambda p: p.name)
def test_every_shipped_preset_gives_the_monitor_chains_samples(preset: Preset) -> None:
    audio = noise(12000, 2)
    expected, got = both(preset, audio)
    assert got.shape == audio.shape
    assert np.array_equal(got, expected)
    if preset.effects:
        assert not np.array_equal(got, audio)  # the effects did something


@pytest.mark.parametrize("channels", [1, 2])
def test_a_reset_midway_and_mono(channels: int) -> None:
    preset = next(p for p in list_presets() if p.name == "bus-reverb")
    audio = noise(12000, channels)
    expected, got = both(preset, audio, reset_at=20)
    assert np.array_equal(got, expected)


def test_no_effects_passes_the_block_itself() -> None:
    chain = FrameChain(Preset("dry", Words(nb="tørr", en="dry"), ()), SR, 2, 256)
    block = noise(100, 2)
    assert chain.process_frames(block) is block


def test_bad_sizes_are_refused() -> None:
    preset = list_presets()[0]
    with pytest.raises(ValueError):
        FrameChain(preset, SR, 0, 256)
