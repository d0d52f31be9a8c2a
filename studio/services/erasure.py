"""Erasing a member's material: their takes (files, clips, catalog rows) and the mixes and
exports the studio keeps of songs they are on. Where a retention duty is recorded for the member,
the takes are restricted instead (kept, but never played for or given to anyone).

Rows go and the file paths are listed in one transaction; then the files are deleted and the
list cleared. A crash in between is finished on the next start (:meth:`Studio.finish_erasures`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from studio.core.i18n import Words
from studio.core.people import Actor, Member
from studio.services.access import record, stamp
from studio.services.studio import Studio
from studio.store import erasures

ERASED = Words(
    nb="Slettet for {alias}: {takes} opptak og {exports} eksporterte filer ({files} filer i "
       "alt).",
    en="Erased for {alias}: {takes} takes and {exports} exported files ({files} files in all).",
)
RESTRICTED = Words(
    nb="{alias} har en registrert oppbevaringsplikt: {takes} opptak er sperret i stedet for "
       "slettet, og kan ikke spilles av eller tas ut.",
    en="{alias} has a recorded retention duty: {takes} takes are restricted instead of erased, "
       "and cannot be played or taken out.",
)
OUTSIDE = Words(
    nb="{count} kopier ble lagret utenfor studioet (for eksempel på en minnepinne) og kan ikke "
       "slettes herfra.",
    en="{count} copies were saved outside the studio (for example on a USB stick) and cannot "
       "be erased from here.",
)


@dataclass
class ErasureReport:
    alias: str
    takes: int = 0
    exports: int = 0
    files: list[str] = field(default_factory=list)  # relative to the studio's folder
    restricted: int = 0
    outside: int = 0  # exports written outside the studio's folder

    def say(self) -> str:
        said = []
        if self.restricted:
            said.append(RESTRICTED.say(alias=self.alias, takes=self.restricted))
        else:
            said.append(ERASED.say(alias=self.alias, takes=self.takes, exports=self.exports,
                                   files=len(self.files)))
        if self.outside:
            said.append(OUTSIDE.say(count=self.outside))
        return " ".join(said)


def erase_member_material(studio: Studio, actor: Actor | None, member: Member,
                          reason: str) -> ErasureReport:
    paths = studio.paths
    report = ErasureReport(member.alias)
    at = stamp(studio.now())

    def run(conn: sqlite3.Connection) -> None:
        takes = conn.execute("SELECT id, path, song_id FROM takes WHERE member_id = ?",
                             (member.id,)).fetchall()
        songs = {t["song_id"] for t in takes} | {
            r["id"] for r in conn.execute("SELECT id FROM songs WHERE member_id = ?",
                                          (member.id,))}
        if member.retention_duty:
            conn.execute("UPDATE takes SET restricted = 1 WHERE member_id = ?", (member.id,))
            report.restricted = len(takes)
            record(conn, studio, actor, "erasure.restrict", f"member:{member.id}", member.id,
                   takes=len(takes), reason=reason)
            return
        for take in takes:
            conn.execute("DELETE FROM clips WHERE take_id = ?", (take["id"],))
            conn.execute("DELETE FROM take_gaps WHERE take_id = ?", (take["id"],))
            conn.execute("DELETE FROM takes WHERE id = ?", (take["id"],))
            erasures.remember(conn, take["path"], at)
            report.files.append(take["path"])
        report.takes = len(takes)
        for song_id in sorted(songs):
            for export in conn.execute("SELECT id, path FROM exports WHERE song_id = ?"
                                       " AND erased = 0", (song_id,)).fetchall():
                conn.execute("UPDATE exports SET erased = 1 WHERE id = ?", (export["id"],))
                relative = paths.relative_if_inside(export["path"])
                if relative is None:
                    report.outside += 1
                    continue
                erasures.remember(conn, relative, at)
                report.files.append(relative)
                report.exports += 1
        record(conn, studio, actor, "erasure", f"member:{member.id}", member.id,
               takes=report.takes, exports=report.exports, outside=report.outside,
               reason=reason)

    studio.catalog.write(run)
    studio.finish_erasures()
    return report
