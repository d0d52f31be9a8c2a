"""Anonymous activity figures for the service's reports and funding applications: visits,
active members (counted, never named), songs started, finished, reviewed and released."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import date

from studio.core.i18n import Words
from studio.core.people import Action, Actor
from studio.services.access import record, require
from studio.services.studio import Studio

REPORT = Words(
    nb="Fra {start} til {end}:\n  besøk: {visits}\n  aktive deltakere: {active_members}\n"
       "  sanger påbegynt: {songs_started}\n  sanger ferdige: {songs_finished}\n"
       "  sanger gjennomgått: {songs_reviewed}\n  sanger publisert: {songs_released}",
    en="From {start} to {end}:\n  visits: {visits}\n  active members: {active_members}\n"
       "  songs started: {songs_started}\n  songs finished: {songs_finished}\n"
       "  songs reviewed: {songs_reviewed}\n  songs released: {songs_released}",
)


@dataclass(frozen=True)
class Activity:
    start: str
    end: str
    visits: int
    active_members: int
    songs_started: int
    songs_finished: int  # a version submitted for review or exported
    songs_reviewed: int  # a therapist's decision
    songs_released: int  # a public export

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    def say(self) -> str:
        return REPORT.say(**asdict(self))


def activity(studio: Studio, actor: Actor, start: date | None = None,
             end: date | None = None) -> Activity:
    require(actor, Action.REPORT)
    first = (start or date(1970, 1, 1)).isoformat()
    last = (end or studio.today()).isoformat()
    until = last + "T99"  # ISO stamps of the last day sort below this

    def count(conn: sqlite3.Connection, sql: str, *args: object) -> int:
        return int(conn.execute(sql, args).fetchone()[0])

    def run(conn: sqlite3.Connection) -> Activity:
        active = count(conn, """SELECT count(DISTINCT member_id) FROM (
            SELECT member_id FROM visits WHERE day BETWEEN ? AND ?
            UNION SELECT member_id FROM takes WHERE member_id IS NOT NULL
                AND created_at >= ? AND created_at < ?)""", first, last, first, until)
        figures = Activity(
            start=first, end=last,
            visits=count(conn, "SELECT count(*) FROM visits WHERE day BETWEEN ? AND ?",
                         first, last),
            active_members=active,
            songs_started=count(conn, "SELECT count(*) FROM songs WHERE created_at >= ?"
                                " AND created_at < ?", first, until),
            songs_finished=count(conn, """SELECT count(DISTINCT song_id) FROM (
                SELECT song_id FROM reviews WHERE decision = 'submitted' AND at >= ? AND at < ?
                UNION SELECT song_id FROM exports WHERE at >= ? AND at < ?)""",
                first, until, first, until),
            songs_reviewed=count(conn, "SELECT count(DISTINCT song_id) FROM reviews WHERE"
                                 " decision != 'submitted' AND at >= ? AND at < ?", first, until),
            songs_released=count(conn, "SELECT count(DISTINCT song_id) FROM exports WHERE"
                                 " purpose = 'public' AND at >= ? AND at < ?", first, until),
        )
        record(conn, studio, actor, "report", "report", start=first, end=last)
        return figures

    return studio.catalog.write(run)
