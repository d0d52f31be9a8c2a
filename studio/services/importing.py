"""Bring an audio file into a song as a take (``studio import SONG FILE --track NAME``).

The steps, each undone when a later one fails, so a failed or cancelled import leaves no file
and no catalog row behind:

1. decode the file in a child process with a memory and a time limit, resampled to the song's
   rate (:mod:`studio.audio.decode`); a bad file is refused in plain words before anything is
   written;
2. write it through the take-file writer (:class:`~studio.audio.take_file.TakeFile`, 24-bit) under
   a temporary name in the song's take folder (``.<name>.import-<pid>.partial``), closed with
   fsync and SHA-256 at the end;
3. give it its take name with a hard link (never overwrites another file), then drop the
   temporary name;
4. enter it in the catalog: the track (made now if the song has none by that name, mono or
   stereo like the file), the take (``begin_take`` + ``finish_take``) and a clip at the song's
   start.

An existing track keeps its channel count: a stereo file on a mono track is mixed to mono, a mono
file on a stereo track plays on both sides, and the result says so. Cancelling (a
``threading.Event``) is honoured until step 4 starts. A temporary file left by an import process
that was killed is deleted by the next import into the same song (its process is gone; the file
never reached the catalog).

What is not atomic: the catalog has no single transaction for "track + take + clip". A track made
for the import stays if a later catalog step fails; if the take row is finished but the clip
cannot be added (the catalog's disk is full), the take stays with its file, and the error says so;
nothing is ever half-written.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.audio.decode import Block, DecodeCancelled, DecodeLimits, DecodeReport, Decoding
from studio.audio.take_file import TakeFile, TakeResult
from studio.core.i18n import Language, StudioError, Words
from studio.core.people import Actor
from studio.core.song import Song, Track
from studio.services.access import record
from studio.services.consent import check_may_record
from studio.services.studio import Studio
from studio.store.layout import StudioPaths, fsync_dir

IMPORT_DEVICE = "import"
PARTIAL_SUFFIX = ".partial"
_PARTIAL_NAME = re.compile(r"^\..+\.import-(\d+)\.partial$")

Progress = Callable[[float], None]

TRACK_NAME_NEEDED = Words(nb="Skriv hvilket spor lyden skal inn på.",
                          en="Say which track the sound goes on.")
NOT_AN_AUDIO_TRACK = Words(
    nb="Sporet «{track}» er et {kind}-spor. Lyd kan bare hentes inn på et lydspor.",
    en="The track “{track}” is a {kind} track. Sound can only be brought in on an audio track.",
)
SUMMARY = Words(
    nb="«{file}» er hentet inn som opptak {take} på sporet «{track}»: {length}, {layout}.",
    en="“{file}” is brought in as take {take} on the track “{track}”: {length}, {layout}.",
)
TRACK_MADE = Words(nb="Sporet «{track}» er nytt.", en="The track “{track}” is new.")
RESAMPLED = Words(
    nb="Lyden hadde {original} samplinger i sekundet og er regnet om til sangens {rate} "
       "(høy kvalitet).",
    en="The sound had {original} samples a second and has been converted to the song's {rate} "
       "(high quality).",
)
SHORTER_THAN_HEADER = Words(
    nb="Filen er kortere enn den selv sier: den sier {claimed}, men bare {actual} kunne leses. "
       "Det som fantes, er hentet inn.",
    en="The file is shorter than it says: it says {claimed}, but only {actual} could be read. "
       "What was there has been brought in.",
)
ENDED_EARLY = Words(
    nb="Filen slutter brått (den ser ut til å være kuttet av). De {actual} som kunne leses, "
       "er hentet inn.",
    en="The file ends abruptly (it looks cut off). The {actual} that could be read have been "
       "brought in.",
)
HEADER_REPAIRED = Words(
    nb="Filen sa at den var tom, men det lå {actual} lyd i den (et opptak som aldri ble "
       "avsluttet?). Lyden er hentet inn.",
    en="The file said it was empty, but it held {actual} of sound (a recording that was never "
       "finished?). The sound has been brought in.",
)
CLIPPED = Words(
    nb="Noen topper var sterkere enn full styrke og er kappet ned til den ({count} samplinger).",
    en="Some peaks were louder than full scale and have been clipped to it ({count} samples).",
)
NOT_NUMBERS = Words(
    nb="{count} ugyldige verdier i filen er byttet ut med stillhet.",
    en="{count} invalid values in the file have been replaced by silence.",
)
MIXED_TO_MONO = Words(nb="Sporet «{track}» er mono, så stereolyden er slått sammen til mono.",
                      en="The track “{track}” is mono, so the stereo sound was mixed to mono.")
SPREAD_TO_STEREO = Words(
    nb="Sporet «{track}» er stereo, så monolyden spilles likt på begge sider.",
    en="The track “{track}” is stereo, so the mono sound plays the same on both sides.",
)
_SECONDS = Words(nb="{s:.1f} s", en="{s:.1f} s")
_MINUTES = Words(nb="{m} min {s} s", en="{m} min {s} s")
_HOURS = Words(nb="{h} t {m} min", en="{h} h {m} min")


@dataclass(frozen=True)
class Duration:
    """A length of time, said the way a person reads it (``3 min 12 s``)."""

    seconds: float

    def say(self, lang: Language | None = None) -> str:
        total = max(0.0, self.seconds)
        if total < 60:
            return _SECONDS.say(lang, s=total)
        whole = round(total)
        if whole < 3600:
            return _MINUTES.say(lang, m=whole // 60, s=whole % 60)
        return _HOURS.say(lang, h=whole // 3600, m=whole % 3600 // 60)


@dataclass(frozen=True)
class Note:
    """One plain-words line of an import's result, said in either language on demand."""

    words: Words
    values: Mapping[str, object] = field(default_factory=dict)

    def say(self, lang: Language | None = None) -> str:
        values = {k: v.say(lang) if isinstance(v, Duration) else v
                  for k, v in self.values.items()}
        return self.words.say(lang, **values)


