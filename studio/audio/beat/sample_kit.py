"""A drum kit from a folder of WAV, FLAC or OGG files and a small mapping file, ``kit.toml``::

    name = "Dusty kit"       # optional (the folder's name otherwise)
    level = 1.0              # optional, the whole kit

    [voice.kick]
    file = "kick.wav"
    level = 0.9              # optional, this voice
    choke = "kick"           # optional: a new hit in the group cuts the sounds before it

    [voice.snare]            # velocity layers, each with the velocities (1-127) it plays for
    layers = [
      { file = "snare-soft.wav", velocity = [1, 80] },
      { file = "snare-hard.flac", velocity = [81, 127], gain = 1.1 },
    ]

    [voice.hat_open]
    files = ["ohat-soft.ogg", "ohat-hard.ogg"]    # soft to hard, velocities split evenly
    choke = "hats"

Voices are the beat's voice names (kick, snare, clap, rim, hat_closed, hat_pedal, hat_open,
tom_low, tom_mid, tom_high, crash, ride, cowbell, shaker). Files are read with soundfile and
resampled to the render rate with soxr; they must lie inside the kit's folder. Any mistake stops
loading with plain words naming the file and the place.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from studio.audio.beat.kit import Audio, Kit, KitVoice, Layer, stereo
from studio.core.beat import VOICES
from studio.core.i18n import StudioError, Words

__all__ = ["KIT_FILE", "MAX_SAMPLE_SECONDS", "load_sample", "load_sample_kit"]

KIT_FILE = "kit.toml"
MAX_SAMPLE_SECONDS = 20.0
MAX_LEVEL = 4.0
_TOP_KEYS = ("name", "level", "voice")
_VOICE_KEYS = ("file", "files", "layers", "level", "choke", "pan")
_LAYER_KEYS = ("file", "velocity", "gain")

_CANNOT_READ_KIT = Words(
    nb="Trommesettet {file} kan ikke leses: {detail}",
    en="The drum kit {file} can't be read: {detail}",
)
_KIT_PROBLEM = Words(
    nb="I trommesettet {file} ({where}): {problem_nb}",
    en="In the drum kit {file} ({where}): {problem_en}",
)
_CANNOT_READ_SAMPLE = Words(
    nb="Lydfila {file} kan ikke leses: {detail}",
    en="The sound file {file} can't be read: {detail}",
)
_EMPTY_SAMPLE = Words(
    nb="Lydfila {file} er tom.",
    en="The sound file {file} is empty.",
)
_NOT_NUMBERS = Words(
    nb="Lydfila {file} inneholder verdier som ikke er tall.",
    en="The sound file {file} contains values that are not numbers.",
)
SAMPLE_SHORTENED = Words(
    nb="Lydfila {file} var lengre enn {seconds:g} sekunder og ble kortet ned.",
    en="The sound file {file} was longer than {seconds:g} seconds and was shortened.",
)


def load_sample(path: Path, samplerate: int, pitch_semitones: float = 0.0,
                pan: float = 0.0) -> tuple[Audio, bool]:
    """A sound file as a read-only ``(frames, 2)`` float32 one-shot at ``samplerate``.

    ``pitch_semitones`` plays it higher or lower (faster or slower, as a sampler does). Returns
    the sound and whether it had to be shortened to :data:`MAX_SAMPLE_SECONDS`.
    """
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as error:
        detail = getattr(error, "strerror", None) or str(error)
        raise StudioError(_CANNOT_READ_SAMPLE, file=str(path), detail=detail) from None
    if data.shape[0] == 0:
        raise StudioError(_EMPTY_SAMPLE, file=str(path))
    if not np.all(np.isfinite(data)):
        raise StudioError(_NOT_NUMBERS, file=str(path))
    source_rate = float(rate) * 2.0 ** (pitch_semitones / 12.0)
    longest = round(MAX_SAMPLE_SECONDS * source_rate)
    shortened = data.shape[0] > longest
    if shortened:
        data = data[:longest].copy()
        fade = min(len(data), max(2, round(0.01 * source_rate)))
        data[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    data = np.ascontiguousarray(data[:, :2])
    if abs(source_rate - samplerate) > 1e-9:
        data = soxr.resample(data, source_rate, samplerate, quality="HQ")
        if data.ndim == 1:
            data = data[:, None]
    return stereo(data, pan), shortened


class _KitFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, nb: str, en: str) -> StudioError:
        return StudioError(_KIT_PROBLEM, file=str(self.path), where=where, problem_nb=nb,
                           problem_en=en)

    def keys(self, table: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(where, f"«{key}» kjenner vi ikke. Tillatt: {', '.join(allowed)}.",
                                f"'{key}' is not known. Allowed: {', '.join(allowed)}.")

    def number(self, table: Mapping[str, object], key: str, where: str, low: float,
               high: float, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value) or not low <= value <= high:
            raise self.fail(where, f"«{key}» må være et tall mellom {low:g} og {high:g}.",
                            f"'{key}' must be a number between {low:g} and {high:g}.")
        return float(value)

    def file(self, value: object, where: str) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "filnavnet må være tekst.", "the file name must be text.")
        folder = self.path.parent.resolve()
        target = (folder / value).resolve()
        if not target.is_relative_to(folder):
            raise self.fail(where, f"{value} ligger utenfor mappa til trommesettet.",
                            f"{value} is outside the kit's folder.")
        if not target.is_file():
            raise self.fail(where, f"fant ikke fila {value}.", f"the file {value} was not found.")
        return target

    def velocities(self, value: object, where: str) -> tuple[int, int]:
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                or not 1 <= value[0] <= value[1] <= 127):
            raise self.fail(where, "«velocity» skrives [lav, høy] med hele tall 1-127, lav ≤ høy.",
                            "'velocity' is written [low, high] with whole numbers 1-127, "
                            "low ≤ high.")
        return int(value[0]), int(value[1])


def _layer_specs(k: _KitFile, voice: str, table: Mapping[str, object]
                 ) -> list[tuple[Path, int, int, float]]:
    where = f"voice.{voice}"
    given = [key for key in ("file", "files", "layers") if key in table]
    if len(given) != 1:
        raise k.fail(where, "skriv nøyaktig én av «file», «files» eller «layers».",
                     "write exactly one of 'file', 'files' or 'layers'.")
    if "file" in table:
        return [(k.file(table["file"], where), 1, 127, 1.0)]
    if "files" in table:
        files = table["files"]
        if not isinstance(files, list) or not files or len(files) > 127:
            raise k.fail(where, "«files» må være en liste med filnavn.",
                         "'files' must be a list of file names.")
        count = len(files)
        return [(k.file(name, f"{where}.files[{i + 1}]"), 1 + (127 * i) // count,
                 (127 * (i + 1)) // count, 1.0) for i, name in enumerate(files)]
    layers = table["layers"]
    if not isinstance(layers, list) or not layers:
        raise k.fail(where, "«layers» må være en liste med lag.",
                     "'layers' must be a list of layers.")
    specs = []
    for i, layer in enumerate(layers, start=1):
        spot = f"{where}.layers[{i}]"
        if not isinstance(layer, dict):
            raise k.fail(spot, "hvert lag skrives { file = ..., velocity = [lav, høy] }.",
                         "each layer is written { file = ..., velocity = [low, high] }.")
        k.keys(layer, _LAYER_KEYS, spot)
        if "file" not in layer:
            raise k.fail(spot, "laget mangler «file».", "the layer is missing 'file'.")
        low, high = k.velocities(layer.get("velocity", [1, 127]), spot)
        specs.append((k.file(layer["file"], spot), low, high,
                      k.number(layer, "gain", spot, 0.0, MAX_LEVEL, 1.0)))
    return specs


def load_sample_kit(path: Path | str, samplerate: int) -> Kit:
    """Load a sample kit from its folder (or its ``kit.toml``) at ``samplerate``."""
    path = Path(path)
    kit_file = path / KIT_FILE if path.is_dir() else path
    try:
        data = tomllib.loads(kit_file.read_bytes().decode("utf-8"))
    except OSError as error:
        raise StudioError(_CANNOT_READ_KIT, file=str(kit_file),
                          detail=error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise StudioError(_CANNOT_READ_KIT, file=str(kit_file),
                          detail="not UTF-8 text / ikke UTF-8-tekst") from None
    except tomllib.TOMLDecodeError as error:
        raise StudioError(_CANNOT_READ_KIT, file=str(kit_file), detail=str(error)) from None
    k = _KitFile(kit_file)
    k.keys(data, _TOP_KEYS, "kit")
    name = data.get("name", kit_file.parent.name)
    if not isinstance(name, str) or not name.strip():
        raise k.fail("name", "«name» må være tekst.", "'name' must be text.")
    level = k.number(data, "level", "kit", 0.0, MAX_LEVEL, 1.0)
    table = data.get("voice")
    if not isinstance(table, dict) or not table:
        raise k.fail("voice", "trommesettet har ingen lyder ([voice.kick] osv.).",
                     "the kit has no sounds ([voice.kick] and so on).")
    loaded: dict[tuple[Path, float], Audio] = {}
    notes: list[Words] = []
    voices: dict[str, KitVoice] = {}
    for voice, spec in table.items():
        where = f"voice.{voice}"
        if voice not in VOICES:
            raise k.fail(where, f"«{voice}» er ingen lyd vi kjenner. Lydene er: "
                         f"{', '.join(VOICES)}.",
                         f"'{voice}' is not a sound we know. The sounds are: {', '.join(VOICES)}.")
        if not isinstance(spec, dict):
            raise k.fail(where, "skrives som en tabell, [voice.navn].",
                         "is written as a table, [voice.name].")
        k.keys(spec, _VOICE_KEYS, where)
        choke = spec.get("choke")
        if choke is not None and (not isinstance(choke, str) or not choke.strip()):
            raise k.fail(where, "«choke» må være et navn.", "'choke' must be a name.")
        pan = k.number(spec, "pan", where, -1.0, 1.0, 0.0)
        layers = []
        for file, low, high, gain in _layer_specs(k, voice, spec):
            if (file, pan) not in loaded:
                sound, shortened = load_sample(file, samplerate, pan=pan)
                loaded[(file, pan)] = sound
                if shortened:
                    notes.append(Words(SAMPLE_SHORTENED.say("nb", file=file.name,
                                                            seconds=MAX_SAMPLE_SECONDS),
                                       SAMPLE_SHORTENED.say("en", file=file.name,
                                                            seconds=MAX_SAMPLE_SECONDS)))
            layers.append(Layer(loaded[(file, pan)], low, high, gain))
        voices[voice] = KitVoice(
            layers=tuple(sorted(layers, key=lambda layer: (layer.low, layer.high))),
            level=k.number(spec, "level", where, 0.0, MAX_LEVEL, 1.0),
            choke=choke.strip() if isinstance(choke, str) else None,
        )
    return Kit(name=name.strip(), samplerate=samplerate,
               voices={v: voices[v] for v in VOICES if v in voices}, level=level,
               notes=tuple(notes))
