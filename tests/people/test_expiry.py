"""Recordings past their keep-until date are listed for staff and erased on confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.consent import Purpose
from studio.core.i18n import Refused
from studio.services import consent

from .world import make_world


def test_expired_recordings_are_listed_then_erased(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    studio = world.studio
    consent.grant(studio, world.leader, "Lyra", Purpose.KEEP, witness="Thea",
                  keep_until="2028-01-01")  # renewed: Lyra's stay
    assert consent.expired(studio, world.admin) == []
    world.clock.advance(days=400)  # past 2027-01-01
    found = consent.expired(studio, world.admin)
    assert [(e.member.alias, e.takes) for e in found] == [("MC Nord", 1)]
    with pytest.raises(Refused):
        consent.expired(studio, world.leader)  # retention is an admin's work
    paths = [studio.take_path(t) for t in studio.takes(world.songs[0])]
    reports = consent.erase_expired(studio, world.admin)
    assert [r.takes for r in reports] == [1]
    assert not any(p.exists() for p in paths)
    assert len(studio.takes(world.songs[1])) == 1
    assert consent.expired(studio, world.admin) == []
    world.close()
