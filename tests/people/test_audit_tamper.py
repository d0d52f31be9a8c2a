"""The audit log refuses changes, and a change made behind the program's back is found."""

from __future__ import annotations

import io
import sqlite3
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from studio.cli.main import main
from studio.services import audit

from .world import make_world


def test_update_and_delete_are_refused(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        world.studio.catalog.write(lambda c: c.execute("UPDATE audit SET actor = 'x'"))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        world.studio.catalog.write(lambda c: c.execute("DELETE FROM audit WHERE seq = 3"))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        world.studio.catalog.write(lambda c: c.execute("DELETE FROM consents"))
    assert audit.verify(world.studio).ok
    world.close()


def _verify(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setenv("STUDIO_HOME", str(home))
    monkeypatch.setenv("STUDIO_LANG", "en")
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["audit", "verify"])
    return code, out.getvalue()


@pytest.mark.parametrize("tamper, where, problem", [
    ("UPDATE audit SET detail = '{}' WHERE seq = 5", 5, "was changed"),
    ("UPDATE audit SET actor = 'Someone else' WHERE seq = 9", 9, "was changed"),
    ("DELETE FROM audit WHERE seq = 7", 7, "is missing"),
])
def test_a_row_changed_behind_the_programs_back_is_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tamper: str, where: int,
        problem: str) -> None:
    world = make_world(tmp_path)
    world.close()
    code, said = _verify(tmp_path, monkeypatch)
    assert code == 0 and "intact" in said
    conn = sqlite3.connect(tmp_path / "catalog.sqlite3")
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute(tamper)
    conn.commit()
    conn.close()
    code, said = _verify(tmp_path, monkeypatch)
    assert code == 1
    assert f"entry {where} {problem}" in said


def test_cutting_off_the_end_changes_the_head_hash(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(tmp_path)
    head = audit.verify(world.studio).head
    world.close()
    conn = sqlite3.connect(tmp_path / "catalog.sqlite3")
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
    conn.commit()
    conn.close()
    code, said = _verify(tmp_path, monkeypatch)
    assert code == 0  # the chain itself holds; the head written down elsewhere shows the cut
    assert head not in said
