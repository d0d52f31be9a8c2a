"""``studio bench realtime --with-ui``: the real meters and transport are drawn by a headless
Textual app from what the engine under test reports."""

from __future__ import annotations

import time

from studio.tui.bench_load import ScreenLoad


class FakeRecording:
    def __init__(self) -> None:
        self.reads = 0

    def input_meters(self) -> list[list[float]]:
        self.reads += 1
        return [[0.5, 0.2, 0.0, 0.6], [0.1, 0.05, 0.0, 0.2]]

    def song_seconds(self) -> float:
        return self.reads / 30


def test_the_screen_is_drawn_from_the_engine_it_watches() -> None:
    load = ScreenLoad()
    source = FakeRecording()
    load.attach(source)
    load.start()
    try:
        deadline = time.monotonic() + 60
        while load.counts().frames_drawn < 10:
            assert time.monotonic() < deadline, "the screen never drew"
            time.sleep(0.05)
    finally:
        load.stop()
    assert source.reads >= 10
    drawn = load.counts().frames_drawn
    time.sleep(0.2)
    assert load.counts().frames_drawn == drawn  # stopped means stopped
