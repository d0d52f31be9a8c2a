"""Drum kits for people: the built-in one, kits imported into the studio, and importing one.

- :func:`kits_folder` is ``STUDIO_HOME/kits``: every imported kit lives in a folder of its own
  there, ``kits/<name>/``, with its ``kit.toml`` (a sample kit) or ``drumkit.xml`` (a Hydrogen
  drumkit) and its sound files;
- :func:`import_kit` checks a kit where it is (it must load: every sample read, every mistake
  said in plain words), then copies its folder into a temporary folder next to the kits and
  renames it into place, so a failed import leaves nothing behind and a kit is never half there;
- :func:`list_kits` lists ``synth`` and the imported kits (and any in ``presets/kits``);
- :func:`kit_path` finds a kit by what a person types: ``synth``, a path, or a kit's name.
"""

from __future__ import annotations

import os
import shutil
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from studio.audio.beat import SYNTH, open_kit
from studio.audio.beat.hydrogen_kit import DRUMKIT_FILE
from studio.audio.beat.sample_kit import KIT_FILE
from studio.core.beat import VOICES
from studio.core.i18n import StudioError, Words
from studio.core.preset import presets_folder
from studio.store.layout import StudioPaths, slug

__all__ = [
    "MAX_KIT_BYTES",
    "MAX_KIT_FILES",
    "ImportedKit",
    "KitInfo",
    "import_kit",
    "kit_path",
    "kits_folder",
    "list_kits",
]

MAX_KIT_BYTES = 1 << 30  # 1 GiB: the largest free kits are a few hundred megabytes
MAX_KIT_FILES = 5000
CHECK_RATE = 48000
_MAX_NAME_FILE = 1 << 20

_NOT_A_KIT = Words(
    nb="Fant ikke noe trommesett i {path}: det trengs en mappe med kit.toml eller drumkit.xml "
       "(Hydrogen), eller selve fila.",
    en="No drum kit found at {path}: it takes a folder with kit.toml or drumkit.xml "
       "(Hydrogen), or that file itself.",
)
_RESERVED = Words(
    nb="Navnet «{name}» er tatt av det innebygde trommesettet. Velg et annet med --name.",
    en="The name '{name}' belongs to the built-in drum kit. Choose another with --name.",
)
_EXISTS = Words(
    nb="Det finnes allerede et trommesett som heter «{name}». Velg et annet navn med --name.",
    en="There is already a drum kit called '{name}'. Choose another name with --name.",
)
_TOO_BIG = Words(
    nb="Trommesettet i {path} er for stort ({size} MB, {files} filer); høyst {most} MB og "
       "{most_files} filer går an.",
    en="The drum kit in {path} is too big ({size} MB, {files} files); at most {most} MB and "
       "{most_files} files are possible.",
)
_OUTSIDE = Words(
    nb="{file} i trommesettet peker ut av mappa og ble ikke kopiert.",
    en="{file} in the drum kit points outside its folder and was not copied.",
)
_CANNOT_COPY = Words(
    nb="Kunne ikke kopiere trommesettet til {path}: {detail}. Ingenting ble lagret.",
    en="Could not copy the drum kit to {path}: {detail}. Nothing was saved.",
)
_NO_SUCH_KIT = Words(
    nb="Trommesettet «{kit}» finnes ikke. Disse finnes: {available}. Et nytt hentes inn med "
       "«studio kit import MAPPE».",
    en="The drum kit '{kit}' does not exist. These exist: {available}. Bring in a new one with "
       "'studio kit import FOLDER'.",
)
_SYNTH_TITLE = Words(nb="Innebygd (syntetisert)", en="Built in (synthesised)")


def kits_folder(home: Path | None = None) -> Path:
    """``<studio folder>/kits`` (not created here)."""
    return (home if home is not None else StudioPaths.from_env().home) / "kits"


@dataclass(frozen=True)
class KitInfo:
    name: str  # what to type after --kit
    title: str  # the kit's own name
    kind: str  # "synth", "samples" or "hydrogen"
    path: Path | None

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "title": self.title, "kind": self.kind,
                "path": None if self.path is None else str(self.path)}


def _kind(folder: Path) -> str | None:
    if (folder / KIT_FILE).is_file():
        return "samples"
    if (folder / DRUMKIT_FILE).is_file():
        return "hydrogen"
    return None


def _title(folder: Path, kind: str) -> str:
    """The kit's own name from its file, read cheaply (no samples); the folder's name else."""
    try:
        if kind == "samples":
            data = (folder / KIT_FILE).read_bytes()[:_MAX_NAME_FILE]
            name = tomllib.loads(data.decode("utf-8")).get("name")
        else:
            root = ET.fromstring((folder / DRUMKIT_FILE).read_bytes()[:8 * _MAX_NAME_FILE])
            found = next((e for e in root if e.tag.rsplit("}", 1)[-1] == "name"), None)
            name = found.text if found is not None else None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ET.ParseError):
        name = None
    return name.strip() if isinstance(name, str) and name.strip() else folder.name


