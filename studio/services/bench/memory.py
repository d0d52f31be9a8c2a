"""Memory benchmark: the engine's memory does not grow with the length of the song or the take.

Playback streams from disk through the disk worker and captured audio leaves through it, so
neither the engine host nor the disk worker should hold more memory at the end of a long take
than early in it. :func:`run_memory_bench` checks that the way a user would meet it:

1. A temporary studio folder with a song of ``tracks`` tracks, each holding one complete take of
   ``track_seconds`` of synthetic audio (written in one-second chunks, registered in the
   catalog like any recorded take), so the disk worker streams them during the run.
2. One take of ``take_seconds`` recorded through :class:`~studio.services.recording.Recording`
   on the practice device, faster than real time (``speed``; 0 = as fast as the machine can),
   while those tracks play.
3. While it runs, the memory of the engine host, the disk worker and this (UI) process is read
   from ``/proc`` at 10 % of the take, at its end and every ``sample_every_s`` in between.

The same is done for a short song (``baseline_tracks`` × ``baseline_seconds``, a take as long)
so the two can be read side by side: what matters is the growth from 10 % to the end, and that
it is the same for half a minute and for half an hour.

Figures, per process (MB): ``rss`` (VmRSS: everything resident, including the pages of the
shared-memory rings this process has touched), ``heap`` (RssAnon: private anonymous memory,
where a leak would show), ``shmem`` (RssShmem: the rings), and from ``smaps_rollup`` ``uss``
(pages only this process maps) and ``pss`` (shared pages divided among the processes sharing
them). A leak proportional to length shows up as growth in ``rss``/``heap``/``uss``; the rings
are fixed-size, so ``shmem`` only grows until every ring page has been touched once (the capture
ring holds 8 s, so in a 30 s take it is still being touched for the first time at 10 %).

"Kept up": the take came back complete with exactly ``take_seconds × rate`` frames, no gaps, no
frames the capture ring had no room for, and no playback underrun seen (the playback rings are
looked at every 20 ms by the recording's progress callback; an underrun shorter than that can
slip through, so this is a sampled figure). When the disk worker cannot keep up at the speed
asked for, the report says so; run again with a lower speed (``studio bench`` can try 20×).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.audio.take_file import sha256_file
from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

__all__ = [
    "PROCESSES",
    "format_memory_report",
    "read_process_memory",
    "run_memory_bench",
]

MB = 1_000_000
PROCESSES = ("engine", "disk", "ui")
PROCESS_NAMES = {"engine": "engine host", "disk": "disk worker", "ui": "UI (this process)"}
METRICS = ("rss", "heap", "shmem", "uss", "pss")
#: what the table shows, per process (the rest is in the result)
TABLE_METRICS = ("rss", "heap", "uss")
METRIC_NAMES = {"rss": "RSS", "heap": "heap", "shmem": "shm", "uss": "USS", "pss": "PSS"}
FIRST_MARK = 0.10  # "start" is taken when this much of the take has been recorded
SAMPLERATE = 48000
TRACK_LEVEL_DB = -30.0  # each synthetic track; 16 of them in phase would still not clip

Snapshot = dict[str, float | None]


# ---------------------------------------------------------------------------------------------
# reading /proc
def _read_kb_fields(path: Path, names: tuple[str, ...]) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        text = path.read_text()
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in names:
            parts = rest.split()
            if parts and parts[0].isdigit():
                values[key] = int(parts[0]) * 1024
    return values


def read_process_memory(pid: int) -> Snapshot | None:
    """Memory of one process in MB (see the module's docstring), or None if it is gone.

    ``uss``/``pss`` are None where ``/proc/PID/smaps_rollup`` cannot be read (old kernel, or
    another user's process)."""
    status = _read_kb_fields(Path(f"/proc/{pid}/status"),
                             ("VmRSS", "RssAnon", "RssFile", "RssShmem"))
    if "VmRSS" not in status:
        return None
    rollup = _read_kb_fields(Path(f"/proc/{pid}/smaps_rollup"),
                             ("Pss", "Private_Clean", "Private_Dirty"))
    uss: float | None = None
    pss: float | None = None
    if "Pss" in rollup:
        pss = rollup["Pss"] / MB
        uss = (rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)) / MB

    def mb(key: str) -> float | None:
        return status[key] / MB if key in status else None

    return {"rss": mb("VmRSS"), "heap": mb("RssAnon"), "shmem": mb("RssShmem"),
            "uss": uss, "pss": pss}


# ---------------------------------------------------------------------------------------------
# the song
def _write_track_audio(path: Path, seconds: float, samplerate: int, index: int) -> int:
    """A mono 24-bit WAV of ``seconds`` of a steady tone, written one second at a time."""
    total = round(seconds * samplerate)
    freq = 110 + 23 * index  # whole hertz: one second of it loops without a click
    t = np.arange(samplerate, dtype=np.float64) / samplerate
    level = 10 ** (TRACK_LEVEL_DB / 20)
    second = (level * np.sin(2 * np.pi * freq * t)).astype(np.float32).reshape(-1, 1)
    written = 0
    with sf.SoundFile(path, "x", samplerate=samplerate, channels=1, subtype="PCM_24",
                      format="WAV") as f:
        while written < total:
            n = min(samplerate, total - written)
            f.write(second[:n])
            written += n
    return written


def _make_song(studio: Studio, name: str, tracks: int, track_seconds: float,
               samplerate: int) -> None:
    """A song whose tracks each have one complete take, placed at the start as one clip."""
    catalog = studio.catalog
    song = studio.new_song(name, samplerate=samplerate)
    paths = studio.paths
    for i in range(tracks):
        track = catalog.create_track(song.id, f"track {i + 1:02d}", channels=1)
        path = paths.new_take_path(song.id, track.name)
        take = catalog.begin_take(song.id, track.id, paths.relative(path), samplerate, 1,
                                  device="synthetic", latency_frames=0)
        frames = _write_track_audio(path, track_seconds, samplerate, i)
        catalog.finish_take(take.id, frames=frames, sha256=sha256_file(path),
                            song_position_frames=0, gaps=())
        catalog.add_clip(track.id, take.id, 0, 0, frames)


# ---------------------------------------------------------------------------------------------
# sampling while the take runs
@dataclass
class _Sample:
    wall: float
    fraction: float  # of the take recorded
    memory: dict[str, Snapshot | None]


@dataclass
class _Sampler:
    recording: Recording | None
    take_frames: int
    every_s: float
    samples: int = 0
    last: _Sample | None = None
    # running maxima, not a list of samples: the UI's own figures must not grow with length
    peaks: dict[str, Snapshot] = field(default_factory=dict)
    idle: dict[str, Snapshot | None] = field(default_factory=dict)
    at_first_mark: _Sample | None = None
    at_end: _Sample | None = None
    first_progress: tuple[float, float] | None = None  # wall, song frame
    last_sample_wall: float = 0.0
    underrun_looks: int = 0  # looks at the playback rings that found one behind the callback
    looks: int = 0
    min_lead_frames: int | None = None
    capture_dropped: float = 0.0  # frames the capture ring had no room for (engine status)

    def pids(self) -> dict[str, int | None]:
        sup = self.recording.supervisor if self.recording is not None else None
        engine = sup.engine_proc if sup is not None else None
        disk = sup.disk_proc if sup is not None else None
        return {"engine": engine.pid if engine is not None else None,
                "disk": disk.pid if disk is not None else None,
                "ui": os.getpid()}

    def measure(self) -> dict[str, Snapshot | None]:
        return {name: (read_process_memory(pid) if pid is not None else None)
                for name, pid in self.pids().items()}

    def after_start(self) -> None:
        """The engine runs, the transport has not started: memory at rest."""
        self.idle = self.measure()

    def on_progress(self, phase: str, status: dict[str, float]) -> None:
        del phase
        now = time.monotonic()
        song_frame = status.get("song_frame", 0.0)
        fraction = song_frame / self.take_frames if self.take_frames else 1.0
        if status.get("state", 0.0) != 1.0:  # not rolling: not yet, or the take has ended
            if self.first_progress is not None and self.at_end is None:
                self.at_end = self._sample(now, max(fraction, 1.0))
            return
        if self.first_progress is None:
            self.first_progress = (now, song_frame)
        self.capture_dropped = max(self.capture_dropped, status.get("capture_dropped", 0.0))
        if fraction < 1.0:
            self._look_at_playback(int(status.get("timeline_frame", 0.0)))
        due = now - self.last_sample_wall >= self.every_s
        first_mark = self.at_first_mark is None and fraction >= FIRST_MARK
        end = self.at_end is None and fraction >= 1.0
        if not (due or first_mark or end):
            return
        sample = self._sample(now, fraction)
        if first_mark:
            self.at_first_mark = sample
        if end:
            self.at_end = sample

    def _sample(self, now: float, fraction: float) -> _Sample:
        sample = _Sample(now, fraction, self.measure())
        self.last_sample_wall = now
        self.samples += 1
        self.last = sample
        for proc, snap in sample.memory.items():
            peak = self.peaks.setdefault(proc, dict.fromkeys(METRICS))
            for m in METRICS:
                value = snap.get(m) if snap else None
                old = peak.get(m)
                if value is not None and (old is None or value > old):
                    peak[m] = value
        return sample

    def _look_at_playback(self, timeline_frame: int) -> None:
        sup = self.recording.supervisor if self.recording is not None else None
        if sup is None or sup.memory is None:
            return
        self.looks += 1
        behind = False
        for ring in sup.memory.playback:
            h = ring.header
            if int(h[0]) < 0 or int(h[9]) != int(h[0]) or int(h[8]) == 0:
                continue  # not in use in this epoch (or nothing consumed yet)
            lead = int(h[2]) - max(int(h[8]), timeline_frame)
            if lead < 0:
                behind = True
            if self.min_lead_frames is None or lead < self.min_lead_frames:
                self.min_lead_frames = lead
        if behind:
            self.underrun_looks += 1


# ---------------------------------------------------------------------------------------------
# one run
def _growth(a: Snapshot | None, b: Snapshot | None) -> Snapshot:
    out: Snapshot = {}
    for m in METRICS:
        x = a.get(m) if a else None
        y = b.get(m) if b else None
        out[m] = None if x is None or y is None else y - x
    return out


def _run_one(home: Path, label: str, tracks: int, track_seconds: float, take_seconds: float,
             speed: float, samplerate: int, sample_every_s: float, realtime: bool
             ) -> dict[str, object]:
    folder = home / label
    studio = Studio(StudioPaths(folder))
    try:
        song_name = f"memory {label}"
        began = time.monotonic()
        _make_song(studio, song_name, tracks, track_seconds, samplerate)
        made_s = time.monotonic() - began
        take_frames = round(take_seconds * samplerate)
        sampler = _Sampler(None, take_frames, sample_every_s)
        request = RecordRequest(
            song=song_name,
            tracks=[TrackInput("memory take", (1,))],
            seconds=take_seconds,
            device="practice",
            samplerate=samplerate,
            realtime=realtime,
            practice_speed=speed,
            after_start=sampler.after_start,
        )
        recording = Recording(studio, request, progress=sampler.on_progress)
        sampler.recording = recording
        result = recording.run()
        takes = [t.to_json() for t in result.takes]
    finally:
        studio.close()

    take = takes[0] if takes else None
    gaps = list(take["gaps"]) if take else []
    gap_frames = sum(int(g["frames"]) for g in gaps)
    frames = int(take["frames"]) if take else 0
    complete = bool(take and take["state"] == "complete" and frames == take_frames)

    first, end = sampler.at_first_mark, sampler.at_end
    if end is None:
        end = sampler.last
    wall_s: float | None = None
    achieved: float | None = None
    if sampler.first_progress is not None and end is not None:
        t0, f0 = sampler.first_progress
        wall_s = end.wall - t0
        if wall_s > 0:
            achieved = (end.fraction * take_frames - f0) / samplerate / wall_s

    memory: dict[str, object] = {}
    for proc in PROCESSES:
        start_snap = first.memory.get(proc) if first else None
        end_snap = end.memory.get(proc) if end else None
        growth = _growth(start_snap, end_snap)
        window_s = take_seconds * ((end.fraction if end else 1.0) - (first.fraction if first
                                                                     else 0.0))
        per_s: Snapshot = {
            m: (None if g is None or window_s <= 0 else g * MB / window_s)
            for m, g in growth.items()
        }
        memory[proc] = {
            "idle": sampler.idle.get(proc),
            "start": start_snap,
            "end": end_snap,
            "growth": growth,
            "peak": sampler.peaks.get(proc, dict.fromkeys(METRICS)),
            "growth_bytes_per_audio_s": per_s,
        }
    underruns = sampler.underrun_looks
    kept_up = complete and not gaps and underruns == 0 and sampler.capture_dropped == 0
    return {
        "label": label,
        "tracks": tracks,
        "track_seconds": track_seconds,
        "take_seconds": take_seconds,
        "samplerate": samplerate,
        "speed_requested": speed,
        "speed_achieved": achieved,
        "wall_seconds": wall_s,
        "song_made_seconds": made_s,
        "take": {
            "state": take["state"] if take else None,
            "frames": frames,
            "expected_frames": take_frames,
            "gaps": gaps,
            "gap_frames": gap_frames,
            "complete": complete,
        },
        "playback": {
            "looks": sampler.looks,
            "underrun_looks": underruns,
            "min_lead_frames": sampler.min_lead_frames,
        },
        "capture_dropped_frames": int(sampler.capture_dropped),
        "xruns": result.xruns,
        "messages": list(result.messages),
        "kept_up": kept_up,
        "samples": sampler.samples,
        "start_fraction": first.fraction if first else None,
        "end_fraction": end.fraction if end else None,
        "memory": memory,
    }


# ---------------------------------------------------------------------------------------------
def run_memory_bench(
    take_seconds: float = 1800,
    tracks: int = 16,
    track_seconds: float = 600,
    speed: float = 0.0,
    *,
    baseline_seconds: float = 30.0,
    baseline_tracks: int = 1,
    samplerate: int = SAMPLERATE,
    sample_every_s: float = 0.5,
    realtime: bool = False,
    home: Path | None = None,
) -> dict[str, object]:
    """Record a short take over a short song, then a long one over a long song, and measure.

    ``speed``: the practice device's speed (>1 faster than real time, 0 as fast as possible).
    ``realtime`` is off by default: at speed 0 the practice thread never sleeps, and under
    SCHED_FIFO it would hold a core at real-time priority; memory does not depend on it.
    ``home``: where the temporary studio folder goes (default: the system's temp folder; the
    long run needs about ``tracks × track_seconds × rate × 3`` bytes there plus the take).
    Returns ``{"short": run, "long": run, "speed": …, "samplerate": …, "flat": {...}}``; see
    :func:`format_memory_report` for what is in a run.
    """
    if take_seconds <= 0 or track_seconds <= 0 or tracks < 0:
        raise ValueError("take_seconds and track_seconds must be > 0, tracks >= 0")
    with tempfile.TemporaryDirectory(prefix="studio-bench-memory-", dir=home) as tmp:
        root = Path(tmp)
        short = _run_one(root, "short", baseline_tracks, baseline_seconds, baseline_seconds,
                         speed, samplerate, sample_every_s, realtime)
        long = _run_one(root, "long", tracks, track_seconds, take_seconds, speed, samplerate,
                        sample_every_s, realtime)
    flat: dict[str, float | None] = {}
    for proc in PROCESSES:
        growth = _growth_of(long, proc, "rss")
        flat[proc] = growth
    return {
        "speed": speed,
        "samplerate": samplerate,
        "short": short,
        "long": long,
        "long_rss_growth_mb": flat,
        "kept_up": bool(short["kept_up"]) and bool(long["kept_up"]),
    }


def _growth_of(run: Mapping[str, object], proc: str, metric: str) -> float | None:
    memory = run["memory"]
    assert isinstance(memory, dict)
    entry = memory[proc]
    assert isinstance(entry, dict)
    growth = entry["growth"]
    assert isinstance(growth, dict)
    value = growth.get(metric)
    return float(value) if value is not None else None


def _snap_value(run: Mapping[str, object], proc: str, point: str, metric: str) -> float | None:
    memory = run["memory"]
    assert isinstance(memory, dict)
    entry = memory[proc]
    assert isinstance(entry, dict)
    snap = entry[point]
    if not isinstance(snap, dict):
        return None
    value = snap.get(metric)
    return float(value) if value is not None else None


# ---------------------------------------------------------------------------------------------
def _mb(value: float | None, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def _describe(run: Mapping[str, object]) -> str:
    return (f"{run['tracks']} × {float(run['track_seconds']):g} s tracks, "  # type: ignore[arg-type]
            f"take {float(run['take_seconds']):g} s")  # type: ignore[arg-type]


def _run_lines(run: Mapping[str, object]) -> list[str]:
    take = run["take"]
    playback = run["playback"]
    assert isinstance(take, dict) and isinstance(playback, dict)
    achieved = run["speed_achieved"]
    wall = run["wall_seconds"]
    speed = f"{float(achieved):.1f}× real time" if isinstance(achieved, float) else "n/a"
    wall_text = f"{float(wall):.1f} s" if isinstance(wall, float) else "n/a"
    gaps = take["gaps"]
    first = run["start_fraction"]
    start = f"{100 * float(first):.0f} %" if isinstance(first, float) else "n/a"
    dropped = run.get("capture_dropped_frames", 0)
    verdict = "kept up" if run["kept_up"] else "DID NOT KEEP UP"
    lines = [
        f"  {run['label']} ({_describe(run)}): {speed}, {wall_text} wall; "
        f"start taken at {start} of the take",
        f"    take {take['state']}, {take['frames']} of {take['expected_frames']} frames, "
        f"{len(gaps)} gap(s) ({take['gap_frames']} frames), {dropped} frames dropped at capture;",
        f"    playback seen behind in {playback['underrun_looks']} of {playback['looks']} looks"
        f" (least lead {playback['min_lead_frames']} frames): {verdict}",
    ]
    for message in run["messages"]:  # type: ignore[attr-defined]
        lines.append(f"    {message}")
    return lines


def format_memory_report(result: Mapping[str, object]) -> str:
    """A plain table: per process, memory at 10 % of the take, at its end, and the growth."""
    short = result["short"]
    long = result["long"]
    assert isinstance(short, dict) and isinstance(long, dict)
    speed = float(result["speed"])  # type: ignore[arg-type]
    asked = "as fast as possible" if speed == 0 else f"{speed:g}× real time"
    head = (f"{'':24}{'short: ' + _describe(short):>34}   {'long: ' + _describe(long):>38}")
    cols = f"{'process':24}" + f"{'start':>12}{'end':>11}{'growth':>11}" + "   " + \
        f"{'start':>12}{'end':>13}{'growth':>13}"
    lines = [
        f"Memory while recording on the practice device ({asked}), MB",
        "start = at 10 % of the take, end = when the take ends",
        "",
        head,
        cols,
    ]
    for proc in PROCESSES:
        for metric in TABLE_METRICS:
            label = f"{PROCESS_NAMES[proc]} {METRIC_NAMES[metric]}"
            row = f"{label:24}"
            for k, run in enumerate((short, long)):
                s = _snap_value(run, proc, "start", metric)
                e = _snap_value(run, proc, "end", metric)
                g = None if s is None or e is None else e - s
                w = (12, 11, 11) if k == 0 else (12, 13, 13)
                row += f"{_mb(s):>{w[0]}}{_mb(e):>{w[1]}}{_mb(g, signed=True):>{w[2]}}"
                if k == 0:
                    row += "   "
            lines.append(row)
    lines += [
        "",
        "RSS: all resident pages, including the shared-memory rings this process has touched;",
        "heap: private anonymous memory (RssAnon), where a leak would show;",
        "USS: pages only this process maps (smaps_rollup). The rings are fixed-size: a short",
        "take is still touching its 8 s capture ring for the first time at 10 %.",
        "",
    ]
    lines += _run_lines(short)
    lines += _run_lines(long)
    if not result.get("kept_up"):
        lines.append("The disk worker did not keep up at this speed: run again with a lower "
                     "speed (e.g. --speed 20).")
    return "\n".join(lines)
