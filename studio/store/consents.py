"""Consent records (append-only) and reviews in the catalog."""

from __future__ import annotations

import json
import sqlite3

from studio.core.consent import ConsentRecord, Purpose
from studio.core.gate import ReviewDecision, ReviewRecord


def _consent(row: sqlite3.Row) -> ConsentRecord:
    return ConsentRecord(
        member_id=row["member_id"], purpose=Purpose(row["purpose"]), granted=bool(row["granted"]),
        seq=row["seq"], at=row["at"], by=row["by_staff"], witness=row["witness"],
        wording_version=row["wording_version"], keep_until=row["keep_until"],
        song_version=row["song_version"], platforms=tuple(json.loads(row["platforms"])),
        credit=row["credit"], audience=tuple(json.loads(row["audience"])))


def insert_consent(conn: sqlite3.Connection, record: ConsentRecord) -> None:
    conn.execute(
        "INSERT INTO consents (member_id, purpose, granted, seq, at, by_staff, witness,"
        " wording_version, keep_until, song_version, platforms, credit, audience)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (record.member_id, record.purpose.value, int(record.granted), record.seq, record.at,
         record.by, record.witness, record.wording_version, record.keep_until,
         record.song_version, json.dumps(list(record.platforms)), record.credit,
         json.dumps(list(record.audience))))


def consents_of(conn: sqlite3.Connection, member_id: int) -> tuple[ConsentRecord, ...]:
    return tuple(_consent(r) for r in conn.execute(
        "SELECT * FROM consents WHERE member_id = ? ORDER BY seq", (member_id,)))


def _review(row: sqlite3.Row) -> ReviewRecord:
    return ReviewRecord(song_id=row["song_id"], version=row["version"],
                        decision=ReviewDecision(row["decision"]), seq=row["seq"],
                        note=row["note"], by=row["by_staff"], at=row["at"])


def insert_review(conn: sqlite3.Connection, review: ReviewRecord) -> None:
    conn.execute(
        "INSERT INTO reviews (song_id, version, decision, seq, note, by_staff, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (review.song_id, review.version, review.decision.value, review.seq, review.note,
         review.by, review.at))


def reviews_of(conn: sqlite3.Connection, song_id: int) -> tuple[ReviewRecord, ...]:
    return tuple(_review(r) for r in conn.execute(
        "SELECT * FROM reviews WHERE song_id = ? ORDER BY seq", (song_id,)))


def all_reviews(conn: sqlite3.Connection) -> tuple[ReviewRecord, ...]:
    return tuple(_review(r) for r in conn.execute("SELECT * FROM reviews ORDER BY seq"))
