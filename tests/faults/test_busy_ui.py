"""The UI process can be as busy as it likes: a thread hogging the GIL there (long C calls
that never let go of it) must not cost the engine host a single xrun."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.store.layout import StudioPaths


def hog_the_gil(stop: threading.Event, calls: list[int]) -> None:
    """C calls that keep the GIL for 0.2 s each (the regex engine never lets go of it),
    without churning memory: this tests the GIL, not the machine's memory system."""
    pattern = re.compile(r"(a+)+$")
    text = "a" * 23 + "b"
    while not stop.is_set():
        pattern.match(text)
        calls[0] += 1


@pytest.mark.jack
@pytest.mark.slow
def test_gil_hog_in_the_ui_process_causes_no_xrun(make_jack_server: Any, tmp_path: Path
                                                   ) -> None:
    server = make_jack_server(period=128, realtime=True)
    stop = threading.Event()
    calls = [0]
    hog = threading.Thread(target=hog_the_gil, args=(stop, calls), daemon=True)
    before: list[Any] = []

    def start_hog() -> None:
        before.append(server.xrun_report())
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
    after = server.xrun_report()
    assert calls[0] >= 10  # the hog really ran during the take
    (take,) = result.takes
    # every cycle in which the graph ran late must be one where JACK's own (dummy, timer-driven)
    # driver woke late: the machine, not our client. The dummy driver counts even a wake-up
    # 1 µs late as an xrun, which no client can prevent; only then may the take have a gap.
    graph_late = after.graph_late - before[0].graph_late
    driver_late = after.driver_late - before[0].driver_late
    said = f"gaps {take.gaps}, xruns {before[0]} -> {after}\n{server.log_tail()}"
    assert graph_late <= driver_late, said
    assert not take.gaps or driver_late > 0, said
