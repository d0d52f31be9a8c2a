"""Recording consent answers, withdrawing them, and what follows (erasure or restriction).

A leader or therapist records the member's answer with a witness present; each answer is one
append-only record holding the wording version that was shown. Withdrawal is one action, for one
purpose or for everything, and takes effect for the very next request (the gate reads the
catalog each time). Withdrawing "keep recordings" erases the member's takes, mixes and exports
(or restricts them where a retention duty is recorded) and says what was erased.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from studio.core.consent import (
    AUDIENCES,
    CREDITS,
    PURPOSE_WORDS,
    WORDINGS,
    ConsentRecord,
    Purpose,
    expired_keep,
    in_force,
    latest,
)
from studio.core.i18n import Refused, StudioError, Words
from studio.core.people import Action, Actor, Member
from studio.core.song import Song
from studio.services.access import record, require
from studio.services.erasure import ErasureReport, erase_member_material
from studio.services.studio import Studio
from studio.store import consents as consent_store
from studio.store import people as people_store
from studio.store.song_content import current_version, performers_of

WITNESS_NEEDED = Words(
    nb="Et samtykke må ha et vitne: skriv navnet på den andre som var til stede.",
    en="A consent answer needs a witness: give the name of the other person who was there.",
)
WITNESS_IS_ACTOR = Words(
    nb="Vitnet må være en annen enn den som registrerer svaret.",
    en="The witness must be someone other than the person recording the answer.",
)
KEEP_NEEDS_DATE = Words(
    nb="Å lagre opptak trenger en dato de lagres til (for eksempel 2027-06-30).",
    en="Keeping recordings needs a date to keep them until (for example 2027-06-30).",
)
KEEP_DATE_PAST = Words(
    nb="Datoen {date} er allerede passert.",
    en="The date {date} has already passed.",
)
DATE_BAD = Words(nb="«{text}» er ikke en dato (skriv ÅÅÅÅ-MM-DD).",
                 en="“{text}” is not a date (write YYYY-MM-DD).")
RELEASE_NEEDS_SONG = Words(
    nb="Samtykke til publisering gjelder én bestemt versjon av én sang: si hvilken sang.",
    en="Consent to release covers one exact version of one song: say which song.",
)
RELEASE_NOT_THEIR_SONG = Words(
    nb="{alias} er ikke med på sangen «{song}».",
    en="{alias} is not on the song “{song}”.",
)
RELEASE_NEEDS_PLATFORMS = Words(
    nb="Si hvor sangen kan publiseres (for eksempel: strømmetjenester, nettsiden vår).",
    en="Say where the song may be published (for example: streaming services, our website).",
)
CREDIT_BAD = Words(nb="Kreditering må være «alias» eller «anonymous».",
                   en="Credit must be “alias” or “anonymous”.")
AUDIENCE_BAD = Words(
    nb="Hvem som kan lytte må være en eller flere av: leader, group, therapist.",
    en="Who may listen must be one or more of: leader, group, therapist.",
)
NO_KEEP_CONSENT = Words(
    nb="{alias} har ikke sagt ja til at opptak lagres (eller tiden har gått ut). Spør og "
       "registrer svaret før dere tar opp.",
    en="{alias} has not agreed that recordings are kept (or the time has run out). Ask, and "
       "record the answer, before recording.",
)
NEEDS_SIGN_IN_LISTEN = Words(
    nb="Sangen er {alias} sin: logg inn for å lytte.",
    en="The song is {alias}'s: sign in to listen.",
)
NEEDS_SIGN_IN = Words(
    nb="Sangen er {alias} sin: en erfaringskonsulent eller musikkterapeut må være logget inn "
       "for å ta opp.",
    en="The song is {alias}'s: a leader or therapist must be signed in to record.",
)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise StudioError(DATE_BAD, text=text) from None


@dataclass(frozen=True)
class ConsentState:
    """One purpose as it stands now, for people to read."""

    purpose: Purpose
    granted: bool
    record: ConsentRecord | None

    def describe(self) -> str:
        what = PURPOSE_WORDS[self.purpose].say()
        if self.record is None:
            return Words(nb="{what}: ikke spurt", en="{what}: not asked").say(what=what)
        if not self.granted:
            return Words(nb="{what}: nei (fra {at})", en="{what}: no (since {at})").say(
                what=what, at=self.record.at[:10])
        extra = ""
        if self.record.keep_until:
            extra = Words(nb=" til {d}", en=" until {d}").say(d=self.record.keep_until)
        if self.record.song_version:
            extra = f" ({self.record.song_version[:12]}, {', '.join(self.record.platforms)})"
        return Words(nb="{what}: ja{extra}", en="{what}: yes{extra}").say(what=what, extra=extra)


@dataclass(frozen=True)
class WithdrawResult:
    member: Member
    purposes: tuple[Purpose, ...]
    erasure: ErasureReport | None = None
    notes: list[str] = field(default_factory=list)


def _member(studio: Studio, alias: str) -> Member:
    return studio.catalog.read(lambda conn: people_store.member_by_alias(conn, alias))


def grant(studio: Studio, actor: Actor, alias: str, purpose: Purpose, *, witness: str,
          keep_until: str | None = None, song: str | None = None,
          platforms: Sequence[str] = (), credit: str = "alias",
          audience: Sequence[str] = ()) -> ConsentRecord:
    """Record a "yes" to one purpose, with its witness and the wording version shown."""
    require(actor, Action.RECORD_CONSENT)
    witness = witness.strip()
    if not witness:
        raise StudioError(WITNESS_NEEDED)
    if witness.casefold() == actor.name.casefold():
        raise StudioError(WITNESS_IS_ACTOR)
    member = _member(studio, alias)
    until = version = None
    platform_list: tuple[str, ...] = ()
    audience_list: tuple[str, ...] = ()
    if purpose is Purpose.KEEP:
        if not keep_until:
            raise StudioError(KEEP_NEEDS_DATE)
        if parse_date(keep_until) < studio.today():
            raise StudioError(KEEP_DATE_PAST, date=keep_until)
        until = parse_date(keep_until).isoformat()
    if purpose is Purpose.PUBLIC_RELEASE:
        if not song:
            raise StudioError(RELEASE_NEEDS_SONG)
        platform_list = tuple(p.strip() for p in platforms if p.strip())
        if not platform_list:
            raise StudioError(RELEASE_NEEDS_PLATFORMS)
        if credit not in CREDITS:
            raise StudioError(CREDIT_BAD)
    if purpose is Purpose.INTERNAL:
        audience_list = tuple(a.strip() for a in audience if a.strip()) or AUDIENCES
        if any(a not in AUDIENCES for a in audience_list):
            raise StudioError(AUDIENCE_BAD)
    the_song = studio.song(song) if song and purpose is Purpose.PUBLIC_RELEASE else None

    def run(conn: sqlite3.Connection) -> ConsentRecord:
        nonlocal version
        detail: dict[str, object] = {"purpose": purpose.value, "granted": True,
                                     "wording": WORDINGS[purpose].version}
        if the_song is not None:
            if member.id not in performers_of(conn, the_song.id):
                raise StudioError(RELEASE_NOT_THEIR_SONG, alias=member.alias,
                                  song=the_song.name)
            version = current_version(conn, the_song.id)
            detail.update(song=the_song.id, version=version)
        entry = record(conn, studio, actor, "consent.grant", f"member:{member.id}",
                       member.id, **detail)
        consent = ConsentRecord(
            member_id=member.id, purpose=purpose, granted=True, seq=entry.seq, at=entry.at,
            by=actor.name, witness=witness, wording_version=WORDINGS[purpose].version,
            keep_until=until, song_version=version, platforms=platform_list,
            credit=credit if purpose is Purpose.PUBLIC_RELEASE else "alias",
            audience=audience_list)
        consent_store.insert_consent(conn, consent)
        return consent

    return studio.catalog.write(run)


def withdraw(studio: Studio, actor: Actor, alias: str, purpose: Purpose | None = None, *,
             witness: str = "") -> WithdrawResult:
    """Withdraw one purpose, or everything (``purpose`` None), in one action. Withdrawing
    "keep recordings" erases the member's audio, or restricts it under a retention duty."""
    require(actor, Action.WITHDRAW)
    member = _member(studio, alias)
    purposes = tuple(Purpose) if purpose is None else (purpose,)

    def run(conn: sqlite3.Connection) -> None:
        for p in purposes:
            entry = record(conn, studio, actor, "consent.withdraw", f"member:{member.id}",
                           member.id, purpose=p.value)
            consent_store.insert_consent(conn, ConsentRecord(
                member_id=member.id, purpose=p, granted=False, seq=entry.seq, at=entry.at,
                by=actor.name, witness=witness.strip(),
                wording_version=WORDINGS[p].version))

    studio.catalog.write(run)
    erasure = None
    if Purpose.KEEP in purposes:
        erasure = erase_member_material(studio, actor, member, reason="consent withdrawn")
    return WithdrawResult(member, purposes, erasure)


