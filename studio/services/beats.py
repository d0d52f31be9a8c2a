"""Beats for people: starter beats, MIDI files, a song's beat track, and rendering.

- :func:`list_beats` reads every starter beat in ``presets/beats/`` (a broken file stops the
  listing with plain words naming it: they are our own data);
- :func:`find_beat` takes a starter beat's name or a path to a beat file; :func:`load_beat`
  also takes a MIDI file (``.mid``), imported with :mod:`studio.core.midi_to_beat`;
- :func:`read_midi_bytes` reads a MIDI file with a size cap (:data:`MAX_MIDI_BYTES`) and
  :func:`import_midi_file` makes a beat and a report of it;
- :func:`open_kit_for` takes ``"synth"``, a sample-kit folder (``kit.toml``), a Hydrogen
  drumkit folder or ``drumkit.xml``, or the name of a kit imported into the studio
  (:mod:`studio.services.kits`) or in ``presets/kits/``;
- :func:`render_beat` renders a beat (or one pattern looped) to a 24-bit WAV, block by block,
  through a temporary name that is renamed when the file is complete, so a failed render leaves
  nothing half-written and never replaces a good file;
- a song's beat: :func:`store_beat` (and :func:`new_song_beat` from a starter beat,
  :func:`import_midi_to_song` from a MIDI file) puts a beat in the song's beat track, at the
  song's tempo and in its time signature, with an audit entry in the same transaction; a
  member's song is changed only by signed-in staff whose role may edit songs.
  :func:`song_beat` reads it back and :func:`export_song_beat` writes it as a type 1 MIDI file,
  which for a member's song is a copy of the member's work leaving the studio: it passes the
  release gate (``member-copy``) first, and is recorded like every export.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.audio.beat import SYNTH, open_kit
from studio.audio.beat.kit import Kit
from studio.audio.beat.render import BeatRenderer
from studio.core.beat import (
    MAX_BARS,
    TEMPO_RANGE,
    VOICE_WORDS,
    Beat,
    dump_beat,
    parse_beat,
    validate_beat,
)
from studio.core.beat_timeline import BeatTimeline
from studio.core.gate import ExportPurpose
from studio.core.i18n import Refused, StudioError, Words
from studio.core.midi_to_beat import NOTHING_FOR_A_BEAT, MidiImport, beat_to_midi, import_midi
from studio.core.people import Action, Actor
from studio.core.preset import presets_folder
from studio.core.song import Song, Track
from studio.services.access import record, require
from studio.services.kits import kit_path
from studio.services.release import authorize_export
from studio.services.studio import Studio
from studio.store import people as people_store
from studio.store.catalog import name_key

__all__ = [
    "DEFAULT_TRACK",
    "MAX_MIDI_BYTES",
    "MIDI_SUFFIXES",
    "BeatExport",
    "RenderReport",
    "StoredBeat",
    "beats_folder",
    "export_song_beat",
    "find_beat",
    "import_midi_file",
    "import_midi_to_song",
    "list_beats",
    "load_beat",
    "load_beat_file",
    "new_song_beat",
    "open_kit_for",
    "read_midi_bytes",
    "render_beat",
    "song_beat",
    "store_beat",
]

DEFAULT_TRACK = "beat"
MAX_MIDI_BYTES = 16 << 20  # the largest real MIDI files are a few megabytes
MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".rmi", ".smf")

RENDER_BLOCK = 65536
MAX_RENDER_BARS = 4 * MAX_BARS
MAX_RENDER_SECONDS = 60 * 60
SAMPLERATES = (8000, 192000)

_CANNOT_READ = Words(
    nb="Beaten {file} kan ikke leses: {detail}",
    en="The beat {file} can't be read: {detail}",
)
_NO_FOLDER = Words(
    nb="Mappen med beats finnes ikke: {folder}.",
    en="The folder with beats does not exist: {folder}.",
)
_NOT_FOUND = Words(
    nb="Fant ikke beaten «{name}». Disse finnes: {available}.",
    en="Could not find the beat '{name}'. These exist: {available}.",
)
_BAD_BARS = Words(
    nb="Antall takter må være et helt tall fra 1 til {most}, ikke {value}.",
    en="The number of bars must be a whole number from 1 to {most}, not {value}.",
)
_BAD_TEMPO = Words(
    nb="Tempoet må være mellom {low:g} og {high:g} BPM, ikke {value:g}.",
    en="The tempo must be between {low:g} and {high:g} BPM, not {value:g}.",
)
_TEMPO_PUSHES_SECTION = Words(
    nb="Med {value:g} BPM ville delen «{section}» gå i {section_tempo:.1f} BPM, utenfor "
       "{low:g}-{high:g}. Velg et annet tempo.",
    en="At {value:g} BPM the section '{section}' would play at {section_tempo:.1f} BPM, outside "
       "{low:g}-{high:g}. Choose another tempo.",
)
_NO_PATTERN = Words(
    nb="Beaten «{beat}» har ikke noe mønster som heter «{name}». Mønstrene er: {available}.",
    en="The beat '{beat}' has no pattern called '{name}'. The patterns are: {available}.",
)
_BAD_RATE = Words(
    nb="Samplingsfrekvensen må være mellom {low} og {high} Hz, ikke {value}.",
    en="The sample rate must be between {low} and {high} Hz, not {value}.",
)
_TOO_LONG = Words(
    nb="Det ville blitt {minutes:.0f} minutter lyd; høyst {most:.0f} minutter går an. "
       "Velg færre takter eller et raskere tempo.",
    en="That would be {minutes:.0f} minutes of sound; at most {most:.0f} minutes are possible. "
       "Choose fewer bars or a faster tempo.",
)
_NOT_WAV = Words(
    nb="Lydfila må hete noe med .wav på slutten (for eksempel beat.wav), ikke {path}.",
    en="The sound file's name must end in .wav (for example beat.wav), not {path}.",
)
_NO_OUT_FOLDER = Words(
    nb="Mappen {folder} finnes ikke, så {path} kan ikke lagres der.",
    en="The folder {folder} does not exist, so {path} can't be saved there.",
)
_CANNOT_WRITE = Words(
    nb="Kunne ikke lagre {path}: {detail}. Ingenting ble overskrevet.",
    en="Could not save {path}: {detail}. Nothing was overwritten.",
)
_SUBSTITUTE = Words(
    nb="Trommesettet har ingen {voice}, så {other} spiller i stedet.",
    en="The kit has no {voice}, so {other} plays instead.",
)
_SILENT = Words(
    nb="Trommesettet har ingen {voice} (og ingen lyd som ligner), så de slagene er stille.",
    en="The kit has no {voice} (and nothing like it), so those hits are silent.",
)


def beats_folder() -> Path:
    """``presets/beats`` (under ``$STUDIO_PRESETS`` when that is set)."""
    return presets_folder() / "beats"


def load_beat_file(path: Path | str) -> Beat:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise StudioError(_CANNOT_READ, file=str(path),
                          detail=error.strerror or str(error)) from None
    except UnicodeDecodeError:
        raise StudioError(_CANNOT_READ, file=str(path),
                          detail="not UTF-8 text / ikke UTF-8-tekst") from None
    return parse_beat(text, str(path))


def list_beats(folder: Path | str | None = None) -> list[tuple[Beat, Path]]:
    """Every beat in ``folder`` (default: the starter beats) with its file, sorted by name."""
    where = beats_folder() if folder is None else Path(folder)
    if not where.is_dir():
        raise StudioError(_NO_FOLDER, folder=str(where))
    beats = [(load_beat_file(p), p) for p in sorted(where.glob("*.toml")) if p.is_file()]
    return sorted(beats, key=lambda item: item[0].name)


def find_beat(spec: str, folder: Path | str | None = None) -> Beat:
    """A beat by path (``something.toml``) or by the name of a starter beat."""
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".toml" and path.is_file():
        return load_beat_file(path)
    where = beats_folder() if folder is None else Path(folder)
    if where.is_dir() and "/" not in spec and "\\" not in spec:
        candidate = where / f"{spec}.toml"
        if candidate.is_file():
            return load_beat_file(candidate)
    beats = list_beats(where)
    for beat, _ in beats:
        if beat.name.casefold() == spec.strip().casefold():
            return beat
    available = ", ".join(beat.name for beat, _ in beats) or "-"
    raise StudioError(_NOT_FOUND, name=spec, available=available)


def open_kit_for(spec: str | None, beat: Beat | None, samplerate: int) -> Kit:
    """The kit ``spec`` names (default: the beat's own kit, else the built-in one): ``synth``,
    a path, or the name of a kit imported into the studio or in ``presets/kits``."""
    chosen = (spec or (beat.kit if beat is not None else SYNTH)).strip()
    return open_kit(kit_path(chosen), samplerate)


@dataclass(frozen=True)
class RenderReport:
    path: Path
    beat: str
    frames: int
    samplerate: int
    bars: int
    tempo_bpm: float
    kit: str
    peak_dbfs: float
    render_seconds: float
    notes: list[Words] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path), "beat": self.beat, "frames": self.frames,
            "samplerate": self.samplerate, "seconds": round(self.seconds, 3), "bars": self.bars,
            "tempo_bpm": self.tempo_bpm, "kit": self.kit,
            "peak_dbfs": round(self.peak_dbfs, 2), "render_seconds": round(self.render_seconds, 3),
            "notes": [n.say() for n in self.notes], "notes_en": [n.say("en") for n in self.notes],
        }


def _checked_tempo(beat: Beat, tempo: float | None) -> Beat:
    if tempo is None:
        return beat
    low, high = TEMPO_RANGE
    if not (low <= tempo <= high):  # also false for NaN
        raise StudioError(_BAD_TEMPO, low=low, high=high, value=tempo)
    changed = beat.with_tempo(tempo)
    for section, section_tempo in zip(changed.arrangement, changed.section_tempos(), strict=True):
        if not low <= section_tempo <= high:
            raise StudioError(_TEMPO_PUSHES_SECTION, value=tempo, section=section.name,
                              section_tempo=section_tempo, low=low, high=high)
    return changed


def _output_path(output: Path | str) -> Path:
    out = Path(output).expanduser()
    if out.suffix.lower() != ".wav":
        raise StudioError(_NOT_WAV, path=str(out))
    if not out.parent.is_dir():
        raise StudioError(_NO_OUT_FOLDER, folder=str(out.parent), path=str(out))
    return out


def render_beat(spec: str, output: Path | str, *, bars: int | None = None,
                tempo: float | None = None, kit: str | None = None, pattern: str | None = None,
                samplerate: int = 48000) -> RenderReport:
    """Render a starter beat or beat file to a 24-bit WAV; see the module docstring.

    ``bars`` cuts (or repeats) the arrangement to that many bars; with ``pattern`` only that
    pattern plays, looped for ``bars`` bars (4 if not given). ``tempo`` changes the tempo
    (section tempo changes keep their ratio to it).
    """
    if bars is not None and not 1 <= bars <= MAX_RENDER_BARS:
        raise StudioError(_BAD_BARS, most=MAX_RENDER_BARS, value=bars)
    low, high = SAMPLERATES
    if not low <= samplerate <= high:
        raise StudioError(_BAD_RATE, low=low, high=high, value=samplerate)
    out = _output_path(output)
    beat = _checked_tempo(load_beat(spec), tempo)
    if pattern is not None and pattern not in {p.name for p in beat.patterns}:
        raise StudioError(_NO_PATTERN, beat=beat.name, name=pattern,
                          available=", ".join(p.name for p in beat.patterns))
    if pattern is not None and bars is None:
        bars = 4
    length = BeatTimeline(beat, samplerate, pattern=pattern, bars=bars).length_frames or 0
    if length > MAX_RENDER_SECONDS * samplerate:
        raise StudioError(_TOO_LONG, minutes=length / samplerate / 60,
                          most=MAX_RENDER_SECONDS / 60)
    drum_kit = open_kit_for(kit, beat, samplerate)
    started = time.perf_counter()
    renderer = BeatRenderer(beat, drum_kit, samplerate, pattern=pattern, bars=bars)
    total = renderer.total_frames
    temporary = out.with_name(f".{out.name}.{os.getpid()}.partial")
    peak = 0.0
    try:
        with sf.SoundFile(str(temporary), "w", samplerate=samplerate, channels=2,
                          format="WAV", subtype="PCM_24") as handle:
            for first in range(0, total, RENDER_BLOCK):
                block = renderer.render(first, min(RENDER_BLOCK, total - first))
                peak = max(peak, float(np.max(np.abs(block))) if len(block) else 0.0)
                handle.write(block)
        os.replace(temporary, out)
    except (OSError, sf.LibsndfileError, RuntimeError) as error:
        temporary.unlink(missing_ok=True)
        detail = getattr(error, "strerror", None) or str(error)
        raise StudioError(_CANNOT_WRITE, path=str(out), detail=detail) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    elapsed = time.perf_counter() - started
    notes = list(drum_kit.notes) if drum_kit.name != SYNTH else []
    for voice, other in renderer.substitutes.items():
        a, b = VOICE_WORDS[voice], VOICE_WORDS[other]
        notes.append(Words(_SUBSTITUTE.say("nb", voice=a.nb, other=b.nb),
                           _SUBSTITUTE.say("en", voice=a.en, other=b.en)))
    for voice in renderer.silent_voices:
        words = VOICE_WORDS[voice]
        notes.append(Words(_SILENT.say("nb", voice=words.nb), _SILENT.say("en", voice=words.en)))
    played_bars = bars if bars is not None else beat.bars
    return RenderReport(
        path=out, beat=beat.name, frames=total, samplerate=samplerate, bars=played_bars,
        tempo_bpm=beat.tempo, kit=drum_kit.name,
        peak_dbfs=20 * float(np.log10(max(peak, 1e-10))), render_seconds=elapsed, notes=notes)


# --- MIDI files ------------------------------------------------------------------------------

_MIDI_MISSING = Words(nb="Fant ikke MIDI-fila {path}.", en="Could not find the MIDI file {path}.")
_MIDI_UNREADABLE = Words(
    nb="MIDI-fila {path} kan ikke leses: {detail}.",
    en="The MIDI file {path} can't be read: {detail}.",
)
_MIDI_TOO_BIG = Words(
    nb="MIDI-fila {path} er større enn {most} MB; ekte MIDI-filer er mye mindre, så det er "
       "nok ikke en MIDI-fil.",
    en="The MIDI file {path} is larger than {most} MB; real MIDI files are far smaller, so it "
       "is probably not a MIDI file.",
)
_MIDI_REFUSED = Words(nb="{path}: {reason}", en="{path}: {reason}")


def read_midi_bytes(path: Path | str) -> bytes:
    """The bytes of a MIDI file, at most :data:`MAX_MIDI_BYTES` (plain words otherwise)."""
    where = Path(path).expanduser()
    try:
        with where.open("rb") as handle:
            data = handle.read(MAX_MIDI_BYTES + 1)
    except FileNotFoundError:
        raise StudioError(_MIDI_MISSING, path=str(where)) from None
    except OSError as error:
        raise StudioError(_MIDI_UNREADABLE, path=str(where),
                          detail=error.strerror or str(error)) from None
    if len(data) > MAX_MIDI_BYTES:
        raise StudioError(_MIDI_TOO_BIG, path=str(where), most=MAX_MIDI_BYTES >> 20)
    return data


def import_midi_file(path: Path | str) -> MidiImport:
    """A MIDI file as a beat and a report; refused in plain words (naming the file) only when
    nothing in it can be trusted."""
    where = Path(path).expanduser()
    data = read_midi_bytes(where)
    try:
        return import_midi(data, name=where.stem, source=where.name)
    except StudioError as error:
        reason = Words(error.say("nb"), error.say("en"))
        raise StudioError(_MIDI_REFUSED, path=where.name, reason=reason) from None


def _beat_of_import(found: MidiImport, path: Path) -> Beat:
    if found.beat is None:
        raise StudioError(_MIDI_REFUSED, path=path.name, reason=NOTHING_FOR_A_BEAT)
    return found.beat


def load_beat(spec: str) -> Beat:
    """A starter beat by name, a beat file (``.toml``) or a MIDI file (``.mid``)."""
    path = Path(spec).expanduser()
    if path.suffix.lower() in MIDI_SUFFIXES:
        return _beat_of_import(import_midi_file(path), path)
    return find_beat(spec)


# --- a song's beat ---------------------------------------------------------------------------

NEEDS_SIGN_IN = Words(
    nb="Å endre beaten i sangen til {alias} krever at en ansatt logger inn (--as NAVN).",
    en="Changing the beat of {alias}'s song needs a staff member to sign in (--as NAME).",
)
EXPORT_NEEDS_SIGN_IN = Words(
    nb="Sangen er {alias} sin; å ta beaten ut av studioet krever at en ansatt logger inn "
       "(--as NAVN).",
    en="The song is {alias}'s; taking its beat out of the studio needs a staff member to sign "
       "in (--as NAME).",
)
_METER_DIFFERS = Words(
    nb="Beaten går i {beat_meter}, men sangen «{song}» går i {song_meter}; de må være like.",
    en="The beat is in {beat_meter} but the song \"{song}\" is in {song_meter}; they must be "
       "the same.",
)
_AT_SONG_TEMPO = Words(
    nb="Beaten «{beat}» er laget for {beat_tempo:g} BPM; i sangen spiller den i sangens "
       "{song_tempo:g} BPM.",
    en="The beat '{beat}' was made for {beat_tempo:g} BPM; in the song it plays at the song's "
       "{song_tempo:g} BPM.",
)
_NOT_A_BEAT_TRACK = Words(
    nb="Sporet «{name}» i sangen «{song}» er ikke et beat-spor.",
    en="The track \"{name}\" in the song \"{song}\" is not a beat track.",
)
_TRACK_NAME_EMPTY = Words(nb="Sporet må ha et navn.", en="The track needs a name.")
_NO_BEAT = Words(
    nb="Sangen «{song}» har ingen beat ennå. Lag en med: studio beat new \"{song}\" --preset "
       "boom-bap",
    en="The song \"{song}\" has no beat yet. Make one with: studio beat new \"{song}\" "
       "--preset boom-bap",
)
_WHICH_BEAT = Words(
    nb="Sangen «{song}» har flere beat-spor ({tracks}); velg ett med --track.",
    en="The song \"{song}\" has several beat tracks ({tracks}); choose one with --track.",
)
_NO_SUCH_BEAT_TRACK = Words(
    nb="Sangen «{song}» har ikke noe beat-spor som heter «{name}». Beat-sporene er: {tracks}.",
    en="The song \"{song}\" has no beat track called \"{name}\". Its beat tracks are: "
       "{tracks}.",
)
_NOT_MID = Words(
    nb="MIDI-fila må hete noe med .mid på slutten (for eksempel beat.mid), ikke {path}.",
    en="The MIDI file's name must end in .mid (for example beat.mid), not {path}.",
)


@dataclass(frozen=True)
class StoredBeat:
    song: Song
    track: Track
    beat: Beat  # as stored: at the song's tempo, with its kit
    notes: tuple[Words, ...] = ()


def _may_edit(studio: Studio, song: Song, actor: Actor | None) -> None:
    """A member's song is changed only by signed-in staff whose role may edit songs; a practice
    song (no artist) may be changed by anyone at the console."""
    if actor is not None:
        require(actor, Action.EDIT_SONG)
    elif song.member_id is not None:
        member_id = song.member_id
        member = studio.catalog.read(lambda conn: people_store.member_by_id(conn, member_id))
        raise Refused(NEEDS_SIGN_IN, alias=member.alias)


def _for_song(beat: Beat, song: Song, kit: str) -> tuple[Beat, list[Words]]:
    """The beat at the song's tempo and with ``kit``, checked; notes for people."""
    if (beat.beats_per_bar, beat.beat_unit) != (song.beats_per_bar, song.beat_unit):
        raise StudioError(_METER_DIFFERS, beat_meter=f"{beat.beats_per_bar}/{beat.beat_unit}",
                          song=song.name, song_meter=f"{song.beats_per_bar}/{song.beat_unit}")
    notes: list[Words] = []
    changed = beat
    if abs(beat.tempo - song.tempo_bpm) > 1e-9:
        changed = _checked_tempo(beat, song.tempo_bpm)
        values = {"beat": beat.name, "beat_tempo": beat.tempo, "song_tempo": song.tempo_bpm}
        notes.append(Words(_AT_SONG_TEMPO.say("nb", **values), _AT_SONG_TEMPO.say("en", **values)))
    return validate_beat(replace(changed, kit=kit), f"{song.name}: {beat.name}"), notes


def _track_name(name: str) -> str:
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise StudioError(_TRACK_NAME_EMPTY)
    return cleaned


def _put_beat(conn: sqlite3.Connection, song: Song, name: str, text: str, kit: str) -> int:
    """Write the beat into the song's beat track ``name`` (made if missing); its id."""
    row = conn.execute("SELECT id, kind, name FROM tracks WHERE song_id = ? AND name_key = ?",
                       (song.id, name_key(name))).fetchone()
    if row is not None and row["kind"] != "beat":
        raise StudioError(_NOT_A_BEAT_TRACK, name=row["name"], song=song.name)
    if row is None:
        order = conn.execute("SELECT COALESCE(MAX(ord), -1) + 1 FROM tracks WHERE song_id = ?",
                             (song.id,)).fetchone()[0]
        cursor = conn.execute(
            "INSERT INTO tracks (song_id, name, name_key, kind, channels, ord)"
            " VALUES (?, ?, ?, 'beat', 2, ?)", (song.id, name, name_key(name), order))
        track_id = int(cursor.lastrowid or 0)
    else:
        track_id = int(row["id"])
    conn.execute("UPDATE tracks SET beat = ?, kit = ? WHERE id = ?", (text, kit, track_id))
    return track_id


def store_beat(studio: Studio, actor: Actor | None, song: Song, beat: Beat, *,
               track: str = DEFAULT_TRACK, kit: str | None = None, source: str = "") -> StoredBeat:
    """Put ``beat`` in the song's beat track (made if the song lacks it), at the song's tempo,
    with an audit entry in the same transaction. ``kit`` defaults to the beat's own."""
    _may_edit(studio, song, actor)
    name = _track_name(track)
    kit_name = (kit or beat.kit or SYNTH).strip()
    kit_path(kit_name)  # an unknown kit is said now, not when the song plays
    stored, notes = _for_song(beat, song, kit_name)
    text = dump_beat(stored)

    def run(conn: sqlite3.Connection) -> int:
        track_id = _put_beat(conn, song, name, text, kit_name)
        record(conn, studio, actor, "song.beat", f"song:{song.id}", song.member_id,
               track=f"track:{track_id}", beat=stored.name, source=source, kit=kit_name,
               bars=stored.bars, patterns=len(stored.patterns))
        return track_id

    track_id = studio.catalog.write(run)
    return StoredBeat(song, studio.catalog.track(track_id), stored, tuple(notes))


def new_song_beat(studio: Studio, actor: Actor | None, song: Song, preset: str, *,
                  track: str = DEFAULT_TRACK, kit: str | None = None) -> StoredBeat:
    """A starter beat (or a beat file) in the song's beat track."""
    beat = find_beat(preset)
    return store_beat(studio, actor, song, beat, track=track, kit=kit,
                      source=f"preset:{beat.name}")


def import_midi_to_song(studio: Studio, actor: Actor | None, song: Song, path: Path | str, *,
                        track: str = DEFAULT_TRACK, kit: str | None = None
                        ) -> tuple[MidiImport, StoredBeat]:
    """A MIDI file's beat in the song's beat track (refused when the file has no beat in it)."""
    _may_edit(studio, song, actor)  # before reading: a refusal does not depend on the file
    where = Path(path).expanduser()
    found = import_midi_file(where)
    beat = _beat_of_import(found, where)
    return found, store_beat(studio, actor, song, beat, track=track, kit=kit,
                             source=f"midi:{where.name}")


def _beat_tracks(studio: Studio, song: Song) -> list[tuple[Track, tuple[str, str]]]:
    found = []
    for t in studio.tracks(song):
        if t.kind == "beat":
            document = studio.catalog.beat_of(t.id)
            if document is not None:
                found.append((t, document))
    return found


def song_beat(studio: Studio, song: Song, track: str | None = None) -> tuple[Track, Beat]:
    """The song's beat (its only beat track, or the one called ``track``)."""
    tracks = _beat_tracks(studio, song)
    if not tracks:
        raise StudioError(_NO_BEAT, song=song.name)
    names = ", ".join(t.name for t, _ in tracks)
    if track is None:
        if len(tracks) > 1:
            raise StudioError(_WHICH_BEAT, song=song.name, tracks=names)
        chosen = tracks[0]
    else:
        wanted = name_key(track)
        match = [item for item in tracks if name_key(item[0].name) == wanted]
        if not match:
            raise StudioError(_NO_SUCH_BEAT_TRACK, song=song.name, name=track, tracks=names)
        chosen = match[0]
    found, (text, kit) = chosen
    return found, replace(parse_beat(text, f"{song.name}: {found.name}"), kit=kit)


@dataclass(frozen=True)
class BeatExport:
    path: Path
    song: str
    track: str
    bars: int
    seconds: float
    drum_notes: int
    bass_notes: int
    version: str | None  # the song version the gate cleared (a member's song)

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "song": self.song, "track": self.track,
                "bars": self.bars, "seconds": round(self.seconds, 3),
                "drum_notes": self.drum_notes, "bass_notes": self.bass_notes,
                "version": self.version}


