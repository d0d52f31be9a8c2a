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

_V2_PEOPLE_CONSENT_REVIEW_AUDIT = """
CREATE TABLE members (
    id             INTEGER PRIMARY KEY,
    alias          TEXT    NOT NULL,
    alias_key      TEXT    NOT NULL UNIQUE,
    note           TEXT    NOT NULL DEFAULT '',   -- private, for staff; never exported
    retention_duty TEXT    NOT NULL DEFAULT '',   -- why material must be kept: restrict, not erase
    created_at     TEXT    NOT NULL
);

CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    name_key        TEXT    NOT NULL UNIQUE,
    role            TEXT    NOT NULL CHECK (role IN ('leader', 'therapist', 'admin')),
    secret_hash     TEXT    NOT NULL,             -- Argon2id
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      TEXT    NOT NULL
);

-- Append-only: a withdrawal is a new row; the newest row per purpose decides.
CREATE TABLE consents (
    id              INTEGER PRIMARY KEY,
    member_id       INTEGER NOT NULL REFERENCES members (id),
    purpose         TEXT    NOT NULL CHECK (purpose IN ('keep', 'internal', 'member-copy',
                                                        'public-release', 'teaching', 'research')),
    granted         INTEGER NOT NULL CHECK (granted IN (0, 1)),
    seq             INTEGER NOT NULL,             -- the audit entry written with it
    at              TEXT    NOT NULL,
    by_staff        TEXT    NOT NULL,
    witness         TEXT    NOT NULL DEFAULT '',
    wording_version TEXT    NOT NULL DEFAULT '',
    keep_until      TEXT,
    song_version    TEXT,
    platforms       TEXT    NOT NULL DEFAULT '[]',
    credit          TEXT    NOT NULL DEFAULT 'alias' CHECK (credit IN ('alias', 'anonymous')),
    audience        TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX consents_by_member ON consents (member_id, purpose, seq);
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;

ALTER TABLE songs ADD COLUMN member_id INTEGER REFERENCES members (id);
ALTER TABLE songs ADD COLUMN lyrics TEXT NOT NULL DEFAULT '';
ALTER TABLE songs ADD COLUMN master TEXT NOT NULL DEFAULT '{}';
ALTER TABLE tracks ADD COLUMN mix TEXT NOT NULL DEFAULT '{}';
ALTER TABLE takes ADD COLUMN member_id INTEGER REFERENCES members (id);
ALTER TABLE takes ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1));
CREATE INDEX takes_by_member ON takes (member_id);

CREATE TABLE reviews (
    id       INTEGER PRIMARY KEY,
    song_id  INTEGER NOT NULL REFERENCES songs (id),
    version  TEXT    NOT NULL,
    decision TEXT    NOT NULL CHECK (decision IN ('submitted', 'approved', 'changes', 'declined')),
    seq      INTEGER NOT NULL,
    note     TEXT    NOT NULL DEFAULT '',
    by_staff TEXT    NOT NULL,
    at       TEXT    NOT NULL
);
CREATE INDEX reviews_by_song ON reviews (song_id, seq);

CREATE TABLE exports (
    id       INTEGER PRIMARY KEY,
    song_id  INTEGER NOT NULL REFERENCES songs (id),
    version  TEXT    NOT NULL,
    purpose  TEXT    NOT NULL CHECK (purpose IN ('member-copy', 'internal', 'public')),
    format   TEXT    NOT NULL,
    path     TEXT    NOT NULL,                    -- where it was written (erased on withdrawal
                                                  -- when it is under the studio's folder)
    seq      INTEGER NOT NULL,
    by_staff TEXT    NOT NULL,
    at       TEXT    NOT NULL,
    erased   INTEGER NOT NULL DEFAULT 0 CHECK (erased IN (0, 1))
);
CREATE INDEX exports_by_song ON exports (song_id);

CREATE TABLE visits (
    id        INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id),
    day       TEXT    NOT NULL,                   -- one visit per member per day
    at        TEXT    NOT NULL,
    UNIQUE (member_id, day)
);

-- Files whose rows were erased in a committed transaction but that may still be on disk: the
-- studio deletes them on its next start if a crash came in between. Never recovered as takes.
CREATE TABLE erasures (
    path TEXT PRIMARY KEY,
    at   TEXT NOT NULL
);

-- Hash-chained and append-only: the triggers refuse any change; `studio audit verify` checks
-- the chain for changes made behind the program's back.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    role      TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    object    TEXT    NOT NULL,
    member_id INTEGER,
    detail    TEXT    NOT NULL DEFAULT '',
    hash      TEXT    NOT NULL
);
CREATE INDEX audit_by_member ON audit (member_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

_V3_BEAT_TRACKS = """
-- A beat track's document: the beat as TOML text (patterns, arrangement, bass line) and the
-- kit it plays ("synth" or a kit folder under the studio's kits/). Part of the song's version.
ALTER TABLE tracks ADD COLUMN beat TEXT;
ALTER TABLE tracks ADD COLUMN kit TEXT NOT NULL DEFAULT 'synth';
"""

MIGRATIONS: tuple[Migration, ...] = (
    (1, _V1_SONGS_TRACKS_TAKES),
    (2, _V2_PEOPLE_CONSENT_REVIEW_AUDIT),
    (3, _V3_BEAT_TRACKS),
)


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
