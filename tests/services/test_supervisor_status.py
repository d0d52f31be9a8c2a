"""The transport is read from one consistent snapshot of the engine's status.

A recording once ended before it began on a loaded CI machine: the follower read the state
(from before the PLAY) and then the epoch (from after it), which together look exactly like a
transport that has already stopped again. Here a writer publishes state and epoch together, the
way the callback does, and a reader on another thread must never see a pair it never wrote."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.audio.layout import EngineMemory
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
        seen = set()
        for _ in range(20_000):
            transport = sup.transport()
            assert transport.rolling == (transport.epoch % 2 == 1), transport
            assert transport.song_frame == transport.epoch * 128, transport
            seen.add(transport.epoch)
    finally:
        done.set()
        writer.join()
        sup.memory.close()
    assert len(seen) > 100  # the writer really ran while we read


def test_no_engine_reads_as_stopped(tmp_path: Path) -> None:
    sup = Supervisor(EngineSettings(backend="null"), tmp_path, tmp_path)
    assert not sup.transport().rolling
    assert sup.status_snapshot() == {}
