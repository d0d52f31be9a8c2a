"""The real screen as a benchmark load: ``studio bench realtime --with-ui``.

:class:`ScreenLoad` runs a headless Textual app in this process (the UI process) with the record
screen's own widgets (the big level meters and the transport line) redrawn 30 times a second
from the engine under test, instead of :class:`~studio.services.bench.realtime.UiLoad`'s
synthetic busy work (the default run keeps that one: it is the harsher load).
Textual composes and renders every frame as it would on a terminal (the headless driver only
drops the bytes), so the engine host is measured while the real UI code draws.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from textual.app import App, ComposeResult

from studio.services.bench.realtime import LoadCounts, gc_collections
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport, TransportState

FPS = 30


class MeterBoard(App[None]):
    """The record screen's meters and transport, fed by a function at ``FPS``."""

    def __init__(self, read: Any) -> None:
        super().__init__()
        self.read = read
        self.frames = 0

    def compose(self) -> ComposeResult:
        yield Transport(id="transport")
        yield LevelMeter("in 1", id="in1")
        yield LevelMeter("in 2", id="in2")
        yield LevelMeter("out", id="out")

    def on_mount(self) -> None:
        self.set_interval(1 / FPS, self.tick)

    def tick(self) -> None:
        meters, seconds, recording = self.read()
        for name, row in zip(("#in1", "#in2"), meters or [[0.0] * 4] * 2, strict=False):
            self.query_one(name, LevelMeter).show_row(row)
        self.query_one("#out", LevelMeter).show_row(meters[0] if meters else None)
        self.query_one(Transport).show(TransportState(
            recording="on" if recording else "off", rolling=True, seconds=seconds,
            bar=1 + int(seconds // 2), beat=1 + int(seconds * 2) % 4))
        self.frames += 1


class ScreenLoad:
    """The real meters and transport drawn at 30 fps, as the record screen does."""

    def __init__(self) -> None:
        self.source: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._app: MeterBoard | None = None
        self._gc_base = gc_collections()

    def attach(self, source: Any) -> None:
        """What to watch: a :class:`~studio.services.recording.Recording` (or None)."""
        self.source = source

    def _read(self) -> tuple[list[list[float]], float, bool]:
        recording = self.source
        if recording is None:
            return [], 0.0, False
        meters = recording.input_meters()
        return meters, recording.song_seconds(), bool(meters)

    def start(self) -> None:
        self._stop.clear()
        self._gc_base = gc_collections()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._drive()),
                                        name="ui-screen", daemon=True)
        self._thread.start()

    async def _drive(self) -> None:
        app = self._app = MeterBoard(self._read)
        async with app.run_test(headless=True, size=(80, 24)) as pilot:
            while not self._stop.is_set():
                await pilot.pause(0.05)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None

    def counts(self) -> LoadCounts:
        frames = self._app.frames if self._app is not None else 0
        return LoadCounts(gc_collections=gc_collections() - self._gc_base, frames_drawn=frames)
