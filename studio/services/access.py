"""Who is asking: staff sign-in (Argon2id, attempts counted, lockout with back-off), the role
check every service makes, and the audit entry every such action writes.

- Secrets are hashed with Argon2id (argon2-cffi's default type). Nothing else is derived from a
  secret: no key, no token; a PIN only unlocks the console for its account.
- Wrong secrets are counted per account. From the third wrong one in a row the account is
  locked, for 30 s, then twice as long for each further wrong one (up to an hour); a right one
  resets the count. While locked the secret is not even checked.
- ``STUDIO_FAST_HASH=1`` (tests only) makes hashing cheap; it is still Argon2id.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from studio.core.audit_chain import AuditEntry
from studio.core.i18n import Refused, StudioError, Words
from studio.core.people import ACTION_WORDS, ROLE_MAY_NOT, ROLE_WORDS, Action, Actor, Role, may
from studio.services.studio import Studio
from studio.store import audit_log
from studio.store import people as people_store

LOCK_AFTER = 3
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(hours=1)
PIN_DIGITS = 4
PASSPHRASE_CHARS = 8

SIGN_IN_FAILED = Words(
    nb="Feil navn eller kode. Prøv igjen.",
    en="Wrong name or code. Try again.",
)
LOCKED = Words(
    nb="Kontoen er låst etter for mange feil forsøk. Prøv igjen om {seconds} sekunder.",
    en="The account is locked after too many wrong tries. Try again in {seconds} seconds.",
)
DISABLED = Words(nb="Kontoen er slått av.", en="The account is switched off.")
SECRET_TOO_SHORT = Words(
    nb="Koden er for kort: en PIN trenger minst {digits} siffer, en passordfrase minst {chars} "
       "tegn.",
    en="The code is too short: a PIN needs at least {digits} digits, a passphrase at least "
       "{chars} characters.",
)
SYSTEM = "system"


def hasher() -> PasswordHasher:
    if os.environ.get("STUDIO_FAST_HASH") == "1":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()  # Argon2id, RFC 9106 low-memory profile


def check_secret_strength(secret: str) -> None:
    if secret.isdigit():
        ok = len(secret) >= PIN_DIGITS
    else:
        ok = len(secret) >= PASSPHRASE_CHARS
    if not ok:
        raise StudioError(SECRET_TOO_SHORT, digits=PIN_DIGITS, chars=PASSPHRASE_CHARS)


def hash_secret(secret: str) -> str:
    check_secret_strength(secret)
    return hasher().hash(secret)


def lock_time(failures: int) -> timedelta:
    """How long the account stays locked after ``failures`` wrong secrets in a row."""
    if failures < LOCK_AFTER:
        return timedelta(0)
    longer: timedelta = FIRST_LOCK * 2 ** min(failures - LOCK_AFTER, 16)
    return min(longer, LONGEST_LOCK)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(conn: sqlite3.Connection, studio: Studio, actor: Actor | None, action: str,
           obj: str, member_id: int | None = None, **detail: object) -> AuditEntry:
    """Write one audit entry in the caller's transaction."""
    return audit_log.append(
        conn, at=stamp(studio.now()), actor=actor.name if actor else SYSTEM,
        role=actor.role.value if actor else SYSTEM, action=action, object=obj,
        member_id=member_id,
        detail=json.dumps(detail, sort_keys=True, ensure_ascii=False) if detail else "")


def require(actor: Actor, action: Action) -> None:
    """Refuse (exit status 3 on the command line) when the actor's role may not do this."""
    if not may(actor.role, action):
        raise Refused(ROLE_MAY_NOT, role=ROLE_WORDS[actor.role], action=ACTION_WORDS[action])


def sign_in(studio: Studio, name: str, secret: str) -> Actor:
    """Check a staff member's secret and return who they are; every try is in the audit log."""
    now = studio.now()
    try:
        row = studio.catalog.read(lambda conn: people_store.staff_row(conn, name))
    except StudioError:
        hasher().hash(secret or "x")  # as slow as a real check: no hint which names exist
        studio.catalog.write(lambda conn: record(conn, studio, None, "login.failed", "staff:?"))
        raise StudioError(SIGN_IN_FAILED) from None
    staff_id = int(row["id"])
    obj = f"staff:{staff_id}"
    who = Actor(staff_id, row["name"], Role(row["role"]))
    if row["disabled"]:
        studio.catalog.write(lambda conn: record(conn, studio, who, "login.refused", obj))
        raise StudioError(DISABLED)
    if row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now:
        left = (datetime.fromisoformat(row["locked_until"]) - now).total_seconds()
        studio.catalog.write(lambda conn: record(conn, studio, who, "login.locked", obj))
        raise StudioError(LOCKED, seconds=max(1, round(left)))
    try:
        hasher().verify(row["secret_hash"], secret)
        right = True
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        right = False

    def settle(conn: sqlite3.Connection) -> int:
        current = people_store.staff_row(conn, name)
        if right:
            people_store.record_attempt(conn, staff_id, 0, None)
            if hasher().check_needs_rehash(current["secret_hash"]):
                people_store.set_secret(conn, staff_id, hasher().hash(secret))
            record(conn, studio, who, "login", obj)
            return 0
        failures = int(current["failed_attempts"]) + 1
        pause = lock_time(failures)
        people_store.record_attempt(conn, staff_id, failures,
                                    stamp(now + pause) if pause else None)
        record(conn, studio, who, "login.failed", obj, failures=failures)
        return failures

    failures = studio.catalog.write(settle)
    if not right:
        pause = lock_time(failures)
        if pause:
            raise StudioError(LOCKED, seconds=round(pause.total_seconds()))
        raise StudioError(SIGN_IN_FAILED)
    return who