@dataclass(frozen=True)
class ImportResult:
    song: str
    track: str
    track_created: bool
    take_id: int
    clip_id: int
    path: Path
    frames: int  # in the take, at the song's rate
    samplerate: int  # the song's rate
    channels: int  # of the take (the track's)
    file_name: str
    file_format: str
    file_subtype: str
    file_channels: int
    original_rate: int
    resampled: bool
    truncated: bool
    header_seconds: float | None  # the length the file claimed, if it made a claim
    clipped_samples: int
    not_numbers: int
    notes: tuple[Note, ...]

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate

    def messages(self, lang: Language | None = None) -> list[str]:
        """The result in plain words, a line each."""
        return [note.say(lang) for note in self.notes]

    def to_json(self) -> dict[str, Any]:
        return {
            "song": self.song, "track": self.track, "track_created": self.track_created,
            "take_id": self.take_id, "clip_id": self.clip_id, "path": str(self.path),
            "seconds": round(self.seconds, 6), "frames": self.frames,
            "samplerate": self.samplerate, "channels": self.channels,
            "file": self.file_name, "format": self.file_format, "subtype": self.file_subtype,
            "file_channels": self.file_channels, "original_rate": self.original_rate,
            "resampled": self.resampled, "truncated": self.truncated,
            "header_seconds": self.header_seconds, "clipped_samples": self.clipped_samples,
            "not_numbers": self.not_numbers,
            "messages": self.messages(), "messages_en": self.messages("en"),
        }


def import_audio(studio: Studio, song_name: str, path: Path | str, track_name: str, *,
                 actor: Actor | None = None, progress: Progress | None = None,
                 cancel: threading.Event | None = None,
                 limits: DecodeLimits | None = None) -> ImportResult:
    """Bring the audio file at ``path`` into the song as a take on ``track_name``, placed at the
    song's start. ``progress`` gets the fraction done (0..1); setting ``cancel`` stops it and
    leaves nothing behind. Bad files raise :class:`~studio.core.i18n.StudioError`.

    Storing sound in a member's song is gated like recording it: signed-in staff whose role may
    record (``actor``), and the member's "keep recordings" consent in force; refused otherwise
    (:class:`~studio.core.i18n.Refused`). The import is written to the audit log (no file name:
    it may carry a real name)."""
    song = studio.song(song_name)
    check_may_record(studio, song, actor)
    name = track_name.strip()
    if not name:
        raise StudioError(TRACK_NAME_NEEDED)
    existing = studio.catalog.track_by_name(song.id, name)
    if existing is not None and existing.kind != "audio":
        raise StudioError(NOT_AN_AUDIO_TRACK, track=existing.name, kind=existing.kind)
    paths = studio.paths
    sweep_stale_imports(paths.takes_dir(song.id))

    with Decoding(path, song.samplerate, limits=limits, cancel=cancel) as decoding:
        channels = existing.channels if existing is not None else decoding.source.channels
        final, written = _write_take(paths, song, name, decoding, channels, progress, cancel)
    report = decoding.report
    try:
        _check_cancel(cancel)
        track, take_id, clip_id = _enter_in_catalog(studio, song, name, existing, final, channels,
                                                    written)
    except BaseException:  # nothing reached the catalog: the file goes too
        _remove(final)
        raise
    studio.catalog.write(lambda conn: record(
        conn, studio, actor, "import", f"song:{song.id}", song.member_id, take=take_id,
        track=track.name, frames=written.frames, samplerate=song.samplerate))
    if progress is not None:
        progress(1.0)
    return _result(song, track, existing is None, take_id, clip_id, final, written, channels,
                   report)


# -- writing the take file ---------------------------------------------------------------------


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise DecodeCancelled()


