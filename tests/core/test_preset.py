from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from studio.core.i18n import StudioError
from studio.core.preset import (
    EFFECTS,
    EffectStep,
    find_preset,
    list_presets,
    load_preset,
    parse_preset,
    presets_folder,
)

REPO = Path(__file__).resolve().parents[2]

GOOD = """
name = "test-chain"
kind = "effect"

[words]
nb = "Litt rom."
en = "A little room."

[[effect]]
type = "HighpassFilter"
cutoff_frequency_hz = 90

[[effect]]
type = "Compressor"
threshold_db = -18.5
ratio = 3
"""

HEADER = """
name = "bad"
kind = "effect"
[words]
nb = "x"
en = "y"
"""


def test_good_preset_parses() -> None:
    preset = parse_preset(GOOD, "test.toml")
    assert preset.name == "test-chain"
    assert preset.words.say("nb") == "Litt rom." and preset.words.say("en") == "A little room."
    assert preset.effects == (
        EffectStep("HighpassFilter", {"cutoff_frequency_hz": 90.0}),
        EffectStep("Compressor", {"threshold_db": -18.5, "ratio": 3.0}),
    )
    assert all(isinstance(v, float) for step in preset.effects for v in step.params.values())


def test_no_effects_is_allowed() -> None:
    assert parse_preset(HEADER, "dry.toml").effects == ()


@pytest.mark.parametrize(
    ("text", "en_words", "nb_words"),
    [
        ("name = ", "can't be read", "kan ikke leses"),
        (HEADER + '[[effect]]\ntype = "Flanger"\n', "'Flanger'", "'Flanger'"),
        (HEADER + "[[effect]]\ncutoff_frequency_hz = 90\n", "missing 'type'", "mangler «type»"),
        (
            HEADER + '[[effect]]\ntype = "HighpassFilter"\ncutoff = 90\n',
            "no setting called 'cutoff'",
            "«cutoff»",
        ),
        (
            HEADER + '[[effect]]\ntype = "HighpassFilter"\ncutoff_frequency_hz = "90"\n',
            "must be a number",
            "være et tall",
        ),
        (
            HEADER + '[[effect]]\ntype = "Compressor"\nratio = true\n',
            "must be a number",
            "være et tall",
        ),
        (
            HEADER + '[[effect]]\ntype = "Compressor"\nratio = 0.5\n',
            "between 1 and 50, but it is 0.5",
            "mellom 1 og 50, men er 0.5",
        ),
        (
            HEADER + '[[effect]]\ntype = "Compressor"\nthreshold_db = nan\n',
            "ordinary number",
            "vanlig tall",
        ),
        (
            HEADER + '[[effect]]\ntype = "Gain"\ngain_db = inf\n',
            "ordinary number",
            "vanlig tall",
        ),
        (
            HEADER + '[[effect]]\ntype = "Delay"\nfeedback = 1.0\n',
            "between 0 and 0.95",
            "mellom 0 og 0.95",
        ),
        (HEADER.replace('"effect"', '"mastering"'), "not an effect preset", "ikke et effekt"),
        (HEADER.replace('kind = "effect"', ""), "missing 'kind'", "mangler «kind»"),
        (HEADER.replace('name = "bad"', ""), "missing 'name'", "mangler «name»"),
        (HEADER.replace('en = "y"', ""), "missing 'words.en'", "mangler «words.en»"),
        (HEADER.replace('en = "y"', "en = 3"), "'words.en' must be text", "være tekst"),
        (HEADER.replace('en = "y"', 'en = "y"\nde = "z"'), "'words.de'", "«words.de»"),
        ('colour = "red"\n' + HEADER, "don't know: 'colour'", "kjenner: «colour»"),
        ('effect = "Reverb"\n' + HEADER, "[[effect]] tables", "[[effect]]-tabeller"),
        (HEADER + '[[effect]]\ntype = "Gain"\n' * 17, "at most 16", "høyst 16"),
        (HEADER + "[[effect]]\ntype = 3\n", "is 3, which we don't know", "er 3, som vi"),
        (
            HEADER + '[[effect]]\ntype = "Gain"\ngain_db = [3]\n',
            "must be a number, not [3]",
            "være et tall, ikke [3]",
        ),
        (
            HEADER + '[[effect]]\ntype = "Gain"\n[effect.gain_db]\nvalue = 3\n',
            "must be a number",
            "være et tall",
        ),
        (
            HEADER + '[[effect]]\ntype = "Reverb"\nroom_size = -inf\n',
            "ordinary number, not -inf",
            "vanlig tall, ikke -inf",
        ),
        (
            HEADER + '[[effect]]\ntype = "HighpassFilter"\ncutoff_frequency_hz = 5\n',
            "between 20 and 20000, but it is 5",
            "mellom 20 og 20000, men er 5",
        ),
    ],
)
def test_bad_preset_is_explained_in_plain_words(text: str, en_words: str, nb_words: str) -> None:
    with pytest.raises(StudioError) as caught:
        parse_preset(text, "presets/effects/bad.toml")
    english = caught.value.say("en")
    norwegian = caught.value.say("nb")
    assert "presets/effects/bad.toml" in english and "presets/effects/bad.toml" in norwegian
    assert en_words in english, english
    assert nb_words in norwegian, norwegian


