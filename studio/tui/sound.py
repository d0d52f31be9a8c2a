"""The one console (audio engine for a song) the UI keeps open, and the recording that
temporarily takes its place.

Opening, closing and recording block (processes start and stop), so the screens call these
from worker threads; the 30-per-second timers only read meters and the playhead, which are
shared-memory reads. One lock keeps two workers from starting two engines at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from studio.core.i18n import StudioError, Words
from studio.core.people import Actor
from studio.services.studio import Studio

if TYPE_CHECKING:  # the engine's modules load when sound is first wanted: a quick start
    from studio.services.console import Console, Playhead
    from studio.services.recording import Recording, RecordRequest, RecordResult

T = TypeVar("T")

SOUND_OFF = Words(
    nb="Lyden er slått av i denne økten (STUDIO_UI_SOUND=0): du kan se og skrive, men ikke "
       "lytte eller ta opp.",
    en="Sound is switched off in this session (STUDIO_UI_SOUND=0): you can look and write, "
       "but not listen or record.",
)


class SoundOff(StudioError):
    """The UI runs without an audio engine (a machine where it cannot start, or tests)."""

    def __init__(self) -> None:
        super().__init__(SOUND_OFF)


@dataclass(frozen=True)
class EngineChoice:
    device: str | None
    blocksize: int


class Sound:
    """One lock (``_lock``) serialises everything that starts, stops or commands an engine;
    another (``_reading``), held only for a moment, keeps the 30-per-second reads off an
    engine's shared memory while it is being taken down (reading unmapped memory crashes)."""

    def __init__(self, studio: Studio, enabled: bool = True) -> None:
        self.studio = studio
        self.enabled = enabled
        self.console: Console | None = None
        self.recording: Recording | None = None
        self.progress: dict[str, float] = {}  # the recording's latest status (from its thread)
        self.phase = ""  # "", "recording", "done"
        self._lock = threading.RLock()
        self._reading = threading.Lock()
        self._key: tuple[str, int | None, EngineChoice] | None = None

    # the console (worker threads) -------------------------------------------------------------
    def open(self, song_name: str, actor: Actor | None, choice: EngineChoice) -> Console:
        """The console for this song (opened if needed; another song's console is closed)."""
        if not self.enabled:
            raise SoundOff()
        key = (song_name, actor.staff_id if actor else None, choice)
        with self._lock:
            if self.console is not None and self._key == key and self.console.supervisor:
                return self.console
            self._close_locked()
            from studio.services.console import Console

            console = Console(self.studio, song_name, device=choice.device,
                              blocksize=choice.blocksize, actor=actor)
            console.open()
            with self._reading:
                self.console, self._key = console, key
            return console

    def run(self, song_name: str, actor: Actor | None, choice: EngineChoice,
            job: Callable[[Console], T]) -> T:
        """Do ``job`` with the song's console (opened if needed), with no other engine work
        in between: play, stop, locate, click."""
        with self._lock:
            return job(self.open(song_name, actor, choice))

    def with_open(self, song_name: str, job: Callable[[Console], T]) -> T | None:
        """Do ``job`` with the song's console if it is open now; None if it is not."""
        with self._lock:
            console = self.console
            if console is None or console.supervisor is None or console.song.name != song_name:
                return None
            return job(console)

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        with self._reading:  # from here on no read touches this engine
            console, self.console, self._key = self.console, None, None
        if console is not None:
            console.close()

    # what the screens read, 30 times a second (UI thread, never blocks for long) -------------
    def is_open(self, song_name: str) -> bool:
        console = self.console
        return console is not None and console.song.name == song_name

    def playhead(self, song_name: str) -> Playhead | None:
        with self._reading:
            console = self.console
            if console is None or console.supervisor is None or \
                    console.song.name != song_name:
                return None
            return console.playhead()

    def device_lost(self) -> bool:
        console = self.console
        sup = console.supervisor if console is not None else None
        return sup is not None and sup.device_lost.is_set()

    def practice(self) -> bool | None:
        console = self.console
        return console.practice if console is not None else None

    def input_meters(self) -> list[list[float]]:
        """Input meters of whatever engine runs: the recording's, else the console's."""
        recording = self.recording
        if recording is not None:
            return recording.input_meters()
        with self._reading:
            console = self.console
            if console is None or console.supervisor is None:
                return []
            return console.supervisor.input_meters()

    def output_meters(self) -> list[list[float]]:
        with self._reading:
            console = self.console
            if console is None or console.supervisor is None:
                return []
            return console.output_meters()

    def track_levels(self) -> dict[str, tuple[float, float]]:
        """Each playing track's peak (left, right; linear) by track name, or empty."""
        with self._reading:
            console = self.console
            return {} if console is None else console.track_levels()

    # recording --------------------------------------------------------------------------------
    @property
    def busy_recording(self) -> bool:
        return self.recording is not None

    def record(self, request: RecordRequest) -> RecordResult:
        """Close the console (one engine on the device at a time), record, and leave the
        console closed; the screen opens it again when it wants to listen. A refusal (no
        consent to keep recordings, nobody signed in) comes before the console is touched."""
        from studio.services.consent import check_may_record
        from studio.services.recording import Recording

        check_may_record(self.studio, self.studio.song(request.song), request.actor)
        if not self.enabled:
            raise SoundOff()
        with self._lock:
            self._close_locked()
            self.progress = {}
            self.phase = ""

            def progress(phase: str, status: dict[str, float]) -> None:
                self.phase = phase
                self.progress = status

            self.recording = Recording(self.studio, request, progress)
            try:
                return self.recording.run()
            finally:
                self.recording = None

    def stop_recording(self) -> bool:
        """Ask a running recording to end; False when none runs."""
        recording = self.recording
        if recording is None:
            return False
        recording.stop()
        return True
