"""Numbered schema migrations for the catalog.

The schema number lives in ``PRAGMA user_version``. To change the schema, append a new
``(number, script)`` to :data:`MIGRATIONS`; never edit one that has shipped. Each migration runs
in its own ``BEGIN IMMEDIATE`` transaction together with the update of ``user_version``, so a
catalog is always at exactly one schema number, and two processes opening a fresh catalog at once
cannot both apply the same migration (the second one re-reads the number under the write lock).
"""

from __future__ import annotations

import sqlite3

Migration = tuple[int, str]

_V1_SONGS_TRACKS_TAKES = """
CREATE TABLE songs (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    name_key      TEXT    NOT NULL UNIQUE,          -- casefolded name: unique, any letters
    samplerate    INTEGER NOT NULL CHECK (samplerate > 0),
    tempo_bpm     REAL    NOT NULL CHECK (tempo_bpm > 0),
    beats_per_bar INTEGER NOT NULL CHECK (beats_per_bar > 0),
    beat_unit     INTEGER NOT NULL CHECK (beat_unit > 0),
    created_at    TEXT    NOT NULL
);

CREATE TABLE tracks (
    id       INTEGER PRIMARY KEY,
    song_id  INTEGER NOT NULL REFERENCES songs (id),
    name     TEXT    NOT NULL,
    name_key TEXT    NOT NULL,
    kind     TEXT    NOT NULL CHECK (kind IN ('audio', 'beat', 'bus')),
    channels INTEGER NOT NULL CHECK (channels IN (1, 2)),
    gain_db  REAL    NOT NULL DEFAULT 0.0,
    pan      REAL    NOT NULL DEFAULT 0.0 CHECK (pan BETWEEN -1.0 AND 1.0),
    muted    INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
    ord      INTEGER NOT NULL,
    UNIQUE (song_id, name_key)
);

CREATE TABLE takes (
    id                   INTEGER PRIMARY KEY,
    song_id              INTEGER NOT NULL REFERENCES songs (id),
    track_id             INTEGER NOT NULL REFERENCES tracks (id),
    path                 TEXT    NOT NULL UNIQUE,
    state                TEXT    NOT NULL
                         CHECK (state IN ('recording', 'complete', 'recovered', 'interrupted')),
    samplerate           INTEGER NOT NULL CHECK (samplerate > 0),
    channels             INTEGER NOT NULL CHECK (channels > 0),
    frames               INTEGER NOT NULL DEFAULT 0 CHECK (frames >= 0),
    sha256               TEXT,
    song_position_frames INTEGER NOT NULL DEFAULT 0,
    latency_frames       INTEGER NOT NULL DEFAULT 0,
    device               TEXT    NOT NULL DEFAULT '',
    created_at           TEXT    NOT NULL,
    finished_at          TEXT
);
CREATE INDEX takes_by_track ON takes (track_id);
CREATE INDEX takes_by_state ON takes (state);

CREATE TABLE take_gaps (
    take_id  INTEGER NOT NULL REFERENCES takes (id),
    at_frame INTEGER NOT NULL CHECK (at_frame >= 0),
    frames   INTEGER NOT NULL CHECK (frames > 0)
);
CREATE INDEX take_gaps_by_take ON take_gaps (take_id, at_frame);

CREATE TABLE clips (
    id              INTEGER PRIMARY KEY,
    track_id        INTEGER NOT NULL REFERENCES tracks (id),
    take_id         INTEGER NOT NULL REFERENCES takes (id),
    position_frames INTEGER NOT NULL,
    offset_frames   INTEGER NOT NULL CHECK (offset_frames >= 0),
    length_frames   INTEGER NOT NULL CHECK (length_frames > 0),
    gain_db         REAL    NOT NULL DEFAULT 0.0,
    fade_in_frames  INTEGER NOT NULL DEFAULT 0 CHECK (fade_in_frames >= 0),
    fade_out_frames INTEGER NOT NULL DEFAULT 0 CHECK (fade_out_frames >= 0)
);
CREATE INDEX clips_by_track ON clips (track_id, position_frames);

CREATE TABLE device_calibrations (
    device_key       TEXT    NOT NULL,
    samplerate       INTEGER NOT NULL CHECK (samplerate > 0),
    blocksize        INTEGER NOT NULL CHECK (blocksize >= 0),
    roundtrip_frames INTEGER NOT NULL,
    measured_at      TEXT    NOT NULL,
    PRIMARY KEY (device_key, samplerate, blocksize)
);
"""

MIGRATIONS: tuple[Migration, ...] = ((1, _V1_SONGS_TRACKS_TAKES),)


def latest_version(migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    return max((number for number, _ in migrations), default=0)


def split_statements(script: str) -> list[str]:
    """Split a script into complete SQL statements (triggers with ``BEGIN … END;`` stay whole).

    ``executescript`` would commit the open transaction first, so migrations run statement by
    statement instead.
    """
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return statements


def user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Apply the migrations a catalog lacks, in order; returns the schema number afterwards.

    ``conn`` must be in autocommit mode (``isolation_level=None``) with no open transaction.
    """
    numbers = [number for number, _ in migrations]
    if numbers != sorted(set(numbers)) or (numbers and numbers[0] < 1):
        raise ValueError("migrations must be numbered 1, 2, 3 … in increasing order")
    for number, script in migrations:
        if user_version(conn) >= number:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if user_version(conn) < number:  # another process may have done it meanwhile
                for statement in split_statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(number)}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return user_version(conn)
