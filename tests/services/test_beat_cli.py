"""`studio beat list` and `studio beat render` as a person runs them.

The commands are built with ``add_beat_parser`` the way ``studio.cli.main`` builds every
subcommand, so these tests do not depend on the parser being wired into ``main`` yet.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from studio.cli.beat_cmd import add_beat_parser
from studio.core.i18n import StudioError, set_language

REPO = Path(__file__).resolve().parents[2]
TINY_KIT = REPO / "tests" / "data" / "kits" / "tiny"
HYDROGEN_KIT = REPO / "tests" / "data" / "hydrogen" / "LayeredKit"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="studio")
    sub = top.add_subparsers(dest="command")

    def add(name: str, func: Callable[[argparse.Namespace], int], nb: str, eng: str,
            parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=eng)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true")
        return p

    add_beat_parser(sub, add)
    return top


def run(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    return int(args.func(args))


@pytest.fixture(autouse=True)
def english() -> Any:
    set_language("en")
    yield
    set_language("nb")


def test_beat_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("beat", "list", "--json") == 0
    beats = json.loads(capsys.readouterr().out)["beats"]
    assert len(beats) >= 8
    names = {b["name"] for b in beats}
    assert {"boom-bap", "trap", "drill", "lo-fi", "pop", "house", "ballad"} <= names
    for b in beats:
        assert set(b) >= {"name", "style", "tempo_bpm", "time_signature", "bars", "seconds",
                          "description", "description_nb", "description_en", "sections"}
        assert b["description"] == b["description_en"]
        assert b["sections"][0]["name"] == "intro"
        assert 20 <= b["tempo_bpm"] <= 400


def test_beat_list_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    set_language("nb")
    assert run("beat", "list") == 0
    out = capsys.readouterr().out
    assert "trap" in out and "140 BPM" in out and "takter" in out and "Moderne trap" in out


def test_render_a_starter_beat(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trap.wav"
    assert run("beat", "render", "trap", "-o", str(out), "--bars", "2", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    info = sf.info(str(out))
    assert info.subtype == "PCM_24" and info.samplerate == 48000 and info.channels == 2
    assert info.frames == report["frames"]
    two_bars = 2 * 4 * 48000 * 60 / 140
    assert two_bars <= report["frames"] <= two_bars + 3 * 48000  # and the tails of the last hits
    assert report["bars"] == 2 and report["kit"] == "synth" and report["tempo_bpm"] == 140
    assert -12 < report["peak_dbfs"] < 0
    audio, _ = sf.read(str(out))
    assert np.max(np.abs(audio)) > 0.1
    assert [p.name for p in tmp_path.iterdir()] == ["trap.wav"]  # no temporary file left


def test_render_with_tempo_pattern_and_other_kits(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.wav"
    run("beat", "render", "house", "-o", str(out), "--bars", "4", "--tempo", "62", "--json")
    slow = json.loads(capsys.readouterr().out)
    assert slow["tempo_bpm"] == 62 and slow["frames"] >= 4 * 4 * 48000 * 60 / 62
    run("beat", "render", "trap", "-o", str(out), "--pattern", "hook", "--bars", "1",
        "--kit", str(TINY_KIT), "--samplerate", "44100", "--json")
    looped = json.loads(capsys.readouterr().out)
    assert looped["kit"] == "Tiny test kit" and looped["samplerate"] == 44100
    assert sf.info(str(out)).samplerate == 44100
    assert any("crash" in note for note in looped["notes_en"])  # the tiny kit has no crash
    assert run("beat", "render", "boom-bap", "-o", str(out), "--bars", "1", "--kit",
               str(HYDROGEN_KIT)) == 0
    said = capsys.readouterr().out
    assert "Layered Test Kit" in said and "Vibraslap" in said
    own = tmp_path / "mine.toml"
    own.write_text((REPO / "presets" / "beats" / "lo-fi.toml").read_text().replace(
        'name = "lo-fi"', 'name = "my lo-fi"'))
    assert run("beat", "render", str(own), "-o", str(out), "--bars", "1") == 0
    assert "Saved" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "expected"), [
    (["nope"], "Could not find the beat 'nope'"),
    (["trap", "--tempo", "1000"], "between 20 and 400"),
    (["trap", "--tempo", "nan"], "between 20 and 400"),
    (["ballad", "--tempo", "21"], "would play at"),
    (["trap", "--bars", "0"], "whole number from 1"),
    (["trap", "--pattern", "nope"], "no pattern called 'nope'"),
    (["trap", "--kit", "/no/such/kit"], "does not exist"),
    (["trap", "--samplerate", "100"], "sample rate"),
    (["trap", "--bars", "3000", "--tempo", "20"], "minutes of sound"),
])
def test_bad_input_gets_plain_words_and_keeps_the_old_file(argv: list[str], expected: str,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "beat.wav"
    out.write_bytes(b"the member's earlier render")
    with pytest.raises(StudioError) as caught:
        run("beat", "render", *argv[:1], "-o", str(out), *argv[1:])
    assert expected in caught.value.say("en"), caught.value.say("en")
    assert out.read_bytes() == b"the member's earlier render"
    assert [p.name for p in tmp_path.iterdir()] == ["beat.wav"]


def test_output_must_be_a_wav_in_a_folder_that_exists(tmp_path: Path) -> None:
    with pytest.raises(StudioError) as caught:
        run("beat", "render", "trap", "-o", str(tmp_path / "beat.mp3"))
    assert ".wav" in caught.value.say("en")
    with pytest.raises(StudioError) as caught:
        run("beat", "render", "trap", "-o", str(tmp_path / "missing" / "beat.wav"))
    assert "does not exist" in caught.value.say("en")


def test_a_broken_beat_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n')
    with pytest.raises(StudioError) as caught:
        run("beat", "render", str(broken), "-o", str(tmp_path / "x.wav"))
    assert "broken.toml" in caught.value.say("en")
