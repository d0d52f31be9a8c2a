"""The release gate as a pure function: every reason it can give."""

from __future__ import annotations

from datetime import date

import pytest

from studio.core.consent import ConsentRecord, Purpose, in_force
from studio.core.gate import (
    ExportPurpose,
    GateFacts,
    Performer,
    ReviewDecision,
    ReviewRecord,
    decide,
)
from studio.core.people import Role

V1, V2 = "a" * 64, "b" * 64


def grant(purpose: Purpose, seq: int, version: str | None = None, granted: bool = True,
          credit: str = "alias", until: str | None = None) -> ConsentRecord:
    return ConsentRecord(1, purpose, granted, seq, song_version=version, credit=credit,
                         keep_until=until)


def facts(*consents: ConsentRecord, reviews: tuple[ReviewRecord, ...] = (),
          version: str = V1, restricted: bool = False, alias: str = "Nord") -> GateFacts:
    return GateFacts(version, (Performer(1, alias, consents),), reviews, restricted)


def approved(seq: int, version: str = V1,
             decision: ReviewDecision = ReviewDecision.APPROVED) -> ReviewRecord:
    return ReviewRecord(1, version, decision, seq)


def test_public_release_allowed_only_with_everything_in_order() -> None:
    ok = facts(grant(Purpose.PUBLIC_RELEASE, 1, V1), reviews=(approved(2),))
    decision = decide(ExportPurpose.PUBLIC, Role.THERAPIST, ok)
    assert decision.allowed and decision.credits == ("Nord",)
    assert "approved by the therapist" in decision.say("en")


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN])
def test_public_release_needs_the_role(role: Role) -> None:
    ok = facts(grant(Purpose.PUBLIC_RELEASE, 1, V1), reviews=(approved(2),))
    decision = decide(ExportPurpose.PUBLIC, role, ok)
    assert not decision.allowed and "cannot release songs" in decision.say("en")


@pytest.mark.parametrize("given, reviews, reason", [
    ((), (approved(2),), "has not agreed to release this exact version"),
    ((grant(Purpose.PUBLIC_RELEASE, 1, V2),), (approved(2),), "this exact version"),
    ((grant(Purpose.PUBLIC_RELEASE, 1, V1), grant(Purpose.PUBLIC_RELEASE, 3, None, False)),
     (approved(2),), "withdrawn"),
    ((grant(Purpose.PUBLIC_RELEASE, 1, V1),), (), "Needs the therapist's review"),
    ((grant(Purpose.PUBLIC_RELEASE, 1, V1),), (approved(2, V2),), "Needs the therapist's"),
    ((grant(Purpose.PUBLIC_RELEASE, 1, V1),),
     (approved(2, decision=ReviewDecision.SUBMITTED),), "waiting for the therapist"),
    ((grant(Purpose.PUBLIC_RELEASE, 1, V1),),
     (approved(2), approved(3, decision=ReviewDecision.CHANGES)), "asked for changes"),
    ((grant(Purpose.PUBLIC_RELEASE, 1, V1),),
     (approved(2, decision=ReviewDecision.DECLINED),), "declined"),
    ((grant(Purpose.PUBLIC_RELEASE, 5, V1),), (approved(2),), "before Nord agreed"),
])
def test_public_release_refusals(given: tuple[ConsentRecord, ...],
                                 reviews: tuple[ReviewRecord, ...], reason: str) -> None:
    decision = decide(ExportPurpose.PUBLIC, Role.THERAPIST, facts(*given, reviews=reviews))
    assert not decision.allowed
    assert reason in decision.say("en")


def test_a_new_grant_after_a_withdrawal_counts_again() -> None:
    records = (grant(Purpose.PUBLIC_RELEASE, 1, V1),
               grant(Purpose.PUBLIC_RELEASE, 2, None, False),
               grant(Purpose.PUBLIC_RELEASE, 3, V1))
    assert decide(ExportPurpose.PUBLIC, Role.THERAPIST,
                  facts(*records, reviews=(approved(4),))).allowed
    # but the approval must come after the newest consent
    assert not decide(ExportPurpose.PUBLIC, Role.THERAPIST,
                      facts(*records, reviews=(approved(2),))).allowed


def test_anonymous_credit_leaves_the_artist_out() -> None:
    decision = decide(ExportPurpose.PUBLIC, Role.THERAPIST,
                      facts(grant(Purpose.PUBLIC_RELEASE, 1, V1, credit="anonymous"),
                            reviews=(approved(2),)))
    assert decision.allowed and decision.credits == ()


@pytest.mark.parametrize("purpose, consent", [(ExportPurpose.MEMBER_COPY, Purpose.MEMBER_COPY),
                                              (ExportPurpose.INTERNAL, Purpose.INTERNAL)])
def test_member_copy_and_internal_follow_their_own_consent(purpose: ExportPurpose,
                                                           consent: Purpose) -> None:
    assert decide(purpose, Role.LEADER, facts(grant(consent, 1))).allowed
    assert not decide(purpose, Role.LEADER, facts()).allowed
    assert not decide(purpose, Role.ADMIN, facts(grant(consent, 1))).allowed
    withdrawn = decide(purpose, Role.LEADER, facts(grant(consent, 1), grant(consent, 2,
                                                                             granted=False)))
    assert not withdrawn.allowed and "withdrawn" in withdrawn.say("en")
    # another purpose's consent does not count
    other = Purpose.INTERNAL if consent is Purpose.MEMBER_COPY else Purpose.MEMBER_COPY
    assert not decide(purpose, Role.LEADER, facts(grant(other, 1))).allowed


def test_no_artist_and_restricted_recordings_never_leave() -> None:
    empty = GateFacts(V1, ())
    assert "no artist" in decide(ExportPurpose.INTERNAL, Role.LEADER, empty).say("en")
    restricted = facts(grant(Purpose.INTERNAL, 1), restricted=True)
    assert not decide(ExportPurpose.INTERNAL, Role.LEADER, restricted).allowed


def test_every_performer_must_agree() -> None:
    two = GateFacts(V1, (Performer(1, "Nord", (grant(Purpose.MEMBER_COPY, 1),)),
                         Performer(2, "Lyra", ())))
    decision = decide(ExportPurpose.MEMBER_COPY, Role.LEADER, two)
    assert not decision.allowed and "Lyra" in decision.say("en")


def test_keep_recordings_runs_out_on_its_date() -> None:
    records = (grant(Purpose.KEEP, 1, until="2026-06-30"),)
    assert in_force(records, Purpose.KEEP, today=date(2026, 6, 30)) is not None
    assert in_force(records, Purpose.KEEP, today=date(2026, 7, 1)) is None
    renewed = (*records, grant(Purpose.KEEP, 2, until="2027-06-30"))
    assert in_force(renewed, Purpose.KEEP, today=date(2026, 7, 1)) is not None


def test_reasons_are_said_in_both_languages() -> None:
    decision = decide(ExportPurpose.PUBLIC, Role.THERAPIST, facts())
    assert decision.say("nb") != decision.say("en")
    assert "Nord" in decision.say("nb")
