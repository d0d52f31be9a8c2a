"""Reading 24-bit WAV with numpy: exactly libsndfile's samples (24-bit values of every kind,
stereo and mono, the extensible header, seeks, the end of the file), other files left to
libsndfile, and the clip reader built on it equal to the ClipReader (gains, fades, overlaps, a
file that is missing, a file in another format)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from studio.audio.clip_reader import ClipReader, ClipSource
from studio.audio.pcm24 import FastClipReader, Pcm24Wav

SR = 48000
Audio = npt.NDArray[np.float32]


def every_value(channels: int) -> Audio:
    """24-bit sample values (shuffled) as float32 frames x channels: every value near zero and
    near both ends (where bytes turn over and signs flip), and every 97th value in between."""
    low = 1 << 23
    values = np.unique(np.concatenate((np.arange(-low, -low + 70000),
                                       np.arange(-70000, 70000),
                                       np.arange(low - 70000, low),
                                       np.arange(-low, low, 97)))).astype(np.int64)
    np.random.default_rng(5).shuffle(values)
    frames = values.size // channels
    return (values[: frames * channels].reshape(frames, channels) / float(1 << 23)
            ).astype(np.float32)


def write(path: Path, audio: Audio, fmt: str = "WAV", subtype: str = "PCM_24") -> Path:
    sf.write(path, audio, SR, format=fmt, subtype=subtype)
    return path


@pytest.mark.parametrize("channels,fmt", [(2, "WAV"), (1, "WAV"), (2, "WAVEX")])
def test_every_24_bit_value_reads_as_libsndfile_reads_it(tmp_path: Path, channels: int,
                                                         fmt: str) -> None:
    path = write(tmp_path / "all.wav", every_value(channels), fmt)
    fast = Pcm24Wav.open(path)
    assert fast is not None and fast.channels == channels
    with sf.SoundFile(path) as f:
        expected = f.read(dtype="float32", always_2d=True)
        assert fast.frames == f.frames
    got = fast.read(fast.frames + 10)  # asking for more gives what there is
    fast.close()
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.array_equal(got, expected)


def test_seeks_and_pieces_read_the_same_frames(tmp_path: Path) -> None:
    audio = every_value(2)[:100_000]
    path = write(tmp_path / "a.wav", audio)
    fast = Pcm24Wav.open(path)
    assert fast is not None
    with sf.SoundFile(path) as f:
        for start, n in ((0, 1), (5, 3), (99_990, 50), (100_000, 4), (123, 65536), (7, 0)):
            f.seek(start)
            fast.seek(start)
            assert np.array_equal(fast.read(n), f.read(n, dtype="float32", always_2d=True))
    with pytest.raises(ValueError):
        fast.seek(100_001)
    fast.close()
    with pytest.raises(ValueError):
        fast.read(1)


@pytest.mark.parametrize("fmt,subtype", [("WAV", "PCM_16"), ("WAV", "FLOAT"),
                                         ("WAV", "PCM_32"), ("FLAC", "PCM_24"),
                                         ("AIFF", "PCM_24")])
def test_other_files_are_left_to_libsndfile(tmp_path: Path, fmt: str, subtype: str) -> None:
    path = write(tmp_path / "other", every_value(2)[:1000], fmt, subtype)
    assert Pcm24Wav.open(path) is None


def test_missing_truncated_and_foreign_files_are_left_to_libsndfile(tmp_path: Path) -> None:
    assert Pcm24Wav.open(tmp_path / "missing.wav") is None
    path = write(tmp_path / "cut.wav", every_value(2)[:1000])
    data = path.read_bytes()
    (tmp_path / "cut-short.wav").write_bytes(data[:-600])  # the header promises more
    assert Pcm24Wav.open(tmp_path / "cut-short.wav") is None
    (tmp_path / "noise.wav").write_bytes(b"RIFF" + bytes(200))
    assert Pcm24Wav.open(tmp_path / "noise.wav") is None


def clips(tmp_path: Path) -> list[ClipSource]:
    rng = np.random.default_rng(2)
    stereo = write(tmp_path / "stereo.wav",
                   (rng.standard_normal((20000, 2)) * 0.2).astype(np.float32))
    mono = write(tmp_path / "mono.wav", (rng.standard_normal((9000, 1)) * 0.2).astype(np.float32))
    floats = write(tmp_path / "float.wav",
                   (rng.standard_normal((5000, 2)) * 0.2).astype(np.float32), subtype="FLOAT")
    return [ClipSource(stereo, 0, 100, 15000),
            ClipSource(mono, 3000, 0, 9000, 0.7, 1000, 2500),  # gain, fades, on top
            ClipSource(floats, 14000, 10, 4000, 1.3, 0, 300),  # libsndfile's part
            ClipSource(tmp_path / "gone.wav", 500, 0, 1000),  # plays as silence
            ClipSource(stereo, 17000, 19000, 3000)]  # runs past the end of the file


def test_the_clip_reader_on_it_equals_the_clip_reader(tmp_path: Path) -> None:
    sources = clips(tmp_path)
    plain, fast = ClipReader(sources), FastClipReader(sources)
    try:
        for start, n in ((0, 4096), (4096, 5000), (9096, 1), (9097, 12000), (2000, 300),
                         (0, 25000)):
            expected = np.zeros((n, 2), dtype=np.float32)
            got = np.zeros((n, 2), dtype=np.float32)
            plain.render(expected, start)
            fast.render(got, start)
            assert np.array_equal(got, expected), (start, n)
        assert fast.unreadable == plain.unreadable == {tmp_path / "gone.wav"}
    finally:
        plain.close()
        fast.close()
    again = np.zeros((1000, 2), dtype=np.float32)
    fast.render(again, 0)  # opens its files again after a close
    assert np.abs(again).max() > 0
    fast.close()
