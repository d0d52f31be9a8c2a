"""Decoding files for import in a child process: every format, every bad file, the limits."""

from __future__ import annotations

import os
import shutil
import struct
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import soxr

from studio.audio.decode import (
    DecodeCancelled,
    DecodeError,
    DecodeLimits,
    DecodeReport,
    Decoding,
)
from studio.audio.decode_child import TEST_HOOK_ENV

DATA = Path(__file__).resolve().parents[1] / "data" / "import"
VIBE_ACE = DATA / "Kevin_MacLeod_-_Vibe_Ace.ogg"
VIBE_ACE_FRAMES = 1355168  # at 22050 Hz (audio_reference.csv)
SR = 48000


def decode(path: Path, rate: int = SR, **kw: Any) -> tuple[np.ndarray, DecodeReport]:
    with Decoding(path, rate, **kw) as decoding:
        audio = decoding.read_all()
        return audio, decoding.report


def refused(path: Path, rate: int = SR, **kw: Any) -> DecodeError:
    with pytest.raises(DecodeError) as caught:
        decode(path, rate, **kw)
    error = caught.value
    assert error.say("nb") and error.say("en")
    assert "Traceback" not in error.say("en")
    return error


def tone(freq: float, rate: int, seconds: float, channels: int = 2,
         level: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    mono = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([mono * (1.0 if c == 0 else 0.5) for c in range(channels)], axis=1)


def peak_hz(signal: np.ndarray, rate: int) -> float:
    """The strongest frequency, to a fraction of a hertz (zero-padded FFT, Hann window)."""
    x = signal.astype(np.float64) * np.hanning(len(signal))
    n = 1 << (len(x) * 8 - 1).bit_length()
    spectrum = np.abs(np.fft.rfft(x, n))
    return float(np.argmax(spectrum) * rate / n)


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2))))


def wav_bytes(channels: int = 1, rate: int = 44100, bits: int = 16, data: bytes | None = None,
              data_size: int | None = None, riff_size: int | None = None) -> bytes:
    """A WAV file written by hand, so its header can say anything."""
    if data is None:
        data = (tone(440, 44100, 0.2, 1)[:, 0] * 32767).astype("<i2").tobytes()
    align = max(channels, 1) * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate & 0xFFFFFFFF, (rate * align) & 0xFFFFFFFF,
                      align, bits)
    size = len(data) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
    body += struct.pack("<I", size) + data
    riff = len(body) if riff_size is None else riff_size
    return b"RIFF" + struct.pack("<I", riff) + body


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# -- every format -----------------------------------------------------------------------------

FORMATS = [
    ("WAV", "PCM_16", "wav"),
    ("WAV", "PCM_24", "wav"),
    ("WAV", "FLOAT", "wav"),
    ("FLAC", "PCM_24", "flac"),
    ("OGG", "VORBIS", "ogg"),
    ("MP3", "MPEG_LAYER_III", "mp3"),
    ("AIFF", "PCM_16", "aiff"),
]


