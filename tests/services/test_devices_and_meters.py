"""A device that appears while the studio runs is found (the list is read in a fresh process),
and the meters can be read while recording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.store.layout import StudioPaths


@pytest.mark.jack
def test_a_device_that_appears_later_is_found(make_jack_server: Any, tmp_path: Path) -> None:
    import os

    with Studio(StudioPaths(tmp_path)) as studio:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JACK")}
        env["JACK_NO_START_SERVER"] = "1"
        before = {d.name for d in studio.devices(env)}
        assert "system" not in before
        server = make_jack_server()  # "plugged in" while the studio runs
        after = {d.name for d in studio.devices(server.env(env))}
        assert "system" in after
        found = studio.pick_device("syst", server.env(env))
        assert found is not None and found.name == "system"


def test_meters_move_while_recording_on_the_practice_device(tmp_path: Path) -> None:
    readings: list[list[list[float]]] = []
    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Meters", tempo_bpm=90)
        recording = Recording(studio, RecordRequest(
            song="Meters", tracks=[TrackInput("vocal", (1,))], seconds=1.0, device="practice"))

        def progress(_: str, status: dict[str, float]) -> None:
            sup = recording.supervisor
            if sup is not None and status["recording"]:
                readings.append(sup.input_meters())

        recording.progress = progress
        recording.run()
    assert len(readings) > 5
    peaks = [r[0][0] for r in readings]
    assert max(peaks) > 0.1  # input 1 of the practice device sings at about -12 dBFS
    assert all(r[0][2] == 0.0 for r in readings)  # nothing clipped
