"""Effect presets: named, data-only effect chains stored as TOML in ``presets/effects/``.

A preset file looks like this::

    name = "vocal-clean"
    kind = "effect"

    [words]
    nb = "Klar og tydelig stemme med litt rom."
    en = "A clear voice with a little room."

    [[effect]]
    type = "HighpassFilter"
    cutoff_frequency_hz = 90

Each ``[[effect]]`` table names one effect from :data:`EFFECTS` by its pedalboard class name and
sets some of that effect's parameters (by pedalboard's parameter names); anything left out keeps
pedalboard's default. The effects run in file order. A preset with no ``[[effect]]`` tables lets
the member hear themselves as they are.

This module is pure data: it reads TOML and checks every value against :data:`EFFECTS`, so that a
mistake in a file is found when the file is loaded, explained in plain words naming the file and
the problem, and never reaches the audio thread. Turning a :class:`Preset` into sound is
``studio.audio.effects``.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from studio.core.i18n import StudioError, Words

__all__ = [
    "EFFECTS",
    "EffectStep",
    "ParamRange",
    "Preset",
    "find_preset",
    "list_presets",
    "load_preset",
    "parse_preset",
    "presets_folder",
]


@dataclass(frozen=True)
class ParamRange:
    """Allowed values of one effect parameter (both ends included)."""

    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


# The effects a preset may use, with every parameter it may set and the allowed range. Names match
# pedalboard's classes and constructor arguments exactly. Ranges are what pedalboard (JUCE)
# accepts, narrowed where a legal value would be unsafe for ears (runaway feedback) or silly for a
# vocal chain. Notes on behaviour that is easy to get wrong:
# - Reverb: dry_level 0.5 is unity gain (JUCE scales dry by 2 and wet by 3).
# - Limiter: JUCE adds make-up gain equal to -threshold_db, so a lower threshold is louder.
# - Compressor has no make-up gain; follow it with Gain if the voice gets too quiet.
# - Filter cutoffs must also stay below half the sample rate (checked when the chain is built).
_FREQ = ParamRange(20.0, 20000.0)
_Q = ParamRange(0.1, 18.0)
_EQ_DB = ParamRange(-24.0, 24.0)
_UNIT = ParamRange(0.0, 1.0)

EFFECTS: Mapping[str, Mapping[str, ParamRange]] = {
    "NoiseGate": {
        "threshold_db": ParamRange(-100.0, 0.0),
        "ratio": ParamRange(1.0, 100.0),
        "attack_ms": ParamRange(0.01, 1000.0),
        "release_ms": ParamRange(1.0, 5000.0),
    },
    "Compressor": {
        "threshold_db": ParamRange(-60.0, 0.0),
        "ratio": ParamRange(1.0, 50.0),
        "attack_ms": ParamRange(0.01, 1000.0),
        "release_ms": ParamRange(1.0, 5000.0),
    },
    "HighpassFilter": {"cutoff_frequency_hz": _FREQ},
    "LowpassFilter": {"cutoff_frequency_hz": _FREQ},
    "LowShelfFilter": {"cutoff_frequency_hz": _FREQ, "gain_db": _EQ_DB, "q": _Q},
    "HighShelfFilter": {"cutoff_frequency_hz": _FREQ, "gain_db": _EQ_DB, "q": _Q},
    "PeakFilter": {"cutoff_frequency_hz": _FREQ, "gain_db": _EQ_DB, "q": _Q},
    "Gain": {"gain_db": ParamRange(-60.0, 24.0)},
    "Reverb": {
        "room_size": _UNIT,
        "damping": _UNIT,
        "wet_level": _UNIT,
        "dry_level": _UNIT,
        "width": _UNIT,
        "freeze_mode": _UNIT,
    },
    "Delay": {
        "delay_seconds": ParamRange(0.0, 2.0),
        "feedback": ParamRange(0.0, 0.95),
        "mix": _UNIT,
    },
    "Chorus": {
        "rate_hz": ParamRange(0.0, 20.0),
        "depth": _UNIT,
        "centre_delay_ms": ParamRange(1.0, 100.0),
        "feedback": ParamRange(-0.95, 0.95),
        "mix": _UNIT,
    },
    "Distortion": {"drive_db": ParamRange(0.0, 60.0)},
    "Limiter": {
        "threshold_db": ParamRange(-40.0, 0.0),
        "release_ms": ParamRange(1.0, 5000.0),
    },
}

MAX_EFFECTS = 16
_TOP_KEYS = ("name", "kind", "words", "effect")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class EffectStep:
    """One effect in a chain: a pedalboard class name and the parameters set in the file."""

    type: str
    params: dict[str, float]


@dataclass(frozen=True)
class Preset:
    """A named effect chain with plain words saying what it sounds like."""

    name: str
    words: Words
    effects: tuple[EffectStep, ...]


# --- words -----------------------------------------------------------------------------------

_CANNOT_READ = Words(
    nb="Lydoppsettet {file} kan ikke leses: {detail}",
    en="The sound preset {file} can't be read: {detail}",
)
_MISSING = Words(
    nb="Lydoppsettet {file} mangler «{key}».",
    en="The sound preset {file} is missing '{key}'.",
)
_UNKNOWN_KEY = Words(
    nb="Lydoppsettet {file} har en innstilling vi ikke kjenner: «{key}». Tillatt: {allowed}.",
    en="The sound preset {file} has a setting we don't know: '{key}'. Allowed: {allowed}.",
)
_NOT_TEXT = Words(
    nb="I lydoppsettet {file} må «{key}» være tekst.",
    en="In the sound preset {file}, '{key}' must be text.",
)
_WRONG_KIND = Words(
    nb='{file} er ikke et effekt-oppsett: «kind» må være "effect", men er {value!r}.',
    en="{file} is not an effect preset: 'kind' must be \"effect\", but it is {value!r}.",
)
_NOT_EFFECT_LIST = Words(
    nb="I lydoppsettet {file} må effektene skrives som [[effect]]-tabeller.",
    en="In the sound preset {file}, effects must be written as [[effect]] tables.",
)
_TOO_MANY = Words(
    nb="Lydoppsettet {file} har {count} effekter; høyst {most} er lov.",
    en="The sound preset {file} has {count} effects; at most {most} are allowed.",
)
_NO_TYPE = Words(
    nb="Effekt nr. {index} i {file} mangler «type».",
    en="Effect number {index} in {file} is missing 'type'.",
)
_UNKNOWN_EFFECT = Words(
    nb="Effekt nr. {index} i {file} er {effect!r}, som vi ikke kjenner. Tillatt: {allowed}.",
    en="Effect number {index} in {file} is {effect!r}, which we don't know. Allowed: {allowed}.",
)
_UNKNOWN_PARAM = Words(
    nb="{effect} (effekt nr. {index}) i {file} har ingen innstilling som heter «{param}». "
    "Tillatt: {allowed}.",
    en="{effect} (effect number {index}) in {file} has no setting called '{param}'. "
    "Allowed: {allowed}.",
)
_NOT_NUMBER = Words(
    nb="I {file} må «{param}» for {effect} (effekt nr. {index}) være et tall, ikke {value!r}.",
    en="In {file}, '{param}' of {effect} (effect number {index}) must be a number, not {value!r}.",
)
_NOT_FINITE = Words(
    nb="I {file} må «{param}» for {effect} (effekt nr. {index}) være et vanlig tall, ikke {value}.",
    en="In {file}, '{param}' of {effect} (effect number {index}) must be an ordinary number, "
    "not {value}.",
)
_OUT_OF_RANGE = Words(
    nb="I {file} må «{param}» for {effect} (effekt nr. {index}) være mellom {low:g} og "
    "{high:g}, men er {value:g}.",
    en="In {file}, '{param}' of {effect} (effect number {index}) must be between {low:g} "
    "and {high:g}, but it is {value:g}.",
)
_NOT_FOUND = Words(
    nb="Fant ikke lydoppsettet «{name}» i {folder}. Disse finnes: {available}.",
    en="Could not find the sound preset '{name}' in {folder}. These exist: {available}.",
)
_NO_FOLDER = Words(
    nb="Mappen med lydoppsett finnes ikke: {folder}.",
    en="The folder with sound presets does not exist: {folder}.",
)


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderWords:
    """What a preset file's header errors say: each kind of preset names itself."""

    cannot_read: Words
    missing: Words
    unknown_key: Words
    not_text: Words
    wrong_kind: Words


