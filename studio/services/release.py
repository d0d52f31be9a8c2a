"""Enforcing the release gate: gather the facts in one catalog read, ask the pure rule in
:mod:`studio.core.gate`, and write the decision to the audit log, whether yes or no.

:func:`authorize_export` is the only door audio goes out through: ``studio.services.export``
calls it before it renders a single sample, and it reads the catalog fresh each time, so a
withdrawal counts for the very next request.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from studio.core.gate import Decision, ExportPurpose, GateFacts, Performer, decide
from studio.core.i18n import Refused
from studio.core.people import Actor
from studio.core.song import Song
from studio.services.access import record
from studio.services.studio import Studio
from studio.store import consents as consent_store
from studio.store import people as people_store
from studio.store.song_content import current_version, has_restricted, performers_of


def gate_facts(conn: sqlite3.Connection, song_id: int, today: date | None = None) -> GateFacts:
    performers = tuple(
        Performer(member.id, member.alias, consent_store.consents_of(conn, member.id))
        for member in (people_store.member_by_id(conn, m) for m in performers_of(conn, song_id)))
    return GateFacts(song_version=current_version(conn, song_id), performers=performers,
                     reviews=consent_store.reviews_of(conn, song_id),
                     restricted=has_restricted(conn, song_id),
                     today=today)


@dataclass(frozen=True)
class Clearance:
    """A "yes" from the gate, for one song version: what the export may carry."""

    song: Song
    purpose: ExportPurpose
    version: str
    decision: Decision
    audit_seq: int


def ask_gate(studio: Studio, actor: Actor, song: Song, purpose: ExportPurpose) -> Decision:
    """The gate's answer, recorded in the audit log, without refusing (for the UI to show)."""
    return _decide(studio, actor, song, purpose)[0]


def _decide(studio: Studio, actor: Actor, song: Song, purpose: ExportPurpose
            ) -> tuple[Decision, str, int]:
    today = studio.today()

    def run(conn: sqlite3.Connection) -> tuple[Decision, str, int]:
        facts = gate_facts(conn, song.id, today)
        decision = decide(purpose, actor.role, facts)
        members = [p.member_id for p in facts.performers]
        entry = record(conn, studio, actor, "gate.allow" if decision.allowed else "gate.refuse",
                       f"song:{song.id}", members[0] if len(members) == 1 else None,
                       purpose=purpose.value, version=facts.song_version,
                       performers=members, reason=decision.say("en"))
        return decision, facts.song_version, entry.seq

    return studio.catalog.write(run)


def authorize_export(studio: Studio, actor: Actor, song: Song,
                     purpose: ExportPurpose) -> Clearance:
    """Ask the gate; a "no" raises :class:`Refused` with its plain reason (exit status 3)."""
    decision, version, seq = _decide(studio, actor, song, purpose)
    if not decision.allowed:
        raise Refused(decision.reason, **decision.values)
    return Clearance(song, purpose, version, decision, seq)
