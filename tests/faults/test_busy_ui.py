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
    # What a GIL shared with the UI does to the callback was measured: 2 070 late cycles in
    # 12 s (170 a second, one cycle in two). With the engine host in its own process the hog
    # must cost nothing; what remains is the machine itself. The dummy driver counts a wake-up
    # 1 us late as an xrun, and on a shared 2-core CI machine a neighbour can delay any client
    # now and then (seen: 2 late cycles in a 4 s take, with no gap in the take). So cycles
    # where the driver itself woke late are excused, and beyond those at most one late cycle
    # a second (1 in 375) is tolerated: a hundred times fewer than the failure this guards.
    graph_late = after.graph_late - before[0].graph_late
    driver_late = after.driver_late - before[0].driver_late
    said = f"gaps {take.gaps}, xruns {before[0]} -> {after}\n{server.log_tail()}"
    assert graph_late - driver_late <= request.seconds, said
    # and no audio is lost without a late cycle to account for it
    assert not take.gaps or graph_late > 0, said
