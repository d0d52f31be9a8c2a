"""Mastering presets: a loudness target and a master chain, as TOML in ``presets/masters/``.

A mastering preset file looks like this::

    name = "streaming"
    kind = "master"

    [words]
    nb = "Like høyt som strømmetjenestene spiller av."
    en = "As loud as the streaming services play it."

    [target]
    integrated_lufs = -14.0     # the loudness the finished song lands on (± 0.5 LU)
    true_peak_dbtp = -1.0       # no peak above this, between the samples included

    [input]
    loudness_lufs = -18.0       # the chain below is set for a mix this loud (see below)

    [limiter]
    release_ms = 150.0          # how fast the limiter lets go (time to come back 6 dB)
    lookahead_ms = 2.0          # how early it sees a peak coming (the attack)

    [[effect]]
    type = "Compressor"
    threshold_db = -20.0
    ratio = 2.0

The ``[[effect]]`` tables are the master chain (EQ and compressor) and use the same names and
ranges as effect presets (:data:`studio.core.preset.EFFECTS`), limited to :data:`MASTER_EFFECTS`:
no reverb or delay on the whole song, and no pedalboard ``Limiter`` (it adds make-up gain and
clips at 0 dBFS; the studio's own true-peak limiter always comes last when there is a target).

``[input]`` exists because a compressor's threshold only means something at a known level: the
mix is turned up or down to ``loudness_lufs`` before the chain, so the same preset does the same
to a quiet mix and a loud one. After the chain, a gain brings the song to the target and the
true-peak limiter holds the ceiling.

A preset without ``[target]`` changes nothing: it may not have a chain, an ``[input]`` or a
``[limiter]`` either ("none": the mix is written exactly as it is).

This module is pure data (TOML in, checked dataclasses out); the sound is made in
``studio.audio.mastering``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from studio.core.i18n import StudioError, Words
from studio.core.preset import (
    EFFECTS,
    EffectStep,
    HeaderWords,
    ParamRange,
    Preset,
    PresetFolder,
    presets_folder,
    read_header,
)

__all__ = [
    "INTEGRATED_RANGE",
    "MASTER_EFFECTS",
    "LimiterSettings",
    "LoudnessTarget",
    "MasterPreset",
    "find_master_preset",
    "list_master_presets",
    "load_master_preset",
    "masters_folder",
    "parse_master_preset",
]

MASTER_EFFECTS = ("HighpassFilter", "LowpassFilter", "LowShelfFilter", "HighShelfFilter",
                  "PeakFilter", "Compressor", "Gain")
MAX_MASTER_EFFECTS = 8
INTEGRATED_RANGE = ParamRange(-36.0, -6.0)
TRUE_PEAK_RANGE = ParamRange(-9.0, 0.0)
INPUT_RANGE = ParamRange(-36.0, -6.0)
RELEASE_RANGE = ParamRange(10.0, 2000.0)
LOOKAHEAD_RANGE = ParamRange(0.5, 10.0)
DEFAULT_RELEASE_MS = 150.0
DEFAULT_LOOKAHEAD_MS = 2.0

_TOP_KEYS = ("name", "kind", "words", "target", "input", "limiter", "effect")
_TABLE_KEYS: Mapping[str, Mapping[str, ParamRange]] = {
    "target": {"integrated_lufs": INTEGRATED_RANGE, "true_peak_dbtp": TRUE_PEAK_RANGE},
    "input": {"loudness_lufs": INPUT_RANGE},
    "limiter": {"release_ms": RELEASE_RANGE, "lookahead_ms": LOOKAHEAD_RANGE},
}
_REQUIRED = {"target": ("integrated_lufs", "true_peak_dbtp"), "input": ("loudness_lufs",),
             "limiter": ()}


@dataclass(frozen=True)
class LoudnessTarget:
    integrated_lufs: float
    true_peak_dbtp: float


@dataclass(frozen=True)
class LimiterSettings:
    release_ms: float = DEFAULT_RELEASE_MS
    lookahead_ms: float = DEFAULT_LOOKAHEAD_MS


@dataclass(frozen=True)
class MasterPreset:
    """A loudness target with the chain that gets there; ``target`` None changes nothing."""

    name: str
    words: Words
    target: LoudnessTarget | None
    input_lufs: float | None  # the level the chain is set for (None: no chain, no input gain)
    limiter: LimiterSettings
    effects: tuple[EffectStep, ...]

    @property
    def changes_nothing(self) -> bool:
        return self.target is None

    def chain_preset(self) -> Preset:
        """The master chain as an effect preset (for ``studio.audio.effects.build_board``)."""
        return Preset(name=f"master:{self.name}", words=self.words, effects=self.effects)


# --- words -----------------------------------------------------------------------------------

_CANNOT_READ = Words(
    nb="Mastringsoppsettet {file} kan ikke leses: {detail}",
    en="The mastering preset {file} can't be read: {detail}",
)
_MISSING = Words(
    nb="Mastringsoppsettet {file} mangler «{key}».",
    en="The mastering preset {file} is missing '{key}'.",
)
_UNKNOWN_KEY = Words(
    nb="Mastringsoppsettet {file} har en innstilling vi ikke kjenner: «{key}». Tillatt: {allowed}.",
    en="The mastering preset {file} has a setting we don't know: '{key}'. Allowed: {allowed}.",
)
_NOT_TEXT = Words(
    nb="I mastringsoppsettet {file} må «{key}» være tekst.",
    en="In the mastering preset {file}, '{key}' must be text.",
)
_NOT_TABLE = Words(
    nb="I mastringsoppsettet {file} må «{key}» være en tabell ([{key}]).",
    en="In the mastering preset {file}, '{key}' must be a table ([{key}]).",
)
_WRONG_KIND = Words(
    nb='{file} er ikke et mastringsoppsett: «kind» må være "master", men er {value!r}.',
    en="{file} is not a mastering preset: 'kind' must be \"master\", but it is {value!r}.",
)
_NOT_NUMBER = Words(
    nb="I {file} må «{key}» være et tall, ikke {value!r}.",
    en="In {file}, '{key}' must be a number, not {value!r}.",
)
_NOT_FINITE = Words(
    nb="I {file} må «{key}» være et vanlig tall, ikke {value}.",
    en="In {file}, '{key}' must be an ordinary number, not {value}.",
)
_OUT_OF_RANGE = Words(
    nb="I {file} må «{key}» være mellom {low:g} og {high:g}, men er {value:g}.",
    en="In {file}, '{key}' must be between {low:g} and {high:g}, but it is {value:g}.",
)
_NO_TARGET_BUT = Words(
    nb="Mastringsoppsettet {file} har ikke noe [target], og skal da ikke endre lyden; "
       "fjern «{key}» eller legg til et mål.",
    en="The mastering preset {file} has no [target], so it must not change the sound; "
       "remove '{key}' or add a target.",
)
_CHAIN_WITHOUT_INPUT = Words(
    nb="Mastringsoppsettet {file} har effekter, men ikke [input] loudness_lufs: effektene "
       "trenger et kjent nivå å jobbe på.",
    en="The mastering preset {file} has effects but no [input] loudness_lufs: the effects "
       "need a known level to work at.",
)
_NOT_EFFECT_LIST = Words(
    nb="I mastringsoppsettet {file} må effektene skrives som [[effect]]-tabeller.",
    en="In the mastering preset {file}, effects must be written as [[effect]] tables.",
)
_TOO_MANY = Words(
    nb="Mastringsoppsettet {file} har {count} effekter; høyst {most} er lov.",
    en="The mastering preset {file} has {count} effects; at most {most} are allowed.",
)
_NO_TYPE = Words(
    nb="Effekt nr. {index} i {file} mangler «type».",
    en="Effect number {index} in {file} is missing 'type'.",
)
_NOT_FOR_MASTER = Words(
    nb="Effekt nr. {index} i {file} er {effect!r}, som ikke kan brukes i mastring. "
       "Tillatt: {allowed}. (Studioets egen toppbegrenser kommer alltid til slutt.)",
    en="Effect number {index} in {file} is {effect!r}, which can't be used for mastering. "
       "Allowed: {allowed}. (The studio's own peak limiter always comes last.)",
)
_UNKNOWN_PARAM = Words(
    nb="{effect} (effekt nr. {index}) i {file} har ingen innstilling som heter «{param}». "
       "Tillatt: {allowed}.",
    en="{effect} (effect number {index}) in {file} has no setting called '{param}'. "
       "Allowed: {allowed}.",
)
_NOT_FOUND = Words(
    nb="Fant ikke mastringsoppsettet «{name}» i {folder}. Disse finnes: {available}.",
    en="Could not find the mastering preset '{name}' in {folder}. These exist: {available}.",
)
_NO_FOLDER = Words(
    nb="Mappen med mastringsoppsett finnes ikke: {folder}.",
    en="The folder with mastering presets does not exist: {folder}.",
)


_HEADER = HeaderWords(_CANNOT_READ, _MISSING, _UNKNOWN_KEY, _NOT_TEXT, _WRONG_KIND)


# --- parsing ---------------------------------------------------------------------------------


def _number(value: object, key: str, span: ParamRange, source: str) -> float:
    # bool is an int in Python, but `true` is not a number to a person editing a file.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StudioError(_NOT_NUMBER, file=source, key=key, value=value)
    number = float(value)
    if not math.isfinite(number):
        raise StudioError(_NOT_FINITE, file=source, key=key, value=number)
    if number not in span:
        raise StudioError(_OUT_OF_RANGE, file=source, key=key, low=span.low, high=span.high,
                          value=number)
    return number


def _table(data: Mapping[str, object], name: str, source: str) -> dict[str, float] | None:
    if name not in data:
        return None
    raw = data[name]
    if not isinstance(raw, dict):
        raise StudioError(_NOT_TABLE, file=source, key=name)
    allowed = _TABLE_KEYS[name]
    values: dict[str, float] = {}
    for key, value in raw.items():
        if key not in allowed:
            raise StudioError(_UNKNOWN_KEY, file=source, key=f"{name}.{key}",
                              allowed=", ".join(allowed))
        values[key] = _number(value, f"{name}.{key}", allowed[key], source)
    for key in _REQUIRED[name]:
        if key not in values:
            raise StudioError(_MISSING, file=source, key=f"{name}.{key}")
    return values


def _step(raw: object, index: int, source: str) -> EffectStep:
    if not isinstance(raw, dict):
        raise StudioError(_NOT_EFFECT_LIST, file=source)
    if "type" not in raw:
        raise StudioError(_NO_TYPE, file=source, index=index)
    effect = raw["type"]
    if not isinstance(effect, str) or effect not in MASTER_EFFECTS:
        raise StudioError(_NOT_FOR_MASTER, file=source, index=index, effect=effect,
                          allowed=", ".join(MASTER_EFFECTS))
    allowed = EFFECTS[effect]
    params: dict[str, float] = {}
    for param, value in raw.items():
        if param == "type":
            continue
        if param not in allowed:
            raise StudioError(_UNKNOWN_PARAM, file=source, index=index, effect=effect,
                              param=param, allowed=", ".join(allowed))
        params[param] = _number(value, f"{effect}.{param}", allowed[param], source)
    return EffectStep(type=effect, params=params)


def parse_master_preset(text: str, source: str) -> MasterPreset:
    """Read one mastering preset from TOML text; ``source`` names the file in messages."""
    data, name, words = read_header(text, source, "master", _TOP_KEYS, _HEADER)
    target_values = _table(data, "target", source)
    input_values = _table(data, "input", source)
    limiter_values = _table(data, "limiter", source)
    raw_effects = data.get("effect", [])
    if not isinstance(raw_effects, list):
        raise StudioError(_NOT_EFFECT_LIST, file=source)
    if len(raw_effects) > MAX_MASTER_EFFECTS:
        raise StudioError(_TOO_MANY, file=source, count=len(raw_effects),
                          most=MAX_MASTER_EFFECTS)
    effects = tuple(_step(raw, i, source) for i, raw in enumerate(raw_effects, start=1))
    if target_values is None:
        for key, present in (("input", input_values is not None),
                             ("limiter", limiter_values is not None), ("effect", bool(effects))):
            if present:
                raise StudioError(_NO_TARGET_BUT, file=source, key=key)
        return MasterPreset(name, words, None, None, LimiterSettings(), ())
    if effects and input_values is None:
        raise StudioError(_CHAIN_WITHOUT_INPUT, file=source)
    target = LoudnessTarget(target_values["integrated_lufs"], target_values["true_peak_dbtp"])
    limiter = LimiterSettings(**(limiter_values or {}))
    input_lufs = input_values["loudness_lufs"] if input_values is not None else None
    return MasterPreset(name, words, target, input_lufs, limiter, effects)


def load_master_preset(path: Path | str) -> MasterPreset:
    """Read and check one mastering preset file."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise StudioError(_CANNOT_READ, file=str(path), detail=error.strerror or str(error)
                          ) from None
    except UnicodeDecodeError:
        raise StudioError(_CANNOT_READ, file=str(path),
                          detail="not UTF-8 text / ikke UTF-8-tekst") from None
    return parse_master_preset(text, str(path))


# --- finding presets -------------------------------------------------------------------------


def masters_folder(folder: Path | str | None = None) -> Path:
    """``folder``, or ``presets/masters`` (under ``$STUDIO_PRESETS`` when that is set)."""
    return presets_folder() / "masters" if folder is None else Path(folder)


_MASTER_PRESETS = PresetFolder(load_master_preset, _NO_FOLDER, _NOT_FOUND)


def list_master_presets(folder: Path | str | None = None) -> list[MasterPreset]:
    """Every mastering preset in ``folder`` (default: ``presets/masters``), sorted by name."""
    return _MASTER_PRESETS.list(masters_folder(folder))


def find_master_preset(name: str, folder: Path | str | None = None) -> MasterPreset:
    """The mastering preset called ``name``: the file ``<name>.toml``, else one with that name."""
    return _MASTER_PRESETS.find(name, masters_folder(folder))
