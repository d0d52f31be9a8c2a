"""Running the mix graph's blocks as tasks on several threads, with no barrier between blocks.

A block of the mix is made of tasks: each lane (track) renders its part, each bus sums the
sends of its lanes and runs its effects, then the parts are summed. :class:`BlockRun` knows
only these tasks and what each waits for (it calls back into the graph to do them):

- a lane's block waits for the lane's previous block (its effects carry state);
- a bus's block waits for its previous block and for the lanes that send to it;
- the sum of a block waits for all of its parts.

Every thread that works on a run (the calling thread and any helpers) takes the next task that
may run: the sum of the oldest block if it may, else a bus, else a lane, oldest block first;
among the lanes of a block, those that feed a bus first (so the bus can start while the other
lanes still run). A lane may go on to a later block while an earlier one is still being summed,
up to ``window`` blocks ahead (each lane and bus keeps that many slots of output), so the
threads never wait for each other at the end of a block. A pipelined run (``ahead`` given)
also stops finishing blocks when that many are waiting to be taken.

Which thread does a task changes nothing: each lane and bus handles its blocks in order, and
each sum is made in a fixed order (see :mod:`studio.audio.mix_graph`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["AHEAD", "WINDOW", "BlockRun", "help_with"]

Audio = npt.NDArray[np.float32]

WINDOW = 3  # blocks the lanes may run ahead of the finished mix (pipelined runs)
AHEAD = 4  # finished blocks a pipelined run may hold before they are taken

LaneTask = Callable[[int, int, int, int], None]  # (lane, song frame, frames, slot)
BusTask = Callable[[int, int, int], None]  # (bus, frames, slot)
SumTask = Callable[[int, int], Audio]  # (block, slot) -> the block's mix


class BlockRun:
    """Blocks ``0 … count-1`` (``pieces``: consecutive song ranges, (frame, frames)) of a graph
    with ``lanes`` lanes and one bus per entry of ``senders`` (the lanes that send to it)."""

    def __init__(self, lanes: int, senders: Sequence[Sequence[int]],
                 pieces: Sequence[tuple[int, int]], lane: LaneTask, bus: BusTask,
                 finish: SumTask, window: int, ahead: int | None) -> None:
        self.pieces = pieces
        self.count = len(pieces)
        self.window = max(1, min(window, self.count))  # slots each lane and bus needs
        self.ahead = ahead  # None: no limit (the caller gave room for every block)
        self._senders = senders
        self._tasks = (lane, bus, finish)
        feeding = {i for ids in senders for i in ids}
        self._lane_order = sorted(range(lanes), key=lambda i: (i not in feeding, i))
        self.finished: dict[int, Audio] = {}
        self.taken = 0  # blocks handed out (pipelined runs)
        self._lane_next = [0] * lanes  # the next block of each lane, bus and of the sum
        self._lane_busy = [False] * lanes
        self._bus_next = [0] * len(senders)
        self._bus_busy = [False] * len(senders)
        self._fin_next = 0
        self._fin_busy = False
        self._error: BaseException | None = None
        self._stopped = False
        self._cond = threading.Condition()

    def run_inline(self, k: int) -> None:
        """Block ``k`` (the next one), every task in turn on the calling thread."""
        for i in range(len(self._lane_next)):
            self._run_task("lane", i, k)
        for b in range(len(self._bus_next)):
            self._run_task("bus", b, k)
        self._run_task("sum", 0, k)
        self._fin_next = k + 1

    def work(self, until: int | None = None) -> None:
        """Do tasks until block ``until`` is finished (None: until every block is), or the
        run stops; raises what a task raised, on any thread."""
        last = self.count - 1 if until is None else until
        with self._cond:
            while True:
                if self._error is not None:
                    raise self._error
                if self._stopped or self._fin_next > last:
                    return
                task = self._pick()
                if task is None:
                    self._cond.wait()
                    continue
                self._cond.release()
                try:
                    self._run_task(*task)
                except BaseException as error:
                    self._cond.acquire()
                    if self._error is None:
                        self._error = error
                    self._cond.notify_all()
                    raise
                self._cond.acquire()
                self._done(*task)
                self._cond.notify_all()

    def take(self, k: int) -> Audio:
        """Block ``k``, finished (after :meth:`work` with ``until=k``), handed out once."""
        with self._cond:
            if self._stopped or k not in self.finished:
                raise RuntimeError("the mix graph rendered something else meanwhile")
            out = self.finished.pop(k)
            self.taken = k + 1
            self._cond.notify_all()
        return out

    def stop(self) -> None:
        """Every thread leaves the run after the task in hand."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _pick(self) -> tuple[str, int, int] | None:
        """The next task that may run now, as (kind, lane or bus, block), marked busy (called
        with the lock held)."""
        k = self._fin_next
        if (not self._fin_busy and k < self.count
                and (self.ahead is None or k < self.taken + self.ahead)
                and all(done > k for done in self._lane_next)
                and all(done > k for done in self._bus_next)):
            self._fin_busy = True
            return "sum", 0, k
        limit = min(self.count, self._fin_next + self.window)
        best = -1
        for b, done in enumerate(self._bus_next):
            if (not self._bus_busy[b] and done < limit
                    and all(self._lane_next[i] > done for i in self._senders[b])
                    and (best < 0 or done < self._bus_next[best])):
                best = b
        if best >= 0:
            self._bus_busy[best] = True
            return "bus", best, self._bus_next[best]
        for i in self._lane_order:
            done = self._lane_next[i]
            if (not self._lane_busy[i] and done < limit
                    and (best < 0 or done < self._lane_next[best])):
                best = i
        if best >= 0:
            self._lane_busy[best] = True
            return "lane", best, self._lane_next[best]
        return None

    def _run_task(self, kind: str, index: int, k: int) -> None:
        """Do a task (without the lock)."""
        frame, n = self.pieces[k]
        slot = k % self.window
        lane, bus, finish = self._tasks
        if kind == "lane":
            lane(index, frame, n, slot)
        elif kind == "bus":
            bus(index, n, slot)
        else:
            self.finished[k] = finish(k, slot)

    def _done(self, kind: str, index: int, k: int) -> None:
        """Note a task done (with the lock held)."""
        if kind == "lane":
            self._lane_next[index] = k + 1
            self._lane_busy[index] = False
        elif kind == "bus":
            self._bus_next[index] = k + 1
            self._bus_busy[index] = False
        else:
            self._fin_next = k + 1
            self._fin_busy = False


def help_with(run: BlockRun) -> None:
    """A helper thread's share of a run (a task's error is kept by the run and raised on the
    thread that waits for the blocks)."""
    try:
        run.work()
    except BaseException:  # raised again by the thread that waits for the blocks
        pass
