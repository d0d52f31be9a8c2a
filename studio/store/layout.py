"""The on-disk layout of the studio's data folder.

::

    <home>/catalog.sqlite3          the catalog (single source of truth)
    <home>/takes/song-<id>/...wav   take files, write-once, next to their ``.pending`` markers
    <home>/exports/                 rendered products on their way out
    <home>/run/                     pid files of running processes

Paths stored in the catalog are relative to ``home`` (posix style), so a data folder can be moved.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import platformdirs

_SLUG_MAX = 40
_NORDIC = str.maketrans({"æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "å": "a", "Å": "a", "ß": "ss"})


def slug(text: str, fallback: str = "track") -> str:
    """A short, readable, ASCII file-name part: ``"Vokal (Åse)"`` → ``"vokal-ase"``."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_NORDIC))
        .encode("ascii", "ignore")
        .decode("ascii")
        .lower()
    )
    words = re.findall(r"[a-z0-9]+", ascii_text)
    joined = "-".join(words)[:_SLUG_MAX].strip("-")
    return joined or fallback


class StudioPaths:
    """Where everything lives under one data folder; folders are created as they are needed."""

    def __init__(self, home: Path) -> None:
        home = Path(home).expanduser()
        home.mkdir(parents=True, exist_ok=True)
        self._home = home.resolve()

    @classmethod
    def from_env(cls) -> StudioPaths:
        """``STUDIO_HOME`` if set, else the platform's user data folder for "studio"."""
        configured = os.environ.get("STUDIO_HOME", "").strip()
        home = Path(configured) if configured else Path(platformdirs.user_data_dir("studio"))
        return cls(home)

    @property
    def home(self) -> Path:
        return self._home

    @property
    def catalog_path(self) -> Path:
        return self._home / "catalog.sqlite3"

    @property
    def run_dir(self) -> Path:
        return self._folder(self._home / "run")

    @property
    def exports_dir(self) -> Path:
        return self._folder(self._home / "exports")

    def takes_dir(self, song_id: int) -> Path:
        return self._folder(self._home / "takes" / f"song-{int(song_id)}")

    def new_take_path(
        self,
        song_id: int,
        track_name: str,
        suffix: str = ".wav",
        *,
        now: datetime | None = None,
    ) -> Path:
        """A fresh, readable take path such as ``takes/song-3/vokal-20250101T120000Z-01.wav``.

        Never returns a path that exists (nor one whose ``.pending`` marker exists). Two processes
        could still pick the same name at the same moment; the take file is opened with
        ``O_EXCL``, so the loser gets ``FileExistsError`` and asks again.
        """
        if not suffix.startswith(".") or "/" in suffix:
            raise ValueError(f"bad suffix: {suffix!r}")
        folder = self.takes_dir(song_id)
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        stem = f"{slug(track_name)}-{stamp}"
        counter = 1
        while True:
            candidate = folder / f"{stem}-{counter:02d}{suffix}"
            if not os.path.lexists(candidate) and not os.path.lexists(
                self.pending_marker(candidate)
            ):
                return candidate
            counter += 1

    @staticmethod
    def pending_marker(take_path: Path) -> Path:
        """The marker that says "this take is being recorded": same name plus ``.pending``."""
        return take_path.with_name(take_path.name + ".pending")

    def relative(self, path: Path) -> str:
        """``path`` relative to ``home`` in posix form, as the catalog stores it."""
        full = Path(path)
        if not full.is_absolute():
            full = self._home / full
        try:
            return full.resolve().relative_to(self._home).as_posix()
        except ValueError:
            raise ValueError(f"{path} is outside the studio folder {self._home}") from None

    def relative_if_inside(self, path: str | Path) -> str | None:
        """Like :meth:`relative`, or None when ``path`` is outside the studio folder."""
        try:
            return self.relative(Path(path))
        except ValueError:
            return None

    def absolute(self, rel: str) -> Path:
        """The full path of a catalog-relative path; refuses anything that leaves ``home``."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            raise ValueError(f"not a path inside the studio folder: {rel!r}")
        return self._home.joinpath(*pure.parts)

    @staticmethod
    def _folder(path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        return path


def free_bytes(path: Path) -> int:
    """Bytes an ordinary user may still write on the file system holding ``path``.

    If ``path`` does not exist yet, its nearest existing parent is asked.
    """
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    stats = os.statvfs(probe)
    return stats.f_bavail * stats.f_frsize


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new, renamed or removed files) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
