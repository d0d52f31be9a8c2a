"""Starts, watches and restarts the engine host and the disk worker.

The supervisor lives in the UI/CLI process. It owns the shared memory, pushes commands into the
callback, reads its events, talks JSON lines with the disk worker, and runs a watchdog: when the
callback's heartbeat stops for a second while the engine should be running, the device is
treated as lost: the engine host is killed (PortAudio's own stop can hang for a minute when the
audio server dies) and the disk worker closes the open takes with what it has.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import IO, Any

from studio.audio.disk_worker import DiskWorkerConfig
from studio.audio.engine_host import EngineHostConfig, EngineOptions
from studio.audio.layout import EngineLayout, EngineMemory
from studio.audio.protocol import Cmd, Event, Status
from studio.audio.shm import region_path, remove_stale_regions, shm_folder
from studio.core.i18n import StudioError, Words

WATCHDOG_S = 1.0

ENGINE_DID_NOT_START = Words(
    nb="Lydmotoren startet ikke: {why}",
    en="The audio engine did not start: {why}",
)
DEVICE_LOST = Words(
    nb="Lydenheten svarer ikke lenger. Alt som ble tatt opp til nå er tatt vare på.",
    en="The audio device stopped answering. Everything recorded so far has been kept.",
)


@dataclass
class EngineSettings(EngineOptions):
    """The engine host's options, and the environment its processes start in."""

    env: dict[str, str] | None = None  # e.g. the JACK server's name


@dataclass(frozen=True)
class TransportStatus:
    """Where the engine's transport is, read from one consistent snapshot."""

    rolling: bool
    epoch: int
    song_frame: int
    timeline_frame: int  # frames played in this epoch (unlike the song position, a loop
    # does not bring it back)


STOPPED_TRANSPORT = TransportStatus(False, 0, 0, 0)


class _LineReader(threading.Thread):
    """Reads JSON lines from a child's stdout into a queue (never blocks the UI)."""

    def __init__(self, stream: IO[bytes], sink: queue.Queue[dict[str, Any]], source: str) -> None:
        super().__init__(daemon=True, name=f"{source}-reader")
        self.stream = stream
        self.sink = sink
        self.source = source

    def run(self) -> None:
        for raw in iter(self.stream.readline, b""):
            try:
                item = json.loads(raw)
            except ValueError:
                continue
            if isinstance(item, dict):
                item["source"] = self.source
                self.sink.put(item)
        self.sink.put({"event": "exited", "source": self.source})


