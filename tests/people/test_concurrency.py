"""Several processes writing the catalog at once (consent answers, members, visits, review
submissions, each with its audit entry) lose nothing, never say "database is locked", and leave
one unbroken audit chain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from studio.services import audit
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

from .world import make_world

WRITER = """
import sys
from studio.core.consent import Purpose
from studio.services import consent, people
from studio.services.access import sign_in
from studio.services.studio import Studio
from studio.store.layout import StudioPaths
from tests.people.world import SECRETS
home, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
studio = Studio(StudioPaths(home))
leader = sign_in(studio, "Lea", SECRETS["Lea"])
for i in range(rounds):
    alias = f"writer{n}-member{i}"
    people.add_member(studio, leader, alias)
    consent.grant(studio, leader, alias, Purpose.MEMBER_COPY, witness="Thea")
    consent.grant(studio, leader, "MC Nord", Purpose.INTERNAL, witness="Thea")
    consent.withdraw(studio, leader, alias, Purpose.MEMBER_COPY)
    people.check_in(studio, leader, alias)
studio.close()
print("done")
"""


def test_several_processes_lose_nothing(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    before = audit.verify(world.studio).entries
    world.close()
    writers, rounds = 4, 15
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n), str(rounds)],
                              cwd=Path(__file__).parents[2], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "STUDIO_FAST_HASH": "1"})
             for n in range(writers)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in (out + err).lower()
    with Studio(StudioPaths(tmp_path)) as studio:
        count = studio.catalog.read(lambda c: (
            c.execute("SELECT count(*) FROM members").fetchone()[0],
            c.execute("SELECT count(*) FROM consents").fetchone()[0],
            c.execute("SELECT count(*) FROM visits").fetchone()[0]))
        n = writers * rounds
        assert count == (2 + n, 2 + 3 * n, n)
        check = audit.verify(studio)
        assert check.ok
        # sign-in + 5 entries per round, per writer
        assert check.entries == before + writers * (1 + 5 * rounds)
