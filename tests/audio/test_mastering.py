"""Mastering to a loudness target with a true-peak-safe limiter.

- every target preset lands within ±0.5 LU with its true-peak ceiling held, on the fixture
  music (a mixed instrumental and a spoken voice, at their own 22.05 kHz and resampled to a
  48 kHz stereo song) and on synthetic material made to be hard (drum hits, inter-sample peaks,
  a very quiet mix), measured again independently from the output;
- "none" changes nothing, bit for bit;
- the result does not depend on the block sizes, the limiter's gains never let a peak over the
  ceiling (checked per frame), and the live :class:`MasterChain` equals the offline master;
- the pieces: the true-peak detector equals the loudness meter's interpolator, the cheap
  integrated meter equals the full one, silence and a cancel are handled.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf
import soxr
from numpy.lib.stride_tricks import sliding_window_view

from studio.audio.blas_threads import blas_libraries, single_blas_thread
from studio.audio.loudness import (
    LoudnessMeter,
    LoudnessReport,
    measure_loudness,
    true_peak_filter,
)
from studio.audio.mastering import (
    TOLERANCE_LU,
    Cancelled,
    GainComputer,
    IntegratedMeter,
    MasterChain,
    MasterResult,
    PeakLimiter,
    TruePeakDetector,
    master_offline,
    window_max,
)
from studio.core.master_preset import LimiterSettings, MasterPreset, find_master_preset

DATA = Path(__file__).resolve().parent.parent / "data"
MUSIC = DATA / "loudness" / "music" / "Kevin_MacLeod_-_Vibe_Ace.ogg"
SPEECH = DATA / "loudness" / "music" / "198-209-0000.ogg"
FLOAT_WAV = DATA / "import" / "float64.wav"
TARGETS = ("streaming", "loud", "podcast")
Audio = npt.NDArray[np.float32]


class ListSink:
    """Keeps what the master writes (a fresh list on every restart)."""

    headroom_db = 0.0

    def __init__(self) -> None:
        self.parts: list[Audio] = []
        self.restarts = 0

    def restart(self) -> None:
        self.parts = []
        self.restarts += 1

    def write(self, block: Audio) -> None:
        self.parts.append(block.copy())

    def verify(self) -> LoudnessReport | None:
        return None

    def audio(self) -> Audio:
        return np.concatenate(self.parts) if self.parts else np.zeros((0, 2), np.float32)


def stereo(path: Path, rate: int | None = None, seconds: float | None = None
           ) -> tuple[Audio, int]:
    audio, sr = sf.read(path, dtype="float32", always_2d=True)
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    if rate is not None and rate != sr:
        audio = soxr.resample(audio, sr, rate).astype(np.float32)
        sr = rate
    if seconds is not None:
        audio = audio[: round(seconds * sr)]
    return np.ascontiguousarray(audio), sr


def blocks_of(audio: Audio, sizes: tuple[int, ...] = (65536,)) -> Iterator[Audio]:
    start = 0
    k = 0
    while start < audio.shape[0]:
        n = sizes[k % len(sizes)]
        yield audio[start: start + n]
        start += n
        k += 1


def master(audio: Audio, sr: int, preset: MasterPreset, tmp: Path | None = None,
           sizes: tuple[int, ...] = (65536,), block: int = 65536
           ) -> tuple[MasterResult, Audio]:
    sink = ListSink()
    result = master_offline(blocks_of(audio, sizes), audio.shape[0], sr, preset, sink,
                            temp_dir=tmp, block=block)
    return result, sink.audio()


def synthetic(kind: str, sr: int = 48000, seconds: float = 12.0) -> Audio:
    rng = np.random.default_rng(7)
    t = np.arange(round(seconds * sr)) / sr
    if kind == "drums":  # a beat: kick, snare, hats and a bass line, 90 bpm
        beat = (t * 1.5) % 1.0
        bar = (t * 1.5 / 4) % 1.0
        kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-beat * 30)) * t) * np.exp(-beat * 8)
        snare_phase = (t * 0.75 + 0.5) % 1.0  # on 2 and 4
        snare = rng.standard_normal(t.size) * np.exp(-snare_phase * 20) * 0.5
        hats = np.diff(rng.standard_normal(t.size + 1)) * np.exp(-((t * 3.0) % 1.0) * 40) * 0.15
        bass = np.sin(2 * np.pi * np.where(bar < 0.5, 55.0, 73.4) * t) * 0.35
        mono = kick * 0.8 + snare + hats + bass
        audio = np.stack((mono, 0.9 * mono + 0.1 * hats), axis=1)
        audio *= 10 ** (-3 / 20) / np.abs(audio).max()
    elif kind == "hits":  # sparse noise hits in silence: too spiky for any loud target
        env = np.exp(-((t * 2.0) % 1.0) * 25.0)
        mono = rng.standard_normal(t.size) * env * 0.5
        audio = np.stack((mono, 0.8 * mono), axis=1)
    elif kind == "intersample":  # fs/4 at 45 degrees: true peak 3 dB over the samples
        tone = np.sin(2 * np.pi * (sr / 4) * t + np.pi / 4) * 0.7
        swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)
        audio = np.stack((tone * swell, tone * swell[::-1]), axis=1)
    elif kind == "quiet":  # a soft chord far below any target
        chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
        audio = np.stack((chord, chord), axis=1) * 0.01
    else:
        raise ValueError(kind)
    return audio.astype(np.float32)


def assert_on_target(result: MasterResult, out: Audio, audio: Audio, sr: int,
                     preset: MasterPreset) -> None:
    assert preset.target is not None
    assert out.shape == audio.shape
    assert result.on_target, (result.after, result.tries)
    again = measure_loudness(out, sr)  # measured independently from what was written
    assert abs(again.integrated_lufs - preset.target.integrated_lufs) <= TOLERANCE_LU
    assert again.true_peak_dbtp <= preset.target.true_peak_dbtp
    assert again.integrated_lufs == pytest.approx(result.after.integrated_lufs, abs=1e-6)
    assert again.true_peak_dbtp == pytest.approx(result.after.true_peak_dbtp, abs=1e-6)


# --- landing on target ---------------------------------------------------------------------
@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("source", [MUSIC, SPEECH], ids=["music", "speech"])
def test_fixture_material_lands_on_target(name: str, source: Path, tmp_path: Path) -> None:
    audio, sr = stereo(source)
    preset = find_master_preset(name)
    result, out = master(audio, sr, preset, tmp_path)
    assert_on_target(result, out, audio, sr, preset)
    mix = measure_loudness(audio, sr)
    assert result.before.integrated_lufs == pytest.approx(mix.integrated_lufs, abs=1e-9)
    assert result.before.true_peak_dbtp == pytest.approx(mix.true_peak_dbtp, abs=1e-5)
    assert result.before.sample_peak_dbfs == pytest.approx(mix.sample_peak_dbfs, abs=1e-9)


@pytest.mark.parametrize("name", TARGETS)
def test_fixture_music_as_a_48k_song_lands_on_target(name: str) -> None:
    audio, sr = stereo(MUSIC, rate=48000, seconds=30.0)
    preset = find_master_preset(name)
    result, out = master(audio, sr, preset)
    assert_on_target(result, out, audio, sr, preset)


@pytest.mark.parametrize("name", TARGETS)
def test_imported_float_wav_lands_on_target(name: str) -> None:
    audio, sr = stereo(FLOAT_WAV)
    preset = find_master_preset(name)
    result, out = master(audio, sr, preset)
    assert_on_target(result, out, audio, sr, preset)


@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("kind", ["drums", "intersample", "quiet"])
def test_synthetic_material_lands_on_target(name: str, kind: str) -> None:
    audio = synthetic(kind)
    preset = find_master_preset(name)
    result, out = master(audio, 48000, preset)
    assert_on_target(result, out, audio, 48000, preset)


def test_loud_target_makes_the_limiter_work_and_still_holds_the_ceiling() -> None:
    audio = synthetic("drums")
    preset = find_master_preset("loud")
    result, out = master(audio, 48000, preset)
    assert result.limiter_max_db > 3.0  # a real job for the limiter, not a gain change
    assert measure_loudness(out, 48000).true_peak_dbtp <= -1.0


def test_material_too_spiky_for_the_target_is_not_crushed_and_says_so() -> None:
    audio = synthetic("hits")  # 25 dB from peak to loudness; streaming allows 13
    preset = find_master_preset("streaming")
    result, out = master(audio, 48000, preset)
    assert not result.on_target
    assert result.after.integrated_lufs < -14.5
    assert result.limiter_max_db <= 12.0 + 0.1  # MAX_LIMITER_DB
    assert measure_loudness(out, 48000).true_peak_dbtp <= -1.0


# --- changing nothing ----------------------------------------------------------------------
@pytest.mark.parametrize("source", [MUSIC, FLOAT_WAV], ids=["music", "float64"])
def test_none_changes_nothing(source: Path) -> None:
    audio, sr = stereo(source)
    preset = find_master_preset("none")
    assert preset.changes_nothing
    result, out = master(audio, sr, preset, sizes=(1000, 4096, 77))
    assert np.array_equal(out, audio)
    assert result.gain_db == 0.0 and result.limiter_max_db == 0.0
    assert result.before.integrated_lufs == result.after.integrated_lufs
    assert result.before.true_peak_dbtp == result.after.true_peak_dbtp
    assert result.on_target
    chain = MasterChain(preset, sr)
    assert chain.latency_frames == 0
    assert np.array_equal(chain.process(audio[:1000]), audio[:1000])


def test_silence_is_written_as_silence_and_says_it_missed() -> None:
    audio = np.zeros((48000 * 3, 2), dtype=np.float32)
    result, out = master(audio, 48000, find_master_preset("streaming"))
    assert np.array_equal(out, audio)
    assert math.isinf(result.after.integrated_lufs)
    assert not result.on_target


# --- block sizes, live and offline -----------------------------------------------------------
def test_result_does_not_depend_on_block_sizes() -> None:
    audio, sr = stereo(MUSIC, rate=48000, seconds=12.0)
    preset = find_master_preset("loud")
    first, a = master(audio, sr, preset, sizes=(65536,), block=65536)
    second, b = master(audio, sr, preset, sizes=(1000, 333, 4096), block=4096)
    third, c = master(audio, sr, preset, sizes=(64, 65, 512), block=512)
    assert first.gain_db == pytest.approx(second.gain_db, abs=1e-5)
    assert first.gain_db == pytest.approx(third.gain_db, abs=1e-5)
    assert np.max(np.abs(a - b)) < 1e-5
    assert np.max(np.abs(a - c)) < 1e-5


def test_limiter_block_by_block_equals_one_call() -> None:
    audio = synthetic("drums", seconds=3.0) * 3.0
    settings = LimiterSettings(release_ms=80.0, lookahead_ms=2.0)
    whole = PeakLimiter(48000, 2, -1.0, settings).process(audio)
    limiter = PeakLimiter(48000, 2, -1.0, settings)
    parts = [limiter.process(piece) for piece in blocks_of(audio, (1, 2, 7, 64, 65, 4096, 513))]
    pieces = np.concatenate(parts)
    assert np.max(np.abs(pieces - whole)) < 1e-6


def test_live_master_chain_equals_the_offline_master() -> None:
    audio, sr = stereo(MUSIC, rate=48000, seconds=10.0)
    preset = find_master_preset("streaming")
    result, offline = master(audio, sr, preset)
    chain = MasterChain(preset, sr, 2, input_gain_db=result.input_gain_db,
                        gain_db=result.gain_db, margin_db=result.margin_db, max_frames=512)
    live = np.concatenate([chain.process(b) for b in blocks_of(audio, (512, 128, 500))]
                          + [chain.flush()])[chain.latency_frames:]
    assert live.shape == offline.shape
    assert np.max(np.abs(live - offline)) < 1e-5


# --- the limiter's guarantee, piece by piece ---------------------------------------------------
def test_gains_never_let_a_peak_over_the_ceiling() -> None:
    rng = np.random.default_rng(3)
    peaks = np.abs(rng.standard_normal(20000)) * np.repeat(rng.uniform(0.1, 4.0, 40), 500)
    computer = GainComputer(48000, -1.0, LimiterSettings(release_ms=50.0, lookahead_ms=1.0))
    out = np.concatenate([computer.push(p) for p in
                          np.array_split(np.concatenate((peaks, np.zeros(computer.latency))),
                                         37)])
    gains = out[computer.latency:].astype(np.float64)  # gains[t] is for the frame of peaks[t]
    ceiling = 10 ** (-1.0 / 20)
    previous = np.concatenate(([0.0], peaks[:-1]))
    # a frame's gain bounds both intervals next to it
    assert np.all(gains * np.maximum(previous, peaks) <= ceiling * (1 + 1e-6))
    nxt = np.concatenate((peaks[1:], [0.0]))
    assert np.all(gains * np.maximum(peaks, nxt)[: gains.size] <= ceiling * (1 + 1e-6))
    assert np.all(gains <= 1.0) and computer.max_reduction_db > 10.0


def test_window_max_is_exact() -> None:
    rng = np.random.default_rng(5)
    values = rng.standard_normal(500)
    for width in (1, 2, 3, 7, 8, 9, 96, 104, 500):
        expected = sliding_window_view(values, width).max(axis=1)
        assert np.array_equal(window_max(values, width), expected)


@pytest.mark.parametrize("sr", [48000, 44100, 22050, 192000])
def test_true_peak_detector_equals_the_meters_interpolator(sr: int) -> None:
    rng = np.random.default_rng(sr)
    audio = (rng.standard_normal((20000, 2)) * 0.2).astype(np.float32)
    detector = TruePeakDetector(sr, 2)
    tail = np.zeros((64, 2), dtype=np.float32)
    got = np.concatenate([detector.push(b) for b in blocks_of(audio, (1, 31, 32, 33, 4096))]
                         + [detector.push(tail)])
    padded = np.concatenate((np.zeros((32, 2), np.float32), audio, tail))
    if detector.factor > 1:
        matrix = true_peak_filter(detector.factor)
        expected = np.zeros(got.size)
        for channel in range(2):
            values = sliding_window_view(padded[:, channel], matrix.shape[0]) @ matrix
            expected = np.maximum(expected, np.abs(values).max(axis=1))
    else:
        expected = np.abs(padded[32:]).max(axis=1)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    meter = measure_loudness(audio, sr).true_peak_dbtp
    assert 20 * math.log10(got.max()) == pytest.approx(meter, abs=1e-5)


def test_integrated_meter_equals_the_full_meter() -> None:
    audio, sr = stereo(MUSIC)
    cheap = IntegratedMeter(sr, 2)
    full = LoudnessMeter(sr, 2)
    for block in blocks_of(audio, (4096, 1000, 77)):
        cheap.feed(block)
        full.feed(block)
    assert cheap.integrated_lufs() == pytest.approx(full.integrated_lufs(), abs=1e-9)


def test_cancel_stops_the_master() -> None:
    audio = synthetic("drums", seconds=4.0)
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.6:
            cancel.set()

    with pytest.raises(Cancelled):
        master_offline(blocks_of(audio, (4096,)), audio.shape[0], 48000,
                       find_master_preset("streaming"), ListSink(), block=4096,
                       progress=progress, cancel=cancel)
    assert seen and max(seen) < 1.0


def test_progress_rises_to_one() -> None:
    audio = synthetic("drums", seconds=3.0)
    seen: list[float] = []
    master_offline(blocks_of(audio, (4096,)), audio.shape[0], 48000,
                   find_master_preset("loud"), ListSink(), block=4096, progress=seen.append)
    assert seen[-1] == 1.0
    assert all(b >= a for a, b in itertools.pairwise(seen))


def test_single_blas_thread_puts_the_old_counts_back() -> None:
    before = [get() for _path, get, _put in blas_libraries()]
    with single_blas_thread():
        with single_blas_thread():
            assert all(get() == 1 for _path, get, _put in blas_libraries())
        assert all(get() == 1 for _path, get, _put in blas_libraries())
    assert [get() for _path, get, _put in blas_libraries()] == before
