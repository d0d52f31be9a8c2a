"""The audit log's hash chain: each entry's hash covers its content and the previous hash.

Changing, removing or reordering any entry breaks the chain from that entry on; the head hash
(the newest entry's hash), written down somewhere else, also shows when entries were cut off the
end. Pure functions; the catalog stores the entries and refuses UPDATE and DELETE with triggers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from studio.core.version import canonical_json

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str  # a staff name, or "system"
    role: str  # the actor's role, or "system"
    action: str  # e.g. "login", "consent.grant", "export.public"
    object: str  # e.g. "song:3", "take:17", "member:2", "staff:1"
    member_id: int | None = None  # whose material or data it concerns, for access requests
    detail: str = ""  # plain data (JSON); never notes, lyrics or names beyond staff names
    hash: str = ""


def entry_hash(previous: str, entry: AuditEntry) -> str:
    body = canonical_json([entry.seq, entry.at, entry.actor, entry.role, entry.action,
                           entry.object, entry.member_id, entry.detail])
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    head: str  # hash of the last entry that checked out
    broken_at: int | None = None  # seq of the first entry that does not check out
    problem: str = ""  # "changed", "missing", "order"


def verify_chain(entries: Iterable[AuditEntry]) -> ChainCheck:
    previous = GENESIS
    count = 0
    last_seq = 0
    for entry in entries:
        if entry.seq <= last_seq:
            return ChainCheck(False, count, previous, entry.seq, "order")
        if entry.seq != last_seq + 1:
            return ChainCheck(False, count, previous, last_seq + 1, "missing")
        if entry_hash(previous, entry) != entry.hash:
            return ChainCheck(False, count, previous, entry.seq, "changed")
        previous = entry.hash
        last_seq = entry.seq
        count += 1
    return ChainCheck(True, count, previous)