@pytest.mark.parametrize(("fmt", "subtype", "ext"), FORMATS)
def test_each_format_decodes_and_is_resampled(tmp_path: Path, fmt: str, subtype: str,
                                              ext: str) -> None:
    original = tone(440, 44100, 1.0)
    path = tmp_path / f"tone.{ext}"
    sf.write(path, original, 44100, format=fmt, subtype=subtype)
    audio, report = decode(path)
    source = report.source
    assert (source.format, source.subtype) == (fmt, subtype)
    assert (source.channels, source.samplerate) == (2, 44100)
    assert report.decoded_frames == 44100
    assert report.resampled and report.samplerate == SR
    assert report.frames == len(audio) == SR  # 1 s stays 1 s
    assert audio.dtype == np.float32 and audio.shape == (SR, 2)
    assert not report.truncated
    middle = audio[SR // 4: 3 * SR // 4]
    assert peak_hz(middle[:, 0], SR) == pytest.approx(440, abs=0.5)
    lossless = fmt != "OGG" and fmt != "MP3"
    tolerance = 0.01 if lossless else 0.5
    assert rms_db(middle[:, 0]) == pytest.approx(rms_db(original[11025:33075, 0]), abs=tolerance)
    assert rms_db(middle[:, 1]) == pytest.approx(rms_db(middle[:, 0]) - 6.02, abs=tolerance)


def test_same_rate_is_passed_through_untouched(tmp_path: Path) -> None:
    original = np.random.default_rng(3).uniform(-0.9, 0.9, (30000, 2)).astype(np.float32)
    path = tmp_path / "same.wav"
    sf.write(path, original, SR, subtype="FLOAT")
    audio, report = decode(path)
    assert not report.resampled
    np.testing.assert_array_equal(audio, original)


def test_real_ogg_at_22050_comes_out_at_48000(tmp_path: Path) -> None:
    audio, report = decode(VIBE_ACE)
    source = report.source
    assert (source.format, source.subtype, source.channels, source.samplerate) == (
        "OGG", "VORBIS", 1, 22050)
    assert report.decoded_frames == VIBE_ACE_FRAMES
    assert report.resampled
    assert abs(len(audio) - VIBE_ACE_FRAMES * SR / 22050) <= 1
    assert not report.truncated
    # the music keeps its pitch: the strongest frequency of a passage is where it was
    direct, rate = sf.read(VIBE_ACE, dtype="float32")
    for start_s in (10.0, 30.0):
        ours = audio[int(start_s * SR): int((start_s + 2) * SR), 0]
        theirs = direct[int(start_s * rate): int((start_s + 2) * rate)]
        assert peak_hz(ours, SR) == pytest.approx(peak_hz(theirs, rate), abs=1.0)
        assert rms_db(ours) == pytest.approx(rms_db(theirs), abs=0.1)


def test_a_tone_at_22050_stays_at_its_frequency(tmp_path: Path) -> None:
    path = tmp_path / "tone22.ogg"
    sf.write(path, tone(1000, 22050, 2.0, 1), 22050, format="OGG", subtype="VORBIS")
    audio, report = decode(path)
    assert report.source.samplerate == 22050 and report.frames == 2 * SR
    assert peak_hz(audio[SR // 2: 3 * SR // 2, 0], SR) == pytest.approx(1000, abs=0.5)


@pytest.mark.parametrize(("name", "subtype"),
                         [("adpcm_ms.wav", "MS_ADPCM"), ("mulaw.wav", "ULAW"),
                          ("float64.wav", "DOUBLE")])
def test_format_edge_wavs(name: str, subtype: str) -> None:
    path = DATA / name
    audio, report = decode(path)
    assert report.source.subtype == subtype and report.source.samplerate == 44100
    assert not report.truncated
    # the same as reading it whole and resampling it in one go
    direct, _ = sf.read(path, dtype="float32", always_2d=True)
    expected = soxr.resample(direct, 44100, SR, quality="VHQ")
    assert abs(len(audio) - len(expected)) <= 1
    n = min(len(audio), len(expected))
    np.testing.assert_allclose(audio[:n], np.clip(expected[:n], -1, 1), atol=1e-4)


# -- bad files --------------------------------------------------------------------------------


def test_truncated_wav_imports_what_exists_and_says_so(tmp_path: Path) -> None:
    full = tmp_path / "full.wav"
    sf.write(full, tone(440, 44100, 2.0), 44100, subtype="PCM_24")
    data = full.read_bytes()
    cut = write(tmp_path, "cut.wav", data[: len(data) // 2])
    audio, report = decode(cut)
    assert report.source.header_frames == 88200
    assert 0 < report.decoded_frames < 88200
    assert report.decoded_frames == (len(data) // 2 - 44) // 6  # every whole frame there is
    assert report.shorter_than_header and report.truncated
    assert len(audio) == report.frames > 0


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9])
def test_truncated_flac_imports_what_exists_and_says_so(tmp_path: Path, fraction: float) -> None:
    full = tmp_path / "full.flac"
    rng = np.random.default_rng(0)
    sf.write(full, tone(440, 44100, 5.0) + rng.normal(0, 0.01, (220500, 2)).astype(np.float32),
             44100, format="FLAC", subtype="PCM_16")
    data = full.read_bytes()
    cut = write(tmp_path, "cut.flac", data[: int(len(data) * fraction)])
    # soundfile's own reader loses all of it: its seek after each block fails on a cut FLAC
    with pytest.raises(sf.LibsndfileError):
        sf.read(cut)
    audio, report = decode(cut)
    assert report.source.header_frames == 220500
    assert 0.5 * fraction * 220500 < report.decoded_frames < 220500
    assert report.truncated
    assert peak_hz(audio[: SR // 2, 0], SR) == pytest.approx(440, abs=1)


def test_truncated_ogg_says_it_ended_early(tmp_path: Path) -> None:
    data = VIBE_ACE.read_bytes()
    cut = write(tmp_path, "cut.ogg", data[: len(data) // 2])
    _, report = decode(cut)
    assert report.source.header_frames is None  # Ogg makes no claim about its length
    assert report.ended_early and report.truncated
    assert 0.3 * VIBE_ACE_FRAMES < report.decoded_frames < 0.7 * VIBE_ACE_FRAMES


def test_truncated_mp3_is_shorter_than_its_header(tmp_path: Path) -> None:
    full = tmp_path / "full.mp3"
    sf.write(full, tone(440, 44100, 4.0), 44100, format="MP3", subtype="MPEG_LAYER_III")
    data = full.read_bytes()
    cut = write(tmp_path, "cut.mp3", data[: len(data) // 2])
    _, report = decode(cut)
    assert report.source.header_frames == 4 * 44100
    assert report.shorter_than_header
    assert 0 < report.decoded_frames < 3 * 44100


def test_truncated_aiff_is_shorter_than_its_header(tmp_path: Path) -> None:
    full = tmp_path / "full.aiff"
    sf.write(full, tone(440, 44100, 1.0), 44100, format="AIFF", subtype="PCM_16")
    data = full.read_bytes()
    cut = write(tmp_path, "cut.aiff", data[: len(data) // 2])
    _, report = decode(cut)
    assert report.source.header_frames == 44100
    assert report.shorter_than_header and 0 < report.decoded_frames < 44100


def test_wav_whose_data_size_says_zero_is_read_whole(tmp_path: Path) -> None:
    """A recorder that crashed before it wrote its sizes: the header says no sound."""
    path = write(tmp_path, "unfinished.wav", wav_bytes(data_size=0, riff_size=0))
    audio, report = decode(path)
    assert report.source.header_repaired
    assert report.decoded_frames == 8820  # 0.2 s at 44100
    assert peak_hz(audio[:, 0], SR) == pytest.approx(440, abs=2)
    assert path.read_bytes()[40:44] == b"\0\0\0\0"  # the file itself is left as it was


def test_wav_with_wrong_riff_size_is_read_whole(tmp_path: Path) -> None:
    for riff in (0, 100, 0xFFFFFFFF):
        path = write(tmp_path, f"riff{riff}.wav", wav_bytes(riff_size=riff))
        _, report = decode(path)
        assert report.decoded_frames == 8820 and not report.truncated


def test_empty_data_chunk_followed_by_a_chunk_is_no_sound(tmp_path: Path) -> None:
    info = b"LIST" + struct.pack("<I", 4) + b"INFO"
    path = write(tmp_path, "nothing.wav", wav_bytes(data=info, data_size=0))
    assert refused(path).code == "no_sound"


def test_huge_claimed_size_imports_what_is_there(tmp_path: Path) -> None:
    path = write(tmp_path, "huge.wav", wav_bytes(data_size=0xFFFFFFF0))
    _, report = decode(path)
    assert report.source.header_frames == 0xFFFFFFF0 // 2
    assert report.decoded_frames == 8820
    assert report.shorter_than_header


def test_zero_channels(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "zero.wav", wav_bytes(channels=0)))
    assert error.code == "zero_channels"
    assert "zero" in error.say("en")


@pytest.mark.parametrize("rate", [0, 1, 4000, 1_000_000, 4_000_000_000])
def test_absurd_rate_in_the_header(tmp_path: Path, rate: int) -> None:
    error = refused(write(tmp_path, "rate.wav", wav_bytes(rate=rate)))
    assert error.code == "rate"
    assert str(rate) in error.say("en")


def test_absurd_rate_in_an_aiff_header(tmp_path: Path) -> None:
    path = tmp_path / "rate.aiff"
    sf.write(path, tone(440, 44100, 0.1), 44100, format="AIFF", subtype="PCM_16")
    data = bytearray(path.read_bytes())
    comm = data.index(b"COMM")
    data[comm + 16: comm + 26] = bytes([0x40, 0x3F]) + (1 << 63).to_bytes(8, "big")  # 2^64 Hz
    path.write_bytes(bytes(data))
    assert refused(path).code == "rate"


def test_more_than_two_channels_is_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / "surround.wav"
    sf.write(path, np.zeros((1000, 6), dtype=np.float32), 48000)
    error = refused(path)
    assert error.code == "channels" and "6" in error.say("en")


def test_text_file_named_wav(tmp_path: Path) -> None:
    path = write(tmp_path, "song.wav", b"These are my lyrics, not sound.\n" * 200)
    assert refused(path).code == "not_audio"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_bytes(tmp_path: Path, seed: int) -> None:
    path = write(tmp_path, "noise.mp3", np.random.default_rng(seed).bytes(200_000))
    assert refused(path).code == "not_audio"


def test_empty_missing_and_folder(tmp_path: Path) -> None:
    assert refused(write(tmp_path, "empty.wav", b"")).code == "empty"
    assert refused(tmp_path / "nowhere.wav").code == "missing"
    assert refused(tmp_path).code == "not_a_file"


def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.wav", wav_bytes())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read anything")
        assert refused(path).code == "cannot_open"
    finally:
        path.chmod(0o644)


def test_too_big(tmp_path: Path) -> None:
    path = write(tmp_path, "big.wav", wav_bytes())
    error = refused(path, limits=DecodeLimits(max_file_bytes=1000))
    assert error.code == "too_big"


def test_too_long_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sf.write(path, tone(440, 8000, 3.0, 1), 8000)
    error = refused(path, limits=DecodeLimits(max_audio_seconds=2.0))
    assert error.code == "too_long"


def test_too_long_found_while_decoding(tmp_path: Path) -> None:
    """A header that does not say how long (streamed WAV): the limit holds while decoding."""
    data = (tone(440, 8000, 3.0, 1)[:, 0] * 32767).astype("<i2").tobytes()
    path = write(tmp_path, "stream.wav", wav_bytes(rate=8000, data=data, data_size=0xFFFFFFFF))
    with Decoding(path, SR) as decoding:
        assert decoding.source.header_frames is None
    error = refused(path, limits=DecodeLimits(max_audio_seconds=2.0))
    assert error.code == "too_long"


def test_not_numbers_become_silence_and_overs_are_clipped(tmp_path: Path) -> None:
    audio = np.full((1000, 1), 0.25, dtype=np.float32)
    audio[10] = np.nan
    audio[20] = np.inf
    audio[30:35] = 1.5
    audio[40] = -3.0
    path = tmp_path / "wild.wav"
    sf.write(path, audio, SR, subtype="FLOAT")
    out, report = decode(path)
    assert report.not_numbers == 2
    assert report.clipped_samples == 6
    assert np.isfinite(out).all() and np.abs(out).max() == 1.0
    assert out[10, 0] == 0.0 and out[31, 0] == 1.0 and out[40, 0] == -1.0


# -- limits and the child ---------------------------------------------------------------------


def test_time_limit_grows_with_the_file() -> None:
    limits = DecodeLimits()
    assert limits.time_limit(0) == 10.0
    assert limits.time_limit(100_000_000) == pytest.approx(110.0)
    assert DecodeLimits(seconds=2.5).time_limit(10**9) == 2.5


def test_memory_limit_stops_a_greedy_decoder(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook allocates more than the limit; without RLIMIT_AS it would simply succeed."""
    monkeypatch.setenv(TEST_HOOK_ENV, "allocate")
    path = write(tmp_path, "fine.wav", wav_bytes())
    error = refused(path, limits=DecodeLimits(memory_bytes=400 << 20))
    assert error.code == "memory"
    assert "memory" in error.say("en") and "419 MB" in error.say("en")


def test_out_of_memory_crash_in_c_is_called_a_memory_problem(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_HOOK_ENV, "bad_alloc")
    assert refused(write(tmp_path, "fine.wav", wav_bytes())).code == "memory"


def test_decoder_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_HOOK_ENV, "abort")
    error = refused(write(tmp_path, "fine.wav", wav_bytes()))
    assert error.code == "crashed" and "damaged" in error.say("en")


def test_decoder_speaking_nonsense_is_a_crash(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_HOOK_ENV, "garbage")
    assert refused(write(tmp_path, "fine.wav", wav_bytes())).code == "crashed"


def test_time_limit_kills_a_hanging_decoder(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEST_HOOK_ENV, "stall")
    path = write(tmp_path, "fine.wav", wav_bytes())
    decoding: list[Decoding] = []
    original_start = Decoding._start

    def start(self: Decoding) -> None:
        decoding.append(self)
        original_start(self)

    monkeypatch.setattr(Decoding, "_start", start)
    error = refused(path, limits=DecodeLimits(seconds=0.5))
    assert error.code == "time_limit"
    pid = decoding[0].pid
    assert pid is not None
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(pid, 0)


def test_cancel_before_and_during(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(DecodeCancelled):
        decode(VIBE_ACE, cancel=cancel)
    monkeypatch.setenv(TEST_HOOK_ENV, "slow")  # a pause after every block
    cancel = threading.Event()
    with Decoding(VIBE_ACE, SR, cancel=cancel) as decoding:
        blocks = decoding.blocks()
        next(blocks)
        cancel.set()
        with pytest.raises(DecodeCancelled) as caught:
            for _ in blocks:
                pass
        assert caught.value.code == "cancelled"
        assert decoding.fraction() < 0.5


def test_leaving_early_stops_the_child(tmp_path: Path) -> None:
    with Decoding(VIBE_ACE, SR) as decoding:
        next(decoding.blocks())
        pid = decoding.pid
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_progress_fraction(tmp_path: Path) -> None:
    seen = []
    with Decoding(VIBE_ACE, SR) as decoding:
        for _ in decoding.blocks():
            seen.append(decoding.fraction())
    assert seen == sorted(seen) and 0 < seen[0] < 0.1 and seen[-1] <= 0.99
    assert decoding.fraction() == 1.0


def test_file_names_with_spaces_and_letters(tmp_path: Path) -> None:
    path = tmp_path / "min første låt (demo).wav"
    shutil.copy(DATA / "mulaw.wav", path)
    _, report = decode(path)
    assert report.source.name == path.name and report.decoded_frames == 44100
