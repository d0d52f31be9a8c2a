"""A recording running in a thread, so a fault test can break things while it records."""

from __future__ import annotations

import threading
import time

from studio.audio.protocol import Status
from studio.services.recording import Recording, RecordResult
from studio.services.supervisor import Supervisor


class BackgroundRecording:
    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.result: RecordResult | None = None
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.result = self.recording.run()
        except BaseException as error:  # shown by the test, not lost in the thread
            self.failure = error

    def wait_until_recorded(self, frames: int, timeout: float = 30.0) -> Supervisor:
        """Block until the take holds at least ``frames``; returns the running supervisor."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.failure is None, self.failure
            sup = self.recording.supervisor
            if sup is not None and sup.status(Status.RECORDING) and (
                    sup.status(Status.SONG_FRAME) > frames):
                return sup
            assert time.monotonic() < deadline, "the recording did not start in time"
            time.sleep(0.01)

    def finish(self, timeout: float = 90.0) -> RecordResult:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the recording did not end"
        assert self.failure is None, self.failure
        assert self.result is not None
        return self.result
