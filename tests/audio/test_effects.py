from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import numpy.typing as npt
import pedalboard
import pytest
from pedalboard import Pedalboard  # type: ignore[attr-defined]

from studio.audio.effects import MonitorChain, build_board
from studio.core.i18n import StudioError, Words
from studio.core.preset import EFFECTS, EffectStep, Preset, find_preset, list_presets

SR = 48000
Audio = npt.NDArray[np.float32]
SIZES = [65, 1, 128, 7, 256, 3, 2, 511, 33]


def voice_like(seconds: float, channels: int, seed: int = 0) -> Audio:
    """Phrases of a buzzy tone with noise, separated by near-silence (like lines of a verse)."""
    rng = np.random.default_rng(seed)
    frames = round(seconds * SR)
    t = np.arange(frames) / SR
    tone = 0.3 * np.sign(np.sin(2 * np.pi * 150 * t)) * np.abs(np.sin(2 * np.pi * 150 * t)) ** 0.3
    tone += 0.05 * rng.standard_normal(frames)
    envelope = (np.sin(2 * np.pi * 0.7 * t) > 0).astype(np.float64)
    mono = tone * envelope + 1e-4 * rng.standard_normal(frames)
    gains = np.linspace(1.0, 0.6, channels)
    return (mono[:, None] * gains[None, :]).astype(np.float32)


def blockwise(chain: MonitorChain, audio: Audio, sizes: list[int]) -> Audio:
    out = np.zeros_like(audio)
    done = 0
    i = 0
    while done < len(audio):
        n = min(sizes[i % len(sizes)], len(audio) - done, chain.max_frames)
        block = chain.process_rt(audio[done : done + n])
        assert block.shape == (n, chain.channels) and block.dtype == np.float32
        out[done : done + n] = block
        done += n
        i += 1
    return out


def one_shot(preset: Preset, audio: Audio) -> Audio:
    board = build_board(preset, SR)
    result: Audio = board.process(np.ascontiguousarray(audio.T), SR).T
    return result


def test_effects_table_matches_pedalboard() -> None:
    for name, params in EFFECTS.items():
        cls = getattr(pedalboard, name)
        signature = cls.__init__.__doc__ or ""  # pybind11 puts the signature there
        instance = cls()
        for param, span in params.items():
            assert f"{param}: float" in signature, (name, param)
            assert hasattr(instance, param), (name, param)
            # pedalboard accepts both ends of our ranges.
            cls(**{param: span.low})
            cls(**{param: span.high})


def _feed(board: Pedalboard, audio: Audio, sizes: list[int], warm: bool) -> Audio:
    if warm:
        board.process(np.zeros((audio.shape[1], 1024), dtype=np.float32), SR, reset=False)
    parts = []
    done = 0
    i = 0
    while done < len(audio):
        n = min(sizes[i % len(sizes)], len(audio) - done)
        block = np.ascontiguousarray(audio[done : done + n].T)
        parts.append(board.process(block, SR, reset=(i == 0)).T)
        done += n
        i += 1
    return np.concatenate(parts)


SETTINGS: dict[str, dict[str, float]] = {
    "Delay": {"delay_seconds": 0.05, "feedback": 0.4},
    "Chorus": {"mix": 0.7},
    "HighpassFilter": {"cutoff_frequency_hz": 90.0},
    "LowpassFilter": {"cutoff_frequency_hz": 8000.0},
    "LowShelfFilter": {"cutoff_frequency_hz": 220.0, "gain_db": 3.0},
    "HighShelfFilter": {"cutoff_frequency_hz": 7000.0, "gain_db": -3.0},
    "PeakFilter": {"cutoff_frequency_hz": 3500.0, "gain_db": 3.0, "q": 0.9},
    "Compressor": {"threshold_db": -20.0, "ratio": 4.0},
    "NoiseGate": {"threshold_db": -40.0, "ratio": 4.0},
}
IIR = {"HighpassFilter", "LowpassFilter", "LowShelfFilter", "HighShelfFilter", "PeakFilter"}


