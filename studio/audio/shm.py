"""Shared memory between the studio's processes: regions, rings, record queues and latest values.

A :class:`SharedRegion` is one file in ``/dev/shm`` mapped by every process that needs it, with
numpy arrays laid out by a spec that all sides build the same way. On top of it:

* :class:`FrameRing` — single-producer, single-consumer ring of audio frames (captured audio
  from the callback to the disk worker, callback timings to the supervisor).
* :class:`RecordQueue` — single-producer, single-consumer queue of small fixed records (commands
  into the callback, events and capture markers out of it).
* :class:`TimelineRing` — playback audio for one track, indexed by timeline frame and stamped
  with the transport epoch it belongs to (disk worker to callback).
* :class:`LatestValues` — values where only the newest matters (meters, playhead, heartbeat).

Lock-free by construction: each index has exactly one writer, data is written before the index
that publishes it, and x86-64 keeps stores in order (total store order) and 8-byte aligned
stores atomic. Nothing here allocates on the ``*_rt`` paths.
"""

from __future__ import annotations

import mmap
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_ALIGN = 64  # one cache line: indexes written by different processes never share one
_SHM_DIR = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
_NAME_RE = re.compile(r"^studio-(\d+)-[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ArraySpec:
    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return int(np.dtype(self.dtype).itemsize * int(np.prod(self.shape, dtype=np.int64)))


def _layout(specs: Sequence[ArraySpec]) -> tuple[dict[str, int], int]:
    offsets: dict[str, int] = {}
    pos = 0
    for spec in specs:
        if spec.name in offsets:
            raise ValueError(f"two arrays are called {spec.name!r}")
        offsets[spec.name] = pos
        pos += -(-spec.nbytes // _ALIGN) * _ALIGN
    return offsets, max(pos, _ALIGN)


def shm_folder(fallback: Path) -> Path:
    """Where regions live: /dev/shm when the system has it, else a folder of ours."""
    return _SHM_DIR if _SHM_DIR is not None else fallback


class SharedRegion:
    """A named block of shared memory holding the arrays of a spec."""

    def __init__(self, path: Path, specs: Sequence[ArraySpec], *, create: bool) -> None:
        self.path = path
        self.specs = tuple(specs)
        offsets, size = _layout(self.specs)
        flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
        fd = os.open(path, flags, 0o600)
        try:
            if create:
                os.ftruncate(fd, size)
            elif os.fstat(fd).st_size < size:
                raise ValueError(f"shared memory {path} is smaller than its spec")
            self._mmap = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        self.arrays: dict[str, np.ndarray] = {}
        for spec in self.specs:
            self.arrays[spec.name] = np.ndarray(
                spec.shape, dtype=spec.dtype, buffer=self._mmap, offset=offsets[spec.name]
            )
        # a newly sized file reads as zeros already; each process touches the pages it
        # writes on its own time (see :meth:`touch`), never inside the callback

    def touch(self, names: Sequence[str]) -> int:
        """Read every page of these arrays once, so the callback does not take its first page
        fault on them live. Reads only: safe while other processes write."""
        total = 0
        for name in names:
            flat = self.arrays[name].reshape(-1).view(np.uint8)
            total += int(flat[::4096].sum())
        return total

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def close(self) -> None:
        """Drop this process's mapping. Arrays taken from the region must not be used after."""
        self.arrays.clear()
        try:
            self._mmap.close()
        except BufferError:
            pass  # a view is still alive somewhere; the mapping goes when the process ends

    def unlink(self) -> None:
        self.path.unlink(missing_ok=True)


def region_path(folder: Path, tag: str) -> Path:
    """A fresh region name carrying our PID, so leftovers of dead processes can be found."""
    return folder / f"studio-{os.getpid()}-{tag}"


def remove_stale_regions(folder: Path) -> list[Path]:
    """Unlink regions left by studio processes that no longer exist (after a kill -9)."""
    removed = []
    for path in folder.glob("studio-*"):
        m = _NAME_RE.match(path.name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            removed.append(path)
        except PermissionError:
            pass
    return removed


class _AudioRing:
    """Float32 frames in a circle: the parts both kinds of audio ring share."""

    def __init__(self, region: SharedRegion, prefix: str) -> None:
        self.data = region[f"{prefix}.data"]
        self.idx = region[f"{prefix}.idx"]  # counters; writer and reader on separate lines
        self.capacity = int(self.data.shape[0])
        self.channels = int(self.data.shape[1])

    @staticmethod
    def specs(prefix: str, capacity: int, channels: int) -> list[ArraySpec]:
        return [
            ArraySpec(f"{prefix}.data", "float32", (capacity, channels)),
            ArraySpec(f"{prefix}.idx", "int64", (16,)),
        ]

    def _put_rt(self, at: int, block: np.ndarray, n: int, spread_mono: bool = False) -> None:
        """Copy block[:n] to absolute frame position ``at``, wrapping round the end."""
        start = at % self.capacity
        first = min(n, self.capacity - start)
        ch = block.shape[1]
        data = self.data
        data[start : start + first, :ch] = block[:first]
        if first < n:
            data[: n - first, :ch] = block[first:n]
        if spread_mono and ch == 1 and self.channels == 2:  # a mono track plays on both sides
            data[start : start + first, 1:2] = block[:first]
            if first < n:
                data[: n - first, 1:2] = block[first:n]

    def _get_rt(self, at: int, out: np.ndarray, n: int) -> None:
        """Copy n frames from absolute position ``at`` into out[:n]."""
        start = at % self.capacity
        first = min(n, self.capacity - start)
        out[:first] = self.data[start : start + first]
        if first < n:
            out[first:n] = self.data[: n - first]


class FrameRing(_AudioRing):
    """SPSC ring of float32 frames: the producer writes, the consumer reads, nobody waits.

    Counters are absolute (they never wrap in practice: 2**63 frames), so ``write_count`` is
    also "frames ever written", which capture markers use as positions. ``counters[0]`` is the
    write count, ``counters[8]`` the read count.
    """

    def __init__(self, region: SharedRegion, prefix: str) -> None:
        super().__init__(region, prefix)
        self.counters = self.idx

    @property
    def write_count(self) -> int:
        return int(self.counters[0])

    @property
    def read_count(self) -> int:
        return int(self.counters[8])

    def writable(self) -> int:
        return self.capacity - (int(self.counters[0]) - int(self.counters[8]))

    def readable(self) -> int:
        return int(self.counters[0]) - int(self.counters[8])

    def write_rt(self, block: np.ndarray) -> int:
        """Copy as many frames of block as fit; returns how many were written."""
        w = int(self.counters[0])
        n = min(int(block.shape[0]), self.capacity - (w - int(self.counters[8])))
        if n <= 0:
            return 0
        self._put_rt(w, block, n)
        self.counters[0] = w + n
        return n

    def peek(self, max_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to max_frames readable frames as (at most) two views, without consuming them."""
        r = int(self.counters[8])
        n = min(int(self.counters[0]) - r, max_frames)
        start = r % self.capacity
        first = min(n, self.capacity - start)
        return self.data[start : start + first], self.data[0 : n - first]

    def consume(self, frames: int) -> None:
        self.counters[8] = int(self.counters[8]) + frames

    def read(self, max_frames: int) -> np.ndarray:
        """Copy out and consume up to max_frames (consumer side; allocates, so never `_rt`)."""
        a, b = self.peek(max_frames)
        out = np.concatenate([a, b]) if len(b) else a.copy()
        self.consume(len(out))
        return out


class RecordQueue:
    """SPSC queue of records, each 6 int64 fields and 2 float64 fields."""

    INTS = 6
    FLOATS = 2

    def __init__(self, region: SharedRegion, prefix: str) -> None:
        self.ints = region[f"{prefix}.ints"]
        self.floats = region[f"{prefix}.floats"]
        self.counters = region[f"{prefix}.idx"]
        self.capacity = int(self.ints.shape[0])

    @staticmethod
    def specs(prefix: str, capacity: int) -> list[ArraySpec]:
        return [
            ArraySpec(f"{prefix}.ints", "int64", (capacity, RecordQueue.INTS)),
            ArraySpec(f"{prefix}.floats", "float64", (capacity, RecordQueue.FLOATS)),
            ArraySpec(f"{prefix}.idx", "int64", (16,)),
        ]

    def push_rt(
        self, op: int, a: int = 0, b: int = 0, c: int = 0, d: int = 0, e: int = 0,
        x: float = 0.0, y: float = 0.0,
    ) -> bool:
        """Append a record; False (and nothing written) when the queue is full."""
        w = int(self.counters[0])
        if w - int(self.counters[8]) >= self.capacity:
            self.counters[1] += 1  # records lost because the queue was full
            return False
        i = w % self.capacity
        row = self.ints[i]
        row[0] = op
        row[1] = a
        row[2] = b
        row[3] = c
        row[4] = d
        row[5] = e
        f = self.floats[i]
        f[0] = x
        f[1] = y
        self.counters[0] = w + 1
        return True

    def push(self, op: int, *ints: int, x: float = 0.0, y: float = 0.0) -> bool:
        a, b, c, d, e = (*ints, 0, 0, 0, 0, 0)[:5]
        return self.push_rt(op, a, b, c, d, e, x, y)

    def pending(self) -> int:
        return int(self.counters[0]) - int(self.counters[8])

    def peek_rt(self) -> int:
        """Index of the oldest unread record, or -1 when there is none."""
        r = int(self.counters[8])
        if r >= int(self.counters[0]):
            return -1
        return r % self.capacity

    def pop_done_rt(self) -> None:
        self.counters[8] = int(self.counters[8]) + 1

    def pop(self) -> tuple[tuple[int, ...], tuple[float, float]] | None:
        """The oldest record as plain Python values (consumer side, not for the callback)."""
        i = self.peek_rt()
        if i < 0:
            return None
        ints = tuple(int(v) for v in self.ints[i])
        floats = (float(self.floats[i][0]), float(self.floats[i][1]))
        self.pop_done_rt()
        return ints, floats

    @property
    def lost(self) -> int:
        return int(self.counters[1])


class TimelineRing(_AudioRing):
    """Playback audio for one track, indexed by timeline frame within one transport epoch.

    Header (int64): [0] epoch the data belongs to (-1 while being reset), [1] first valid
    timeline frame, [2] end of valid data (exclusive), [8] frames consumed by the callback
    (timeline frame), [9] the epoch that consumption belongs to.
    The writer (disk worker) only writes past [2] and at most ``capacity`` ahead of [8], so what
    the reader is allowed to read never changes under it, except on an epoch reset, which the
    reader detects by reading the epoch before and after copying.
    """

    def __init__(self, region: SharedRegion, prefix: str) -> None:
        super().__init__(region, prefix)
        self.header = self.idx

    # -- writer (disk worker) -------------------------------------------------------------
    def reset(self, epoch: int, t0: int) -> None:
        h = self.header
        h[0] = -1
        h[1] = t0
        h[2] = t0
        h[0] = epoch

    @property
    def epoch(self) -> int:
        return int(self.header[0])

    @property
    def end(self) -> int:
        return int(self.header[2])

    def consumed(self) -> int:
        """The timeline frame the callback has reached in this epoch."""
        h = self.header
        consumed = int(h[8]) if int(h[9]) == int(h[0]) else int(h[1])
        return max(consumed, int(h[1]))

    def space(self) -> int:
        """How many frames the writer may add now."""
        return self.capacity - (int(self.header[2]) - self.consumed())

    def append(self, block: np.ndarray) -> None:
        """Add frames at the end (the caller checked :meth:`space`)."""
        end = int(self.header[2])
        self._put_rt(end, block, int(block.shape[0]), spread_mono=True)
        self.header[2] = end + int(block.shape[0])

    # -- reader (callback) ----------------------------------------------------------------
    def read_rt(self, epoch: int, t: int, out: np.ndarray, n: int) -> bool:
        """Copy timeline frames [t, t+n) of this epoch into out[:n]; False (out zeroed) if the
        data is not there (yet)."""
        h = self.header
        if int(h[0]) != epoch or t < int(h[1]) or t + n > int(h[2]):
            out[:n] = 0.0
            return False
        self._get_rt(t, out, n)
        if int(h[0]) != epoch:
            out[:n] = 0.0
            return False
        h[8] = t + n
        h[9] = epoch
        return True

    def mark_consumed_rt(self, epoch: int, t: int) -> None:
        """Tell the writer we are past t even when nothing was read (e.g. silence)."""
        if int(self.header[0]) == epoch:
            self.header[8] = t
            self.header[9] = epoch


class LatestValues:
    """A small float64 array where the newest values win, with a sequence counter so a reader
    can take a consistent snapshot (seqlock: odd while the writer is in the middle)."""

    def __init__(self, region: SharedRegion, prefix: str) -> None:
        self.values = region[f"{prefix}.values"]
        self.seq = region[f"{prefix}.seq"]
        self._stuck = -1  # a sequence number a writer left odd and never finished

    @staticmethod
    def specs(prefix: str, shape: tuple[int, ...]) -> list[ArraySpec]:
        return [
            ArraySpec(f"{prefix}.values", "float64", shape),
            ArraySpec(f"{prefix}.seq", "int64", (8,)),
        ]

    def begin_write_rt(self) -> None:
        self.seq[0] = int(self.seq[0]) + 1

    def end_write_rt(self) -> None:
        self.seq[0] = int(self.seq[0]) + 1

    def snapshot(self, spins: int = 100, patience_s: float = 0.05) -> np.ndarray:
        """The values as one write left them. A writer descheduled in the middle of a write
        (no real-time priority, a loaded machine) is waited for, yielding the CPU, for up to
        `patience_s`; a writer that died mid-write is waited for once: after that its last
        values come back at once (best effort) until it writes again."""
        copy = self.values.copy()
        deadline = 0.0
        while True:
            for _ in range(spins):
                before = int(self.seq[0])
                if before % 2:
                    if before == self._stuck:
                        return copy
                    continue
                copy[...] = self.values
                if int(self.seq[0]) == before:
                    return copy
            now = time.monotonic()
            if not deadline:
                deadline = now + patience_s
            elif now > deadline:
                self._stuck = int(self.seq[0])
                copy[...] = self.values
                return copy
            time.sleep(0)
