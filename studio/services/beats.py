"""Beats for people: the starter beats, and rendering a beat to a WAV file.

- :func:`list_beats` reads every starter beat in ``presets/beats/`` (a broken file stops the
  listing with plain words naming it: they are our own data);
- :func:`find_beat` takes a starter beat's name or a path to a beat file;
- :func:`open_kit_for` takes ``"synth"``, a sample-kit folder (``kit.toml``), a Hydrogen
  drumkit folder or ``drumkit.xml``, or the name of a kit folder in ``presets/kits/``;
- :func:`render_beat` renders a beat (or one pattern looped) to a 24-bit WAV, block by block,
  through a temporary name that is renamed when the file is complete, so a failed render leaves
  nothing half-written and never replaces a good file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.audio.beat import SYNTH, open_kit
from studio.audio.beat.kit import Kit
from studio.audio.beat.render import BeatRenderer
from studio.core.beat import MAX_BARS, TEMPO_RANGE, VOICE_WORDS, Beat, parse_beat
from studio.core.beat_timeline import BeatTimeline
from studio.core.i18n import StudioError, Words
from studio.core.preset import presets_folder

__all__ = [
    "RenderReport",
    "beats_folder",
    "find_beat",
    "list_beats",
    "load_beat_file",
    "open_kit_for",
    "render_beat",
]

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
    """The kit ``spec`` names (default: the beat's own kit, else the built-in one)."""
    chosen = (spec or (beat.kit if beat is not None else SYNTH)).strip()
    named = presets_folder() / "kits" / chosen
    if chosen.lower() != SYNTH and not Path(chosen).expanduser().exists() and named.is_dir():
        return open_kit(named, samplerate)
    return open_kit(chosen, samplerate)


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
    beat = _checked_tempo(find_beat(spec), tempo)
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