def _midi_output(output: Path | str) -> Path:
    out = Path(output).expanduser()
    if out.suffix.lower() not in (".mid", ".midi"):
        raise StudioError(_NOT_MID, path=str(out))
    if not out.parent.is_dir():
        raise StudioError(_NO_OUT_FOLDER, folder=str(out.parent), path=str(out))
    return out


def _write_file(out: Path, data: bytes) -> None:
    temporary = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise StudioError(_CANNOT_WRITE, path=str(out),
                          detail=error.strerror or str(error)) from None


def export_song_beat(studio: Studio, actor: Actor | None, song: Song, output: Path | str, *,
                     track: str | None = None) -> BeatExport:
    """The song's beat as a type 1 MIDI file at ``output``; see the module docstring."""
    out = _midi_output(output)
    found, beat = song_beat(studio, song, track)
    clearance = None
    if song.member_id is not None:
        if actor is None:
            member_id = song.member_id
            member = studio.catalog.read(lambda conn: people_store.member_by_id(conn, member_id))
            raise Refused(EXPORT_NEEDS_SIGN_IN, alias=member.alias)
        clearance = authorize_export(studio, actor, song, ExportPurpose.MEMBER_COPY)
    data = beat_to_midi(beat)
    _write_file(out, data)
    if clearance is not None and actor is not None:
        cleared, who = clearance, actor

        def run(conn: sqlite3.Connection) -> None:
            entry = record(conn, studio, who, f"export.{cleared.purpose.value}", f"song:{song.id}",
                           song.member_id, version=cleared.version, format="midi",
                           gate_seq=cleared.audit_seq, track=f"track:{found.id}")
            conn.execute(
                "INSERT INTO exports (song_id, version, purpose, format, path, seq, by_staff,"
                " at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (song.id, cleared.version, cleared.purpose.value, "midi", str(out), entry.seq,
                 who.name, entry.at))

        studio.catalog.write(run)
    timeline = BeatTimeline(beat, song.samplerate)
    events = timeline.events(0, timeline.length_frames or 0)
    return BeatExport(out, song.name, found.name, beat.bars, beat.seconds, len(events.hits),
                      len(events.bass), clearance.version if clearance else None)
