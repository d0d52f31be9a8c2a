"""The mix settings of a song: pure data, checked, to and from JSON.

Per track (:class:`TrackMix`):

- ``gain_db``: the fader, -60 … +12 dB (0 = as recorded). Silence is ``mute``, not a low gain.
- ``pan``: -1 (left) … 0 (centre) … 1 (right), constant power (-3 dB each side at the centre).
- ``mute``, ``solo``: when any track is soloed, only soloed tracks play (a muted track stays
  silent even when soloed). The effect buses are "solo safe": a soloed vocal keeps its reverb.
- ``preset``: the name of an effect preset in ``presets/effects`` (or None: no effects).
- ``send_reverb``, ``send_delay``: how much of the track goes to the reverb and the delay bus,
  as a plain amplitude factor from 0 (nothing) to 1 (all of it). Sends are post-fader: they take
  the track after its effects, gain, pan and mute, so pulling the fader down takes the echo
  down with it.

Per bus (:class:`BusMix`, one for ``reverb`` and one for ``delay``): its ``preset`` (100 % wet
bus presets such as ``bus-reverb`` and ``bus-delay``), the return level ``gain_db`` and ``mute``.

Where it is stored (the catalog does that; this module only says what the JSON looks like):
a track's ``gain_db``, ``pan`` and ``muted`` have their own columns, the rest goes in the track's
``mix`` JSON (:meth:`TrackMix.extra_json`, only values that differ from the default, so a track
put back to its defaults has ``{}`` and the song's version hash is what it was). A bus is a track
of kind ``bus`` whose ``mix`` JSON is :meth:`BusMix.extra_json` (``{"bus": "reverb", ...}``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from studio.core.i18n import StudioError, Words

__all__ = [
    "BUS_NAMES",
    "DEFAULT_BUS_PRESETS",
    "GAIN_DB_RANGE",
    "BusMix",
    "BusName",
    "SongMix",
    "TrackMix",
    "audible",
    "bus_name",
]

BusName = Literal["reverb", "delay"]
BUS_NAMES: tuple[BusName, ...] = ("reverb", "delay")
DEFAULT_BUS_PRESETS: Mapping[BusName, str] = {"reverb": "bus-reverb", "delay": "bus-delay"}

GAIN_DB_RANGE = (-60.0, 12.0)
PAN_RANGE = (-1.0, 1.0)
SEND_RANGE = (0.0, 1.0)
_PRESET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

# --- words -----------------------------------------------------------------------------------

NOT_A_NUMBER = Words(
    nb="«{what}» må være et tall, ikke {value!r}.",
    en="'{what}' must be a number, not {value!r}.",
)
NOT_FINITE = Words(
    nb="«{what}» må være et vanlig tall, ikke {value}.",
    en="'{what}' must be an ordinary number, not {value}.",
)
OUT_OF_RANGE = Words(
    nb="«{what}» må være mellom {low:g} og {high:g}, men er {value:g}.",
    en="'{what}' must be between {low:g} and {high:g}, but it is {value:g}.",
)
NOT_YES_NO = Words(
    nb="«{what}» må være true eller false, ikke {value!r}.",
    en="'{what}' must be true or false, not {value!r}.",
)
BAD_PRESET_NAME = Words(
    nb="«{value}» kan ikke være navnet på et lydoppsett (bokstaver, tall, - _ og . , høyst 64 "
       "tegn).",
    en="“{value}” cannot be the name of a sound preset (letters, digits, - _ and . , at most 64 "
       "characters).",
)
UNKNOWN_KEY = Words(
    nb="Miksen har en innstilling vi ikke kjenner: «{key}». Tillatt: {allowed}.",
    en="The mix has a setting we don't know: '{key}'. Allowed: {allowed}.",
)
NOT_A_TABLE = Words(
    nb="Miksen for «{what}» må være en tabell (JSON-objekt).",
    en="The mix of '{what}' must be a table (a JSON object).",
)
UNKNOWN_BUS = Words(
    nb="Det finnes ingen effektbuss som heter «{bus}». Velg reverb eller delay.",
    en="There is no effect bus called “{bus}”. Choose reverb or delay.",
)
TWO_TRACKS_SAME_NAME = Words(
    nb="Miksen har to spor som heter «{name}».",
    en="The mix has two tracks called “{name}”.",
)


# --- checking single values --------------------------------------------------------------------


def _number(value: object, what: str, span: tuple[float, float]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StudioError(NOT_A_NUMBER, what=what, value=value)
    number = float(value)
    if not math.isfinite(number):
        raise StudioError(NOT_FINITE, what=what, value=number)
    low, high = span
    if not low <= number <= high:
        raise StudioError(OUT_OF_RANGE, what=what, low=low, high=high, value=number)
    return number + 0.0  # -0.0 becomes 0.0, so equal settings give equal JSON


def _flag(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise StudioError(NOT_YES_NO, what=what, value=value)
    return value


def _preset(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _PRESET_NAME.fullmatch(value):
        raise StudioError(BAD_PRESET_NAME, value=value)
    return value


def _table(data: object, what: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise StudioError(NOT_A_TABLE, what=what)
    for key in data:
        if key not in allowed:
            raise StudioError(UNKNOWN_KEY, key=key, allowed=", ".join(allowed))
    return data


# --- tracks ------------------------------------------------------------------------------------

_TRACK_KEYS = ("gain_db", "pan", "mute", "solo", "preset", "send_reverb", "send_delay")
_TRACK_EXTRA_KEYS = ("solo", "preset", "send_reverb", "send_delay")


@dataclass(frozen=True)
class TrackMix:
    """One track's mix settings (see the module docstring). Checked when made."""

    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    preset: str | None = None
    send_reverb: float = 0.0
    send_delay: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gain_db", _number(self.gain_db, "gain_db", GAIN_DB_RANGE))
        object.__setattr__(self, "pan", _number(self.pan, "pan", PAN_RANGE))
        _flag(self.mute, "mute")
        _flag(self.solo, "solo")
        _preset(self.preset)
        object.__setattr__(self, "send_reverb",
                           _number(self.send_reverb, "send_reverb", SEND_RANGE))
        object.__setattr__(self, "send_delay", _number(self.send_delay, "send_delay", SEND_RANGE))

    @property
    def gain(self) -> float:
        """The fader as a linear amplitude factor."""
        return float(10 ** (self.gain_db / 20))

    def send(self, bus: BusName) -> float:
        return self.send_reverb if bus == "reverb" else self.send_delay

    def with_changes(self, **changes: Any) -> TrackMix:
        """A copy with some settings changed (checked like a new one)."""
        for key in changes:
            if key not in _TRACK_KEYS:
                raise StudioError(UNKNOWN_KEY, key=key, allowed=", ".join(_TRACK_KEYS))
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {"gain_db": self.gain_db, "pan": self.pan, "mute": self.mute, "solo": self.solo,
                "preset": self.preset, "send_reverb": self.send_reverb,
                "send_delay": self.send_delay}

    @classmethod
    def from_json(cls, data: object, what: str = "track") -> TrackMix:
        table = _table(data, what, _TRACK_KEYS)
        return cls(**{key: table[key] for key in _TRACK_KEYS if key in table})

    def extra_json(self) -> dict[str, Any]:
        """What goes in the track's ``mix`` JSON column: the settings that have no column of
        their own, and only those that differ from the default."""
        default = TrackMix()
        full = self.to_json()
        return {key: full[key] for key in _TRACK_EXTRA_KEYS
                if full[key] != getattr(default, key)}

    @classmethod
    def from_columns(cls, gain_db: float, pan: float, muted: bool, extra: object,
                     what: str = "track") -> TrackMix:
        """A track's mix from its catalog columns and its ``mix`` JSON (already parsed)."""
        table = dict(_table(extra, what, _TRACK_EXTRA_KEYS))
        return cls(gain_db=gain_db, pan=pan, mute=bool(muted), **table)


