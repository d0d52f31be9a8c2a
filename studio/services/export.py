"""Exporting a song: the only way audio leaves the studio, and it always asks the release gate.

1. The gate is asked (and the answer written to the audit log) before a sample is rendered.
2. The mix is rendered block by block into a hidden temporary file next to the destination.
3. The gate is asked again, and the song's version must be the one first cleared: a consent
   withdrawn or an edit made while rendering stops the export, and the temporary file goes.
4. Only then is the file renamed into place and the export recorded (catalog and audit log).

The file carries the song's title and the artist alias (or no artist when the member chose to be
anonymous), nothing else: no ids, notes, staff names or paths.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.audio.gain import constant_power_pan
from studio.audio.mixdown import MixTrack, mixdown_blocks, song_length
from studio.core.gate import ExportPurpose
from studio.core.i18n import Refused, StudioError, Words
from studio.core.people import Actor
from studio.core.song import Song
from studio.services.access import record
from studio.services.playback import clip_sources
from studio.services.release import Clearance, authorize_export
from studio.services.studio import Studio
from studio.store.layout import fsync_dir

FORMATS: dict[str, tuple[str, str]] = {  # name: (libsndfile format, subtype)
    "wav": ("WAV", "PCM_24"),
    "wav16": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_24"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}
EXTENSIONS = {"wav": ".wav", "wav16": ".wav", "flac": ".flac", "ogg": ".ogg", "mp3": ".mp3"}

UNKNOWN_FORMAT = Words(
    nb="Ukjent filformat «{format}». Velg wav, flac, mp3 eller ogg.",
    en="Unknown file format “{format}”. Choose wav, flac, mp3 or ogg.",
)
NOTHING_TO_EXPORT = Words(nb="«{song}» har ingen opptak å eksportere ennå.",
                          en="“{song}” has nothing recorded to export yet.")
CHANGED_DURING = Words(
    nb="Sangen ble endret mens den ble eksportert. Ingenting ble lagret; prøv igjen.",
    en="The song changed while it was being exported. Nothing was saved; try again.",
)
CANCELLED = Words(nb="Eksporten ble avbrutt. Ingenting ble lagret.",
                  en="The export was cancelled. Nothing was saved.")
CANNOT_WRITE = Words(
    nb="Kunne ikke skrive {path} ({why}). Ingenting ble lagret.",
    en="Could not write {path} ({why}). Nothing was saved.",
)
CLIPPED = Words(
    nb="{count} samplinger var over full styrke og ble kuttet. Mastring til et mål unngår det.",
    en="{count} samples were above full scale and were clipped. Mastering to a target avoids "
       "it.",
)


@dataclass
class ExportResult:
    path: Path
    purpose: ExportPurpose
    format: str
    version: str
    seconds: float
    peak: float
    artist: str  # what the file's artist field says ("" when anonymous)
    notes: list[str] = field(default_factory=list)


def mix_tracks(studio: Studio, song: Song) -> list[MixTrack]:
    tracks = []
    for track in studio.catalog.tracks(song.id):
        if track.muted:
            continue
        clips = clip_sources(studio, track)
        if clips:
            left, right = constant_power_pan(track.pan)
            gain = 10 ** (track.gain_db / 20)
            tracks.append(MixTrack(clips, gain * left, gain * right))
    return tracks


def default_path(studio: Studio, song: Song, purpose: ExportPurpose, fmt: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in song.name).strip() or "song"
    return studio.paths.exports_dir / f"{safe} ({purpose.value}){EXTENSIONS[fmt]}"


def export_song(studio: Studio, actor: Actor, song: Song, purpose: ExportPurpose, fmt: str,
                path: Path | None = None, *,
                progress: Callable[[float], None] | None = None,
                cancel: threading.Event | None = None) -> ExportResult:
    if fmt not in FORMATS:
        raise StudioError(UNKNOWN_FORMAT, format=fmt)
    clearance = authorize_export(studio, actor, song, purpose)  # before anything is rendered
    tracks = mix_tracks(studio, song)
    frames = song_length(tracks)
    if frames == 0:
        raise StudioError(NOTHING_TO_EXPORT, song=song.name)
    target = Path(path) if path is not None else default_path(studio, song, purpose, fmt)
    target = target.expanduser().absolute()
    temp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    container, subtype = FORMATS[fmt]
    artist = ", ".join(clearance.decision.credits) if purpose is ExportPurpose.PUBLIC \
        else _alias_line(studio, song)
    peak = 0.0
    clipped = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with sf.SoundFile(temp, "w", samplerate=song.samplerate, channels=2, format=container,
                          subtype=subtype) as out:
            out.title = song.name
            if artist:
                out.artist = artist
            done = 0
            for block in mixdown_blocks(tracks, 0, frames):
                if cancel is not None and cancel.is_set():
                    raise StudioError(CANCELLED)
                peak = max(peak, float(np.max(np.abs(block))) if len(block) else 0.0)
                over = np.abs(block) > 1.0
                if over.any():
                    clipped += int(over.sum())
                    np.clip(block, -1.0, 1.0, out=block)
                out.write(block)
                done += len(block)
                if progress is not None:
                    progress(done / frames)
        _fsync(temp)
        _still_cleared(studio, actor, song, purpose, clearance)
        os.replace(temp, target)
        fsync_dir(target.parent)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise StudioError(CANNOT_WRITE, path=str(target), why=error.strerror or str(error)
                          ) from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _record_export(studio, actor, song, clearance, fmt, target)
    notes = [CLIPPED.say(count=clipped)] if clipped else []
    return ExportResult(target, purpose, fmt, clearance.version, frames / song.samplerate, peak,
                        artist, notes)


def _alias_line(studio: Studio, song: Song) -> str:
    from studio.store.people import member_by_id

    if song.member_id is None:
        return ""
    member_id = song.member_id
    return studio.catalog.read(lambda conn: member_by_id(conn, member_id)).alias


def _still_cleared(studio: Studio, actor: Actor, song: Song, purpose: ExportPurpose,
                   first: Clearance) -> None:
    again = authorize_export(studio, actor, song, purpose)  # raises Refused if withdrawn now
    if again.version != first.version:
        raise Refused(CHANGED_DURING)


def _record_export(studio: Studio, actor: Actor, song: Song, clearance: Clearance, fmt: str,
                   target: Path) -> None:
    def run(conn: sqlite3.Connection) -> None:
        entry = record(conn, studio, actor, f"export.{clearance.purpose.value}",
                       f"song:{song.id}", song.member_id, version=clearance.version,
                       format=fmt, gate_seq=clearance.audit_seq)
        conn.execute(
            "INSERT INTO exports (song_id, version, purpose, format, path, seq, by_staff, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (song.id, clearance.version, clearance.purpose.value, fmt, str(target), entry.seq,
             actor.name, entry.at))

    studio.catalog.write(run)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
