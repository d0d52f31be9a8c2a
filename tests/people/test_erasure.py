"""Withdrawing "keep recordings" erases that member's takes, mixes and exports (nothing of
theirs left under the studio's folders, no catalog row naming their takes), leaves other members
alone, restricts instead where a retention duty is recorded, and survives a crash midway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from studio.core.consent import Purpose
from studio.core.gate import ExportPurpose
from studio.core.i18n import Refused
from studio.services import consent, people
from studio.services.export import export_song
from studio.services.playback import clip_sources
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

from .world import add_take, make_world


def files_under(home: Path) -> set[str]:
    return {p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()}


def test_withdrawal_erases_only_that_members_material(tmp_path: Path) -> None:
    world = make_world(tmp_path / "home")
    studio = world.studio
    nord = world.members[0]
    song_nord, song_lyra = world.songs
    add_take(studio, song_nord, "kor", freq=330)
    consent.grant(studio, world.leader, "MC Nord", Purpose.MEMBER_COPY, witness="Thea")
    consent.grant(studio, world.leader, "Lyra", Purpose.MEMBER_COPY, witness="Thea")
    inside = export_song(studio, world.leader, song_nord, ExportPurpose.MEMBER_COPY, "flac")
    outside = export_song(studio, world.leader, song_nord, ExportPurpose.MEMBER_COPY, "wav",
                          tmp_path / "usb" / "nord.wav")
    lyra_copy = export_song(studio, world.leader, song_lyra, ExportPurpose.MEMBER_COPY, "flac")
    nord_takes = studio.takes(song_nord)
    lyra_files_before = {t.path for t in studio.takes(song_lyra)}
    assert inside.path.exists() and outside.path.exists()

    result = consent.withdraw(studio, world.therapist, "MC Nord")  # everything
    assert result.erasure is not None
    assert result.erasure.takes == 2 and result.erasure.exports == 1
    assert result.erasure.outside == 1
    assert "2 takes" in result.erasure.say() and "outside the studio" in result.erasure.say()

    home = studio.paths.home
    left = files_under(home)
    assert not any(t.path in left for t in nord_takes)
    assert not inside.path.exists()
    assert lyra_copy.path.exists() and lyra_files_before <= left  # Lyra is untouched
    ids = ",".join(str(t.id) for t in nord_takes)
    rows = studio.catalog.read(lambda c: (
        c.execute("SELECT count(*) FROM takes WHERE member_id = ?", (nord.id,)).fetchone()[0],
        c.execute(f"SELECT count(*) FROM clips WHERE take_id IN ({ids})").fetchone()[0],
        c.execute(f"SELECT count(*) FROM takes WHERE id IN ({ids})").fetchone()[0]))
    assert rows == (0, 0, 0)
    assert len(studio.takes(song_lyra)) == 1
    # and nothing of theirs can leave any more
    try:
        export_song(studio, world.therapist, song_nord, ExportPurpose.MEMBER_COPY, "wav")
        raise AssertionError("exported after withdrawal")
    except Refused:
        pass
    world.close()


def test_a_retention_duty_restricts_instead_of_erasing(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    studio = world.studio
    consent.grant(studio, world.leader, "MC Nord", Purpose.MEMBER_COPY, witness="Thea")
    people.set_retention_duty(studio, world.admin, "MC Nord", "court order 12/2026")
    takes_before = studio.takes(world.songs[0])
    result = consent.withdraw(studio, world.leader, "MC Nord", Purpose.KEEP)
    assert result.erasure is not None and result.erasure.restricted == 1
    assert "restricted" in result.erasure.say()
    takes = studio.takes(world.songs[0])
    assert [t.id for t in takes] == [t.id for t in takes_before]
    assert all(t.restricted for t in takes)
    assert all(studio.take_path(t).exists() for t in takes)
    # restricted takes are never played, and never leave: even consents still in force
    track = studio.catalog.tracks(world.songs[0].id)[0]
    assert clip_sources(studio, track) == []
    try:
        export_song(studio, world.leader, world.songs[0], ExportPurpose.MEMBER_COPY, "wav")
        raise AssertionError("a restricted take left the studio")
    except Refused as refusal:
        assert "restricted" in refusal.say("en")
    world.close()


CRASH_AFTER_COMMIT = """
import os, sys
from studio.services import consent
from studio.services.access import sign_in
from studio.services.studio import Studio
from studio.store.layout import StudioPaths
from tests.people.world import SECRETS
studio = Studio(StudioPaths(sys.argv[1]))
leader = sign_in(studio, "Lea", SECRETS["Lea"])
Studio.finish_erasures = lambda self: os.kill(os.getpid(), 9)  # die right after the commit
consent.withdraw(studio, leader, "MC Nord", None)
"""


def test_a_crash_between_the_rows_and_the_files_is_finished_on_the_next_start(
        tmp_path: Path) -> None:
    world = make_world(tmp_path)
    take_files = [world.studio.take_path(t) for t in world.studio.takes(world.songs[0])]
    world.close()
    child = subprocess.run([sys.executable, "-c", CRASH_AFTER_COMMIT, str(tmp_path)],
                           env={**os.environ, "STUDIO_FAST_HASH": "1"},
                           cwd=Path(__file__).parents[2], capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert all(p.exists() for p in take_files)  # killed before the files went
    with Studio(StudioPaths(tmp_path)) as studio:  # the next start finishes the erasure
        assert not any(p.exists() for p in take_files)
        assert studio.recover_takes() == []  # and nothing comes back as a "recovered" take
        assert studio.catalog.read(lambda c: c.execute("SELECT count(*) FROM erasures"
                                                       ).fetchone()[0]) == 0


def test_a_therapist_restricts_on_the_members_behalf_and_lifts_it(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    studio, song = world.studio, world.songs[0]
    consent.grant(studio, world.leader, "MC Nord", Purpose.INTERNAL, witness="Thea")
    said = consent.restrict(studio, world.therapist, "MC Nord")
    assert "1 takes are restricted" in said
    try:
        export_song(studio, world.therapist, song, ExportPurpose.INTERNAL, "wav")
        raise AssertionError("a restricted take left the studio")
    except Refused:
        pass
    consent.restrict(studio, world.therapist, "MC Nord", on=False)
    export_song(studio, world.therapist, song, ExportPurpose.INTERNAL, "wav")
    world.close()
