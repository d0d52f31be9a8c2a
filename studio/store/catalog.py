"""The catalog: one SQLite file, the single source of truth for songs, tracks, takes and clips.

- WAL mode, ``synchronous=FULL`` (a committed transaction survives power loss), foreign keys on.
- Every write runs in ``BEGIN IMMEDIATE … COMMIT`` and rolls back on any error, so a write that
  fails midway leaves nothing behind.
- "database is locked" is never shown to anyone: SQLite's busy timeout waits first, and the whole
  transaction is retried with a back-off until a generous deadline; only then a plain-words
  :class:`~studio.core.i18n.StudioError` says the catalog is busy.
- One connection per :class:`Catalog`, guarded by a lock: safe from several threads; several
  processes may open the same file at once.

Functions given to :meth:`Catalog.write` / :meth:`Catalog.read` must not call other
:class:`Catalog` methods (the lock is not re-entrant) and may run more than once (retries).
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar, cast

from studio.core.i18n import StudioError, Words
from studio.core.song import TRACK_KINDS, Clip, Gap, Song, Take, TakeState, Track, TrackKind
from studio.core.timebase import Timebase
from studio.store.migrations import migrate, user_version

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5_000
RETRY_DEADLINE_S = 120.0

SONG_EXISTS = Words(
    nb="Det finnes allerede en sang som heter «{name}». Velg et annet navn.",
    en="There is already a song called “{name}”. Choose another name.",
)
SONG_NAME_EMPTY = Words(nb="Sangen må ha et navn.", en="The song needs a name.")
SONG_SETTINGS_BAD = Words(
    nb="Sangen kan ikke ha disse innstillingene ({detail}).",
    en="The song cannot have these settings ({detail}).",
)
SONG_NOT_FOUND = Words(nb="Fant ikke sangen (nummer {id}).", en="Could not find the song ({id}).")
TRACK_EXISTS = Words(
    nb="Sangen har allerede et spor som heter «{name}».",
    en="The song already has a track called “{name}”.",
)
TRACK_NAME_EMPTY = Words(nb="Sporet må ha et navn.", en="The track needs a name.")
TRACK_NOT_FOUND = Words(nb="Fant ikke sporet (nummer {id}).", en="Could not find the track ({id}).")
NOT_A_BEAT_TRACK = Words(
    nb="Sporet «{name}» er et lydspor, ikke et beat-spor. Velg et annet navn til beaten.",
    en="The track “{name}” is an audio track, not a beat track. Choose another name for the beat.",
)
TRACK_KIND_BAD = Words(nb="Ukjent type spor: «{kind}».", en="Unknown kind of track: “{kind}”.")
CHANNELS_BAD = Words(
    nb="Et spor kan ha 1 eller 2 kanaler, ikke {channels}.",
    en="A track can have 1 or 2 channels, not {channels}.",
)
TRACK_NOT_IN_SONG = Words(
    nb="Sporet hører ikke til denne sangen.", en="The track does not belong to this song."
)
TAKE_NOT_FOUND = Words(nb="Fant ikke opptaket (nummer {id}).", en="Could not find the take ({id}).")
TAKE_PATH_USED = Words(
    nb="Det finnes allerede et opptak med filen {path}.",
    en="There is already a take with the file {path}.",
)
TAKE_NOT_RECORDING = Words(
    nb="Opptaket er allerede avsluttet ({state}).",
    en="The take has already been finished ({state}).",
)
TAKE_BAD_NUMBERS = Words(
    nb="Opptaket har ugyldige tall: {detail}.", en="The take has invalid numbers: {detail}."
)
CLIP_BAD = Words(nb="Klippet passer ikke: {detail}.", en="The clip does not fit: {detail}.")
CATALOG_DISK_FULL = Words(
    nb="Disken er full, så katalogen kunne ikke lagre endringen. Ingenting er slettet; "
       "rydd plass og prøv igjen.",
    en="The disk is full, so the catalog could not save the change. Nothing was deleted; "
       "make room and try again.",
)
CATALOG_BUSY = Words(
    nb="Katalogen er opptatt akkurat nå. Prøv igjen om litt.",
    en="The catalog is busy right now. Try again in a moment.",
)
CATALOG_CLOSED = Words(nb="Katalogen er lukket.", en="The catalog is closed.")


def utc_now() -> str:
    """Now as an ISO-8601 UTC string, e.g. ``2025-01-31T12:00:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def name_key(name: str) -> str:
    """The form two names are compared in: Unicode-normalised, trimmed, case-folded."""
    return unicodedata.normalize("NFC", name).strip().casefold()


