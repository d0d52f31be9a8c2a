"""MIDI input ports: pads and keyboards through mido and python-rtmidi, and a virtual port.

Everything that reads MIDI input goes through :class:`MidiInput`: ``poll()`` returns the
messages that arrived since the last call (never blocks) and ``close()`` lets the port go.

- :class:`MidoInput` wraps a port opened with ``mido.open_input`` (the python-rtmidi backend).
  With a ``callback`` the messages go straight to it, on rtmidi's own thread, and ``poll()``
  returns nothing;
- :class:`VirtualInput` is a port a test (or the UI's on-screen pads) pushes messages into.

:func:`list_inputs` never raises: on a machine without a MIDI system (no ALSA sequencer, as in
containers and on many servers; rtmidi then fails to create its client) it says so plainly in
:attr:`PortListing.problem` and lists nothing. :func:`open_input` raises a
:class:`~studio.core.i18n.StudioError` with plain words instead.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import mido

from studio.core.i18n import StudioError, Words

__all__ = [
    "NO_MIDI_DEVICES",
    "NO_MIDI_SYSTEM",
    "MidiInput",
    "MidoInput",
    "PortListing",
    "VirtualInput",
    "list_inputs",
    "open_input",
]

ALSA_SEQUENCER = Path("/dev/snd/seq")

NO_MIDI_SYSTEM = Words(
    nb="Ingen MIDI-enheter: maskinen har ikke noe MIDI-system som svarer ({detail}).",
    en="No MIDI devices: this machine has no MIDI system that answers ({detail}).",
)
NO_MIDI_DEVICES = Words(
    nb="Ingen MIDI-enheter er koblet til. Koble til pads eller et keyboard og prøv igjen.",
    en="No MIDI devices are connected. Plug in pads or a keyboard and try again.",
)
_NO_SUCH_PORT = Words(
    nb="Fant ikke MIDI-enheten «{name}». Disse finnes: {available}.",
    en="Could not find the MIDI device '{name}'. These exist: {available}.",
)
_CANNOT_OPEN = Words(
    nb="MIDI-enheten «{name}» kunne ikke åpnes: {detail}.",
    en="The MIDI device '{name}' could not be opened: {detail}.",
)
_NO_SEQUENCER = "no ALSA sequencer, /dev/snd/seq"


class MidiInput(Protocol):
    """A source of MIDI messages."""

    @property
    def name(self) -> str: ...

    def poll(self) -> list[mido.Message]:
        """The messages that arrived since the last call, oldest first; never blocks."""
        ...

    def close(self) -> None: ...


class VirtualInput:
    """A port that gets its messages from :meth:`push` (tests, on-screen pads). Thread-safe."""

    def __init__(self, name: str = "virtual pads") -> None:
        self._name = name
        self._waiting: deque[mido.Message] = deque()
        self._lock = threading.Lock()
        self.closed = False

    @property
    def name(self) -> str:
        return self._name

    def push(self, *messages: mido.Message) -> None:
        with self._lock:
            if not self.closed:
                self._waiting.extend(messages)

    def poll(self) -> list[mido.Message]:
        with self._lock:
            out = list(self._waiting)
            self._waiting.clear()
        return out

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._waiting.clear()


class MidoInput:
    """A hardware (or software) MIDI input opened through mido."""

    def __init__(self, port: Any, name: str) -> None:
        self._port = port
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def poll(self) -> list[mido.Message]:
        if self._port.closed or self._port.callback is not None:
            return []
        return list(self._port.iter_pending())

    def close(self) -> None:
        if not self._port.closed:
            self._port.close()


@dataclass(frozen=True)
class PortListing:
    names: tuple[str, ...]
    problem: Words | None = None  # why nothing could be listed, or None

    def describe(self) -> Words | None:
        """What to tell a person when there is nothing to play on."""
        if self.problem is not None:
            return self.problem
        return NO_MIDI_DEVICES if not self.names else None


def _no_system(detail: str) -> Words:
    return Words(NO_MIDI_SYSTEM.say("nb", detail=detail), NO_MIDI_SYSTEM.say("en", detail=detail))


def _system_missing() -> str | None:
    """Why there is surely no MIDI system, checked without asking rtmidi (which prints ALSA's
    complaints on the terminal when it fails)."""
    if sys.platform.startswith("linux") and not ALSA_SEQUENCER.exists():
        return _NO_SEQUENCER
    return None


def list_inputs() -> PortListing:
    """The MIDI inputs there are; never raises."""
    missing = _system_missing()
    if missing is not None:
        return PortListing((), _no_system(missing))
    try:
        names = tuple(str(n) for n in mido.get_input_names())
    except Exception as error:  # rtmidi's SystemError, ImportError, OSError …: all mean "none"
        return PortListing((), _no_system(str(error).strip() or type(error).__name__))
    return PortListing(tuple(dict.fromkeys(names)))


def open_input(name: str | None = None,
               callback: Callable[[mido.Message], None] | None = None) -> MidoInput:
    """Open the input called ``name`` (or the first one there is)."""
    listing = list_inputs()
    said = listing.describe()
    if said is not None:
        raise StudioError(said)
    chosen = name if name is not None else listing.names[0]
    if chosen not in listing.names:
        raise StudioError(_NO_SUCH_PORT, name=chosen, available=", ".join(listing.names))
    try:
        port = mido.open_input(chosen, callback=callback)
    except Exception as error:
        raise StudioError(_CANNOT_OPEN, name=chosen,
                          detail=str(error).strip() or type(error).__name__) from None
    return MidoInput(port, chosen)