def audible(mixes: Sequence[TrackMix]) -> list[bool]:
    """Which tracks play: not muted, and soloed when any track is soloed."""
    any_solo = any(mix.solo for mix in mixes)
    return [not mix.mute and (mix.solo or not any_solo) for mix in mixes]


# --- buses -------------------------------------------------------------------------------------

_BUS_KEYS = ("preset", "gain_db", "mute")


@dataclass(frozen=True)
class BusMix:
    """One effect bus: its (100 % wet) preset, return level and mute."""

    preset: str | None
    gain_db: float = 0.0
    mute: bool = False

    def __post_init__(self) -> None:
        _preset(self.preset)
        object.__setattr__(self, "gain_db", _number(self.gain_db, "gain_db", GAIN_DB_RANGE))
        _flag(self.mute, "mute")

    @property
    def gain(self) -> float:
        return float(10 ** (self.gain_db / 20))

    @classmethod
    def default(cls, bus: BusName) -> BusMix:
        return cls(DEFAULT_BUS_PRESETS[bus])

    def to_json(self) -> dict[str, Any]:
        return {"preset": self.preset, "gain_db": self.gain_db, "mute": self.mute}

    @classmethod
    def from_json(cls, data: object, bus: BusName) -> BusMix:
        table = _table(data, bus, _BUS_KEYS)
        preset = table["preset"] if "preset" in table else DEFAULT_BUS_PRESETS[bus]
        return cls(preset, table.get("gain_db", 0.0), table.get("mute", False))

    def extra_json(self, bus: BusName) -> dict[str, Any]:
        """The bus track's ``mix`` JSON: which bus it is and its preset."""
        return {"bus": bus, "preset": self.preset}

    @classmethod
    def from_columns(cls, gain_db: float, muted: bool, extra: object, what: str) -> BusMix:
        table = _table(extra, what, ("bus", "preset"))
        return cls(_preset(table.get("preset")), gain_db, bool(muted))


