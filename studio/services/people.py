"""Members (pseudonymous artists), staff accounts and visits, with the role checks and audit
entries that go with them. Account changes are for an admin; the first account on a fresh
studio can be made without signing in, and it must be an admin."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from studio.core.i18n import Refused, StudioError, Words
from studio.core.people import Action, Actor, Member, Role, Staff, may
from studio.core.song import Song
from studio.services.access import hash_secret, record, require, stamp
from studio.services.studio import Studio
from studio.store import people as people_store

FIRST_MUST_BE_ADMIN = Words(
    nb="Den første kontoen i studioet må være en administrator (--role admin).",
    en="The first account in the studio must be an admin (--role admin).",
)
SIGN_IN_NEEDED = Words(
    nb="Logg inn som administrator for å lage kontoer (--as NAVN).",
    en="Sign in as an admin to make accounts (--as NAME).",
)
OWN_OR_ADMIN = Words(
    nb="Du kan bare bytte din egen kode (en administrator kan bytte andres).",
    en="You can only change your own code (an admin can change other people's).",
)
LAST_ADMIN = Words(
    nb="Studioet må ha minst én aktiv administrator.",
    en="The studio must keep at least one active admin.",
)


def add_member(studio: Studio, actor: Actor, alias: str, note: str = "") -> Member:
    require(actor, Action.ADD_MEMBER)

    def run(conn: sqlite3.Connection) -> Member:
        member = people_store.insert_member(conn, alias, note, stamp(studio.now()))
        record(conn, studio, actor, "member.add", f"member:{member.id}", member.id)
        return member

    return studio.catalog.write(run)


def _visible(actor: Actor, member: Member) -> Member:
    return member if may(actor.role, Action.SEE_MEMBER_NOTE) else replace(member, note="")


def members(studio: Studio, actor: Actor) -> list[Member]:
    return [_visible(actor, m) for m in studio.catalog.read(people_store.members)]


def member(studio: Studio, actor: Actor, alias: str) -> Member:
    found = studio.catalog.read(lambda conn: people_store.member_by_alias(conn, alias))
    return _visible(actor, found)


def check_in(studio: Studio, actor: Actor, alias: str) -> bool:
    """Count a visit (once per member per day, for the anonymous activity figures)."""
    require(actor, Action.ADD_MEMBER)
    now = studio.now()

    def run(conn: sqlite3.Connection) -> bool:
        found = people_store.member_by_alias(conn, alias)
        cursor = conn.execute("INSERT OR IGNORE INTO visits (member_id, day, at) VALUES (?, ?, ?)",
                              (found.id, now.date().isoformat(), stamp(now)))
        if cursor.rowcount:
            record(conn, studio, actor, "visit", f"member:{found.id}", found.id)
        return bool(cursor.rowcount)

    return studio.catalog.write(run)


def set_retention_duty(studio: Studio, actor: Actor, alias: str, duty: str) -> Member:
    """Record (or clear, with an empty text) a duty to keep this member's material."""
    require(actor, Action.MANAGE_RETENTION)

    def run(conn: sqlite3.Connection) -> Member:
        found = people_store.member_by_alias(conn, alias)
        people_store.set_retention_duty(conn, found.id, duty)
        record(conn, studio, actor, "member.retention", f"member:{found.id}", found.id,
               duty=bool(duty.strip()))
        return people_store.member_by_id(conn, found.id)

    return studio.catalog.write(run)


def set_artist(studio: Studio, actor: Actor, song: Song, alias: str) -> Song:
    """Say whose song it is. Takes recorded from now on belong to this member."""
    require(actor, Action.EDIT_SONG)

    def run(conn: sqlite3.Connection) -> None:
        found = people_store.member_by_alias(conn, alias)
        conn.execute("UPDATE songs SET member_id = ? WHERE id = ?", (found.id, song.id))
        conn.execute("UPDATE takes SET member_id = ? WHERE song_id = ? AND member_id IS NULL",
                     (found.id, song.id))
        record(conn, studio, actor, "song.artist", f"song:{song.id}", found.id)

    studio.catalog.write(run)
    return studio.catalog.song(song.id)


def set_lyrics(studio: Studio, actor: Actor, song: Song, lyrics: str) -> Song:
    require(actor, Action.EDIT_SONG)

    def run(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE songs SET lyrics = ? WHERE id = ?", (lyrics, song.id))
        record(conn, studio, actor, "song.lyrics", f"song:{song.id}", song.member_id,
               characters=len(lyrics))

    studio.catalog.write(run)
    return studio.catalog.song(song.id)


# staff --------------------------------------------------------------------------------------
def add_staff(studio: Studio, actor: Actor | None, name: str, role: Role, secret: str) -> Staff:
    secret_hash = hash_secret(secret)

    def run(conn: sqlite3.Connection) -> Staff:
        if people_store.staff_count(conn) == 0:
            if role is not Role.ADMIN:
                raise StudioError(FIRST_MUST_BE_ADMIN)
        elif actor is None:
            raise Refused(SIGN_IN_NEEDED)
        else:
            require(actor, Action.MANAGE_ACCOUNTS)
        staff = people_store.insert_staff(conn, name, role, secret_hash, stamp(studio.now()))
        record(conn, studio, actor, "staff.add", f"staff:{staff.id}", role=role.value)
        return staff

    return studio.catalog.write(run)


def change_secret(studio: Studio, actor: Actor, name: str, secret: str) -> None:
    secret_hash = hash_secret(secret)

    def run(conn: sqlite3.Connection) -> None:
        row = people_store.staff_row(conn, name)
        if row["id"] != actor.staff_id and not may(actor.role, Action.MANAGE_ACCOUNTS):
            raise Refused(OWN_OR_ADMIN)
        people_store.set_secret(conn, row["id"], secret_hash)
        record(conn, studio, actor, "staff.secret", f"staff:{row['id']}")

    studio.catalog.write(run)


def set_role(studio: Studio, actor: Actor, name: str, role: Role, disabled: bool = False
             ) -> Staff:
    require(actor, Action.MANAGE_ACCOUNTS)

    def run(conn: sqlite3.Connection) -> Staff:
        row = people_store.staff_row(conn, name)
        people_store.set_role(conn, row["id"], role, disabled)
        admins = conn.execute("SELECT count(*) FROM staff WHERE role = 'admin' AND disabled = 0"
                              ).fetchone()[0]
        if admins == 0:
            raise StudioError(LAST_ADMIN)
        record(conn, studio, actor, "staff.role", f"staff:{row['id']}", role=role.value,
               disabled=disabled)
        return people_store.staff_from_row(people_store.staff_row(conn, name))

    return studio.catalog.write(run)


def staff(studio: Studio, actor: Actor) -> list[Staff]:
    return studio.catalog.read(people_store.staff_list)