def _is_full(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "disk is full" in text or "disk i/o error" in text


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def song_from_row(row: sqlite3.Row) -> Song:
    return Song(
        id=row["id"],
        name=row["name"],
        samplerate=row["samplerate"],
        tempo_bpm=row["tempo_bpm"],
        beats_per_bar=row["beats_per_bar"],
        beat_unit=row["beat_unit"],
        created_at=row["created_at"],
        member_id=row["member_id"],
        lyrics=row["lyrics"],
    )


def _track(row: sqlite3.Row) -> Track:
    return Track(
        id=row["id"],
        song_id=row["song_id"],
        name=row["name"],
        kind=cast(TrackKind, row["kind"]),
        channels=row["channels"],
        gain_db=row["gain_db"],
        pan=row["pan"],
        muted=bool(row["muted"]),
        order=row["ord"],
    )


def _take(row: sqlite3.Row, gaps: Sequence[Gap]) -> Take:
    return Take(
        id=row["id"],
        song_id=row["song_id"],
        track_id=row["track_id"],
        path=row["path"],
        state=cast(TakeState, row["state"]),
        samplerate=row["samplerate"],
        channels=row["channels"],
        frames=row["frames"],
        sha256=row["sha256"],
        song_position_frames=row["song_position_frames"],
        latency_frames=row["latency_frames"],
        device=row["device"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        gaps=tuple(gaps),
        member_id=row["member_id"],
        restricted=bool(row["restricted"]),
    )


def _clip(row: sqlite3.Row) -> Clip:
    return Clip(
        id=row["id"],
        track_id=row["track_id"],
        take_id=row["take_id"],
        position_frames=row["position_frames"],
        offset_frames=row["offset_frames"],
        length_frames=row["length_frames"],
        gain_db=row["gain_db"],
        fade_in_frames=row["fade_in_frames"],
        fade_out_frames=row["fade_out_frames"],
    )


def _gaps_of(conn: sqlite3.Connection, take_id: int) -> list[Gap]:
    rows = conn.execute(
        "SELECT at_frame, frames FROM take_gaps WHERE take_id = ? ORDER BY at_frame, rowid",
        (take_id,),
    )
    return [Gap(at_frame=r["at_frame"], frames=r["frames"]) for r in rows]


def _take_row(conn: sqlite3.Connection, take_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM takes WHERE id = ?", (take_id,)
    ).fetchone()
    if row is None:
        raise StudioError(TAKE_NOT_FOUND, id=take_id)
    return row


def _load_take(conn: sqlite3.Connection, take_id: int) -> Take:
    return _take(_take_row(conn, take_id), _gaps_of(conn, take_id))


def _song_row(conn: sqlite3.Connection, song_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM songs WHERE id = ?", (song_id,)
    ).fetchone()
    if row is None:
        raise StudioError(SONG_NOT_FOUND, id=song_id)
    return row


def _track_row(conn: sqlite3.Connection, track_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM tracks WHERE id = ?", (track_id,)
    ).fetchone()
    if row is None:
        raise StudioError(TRACK_NOT_FOUND, id=track_id)
    return row


def _require_recording(row: sqlite3.Row) -> None:
    if row["state"] != "recording":
        raise StudioError(TAKE_NOT_RECORDING, state=row["state"])


class Catalog:
    """The studio's catalog. Open with :meth:`Catalog.open`; close (or use ``with``) when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._path = path
        self._lock = threading.Lock()

    # -- life cycle ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Catalog:
        """Open (creating and migrating if needed) the catalog at ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,  # guarded by our own lock
        )
        try:
            conn.row_factory = sqlite3.Row
            catalog = cls(conn, path)
            catalog._retry(catalog._setup)
        except BaseException:
            conn.close()
            raise
        return catalog

    def _setup(self) -> None:
        conn = self._connection()
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"could not switch the catalog to WAL (got {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Catalog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def schema_version(self) -> int:
        return self.read(user_version)

    def pragma(self, name: str) -> Any:
        """The value of one ``PRAGMA`` on this connection (for ``studio doctor`` and tests)."""
        if not name.isidentifier():
            raise ValueError(f"not a pragma name: {name!r}")
        return self.read(lambda conn: conn.execute(f"PRAGMA {name}").fetchone()[0])

    # -- transactions -------------------------------------------------------------------------

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction: all of it is committed, or nothing."""
        return self._transaction(fn, "BEGIN IMMEDIATE")

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one read transaction, so it sees a single consistent state."""
        return self._transaction(fn, "BEGIN")

    def _transaction(self, fn: Callable[[sqlite3.Connection], T], begin: str) -> T:
        def attempt() -> T:
            conn = self._connection()
            conn.execute(begin)
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        return self._retry(attempt)

    def _retry(self, attempt: Callable[[], T]) -> T:
        deadline = time.monotonic() + RETRY_DEADLINE_S
        pause = 0.005
        with self._lock:
            while True:
                try:
                    return attempt()
                except sqlite3.OperationalError as error:
                    if _is_full(error):
                        raise StudioError(CATALOG_DISK_FULL) from error
                    if not _is_busy(error):
                        raise
                    if time.monotonic() >= deadline:
                        raise StudioError(CATALOG_BUSY) from error
                time.sleep(pause * (0.5 + random.random()))
                pause = min(pause * 2, 0.25)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StudioError(CATALOG_CLOSED)
        return self._conn

    # -- songs --------------------------------------------------------------------------------

    def create_song(
        self,
        name: str,
        samplerate: int = 48000,
        tempo_bpm: float = 90.0,
        beats_per_bar: int = 4,
        beat_unit: int = 4,
    ) -> Song:
        name = unicodedata.normalize("NFC", name).strip()
        if not name:
            raise StudioError(SONG_NAME_EMPTY)
        try:
            Timebase(samplerate, tempo_bpm, beats_per_bar, beat_unit)
        except ValueError as error:
            raise StudioError(SONG_SETTINGS_BAD, detail=str(error)) from error
        if beat_unit not in (1, 2, 4, 8, 16, 32):
            raise StudioError(SONG_SETTINGS_BAD, detail=f"beat unit {beat_unit}")

        def run(conn: sqlite3.Connection) -> Song:
            if conn.execute("SELECT 1 FROM songs WHERE name_key = ?", (name_key(name),)).fetchone():
                raise StudioError(SONG_EXISTS, name=name)
            cursor = conn.execute(
                "INSERT INTO songs (name, name_key, samplerate, tempo_bpm, beats_per_bar,"
                " beat_unit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, name_key(name), samplerate, tempo_bpm, beats_per_bar, beat_unit, utc_now()),
            )
            return song_from_row(_song_row(conn, _lastrowid(cursor)))

        return self.write(run)

    def song(self, song_id: int) -> Song:
        return self.read(lambda conn: song_from_row(_song_row(conn, song_id)))

    def song_by_name(self, name: str) -> Song | None:
        def run(conn: sqlite3.Connection) -> Song | None:
            row = conn.execute(
                "SELECT * FROM songs WHERE name_key = ?", (name_key(name),)
            ).fetchone()
            return None if row is None else song_from_row(row)

        return self.read(run)

    def songs(self) -> list[Song]:
        return self.read(
            lambda conn: [song_from_row(r) for r in conn.execute("SELECT * FROM songs ORDER BY id")]
        )

    # -- tracks -------------------------------------------------------------------------------

    def create_track(
        self, song_id: int, name: str, kind: TrackKind = "audio", channels: int = 1
    ) -> Track:
        name = _check_track(name, kind, channels)
        return self.write(lambda conn: _insert_track(conn, song_id, name, kind, channels))

    def track(self, track_id: int) -> Track:
        return self.read(lambda conn: _track(_track_row(conn, track_id)))

    def track_by_name(self, song_id: int, name: str) -> Track | None:
        def run(conn: sqlite3.Connection) -> Track | None:
            row = _find_track(conn, song_id, name)
            return None if row is None else _track(row)

        return self.read(run)

    def ensure_track(self, song_id: int, name: str, channels: int = 1) -> Track:
        """The audio track called ``name``, created if the song does not have it yet."""
        name = _check_track(name, "audio", channels)

        def run(conn: sqlite3.Connection) -> Track:
            row = _find_track(conn, song_id, name)
            if row is not None:
                return _track(row)
            return _insert_track(conn, song_id, name, "audio", channels)

        return self.write(run)

    def set_beat(self, song_id: int, track_name: str, beat_toml: str, kit: str = "synth"
                 ) -> Track:
        """Store a beat track's document (made if the song lacks the track). Stereo, always."""
        name = _check_track(track_name, "beat", 2)

        def run(conn: sqlite3.Connection) -> Track:
            row = _find_track(conn, song_id, name)
            if row is None:
                track = _insert_track(conn, song_id, name, "beat", 2)
            elif row["kind"] != "beat":
                raise StudioError(NOT_A_BEAT_TRACK, name=row["name"])
            else:
                track = _track(row)
            conn.execute("UPDATE tracks SET beat = ?, kit = ? WHERE id = ?",
                         (beat_toml, kit, track.id))
            return track

        return self.write(run)

    def beat_of(self, track_id: int) -> tuple[str, str] | None:
        """A beat track's (TOML text, kit), or None for a track without a beat."""
        def run(conn: sqlite3.Connection) -> tuple[str, str] | None:
            row = _track_row(conn, track_id)
            return None if row["beat"] is None else (str(row["beat"]), str(row["kit"]))

        return self.read(run)

    def tracks(self, song_id: int) -> list[Track]:
        return self.read(
            lambda conn: [
                _track(r)
                for r in conn.execute(
                    "SELECT * FROM tracks WHERE song_id = ? ORDER BY ord, id", (song_id,)
                )
            ]
        )

    # -- takes --------------------------------------------------------------------------------

    def begin_take(
        self,
        song_id: int,
        track_id: int,
        path: str,
        samplerate: int,
        channels: int,
        device: str,
        latency_frames: int,
    ) -> Take:
        """The catalog row of a take about to be recorded (state "recording")."""
        if samplerate <= 0 or channels <= 0:
            raise StudioError(
                TAKE_BAD_NUMBERS, detail=f"samplerate={samplerate}, channels={channels}"
            )

        def run(conn: sqlite3.Connection) -> Take:
            _song_row(conn, song_id)
            if _track_row(conn, track_id)["song_id"] != song_id:
                raise StudioError(TRACK_NOT_IN_SONG)
            if conn.execute("SELECT 1 FROM takes WHERE path = ?", (path,)).fetchone():
                raise StudioError(TAKE_PATH_USED, path=path)
            cursor = conn.execute(
                "INSERT INTO takes (song_id, track_id, path, state, samplerate, channels,"
                " latency_frames, device, created_at, member_id)"
                " VALUES (?, ?, ?, 'recording', ?, ?, ?, ?, ?,"
                " (SELECT member_id FROM songs WHERE id = ?))",  # the song's artist performs
                (song_id, track_id, path, samplerate, channels, latency_frames, device, utc_now(),
                 song_id),
            )
            return _load_take(conn, _lastrowid(cursor))

        return self.write(run)

    def finish_take(
        self,
        take_id: int,
        *,
        frames: int,
        sha256: str | None,
        song_position_frames: int,
        gaps: Sequence[Gap],
        state: Literal["complete", "interrupted"] = "complete",
    ) -> Take:
        """Record that a take's file is closed and synced: its length, hash, position and gaps.

        ``sha256`` is ``None`` only when there is no file to hash (it went missing).
        """
        if state not in ("complete", "interrupted"):
            raise ValueError(f"a finished take is complete or interrupted, not {state!r}")
        if frames < 0:
            raise StudioError(TAKE_BAD_NUMBERS, detail=f"frames={frames}")

        def run(conn: sqlite3.Connection) -> Take:
            _require_recording(_take_row(conn, take_id))
            conn.execute(
                "UPDATE takes SET state = ?, frames = ?, sha256 = ?, song_position_frames = ?,"
                " finished_at = ? WHERE id = ?",
                (state, frames, sha256, song_position_frames, utc_now(), take_id),
            )
            try:
                conn.executemany(
                    "INSERT INTO take_gaps (take_id, at_frame, frames) VALUES (?, ?, ?)",
                    [(take_id, gap.at_frame, gap.frames) for gap in gaps],
                )
            except sqlite3.IntegrityError as error:
                raise StudioError(TAKE_BAD_NUMBERS, detail=f"gaps ({error})") from error
            return _load_take(conn, take_id)

        return self.write(run)

    def add_complete_take(
        self,
        song_id: int,
        track_name: str,
        channels: int,
        path: str,
        *,
        samplerate: int,
        frames: int,
        sha256: str,
        device: str,
    ) -> tuple[Track, Take, Clip]:
        """A take whose file is already complete (an import), with its track (made if the song
        lacks it) and a clip at the song's start: all three in one transaction, or none."""
        name = _check_track(track_name, "audio", channels)
        if samplerate <= 0 or frames <= 0:
            raise StudioError(TAKE_BAD_NUMBERS, detail=f"samplerate={samplerate}, frames={frames}")

        def run(conn: sqlite3.Connection) -> tuple[Track, Take, Clip]:
            _song_row(conn, song_id)
            row = _find_track(conn, song_id, name)
            track = _track(row) if row is not None else _insert_track(
                conn, song_id, name, "audio", channels)
            if conn.execute("SELECT 1 FROM takes WHERE path = ?", (path,)).fetchone():
                raise StudioError(TAKE_PATH_USED, path=path)
            now = utc_now()
            cursor = conn.execute(
                "INSERT INTO takes (song_id, track_id, path, state, samplerate, channels, frames,"
                " sha256, device, created_at, finished_at, member_id)"
                " VALUES (?, ?, ?, 'complete', ?, ?, ?, ?, ?, ?, ?,"
                " (SELECT member_id FROM songs WHERE id = ?))",
                (song_id, track.id, path, samplerate, track.channels, frames, sha256, device,
                 now, now, song_id))
            take = _load_take(conn, _lastrowid(cursor))
            cursor = conn.execute(
                "INSERT INTO clips (track_id, take_id, position_frames, offset_frames,"
                " length_frames) VALUES (?, ?, 0, 0, ?)", (track.id, take.id, frames))
            clip = _clip(conn.execute("SELECT * FROM clips WHERE id = ?",
                                      (_lastrowid(cursor),)).fetchone())
            return track, take, clip

        return self.write(run)

    def mark_recovered(self, take_id: int, *, frames: int, sha256: str) -> Take:
        """A take left "recording" by a crash, repaired on start-up: never deleted, kept as is."""
        if frames < 0:
            raise StudioError(TAKE_BAD_NUMBERS, detail=f"frames={frames}")

        def run(conn: sqlite3.Connection) -> Take:
            _require_recording(_take_row(conn, take_id))
            conn.execute(
                "UPDATE takes SET state = 'recovered', frames = ?, sha256 = ?, finished_at = ?"
                " WHERE id = ?",
                (frames, sha256, utc_now(), take_id),
            )
            return _load_take(conn, take_id)

        return self.write(run)

    def discard_take(self, take_id: int) -> None:
        """Forget a take that never got a single sample (still "recording"), with its gaps.

        The caller makes sure its file holds no audio; the catalog never forgets recorded sound.
        """

        def run(conn: sqlite3.Connection) -> None:
            _require_recording(_take_row(conn, take_id))
            conn.execute("DELETE FROM take_gaps WHERE take_id = ?", (take_id,))
            conn.execute("DELETE FROM takes WHERE id = ?", (take_id,))

        self.write(run)

    def take(self, take_id: int) -> Take:
        return self.read(lambda conn: _load_take(conn, take_id))

    def takes(
        self,
        song_id: int | None = None,
        track_id: int | None = None,
        state: TakeState | None = None,
    ) -> list[Take]:
        where: list[str] = []
        values: list[object] = []
        for column, value in (("song_id", song_id), ("track_id", track_id), ("state", state)):
            if value is not None:
                where.append(f"t.{column} = ?")
                values.append(value)
        condition = f" WHERE {' AND '.join(where)}" if where else ""

        def run(conn: sqlite3.Connection) -> list[Take]:
            gaps: dict[int, list[Gap]] = {}
            for g in conn.execute(
                "SELECT g.take_id, g.at_frame, g.frames FROM take_gaps g"
                f" JOIN takes t ON t.id = g.take_id{condition} ORDER BY g.at_frame, g.rowid",
                values,
            ):
                gaps.setdefault(g["take_id"], []).append(Gap(g["at_frame"], g["frames"]))
            rows = conn.execute(f"SELECT t.* FROM takes t{condition} ORDER BY t.id", values)
            return [_take(r, gaps.get(r["id"], [])) for r in rows]

        return self.read(run)

    def pending_takes(self) -> list[Take]:
        """Takes still "recording": after a crash these are the ones to repair and recover."""
        return self.takes(state="recording")

    # -- clips --------------------------------------------------------------------------------

    def add_clip(
        self,
        track_id: int,
        take_id: int,
        position_frames: int,
        offset_frames: int,
        length_frames: int,
        gain_db: float = 0.0,
        fade_in_frames: int = 0,
        fade_out_frames: int = 0,
    ) -> Clip:
        if offset_frames < 0 or length_frames <= 0 or fade_in_frames < 0 or fade_out_frames < 0:
            raise StudioError(
                CLIP_BAD,
                detail=f"offset={offset_frames}, length={length_frames},"
                f" fades={fade_in_frames}/{fade_out_frames}",
            )

        def run(conn: sqlite3.Connection) -> Clip:
            track = _track_row(conn, track_id)
            take = _take_row(conn, take_id)
            if take["song_id"] != track["song_id"]:
                raise StudioError(TRACK_NOT_IN_SONG)
            cursor = conn.execute(
                "INSERT INTO clips (track_id, take_id, position_frames, offset_frames,"
                " length_frames, gain_db, fade_in_frames, fade_out_frames)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    track_id,
                    take_id,
                    position_frames,
                    offset_frames,
                    length_frames,
                    gain_db,
                    fade_in_frames,
                    fade_out_frames,
                ),
            )
            row = conn.execute("SELECT * FROM clips WHERE id = ?", (_lastrowid(cursor),))
            return _clip(row.fetchone())

        return self.write(run)

    def clips(self, track_id: int) -> list[Clip]:
        return self.read(
            lambda conn: [
                _clip(r)
                for r in conn.execute(
                    "SELECT * FROM clips WHERE track_id = ? ORDER BY position_frames, id",
                    (track_id,),
                )
            ]
        )

    # -- device calibrations ------------------------------------------------------------------

    def set_calibration(
        self, device_key: str, samplerate: int, blocksize: int, roundtrip_frames: int
    ) -> None:
        """Store the measured round trip of a device at these settings (replaces an older one)."""
        self.write(
            lambda conn: conn.execute(
                "INSERT INTO device_calibrations (device_key, samplerate, blocksize,"
                " roundtrip_frames, measured_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (device_key, samplerate, blocksize) DO UPDATE SET"
                " roundtrip_frames = excluded.roundtrip_frames,"
                " measured_at = excluded.measured_at",
                (device_key, samplerate, blocksize, roundtrip_frames, utc_now()),
            )
        )

    def calibration(self, device_key: str, samplerate: int, blocksize: int) -> int | None:
        def run(conn: sqlite3.Connection) -> int | None:
            row = conn.execute(
                "SELECT roundtrip_frames FROM device_calibrations"
                " WHERE device_key = ? AND samplerate = ? AND blocksize = ?",
                (device_key, samplerate, blocksize),
            ).fetchone()
            return None if row is None else int(row[0])

        return self.read(run)


