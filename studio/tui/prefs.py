"""The console's settings (language, sound device, buffer size, auto-lock, theme), kept in a
small JSON file in the studio's data folder and written through a temporary name."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from studio.core.i18n import Language, language

SAMPLERATES = (44100, 48000, 96000)
BLOCKSIZES = (0, 64, 128, 256, 512, 1024)
DEFAULT_LOCK_SECONDS = 300


@dataclass
class Prefs:
    language: Language = "nb"
    device: str | None = None  # None: the first usable device, else the practice device
    samplerate: int = 48000
    blocksize: int = 0  # 0: the device's own period (lowest latency with JACK)
    lock_seconds: int = DEFAULT_LOCK_SECONDS
    dark: bool = True
    count_in_bars: int = 1
    click: bool = True
    max_take_seconds: int = 600


def latency_ms(blocksize: int, samplerate: int) -> float:
    """One buffer's worth of time, in milliseconds."""
    return 1000.0 * blocksize / samplerate if samplerate else 0.0


def load(path: Path | None) -> Prefs:
    prefs = Prefs(language=language())
    env_lock = os.environ.get("STUDIO_LOCK_SECONDS", "").strip()
    if env_lock.isdigit():
        prefs.lock_seconds = int(env_lock)
    if path is None or not path.exists():
        return prefs
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return prefs  # an unreadable file gives the defaults; it is rewritten on the next save
    if not isinstance(raw, dict):
        return prefs
    known = {f.name: f for f in fields(Prefs)}
    for name, value in raw.items():
        if name in known:
            setattr(prefs, name, value)
    if prefs.language not in ("nb", "en"):
        prefs.language = "nb"
    if prefs.samplerate not in SAMPLERATES:
        prefs.samplerate = 48000
    if prefs.blocksize not in BLOCKSIZES:
        prefs.blocksize = 0
    if not isinstance(prefs.lock_seconds, int) or prefs.lock_seconds < 0:
        prefs.lock_seconds = DEFAULT_LOCK_SECONDS
    return prefs


def save(prefs: Prefs, path: Path | None) -> None:
    if path is None:
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(json.dumps(asdict(prefs), indent=1), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)
