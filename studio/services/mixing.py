"""Reading and changing a song's mix: per-track gain, pan, mute, solo, effect preset and sends,
and the two effect buses (reverb, delay).

Where it lives in the catalog: a track's ``gain_db``, ``pan`` and ``muted`` columns, and the rest
in its ``mix`` JSON (see :mod:`studio.core.mix`). Each effect bus is a track of kind ``bus``
(named "reverb bus" / "delay bus", made the first time the bus is changed) whose ``mix`` JSON
says which bus it is and its preset; its ``gain_db`` and ``muted`` columns are the bus return.
A song without bus tracks uses the default bus presets. All of it is part of the song's version
hash, so a mix change makes a new version (which needs review again).

Changing the mix of a member's song needs a signed-in staff member whose role may edit songs;
a practice song (no artist) may be mixed by anyone. Every change writes an audit entry in the
same transaction as the change.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from studio.audio.effects import build_board
from studio.core.i18n import Refused, StudioError, Words
from studio.core.mix import BUS_NAMES, UNKNOWN_KEY, BusMix, BusName, SongMix, TrackMix, bus_name
from studio.core.people import Action, Actor
from studio.core.preset import Preset, find_preset
from studio.core.song import Song, Track
from studio.services.access import record, require
from studio.services.studio import Studio
from studio.store import people as people_store
from studio.store.catalog import name_key
from studio.store.song_content import current_version

__all__ = ["BUS_TRACK_NAMES", "MixChanges", "MixedTrack", "change_mix", "load_presets",
           "mixed_tracks", "song_mix", "song_version"]

BUS_TRACK_NAMES: Mapping[BusName, str] = {"reverb": "reverb bus", "delay": "delay bus"}
_BUS_KEYS = ("preset", "gain_db", "mute")

NO_SUCH_TRACK = Words(
    nb="Sangen «{song}» har ikke noe spor som heter «{track}». Disse finnes: {available}.",
    en="The song “{song}” has no track called “{track}”. These exist: {available}.",
)
NEEDS_SIGN_IN = Words(
    nb="Å endre miksen av sangen til {alias} krever at en ansatt logger inn (--as NAVN).",
    en="Changing the mix of {alias}'s song needs a staff member to sign in (--as NAME).",
)
TRACK_CHANGES_NEED_TRACK = Words(
    nb="Si hvilket spor endringen gjelder, med --track NAVN.",
    en="Say which track the change is for, with --track NAME.",
)
BROKEN_MIX = Words(
    nb="Miksen til sporet «{track}» er skadet i katalogen ({detail}).",
    en="The mix of the track “{track}” is damaged in the catalog ({detail}).",
)


@dataclass(frozen=True)
class MixedTrack:
    """A track that is mixed (not a bus track) with its settings."""

    track: Track
    mix: TrackMix


@dataclass(frozen=True)
class MixChanges:
    """What to change: one track's settings (by track name) and/or the buses' settings."""

    track: str | None = None
    track_changes: Mapping[str, Any] | None = None  # TrackMix field name: new value
    buses: Mapping[BusName, Mapping[str, Any]] | None = None  # "preset", "gain_db", "mute"

    @property
    def empty(self) -> bool:
        return not self.track_changes and not any((self.buses or {}).values())


# --- reading ---------------------------------------------------------------------------------


def _extra(row: sqlite3.Row) -> object:
    try:
        return json.loads(row["mix"] or "{}")
    except json.JSONDecodeError as error:
        raise StudioError(BROKEN_MIX, track=row["name"], detail=str(error)) from None


def _read(conn: sqlite3.Connection, song_id: int
          ) -> tuple[list[tuple[sqlite3.Row, TrackMix]], dict[BusName, tuple[sqlite3.Row, BusMix]]]:
    tracks: list[tuple[sqlite3.Row, TrackMix]] = []
    buses: dict[BusName, tuple[sqlite3.Row, BusMix]] = {}
    for row in conn.execute("SELECT * FROM tracks WHERE song_id = ? ORDER BY ord, id",
                            (song_id,)):
        extra = _extra(row)
        if row["kind"] == "bus":
            which = extra.get("bus") if isinstance(extra, dict) else None
            for bus in BUS_NAMES:
                if which == bus and bus not in buses:
                    buses[bus] = (row, BusMix.from_columns(row["gain_db"], bool(row["muted"]),
                                                           extra, row["name"]))
            continue  # a bus track is not mixed as a track
        tracks.append((row, TrackMix.from_columns(row["gain_db"], row["pan"],
                                                  bool(row["muted"]), extra, row["name"])))
    return tracks, buses


def _as_track(row: sqlite3.Row) -> Track:
    return Track(id=row["id"], song_id=row["song_id"], name=row["name"], kind=row["kind"],
                 channels=row["channels"], gain_db=row["gain_db"], pan=row["pan"],
                 muted=bool(row["muted"]), order=row["ord"])


def mixed_tracks(studio: Studio, song: Song) -> tuple[list[MixedTrack], dict[BusName, BusMix]]:
    """The song's tracks (bus tracks aside) with their mix, in track order, and both buses."""
    tracks, buses = studio.catalog.read(partial(_read, song_id=song.id))
    all_buses = {bus: buses[bus][1] if bus in buses else BusMix.default(bus)
                 for bus in BUS_NAMES}
    return [MixedTrack(_as_track(row), mix) for row, mix in tracks], all_buses


def song_mix(studio: Studio, song: Song) -> SongMix:
    """The song's mix as it is in the catalog now."""
    tracks, buses = mixed_tracks(studio, song)
    return SongMix({t.track.name: t.mix for t in tracks}, buses)


