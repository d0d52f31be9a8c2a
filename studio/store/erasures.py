"""Files to be erased: rows are deleted and the paths listed in one transaction; the files go
next, and the list is cleared. A crash in between leaves the list, which the next start works
through, so erased audio never survives on disk (nor comes back as a "recovered" take)."""

from __future__ import annotations

import sqlite3


def remember(conn: sqlite3.Connection, path: str, at: str) -> None:
    conn.execute("INSERT OR IGNORE INTO erasures (path, at) VALUES (?, ?)", (path, at))


def pending(conn: sqlite3.Connection) -> list[str]:
    return [r["path"] for r in conn.execute("SELECT path FROM erasures ORDER BY path")]


def forget(conn: sqlite3.Connection, path: str) -> None:
    conn.execute("DELETE FROM erasures WHERE path = ?", (path,))
