"""The UI process can be as busy as it likes: a thread hogging the GIL there (long C calls
that never let go of it) must not cost the engine host a single xrun."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest

from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.store.layout import StudioPaths


def hog_the_gil(stop: threading.Event, calls: list[int]) -> None:
    numbers = [random.random() for _ in range(1_500_000)]
    while not stop.is_set():
        sorted(numbers)  # one C call holding the GIL for a good part of a second
        calls[0] += 1


@pytest.mark.jack
@pytest.mark.slow
def test_gil_hog_in_the_ui_process_causes_no_xrun(make_jack_server: Any, tmp_path: Path
                                                   ) -> None:
    server = make_jack_server(period=128, realtime=True)
    stop = threading.Event()
    calls = [0]
    hog = threading.Thread(target=hog_the_gil, args=(stop, calls), daemon=True)
    before: list[int] = []

    def start_hog() -> None:
        before.append(server.xruns())
        hog.start()

    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Busy", tempo_bpm=90)
        request = RecordRequest(song="Busy", tracks=[TrackInput("vocal", (1, 2))], seconds=4,
                                device="system", monitor="vocal-clean", click=True,
                                env=server.env(), after_start=start_hog)
        try:
            result = Recording(studio, request).run()
        finally:
            stop.set()
            hog.join()
    after = server.xruns()
    assert calls[0] >= 2  # the hog really ran during the take
    (take,) = result.takes
    assert take.gaps == []
    assert result.xruns == 0
    assert after - before[0] == 0, server.log_tail()
