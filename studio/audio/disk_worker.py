"""The disk worker (Ardour calls it the Butler): the only process that touches take files.

It drains captured audio from the engine's capture rings into take files (blocks of 4096 frames
or more, fsync every second), follows the capture markers the callback leaves (take start, take
end, gaps), and prefetches playback audio into the rings the callback reads.

Run as ``python -m studio.audio.disk_worker CONFIG_JSON``; requests arrive as JSON lines on
stdin, events leave as JSON lines on stdout. When stdin closes (the supervisor is gone) it
writes out everything still in the rings, closes its files and exits; the takes are then
adopted as "recovered" on the next start.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from studio.audio.beat.source import BeatSource
from studio.audio.clip_reader import ClipReader, ClipSource, clip_from_json
from studio.audio.layout import EngineLayout, EngineMemory
from studio.audio.mix_graph import MixGraph, buses_from_json, track_from_json
from studio.audio.protocol import Marker
from studio.audio.shm import FrameRing, RecordQueue, TimelineRing
from studio.audio.take_file import DiskFull, TakeFile, TakeFileError, TakeWriteError
from studio.audio.track_levels import TrackLevels
from studio.core.i18n import Words
from studio.core.timeline import Epoch, LoopRange, song_runs

DISK_FLOOR_REACHED = Words(
    nb="Disken er nesten full ({free} MB ledig), så opptaket ble stoppet.",
    en="The disk is nearly full ({free} MB free), so recording was stopped.",
)

WRITE_BLOCK = 4096
SYNC_EVERY_S = 1.0
PREFETCH_CHUNK = 8192
DISK_CHECK_EVERY_S = 1.0

EventSink = Callable[[dict[str, Any]], None]


@dataclass
class Reservation:
    take_id: int
    path: Path
    channels: int
    file: TakeFile


@dataclass
class OpenTake:
    reservation: Reservation
    song_frame: int
    pass_index: int
    gaps: list[tuple[int, int]] = field(default_factory=list)
    failed: bool = False


class CaptureWriter:
    """Turns one capture slot's ring and markers into take files."""

    def __init__(self, slot: int, ring: FrameRing, markers: RecordQueue, emit: EventSink) -> None:
        self.slot = slot
        self.ring = ring
        self.markers = markers
        self.emit = emit
        self.reserved: deque[Reservation] = deque()
        self.current: OpenTake | None = None

    def reserve(self, reservation: Reservation) -> None:
        self.reserved.append(reservation)

    def release_unused(self) -> list[int]:
        """Close and remove reservations that never received a sample."""
        released = []
        while self.reserved:
            res = self.reserved.popleft()
            res.file.close()
            res.path.unlink(missing_ok=True)
            released.append(res.take_id)
        return released

    def pump(self, force: bool, now: float) -> bool:
        """Write what is ready. Returns True if anything happened."""
        progressed = False
        while True:
            i = self.markers.peek_rt()
            marker_at = int(self.markers.ints[i][1]) if i >= 0 else -1
            r = self.ring.read_count
            limit = marker_at if i >= 0 else self.ring.write_count
            ready = limit - r
            if ready > 0 and (i >= 0 or force or ready >= WRITE_BLOCK):
                self._write_frames(ready)
                progressed = True
                continue
            if i < 0 or self.ring.read_count != marker_at:
                break
            if not self._apply_marker(i):
                break  # waiting for a reservation
            self.markers.pop_done_rt()
            progressed = True
        if self.current is not None and not self.current.failed:
            try:
                self.current.reservation.file.sync_if_due(now, SYNC_EVERY_S)
            except (DiskFull, TakeWriteError) as error:
                self._fail(error)
        return progressed

    def _write_frames(self, frames: int) -> None:
        while frames > 0:
            a, b = self.ring.peek(frames)
            for part in (a, b):
                if len(part) == 0:
                    continue
                take = self.current
                if take is not None and not take.failed:
                    ch = take.reservation.channels
                    try:
                        take.reservation.file.write(part[:, :ch])
                    except (DiskFull, TakeWriteError) as error:
                        self._fail(error)
                self.ring.consume(len(part))
                frames -= len(part)

    def _apply_marker(self, i: int) -> bool:
        row = self.markers.ints[i]
        kind = int(row[0])
        if kind == Marker.TAKE_START:
            if self.current is not None:
                self._finish("complete")
            if not self.reserved:
                return False
            res = self.reserved.popleft()
            self.current = OpenTake(res, song_frame=int(row[2]), pass_index=int(row[3]))
            self.emit(
                {
                    "event": "take_started",
                    "slot": self.slot,
                    "take_id": res.take_id,
                    "song_frame": int(row[2]),
                    "pass": int(row[3]),
                }
            )
        elif kind == Marker.TAKE_END:
            self._finish("complete")
        elif kind == Marker.GAP:
            frames = int(row[2])
            take = self.current
            if take is not None and not take.failed:
                at = take.reservation.file.frames
                take.gaps.append((at, frames))
                try:
                    take.reservation.file.write_silence(frames)
                except (DiskFull, TakeWriteError) as error:
                    self._fail(error)
        return True

    def stop_for_full_disk(self, free: int) -> None:
        """Stop writing before the filesystem is truly full, so the catalog can still commit."""
        if self.current is not None and not self.current.failed:
            self._fail(DiskFull(DISK_FLOOR_REACHED, free=free // 1_000_000))

    def _fail(self, error: Exception) -> None:
        take = self.current
        if take is None or take.failed:
            return
        take.failed = True
        self.emit(
            {
                "event": "disk_full" if isinstance(error, DiskFull) else "write_error",
                "slot": self.slot,
                "take_id": take.reservation.take_id,
                "message_en": str(error),
            }
        )

    def _finish(self, state: str) -> None:
        take = self.current
        if take is None:
            return
        self.current = None
        frames = take.reservation.file.frames
        sha256: str | None = None
        try:
            result = take.reservation.file.close()
            frames, sha256 = result.frames, result.sha256
        except (TakeFileError, OSError) as error:
            # the take still ends (the catalog must hear of it); what the file holds is kept
            take.failed = True
            self.emit({"event": "write_error", "take_id": take.reservation.take_id,
                       "message_en": str(error)})
            done = getattr(error, "result", None)
            if done is not None:
                frames, sha256 = done.frames, done.sha256
        self.emit(
            {
                "event": "take_finished",
                "slot": self.slot,
                "take_id": take.reservation.take_id,
                "frames": frames,
                "sha256": sha256,
                "song_frame": take.song_frame,
                "pass": take.pass_index,
                "gaps": take.gaps,
                "state": "interrupted" if (take.failed or state != "complete") else "complete",
            }
        )

    def finish_now(self, state: str) -> None:
        """End the open take with what has arrived (device lost, shutting down)."""
        self.pump(force=True, now=time.monotonic())
        if self.current is not None:
            self._finish(state)


class PlaybackFeeder:
    """Keeps one track's playback ring filled ahead of the callback for the current epoch."""

    def __init__(self, ring: TimelineRing) -> None:
        self.ring = ring
        self.reader = ClipReader([])
        # a beat track plays through its renderer, the song's mix through its graph
        self.beat: BeatSource | GraphSource | None = None
        self.epoch: Epoch | None = None

    @property
    def clips(self) -> list[ClipSource]:
        return self.reader.clips

    @property
    def unreadable(self) -> set[Path]:
        found = set(self.reader.unreadable)
        if isinstance(self.beat, GraphSource):
            found |= self.beat.unreadable
        return found

    def start(self, epoch: Epoch, clips: list[ClipSource],
              beat: BeatSource | GraphSource | None = None) -> None:
        unreadable = self.reader.unreadable
        self.close()  # files of clips no longer played are closed
        self.reader = ClipReader(clips)
        self.reader.unreadable = unreadable  # said once, not again at every start
        self.beat = beat
        if isinstance(beat, GraphSource):
            beat.epoch = epoch.number
        self.epoch = epoch
        self.ring.reset(epoch.number, 0)

    def close(self) -> None:
        self.reader.close()

    def pump(self) -> bool:
        epoch = self.epoch
        if epoch is None or not (self.clips or self.beat):
            return False
        behind = self.ring.consumed() - self.ring.end
        if behind > 0:  # the callback ran past what we had: skip ahead instead of catching up
            self.ring.reset(epoch.number, self.ring.consumed())
        space = self.ring.space()
        if space < PREFETCH_CHUNK // 2:
            return False
        n = min(space, PREFETCH_CHUNK)
        t0 = self.ring.end
        block = np.zeros((n, 2), dtype=np.float32)
        for off, pos, length in song_runs(epoch, t0, n):
            source = self.beat if self.beat is not None else self.reader
            if isinstance(source, GraphSource):
                source.shift = t0 + off - pos
            source.render(block[off : off + length], pos)
        self.ring.append(block)
        return True


MAX_BEATS = 8


class GraphSource:
    """The mix graph as a playback source: ``render(out, song_frame)`` overwrites ``out``, and
    every track's level over each window rendered is left in ``levels`` for the screens."""

    def __init__(self, graph: MixGraph, key: str, levels: TrackLevels) -> None:
        self.graph = graph
        self.key = key
        self.levels = levels
        self.epoch = 0  # set by the feeder: the epoch, and how far the timeline is ahead of
        self.shift = 0  # the song in the run being rendered (they differ after a loop)
        graph.level_sink = self._levels

    def _levels(self, song_frame: int, frames: int, peaks: npt.NDArray[np.float32]) -> None:
        self.levels.write(self.epoch, song_frame + self.shift, peaks, frames)

    def render(self, out: np.ndarray, song_frame: int) -> None:
        self.graph.render_into(out, song_frame)

    @property
    def unreadable(self) -> set[Path]:
        """Take files the graph's tracks could not read (they play as silence)."""
        return self.graph.unreadable()

    def close(self) -> None:
        self.graph.close()


class DiskWorker:
    def __init__(self, memory: EngineMemory, samplerate: int, emit: EventSink,
                 watch_folder: Path | None = None, low_disk_bytes: int = 200_000_000,
                 stop_disk_bytes: int = 16_000_000) -> None:
        self.memory = memory
        self.samplerate = samplerate
        self.beats: dict[str, BeatSource] = {}  # renderers of beat tracks, by their document
        self.graph: GraphSource | None = None  # the song's mix graph, while it plays
        self.emit = emit
        self.writers = [
            CaptureWriter(i, memory.capture[i], memory.markers[i], emit)
            for i in range(memory.layout.capture_slots)
        ]
        self.feeders = [PlaybackFeeder(ring) for ring in memory.playback]
        self.watch_folder = watch_folder
        self.low_disk_bytes = low_disk_bytes
        self.stop_disk_bytes = stop_disk_bytes
        self._last_disk_check = 0.0
        self._warned_low = False

    # requests ---------------------------------------------------------------------------------
    def _graph_source(self, spec: dict[str, Any]) -> GraphSource | None:
        """The song's mix graph, kept while the same mix plays (a locate or a loop restart
        seeks it; a changed mix builds a new one)."""
        key = json.dumps(spec, sort_keys=True)
        if self.graph is not None and self.graph.key == key:
            return self.graph
        if self.graph is not None:
            self.graph.close()
            self.graph = None
        try:
            graph = MixGraph([track_from_json(t, self.samplerate) for t in spec["tracks"]],
                             buses_from_json(spec["buses"]), self.samplerate,
                             max_block=PREFETCH_CHUNK, threads=1)
        except Exception as error:  # a broken mix plays as silence; say it once
            self.emit({"event": "mix_unplayable", "message": str(error)})
            return None
        self.graph = GraphSource(graph, key, self.memory.track_levels)
        return self.graph

    def _beat_source(self, spec: dict[str, Any] | None) -> BeatSource | None:
        """The renderer of a beat track, kept while the same beat plays (a locate or a loop
        restart does not build it again)."""
        if not spec:
            return None
        key = json.dumps(spec, sort_keys=True)
        cache = self.beats
        if key not in cache:
            if len(cache) >= MAX_BEATS:
                cache.clear()
            try:
                cache[key] = BeatSource(str(spec["toml"]), str(spec.get("kit", "synth")),
                                        self.samplerate, spec.get("tempo_bpm"))
            except Exception as error:  # a broken beat plays as silence; say it once
                self.emit({"event": "beat_unplayable", "message": str(error)})
                return None
        return cache[key]

    def handle(self, request: dict[str, Any]) -> bool:
        """Apply one request; returns False when asked to quit."""
        op = request.get("op")
        if op == "reserve":
            self._reserve(request)
        elif op == "release":
            slot = int(request["slot"])
            for take_id in self.writers[slot].release_unused():
                self.emit({"event": "released", "slot": slot, "take_id": take_id})
        elif op == "play":
            loop = None
            if int(request.get("loop_end", 0)) > int(request.get("loop_start", 0)):
                loop = LoopRange(int(request["loop_start"]), int(request["loop_end"]))
            epoch = Epoch(int(request["epoch"]), int(request["start"]), loop)
            for track in request.get("tracks", []):
                clips = [clip_from_json(c) for c in track.get("clips", [])]
                source = (self._graph_source(track["graph"]) if track.get("graph")
                          else self._beat_source(track.get("beat")))
                self.feeders[int(track["slot"])].start(epoch, clips, source)
            self.prefetch(limit_s=0.5)
            for feeder in self.feeders:
                for path in sorted(feeder.unreadable):
                    self.emit({"event": "clip_unreadable", "path": str(path)})
            self.emit({"event": "prefetched", "epoch": epoch.number})
        elif op == "finish_all":
            for w in self.writers:
                w.finish_now(str(request.get("state", "interrupted")))
            self.emit({"event": "finished_all"})
        elif op == "drain":
            self.pump(force=True)
            self.emit({"event": "drained", "token": request.get("token")})
        elif op == "quit":
            return False
        return True

    def _reserve(self, request: dict[str, Any]) -> None:
        slot = int(request["slot"])
        path = Path(request["path"])
        channels = int(request["channels"])
        try:
            file = TakeFile.create(path, self.samplerate, channels)
        except (OSError, DiskFull, TakeWriteError) as error:
            self.emit({"event": "reserve_failed", "slot": slot, "take_id": request["take_id"],
                       "message_en": str(error)})
            return
        self.writers[slot].reserve(Reservation(int(request["take_id"]), path, channels, file))
        self.emit({"event": "reserved", "slot": slot, "take_id": request["take_id"]})

    # work -------------------------------------------------------------------------------------
    def pump(self, force: bool = False) -> bool:
        now = time.monotonic()
        self._check_disk(now)
        progressed = False
        for w in self.writers:
            progressed |= w.pump(force, now)
        return progressed

    def prefetch(self, limit_s: float | None = None) -> bool:
        progressed = False
        deadline = None if limit_s is None else time.monotonic() + limit_s
        for _ in range(64):
            step = False
            for feeder in self.feeders:
                step |= feeder.pump()
            progressed |= step
            if not step or (deadline is not None and time.monotonic() > deadline):
                break
        return progressed

    def _check_disk(self, now: float) -> None:
        """Every pump: stop takes at the floor. Once a second: warn when space runs low."""
        if self.watch_folder is None:
            return
        if not any(w.current is not None for w in self.writers):
            return
        try:
            free = shutil.disk_usage(self.watch_folder).free
        except OSError:
            return
        if free < self.stop_disk_bytes:
            for w in self.writers:
                w.stop_for_full_disk(free)
        if now - self._last_disk_check < DISK_CHECK_EVERY_S:
            return
        self._last_disk_check = now
        if free < self.low_disk_bytes and not self._warned_low:
            self._warned_low = True
            self.emit({"event": "disk_low", "free_bytes": free})

    def shutdown(self) -> None:
        for w in self.writers:
            w.finish_now("complete")
            w.release_unused()
        for f in self.feeders:
            f.close()


@dataclass
class DiskWorkerConfig:
    memory_path: str
    layout: dict[str, object]
    samplerate: int
    watch_folder: str | None = None
    low_disk_bytes: int = 200_000_000
    stop_disk_bytes: int = 16_000_000


def _handle_safely(worker: DiskWorker, line: bytes, emit: EventSink) -> bool:
    """One request; a request that fails is answered with an error, the worker goes on."""
    try:
        return worker.handle(json.loads(line))
    except Exception as error:
        emit({"event": "error", "message_en": f"{type(error).__name__}: {error}"})
        return True


def run(config: DiskWorkerConfig) -> int:
    layout = EngineLayout(**config.layout)  # type: ignore[arg-type]
    memory = EngineMemory(layout, Path(config.memory_path), create=False)
    out = sys.stdout

    def emit(event: dict[str, Any]) -> None:
        try:
            out.write(json.dumps(event) + "\n")
            out.flush()
        except (BrokenPipeError, ValueError):
            pass  # the supervisor is gone; the catalog learns on the next start (recovery)

    worker = DiskWorker(memory, config.samplerate, emit,
                        Path(config.watch_folder) if config.watch_folder else None,
                        config.low_disk_bytes, config.stop_disk_bytes)
    fd = sys.stdin.fileno()
    pending = b""
    running = True
    wait = 0.02
    emit({"event": "ready"})
    try:
        while running:
            readable, _, _ = select.select([fd], [], [], wait)
            if readable:
                chunk = os.read(fd, 65536)
                if not chunk:  # supervisor gone
                    time.sleep(0.5)  # let the engine host end its takes first
                    break
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip() and not _handle_safely(worker, line, emit):
                        running = False
                        break
            busy = worker.pump()
            busy |= worker.prefetch(limit_s=0.01)
            wait = 0.0 if busy else 0.02  # no idling while there is work
    finally:
        worker.shutdown()
        memory.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    return run(DiskWorkerConfig(**json.loads(args[0])))


if __name__ == "__main__":
    sys.exit(main())
