"""The block task runner: on any number of threads every task waits for what it needs (a lane
for its previous block, a bus for its lanes, a sum for all parts), lanes stay within the window,
a pipelined run holds at most ``ahead`` unfinished takes, and an error stops every thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from studio.audio.block_tasks import BlockRun, help_with

LANES = 5
SENDERS = [[0, 2], [1]]  # bus 0 is fed by lanes 0 and 2, bus 1 by lane 1
BLOCKS = 40


class Log:
    """What ran, in order (a lock keeps the order true across threads)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []
        self.lock = threading.Lock()
        self.lane_at = [0] * LANES

    def lane(self, i: int, frame: int, n: int, slot: int) -> None:
        with self.lock:
            k = frame // 10
            assert k == self.lane_at[i]  # in order, once each
            self.lane_at[i] += 1
            self.events.append(("lane", i, k))

    def bus(self, b: int, n: int, slot: int) -> None:
        with self.lock:
            self.events.append(("bus", b, len([e for e in self.events if e[:2] == ("bus", b)])))

    def finish(self, k: int, slot: int) -> np.ndarray:
        with self.lock:
            self.events.append(("sum", 0, k))
        return np.full((10, 2), k, dtype=np.float32)


def run_on(window: int, ahead: int | None, log: Log) -> BlockRun:
    pieces = [(10 * k, 10) for k in range(BLOCKS)]
    return BlockRun(LANES, SENDERS, pieces, log.lane, log.bus, log.finish, window, ahead)


@pytest.mark.parametrize("threads", [1, 2, 4])
@pytest.mark.parametrize("window", [1, 3])
def test_every_task_waits_for_what_it_needs(threads: int, window: int) -> None:
    log = Log()
    run = run_on(window, None, log)
    helpers = [threading.Thread(target=help_with, args=(run,)) for _ in range(threads - 1)]
    for helper in helpers:
        helper.start()
    run.work()
    for helper in helpers:
        helper.join()
    assert sorted(run.finished) == list(range(BLOCKS))
    where = {event: n for n, event in enumerate(log.events)}
    for k in range(BLOCKS):
        total = where[("sum", 0, k)]
        assert all(where[("lane", i, k)] < total for i in range(LANES))
        assert all(where[("bus", b, k)] < total for b in range(len(SENDERS)))
        for b, lanes in enumerate(SENDERS):
            assert all(where[("lane", i, k)] < where[("bus", b, k)] for i in lanes)
        for i in range(LANES):  # never more than the window ahead of the sums
            if k >= window:
                assert where[("sum", 0, k - window)] < where[("lane", i, k)]


def test_a_pipelined_run_waits_for_its_blocks_to_be_taken() -> None:
    log = Log()
    run = run_on(3, 2, log)
    helper = threading.Thread(target=help_with, args=(run,))
    helper.start()
    run.work(until=1)
    got = [run.take(0), run.take(1)]
    for k in range(2, BLOCKS):
        run.work(until=k)
        assert len(run.finished) <= 2
        got.append(run.take(k))
    helper.join()
    assert [int(block[0, 0]) for block in got] == list(range(BLOCKS))


def test_an_error_stops_every_thread_and_reaches_the_caller() -> None:
    log = Log()

    def failing(i: int, frame: int, n: int, slot: int) -> None:
        if i == 3 and frame == 100:
            raise OSError("the disk went away")
        log.lane(i, frame, n, slot)

    run = BlockRun(LANES, SENDERS, [(10 * k, 10) for k in range(BLOCKS)], failing, log.bus,
                   log.finish, 3, None)
    helpers = [threading.Thread(target=help_with, args=(run,)) for _ in range(2)]
    for helper in helpers:
        helper.start()
    with pytest.raises(OSError, match="went away"):
        run.work()
    for helper in helpers:
        helper.join()
    assert len(run.finished) < BLOCKS