RESTRICTED_NOW = Words(
    nb="{alias}: {takes} opptak er sperret. De blir liggende, men spilles ikke av og tas ikke ut.",
    en="{alias}: {takes} takes are restricted. They stay, but are not played or taken out.",
)
LIFTED = Words(nb="{alias}: sperringen er opphevet for {takes} opptak.",
               en="{alias}: the restriction is lifted for {takes} takes.")
CANNOT_LIFT = Words(
    nb="Sperringen kan ikke oppheves: {alias} har ikke samtykke til at opptakene lagres.",
    en="The restriction cannot be lifted: {alias} has no consent in force to keep recordings.",
)


def restrict(studio: Studio, actor: Actor, alias: str, on: bool = True) -> str:
    """Restrict a member's takes on their behalf (kept, never played or exported), or lift it.
    Lifting needs their "keep recordings" consent to be in force."""
    require(actor, Action.WITHDRAW)
    member = _member(studio, alias)
    today = studio.today()

    def run(conn: sqlite3.Connection) -> int:
        if not on and in_force(consent_store.consents_of(conn, member.id), Purpose.KEEP,
                               today=today) is None:
            raise StudioError(CANNOT_LIFT, alias=member.alias)
        cursor = conn.execute("UPDATE takes SET restricted = ? WHERE member_id = ?",
                              (int(on), member.id))
        record(conn, studio, actor, "restrict" if on else "restrict.lift",
               f"member:{member.id}", member.id, takes=cursor.rowcount)
        return cursor.rowcount

    takes = studio.catalog.write(run)
    return (RESTRICTED_NOW if on else LIFTED).say(alias=member.alias, takes=takes)


