"""People and what each role may do. Pure rules; :mod:`studio.services` enforces them.

- A :class:`Member` is pseudonymous: an artist alias, and optionally a private note for staff.
  No real name, contact or photo exists anywhere in the studio.
- Staff sign in and act with a :class:`Role`: a leader (the experience expert at the console), a
  therapist, or an admin. Members act through a leader or therapist at the console.
- :func:`may` is the one table of permissions; every service that changes or reveals something
  asks it first, so the UI cannot get around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from studio.core.i18n import Words


class Role(StrEnum):
    LEADER = "leader"
    THERAPIST = "therapist"
    ADMIN = "admin"


ROLE_WORDS: dict[Role, Words] = {
    Role.LEADER: Words(nb="erfaringskonsulent", en="leader"),
    Role.THERAPIST: Words(nb="musikkterapeut", en="therapist"),
    Role.ADMIN: Words(nb="administrator", en="admin"),
}


class Action(StrEnum):
    """Everything a role may or may not do."""

    RECORD = "record"                  # run recording at the console
    LISTEN = "listen"                  # play a member's takes and songs
    EDIT_SONG = "edit-song"            # lyrics, tracks, mix
    ADD_MEMBER = "add-member"
    SEE_MEMBER_NOTE = "see-member-note"
    RECORD_CONSENT = "record-consent"  # record a member's consent answer (with a witness)
    WITHDRAW = "withdraw"              # withdraw or restrict on a member's behalf
    SUBMIT_REVIEW = "submit-review"
    REVIEW = "review"                  # approve, ask for changes, decline
    EXPORT_MEMBER_COPY = "export-member-copy"
    EXPORT_INTERNAL = "export-internal"
    EXPORT_PUBLIC = "export-public"    # release
    MANAGE_ACCOUNTS = "manage-accounts"
    MANAGE_RETENTION = "manage-retention"  # retention duties, erasing expired recordings
    READ_AUDIT = "read-audit"
    REPORT = "report"                  # anonymous activity figures


_PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.LEADER: frozenset({
        Action.RECORD, Action.LISTEN, Action.EDIT_SONG, Action.ADD_MEMBER,
        Action.SEE_MEMBER_NOTE, Action.RECORD_CONSENT, Action.WITHDRAW, Action.SUBMIT_REVIEW,
        Action.EXPORT_MEMBER_COPY, Action.EXPORT_INTERNAL, Action.REPORT,
    }),
    Role.THERAPIST: frozenset({
        Action.RECORD, Action.LISTEN, Action.EDIT_SONG, Action.ADD_MEMBER,
        Action.SEE_MEMBER_NOTE, Action.RECORD_CONSENT, Action.WITHDRAW, Action.SUBMIT_REVIEW,
        Action.REVIEW, Action.EXPORT_MEMBER_COPY, Action.EXPORT_INTERNAL, Action.EXPORT_PUBLIC,
        Action.REPORT,
    }),
    # An admin keeps the studio running: accounts, retention, the audit log, reports. No
    # default access to audio, lyrics or a member's private note.
    Role.ADMIN: frozenset({
        Action.MANAGE_ACCOUNTS, Action.MANAGE_RETENTION, Action.READ_AUDIT, Action.REPORT,
    }),
}

ACTION_WORDS: dict[Action, Words] = {
    Action.RECORD: Words(nb="ta opp", en="record"),
    Action.LISTEN: Words(nb="lytte til opptak", en="listen to recordings"),
    Action.EDIT_SONG: Words(nb="endre sanger", en="edit songs"),
    Action.ADD_MEMBER: Words(nb="legge til deltakere", en="add members"),
    Action.SEE_MEMBER_NOTE: Words(nb="se notater om deltakere", en="see notes about members"),
    Action.RECORD_CONSENT: Words(nb="registrere samtykke", en="record consent"),
    Action.WITHDRAW: Words(nb="trekke tilbake samtykke", en="withdraw consent"),
    Action.SUBMIT_REVIEW: Words(nb="sende sanger til gjennomgang", en="submit songs for review"),
    Action.REVIEW: Words(nb="godkjenne sanger", en="review songs"),
    Action.EXPORT_MEMBER_COPY: Words(nb="lage kopi til deltakeren",
                                     en="make a copy for the member"),
    Action.EXPORT_INTERNAL: Words(nb="eksportere for intern lytting",
                                  en="export for internal listening"),
    Action.EXPORT_PUBLIC: Words(nb="publisere sanger", en="release songs"),
    Action.MANAGE_ACCOUNTS: Words(nb="administrere kontoer", en="manage accounts"),
    Action.MANAGE_RETENTION: Words(nb="styre lagringstid", en="manage retention"),
    Action.READ_AUDIT: Words(nb="lese loggen", en="read the audit log"),
    Action.REPORT: Words(nb="lage rapporter", en="make reports"),
}

ROLE_MAY_NOT = Words(
    nb="Som {role} kan du ikke {action}.",
    en="As {role} you cannot {action}.",
)


def may(role: Role, action: Action) -> bool:
    return action in _PERMISSIONS[role]


@dataclass(frozen=True)
class Member:
    id: int
    alias: str
    note: str = ""  # private note for staff; never leaves the studio
    retention_duty: str = ""  # a recorded duty to keep material: restrict instead of erase
    created_at: str = ""


@dataclass(frozen=True)
class Staff:
    id: int
    name: str
    role: Role
    disabled: bool = False


@dataclass(frozen=True)
class Actor:
    """Who is asking: a signed-in staff account (members act through one at the console)."""

    staff_id: int
    name: str
    role: Role
