"""The library as the screens show it: every song with its state, a search, and each track's
takes with the one in use.

A song's state is read from the catalog facts the release gate also reads (reviews of its
current version, public exports, consent records, restricted takes):

- **withdrawn**: a performer withdrew consent to keep recordings or to release this song after
  having agreed, or some of its recordings are restricted;
- **released**: the current version went out as a public export;
- **approved** / **in review** / **changes asked** / **declined**: the therapist's newest word
  on the current version;
- **draft**: anything else (nothing submitted yet, or edited since the last review).

Aliases are shown only to a signed-in person: with no actor the list has no names in it.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from studio.core.consent import ConsentRecord, Purpose, latest
from studio.core.gate import ReviewDecision, ReviewRecord, newest_review
from studio.core.i18n import Refused, StudioError, Words
from studio.core.people import Action, Actor
from studio.core.song import Song, Take, Track
from studio.services.access import record, require
from studio.services.consent import NEEDS_SIGN_IN
from studio.services.studio import Studio
from studio.store import consents as consent_store
from studio.store import people as people_store
from studio.store.catalog import song_from_row
from studio.store.song_content import current_version, has_restricted, performers_of


class SongState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in-review"
    CHANGES = "changes"
    DECLINED = "declined"
    APPROVED = "approved"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"


STATE_WORDS: dict[SongState, Words] = {
    SongState.DRAFT: Words(nb="utkast", en="draft"),
    SongState.IN_REVIEW: Words(nb="til gjennomgang", en="in review"),
    SongState.CHANGES: Words(nb="endringer ønsket", en="changes asked"),
    SongState.DECLINED: Words(nb="avslått", en="declined"),
    SongState.APPROVED: Words(nb="godkjent", en="approved"),
    SongState.RELEASED: Words(nb="publisert", en="released"),
    SongState.WITHDRAWN: Words(nb="trukket tilbake", en="withdrawn"),
}

TAKE_RESTRICTED = Words(
    nb="Opptak {take} er sperret og kan ikke brukes.",
    en="Take {take} is restricted and cannot be used.",
)
TAKE_EMPTY = Words(nb="Opptak {take} er tomt.", en="Take {take} is empty.")
TAKE_NOT_READY = Words(
    nb="Opptak {take} er ikke ferdig ennå.",
    en="Take {take} is not finished yet.",
)
TRACK_NAME_NEEDED = Words(nb="Sporet må ha et navn.", en="The track needs a name.")


@dataclass(frozen=True)
class SongFacts:
    """What the state is read from, for one song."""

    version: str
    reviews: tuple[ReviewRecord, ...]
    public_export_versions: tuple[str, ...]
    performer_consents: tuple[tuple[ConsentRecord, ...], ...]
    known_versions: tuple[str, ...]  # the current one and every version reviewed or exported
    restricted: bool = False


def _withdrew(records: Sequence[ConsentRecord], versions: Sequence[str]) -> bool:
    """A "no" that came after a "yes": to keeping recordings, or to releasing one of these
    versions (a "no" that was never preceded by a "yes" is not a withdrawal)."""
    def said_yes_before(purpose: Purpose, no: ConsentRecord, version: str | None) -> bool:
        return any(r.purpose is purpose and r.granted and r.seq < no.seq
                   and (version is None or r.song_version == version) for r in records)

    keep = latest(records, Purpose.KEEP)
    if keep is not None and not keep.granted and said_yes_before(Purpose.KEEP, keep, None):
        return True
    for version in versions:
        said = latest(records, Purpose.PUBLIC_RELEASE, version)
        if said is not None and not said.granted and said_yes_before(
                Purpose.PUBLIC_RELEASE, said, version):
            return True
    return False


def state_of(facts: SongFacts) -> SongState:
    """The song's state from its facts (the rules are in the module's docstring)."""
    if facts.restricted or any(_withdrew(c, facts.known_versions)
                               for c in facts.performer_consents):
        return SongState.WITHDRAWN
    if facts.version in facts.public_export_versions:
        return SongState.RELEASED
    review = newest_review(facts.reviews, facts.version)
    if review is None:
        return SongState.DRAFT
    return {
        ReviewDecision.SUBMITTED: SongState.IN_REVIEW,
        ReviewDecision.APPROVED: SongState.APPROVED,
        ReviewDecision.CHANGES: SongState.CHANGES,
        ReviewDecision.DECLINED: SongState.DECLINED,
    }[review.decision]


def song_facts(conn: sqlite3.Connection, song_id: int) -> SongFacts:
    version = current_version(conn, song_id)
    reviews = consent_store.reviews_of(conn, song_id)
    exported = tuple(str(r["version"]) for r in conn.execute(
        "SELECT version FROM exports WHERE song_id = ? AND purpose = 'public' AND erased = 0",
        (song_id,)))
    all_exported = tuple(str(r["version"]) for r in conn.execute(
        "SELECT version FROM exports WHERE song_id = ?", (song_id,)))
    consents = tuple(consent_store.consents_of(conn, m) for m in performers_of(conn, song_id))
    known = tuple(dict.fromkeys((version, *(r.version for r in reviews), *all_exported)))
    return SongFacts(version, reviews, exported, consents, known,
                     has_restricted(conn, song_id))


@dataclass(frozen=True)
class LibraryEntry:
    song: Song
    state: SongState
    artist: str  # the member's alias; "" when nobody is signed in or the song has no artist
    takes: int

    def state_words(self) -> str:
        return STATE_WORDS[self.state].say()


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def _entry(conn: sqlite3.Connection, song: Song, actor: Actor | None) -> LibraryEntry:
    artist = ""
    if actor is not None and song.member_id is not None:
        artist = people_store.member_by_id(conn, song.member_id).alias
    takes = int(conn.execute(
        "SELECT count(*) FROM takes WHERE song_id = ? AND state != 'recording'",
        (song.id,)).fetchone()[0])
    return LibraryEntry(song, state_of(song_facts(conn, song.id)), artist, takes)


def library(studio: Studio, actor: Actor | None, search: str = "",
            member_id: int | None = None) -> list[LibraryEntry]:
    """Every song (or one member's songs) with its state, newest first, filtered by ``search``
    (any part of the song's name or, for a signed-in person, the artist's alias)."""
    wanted = _key(search)

    def run(conn: sqlite3.Connection) -> list[LibraryEntry]:
        entries = []
        for row in conn.execute("SELECT * FROM songs ORDER BY id DESC"):
            song = song_from_row(row)
            if member_id is not None and song.member_id != member_id:
                continue
            entry = _entry(conn, song, actor)
            if wanted and wanted not in _key(song.name) and wanted not in _key(entry.artist):
                continue
            entries.append(entry)
        return entries

    return studio.catalog.read(run)


def entry(studio: Studio, actor: Actor | None, song: Song) -> LibraryEntry:
    """One song as the library shows it, read fresh from the catalog."""
    return studio.catalog.read(lambda conn: _entry(
        conn, song_from_row(conn.execute("SELECT * FROM songs WHERE id = ?",
                                         (song.id,)).fetchone()), actor))


def song_state(studio: Studio, song: Song) -> SongState:
    return studio.catalog.read(lambda conn: state_of(song_facts(conn, song.id)))


# tracks and takes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TakeInfo:
    take: Take
    number: int  # 1, 2, 3 … on its track, in the order they were recorded
    in_use: bool  # the track plays this take (it has a clip on the track)

    @property
    def seconds(self) -> float:
        return self.take.frames / self.take.samplerate if self.take.samplerate else 0.0


@dataclass(frozen=True)
class TrackTakes:
    track: Track
    takes: tuple[TakeInfo, ...]


def tracks_and_takes(studio: Studio, song: Song) -> list[TrackTakes]:
    """Each track of the song with its finished takes, newest first."""

    def run(conn: sqlite3.Connection) -> list[tuple[int, list[tuple[int, bool]]]]:
        out = []
        for track in conn.execute("SELECT id FROM tracks WHERE song_id = ? ORDER BY ord, id",
                                  (song.id,)):
            used = {int(r["take_id"]) for r in conn.execute(
                "SELECT take_id FROM clips WHERE track_id = ?", (track["id"],))}
            takes = [(int(r["id"]), int(r["id"]) in used) for r in conn.execute(
                "SELECT id FROM takes WHERE track_id = ? AND state != 'recording' ORDER BY id",
                (track["id"],))]
            out.append((int(track["id"]), takes))
        return out

    tracks = {t.id: t for t in studio.tracks(song)}
    takes = {t.id: t for t in studio.takes(song)}
    result = []
    for track_id, rows in studio.catalog.read(run):
        infos = [TakeInfo(takes[take_id], n, in_use)
                 for n, (take_id, in_use) in enumerate(rows, start=1) if take_id in takes]
        result.append(TrackTakes(tracks[track_id], tuple(reversed(infos))))
    return result


def _may_edit(studio: Studio, song: Song, actor: Actor | None) -> None:
    """A member's song is changed only by signed-in staff whose role may edit songs; a song
    without an artist (practice) may be changed by anyone at the console."""
    if actor is not None:
        require(actor, Action.EDIT_SONG)
    elif song.member_id is not None:
        member_id = song.member_id
        member = studio.catalog.read(lambda conn: people_store.member_by_id(conn, member_id))
        raise Refused(NEEDS_SIGN_IN, alias=member.alias)


def use_take(studio: Studio, actor: Actor | None, take: Take) -> None:
    """Make the track play this take where it was recorded: clips of other takes on the same
    track that overlap it are taken off the track (the takes themselves stay). Changing what
    the song plays makes a new version, which needs review again before release."""
    song = studio.catalog.song(take.song_id)
    _may_edit(studio, song, actor)
    if take.restricted:
        raise StudioError(TAKE_RESTRICTED, take=take.id)
    if take.state == "recording":
        raise StudioError(TAKE_NOT_READY, take=take.id)
    if take.frames <= 0:
        raise StudioError(TAKE_EMPTY, take=take.id)
    start = take.song_position_frames
    end = start + take.frames

    def run(conn: sqlite3.Connection) -> None:
        conn.execute(
            "DELETE FROM clips WHERE track_id = ? AND position_frames < ?"
            " AND position_frames + length_frames > ?", (take.track_id, end, start))
        conn.execute(
            "INSERT INTO clips (track_id, take_id, position_frames, offset_frames,"
            " length_frames) VALUES (?, ?, ?, 0, ?)",
            (take.track_id, take.id, start, take.frames))
        record(conn, studio, actor, "take.use", f"song:{song.id}", song.member_id,
               take=take.id, track=take.track_id)

    studio.catalog.write(run)


def add_track(studio: Studio, actor: Actor | None, song: Song, name: str,
              channels: int = 1) -> Track:
    """A new audio track on the song."""
    _may_edit(studio, song, actor)
    if not name.strip():
        raise StudioError(TRACK_NAME_NEEDED)
    track = studio.catalog.create_track(song.id, name.strip(), "audio", channels)
    studio.catalog.write(lambda conn: record(
        conn, studio, actor, "track.add", f"song:{song.id}", song.member_id, track=track.id))
    return track
