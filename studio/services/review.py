"""Review: a leader or therapist submits the song's current version; a therapist listens, reads
the lyrics, and approves, asks for changes or declines it, with a note. A decision is about the
exact version that was submitted: any edit afterwards makes a new version that needs review."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from studio.core.gate import ReviewDecision, ReviewRecord, newest_review
from studio.core.i18n import StudioError, Words
from studio.core.people import Action, Actor
from studio.core.song import Song
from studio.services.access import record, require
from studio.services.studio import Studio
from studio.store import consents as consent_store
from studio.store.song_content import current_version, performers_of

NOTHING_SUBMITTED = Words(
    nb="«{song}» er ikke sendt til gjennomgang.",
    en="“{song}” has not been submitted for review.",
)
ALREADY_DECIDED = Words(
    nb="Denne versjonen av «{song}» er allerede gjennomgått ({decision}).",
    en="This version of “{song}” has already been reviewed ({decision}).",
)
CHANGED_SINCE = Words(
    nb="«{song}» er endret etter at den ble sendt inn. Send den nye versjonen til "
       "gjennomgang først.",
    en="“{song}” changed after it was submitted. Submit the new version for review first.",
)
NOTE_NEEDED = Words(
    nb="Skriv en kort begrunnelse, så vet deltakeren hva som skal til.",
    en="Write a short note, so the member knows what is needed.",
)
EMPTY_SONG = Words(nb="«{song}» har ingen opptak ennå.", en="“{song}” has no recordings yet.")
NO_ARTIST = Words(
    nb="«{song}» har ingen artist. Velg hvem sin sang det er før den sendes inn.",
    en="“{song}” has no artist. Choose whose song it is before submitting it.",
)

DECISION_WORDS = {
    ReviewDecision.SUBMITTED: Words(nb="venter på gjennomgang", en="waiting for review"),
    ReviewDecision.APPROVED: Words(nb="godkjent", en="approved"),
    ReviewDecision.CHANGES: Words(nb="endringer ønsket", en="changes asked for"),
    ReviewDecision.DECLINED: Words(nb="avslått", en="declined"),
}


@dataclass(frozen=True)
class QueueItem:
    song: Song
    version: str
    submitted: ReviewRecord
    lyrics: str
    current: bool  # the song is still at the submitted version


def submit(studio: Studio, actor: Actor, song: Song) -> ReviewRecord:
    require(actor, Action.SUBMIT_REVIEW)

    def run(conn: sqlite3.Connection) -> ReviewRecord:
        if song.member_id is None:
            raise StudioError(NO_ARTIST, song=song.name)
        if not conn.execute("SELECT 1 FROM clips JOIN tracks ON tracks.id = clips.track_id"
                            " WHERE tracks.song_id = ? LIMIT 1", (song.id,)).fetchone():
            raise StudioError(EMPTY_SONG, song=song.name)
        version = current_version(conn, song.id)
        newest = newest_review(consent_store.reviews_of(conn, song.id), version)
        if newest is not None:
            return newest  # submitting the same version twice changes nothing
        entry = record(conn, studio, actor, "review.submit", f"song:{song.id}",
                       song.member_id, version=version)
        review = ReviewRecord(song.id, version, ReviewDecision.SUBMITTED, entry.seq,
                              by=actor.name, at=entry.at)
        consent_store.insert_review(conn, review)
        return review

    return studio.catalog.write(run)


def decide_review(studio: Studio, actor: Actor, song: Song, decision: ReviewDecision,
                  note: str = "") -> ReviewRecord:
    """A therapist's decision on the version that is waiting (the song's current one)."""
    require(actor, Action.REVIEW)
    if decision is ReviewDecision.SUBMITTED:
        raise ValueError("a decision cannot be 'submitted'")
    if decision is not ReviewDecision.APPROVED and not note.strip():
        raise StudioError(NOTE_NEEDED)

    def run(conn: sqlite3.Connection) -> ReviewRecord:
        reviews = consent_store.reviews_of(conn, song.id)
        if not reviews:
            raise StudioError(NOTHING_SUBMITTED, song=song.name)
        version = current_version(conn, song.id)
        newest = newest_review(reviews, version)
        if newest is None:
            raise StudioError(CHANGED_SINCE, song=song.name)
        if newest.decision is not ReviewDecision.SUBMITTED:
            raise StudioError(ALREADY_DECIDED, song=song.name,
                              decision=DECISION_WORDS[newest.decision])
        entry = record(conn, studio, actor, f"review.{decision.value}", f"song:{song.id}",
                       song.member_id, version=version)
        review = ReviewRecord(song.id, version, decision, entry.seq, note=note.strip(),
                              by=actor.name, at=entry.at)
        consent_store.insert_review(conn, review)
        return review

    return studio.catalog.write(run)


def queue(studio: Studio, actor: Actor) -> list[QueueItem]:
    """Versions waiting for a therapist, oldest first, with their lyrics."""
    require(actor, Action.REVIEW)

    def run(conn: sqlite3.Connection) -> list[QueueItem]:
        from studio.store.catalog import song_from_row

        items = []
        for review in consent_store.all_reviews(conn):
            if review.decision is not ReviewDecision.SUBMITTED:
                continue
            newest = newest_review(consent_store.reviews_of(conn, review.song_id),
                                   review.version)
            if newest is None or newest.seq != review.seq:
                continue  # decided since
            row = conn.execute("SELECT * FROM songs WHERE id = ?", (review.song_id,)).fetchone()
            song = song_from_row(row)
            items.append(QueueItem(song, review.version, review, song.lyrics,
                                   current_version(conn, song.id) == review.version))
        return items

    return studio.catalog.read(run)


def history(studio: Studio, song: Song) -> tuple[ReviewRecord, ...]:
    return studio.catalog.read(lambda conn: consent_store.reviews_of(conn, song.id))


def performers(studio: Studio, song: Song) -> list[int]:
    return studio.catalog.read(lambda conn: performers_of(conn, song.id))
