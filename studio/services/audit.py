"""Reading and checking the audit log: verify the hash chain and give the head hash to write
down elsewhere; print a member's entries for an access request."""

from __future__ import annotations

import sqlite3

from studio.core.audit_chain import AuditEntry, ChainCheck, verify_chain
from studio.core.i18n import Words
from studio.core.people import Action, Actor
from studio.services.access import record, require
from studio.services.studio import Studio
from studio.store import audit_log
from studio.store import people as people_store

CHAIN_OK = Words(
    nb="Loggen er hel: {entries} oppføringer. Siste kontrollsum (skriv den ned et annet sted): "
       "{head}",
    en="The log is intact: {entries} entries. Head hash (write it down somewhere else): {head}",
)
CHAIN_BROKEN = Words(
    nb="Loggen er endret bak programmets rygg: oppføring {seq} {problem}. De {entries} "
       "oppføringene før den stemmer (siste kontrollsum {head}).",
    en="The log was changed behind the program's back: entry {seq} {problem}. The {entries} "
       "entries before it check out (last good hash {head}).",
)
PROBLEMS = {
    "changed": Words(nb="er endret", en="was changed"),
    "missing": Words(nb="mangler", en="is missing"),
    "order": Words(nb="står i feil rekkefølge", en="is out of order"),
}


def verify(studio: Studio) -> ChainCheck:
    """Anyone may check the chain; it reveals nothing but counts and a hash."""
    return studio.catalog.read(lambda conn: verify_chain(audit_log.entries(conn)))


def describe(check: ChainCheck) -> str:
    if check.ok:
        return CHAIN_OK.say(entries=check.entries, head=check.head)
    return CHAIN_BROKEN.say(seq=check.broken_at, problem=PROBLEMS[check.problem],
                            entries=check.entries, head=check.head)


def entries(studio: Studio, actor: Actor, alias: str | None = None) -> list[AuditEntry]:
    """All entries, or one member's (an access request); reading is itself logged."""
    require(actor, Action.READ_AUDIT)

    def run(conn: sqlite3.Connection) -> list[AuditEntry]:
        member_id = people_store.member_by_alias(conn, alias).id if alias else None
        found = list(audit_log.entries(conn, member_id))
        record(conn, studio, actor, "audit.read", f"member:{member_id}" if member_id else "audit",
               member_id)
        return found

    return studio.catalog.write(run)