EFFECT_HEADER = HeaderWords(_CANNOT_READ, _MISSING, _UNKNOWN_KEY, _NOT_TEXT, _WRONG_KIND)


def text_value(table: Mapping[str, object], key: str, source: str, said: HeaderWords,
               where: str = "") -> str:
    """A non-empty text setting, trimmed."""
    if key not in table:
        raise StudioError(said.missing, file=source, key=where + key)
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise StudioError(said.not_text, file=source, key=where + key)
    return value.strip()


def read_header(text: str, source: str, kind: str, top_keys: tuple[str, ...],
                said: HeaderWords) -> tuple[dict[str, object], str, Words]:
    """Parse a preset file's TOML and check what every preset has: only known top-level keys,
    a ``name``, the right ``kind``, and ``[words]`` in both languages. Returns the data, the
    name and the words."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StudioError(said.cannot_read, file=source, detail=str(error)) from None
    for key in data:
        if key not in top_keys:
            raise StudioError(said.unknown_key, file=source, key=key, allowed=", ".join(top_keys))
    name = text_value(data, "name", source, said)
    found = data.get("kind")
    if found is None:
        raise StudioError(said.missing, file=source, key="kind")
    if found != kind:
        raise StudioError(said.wrong_kind, file=source, value=found)
    words_table = data.get("words")
    if not isinstance(words_table, dict):
        raise StudioError(said.missing, file=source, key="words")
    for key in words_table:
        if key not in ("nb", "en"):
            raise StudioError(said.unknown_key, file=source, key=f"words.{key}",
                              allowed="nb, en")
    words = Words(nb=text_value(words_table, "nb", source, said, "words."),
                  en=text_value(words_table, "en", source, said, "words."))
    return data, name, words


def _step(raw: object, index: int, source: str) -> EffectStep:
    if not isinstance(raw, dict):
        raise StudioError(_NOT_EFFECT_LIST, file=source)
    if "type" not in raw:
        raise StudioError(_NO_TYPE, file=source, index=index)
    effect = raw["type"]
    if not isinstance(effect, str) or effect not in EFFECTS:
        raise StudioError(
            _UNKNOWN_EFFECT, file=source, index=index, effect=effect, allowed=", ".join(EFFECTS)
        )
    allowed = EFFECTS[effect]
    params: dict[str, float] = {}
    for param, value in raw.items():
        if param == "type":
            continue
        where = {"file": source, "index": index, "effect": effect, "param": param}
        if param not in allowed:
            raise StudioError(_UNKNOWN_PARAM, **where, allowed=", ".join(allowed))
        # bool is an int in Python, but `true` is not a number to a person editing a file.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise StudioError(_NOT_NUMBER, **where, value=value)
        number = float(value)
        if not math.isfinite(number):
            raise StudioError(_NOT_FINITE, **where, value=number)
        span = allowed[param]
        if number not in span:
            raise StudioError(_OUT_OF_RANGE, **where, low=span.low, high=span.high, value=number)
        params[param] = number
    return EffectStep(type=effect, params=params)


def parse_preset(text: str, source: str) -> Preset:
    """Read one preset from TOML text; ``source`` names the file in error messages."""
    data, name, words = read_header(text, source, "effect", _TOP_KEYS, EFFECT_HEADER)
    raw_effects = data.get("effect", [])
    if not isinstance(raw_effects, list):
        raise StudioError(_NOT_EFFECT_LIST, file=source)
    if len(raw_effects) > MAX_EFFECTS:
        raise StudioError(_TOO_MANY, file=source, count=len(raw_effects), most=MAX_EFFECTS)
    effects = tuple(_step(raw, index, source) for index, raw in enumerate(raw_effects, start=1))
    return Preset(name=name, words=words, effects=effects)


def load_preset(path: Path | str) -> Preset:
    """Read and check one preset file."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        detail = error.strerror or str(error)
        raise StudioError(_CANNOT_READ, file=str(path), detail=detail) from None
    except UnicodeDecodeError:
        raise StudioError(
            _CANNOT_READ, file=str(path), detail="not UTF-8 text / ikke UTF-8-tekst"
        ) from None
    return parse_preset(text, str(path))