def song_version(studio: Studio, song: Song) -> str:
    """The song's version hash now (it covers the whole mix)."""
    return studio.catalog.read(lambda conn: current_version(conn, song.id))


def load_presets(names: set[str], samplerate: int) -> dict[str, Preset]:
    """The named effect presets, loaded and checked (they must also build at the song rate)."""
    found = {}
    for name in sorted(names):
        preset = find_preset(name)
        build_board(preset, samplerate)  # a filter above the song's Nyquist is found here
        found[name] = preset
    return found


# --- changing --------------------------------------------------------------------------------


def _check_may_mix(studio: Studio, song: Song, actor: Actor | None) -> None:
    if actor is not None:
        require(actor, Action.EDIT_SONG)
        return
    if song.member_id is not None:
        member_id = song.member_id
        member = studio.catalog.read(lambda conn: people_store.member_by_id(conn, member_id))
        raise Refused(NEEDS_SIGN_IN, alias=member.alias)


def _write_track(conn: sqlite3.Connection, track_id: int, mix: TrackMix) -> None:
    conn.execute("UPDATE tracks SET gain_db = ?, pan = ?, muted = ?, mix = ? WHERE id = ?",
                 (mix.gain_db, mix.pan, int(mix.mute),
                  json.dumps(mix.extra_json(), sort_keys=True), track_id))


def _write_bus(conn: sqlite3.Connection, song_id: int, bus: BusName, mix: BusMix,
               row: sqlite3.Row | None) -> int:
    """Store a bus's settings in its bus track (made now if the song has none); its id."""
    extra = json.dumps(mix.extra_json(bus), sort_keys=True)
    if row is not None:
        conn.execute("UPDATE tracks SET gain_db = ?, muted = ?, mix = ? WHERE id = ?",
                     (mix.gain_db, int(mix.mute), extra, row["id"]))
        return int(row["id"])
    taken = {r[0] for r in conn.execute("SELECT name_key FROM tracks WHERE song_id = ?",
                                        (song_id,))}
    name = BUS_TRACK_NAMES[bus]
    number = 2
    while name_key(name) in taken:
        name = f"{BUS_TRACK_NAMES[bus]} {number}"
        number += 1
    order = conn.execute("SELECT COALESCE(MAX(ord), -1) + 1 FROM tracks WHERE song_id = ?",
                         (song_id,)).fetchone()[0]
    cursor = conn.execute(
        "INSERT INTO tracks (song_id, name, name_key, kind, channels, gain_db, pan, muted, ord,"
        " mix) VALUES (?, ?, ?, 'bus', 2, ?, 0.0, ?, ?, ?)",
        (song_id, name, name_key(name), mix.gain_db, int(mix.mute), order, extra))
    return int(cursor.lastrowid or 0)


def _find(rows: list[tuple[sqlite3.Row, TrackMix]], song: Song, name: str
          ) -> tuple[sqlite3.Row, TrackMix]:
    wanted = name_key(name)
    for row, mix in rows:
        if row["name_key"] == wanted:
            return row, mix
    available = ", ".join(row["name"] for row, _ in rows) or "-"
    raise StudioError(NO_SUCH_TRACK, song=song.name, track=name, available=available)


def change_mix(studio: Studio, actor: Actor | None, song: Song, changes: MixChanges) -> SongMix:
    """Apply ``changes`` in one transaction (all or nothing) and return the new mix.

    Values are checked (plain errors for a bad one), and named presets must exist and work at
    the song's sample rate, before anything is written.
    """
    _check_may_mix(studio, song, actor)
    if changes.track_changes and changes.track is None:
        raise StudioError(TRACK_CHANGES_NEED_TRACK)
    bus_changes = {bus_name(bus): dict(values) for bus, values in (changes.buses or {}).items()
                   if values}
    for values in bus_changes.values():
        for key in values:
            if key not in _BUS_KEYS:
                raise StudioError(UNKNOWN_KEY, key=key, allowed=", ".join(_BUS_KEYS))
    wanted_presets = {str(v) for v in [(changes.track_changes or {}).get("preset")]
                      + [values.get("preset") for values in bus_changes.values()] if v}
    load_presets(wanted_presets, song.samplerate)  # before the transaction: reads files

    def run(conn: sqlite3.Connection) -> None:
        rows, buses = _read(conn, song.id)
        detail: dict[str, object] = {}
        if changes.track is not None and changes.track_changes:
            row, old = _find(rows, song, changes.track)
            new = old.with_changes(**changes.track_changes)
            if new != old:
                _write_track(conn, row["id"], new)
                detail["track"] = f"track:{row['id']}"
                detail["track_set"] = sorted(k for k in changes.track_changes
                                             if getattr(new, k) != getattr(old, k))
        elif changes.track is not None:
            _find(rows, song, changes.track)  # a wrong name is said even with nothing to set
        for bus, values in bus_changes.items():
            row_and_mix = buses.get(bus)
            old_bus = row_and_mix[1] if row_and_mix else BusMix.default(bus)
            new_bus = BusMix(values.get("preset", old_bus.preset),
                             values.get("gain_db", old_bus.gain_db),
                             values.get("mute", old_bus.mute))
            if new_bus != old_bus:
                _write_bus(conn, song.id, bus, new_bus, row_and_mix[0] if row_and_mix else None)
                detail[f"{bus}_set"] = sorted(k for k in _BUS_KEYS
                                              if getattr(new_bus, k) != getattr(old_bus, k))
        if detail:
            record(conn, studio, actor, "song.mix", f"song:{song.id}", song.member_id, **detail)

    studio.catalog.write(run)
    return song_mix(studio, song)