def state(studio: Studio, alias: str) -> list[ConsentState]:
    member = _member(studio, alias)
    records = studio.catalog.read(lambda conn: consent_store.consents_of(conn, member.id))
    today = studio.today()
    out = []
    for purpose in Purpose:
        newest = latest(records, purpose)
        if purpose is Purpose.PUBLIC_RELEASE:
            newest = max((r for r in records if r.purpose is purpose), key=lambda r: r.seq,
                         default=None)
        granted = newest is not None and newest.granted and (
            purpose is not Purpose.KEEP or in_force(records, purpose, today=today) is not None)
        out.append(ConsentState(purpose, granted, newest))
    return out


def check_may_record(studio: Studio, song: Song, actor: Actor | None) -> None:
    """A member's song is recorded only by signed-in staff, and only while the member's
    "keep recordings" consent is in force. Songs without an artist are practice songs."""
    if song.member_id is None:
        if actor is not None:
            require(actor, Action.RECORD)
        return
    member_id = song.member_id
    member = studio.catalog.read(lambda conn: people_store.member_by_id(conn, member_id))
    if actor is None:
        raise Refused(NEEDS_SIGN_IN, alias=member.alias)
    require(actor, Action.RECORD)
    records = studio.catalog.read(lambda conn: consent_store.consents_of(conn, member.id))
    if in_force(records, Purpose.KEEP, today=studio.today()) is None:
        raise Refused(NO_KEEP_CONSENT, alias=member.alias)


def check_may_listen(studio: Studio, song: Song, actor: Actor | None) -> None:
    """A member's takes are played only for signed-in staff whose role may listen (not an
    admin); every such playback is in the audit log (the console writes it)."""
    if song.member_id is None:
        return
    if actor is None:
        member_id = song.member_id
        member = studio.catalog.read(lambda conn: people_store.member_by_id(conn, member_id))
        raise Refused(NEEDS_SIGN_IN_LISTEN, alias=member.alias)
    require(actor, Action.LISTEN)


@dataclass(frozen=True)
class Expired:
    member: Member
    keep_until: str
    takes: int


def expired(studio: Studio, actor: Actor) -> list[Expired]:
    """Members whose "keep recordings" time has run out and who still have recordings."""
    require(actor, Action.MANAGE_RETENTION)
    today = studio.today()

    def run(conn: sqlite3.Connection) -> list[Expired]:
        found = []
        for member in people_store.members(conn):
            grant_ = expired_keep(consent_store.consents_of(conn, member.id), today)
            if grant_ is None:
                continue
            takes = int(conn.execute("SELECT count(*) FROM takes WHERE member_id = ?"
                                     " AND restricted = 0", (member.id,)).fetchone()[0])
            if takes:
                found.append(Expired(member, grant_.keep_until or "", takes))
        return found

    return studio.catalog.read(run)


def erase_expired(studio: Studio, actor: Actor) -> list[ErasureReport]:
    """Erase (or restrict) the recordings of every member listed by :func:`expired`."""
    return [erase_member_material(studio, actor, e.member, reason="keep-until passed")
            for e in expired(studio, actor)]
