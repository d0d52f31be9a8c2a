"""The audit table: append an entry (inside the caller's write transaction) and read entries.

The seq is the previous seq + 1, computed under the write lock the caller's ``BEGIN IMMEDIATE``
holds, so the chain has no holes and no forks even with several processes writing at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from studio.core.audit_chain import GENESIS, AuditEntry, entry_hash


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(seq=row["seq"], at=row["at"], actor=row["actor"], role=row["role"],
                      action=row["action"], object=row["object"], member_id=row["member_id"],
                      detail=row["detail"], hash=row["hash"])


def append(conn: sqlite3.Connection, *, at: str, actor: str, role: str, action: str,
           object: str, member_id: int | None = None, detail: str = "") -> AuditEntry:
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, previous = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
    entry = AuditEntry(seq, at, actor, role, action, object, member_id, detail)
    entry = AuditEntry(**{**entry.__dict__, "hash": entry_hash(previous, entry)})
    conn.execute(
        "INSERT INTO audit (seq, at, actor, role, action, object, member_id, detail, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entry.seq, at, actor, role, action, object, member_id, detail, entry.hash),
    )
    return entry


def entries(conn: sqlite3.Connection, member_id: int | None = None) -> Iterator[AuditEntry]:
    if member_id is None:
        rows = conn.execute("SELECT * FROM audit ORDER BY seq")
    else:
        rows = conn.execute("SELECT * FROM audit WHERE member_id = ? ORDER BY seq", (member_id,))
    return (_entry(row) for row in rows)


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM audit").fetchone()[0])