# --- finding presets -------------------------------------------------------------------------


def presets_folder() -> Path:
    """The ``presets/`` folder: ``$STUDIO_PRESETS`` if set, else the one in this repository."""
    configured = os.environ.get("STUDIO_PRESETS", "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path(__file__).resolve().parents[2] / "presets"


def _effects_folder(folder: Path | str | None) -> Path:
    return presets_folder() / "effects" if folder is None else Path(folder)


class _Named(Protocol):
    @property
    def name(self) -> str: ...


P = TypeVar("P", bound=_Named)


class PresetFolder(Generic[P]):
    """A folder of preset files of one kind (effects, masters): listing them and finding one
    by name, with that kind's loader and its own plain words for a missing folder or name."""

    def __init__(self, load: Callable[[Path], P], no_folder: Words, not_found: Words) -> None:
        self.load = load
        self.no_folder = no_folder
        self.not_found = not_found

    def _checked(self, where: Path) -> Path:
        if not where.is_dir():
            raise StudioError(self.no_folder, folder=str(where))
        return where

    def list(self, where: Path) -> list[P]:
        found = [self.load(path) for path in sorted(self._checked(where).glob("*.toml"))
                 if path.is_file()]
        return sorted(found, key=lambda preset: preset.name)

    def find(self, name: str, where: Path) -> P:
        """The file ``<name>.toml``, else a file whose preset has that ``name``."""
        self._checked(where)
        if _SAFE_NAME.fullmatch(name):
            path = where / f"{name}.toml"
            if path.is_file():
                return self.load(path)
        presets = self.list(where)
        for preset in presets:
            if preset.name == name:
                return preset
        available = ", ".join(preset.name for preset in presets) or "-"
        raise StudioError(self.not_found, name=name, folder=str(where), available=available)


_EFFECT_PRESETS = PresetFolder(load_preset, _NO_FOLDER, _NOT_FOUND)


def list_presets(folder: Path | str | None = None) -> list[Preset]:
    """Every effect preset in ``folder`` (default: ``presets/effects``), sorted by name.

    A broken file stops the listing with a :class:`StudioError` that names it: presets are our
    own data, and a silently missing preset would be harder to understand.
    """
    return _EFFECT_PRESETS.list(_effects_folder(folder))


def find_preset(name: str, folder: Path | str | None = None) -> Preset:
    """The preset called ``name``: the file ``<name>.toml``, else a file with that ``name``."""
    return _EFFECT_PRESETS.find(name, _effects_folder(folder))
