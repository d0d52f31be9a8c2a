"""Wrong secrets lock an account for a growing time; the lock holds even for the right one."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.i18n import StudioError
from studio.services.access import lock_time, sign_in
from studio.store import audit_log

from .world import SECRETS, make_world


def test_repeated_wrong_pins_lock_for_a_growing_time(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    studio = world.studio
    for _ in range(2):
        with pytest.raises(StudioError, match="Wrong name or code"):
            sign_in(studio, "Lea", "0000")
    locks = []
    for _ in range(4):
        with pytest.raises(StudioError, match="locked") as raised:
            sign_in(studio, "Lea", "0000")
        seconds = int(raised.value.values["seconds"])  # type: ignore[call-overload]
        locks.append(seconds)
        # while locked, even the right PIN is refused without being checked
        with pytest.raises(StudioError, match="locked"):
            sign_in(studio, "Lea", SECRETS["Lea"])
        world.clock.advance(seconds=seconds + 1)
    assert locks == [30, 60, 120, 240]
    assert sign_in(studio, "Lea", SECRETS["Lea"]).name == "Lea"  # right PIN after the lock
    # and the count starts again
    for _ in range(2):
        with pytest.raises(StudioError, match="Wrong name or code"):
            sign_in(studio, "Lea", "0000")
    actions = studio.catalog.read(lambda c: [e.action for e in audit_log.entries(c)])
    assert actions.count("login.failed") == 8 and actions.count("login.locked") == 4
    world.close()


def test_lock_time_is_capped_at_an_hour() -> None:
    assert lock_time(2).total_seconds() == 0
    assert lock_time(3).total_seconds() == 30
    assert lock_time(40).total_seconds() == 3600


def test_unknown_names_fail_like_wrong_codes(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    with pytest.raises(StudioError, match="Wrong name or code"):
        sign_in(world.studio, "Nobody", "1234")
    world.close()


def test_secrets_are_argon2id_hashes(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    hashes = world.studio.catalog.read(
        lambda c: [r[0] for r in c.execute("SELECT secret_hash FROM staff")])
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(s in h for h in hashes for s in SECRETS.values())
    world.close()