def test_shipped_presets_load_and_have_words() -> None:
    folder = REPO / "presets" / "effects"
    presets = list_presets(folder)
    names = [preset.name for preset in presets]
    assert names == sorted(names)
    assert {"vocal-clean", "vocal-warm", "vocal-rap", "dry"} <= set(names)
    for path in folder.glob("*.toml"):
        preset = load_preset(path)
        assert preset.name == path.stem
        assert len(preset.words.nb) > 10 and len(preset.words.en) > 10
    assert find_preset("dry", folder).effects == ()


def test_vocal_clean_is_the_chain_we_promised() -> None:
    preset = find_preset("vocal-clean", REPO / "presets" / "effects")
    types = [step.type for step in preset.effects]
    assert types[:3] == ["NoiseGate", "HighpassFilter", "Compressor"]
    assert "PeakFilter" in types and types[-1] == "Reverb"
    assert preset.effects[1].params["cutoff_frequency_hz"] == pytest.approx(90.0, abs=15)
    compressor = preset.effects[2].params
    rap = find_preset("vocal-rap", REPO / "presets" / "effects")
    rap_compressor = next(s.params for s in rap.effects if s.type == "Compressor")
    assert rap_compressor["ratio"] > compressor["ratio"]
    rap_reverb = next(s.params for s in rap.effects if s.type == "Reverb")
    clean_reverb = next(s.params for s in preset.effects if s.type == "Reverb")
    assert rap_reverb["wet_level"] < clean_reverb["wet_level"]


def test_find_by_file_name_or_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD, encoding="utf-8")
    assert find_preset("a", tmp_path).name == "test-chain"
    assert find_preset("test-chain", tmp_path).name == "test-chain"
    with pytest.raises(StudioError) as caught:
        find_preset("nope", tmp_path)
    assert "nope" in caught.value.say("en") and "test-chain" in caught.value.say("nb")
    with pytest.raises(StudioError):
        find_preset("../a", tmp_path)


def test_broken_files_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_bytes(b"name = \xff\xfe")
    with pytest.raises(StudioError) as caught:
        list_presets(tmp_path)
    assert str(broken) in caught.value.say("en")
    with pytest.raises(StudioError) as caught:
        load_preset(tmp_path / "missing.toml")
    assert "missing.toml" in caught.value.say("nb")
    with pytest.raises(StudioError):
        list_presets(tmp_path / "no-such-folder")


def test_presets_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STUDIO_PRESETS", raising=False)
    assert presets_folder() == REPO / "presets"
    monkeypatch.setenv("STUDIO_PRESETS", str(tmp_path))
    assert presets_folder() == tmp_path
    (tmp_path / "effects").mkdir()
    (tmp_path / "effects" / "mine.toml").write_text(GOOD, encoding="utf-8")
    assert [p.name for p in list_presets()] == ["test-chain"]
    assert find_preset("mine").name == "test-chain"


def test_every_effect_has_sensible_ranges() -> None:
    assert len(EFFECTS) == 13
    for params in EFFECTS.values():
        assert params
        for span in params.values():
            assert span.low < span.high


def test_core_preset_stays_pure() -> None:
    code = (
        "import sys, studio.core.preset; "
        "bad = [m for m in ('numpy', 'pedalboard') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