class Supervisor:
    def __init__(self, settings: EngineSettings, run_dir: Path, watch_folder: Path,
                 low_disk_bytes: int = 200_000_000, stop_disk_bytes: int = 16_000_000
                 ) -> None:
        self.settings = settings
        self.run_dir = run_dir
        self._command_lock = threading.Lock()
        # Reading meters or the playhead from one thread while another unmaps the memory
        # (stop, restart after a lost device) crashes the process: both sides hold this.
        self._memory_lock = threading.RLock()
        self.watch_folder = watch_folder
        self.low_disk_bytes = low_disk_bytes
        self.stop_disk_bytes = stop_disk_bytes
        self.layout = EngineLayout(
            input_channels=max(settings.input_channels, 1),
            output_channels=settings.output_channels,
            max_samplerate=settings.samplerate,
        )
        self.memory: EngineMemory | None = None
        self.engine_log = run_dir / "engine-host.log"
        self.engine_proc: subprocess.Popen[bytes] | None = None
        self.disk_proc: subprocess.Popen[bytes] | None = None
        self.engine_events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.disk_events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.latency: tuple[float, float] = (0.0, 0.0)
        self.realtime: dict[str, Any] = {}
        self.device_lost = threading.Event()
        self.loss_detected_after_s: float | None = None  # heartbeat silence when loss was seen
        self._watch_stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._epoch = 0

    # life cycle -------------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> None:
        run_dir = self.run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        folder = shm_folder(run_dir)
        remove_stale_regions(folder)
        Supervisor._count += 1  # several supervisors may live in one process (UI + recording)
        tag = f"engine{Supervisor._count}"
        self.memory = EngineMemory(self.layout, region_path(folder, tag), create=True)
        try:
            self._start_disk_worker()
            self._start_engine(timeout)
        except BaseException:
            self.stop()  # no half-started processes or memory left behind
            raise

    _count = 0

    def _child_env(self) -> dict[str, str]:
        env = dict(self.settings.env or os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        # numpy's BLAS would otherwise start worker threads at normal priority that the
        # callback then waits for (np.dot in the meters): a priority inversion measured as
        # callbacks of 5x the period while the UI process was busy
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = "1"
        return env

    def _start_disk_worker(self) -> None:
        assert self.memory is not None
        config = DiskWorkerConfig(
            memory_path=str(self.memory.path),
            layout=asdict(self.layout),
            samplerate=self.settings.samplerate,
            watch_folder=str(self.watch_folder),
            low_disk_bytes=self.low_disk_bytes,
            stop_disk_bytes=self.stop_disk_bytes,
        )
        self.disk_proc = subprocess.Popen(
            [sys.executable, "-m", "studio.audio.disk_worker", json.dumps(asdict(config))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self._child_env(),
        )
        assert self.disk_proc.stdout is not None
        _LineReader(self.disk_proc.stdout, self.disk_events, "disk").start()
        self.wait_disk("ready", timeout=20.0)

    def _start_engine(self, timeout: float) -> None:
        assert self.memory is not None
        s = self.settings
        options = EngineOptions(**{f.name: getattr(s, f.name) for f in fields(EngineOptions)})
        config = EngineHostConfig(str(self.memory.path), asdict(self.layout), options)
        self.engine_events = queue.Queue()
        # stderr goes to a file: a pipe nobody reads fills up and would block the audio thread
        self.engine_log = self.run_dir / f"engine-host-{os.getpid()}-{Supervisor._count}.log"
        with open(self.engine_log, "ab") as log:
            self.engine_proc = subprocess.Popen(
                [sys.executable, "-m", "studio.audio.engine_host", config.to_json()],
                stdout=subprocess.PIPE,
                stderr=log,
                env=self._child_env(),
            )
        assert self.engine_proc.stdout is not None
        _LineReader(self.engine_proc.stdout, self.engine_events, "engine").start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self.engine_events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                item = {"event": "timeout"}
            if "realtime" in item:
                self.realtime = item["realtime"]
                continue
            if item.get("ready"):
                self.latency = (float(item["latency"][0]), float(item["latency"][1]))
                break
            why = self._engine_stderr_tail() or str(item.get("event", "unknown"))
            self._kill_engine()
            raise StudioError(ENGINE_DID_NOT_START, why=why)
        self.device_lost.clear()
        self._watch_stop.clear()
        self._watchdog = threading.Thread(target=self._watch, daemon=True, name="watchdog")
        self._watchdog.start()

    def _engine_stderr_tail(self) -> str:
        proc = self.engine_proc
        if proc is not None:
            try:
                proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                return ""
        try:
            lines = self.engine_log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def restart_engine(self, settings: EngineSettings | None = None, timeout: float = 20.0
                       ) -> None:
        """Kill the engine host and start a fresh one (device lost, new device list), on new
        settings if given (e.g. another device). The shared memory and the disk worker stay."""
        if settings is not None:
            self.settings = settings
        self._stop_watchdog()
        self._kill_engine()
        assert self.memory is not None
        self.memory.commands.counters[8] = self.memory.commands.counters[0]  # drop stale ones
        self._start_engine(timeout)

    def stop(self) -> None:
        self._stop_watchdog()
        if self.engine_proc is not None and self.engine_proc.poll() is None:
            self.command(Cmd.QUIT)
            try:
                self.engine_proc.wait(timeout=3.0)
            except subprocess.TimeoutExpired:
                self._kill_engine()
        if self.disk_proc is not None and self.disk_proc.poll() is None:
            self.disk({"op": "quit"})
            try:
                self.disk_proc.wait(timeout=30.0)
            except subprocess.TimeoutExpired:
                self.disk_proc.kill()
        if self.memory is not None:
            with self._memory_lock:
                self.memory.close()
                self.memory.unlink()
                self.memory = None
        try:
            if self.engine_log.stat().st_size == 0:
                self.engine_log.unlink()
        except OSError:
            pass

    def _kill_engine(self) -> None:
        proc = self.engine_proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def _stop_watchdog(self) -> None:
        self._watch_stop.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=2.0)
            self._watchdog = None

    # watchdog ---------------------------------------------------------------------------------
    def _watch(self) -> None:
        last_beat = -1.0
        last_change = time.monotonic()
        while not self._watch_stop.wait(0.05):
            beat = self.status(Status.HEARTBEAT)
            now = time.monotonic()
            if beat != last_beat:
                last_beat = beat
                last_change = now
                continue
            exited = self.engine_proc is None or self.engine_proc.poll() is not None
            if exited or now - last_change >= WATCHDOG_S:
                self.loss_detected_after_s = now - last_change
                self._kill_engine()
                self.device_lost.set()
                self.engine_events.put({"event": "device_lost", "source": "watchdog",
                                        "silent_s": now - last_change})
                return

    # talking to the children ------------------------------------------------------------------
    def command(self, op: Cmd, *ints: int, x: float = 0.0, y: float = 0.0) -> None:
        """Send a command to the callback. Safe from any thread (the UI, a MIDI port's thread):
        the queue has one producer, so pushes are serialised here."""
        assert self.memory is not None
        with self._command_lock:
            pushed = self.memory.commands.push(int(op), *ints, x=x, y=y)
        if not pushed:
            raise RuntimeError("engine command queue full")

    def next_epoch(self) -> int:
        self._epoch += 1
        return self._epoch

    def disk(self, request: dict[str, Any]) -> None:
        proc = self.disk_proc
        if proc is None or proc.stdin is None:
            raise RuntimeError("disk worker not running")
        proc.stdin.write((json.dumps(request) + "\n").encode())
        proc.stdin.flush()

    def wait_disk(self, event: str | tuple[str, ...], timeout: float, **match: Any
                  ) -> dict[str, Any]:
        """Wait for one disk-worker event (or one of several); other events stay queued."""
        wanted = (event,) if isinstance(event, str) else event
        deadline = time.monotonic() + timeout
        kept: list[dict[str, Any]] = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"disk worker: no {event!r} within {timeout} s")
                try:
                    item = self.disk_events.get(timeout=left)
                except queue.Empty:
                    continue
                if item.get("event") in wanted and all(item.get(k) == v
                                                       for k, v in match.items()):
                    return item
                if item.get("event") == "exited":
                    raise RuntimeError("the disk worker stopped")
                kept.append(item)
        finally:
            for item in kept:
                self.disk_events.put(item)

    def drain_disk_events(self) -> list[dict[str, Any]]:
        items = []
        while True:
            try:
                items.append(self.disk_events.get_nowait())
            except queue.Empty:
                return items

    def drain_engine_events(self) -> list[tuple[int, tuple[int, ...]]]:
        """Events the callback pushed (shared-memory queue), oldest first."""
        out: list[tuple[int, tuple[int, ...]]] = []
        if self.memory is None:
            return out
        while (item := self.memory.events.pop()) is not None:
            ints, _ = item
            out.append((ints[0], ints[1:]))
        return out

    def status(self, index: Status) -> float:
        with self._memory_lock:
            if self.memory is None:
                return 0.0
            return float(self.memory.status.values[int(index)])

    def transport(self) -> TransportStatus:
        """State, epoch and song position as one callback left them. Reading them one by one
        can mix two callbacks: the state from before a PLAY and the epoch from after it looks
        exactly like a transport that has already stopped again."""
        with self._memory_lock:
            if self.memory is None:
                return STOPPED_TRANSPORT
            values = self.memory.status.snapshot()
        return TransportStatus(int(values[Status.STATE]) == 1, int(values[Status.EPOCH]),
                               int(values[Status.SONG_FRAME]), int(values[Status.TIMELINE_FRAME]))

    def track_levels(self, epoch: int, first: int, last: int, tracks: int
                     ) -> list[tuple[float, float]] | None:
        """Per-track peaks (left, right; linear) of the live mix over timeline frames ``first``
        to ``last`` of ``epoch``, as the disk worker rendered them; None when not known."""
        with self._memory_lock:
            if self.memory is None:
                return None
            found = self.memory.track_levels.find(epoch, first, last, tracks)
        return None if found is None else [(float(left), float(right)) for left, right in found]

    def status_snapshot(self) -> dict[str, float]:
        with self._memory_lock:
            if self.memory is None:
                return {}
            values = self.memory.status.snapshot()
        return {s.name.lower(): float(values[int(s)]) for s in Status if s != Status.COUNT}

    def callback_timings(self) -> list[float]:
        assert self.memory is not None
        ring = self.memory.timings
        data = ring.read(ring.readable())
        return [float(v) for v in data[:, 0]]

    def input_meters(self) -> list[list[float]]:
        """The input meters (peak, rms, clip hold, peak max per input), or [] when stopped.
        Safe from any thread."""
        with self._memory_lock:
            if self.memory is None:
                return []
            return self.memory.input_meters.snapshot().tolist()  # type: ignore[no-any-return]

    def output_meters(self) -> list[list[float]]:
        """Like :meth:`input_meters`, for the outputs."""
        with self._memory_lock:
            if self.memory is None:
                return []
            return self.memory.output_meters.snapshot().tolist()  # type: ignore[no-any-return]


__all__ = ["DEVICE_LOST", "EngineSettings", "Event", "Supervisor"]
