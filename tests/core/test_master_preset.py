"""Mastering presets: the shipped ones load with the promised targets; a bad file gets a plain
message naming the file and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.i18n import StudioError
from studio.core.master_preset import (
    find_master_preset,
    list_master_presets,
    load_master_preset,
    parse_master_preset,
)

GOOD = """
name = "test"
kind = "master"
[words]
nb = "Prøve."
en = "Test."
[target]
integrated_lufs = -14.0
true_peak_dbtp = -1.0
[input]
loudness_lufs = -18.0
[[effect]]
type = "Compressor"
threshold_db = -16.0
ratio = 2.0
"""


def test_shipped_presets_have_the_promised_targets() -> None:
    presets = {p.name: p for p in list_master_presets()}
    assert {"streaming", "loud", "podcast", "none"} <= set(presets)
    expected = {"streaming": (-14.0, -1.0), "loud": (-9.0, -1.0), "podcast": (-16.0, -1.5)}
    for name, (lufs, peak) in expected.items():
        target = presets[name].target
        assert target is not None
        assert (target.integrated_lufs, target.true_peak_dbtp) == (lufs, peak)
        assert presets[name].words.nb and presets[name].words.en
    none = presets["none"]
    assert none.changes_nothing and not none.effects and none.input_lufs is None


def test_find_by_file_name() -> None:
    assert find_master_preset("streaming").name == "streaming"
    with pytest.raises(StudioError) as caught:
        find_master_preset("no-such")
    assert "streaming" in caught.value.say("en")


def test_a_good_file_parses() -> None:
    preset = parse_master_preset(GOOD, "test.toml")
    assert preset.target is not None and preset.input_lufs == -18.0
    assert preset.effects[0].params == {"threshold_db": -16.0, "ratio": 2.0}
    assert preset.chain_preset().effects == preset.effects


@pytest.mark.parametrize(("change", "words"), [
    (("kind = \"master\"", "kind = \"effect\""), "is not a mastering preset"),
    (("integrated_lufs = -14.0", "integrated_lufs = -2.0"), "must be between -36 and -6"),
    (("integrated_lufs = -14.0", "integrated_lufs = nan"), "ordinary number"),
    (("integrated_lufs = -14.0", "integrated_lufs = \"loud\""), "must be a number"),
    (("true_peak_dbtp = -1.0", "true_peak_dbtp = 1.0"), "target.true_peak_dbtp"),
    (("true_peak_dbtp = -1.0\n", ""), "missing 'target.true_peak_dbtp'"),
    (("type = \"Compressor\"", "type = \"Limiter\""), "peak limiter always comes last"),
    (("type = \"Compressor\"", "type = \"Reverb\""), "can't be used for mastering"),
    (("ratio = 2.0", "ratio = 200.0"), "Compressor.ratio"),
    (("ratio = 2.0", "knee = 2.0"), "no setting called 'knee'"),
    (("[input]\nloudness_lufs = -18.0\n", ""), "need a known level"),
    (("name = \"test\"", "name = \"test\"\ncolour = \"red\""), "we don't know: 'colour'"),
    (("[words]", "[wordz]"), "we don't know: 'wordz'"),
    (("nb = \"Prøve.\"\n", ""), "missing 'words.nb'"),
    (("[target]", "target = 3\n[x]"), "we don't know: 'x'"),
    (("[target]\nintegrated_lufs", "[target\nintegrated_lufs"), "can't be read"),
])
def test_bad_files_are_explained(change: tuple[str, str], words: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(StudioError) as caught:
        parse_master_preset(text, "bad.toml")
    said = caught.value.say("en")
    assert words in said and "bad.toml" in said
    assert caught.value.say("nb") != said  # both languages are there


def test_no_target_means_no_chain_either() -> None:
    text = GOOD.replace("[target]\nintegrated_lufs = -14.0\ntrue_peak_dbtp = -1.0\n", "")
    with pytest.raises(StudioError) as caught:
        parse_master_preset(text, "half.toml")
    assert "no [target]" in caught.value.say("en")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(b"\xff\xfe not text")
    with pytest.raises(StudioError) as caught:
        load_master_preset(path)
    assert "UTF-8" in caught.value.say("en")
    with pytest.raises(StudioError):
        load_master_preset(tmp_path / "missing.toml")
