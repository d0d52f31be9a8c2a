"""Sample kits (a folder with ``kit.toml``) and Hydrogen drumkits (``drumkit.xml``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.beat import open_kit
from studio.audio.beat.hydrogen_kit import load_hydrogen_kit, voice_for_instrument
from studio.audio.beat.kit import Kit
from studio.audio.beat.render import BeatRenderer
from studio.audio.beat.sample_kit import load_sample_kit
from studio.core.beat import VOICES, parse_beat
from studio.core.i18n import StudioError

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
TINY = DATA / "kits" / "tiny"
OLD = DATA / "hydrogen" / "OldFormatKit"
LAYERED = DATA / "hydrogen" / "LayeredKit"
SYSTEM_KITS = sorted(Path("/usr/share/hydrogen/data/drumkits").glob("*/drumkit.xml"))
SR = 48000


def pitch_of(sound: npt.NDArray[np.float32], rate: int = SR) -> float:
    mono = sound[:, 0].astype(np.float64)
    mag = np.abs(np.fft.rfft(mono, 1 << 16))
    return float(np.fft.rfftfreq(1 << 16, 1 / rate)[np.argmax(mag)])


# --- kit.toml ----------------------------------------------------------------------------------


def test_a_sample_kit_loads_every_format_at_the_render_rate() -> None:
    kit = load_sample_kit(TINY, SR)
    assert kit.name == "Tiny test kit" and kit.samplerate == SR
    assert list(kit.voices) == ["kick", "snare", "clap", "hat_closed", "hat_open"]
    kick = kit.voices["kick"]
    assert kick.level == 0.9 and kick.choke == "kick"
    (layer,) = kick.layers
    assert layer.frames == round(0.08 * SR)  # 44.1 kHz resampled to 48 kHz
    assert pitch_of(layer.sound) == pytest.approx(60, abs=8)
    soft, hard = kit.voices["snare"].layers  # listed hard first in the file: sorted here
    assert (soft.low, soft.high, soft.gain) == (1, 80, 1.2) and (hard.low, hard.high) == (81, 127)
    assert pitch_of(soft.sound) == pytest.approx(300, abs=10)
    assert pitch_of(hard.sound) == pytest.approx(1200, abs=10)  # FLAC
    assert [(x.low, x.high) for x in kit.voices["clap"].layers] == [(1, 63), (64, 127)]
    hat = kit.voices["hat_closed"].layers[0]  # Ogg Vorbis
    assert pitch_of(hat.sound) == pytest.approx(5000, abs=30)
    opened = kit.voices["hat_open"].layers[0].sound  # a 32 kHz stereo file with pan 0.3
    assert len(opened) == round(0.12 * SR)
    assert not np.array_equal(opened[:, 0], opened[:, 1])
    for voice in kit.voices.values():
        for layer in voice.layers:
            assert layer.sound.dtype == np.float32 and layer.sound.shape[1] == 2
            assert not layer.sound.flags.writeable


def write_kit(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    shutil.copy(TINY / "kick.wav", folder / "kick.wav")
    (folder / "kit.toml").write_text(text, encoding="utf-8")
    return folder


BAD_KITS = {
    "unknown voice": ('[voice.kik]\nfile = "kick.wav"\n', "'kik'"),
    "missing file": ('[voice.kick]\nfile = "nope.wav"\n', "nope.wav was not found"),
    "outside the folder": ('[voice.kick]\nfile = "../kick.wav"\n', "outside the kit's folder"),
    "backwards velocities": ('[voice.kick]\nlayers = [{ file = "kick.wav", velocity = [90, 10] '
                             "}]\n", "low ≤ high"),
    "velocity out of range": ('[voice.kick]\nlayers = [{ file = "kick.wav", velocity = [0, 10] '
                              "}]\n", "1-127"),
    "two ways to give files": ('[voice.kick]\nfile = "kick.wav"\nfiles = ["kick.wav"]\n',
                               "exactly one of"),
    "no files at all": ("[voice.kick]\nlevel = 1\n", "exactly one of"),
    "level not a number": ('[voice.kick]\nfile = "kick.wav"\nlevel = nan\n', "'level'"),
    "unknown key": ('[voice.kick]\nfile = "kick.wav"\nvolume = 1\n', "'volume'"),
    "unknown top key": ('colour = "red"\n[voice.kick]\nfile = "kick.wav"\n', "'colour'"),
    "no voices": ('name = "empty"\n', "no sounds"),
    "toml syntax": ("[voice.kick\n", "can't be read"),
    "choke not a name": ('[voice.kick]\nfile = "kick.wav"\nchoke = 3\n', "'choke'"),
}


@pytest.mark.parametrize("case", sorted(BAD_KITS))
def test_a_bad_mapping_gets_plain_words(case: str, tmp_path: Path) -> None:
    text, expected = BAD_KITS[case]
    folder = write_kit(tmp_path / "kit", text)
    with pytest.raises(StudioError) as caught:
        load_sample_kit(folder, SR)
    english = caught.value.say("en")
    assert "kit.toml" in english and expected in english, english
    assert caught.value.say("nb") != english


def test_unreadable_and_odd_sound_files(tmp_path: Path) -> None:
    folder = write_kit(tmp_path / "kit", '[voice.kick]\nfile = "kick.ogg"\n')
    (folder / "kick.ogg").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")  # not a sound
    with pytest.raises(StudioError) as caught:
        load_sample_kit(folder, SR)
    assert "kick.ogg" in caught.value.say("en") and "can't be read" in caught.value.say("en")
    (folder / "kit.toml").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(StudioError):
        load_sample_kit(folder, SR)
    import soundfile as sf

    (folder / "kit.toml").write_text('[voice.kick]\nfile = "empty.wav"\n')
    sf.write(folder / "empty.wav", np.zeros((0, 1), dtype=np.float32), SR)
    with pytest.raises(StudioError) as caught:
        load_sample_kit(folder, SR)
    assert "empty" in caught.value.say("en")
    (folder / "kit.toml").write_text('[voice.kick]\nfile = "nan.wav"\n')
    sf.write(folder / "nan.wav", np.array([[0.1], [np.nan]], dtype=np.float32), SR,
             subtype="FLOAT")
    with pytest.raises(StudioError) as caught:
        load_sample_kit(folder, SR)
    assert "not numbers" in caught.value.say("en")


def test_open_kit_finds_the_kind_of_kit(tmp_path: Path) -> None:
    assert open_kit("synth", SR).name == "synth"
    assert open_kit(TINY, SR).name == "Tiny test kit"
    assert open_kit(TINY / "kit.toml", SR).name == "Tiny test kit"
    assert open_kit(OLD, SR).name == "Old Format Kit"
    assert open_kit(LAYERED / "drumkit.xml", SR).name == "Layered Test Kit"
    for spec in (tmp_path, tmp_path / "nothing-here"):
        with pytest.raises(StudioError):
            open_kit(spec, SR)


# --- Hydrogen ----------------------------------------------------------------------------------


def test_the_oldest_hydrogen_format() -> None:
    kit = load_hydrogen_kit(OLD, SR)
    assert set(kit.voices) == {"kick", "snare", "clap", "hat_closed", "hat_open"}
    assert kit.voices["snare"].level == pytest.approx(0.8)
    snare = kit.voices["snare"].layers[0].sound  # pan_L 1, pan_R 0.7: a little to the left
    assert np.max(np.abs(snare[:, 1])) == pytest.approx(0.7 * np.max(np.abs(snare[:, 0])),
                                                        rel=1e-3)
    assert kit.voices["hat_closed"].choke == kit.voices["hat_open"].choke == "hats"
    assert kit.voices["kick"].layers[0].frames == round(0.08 * SR)  # 22.05 kHz resampled


def snare_pitches(kit: Kit) -> list[float]:
    return [pitch_of(kit.voices["snare"].layer_for(v).sound) for v in (20, 60, 120)]


def test_newer_format_with_layers_listed_loudest_first(tmp_path: Path) -> None:
    kit = load_hydrogen_kit(LAYERED / "drumkit.xml", SR)
    assert [(x.low, x.high) for x in kit.voices["snare"].layers] == [(1, 44), (45, 88),
                                                                      (89, 127)]
    assert snare_pitches(kit) == pytest.approx([300, 600, 1200], abs=10)
    assert [pitch_of(x.sound) for x in kit.voices["kick"].layers] == pytest.approx([55, 65],
                                                                                   abs=6)
    assert {kit.voices[v].choke for v in ("hat_closed", "hat_pedal", "hat_open")} == {"mute1"}
    assert {"tom_low", "tom_mid", "tom_high", "ride"} <= set(kit.voices)
    assert pitch_of(kit.voices["tom_high"].layers[0].sound) == pytest.approx(220, abs=8)
    assert pitch_of(kit.voices["tom_mid"].layers[0].sound) == pytest.approx(165, abs=8)
    low = kit.voices["tom_low"].layers[0]  # pitch -12: an octave down and twice as long
    assert pitch_of(low.sound) == pytest.approx(55, abs=4)
    assert low.frames == pytest.approx(2 * 0.05 * SR, abs=4)
    assert "crash" not in kit.voices
    said = " ".join(n.say("en") for n in kit.notes)
    assert "'Vibraslap' was not used" in said and "crash-missing.wav" in said
    assert "'Floor Tom' plays low tom" in said
    # the same kit with its layers in the other order chooses the same sounds
    text = (LAYERED / "drumkit.xml").read_text(encoding="utf-8")
    hard = text[text.index("<layer>\n     <filename>snare-hard.wav"):]
    hard = hard[: hard.index("</layer>") + len("</layer>")]
    soft = text[text.index("<layer>\n     <filename>snare-soft.wav"):]
    soft = soft[: soft.index("</layer>") + len("</layer>")]
    swapped = text.replace(hard, "@@HARD@@").replace(soft, hard).replace("@@HARD@@", soft)
    assert swapped != text
    copy = tmp_path / "kit"
    shutil.copytree(LAYERED, copy)
    (copy / "drumkit.xml").write_text(swapped, encoding="utf-8")
    again = load_hydrogen_kit(copy, SR)
    assert snare_pitches(again) == snare_pitches(kit)


@pytest.mark.parametrize(("name", "voice"), [
    ("Kick", "kick"), ("Bass Drum", "kick"), ("Kick Long", "kick"), ("BD", "kick"),
    ("Stick", "rim"), ("SideStick", "rim"), ("Snare Rimshot", "rim"), ("Snare", "snare"),
    ("Snare Jazz", "snare"), ("Hand Clap", "clap"), ("Clap", "clap"), ("Floor Tom", "tom_low"),
    ("Tom Low", "tom_low"), ("Tom 2", "tom_mid"), ("Tom Mid", "tom_mid"), ("Tom 1", "tom_high"),
    ("Tom Hi", "tom_high"), ("Hat Closed", "hat_closed"), ("Closed HiHat", "hat_closed"),
    ("Closed Hat", "hat_closed"), ("Hat Pedal", "hat_pedal"), ("Pedal Hat", "hat_pedal"),
    ("Hat Open", "hat_open"), ("Open HiHat", "hat_open"), ("Hat Semi-Open", "hat_open"),
    ("Cowbell", "cowbell"), ("Ride", "ride"), ("Ride Jazz", "ride"), ("Bell", "ride"),
    ("Crash", "crash"), ("Crash Jazz", "crash"), ("Cymbal", "crash"), ("Splash", "crash"),
    ("Shaker", "shaker"), ("Maracas", "shaker"), ("Tambourine", "shaker"), ("Conga", "tom_mid"),
])
def test_instrument_names_map_to_voices(name: str, voice: str) -> None:
    match = voice_for_instrument(name)
    assert match is not None and match[0] == voice


def test_names_that_fit_nothing_and_the_type_as_a_fallback() -> None:
    assert voice_for_instrument("Vibraslap") is None
    assert voice_for_instrument("Laser", "Kick") == ("kick", 0)


BAD_XML = {
    "not xml": (b"this is not xml", "can't be read"),
    "no instruments": (b"<drumkit_info><name>x</name></drumkit_info>", "no <instrument>"),
    "entity": (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><drumkit_info/>',
               "not allowed"),
    "nothing usable": (b"<drumkit_info><instrumentList><instrument><name>Kick</name>"
                       b"<filename>missing.wav</filename></instrument></instrumentList>"
                       b"</drumkit_info>", "could be used"),
}


@pytest.mark.parametrize("case", sorted(BAD_XML))
def test_bad_drumkits_get_plain_words(case: str, tmp_path: Path) -> None:
    data, expected = BAD_XML[case]
    (tmp_path / "drumkit.xml").write_bytes(data)
    with pytest.raises(StudioError) as caught:
        load_hydrogen_kit(tmp_path, SR)
    assert expected in caught.value.say("en") and "drumkit.xml" in caught.value.say("en")


def test_a_hydrogen_kit_plays_a_starter_beat_and_its_hats_choke() -> None:
    kit = load_hydrogen_kit(LAYERED, SR)
    beat = parse_beat((REPO / "presets" / "beats" / "house.toml").read_text(), "house")
    renderer = BeatRenderer(beat, kit, pattern="verse", bars=2)
    audio = renderer.render(0, renderer.total_frames)
    assert np.all(np.isfinite(audio)) and np.max(np.abs(audio)) > 0.05
    assert renderer.substitutes == {"clap": "snare"}
    whole = renderer.render(1000, 50000)
    halves = np.concatenate([renderer.render(1000, 20001), renderer.render(21001, 29999)])
    assert np.array_equal(whole, halves)


@pytest.mark.skipif(not SYSTEM_KITS, reason="hydrogen-data is not installed")
@pytest.mark.parametrize("xml", SYSTEM_KITS, ids=lambda p: p.parent.name)
def test_installed_hydrogen_kits(xml: Path) -> None:
    kit = load_hydrogen_kit(xml, SR)
    assert {"kick", "snare"} <= set(kit.voices)
    assert set(kit.voices) <= set(VOICES)
    for voice in kit.voices.values():
        lows = [layer.low for layer in voice.layers]
        assert lows == sorted(lows)
        for layer in voice.layers:
            assert np.all(np.isfinite(layer.sound)) and layer.frames > 0
    beat = parse_beat((REPO / "presets" / "beats" / "boom-bap.toml").read_text(), "boom-bap")
    renderer = BeatRenderer(beat, kit, bars=8)
    audio = renderer.render(0, renderer.total_frames)
    assert np.max(np.abs(audio)) > 0.05
