"""The application layer's front door: what the CLI and the TUI call.

:class:`Studio` holds the data folder and the catalog, and offers songs, tracks, takes,
recovery of takes left by a crash, device information and recording. It is the only place
where the audio engine and the catalog meet.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from studio.audio.devices import DeviceInfo, find_device, scan_devices_fresh
from studio.audio.take_file import repair_take
from studio.core.i18n import StudioError, Words
from studio.core.song import Song, Take, Track
from studio.store.catalog import Catalog
from studio.store.layout import StudioPaths

RATE_MISMATCH = Words(
    nb="Lydenheten «{device}» går på {device_rate} Hz, men sangen er på {rate} Hz. Velg "
       "{device_rate} Hz for nye sanger under Innstillinger, eller start lydserveren på {rate} Hz.",
    en="The sound device “{device}” runs at {device_rate} Hz, but the song is at {rate} Hz. "
       "Choose {device_rate} Hz for new songs in Settings, or start the sound server at "
       "{rate} Hz.",
)
NO_SUCH_SONG = Words(
    nb="Fant ingen sang som heter «{name}». Lag den med: studio song new \"{name}\"",
    en="There is no song called \"{name}\". Make it with: studio song new \"{name}\"",
)
TAKE_FILE_MISSING = Words(
    nb="Lydfilen for opptak {take} finnes ikke lenger.",
    en="The audio file of take {take} is no longer there.",
)


def device_key(device: DeviceInfo) -> str:
    """How a device is known in the catalog (its calibration is stored under this)."""
    return f"{device.hostapi}:{device.name}"


@dataclass(frozen=True)
class RecoveredTake:
    take: Take
    note: str


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Studio:
    def __init__(self, paths: StudioPaths | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.paths = paths or StudioPaths.from_env()
        self.clock = clock or _utc_now  # tests pass a manual clock (lockout, expiry)
        self.catalog = Catalog.open(self.paths.catalog_path)
        self.finish_erasures()

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().date()

    def finish_erasures(self) -> int:
        """Delete files whose catalog rows were erased when a crash came before the files
        went. Runs on every start; returns how many files it deleted."""
        from studio.store.erasures import forget, pending

        gone = 0
        for relative in self.catalog.read(pending):
            path = self.paths.absolute(relative)
            for leftover in (path, self.paths.pending_marker(path)):
                if leftover.exists():
                    leftover.unlink()
                    gone += 1
            self.catalog.write(partial(forget, path=relative))
        return gone

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # songs and tracks -------------------------------------------------------------------------
    def new_song(self, name: str, tempo_bpm: float = 90.0, samplerate: int = 48000,
                 beats_per_bar: int = 4) -> Song:
        return self.catalog.create_song(name, samplerate=samplerate, tempo_bpm=tempo_bpm,
                                        beats_per_bar=beats_per_bar)

    def songs(self) -> list[Song]:
        return self.catalog.songs()

    def song(self, name: str) -> Song:
        song = self.catalog.song_by_name(name)
        if song is None:
            raise StudioError(NO_SUCH_SONG, name=name)
        return song

    def tracks(self, song: Song) -> list[Track]:
        return self.catalog.tracks(song.id)

    def takes(self, song: Song | None = None) -> list[Take]:
        return self.catalog.takes(song_id=song.id if song else None)

    def kit_path(self, kit: str) -> str:
        """Where a kit named in a beat track is: "synth" is built in; others are folders
        under the studio's ``kits/`` (``studio kit import``), or a path."""
        if kit.strip().lower() == "synth":
            return "synth"
        folder = self.paths.home / "kits" / kit
        return str(folder) if folder.is_dir() else kit

    def take_path(self, take: Take) -> Path:
        return self.paths.absolute(take.path)

    # devices ----------------------------------------------------------------------------------
    def devices(self, env: dict[str, str] | None = None) -> list[DeviceInfo]:
        """A fresh look at the audio devices (a new process, so plugged-in devices appear)."""
        return scan_devices_fresh(env=env)

    def pick_device(self, spec: str | None, env: dict[str, str] | None = None
                    ) -> DeviceInfo | None:
        """The device to record with, or None for the built-in practice device."""
        if spec is not None and spec.strip().lower() in ("practice", "øving", "oving"):
            return None
        devices = self.devices(env)
        usable = [d for d in devices if d.max_input_channels > 0 and d.max_output_channels > 0]
        if spec is None and not usable:
            return None
        return find_device(spec, "duplex", devices)

    @staticmethod
    def check_rate(device: DeviceInfo | None, samplerate: int) -> None:
        """A JACK server runs at one sample rate, and PortAudio cannot open it at another:
        say so in plain words before an engine tries (other devices are opened and asked)."""
        if device is None or "jack" not in device.hostapi.lower():
            return
        device_rate = round(device.default_samplerate)
        if device_rate and device_rate != samplerate:
            raise StudioError(RATE_MISMATCH, device=device.name, device_rate=device_rate,
                              rate=samplerate)

    # recovery ---------------------------------------------------------------------------------
    def recover_takes(self) -> list[RecoveredTake]:
        """Adopt takes left as "recording" by a crash: repair the file header, count the frames,
        and mark them "recovered". Never deletes anything. Takes still being recorded by a
        living studio process are left alone."""
        recovered = []
        for take in self.catalog.pending_takes():
            path = self.paths.absolute(take.path)
            marker = self.paths.pending_marker(path)
            if _recording_elsewhere(marker):
                continue
            if not path.exists():
                result = self.catalog.finish_take(
                    take.id, frames=0, sha256=None, song_position_frames=take.song_position_frames,
                    gaps=(), state="interrupted")
                recovered.append(RecoveredTake(result, TAKE_FILE_MISSING.say(take=take.id)))
                continue
            try:
                outcome = repair_take(path)
            except StudioError as error:  # one broken file must not stop the others
                recovered.append(RecoveredTake(take, error.say()))
                continue
            result = self.catalog.mark_recovered(take.id, frames=outcome.frames,
                                                 sha256=outcome.sha256)
            marker.unlink(missing_ok=True)
            recovered.append(RecoveredTake(result, ""))
        return recovered


def write_pending_marker(marker: Path, take_id: int) -> None:
    """The marker says which process records this take, so recovery leaves live takes alone."""
    marker.write_text(json.dumps({"take_id": take_id, "pid": os.getpid()}))
    fd = os.open(marker, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _recording_elsewhere(marker: Path) -> bool:
    try:
        pid = int(json.loads(marker.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return b"studio" in cmdline.read_bytes()
    except OSError:
        return True