def bus_name(value: object) -> BusName:
    """``value`` as a bus name, or a plain error."""
    for name in BUS_NAMES:
        if value == name:
            return name
    raise StudioError(UNKNOWN_BUS, bus=value)


# --- a whole song ------------------------------------------------------------------------------


def _default_buses() -> dict[BusName, BusMix]:
    return {bus: BusMix.default(bus) for bus in BUS_NAMES}


@dataclass(frozen=True)
class SongMix:
    """Every track's mix (by track name, in track order) and the two buses."""

    tracks: Mapping[str, TrackMix] = field(default_factory=dict)
    buses: Mapping[BusName, BusMix] = field(default_factory=_default_buses)

    def __post_init__(self) -> None:
        buses = dict(_default_buses())
        for key, value in self.buses.items():
            buses[bus_name(key)] = value
        object.__setattr__(self, "buses", buses)
        object.__setattr__(self, "tracks", dict(self.tracks))

    def audible(self) -> dict[str, bool]:
        names = list(self.tracks)
        return dict(zip(names, audible([self.tracks[n] for n in names]), strict=True))

    def to_json(self) -> dict[str, Any]:
        return {"tracks": [{"name": name, **mix.to_json()} for name, mix in self.tracks.items()],
                "buses": {bus: self.buses[bus].to_json() for bus in BUS_NAMES}}

    @classmethod
    def from_json(cls, data: object) -> SongMix:
        table = _table(data, "song", ("tracks", "buses"))
        raw_tracks = table.get("tracks", [])
        if not isinstance(raw_tracks, list):
            raise StudioError(NOT_A_TABLE, what="tracks")
        tracks: dict[str, TrackMix] = {}
        for raw in raw_tracks:
            if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
                raise StudioError(NOT_A_TABLE, what="tracks")
            name = raw["name"]
            if name in tracks:
                raise StudioError(TWO_TRACKS_SAME_NAME, name=name)
            tracks[name] = TrackMix.from_json({k: v for k, v in raw.items() if k != "name"},
                                              name)
        raw_buses = _table(table.get("buses", {}), "buses", BUS_NAMES)
        buses = {bus: BusMix.from_json(raw_buses[bus], bus) for bus in BUS_NAMES
                 if bus in raw_buses}
        return cls(tracks, buses)  # type: ignore[arg-type]  # keys checked by _table