def _one_effect(name: str) -> Pedalboard:
    return Pedalboard([getattr(pedalboard, name)(**SETTINGS.get(name, {}))])


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_each_effect_block_by_block(name: str) -> None:
    """The measurement behind the module docstring."""
    audio = np.concatenate([np.zeros((SR // 4, 2), np.float32), voice_like(1.0, 2, seed=2)])
    whole = _one_effect(name).process(np.ascontiguousarray(audio.T), SR).T
    mixed = _feed(_one_effect(name), audio, [*SIZES, 1024], warm=True)
    if name in IIR:  # JUCE snaps tiny filter state to zero at each block end
        np.testing.assert_allclose(mixed, whole, atol=1e-6, rtol=0)
    else:
        np.testing.assert_array_equal(mixed, whole)


def test_cold_board_loses_its_state_when_blocks_grow() -> None:
    """Why MonitorChain warms up at the largest block first (trap 1 in the docstring)."""
    audio = voice_like(1.0, 2, seed=2)
    whole = _one_effect("Reverb").process(np.ascontiguousarray(audio.T), SR).T
    cold = _feed(_one_effect("Reverb"), audio, [64, 1024], warm=False)
    assert np.max(np.abs(cold - whole)) > 1e-2


def test_every_shipped_preset_builds() -> None:
    presets = list_presets()
    assert {"vocal-clean", "vocal-warm", "vocal-rap", "dry"} <= {p.name for p in presets}
    for preset in presets:
        board = build_board(preset, SR)
        assert len(board) == len(preset.effects)
        for plugin, step in zip(board, preset.effects, strict=True):
            assert type(plugin).__name__ == step.type
            for param, value in step.params.items():
                assert getattr(plugin, param) == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize("name", ["vocal-clean", "vocal-warm", "vocal-rap", "dry"])
def test_block_by_block_equals_one_shot(name: str) -> None:
    preset = find_preset(name)
    audio = voice_like(2.0, 2)
    expected = one_shot(preset, audio)
    chain = MonitorChain(preset, SR, 2, max_frames=512)
    got = blockwise(chain, audio, SIZES)
    # Equal up to filter rounding (see the module docstring): below -100 dBFS.
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    assert np.max(np.abs(got)) > 0.05


def test_mono_and_stereo_work() -> None:
    preset = find_preset("vocal-clean")
    for channels in (1, 2):
        chain = MonitorChain(preset, SR, channels, max_frames=256)
        audio = voice_like(0.5, channels)
        got = blockwise(chain, audio, SIZES)
        assert got.shape == audio.shape
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, one_shot(preset, audio), atol=1e-5, rtol=0)


def test_square_blocks_work() -> None:
    """A 2-frame stereo block is (2, 2) at pedalboard: ambiguous unless set up right."""
    chain = MonitorChain(find_preset("vocal-clean"), SR, 2, max_frames=128)
    audio = voice_like(0.2, 2)
    got = blockwise(chain, audio, [2, 2, 1, 2, 128])
    np.testing.assert_allclose(got, one_shot(chain.preset, audio), atol=1e-5, rtol=0)


def test_silence_stays_silent_and_the_gate_closes() -> None:
    chain = MonitorChain(find_preset("vocal-clean"), SR, 2, max_frames=256)
    silence = np.zeros((SR, 2), dtype=np.float32)
    assert np.max(np.abs(blockwise(chain, silence, SIZES))) < 1e-9
    rng = np.random.default_rng(5)
    hiss = (10 ** (-70 / 20) * rng.standard_normal((2 * SR, 2))).astype(np.float32)
    out = blockwise(chain, hiss, SIZES)
    rms_in = np.sqrt(np.mean(hiss[SR:] ** 2))
    rms_out = np.sqrt(np.mean(out[SR:] ** 2))
    assert 20 * np.log10(rms_out / rms_in) < -20.0


def test_dry_is_the_input_unchanged() -> None:
    chain = MonitorChain(find_preset("dry"), SR, 2, max_frames=256)
    audio = voice_like(0.3, 2)
    np.testing.assert_array_equal(blockwise(chain, audio, SIZES), audio)


def test_reset_clears_the_tail_and_empty_blocks_work() -> None:
    chain = MonitorChain(find_preset("vocal-warm"), SR, 2, max_frames=512)
    blockwise(chain, voice_like(0.5, 2), [512])
    tail = chain.process_rt(np.zeros((512, 2), dtype=np.float32))
    assert np.max(np.abs(tail)) > 1e-4  # the reverb still rings
    chain.reset()
    quiet = chain.process_rt(np.zeros((512, 2), dtype=np.float32))
    assert np.max(np.abs(quiet)) < 1e-9
    assert chain.process_rt(np.zeros((0, 2), dtype=np.float32)).shape == (0, 2)


def test_after_reset_it_sounds_like_new_even_with_tiny_first_blocks() -> None:
    """reset() must not make pedalboard forget block size or layout (trap 2)."""
    chain = MonitorChain(find_preset("vocal-warm"), SR, 2, max_frames=512)
    blockwise(chain, voice_like(0.5, 2, seed=3), SIZES)
    chain.reset()
    audio = voice_like(1.0, 2, seed=4)
    got = blockwise(chain, audio, [2, 1, 2, 512, 7])
    np.testing.assert_allclose(got, one_shot(chain.preset, audio), atol=1e-5, rtol=0)


def test_filter_above_half_the_sample_rate_is_refused() -> None:
    preset = Preset(
        name="too-high",
        words=Words(nb="x", en="x"),
        effects=(EffectStep("LowpassFilter", {"cutoff_frequency_hz": 18000.0}),),
    )
    build_board(preset, 48000)
    with pytest.raises(StudioError) as caught:
        MonitorChain(preset, 22050, 2, 256)
    assert "too-high" in caught.value.say("en") and "18000" in caught.value.say("nb")


def test_unknown_effect_in_a_hand_made_preset_is_refused() -> None:
    preset = Preset(
        name="odd",
        words=Words(nb="x", en="x"),
        effects=(EffectStep("Convolution", {}),),
    )
    with pytest.raises(StudioError):
        build_board(preset)


def test_process_allocates_only_what_pedalboard_returns() -> None:
    """pedalboard returns a new array per call (no `out=`); we must add nothing on top."""
    n = 1024
    chain = MonitorChain(find_preset("vocal-clean"), SR, 2, max_frames=n)
    audio = voice_like(0.2, 2)[:n]

    def step(i: int) -> None:
        chain.process_rt(audio[: n - (i % 5) * 65])

    for i in range(500):
        step(i)
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(300):  # pybind11 fills some caches once tracing starts
            step(i)
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for i in range(300):
            step(i)
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    returned_bytes = n * 2 * 4
    assert now - base < 1024
    assert peak - base < returned_bytes + 2048
