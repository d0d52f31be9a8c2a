"""`studio kit import|list`: Hydrogen drumkits and sample kits checked, copied into the studio's
folder through a temporary folder, listed, and played by name."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from studio.audio.beat import open_kit
from studio.cli.beat_cmd import add_beat_parser
from studio.cli.kit_cmd import add_kit_parser
from studio.core.i18n import StudioError, set_language
from studio.services.beats import open_kit_for, render_beat
from studio.services.kits import import_kit, kit_path, kits_folder, list_kits

REPO = Path(__file__).resolve().parents[2]
HYDROGEN = REPO / "tests" / "data" / "hydrogen"
TINY = REPO / "tests" / "data" / "kits" / "tiny"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="studio")
    sub = top.add_subparsers(dest="command")

    def add(name: str, func: Callable[[argparse.Namespace], int], nb: str, eng: str,
            parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=eng)
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true")
        return p

    add_kit_parser(sub, add)
    add_beat_parser(sub, add)
    return top


def run(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    return int(args.func(args))


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("nb")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "studio"
    monkeypatch.setenv("STUDIO_HOME", str(folder))
    return folder


def kit_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_hydrogen_kits_and_a_sample_kit_come_in_and_play(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kit", "import", str(HYDROGEN / "LayeredKit"), "--json") == 0
    layered = json.loads(capsys.readouterr().out)
    assert layered["name"] == "layered-test-kit" and layered["kind"] == "hydrogen"
    assert layered["title"] == "Layered Test Kit"
    assert "kick" in layered["voices"] and "crash" not in layered["voices"]  # its sample is gone
    assert any("Vibraslap" in n for n in layered["notes_en"])
    target = kits_folder(home) / "layered-test-kit"
    assert kit_files(target) == kit_files(HYDROGEN / "LayeredKit")
    assert run("kit", "import", str(HYDROGEN / "OldFormatKit" / "drumkit.xml"), "--name",
               "Gamle Åse") == 0
    assert "gamle-ase" in capsys.readouterr().out
    assert run("kit", "import", str(TINY / "kit.toml")) == 0
    assert "tiny-test-kit" in capsys.readouterr().out
    assert [p.name for p in kits_folder(home).iterdir()] != []
    assert not [p for p in kits_folder(home).iterdir() if p.name.startswith(".")]

    assert run("kit", "list", "--json") == 0
    listed = [k for k in json.loads(capsys.readouterr().out)["kits"]
              if k["path"] is None or k["path"].startswith(str(home))]  # not presets/kits
    assert [(k["name"], k["kind"]) for k in listed] == [
        ("synth", "synth"), ("gamle-ase", "hydrogen"), ("layered-test-kit", "hydrogen"),
        ("tiny-test-kit", "samples")]
    assert listed[3]["title"] == "Tiny test kit"
    assert run("kit", "list") == 0
    assert "Layered Test Kit" in capsys.readouterr().out

    # played by name: the copy sounds like the original
    copy = open_kit_for("layered-test-kit", None, 48000)
    original = open_kit(HYDROGEN / "LayeredKit", 48000)
    assert set(copy.voices) == set(original.voices)
    for voice in copy.voices:
        for a, b in zip(copy.voices[voice].layers, original.voices[voice].layers, strict=True):
            assert np.array_equal(a.sound, b.sound) and (a.low, a.high) == (b.low, b.high)
    out = tmp_path / "beat.wav"
    report = render_beat("boom-bap", out, bars=2, kit="Layered Test Kit")
    assert report.kit == "Layered Test Kit" and sf.info(str(out)).frames > 0
    assert run("beat", "render", "trap", "-o", str(out), "--bars", "1", "--kit",
               "tiny-test-kit") == 0
    assert "Tiny test kit" in capsys.readouterr().out


def test_what_cannot_come_in_is_said_and_leaves_nothing(home: Path, tmp_path: Path) -> None:
    import_kit(TINY)
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    (broken / "kick.wav").unlink()
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (TINY, None, "already a drum kit called 'tiny-test-kit'"),
        (TINY, "synth", "belongs to the built-in drum kit"),
        (empty, None, "No drum kit found"),
        (tmp_path / "missing", None, "No drum kit found"),
        (broken, "other", "kick.wav"),
    ]
    for source, name, expected in cases:
        with pytest.raises(StudioError) as caught:
            import_kit(source, name)
        assert expected in caught.value.say("en"), caught.value.say("en")
        assert caught.value.say("nb")
    assert sorted(p.name for p in kits_folder(home).iterdir()) == ["tiny-test-kit"]
    with pytest.raises(StudioError) as unknown:
        kit_path("nope")
    assert "These exist: synth, " in unknown.value.say("en")
    assert "tiny-test-kit" in unknown.value.say("en")
    assert kit_path("synth") == "synth" and kit_path(" Tiny Test Kit ") == (
        kits_folder(home) / "tiny-test-kit")


def test_hidden_files_stay_behind_and_links_out_of_the_folder_are_not_followed(
        home: Path, tmp_path: Path) -> None:
    source = tmp_path / "linked"
    shutil.copytree(TINY, source)
    (source / ".git").mkdir()
    (source / ".git" / "config").write_text("secret")
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the kit")
    os.symlink(outside, source / "notes.txt")
    (source / "extra").mkdir()
    shutil.copy(TINY / "kick.wav", source / "extra" / "kick-2.wav")
    kit = import_kit(source, "linked")
    files = kit_files(kit.path)
    assert ".git/config" not in files and "notes.txt" not in files
    assert "extra/kick-2.wav" in files and "kit.toml" in files
    assert any("points outside its folder" in n.say("en") for n in kit.notes)


def test_the_studio_folder_holds_the_kits(home: Path) -> None:
    assert kits_folder() == home / "kits"
    mine = [k.name for k in list_kits() if k.path is None or k.path.is_relative_to(home)]
    assert mine == ["synth"]  # nothing imported yet, and no folder needed for that
