"""Exporting a song: the only way audio leaves the studio, and it always asks the release gate.

1. The gate is asked (and the answer written to the audit log) before a sample is rendered.
2. The song's mix (``studio.services.render``) is mastered to a target
   (``studio.audio.mastering``, presets in ``presets/masters/``) into a hidden temporary file
   next to the destination (for stems: a hidden temporary folder, one file per track).
3. The gate is asked again, and the song's version must be the one first cleared: a consent
   withdrawn or an edit made while rendering stops the export, and the temporary file goes.
4. Only then is the file (or the folder, in one rename: all stems or none) renamed into place
   and the export recorded (catalog and audit log).

A cancelled or failed export leaves nothing behind: the temporary file or folder is removed,
and the mastering work file is anonymous (gone when closed, even after a crash).

Files carry the song's title and the artist alias (or no artist when the member chose to be
anonymous), nothing else: no ids, notes, staff names or paths.

Formats: WAV (24 or 16 bit), FLAC (24 or 16 bit), MP3 and Ogg Vorbis (libsndfile 1.2.2 writes
both; title and artist go in ID3 and Vorbis comments). A lossy encoder moves the peaks (measured:
an MP3 of a master held at -1.05 dBTP decoded to -0.87 dBTP, Ogg Vorbis to -0.84), so for MP3
and Ogg the limiter aims :data:`LOSSY_HEADROOM_DB` lower from the start, and the master decodes
its own file and meters that: the aim goes lower still until the decoded file holds the
ceiling. Writes go to libsndfile in pieces of :data:`WRITE_FRAMES` at most
(measured: one write of 2.95 M frames crashes libsndfile 1.2.2's Vorbis encoder; 1 M does not).

Mastering targets (``--target``): "streaming" (-14 LUFS, -1 dBTP), "loud" (-9 LUFS, -1 dBTP),
"podcast" (-16 LUFS, -1.5 dBTP) and "none" (the mix exactly as it is). The default depends on
the purpose (:data:`DEFAULT_TARGETS`): a public release and the member's own copy are mastered
for streaming, so they sound as loud and clean as what the member hears elsewhere; an internal
listening copy is the mix as it is ("none"), which is what a review listens to and is quicker.

Stems (``stems=True``): one file per track that plays in the mix (muted tracks, and tracks not
soloed when some are, have none), each the track as it sounds in the mix: its effect preset,
fader and pan, and its own share of the reverb and delay buses, so the stems add up to the
mix. All stems are as long as the song and start at its start. Stems are never mastered (a
master belongs to the whole song): the target must be "none" or left out.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile as sf

from studio.audio.loudness import LoudnessMeter, LoudnessReport
from studio.audio.mastering import BLOCK, Cancelled, MasterResult, master_offline
from studio.audio.mix_graph import BusSettings, GraphTrack, MixGraph
from studio.core.gate import ExportPurpose
from studio.core.i18n import Refused, StudioError, Words
from studio.core.master_preset import LimiterSettings, MasterPreset, find_master_preset
from studio.core.mix import audible
from studio.core.people import Actor
from studio.core.song import Song
from studio.services.access import record
from studio.services.export_report import ExportReport, Overview, StemReport
from studio.services.release import Clearance, authorize_export
from studio.services.render import default_threads, graph_parts, song_blocks, song_frames
from studio.services.studio import Studio
from studio.store.layout import fsync_dir

__all__ = ["DEFAULT_TARGETS", "EXTENSIONS", "FORMATS", "LOSSY", "ExportResult", "FileSink",
           "default_path", "export_song", "format_name", "master_preset_for"]

Audio = npt.NDArray[np.float32]
Progress = Callable[[float], None]

FORMATS: dict[str, tuple[str, str]] = {  # name: (libsndfile format, subtype)
    "wav": ("WAV", "PCM_24"),
    "wav16": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_24"),
    "flac16": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}
EXTENSIONS = {"wav": ".wav", "wav16": ".wav", "flac": ".flac", "flac16": ".flac", "ogg": ".ogg",
              "mp3": ".mp3"}
LOSSY = frozenset({"ogg", "mp3"})
DEFAULT_TARGETS = {ExportPurpose.PUBLIC: "streaming", ExportPurpose.MEMBER_COPY: "streaming",
                   ExportPurpose.INTERNAL: "none"}
WRITE_FRAMES = 16384
LOSSY_HEADROOM_DB = 0.25  # the limiter aims this much lower for MP3 and Ogg from the start
NO_MASTER = MasterPreset(
    name="none", words=Words(nb="Ingen mastring.", en="No mastering."), target=None,
    input_lufs=None, limiter=LimiterSettings(), effects=())

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
OFF_TARGET = Words(
    nb="Mastringen nådde ikke målet ({target:.1f} LUFS, topper under {ceiling:.1f} dBTP); "
       "den ble {loudness:.1f} LUFS med topp {peak:.1f} dBTP.",
    en="The master did not reach its target ({target:.1f} LUFS, peaks under {ceiling:.1f} "
       "dBTP); it came out at {loudness:.1f} LUFS with a peak of {peak:.1f} dBTP.",
)
STEMS_ARE_NOT_MASTERED = Words(
    nb="Spor-filer (stems) mastres ikke; mastring hører til hele sangen. Dropp --target, "
       "eller velg «none».",
    en="Stems are not mastered; mastering belongs to the whole song. Leave out --target, or "
       "choose “none”.",
)
STEMS_FOLDER_IN_USE = Words(
    nb="{path} finnes allerede og er ikke en tom mappe. Velg et nytt navn for spor-filene.",
    en="{path} already exists and is not an empty folder. Choose a new name for the stems.",
)
STEMS_FOLDER_IS_FILE = Words(
    nb="{path} er en fil; spor-filene trenger en mappe.",
    en="{path} is a file; the stems need a folder.",
)


def format_name(fmt: str) -> str:
    """"WAV 24-bit", "MP3", …: the format as people say it."""
    container, subtype = FORMATS[fmt]
    if subtype.startswith("PCM_"):
        return f"{container} {subtype[4:]}-bit"
    return "Ogg Vorbis" if container == "OGG" else container


@dataclass
class ExportResult:
    path: Path  # the file, or the folder of stems
    purpose: ExportPurpose
    format: str
    version: str
    seconds: float
    peak: float  # the highest sample written (linear, full scale = 1.0)
    artist: str  # what the file's artist field says ("" when anonymous)
    notes: list[str] = field(default_factory=list)
    target: str = "none"
    report: ExportReport | None = None
    stems: list[Path] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "purpose": self.purpose.value, "format": self.format,
                "version": self.version, "seconds": round(self.seconds, 3),
                "peak": round(self.peak, 6), "artist": self.artist, "notes": self.notes,
                "target": self.target, "stems": [str(p) for p in self.stems],
                "report": self.report.to_json() if self.report is not None else None}


# --- writing ---------------------------------------------------------------------------------
class FileSink:
    """One audio file being written (a :class:`~studio.audio.mastering.MasterSink`): title
    and artist only, samples above full scale clipped and counted, the overview collected."""

    def __init__(self, path: Path, samplerate: int, fmt: str, title: str, artist: str,
                 frames: int) -> None:
        self.path = path
        self.samplerate = samplerate
        self.fmt = fmt
        self.title = title
        self.artist = artist
        self.overview = Overview(frames)
        self.peak = 0.0
        self.clipped = 0
        self._file: sf.SoundFile | None = None

    @property
    def headroom_db(self) -> float:
        return LOSSY_HEADROOM_DB if self.fmt in LOSSY else 0.0

    def restart(self) -> None:
        self.close()
        container, subtype = FORMATS[self.fmt]
        self._file = sf.SoundFile(self.path, "w", samplerate=self.samplerate, channels=2,
                                  format=container, subtype=subtype)
        self._file.title = self.title
        if self.artist:
            self._file.artist = self.artist
        self.overview.reset()
        self.peak = 0.0
        self.clipped = 0

    def write(self, block: Audio) -> None:
        assert self._file is not None
        if block.shape[0] == 0:
            return
        peak = self.overview.add(block)  # the overview shows the peaks as they were
        self.peak = max(self.peak, peak)
        if peak > 1.0:  # libsndfile would wrap around, not clip
            over = np.abs(block) > 1.0
            self.clipped += int(over.sum())
            block = np.clip(block, -1.0, 1.0)
        for start in range(0, block.shape[0], WRITE_FRAMES):
            self._file.write(block[start: start + WRITE_FRAMES])

    def verify(self) -> LoudnessReport | None:
        if self.fmt not in LOSSY:
            return None
        self.close()
        meter = LoudnessMeter(self.samplerate, 2)
        with sf.SoundFile(self.path) as decoded:
            for piece in decoded.blocks(BLOCK, dtype="float32", always_2d=True):
                meter.feed(piece if piece.shape[1] == 2 else np.repeat(piece[:, :1], 2, axis=1))
        return meter.report()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _safe_name(text: str, fallback: str) -> str:
    return "".join(c if c.isalnum() or c in "-_ " else "_" for c in text).strip() or fallback


def default_path(studio: Studio, song: Song, purpose: ExportPurpose, fmt: str,
                 stems: bool = False) -> Path:
    safe = _safe_name(song.name, "song")
    if stems:
        return studio.paths.exports_dir / f"{safe} ({purpose.value}) stems"
    return studio.paths.exports_dir / f"{safe} ({purpose.value}){EXTENSIONS[fmt]}"


def master_preset_for(purpose: ExportPurpose, target: str | None, stems: bool) -> MasterPreset:
    """The mastering preset an export uses (see the module docstring for the defaults)."""
    if stems:
        if target not in (None, "none"):
            raise StudioError(STEMS_ARE_NOT_MASTERED)
        return NO_MASTER
    return find_master_preset(target or DEFAULT_TARGETS[purpose])


# --- the export ------------------------------------------------------------------------------
def export_song(studio: Studio, actor: Actor, song: Song, purpose: ExportPurpose, fmt: str,
                path: Path | None = None, *, target: str | None = None, stems: bool = False,
                progress: Progress | None = None, cancel: threading.Event | None = None,
                block: int = BLOCK) -> ExportResult:
    """Export ``song`` for ``purpose`` as ``fmt`` (a key of :data:`FORMATS`) to ``path``
    (default: the studio's exports folder), mastered to ``target`` (a preset in
    ``presets/masters``; default by purpose), or as stems into the folder ``path``.

    Raises :class:`~studio.core.i18n.Refused` when the gate says no (before anything is
    rendered, or after rendering if something changed meanwhile) and
    :class:`~studio.core.i18n.StudioError` for bad input, a cancel or a write error; in every
    such case nothing is left behind."""
    if fmt not in FORMATS:
        raise StudioError(UNKNOWN_FORMAT, format=fmt)
    preset = master_preset_for(purpose, target, stems)
    clearance = authorize_export(studio, actor, song, purpose)  # before anything is rendered
    frames = song_frames(studio, song)
    if frames == 0:
        raise StudioError(NOTHING_TO_EXPORT, song=song.name)
    destination = Path(path) if path is not None else default_path(studio, song, purpose, fmt,
                                                                     stems)
    destination = destination.expanduser().absolute()
    artist = ", ".join(clearance.decision.credits) if purpose is ExportPurpose.PUBLIC \
        else _alias_line(studio, song)
    if stems:
        return _export_stems(studio, actor, song, clearance, fmt, destination, artist, frames,
                             progress, cancel, block)
    return _export_file(studio, actor, song, clearance, fmt, destination, artist, frames,
                        preset, progress, cancel, block)


def _export_file(studio: Studio, actor: Actor, song: Song, clearance: Clearance, fmt: str,
                 target: Path, artist: str, frames: int, preset: MasterPreset,
                 progress: Progress | None, cancel: threading.Event | None, block: int
                 ) -> ExportResult:
    temp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    sink = FileSink(temp, song.samplerate, fmt, song.name, artist, frames)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            master = master_offline(song_blocks(studio, song, 0, frames, block), frames,
                                    song.samplerate, preset, sink, temp_dir=target.parent,
                                    block=block, progress=progress, cancel=cancel)
        finally:
            sink.close()
        _fsync(temp)
        _still_cleared(studio, actor, song, clearance.purpose, clearance)
        os.replace(temp, target)
        fsync_dir(target.parent)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        plain = _plain(error, target)
        if plain is error:
            raise
        raise plain from error
    _record_export(studio, actor, song, clearance, fmt, [target], preset.name, False)
    notes = _notes(master, sink.clipped)
    report = ExportReport(master.frames / song.samplerate, master,
                          [float(p) for p in sink.overview.peaks])
    return ExportResult(target, clearance.purpose, fmt, clearance.version, report.seconds,
                        sink.peak, artist, notes, preset.name, report)


def _notes(master: MasterResult, clipped: int) -> list[str]:
    notes = [CLIPPED.say(count=clipped)] if clipped else []
    if not master.on_target and master.target_lufs is not None \
            and master.ceiling_dbtp is not None:
        notes.append(OFF_TARGET.say(target=master.target_lufs, ceiling=master.ceiling_dbtp,
                                    loudness=master.after.integrated_lufs,
                                    peak=master.after.true_peak_dbtp))
    return notes


def _plain(error: BaseException, target: Path) -> BaseException:
    """The error as people should see it: a cancel or a write error in plain words."""
    if isinstance(error, Cancelled):
        return StudioError(CANCELLED)
    if isinstance(error, OSError):
        return StudioError(CANNOT_WRITE, path=str(target), why=error.strerror or str(error))
    if isinstance(error, sf.SoundFileRuntimeError):
        return StudioError(CANNOT_WRITE, path=str(target), why=str(error))
    return error


# --- stems -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Stem:
    name: str
    graph_track: GraphTrack


def _stems_of(studio: Studio, song: Song) -> tuple[list[_Stem], BusSettings]:
    """Every track that plays in the mix (clips or a beat), as a graph track of its own, and
    the buses."""
    tracks, buses = graph_parts(studio, song)
    plays = audible([t.mix for t in tracks])
    stems = [_Stem(t.name, GraphTrack(t.source, t.mix.with_changes(solo=False), t.preset,
                                      t.name))
             for t, on in zip(tracks, plays, strict=True) if on]
    return stems, buses


def _export_stems(studio: Studio, actor: Actor, song: Song, clearance: Clearance, fmt: str,
                  folder: Path, artist: str, frames: int, progress: Progress | None,
                  cancel: threading.Event | None, block: int) -> ExportResult:
    if folder.exists() and not folder.is_dir():
        raise StudioError(STEMS_FOLDER_IS_FILE, path=str(folder))
    if folder.is_dir() and any(folder.iterdir()):
        raise StudioError(STEMS_FOLDER_IN_USE, path=str(folder))
    stems, buses = _stems_of(studio, song)
    if not stems:
        raise StudioError(NOTHING_TO_EXPORT, song=song.name)
    temp = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    reports: list[StemReport] = []
    written: list[Path] = []
    peak = 0.0
    clipped = 0
    try:
        temp.mkdir(parents=True)
        for index, stem in enumerate(stems):
            name = f"{index + 1:02d} {_safe_name(stem.name, 'track')}{EXTENSIONS[fmt]}"
            sink = FileSink(temp / name, song.samplerate, fmt, f"{song.name} – {stem.name}",
                             artist, frames)

            def part(fraction: float, index: int = index) -> None:
                if progress is not None:
                    progress((index + fraction) / len(stems))

            try:
                with MixGraph([stem.graph_track], buses, song.samplerate, block,
                              default_threads()) as graph:
                    result = master_offline(graph.blocks(0, frames, block), frames,
                                            song.samplerate, NO_MASTER, sink, block=block,
                                            progress=part, cancel=cancel)
            finally:
                sink.close()
            _fsync(sink.path)
            peak = max(peak, sink.peak)
            clipped += sink.clipped
            written.append(folder / name)
            reports.append(StemReport(stem.name, str(folder / name), result.after,
                                      [float(p) for p in sink.overview.peaks]))
        fsync_dir(temp)
        _still_cleared(studio, actor, song, clearance.purpose, clearance)
        os.replace(temp, folder)  # an empty folder there is replaced; all stems or none
        fsync_dir(folder.parent)
    except BaseException as error:
        shutil.rmtree(temp, ignore_errors=True)
        plain = _plain(error, folder)
        if plain is error:
            raise
        raise plain from error
    _record_export(studio, actor, song, clearance, fmt, written, NO_MASTER.name, True)
    report = ExportReport(frames / song.samplerate, None, [], reports)
    notes = [CLIPPED.say(count=clipped)] if clipped else []
    return ExportResult(folder, clearance.purpose, fmt, clearance.version, report.seconds, peak,
                        artist, notes, NO_MASTER.name, report, written)


# --- the gate and the records ----------------------------------------------------------------
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
                   files: list[Path], master: str, stems: bool) -> None:
    """One audit entry for the export, and one ``exports`` row per file written (stems too:
    erasure deletes exports file by file)."""
    def run(conn: sqlite3.Connection) -> None:
        detail: dict[str, object] = {"version": clearance.version, "format": fmt,
                                     "gate_seq": clearance.audit_seq, "master": master}
        if stems:
            detail["stems"] = len(files)
        entry = record(conn, studio, actor, f"export.{clearance.purpose.value}",
                       f"song:{song.id}", song.member_id, **detail)
        for file in files:
            conn.execute(
                "INSERT INTO exports (song_id, version, purpose, format, path, seq, by_staff,"
                " at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (song.id, clearance.version, clearance.purpose.value, fmt, str(file),
                 entry.seq, actor.name, entry.at))

    studio.catalog.write(run)
