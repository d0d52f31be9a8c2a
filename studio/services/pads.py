"""Playing the kit live from pads or a keyboard, MIDI-learn, and recording into a pattern.

- :class:`PadMapping`: which note plays which voice on one device. The default is General MIDI
  percussion (:data:`studio.core.drum_map.GM`: 36 kick, 38 snare, 42 closed hat …), which most
  pads send out of the box; notes taught with MIDI-learn come first.
- :class:`PadMappings`: the learned notes of every device, kept by device name in one small
  JSON file, ``STUDIO_HOME/midi/pads.json``, written to a temporary name and renamed.
- :class:`PadSession` reads a :class:`~studio.audio.midi_ports.MidiInput`, turns note-ons into
  voices, plays them through a :class:`PadOutput` (the engine or the console implements it),
  and, while a :class:`PadRecorder` is given, collects (song frame, voice, velocity) for the
  pattern. After :meth:`PadSession.learn`, the next note-on from the device is taught to that
  voice (it sounds too, so the person hears what they set) and is saved at once.
- :meth:`PadRecorder.apply` writes what was collected into a pattern with quantise
  (:mod:`studio.core.pad_record`).
- :func:`open_pad_session` opens a device (the first one, or by name) with its saved mapping.
  Messages are read with :meth:`PadSession.poll` (the UI's timer); with ``callback=True`` they
  are handled as they arrive, on rtmidi's thread, so the :class:`PadOutput` must then be safe to
  call from another thread (a command queue to the engine is).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import mido

from studio.audio.midi_ports import MidiInput, open_input
from studio.core.beat import VOICE_WORDS, VOICES, Pattern
from studio.core.drum_map import GM
from studio.core.i18n import StudioError, Words
from studio.core.pad_record import LoopClock, PadHit, Placement, Quantise, record_hits

__all__ = [
    "MAPPINGS_FILE",
    "PadEvent",
    "PadMapping",
    "PadMappings",
    "PadOutput",
    "PadRecorder",
    "PadSession",
    "midi_folder",
    "open_pad_session",
]

MAPPINGS_FILE = "pads.json"
_MAX_FILE = 1 << 20
_MAX_DEVICES = 256

_BAD_VOICE = Words(
    nb="«{voice}» er ingen lyd i trommesettet. Lydene er: {voices}.",
    en="'{voice}' is not a sound of the kit. The sounds are: {voices}.",
)
_BAD_NOTE = Words(nb="En MIDI-tone er et tall fra 0 til 127, ikke {note}.",
                  en="A MIDI note is a number from 0 to 127, not {note}.")
_CANNOT_SAVE = Words(
    nb="Kunne ikke lagre pad-oppsettet i {path}: {detail}. Det gamle oppsettet er beholdt.",
    en="Could not save the pad settings in {path}: {detail}. The old settings were kept.",
)
LEARNED = Words(nb="Tone {note} spiller nå {voice}.", en="Note {note} now plays {voice}.")


class PadOutput(Protocol):
    """Where pads sound: the engine (through the console) implements it."""

    def trigger_pad(self, voice: str, velocity: int) -> None: ...

    def playhead_frame(self) -> int: ...


def midi_folder(home: Path) -> Path:
    """``<studio folder>/midi`` (not created here)."""
    return home / "midi"


def _check_voice(voice: str) -> str:
    if voice not in VOICES:
        raise StudioError(_BAD_VOICE, voice=voice, voices=", ".join(VOICES))
    return voice


@dataclass
class PadMapping:
    """Which voice each note of one device plays."""

    device: str
    learned: dict[int, str] = field(default_factory=dict)  # note → voice, taught by MIDI-learn

    def voice_for(self, note: int) -> str | None:
        """The learned voice for ``note``, else its General MIDI percussion voice, else None."""
        return self.learned.get(note) or GM.voice(note)

    def assign(self, note: int, voice: str) -> None:
        if not 0 <= note <= 127:
            raise StudioError(_BAD_NOTE, note=note)
        self.learned[note] = _check_voice(voice)

    def notes_for(self, voice: str) -> list[int]:
        """Every note that plays ``voice`` (learned ones first)."""
        learned = sorted(n for n, v in self.learned.items() if v == voice)
        default = [n for n in range(128) if n not in self.learned and GM.voice(n) == voice]
        return learned + default

    def to_json(self) -> dict[str, str]:
        return {str(note): voice for note, voice in sorted(self.learned.items())}

    @classmethod
    def from_json(cls, device: str, data: object) -> PadMapping:
        """Read leniently: entries that make no sense are dropped, never an error."""
        learned: dict[int, str] = {}
        if isinstance(data, Mapping):
            for key, voice in data.items():
                if (isinstance(key, str) and key.isdigit() and 0 <= int(key) <= 127
                        and voice in VOICES):
                    learned[int(key)] = str(voice)
        return cls(device, learned)


class PadMappings:
    """The learned mappings of every device, in ``<folder>/pads.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MAPPINGS_FILE

    def _read(self) -> dict[str, object]:
        try:
            with self.path.open("rb") as handle:
                raw = handle.read(_MAX_FILE)
            data = json.loads(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return {}  # none yet, or unreadable: start from the defaults
        devices = data.get("devices") if isinstance(data, dict) else None
        return dict(devices) if isinstance(devices, dict) else {}

    def devices(self) -> list[str]:
        return sorted(self._read())

    def load(self, device: str) -> PadMapping:
        return PadMapping.from_json(device, self._read().get(device))

    def save(self, mapping: PadMapping) -> None:
        devices = {name: PadMapping.from_json(name, data).to_json()
                   for name, data in self._read().items()}
        devices[mapping.device] = mapping.to_json()
        if len(devices) > _MAX_DEVICES:
            devices = {k: devices[k] for k in [*sorted(devices)[-_MAX_DEVICES:],
                                               mapping.device]}
        self._write({"devices": {k: v for k, v in sorted(devices.items()) if v}})

    def forget(self, device: str) -> None:
        devices = {name: PadMapping.from_json(name, data).to_json()
                   for name, data in self._read().items() if name != device}
        self._write({"devices": devices})

    def _write(self, data: dict[str, object]) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with temporary.open("w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise StudioError(_CANNOT_SAVE, path=str(self.path),
                              detail=error.strerror or str(error)) from None


class PadRecorder:
    """Collects the hits played while recording, for :meth:`apply`."""

    def __init__(self) -> None:
        self.hits: list[PadHit] = []

    def add(self, frame: int, voice: str, velocity: int) -> None:
        self.hits.append(PadHit(frame, _check_voice(voice), velocity))

    def clear(self) -> None:
        self.hits.clear()

    def apply(self, pattern: Pattern, clock: LoopClock, quantise: Quantise
              ) -> tuple[Pattern, tuple[Placement, ...]]:
        """``pattern`` with every collected hit written in (the hits stay collected)."""
        return record_hits(pattern, clock, self.hits, quantise)


@dataclass(frozen=True)
class PadEvent:
    """What one incoming note did."""

    note: int
    velocity: int
    voice: str | None  # None: the note plays nothing
    frame: int | None  # the song frame it was recorded at (None: not recorded)
    learned: bool = False

    def words(self) -> Words | None:
        if not self.learned or self.voice is None:
            return None
        voice = VOICE_WORDS[self.voice]
        return Words(LEARNED.say("nb", note=self.note, voice=voice.nb),
                     LEARNED.say("en", note=self.note, voice=voice.en))


class PadSession:
    """Routes a MIDI input to voices; see the module docstring."""

    def __init__(self, port: MidiInput, output: PadOutput, mapping: PadMapping,
                 recorder: PadRecorder | None = None, store: PadMappings | None = None) -> None:
        self.port = port
        self.output = output
        self.mapping = mapping
        self.recorder = recorder
        self.store = store
        self._learning: str | None = None

    @property
    def learning(self) -> str | None:
        """The voice waiting for its note (MIDI-learn), or None."""
        return self._learning

    def learn(self, voice: str) -> None:
        """Teach the next note-on from the device to ``voice``."""
        self._learning = _check_voice(voice)

    def cancel_learn(self) -> None:
        self._learning = None

    def handle(self, message: mido.Message) -> PadEvent | None:
        """React to one message; note-ons (velocity above 0) play, everything else is ignored."""
        if message.type != "note_on" or message.velocity == 0:
            return None
        note, velocity = int(message.note), int(message.velocity)
        if self._learning is not None:
            voice = self._learning
            self.mapping.assign(note, voice)
            self._learning = None
            if self.store is not None:
                self.store.save(self.mapping)
            self.output.trigger_pad(voice, velocity)
            return PadEvent(note, velocity, voice, None, learned=True)
        played = self.mapping.voice_for(note)
        if played is None:
            return PadEvent(note, velocity, None, None)
        frame = None
        if self.recorder is not None:
            frame = self.output.playhead_frame()  # when it arrived, before anything else
            self.recorder.add(frame, played, velocity)
        self.output.trigger_pad(played, velocity)
        return PadEvent(note, velocity, played, frame)

    def poll(self) -> list[PadEvent]:
        """Handle every message that arrived since the last call."""
        events = []
        for message in self.port.poll():
            event = self.handle(message)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> None:
        self.port.close()


def open_pad_session(home: Path, output: PadOutput, device: str | None = None,
                     recorder: PadRecorder | None = None, *, callback: bool = False
                     ) -> PadSession:
    """A session on the MIDI input ``device`` (the first one there is when None), with the
    mapping saved for it under ``home``; plain words when there is no such device."""
    store = PadMappings(midi_folder(home))
    holder: list[PadSession] = []

    def arrived(message: mido.Message) -> None:
        if holder:
            holder[0].handle(message)

    port = open_input(device, callback=arrived if callback else None)
    pads = PadSession(port, output, store.load(port.name), recorder, store)
    holder.append(pads)
    return pads
