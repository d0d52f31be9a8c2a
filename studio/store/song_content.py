"""What makes a song sound and read the way it does, gathered from the catalog in one read:
the input to its version hash (:mod:`studio.core.version`) and the list of its performers."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from studio.core.version import song_version


def song_content(conn: sqlite3.Connection, song_id: int) -> dict[str, Any]:
    song = conn.execute("SELECT * FROM songs WHERE id = ?", (song_id,)).fetchone()
    tracks = []
    for track in conn.execute("SELECT * FROM tracks WHERE song_id = ? ORDER BY ord, id",
                              (song_id,)):
        clips = [
            {"take": clip["sha256"] or f"unfinished:{clip['take_id']}",
             "position": clip["position_frames"], "offset": clip["offset_frames"],
             "length": clip["length_frames"], "gain_db": clip["gain_db"],
             "fade_in": clip["fade_in_frames"], "fade_out": clip["fade_out_frames"]}
            for clip in conn.execute(
                "SELECT clips.*, takes.sha256 FROM clips JOIN takes ON takes.id = clips.take_id"
                " WHERE clips.track_id = ? ORDER BY position_frames, clips.id", (track["id"],))
        ]
        tracks.append({"name": track["name"], "kind": track["kind"],
                       "channels": track["channels"], "gain_db": track["gain_db"],
                       "pan": track["pan"], "muted": bool(track["muted"]),
                       "mix": json.loads(track["mix"]), "clips": clips,
                       "beat": track["beat"], "kit": track["kit"]})
    return {
        "samplerate": song["samplerate"], "tempo_bpm": song["tempo_bpm"],
        "meter": [song["beats_per_bar"], song["beat_unit"]], "lyrics": song["lyrics"],
        "master": json.loads(song["master"]), "tracks": tracks,
    }


def current_version(conn: sqlite3.Connection, song_id: int) -> str:
    return song_version(song_content(conn, song_id))


def performers_of(conn: sqlite3.Connection, song_id: int) -> list[int]:
    """The song's artist and every member whose take is placed on one of its tracks."""
    ids: set[int] = set()
    row = conn.execute("SELECT member_id FROM songs WHERE id = ?", (song_id,)).fetchone()
    if row is not None and row["member_id"] is not None:
        ids.add(int(row["member_id"]))
    for r in conn.execute(
            "SELECT DISTINCT takes.member_id FROM clips JOIN takes ON takes.id = clips.take_id"
            " JOIN tracks ON tracks.id = clips.track_id"
            " WHERE tracks.song_id = ? AND takes.member_id IS NOT NULL", (song_id,)):
        ids.add(int(r["member_id"]))
    return sorted(ids)


def has_restricted(conn: sqlite3.Connection, song_id: int) -> bool:
    return conn.execute(
        "SELECT 1 FROM clips JOIN takes ON takes.id = clips.take_id"
        " JOIN tracks ON tracks.id = clips.track_id"
        " WHERE tracks.song_id = ? AND takes.restricted = 1 LIMIT 1", (song_id,)
    ).fetchone() is not None
