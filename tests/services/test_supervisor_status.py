"""The transport is read from one consistent snapshot of the engine's status.

A recording once ended before it began on a loaded CI machine: the follower read the state
(from before the PLAY) and then the epoch (from after it), which together look exactly like a
transport that has already stopped again. Here a writer publishes state and epoch together, the
way the callback does, and a reader on another thread must never see a pair it never wrote."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.audio.layout import EngineLayout, EngineMemory
from studio.audio.protocol import Status
from studio.services.supervisor import EngineSettings, Supervisor


@pytest.fixture
def fast_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change hands as often as the interpreter allows
    yield
    sys.setswitchinterval(before)


def test_transport_never_mixes_two_callbacks(tmp_path: Path, fast_switching: None) -> None:
    sup = Supervisor(EngineSettings(backend="null"), tmp_path, tmp_path)
    sup.memory = EngineMemory(sup.layout, tmp_path / "engine.shm", create=True)
    status = sup.memory.status
    done = threading.Event()

    def callback() -> None:  # odd epochs roll, even epochs are stopped: as the engine writes
        epoch = 0
        while not done.is_set():
            epoch += 1
            status.begin_write_rt()
            status.values[Status.STATE] = epoch % 2
            status.values[Status.EPOCH] = epoch
            status.values[Status.SONG_FRAME] = epoch * 128
            status.end_write_rt()

    writer = threading.Thread(target=callback)
    writer.start()
    try:
        seen: set[int] = set()
        for read in range(200_000):  # until the writer has moved on a few hundred times
            transport = sup.transport()
            assert transport.rolling == (transport.epoch % 2 == 1), transport
            assert transport.song_frame == transport.epoch * 128, transport
            seen.add(transport.epoch)
            if len(seen) >= 300:
                break
            if read % 64 == 0:
                time.sleep(0)  # now and then the writer gets a whole turn
    finally:
        done.set()
        writer.join()
        sup.memory.close()
    assert len(seen) >= 300  # the writer really ran while we read


def test_a_writer_that_died_mid_write_is_waited_for_once(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    memory = EngineMemory(EngineLayout(), tmp_path / "engine.shm", create=True)
    status = memory.status
    status.begin_write_rt()
    status.values[Status.EPOCH] = 3  # … and the engine was killed here
    yields: list[float] = []
    monkeypatch.setattr(time, "sleep", yields.append)
    status.snapshot()
    assert yields  # the first reader waited (the writer might only have been descheduled)
    yields.clear()
    again = status.snapshot()
    assert not yields and again[Status.EPOCH] == 3  # later readers are answered at once
    status.end_write_rt()
    status.begin_write_rt()  # a writer that is alive again is waited for again
    status.snapshot()
    assert yields
    memory.close()


def test_no_engine_reads_as_stopped(tmp_path: Path) -> None:
    sup = Supervisor(EngineSettings(backend="null"), tmp_path, tmp_path)
    assert not sup.transport().rolling
    assert sup.status_snapshot() == {}
