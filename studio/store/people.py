"""Members and staff accounts in the catalog."""

from __future__ import annotations

import sqlite3
import unicodedata

from studio.core.i18n import StudioError, Words
from studio.core.people import Member, Role, Staff
from studio.store.catalog import name_key

ALIAS_EMPTY = Words(nb="Artistnavnet kan ikke være tomt.", en="The artist alias cannot be empty.")
ALIAS_TAKEN = Words(
    nb="Artistnavnet «{alias}» er allerede i bruk. Velg et annet.",
    en="The artist alias “{alias}” is already taken. Choose another.",
)
MEMBER_NOT_FOUND = Words(nb="Fant ingen deltaker som heter «{alias}».",
                         en="No member is called “{alias}”.")
STAFF_NAME_EMPTY = Words(nb="Navnet kan ikke være tomt.", en="The name cannot be empty.")
STAFF_TAKEN = Words(nb="Det finnes allerede en konto som heter «{name}».",
                    en="There is already an account called “{name}”.")
STAFF_NOT_FOUND = Words(nb="Fant ingen konto som heter «{name}».",
                        en="No account is called “{name}”.")


def clean_name(text: str, empty: Words) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if not text or any(unicodedata.category(c).startswith("C") for c in text):
        raise StudioError(empty)
    return text


def member_from_row(row: sqlite3.Row) -> Member:
    return Member(id=row["id"], alias=row["alias"], note=row["note"],
                  retention_duty=row["retention_duty"], created_at=row["created_at"])


def insert_member(conn: sqlite3.Connection, alias: str, note: str, at: str) -> Member:
    alias = clean_name(alias, ALIAS_EMPTY)
    if conn.execute("SELECT 1 FROM members WHERE alias_key = ?", (name_key(alias),)).fetchone():
        raise StudioError(ALIAS_TAKEN, alias=alias)
    cursor = conn.execute(
        "INSERT INTO members (alias, alias_key, note, created_at) VALUES (?, ?, ?, ?)",
        (alias, name_key(alias), note.strip(), at))
    return member_by_id(conn, int(cursor.lastrowid or 0))


def member_by_id(conn: sqlite3.Connection, member_id: int) -> Member:
    row = conn.execute("SELECT * FROM members WHERE id = ?", (member_id,)).fetchone()
    if row is None:
        raise StudioError(MEMBER_NOT_FOUND, alias=f"#{member_id}")
    return member_from_row(row)


def member_by_alias(conn: sqlite3.Connection, alias: str) -> Member:
    row = conn.execute("SELECT * FROM members WHERE alias_key = ?", (name_key(alias),)).fetchone()
    if row is None:
        raise StudioError(MEMBER_NOT_FOUND, alias=alias.strip())
    return member_from_row(row)


def members(conn: sqlite3.Connection) -> list[Member]:
    return [member_from_row(r) for r in conn.execute("SELECT * FROM members ORDER BY alias_key")]


def set_retention_duty(conn: sqlite3.Connection, member_id: int, duty: str) -> None:
    conn.execute("UPDATE members SET retention_duty = ? WHERE id = ?", (duty.strip(), member_id))


def staff_from_row(row: sqlite3.Row) -> Staff:
    return Staff(id=row["id"], name=row["name"], role=Role(row["role"]),
                 disabled=bool(row["disabled"]))


def insert_staff(conn: sqlite3.Connection, name: str, role: Role, secret_hash: str,
                 at: str) -> Staff:
    name = clean_name(name, STAFF_NAME_EMPTY)
    if conn.execute("SELECT 1 FROM staff WHERE name_key = ?", (name_key(name),)).fetchone():
        raise StudioError(STAFF_TAKEN, name=name)
    cursor = conn.execute(
        "INSERT INTO staff (name, name_key, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        (name, name_key(name), role.value, secret_hash, at))
    return staff_from_row(conn.execute("SELECT * FROM staff WHERE id = ?",
                                       (cursor.lastrowid,)).fetchone())


def staff_row(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM staff WHERE name_key = ?", (name_key(name),)).fetchone()
    if row is None:
        raise StudioError(STAFF_NOT_FOUND, name=name.strip())
    return row


def staff_list(conn: sqlite3.Connection) -> list[Staff]:
    return [staff_from_row(r) for r in conn.execute("SELECT * FROM staff ORDER BY name_key")]


def staff_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM staff").fetchone()[0])


def record_attempt(conn: sqlite3.Connection, staff_id: int, failed_attempts: int,
                   locked_until: str | None) -> None:
    conn.execute("UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                 (failed_attempts, locked_until, staff_id))


def set_secret(conn: sqlite3.Connection, staff_id: int, secret_hash: str) -> None:
    conn.execute("UPDATE staff SET secret_hash = ?, failed_attempts = 0, locked_until = NULL"
                 " WHERE id = ?", (secret_hash, staff_id))


def set_role(conn: sqlite3.Connection, staff_id: int, role: Role, disabled: bool) -> None:
    conn.execute("UPDATE staff SET role = ?, disabled = ? WHERE id = ?",
                 (role.value, int(disabled), staff_id))