def _lastrowid(cursor: sqlite3.Cursor) -> int:
    if cursor.lastrowid is None:
        raise RuntimeError("INSERT gave no row id")
    return cursor.lastrowid


def _check_track(name: str, kind: str, channels: int) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise StudioError(TRACK_NAME_EMPTY)
    if kind not in TRACK_KINDS:
        raise StudioError(TRACK_KIND_BAD, kind=kind)
    if channels not in (1, 2):
        raise StudioError(CHANNELS_BAD, channels=channels)
    return name


def _find_track(conn: sqlite3.Connection, song_id: int, name: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM tracks WHERE song_id = ? AND name_key = ?", (song_id, name_key(name))
    ).fetchone()
    return row


def _insert_track(
    conn: sqlite3.Connection, song_id: int, name: str, kind: TrackKind, channels: int
) -> Track:
    _song_row(conn, song_id)
    if _find_track(conn, song_id, name) is not None:
        raise StudioError(TRACK_EXISTS, name=name)
    order = conn.execute(
        "SELECT COALESCE(MAX(ord), -1) + 1 FROM tracks WHERE song_id = ?", (song_id,)
    ).fetchone()[0]
    cursor = conn.execute(
        "INSERT INTO tracks (song_id, name, name_key, kind, channels, ord)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (song_id, name, name_key(name), kind, channels, order),
    )
    return _track(_track_row(conn, _lastrowid(cursor)))
