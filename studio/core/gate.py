"""The release gate: the one rule that decides whether audio may leave the studio.

:func:`decide` is a pure function of the facts (who asks, for what, the song's exact version,
each performing member's consent records, the reviews) and returns a :class:`Decision` with a
plain-language reason. ``studio.services.release`` gathers the facts in one catalog read, asks
here, writes the decision to the audit log, and every export path goes through it.

The rule, per purpose:

- public: allowed if and only if (a) every member on the song has a public-release consent for
  this exact version that is not withdrawn, (b) a therapist's newest decision on this version is
  an approval given after each of those consents, and (c) the requester's role may release.
- member copy / internal listening: every member on the song has that purpose's consent in force
  (not withdrawn) and the requester's role may make that export.
- Always: the song has an artist (a member), and none of its recordings is restricted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from studio.core.consent import PURPOSE_WORDS, ConsentRecord, Purpose, in_force, latest
from studio.core.i18n import Language, Words
from studio.core.people import ACTION_WORDS, ROLE_MAY_NOT, ROLE_WORDS, Action, Role, may


class ExportPurpose(StrEnum):
    MEMBER_COPY = "member-copy"
    INTERNAL = "internal"
    PUBLIC = "public"


CONSENT_FOR: dict[ExportPurpose, Purpose] = {
    ExportPurpose.MEMBER_COPY: Purpose.MEMBER_COPY,
    ExportPurpose.INTERNAL: Purpose.INTERNAL,
    ExportPurpose.PUBLIC: Purpose.PUBLIC_RELEASE,
}
ACTION_FOR: dict[ExportPurpose, Action] = {
    ExportPurpose.MEMBER_COPY: Action.EXPORT_MEMBER_COPY,
    ExportPurpose.INTERNAL: Action.EXPORT_INTERNAL,
    ExportPurpose.PUBLIC: Action.EXPORT_PUBLIC,
}


class ReviewDecision(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES = "changes"
    DECLINED = "declined"


@dataclass(frozen=True)
class ReviewRecord:
    song_id: int
    version: str
    decision: ReviewDecision
    seq: int
    note: str = ""
    by: str = ""
    at: str = ""


@dataclass(frozen=True)
class Performer:
    """A member whose voice or music is in the song, with all their consent records."""

    member_id: int
    alias: str
    consents: tuple[ConsentRecord, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class GateFacts:
    song_version: str
    performers: tuple[Performer, ...]
    reviews: tuple[ReviewRecord, ...] = field(default_factory=tuple)
    restricted: bool = False  # some recording in the song is kept under a retention duty only
    today: date | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Words
    values: dict[str, object] = field(default_factory=dict)
    credits: tuple[str, ...] = ()  # aliases credited on a public release (anonymous left out)

    def say(self, lang: Language | None = None) -> str:
        return self.reason.say(lang, **self.values)


NO_ARTIST = Words(
    nb="Sangen har ingen artist ennå. Velg hvem sin sang det er først.",
    en="The song has no artist yet. Choose whose song it is first.",
)
RESTRICTED = Words(
    nb="Noen opptak i sangen er sperret (samtykket er trukket tilbake, men de må oppbevares). "
       "De kan ikke tas ut av studioet.",
    en="Some recordings in the song are restricted (consent was withdrawn, but they must be "
       "kept). They cannot leave the studio.",
)
NO_CONSENT = Words(
    nb="{alias} har ikke sagt ja til {purpose}.",
    en="{alias} has not agreed to {purpose}.",
)
WITHDRAWN = Words(
    nb="{alias} har trukket tilbake samtykket til {purpose}.",
    en="{alias} has withdrawn consent to {purpose}.",
)
NO_RELEASE_CONSENT = Words(
    nb="{alias} har ikke sagt ja til å publisere akkurat denne versjonen av sangen.",
    en="{alias} has not agreed to release this exact version of the song.",
)
NEEDS_REVIEW = Words(
    nb="Trenger musikkterapeutens gjennomgang av denne versjonen.",
    en="Needs the therapist's review of this version.",
)
IN_REVIEW = Words(
    nb="Denne versjonen venter på musikkterapeutens gjennomgang.",
    en="This version is waiting for the therapist's review.",
)
CHANGES_ASKED = Words(
    nb="Musikkterapeuten har bedt om endringer i denne versjonen.",
    en="The therapist asked for changes to this version.",
)
DECLINED = Words(
    nb="Musikkterapeuten har sagt nei til denne versjonen.",
    en="The therapist declined this version.",
)
APPROVED_BEFORE_CONSENT = Words(
    nb="Musikkterapeuten godkjente denne versjonen før {alias} sa ja til publisering. Den "
       "må godkjennes på nytt.",
    en="The therapist approved this version before {alias} agreed to release it. It needs to "
       "be approved again.",
)
ALLOWED_PUBLIC = Words(
    nb="Klar: samtykke til å publisere denne versjonen og godkjent av musikkterapeuten.",
    en="Allowed: consent to release this version, and approved by the therapist.",
)
ALLOWED = Words(
    nb="Klar: samtykke til {purpose} er gitt.",
    en="Allowed: consent to {purpose} is given.",
)


def _refuse(reason: Words, **values: object) -> Decision:
    return Decision(False, reason, dict(values))


def newest_review(reviews: Sequence[ReviewRecord], version: str) -> ReviewRecord | None:
    found: ReviewRecord | None = None
    for review in reviews:
        if review.version == version and (found is None or review.seq > found.seq):
            found = review
    return found


def decide(purpose: ExportPurpose, role: Role, facts: GateFacts) -> Decision:
    """May audio of this song version leave the studio for ``purpose``, asked by ``role``?"""
    action = ACTION_FOR[purpose]
    if not may(role, action):
        return _refuse(ROLE_MAY_NOT, role=ROLE_WORDS[role], action=ACTION_WORDS[action])
    if not facts.performers:
        return _refuse(NO_ARTIST)
    if facts.restricted:
        return _refuse(RESTRICTED)
    consent_purpose = CONSENT_FOR[purpose]
    what = PURPOSE_WORDS[consent_purpose]
    version = facts.song_version if purpose is ExportPurpose.PUBLIC else None
    grants: list[tuple[Performer, ConsentRecord]] = []
    for performer in facts.performers:
        grant = in_force(performer.consents, consent_purpose, version=version, today=facts.today)
        if grant is None:
            said = latest(performer.consents, consent_purpose, version)
            if said is not None and not said.granted:
                return _refuse(WITHDRAWN, alias=performer.alias, purpose=what)
            if purpose is ExportPurpose.PUBLIC:
                return _refuse(NO_RELEASE_CONSENT, alias=performer.alias)
            return _refuse(NO_CONSENT, alias=performer.alias, purpose=what)
        grants.append((performer, grant))
    if purpose is not ExportPurpose.PUBLIC:
        return Decision(True, ALLOWED, {"purpose": what})

    review = newest_review(facts.reviews, facts.song_version)
    if review is None:
        return _refuse(NEEDS_REVIEW)
    if review.decision is ReviewDecision.SUBMITTED:
        return _refuse(IN_REVIEW)
    if review.decision is ReviewDecision.CHANGES:
        return _refuse(CHANGES_ASKED)
    if review.decision is ReviewDecision.DECLINED:
        return _refuse(DECLINED)
    for performer, grant in grants:
        if review.seq <= grant.seq:
            return _refuse(APPROVED_BEFORE_CONSENT, alias=performer.alias)
    credits = tuple(p.alias for p, grant in grants if grant.credit == "alias")
    return Decision(True, ALLOWED_PUBLIC, credits=credits)
