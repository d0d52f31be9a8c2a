"""Consent: one append-only record per answer, per purpose. Pure rules over those records.

A member answers one purpose at a time, through a leader or therapist, with a witness; the record
keeps who, when, the version of the wording that was shown, and the answer. Nothing is ever
changed: a withdrawal is a new record, and the newest record for a purpose decides. Order is the
catalog's global sequence (``seq``), never wall-clock time, so "approved after consent" can not
be confused by two things happening in the same second.

Public release is asked for one exact song version; a withdrawal of public release without a
version covers every version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from studio.core.i18n import Words


class Purpose(StrEnum):
    KEEP = "keep"                    # keep the recordings (until a date, renewable)
    INTERNAL = "internal"            # internal listening (leader, group, therapist)
    MEMBER_COPY = "member-copy"      # a copy for the member to take home
    PUBLIC_RELEASE = "public-release"  # public release of one exact version
    TEACHING = "teaching"            # teaching and promotion
    RESEARCH = "research"


PURPOSE_WORDS: dict[Purpose, Words] = {
    Purpose.KEEP: Words(nb="lagre opptakene", en="keep the recordings"),
    Purpose.INTERNAL: Words(nb="intern lytting", en="internal listening"),
    Purpose.MEMBER_COPY: Words(nb="kopi til deg selv", en="a copy for yourself"),
    Purpose.PUBLIC_RELEASE: Words(nb="publisering", en="public release"),
    Purpose.TEACHING: Words(nb="undervisning og omtale", en="teaching and promotion"),
    Purpose.RESEARCH: Words(nb="forskning", en="research"),
}

AUDIENCES = ("leader", "group", "therapist")
CREDITS = ("alias", "anonymous")


@dataclass(frozen=True)
class Wording:
    """The text shown to the member when the question is asked; its version is recorded."""

    version: str
    text: Words


WORDINGS: dict[Purpose, Wording] = {
    Purpose.KEEP: Wording("keep-1", Words(
        nb="Vil du at studioet tar vare på opptakene dine til {until}? Du kan ombestemme deg "
           "når som helst, og da slettes de.",
        en="Do you want the studio to keep your recordings until {until}? You can change your "
           "mind at any time, and then they are deleted.")),
    Purpose.INTERNAL: Wording("internal-1", Words(
        nb="Kan {audience} høre opptakene dine her i studioet?",
        en="May {audience} listen to your recordings here in the studio?")),
    Purpose.MEMBER_COPY: Wording("member-copy-1", Words(
        nb="Vil du ha med deg en kopi av sangen? Den er din å ta vare på.",
        en="Do you want to take a copy of the song with you? It is yours to keep.")),
    Purpose.PUBLIC_RELEASE: Wording("public-release-1", Words(
        nb="Kan akkurat denne versjonen av sangen publiseres på {platforms}, med {credit}? "
           "Du kan trekke det tilbake senere.",
        en="May exactly this version of the song be published on {platforms}, credited "
           "{credit}? You can take it back later.")),
    Purpose.TEACHING: Wording("teaching-1", Words(
        nb="Kan sangen brukes i undervisning og når vi forteller om studioet?",
        en="May the song be used in teaching and when we tell others about the studio?")),
    Purpose.RESEARCH: Wording("research-1", Words(
        nb="Kan sangen brukes i forskning?",
        en="May the song be used in research?")),
}


@dataclass(frozen=True)
class ConsentRecord:
    """One answer. ``granted`` False is a withdrawal (or a "no")."""

    member_id: int
    purpose: Purpose
    granted: bool
    seq: int  # the catalog's global order (the audit entry written with it)
    at: str = ""
    by: str = ""  # the staff member who recorded it
    witness: str = ""
    wording_version: str = ""
    keep_until: str | None = None  # ISO date, for KEEP
    song_version: str | None = None  # for PUBLIC_RELEASE (a withdrawal may leave it out)
    platforms: tuple[str, ...] = field(default_factory=tuple)  # for PUBLIC_RELEASE
    credit: str = "alias"  # for PUBLIC_RELEASE: "alias" or "anonymous"
    audience: tuple[str, ...] = field(default_factory=tuple)  # for INTERNAL


def _applies(record: ConsentRecord, purpose: Purpose, version: str | None) -> bool:
    if record.purpose != purpose:
        return False
    if purpose is Purpose.PUBLIC_RELEASE:
        # a grant covers its own version only; a withdrawal without a version covers them all
        return record.song_version is None or record.song_version == version
    return True


def latest(records: Iterable[ConsentRecord], purpose: Purpose,
           version: str | None = None) -> ConsentRecord | None:
    """The newest record that speaks about ``purpose`` (for public release: this version)."""
    found: ConsentRecord | None = None
    for record in records:
        if _applies(record, purpose, version) and (found is None or record.seq > found.seq):
            found = record
    return found


def in_force(records: Iterable[ConsentRecord], purpose: Purpose, *, version: str | None = None,
             today: date | None = None) -> ConsentRecord | None:
    """The grant that is in force for ``purpose`` now, or None (never asked, said no, withdrew,
    or, for keeping recordings, past its keep-until date)."""
    record = latest(records, purpose, version)
    if record is None or not record.granted:
        return None
    if purpose is Purpose.KEEP and record.keep_until and today is not None \
            and date.fromisoformat(record.keep_until) < today:
        return None
    return record


def expired_keep(records: Iterable[ConsentRecord], today: date) -> ConsentRecord | None:
    """The keep-recordings grant that has run out (not renewed, not withdrawn), or None."""
    record = latest(records, Purpose.KEEP)
    if record is None or not record.granted or not record.keep_until:
        return None
    return record if date.fromisoformat(record.keep_until) < today else None