def list_kits(home: Path | None = None) -> list[KitInfo]:
    """The built-in kit, then the imported kits and those in ``presets/kits``, by name."""
    found: dict[str, KitInfo] = {}
    for where in (presets_folder() / "kits", kits_folder(home)):
        if not where.is_dir():
            continue
        for folder in sorted(where.iterdir()):
            kind = _kind(folder) if folder.is_dir() and not folder.name.startswith(".") else None
            if kind is not None:
                found[folder.name] = KitInfo(folder.name, _title(folder, kind), kind, folder)
    synth = KitInfo(SYNTH, _SYNTH_TITLE.say(), "synth", None)
    return [synth, *(found[name] for name in sorted(found) if name != SYNTH)]


def kit_path(spec: str | None, home: Path | None = None) -> str | Path:
    """What :func:`studio.audio.beat.open_kit` should open for ``spec``: ``"synth"``, a path to
    a kit, or an imported kit's folder (by its name, or its name made file-safe)."""
    chosen = (spec or SYNTH).strip()
    if chosen.lower() == SYNTH:
        return SYNTH
    path = Path(chosen).expanduser()
    if path.exists():
        return path
    for where in (kits_folder(home), presets_folder() / "kits"):
        for name in (chosen, slug(chosen, "")):
            if name and "/" not in name and (where / name).is_dir():
                return where / name
    available = ", ".join(k.name for k in list_kits(home))
    raise StudioError(_NO_SUCH_KIT, kit=chosen, available=available)


@dataclass(frozen=True)
class ImportedKit:
    name: str
    title: str
    kind: str
    path: Path
    voices: tuple[str, ...]
    files: int
    bytes: int
    notes: tuple[Words, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "title": self.title, "kind": self.kind,
                "path": str(self.path), "voices": list(self.voices), "files": self.files,
                "bytes": self.bytes, "notes": [n.say() for n in self.notes],
                "notes_en": [n.say("en") for n in self.notes]}


def _source_folder(source: Path) -> Path:
    path = source.expanduser()
    if path.is_file() and (path.name == KIT_FILE or path.suffix.lower() == ".xml"):
        path = path.parent
    if not path.is_dir() or _kind(path) is None:
        raise StudioError(_NOT_A_KIT, path=str(source))
    return path.resolve()


def _files_to_copy(folder: Path, notes: list[Words]) -> tuple[list[Path], int]:
    files: list[Path] = []
    total = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue  # hidden files and folders (.git, .DS_Store …) are not part of a kit
        if path.is_symlink() and not path.resolve().is_relative_to(folder):
            notes.append(Words(_OUTSIDE.say("nb", file=str(relative)),
                               _OUTSIDE.say("en", file=str(relative))))
            continue
        if path.is_file():
            files.append(relative)
            total += path.stat().st_size
            if total > MAX_KIT_BYTES or len(files) > MAX_KIT_FILES:
                raise StudioError(_TOO_BIG, path=str(folder), size=total >> 20,
                                  files=len(files), most=MAX_KIT_BYTES >> 20,
                                  most_files=MAX_KIT_FILES)
    return files, total


def import_kit(source: Path | str, name: str | None = None, home: Path | None = None
               ) -> ImportedKit:
    """Check the kit at ``source`` and copy it to ``kits/<name>``; see the module docstring."""
    folder = _source_folder(Path(source))
    kit = open_kit(folder, CHECK_RATE)  # every sample must load; plain words if one does not
    kind = _kind(folder) or "samples"
    wanted = slug(name if name and name.strip() else kit.name, "kit")
    if wanted == SYNTH:
        raise StudioError(_RESERVED, name=wanted)
    where = kits_folder(home)
    target = where / wanted
    if target.exists():
        raise StudioError(_EXISTS, name=wanted)
    notes: list[Words] = list(kit.notes)
    files, total = _files_to_copy(folder, notes)
    where.mkdir(parents=True, exist_ok=True)
    temporary = where / f".{wanted}.{os.getpid()}.partial"
    try:
        if temporary.exists():
            shutil.rmtree(temporary)
        for relative in files:
            destination = temporary / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / relative, destination)
        open_kit(temporary, CHECK_RATE)  # the copy plays as the original did
        os.rename(temporary, target)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        if target.exists() and isinstance(error, FileExistsError | IsADirectoryError):
            raise StudioError(_EXISTS, name=wanted) from None
        raise StudioError(_CANNOT_COPY, path=str(target),
                          detail=error.strerror or str(error)) from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    voices = tuple(v for v in VOICES if v in kit.voices)
    return ImportedKit(wanted, kit.name, kind, target, voices, len(files), total, tuple(notes))