def fit_channels(block: Block, channels: int) -> Block:
    """``block`` with ``channels`` channels: stereo to mono is the mean, mono to stereo a copy."""
    have = block.shape[1]
    if have == channels:
        return block
    if channels == 1:
        mono: Block = block.mean(axis=1, keepdims=True, dtype=np.float32)
        return mono
    spread: Block = np.repeat(block[:, :1], channels, axis=1)
    return spread


def _write_take(paths: StudioPaths, song: Song, name: str, decoding: Decoding, channels: int,
                progress: Progress | None, cancel: threading.Event | None
                ) -> tuple[Path, TakeResult]:
    final = paths.new_take_path(song.id, name)
    temp = final.with_name(f".{final.stem}.import-{os.getpid()}{PARTIAL_SUFFIX}")
    take = TakeFile.create(temp, song.samplerate, channels)
    try:
        for block in decoding.blocks():
            _check_cancel(cancel)
            take.write(fit_channels(block, channels))
            if progress is not None:
                progress(decoding.fraction())
        written = take.close()
        _check_cancel(cancel)
        final = _publish(paths, song.id, name, temp, final)
    except BaseException:
        with contextlib.suppress(Exception):
            take.close()
        _remove(temp)
        raise
    return final, written


def _publish(paths: StudioPaths, song_id: int, name: str, temp: Path, final: Path) -> Path:
    """Give the finished file its take name without ever replacing another file."""
    while True:
        try:
            os.link(temp, final)
        except FileExistsError:
            final = paths.new_take_path(song_id, name)
            continue
        except OSError:  # a file system without hard links: rename, after a last look
            if final.exists():
                final = paths.new_take_path(song_id, name)
                continue
            os.rename(temp, final)
            break
        temp.unlink()
        break
    fsync_dir(final.parent)
    return final


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
        fsync_dir(path.parent)


def sweep_stale_imports(folder: Path) -> list[Path]:
    """Delete temporary import files whose process is gone (it was killed mid-import); they
    never reached the catalog. Returns what was deleted."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL_NAME.match(entry.name)
        if match is None or _alive(int(match[1])):
            continue
        with contextlib.suppress(OSError):
            entry.unlink()
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


# -- the catalog -------------------------------------------------------------------------------


def _enter_in_catalog(studio: Studio, song: Song, name: str, existing: Track | None, final: Path,
                      channels: int, written: TakeResult) -> tuple[Track, int, int]:
    """Track (if new), take and clip in one catalog transaction: all of them, or none."""
    track, take, clip = studio.catalog.add_complete_take(
        song.id, existing.name if existing else name, channels,
        studio.paths.relative(final), samplerate=song.samplerate, frames=written.frames,
        sha256=written.sha256, device=IMPORT_DEVICE)
    return track, take.id, clip.id


# -- the result --------------------------------------------------------------------------------


def _result(song: Song, track: Track, created: bool, take_id: int, clip_id: int, final: Path,
            written: TakeResult, channels: int, report: DecodeReport) -> ImportResult:
    source = report.source
    rate = song.samplerate
    length = Duration(written.frames / rate)
    decoded = Duration(report.decoded_frames / source.samplerate)
    layout = "mono" if channels == 1 else "stereo"
    notes = [Note(SUMMARY, {"file": source.name, "take": take_id, "track": track.name,
                            "length": length, "layout": layout})]
    if created:
        notes.append(Note(TRACK_MADE, {"track": track.name}))
    if source.channels == 2 and channels == 1:
        notes.append(Note(MIXED_TO_MONO, {"track": track.name}))
    elif source.channels == 1 and channels == 2:
        notes.append(Note(SPREAD_TO_STEREO, {"track": track.name}))
    if report.resampled:
        notes.append(Note(RESAMPLED, {"original": source.samplerate, "rate": rate}))
    if source.header_repaired:
        notes.append(Note(HEADER_REPAIRED, {"actual": decoded}))
    elif report.shorter_than_header and source.header_seconds is not None:
        notes.append(Note(SHORTER_THAN_HEADER, {"claimed": Duration(source.header_seconds),
                                                "actual": decoded}))
    elif report.ended_early:
        notes.append(Note(ENDED_EARLY, {"actual": decoded}))
    if report.clipped_samples:
        notes.append(Note(CLIPPED, {"count": report.clipped_samples}))
    if report.not_numbers:
        notes.append(Note(NOT_NUMBERS, {"count": report.not_numbers}))
    return ImportResult(
        song=song.name, track=track.name, track_created=created, take_id=take_id,
        clip_id=clip_id, path=final, frames=written.frames, samplerate=rate, channels=channels,
        file_name=source.name, file_format=source.format, file_subtype=source.subtype,
        file_channels=source.channels, original_rate=source.samplerate,
        resampled=report.resampled, truncated=report.truncated,
        header_seconds=source.header_seconds, clipped_samples=report.clipped_samples,
        not_numbers=report.not_numbers, notes=tuple(notes),
    )
