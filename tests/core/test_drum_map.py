"""Percussion keys to kit voices: General MIDI, the Roland TD-11 map of the Groove dataset, the
guess between them, and export keys that come back as the same voices."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from studio.core.drum_map import (
    GM,
    GM_KEY_FOR_VOICE,
    KIT_VOICES,
    TD11,
    KitVoice,
    gm_key,
    guess_drum_map,
)
from studio.core.midi_file import Note, read_midi
from studio.core.midi_write import TrackToWrite, write_midi_type1

DATA = Path(__file__).resolve().parents[1] / "data" / "midi"
GROOVE = sorted((DATA / "groove").rglob("*.mid"))


def test_kit_voices_are_the_studio_names() -> None:
    assert KIT_VOICES == (
        "kick",
        "snare",
        "clap",
        "rim",
        "hat_closed",
        "hat_pedal",
        "hat_open",
        "tom_low",
        "tom_mid",
        "tom_high",
        "crash",
        "ride",
        "cowbell",
        "shaker",
    )
    assert set(get_args(KitVoice)) == set(KIT_VOICES)


def test_gm_map_covers_every_gm_percussion_key() -> None:
    for key in range(35, 82):
        assert key in GM.keys
        assert GM.voice(key) is None or GM.voice(key) in KIT_VOICES
    assert set(GM.keys) == set(range(27, 88))  # GM1 35–81 and the GM2 additions
    assert {v for v in GM.keys.values() if v} == set(KIT_VOICES)  # every voice is reachable


@pytest.mark.parametrize(
    ("key", "voice"),
    [
        (35, "kick"),
        (36, "kick"),
        (37, "rim"),
        (38, "snare"),
        (39, "clap"),
        (40, "snare"),
        (41, "tom_low"),
        (42, "hat_closed"),
        (44, "hat_pedal"),
        (46, "hat_open"),
        (45, "tom_mid"),
        (50, "tom_high"),
        (49, "crash"),
        (51, "ride"),
        (56, "cowbell"),
        (70, "shaker"),
        (71, None),  # short whistle
        (72, None),  # long whistle
        (81, None),  # open triangle
        (22, None),  # not a GM key
        (100, None),
    ],
)
def test_gm_voices(key: int, voice: str | None) -> None:
    assert GM.voice(key) == voice


@pytest.mark.parametrize(
    ("key", "voice"),
    [
        (22, "hat_closed"),  # hi-hat closed, edge
        (26, "hat_open"),  # hi-hat open, edge
        (42, "hat_closed"),
        (46, "hat_open"),
        (44, "hat_pedal"),
        (36, "kick"),
        (38, "snare"),
        (40, "snare"),  # snare rim shot
        (37, "rim"),  # cross-stick
        (48, "tom_high"),
        (50, "tom_high"),
        (45, "tom_mid"),
        (47, "tom_mid"),
        (43, "tom_low"),
        (58, "tom_low"),  # tom 3 rim: a vibraslap in GM
        (49, "crash"),
        (55, "crash"),
        (57, "crash"),
        (52, "crash"),
        (51, "ride"),
        (59, "ride"),
        (53, "ride"),
    ],
)
def test_td11_voices(key: int, voice: str) -> None:
    assert TD11.voice(key) == voice


def test_export_keys_come_back_as_the_same_voice() -> None:
    assert set(GM_KEY_FOR_VOICE) == set(KIT_VOICES)
    for voice in KIT_VOICES:
        assert 35 <= gm_key(voice) <= 81
        assert GM.voice(gm_key(voice)) == voice
        assert TD11.voice(gm_key(voice)) == voice


@pytest.mark.parametrize("path", GROOVE, ids=lambda p: p.name)
def test_groove_files_are_guessed_as_td11_and_every_hit_has_a_voice(path: Path) -> None:
    reading = read_midi(path.read_bytes())
    keys = [n.key for t in reading.tracks for n in t.notes]
    assert {22} <= set(keys)
    assert guess_drum_map(keys) is TD11
    assert all(TD11.voice(key) is not None for key in keys)


def test_gm_files_are_guessed_as_gm() -> None:
    reading = read_midi((DATA / "jazz-soft" / "test-all-gm-percussion.mid").read_bytes())
    keys = [n.key for t in reading.tracks for n in t.notes]
    assert guess_drum_map(keys) is GM
    assert guess_drum_map([]) is GM
    assert guess_drum_map([36, 26]) is TD11


def test_a_beat_exported_on_channel_10_imports_as_the_same_voices() -> None:
    voices: list[KitVoice] = list(KIT_VOICES)
    notes = [Note(i * 48, 24, 9, gm_key(v), 100) for i, v in enumerate(voices)]
    reading = read_midi(write_midi_type1([TrackToWrite("Beat", notes)], 96, 90.0))
    back = reading.tracks[1].notes
    drum_map = guess_drum_map(n.key for n in back)
    assert drum_map is GM
    assert [drum_map.voice(n.key) for n in back] == voices
    assert {n.channel for n in back} == {9}
