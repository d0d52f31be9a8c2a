"""``studio loudness FILE [--json]`` and :func:`studio.services.loudness.measure_file`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import studio.cli.main as cli_main
from studio.audio.loudness import REPORT_KEYS, measure_loudness
from studio.core.i18n import StudioError, language, set_language
from studio.services.loudness import BLOCK_FRAMES, measure_file

DATA = Path(__file__).resolve().parent.parent / "data" / "loudness"
SINE_FILE = DATA / "ebu-tech3341" / "seq-3341-1-16bit.wav"  # -23.0 LUFS
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_studio(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
               ) -> Iterator[Run]:
    """``studio.cli.main.main`` in this process, with its output captured."""
    before = language()

    def run(*args: str, lang: str = "en") -> tuple[int, str, str]:
        set_language("en" if lang == "en" else "nb")
        code = cli_main.main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    set_language(before)


# --- the service -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["itu-bs2217/1770-2_Comp_RelGateTest.wav",
                                  "music/Kevin_MacLeod_-_Vibe_Ace.ogg"])
def test_streaming_the_file_gives_the_whole_array_figures(name: str) -> None:
    audio, rate = sf.read(DATA / name, dtype="float32", always_2d=True)
    assert audio.shape[0] > BLOCK_FRAMES  # really read in several blocks
    assert measure_file(DATA / name) == measure_loudness(audio, rate)


def test_a_truncated_wav_is_measured_as_far_as_it_goes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    audio = (rng.standard_normal((48000 * 4, 2)) * 0.1).astype(np.float32)
    whole = tmp_path / "whole.wav"
    sf.write(whole, audio, 48000, subtype="FLOAT")
    cut = tmp_path / "cut.wav"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the header still claims 4 s
    with sf.SoundFile(cut) as f:
        there = f.read(dtype="float32", always_2d=True)
    assert 48000 * 1.5 < there.shape[0] < 48000 * 2.5
    assert np.array_equal(there, audio[: there.shape[0]])
    assert measure_file(cut) == measure_loudness(there, 48000)


def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name: (path, a word the English message must contain)."""
    text = folder / "notes.wav"
    text.write_text("these are lyrics, not sound\n")
    empty = folder / "empty.flac"
    empty.write_bytes(b"")
    rng = np.random.default_rng(2)
    good_flac = folder / "good.flac"
    sf.write(good_flac, (rng.standard_normal((48000 * 3, 2)) * 0.1).astype(np.float32), 48000)
    cut_flac = folder / "cut.flac"
    cut_flac.write_bytes(good_flac.read_bytes()[: good_flac.stat().st_size // 2])
    nan_wav = folder / "nan.wav"
    samples = np.zeros((48000, 2), np.float32)
    samples[1000, 1] = np.nan
    sf.write(nan_wav, samples, 48000, subtype="FLOAT")
    slow = folder / "slow.wav"
    sf.write(slow, np.zeros((4000, 1), np.float32), 4000)
    pipe = folder / "pipe.wav"
    os.mkfifo(pipe)
    return {
        "missing": (folder / "nowhere.wav", "not find"),
        "folder": (folder, "folder"),
        "text": (text, "not an audio file"),
        "empty": (empty, "not an audio file"),
        "pipe": (pipe, "not an audio file"),  # must not wait for a writer
        "truncated flac": (cut_flac, "damaged"),
        "nan samples": (nan_wav, "invalid"),
        "sample rate": (slow, "4000 Hz"),
    }


def test_bad_files_raise_plain_words_in_both_languages(tmp_path: Path) -> None:
    for name, (path, word) in _bad_files(tmp_path).items():
        with pytest.raises(StudioError) as caught:
            measure_file(path)
        english, norwegian = caught.value.say("en"), caught.value.say("nb")
        assert word in english, (name, english)
        assert path.name in english and path.name in norwegian, name
        assert english != norwegian, name


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file")
def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    locked = tmp_path / "locked.wav"
    sf.write(locked, np.zeros((4800, 1), np.float32), 48000)
    locked.chmod(0)
    with pytest.raises(StudioError) as caught:
        measure_file(locked)
    assert "not allowed" in caught.value.say("en")


# --- the command -------------------------------------------------------------------------------
def test_json_has_exactly_the_keys(run_studio: Run) -> None:
    code, out, err = run_studio("loudness", str(SINE_FILE), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == set(REPORT_KEYS) == {
        "integrated_lufs", "lra_lu", "momentary_max_lufs", "short_term_max_lufs",
        "true_peak_dbtp", "sample_peak_dbfs"}
    assert data == measure_file(SINE_FILE).to_json()
    assert data["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)


def test_plain_output_is_a_short_table_in_the_language(run_studio: Run) -> None:
    code, out, _ = run_studio("loudness", str(SINE_FILE))
    assert code == 0
    assert "Integrated loudness" in out and "-23.0 LUFS" in out and "dBTP" in out
    assert len(out.strip().splitlines()) == 7  # heading and six readings
    code, out, _ = run_studio("loudness", str(SINE_FILE), lang="nb")
    assert code == 0
    assert "Integrert lydstyrke" in out and "-23,0 LUFS" in out


def test_silence_reads_as_nothing_to_measure(run_studio: Run, tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.wav"
    sf.write(quiet, np.zeros((48000, 2), np.float32), 48000)
    code, out, _ = run_studio("loudness", str(quiet), "--json")
    assert code == 0
    assert json.loads(out) == {"integrated_lufs": None, "lra_lu": 0.0,
                               "momentary_max_lufs": None, "short_term_max_lufs": None,
                               "true_peak_dbtp": None, "sample_peak_dbfs": None}
    code, out, _ = run_studio("loudness", str(quiet))
    assert code == 0 and "silent" in out


def test_a_bad_file_gets_a_plain_message_and_status_2(run_studio: Run, tmp_path: Path) -> None:
    for name, (path, word) in _bad_files(tmp_path).items():
        code, out, err = run_studio("loudness", str(path))
        assert code == 2, name
        assert word in err and "Traceback" not in err and out == "", (name, err)
    code, out, err = run_studio("loudness", str(tmp_path / "nowhere.wav"), "--json")
    assert code == 2
    assert "not find" in json.loads(out)["error_en"]
