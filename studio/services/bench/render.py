"""``studio bench render``: mixing and mastering a whole song, next to ffmpeg and sox.

The job (the same for every side, as far as each tool can do it): ``tracks`` stereo tracks of
``seconds`` at 48 kHz (24-bit WAV files, made once before the runs, not timed), each through a
3-effect chain (high-pass 80 Hz, compressor -20 dB 3:1, peak EQ +2 dB at 2 kHz), with its own
gain and pan; every other track sends to a reverb bus and every fourth to a delay bus (each
bus: high-pass, low-pass, reverb or echo); the sum goes through a master chain (high-pass,
high shelf, compressor), is brought to a loudness target and limited, and is written as a
24-bit WAV file.

- **ours**: the studio's own code exactly as ``studio export`` runs it: the mix graph
  (:meth:`studio.audio.mix_graph.MixGraph.blocks`: lanes and buses on two threads, pipelined
  from block to block), the ``streaming`` master
  (:func:`studio.audio.mastering.master_offline`: -14 LUFS integrated, true peak <= -1 dBTP,
  measured again afterwards) and the export's file writer. Presets: the bench track chain
  below, ``bus-reverb``, ``bus-delay``.
- **ffmpeg** in its fastest form for the job: one filter graph, run twice: first with
  ``ebur128`` to measure the integrated loudness (output thrown away), then with ``volume`` to
  the target and ``alimiter`` at -1 dBFS into the file. (Its one-pass ``loudnorm`` is slower.)
- **sox**: one ``sox -m`` with a piped ``sox`` per track (so the tracks run in parallel
  processes) and one per bus, the master chain, and ``gain -n -1``: peak normalisation, since
  sox has no loudness meter (it keeps the mix in a temporary file for its second pass). Its bus
  sends are taken from the track files before the track effects (sox cannot split a stream):
  a slightly smaller job than ours.
- **numpy floor**: read every track, add them with their gains, write the 24-bit file: the least
  any mixdown has to do.

Each run times every side once (wall clock, the order rotating from run to run, files already
in the page cache after the first run); the report shows medians and ratios, and checks that
our file is right: as long as the song, on target within 0.5 LU, true peak under the ceiling.
"""

from __future__ import annotations

import math
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from studio.audio.clip_reader import ClipSource
from studio.audio.loudness import LoudnessMeter
from studio.audio.mastering import master_offline
from studio.audio.mix_graph import BusSettings, GraphBus, GraphTrack, MixGraph
from studio.core.i18n import Words
from studio.core.master_preset import find_master_preset
from studio.core.mix import TrackMix
from studio.core.preset import EffectStep, Preset, find_preset
from studio.services.bench.report import format_table, median, ratio
from studio.services.export import FileSink
from studio.services.render import default_threads

__all__ = ["RenderBench", "format_render_report", "run_render_bench"]

SAMPLERATE = 48000
BLOCK = 65536
TARGET = "streaming"
FFMPEG_TARGET_SPEEDUP = 3.0
SOX_TARGET_SPEEDUP = 1.5
LIMIT_DBFS = -1.0
SIDES = ("ours", "ffmpeg", "sox", "numpy_floor")

TRACK_CHAIN = Preset(
    name="bench-track",
    words=Words(nb="Ytelsestest: høypass, kompressor, EQ.",
                en="Benchmark: high-pass, compressor, EQ."),
    effects=(
        EffectStep("HighpassFilter", {"cutoff_frequency_hz": 80.0}),
        EffectStep("Compressor", {"threshold_db": -20.0, "ratio": 3.0, "attack_ms": 5.0,
                                  "release_ms": 100.0}),
        EffectStep("PeakFilter", {"cutoff_frequency_hz": 2000.0, "gain_db": 2.0, "q": 1.0}),
    ),
)

MISSING_TOOL = Words(nb="{tool} finnes ikke på denne maskinen; den siden er hoppet over.",
                     en="{tool} is not installed here; that side was skipped.")
TOOL_FAILED = Words(nb="{tool} feilet: {why}", en="{tool} failed: {why}")


# ---------------------------------------------------------------------------------------------
# the song
@dataclass(frozen=True)
class _Track:
    path: Path
    gain_db: float
    pan: float
    send_reverb: float
    send_delay: float

    @property
    def gains(self) -> tuple[float, float]:
        """Left and right amplitude: gain and constant-power pan, as the mix graph does."""
        angle = (self.pan + 1.0) * math.pi / 4.0
        gain = 10 ** (self.gain_db / 20)
        return gain * math.cos(angle), gain * math.sin(angle)


def _track_audio(index: int, start: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    """A second or so of one synthetic track: a chord or a bass line with a rhythmic envelope,
    or noise hits (drums), so compressors and the limiter have something to do."""
    t = (start + np.arange(frames)) / SAMPLERATE
    beat = (t * 1.5) % 1.0  # 90 bpm
    kind = index % 4
    if kind == 0:  # drums: a kick and a decaying noise hit on every beat
        env = np.exp(-beat * 18.0)
        kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-beat * 30)) * t) * np.exp(-beat * 8)
        mono = np.clip(rng.standard_normal(frames) * env * 0.12, -0.5, 0.5) + 0.4 * kick
        stereo = np.stack((mono, mono * 0.9), axis=1)
    elif kind == 1:  # bass
        f = 55.0 * (1 + (index % 3))
        mono = np.sin(2 * np.pi * f * t) * (0.3 + 0.3 * np.exp(-beat * 4.0))
        stereo = np.stack((mono, mono), axis=1)
    else:  # chords
        base = 220.0 * 2 ** ((index % 7) / 12)
        mono = np.zeros(frames)
        for ratio_ in (1.0, 1.26, 1.5):
            mono += np.sin(2 * np.pi * base * ratio_ * t) / 3
        left = mono * (0.25 + 0.15 * np.sin(2 * np.pi * 0.25 * t))
        right = mono * (0.25 + 0.15 * np.cos(2 * np.pi * 0.25 * t))
        stereo = np.stack((left, right), axis=1)
    return stereo.astype(np.float32)


def make_tracks(folder: Path, tracks: int, seconds: float) -> list[_Track]:
    """Write the song's track files (24-bit stereo WAV), one second at a time."""
    frames = round(seconds * SAMPLERATE)
    made = []
    for index in range(tracks):
        path = folder / f"track-{index + 1:02d}.wav"
        rng = np.random.default_rng(index)
        with sf.SoundFile(path, "w", samplerate=SAMPLERATE, channels=2, format="WAV",
                          subtype="PCM_24") as f:
            for start in range(0, frames, SAMPLERATE):
                f.write(_track_audio(index, start, min(SAMPLERATE, frames - start), rng))
        pan = -0.6 + 1.2 * (index % 5) / 4
        made.append(_Track(path, -6.0, pan, 0.2 if index % 2 == 0 else 0.0,
                           0.1 if index % 4 == 1 else 0.0))
    return made


# ---------------------------------------------------------------------------------------------
# the four sides
@dataclass
class _Outcome:
    seconds: float
    cpu_seconds: float
    error: str | None = None


def _ours(tracks: list[_Track], frames: int, out: Path, threads: int) -> dict[str, Any]:
    graph_tracks = [GraphTrack([ClipSource(t.path, 0, 0, frames)],
                               TrackMix(gain_db=t.gain_db, pan=t.pan, send_reverb=t.send_reverb,
                                        send_delay=t.send_delay),
                               TRACK_CHAIN, t.path.stem) for t in tracks]
    buses = BusSettings(reverb=GraphBus(find_preset("bus-reverb")),
                        delay=GraphBus(find_preset("bus-delay")))
    sink = FileSink(out, SAMPLERATE, "wav", "bench", "", frames)
    with MixGraph(graph_tracks, buses, SAMPLERATE, BLOCK, threads) as graph:
        try:
            result = master_offline(graph.blocks(0, frames, BLOCK), frames, SAMPLERATE,
                                    find_master_preset(TARGET), sink, temp_dir=out.parent,
                                    block=BLOCK)
        finally:
            sink.close()
    return {"integrated_lufs": result.after.integrated_lufs,
            "true_peak_dbtp": result.after.true_peak_dbtp, "on_target": result.on_target,
            "tries": result.tries}


def _ffmpeg_graph(tracks: list[_Track]) -> str:
    parts = []
    dry, reverb, delay = [], [], []
    for i, t in enumerate(tracks):
        left, right = t.gains
        chain = (f"[{i}:a]highpass=f=80,acompressor=threshold=0.1:ratio=3:attack=5:release=100,"
                 f"equalizer=f=2000:t=q:w=1:g=2,pan=stereo|c0={left:.6f}*c0|c1={right:.6f}*c1")
        outs = [f"d{i}"]
        if t.send_reverb:
            outs.append(f"r{i}")
        if t.send_delay:
            outs.append(f"e{i}")
        if len(outs) > 1:
            chain += f",asplit={len(outs)}" + "".join(f"[{o}]" for o in outs)
        else:
            chain += f"[d{i}]"
        parts.append(chain)
        dry.append(f"[d{i}]")
        if t.send_reverb:
            parts.append(f"[r{i}]volume={t.send_reverb}[rs{i}]")
            reverb.append(f"[rs{i}]")
        if t.send_delay:
            parts.append(f"[e{i}]volume={t.send_delay}[es{i}]")
            delay.append(f"[es{i}]")
    returns = []
    if reverb:
        parts.append("".join(reverb) + f"amix=inputs={len(reverb)}:normalize=0,"
                     "highpass=f=250,lowpass=f=9000,"
                     "aecho=1:1:37|53|71|97:0.5|0.4|0.3|0.2[rev]")
        returns.append("[rev]")
    if delay:
        parts.append("".join(delay) + f"amix=inputs={len(delay)}:normalize=0,"
                     "highpass=f=250,lowpass=f=5000,"
                     "aecho=1:1:375|750|1125:0.35|0.1225|0.043[dly]")
        returns.append("[dly]")
    inputs = dry + returns
    parts.append("".join(inputs) + f"amix=inputs={len(inputs)}:normalize=0,"
                 "highpass=f=30,treble=g=1:f=8000,"
                 "acompressor=threshold=0.158:ratio=2:attack=30:release=200[pre]")
    return ";".join(parts)


def _ffmpeg(tracks: list[_Track], out: Path, target_lufs: float) -> dict[str, Any]:
    inputs: list[str] = []
    for t in tracks:
        inputs += ["-i", str(t.path)]
    graph = _ffmpeg_graph(tracks)
    base = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "info", "-y", *inputs]
    measure = subprocess.run(
        [*base, "-filter_complex", graph + ";[pre]ebur128=framelog=verbose[m]", "-map", "[m]",
         "-f", "null", "-"], capture_output=True, text=True, check=False)
    if measure.returncode != 0:
        raise RuntimeError(measure.stderr.strip().splitlines()[-1:])
    loudness = _ebur128_integrated(measure.stderr)
    gain = target_lufs - loudness if math.isfinite(loudness) else 0.0
    limit = 10 ** (LIMIT_DBFS / 20)
    write = subprocess.run(
        [*base, "-filter_complex",
         graph + f";[pre]volume={gain:.3f}dB,alimiter=limit={limit:.5f}:level=disabled:"
         "attack=2:release=150[out]", "-map", "[out]", "-c:a", "pcm_s24le", str(out)],
        capture_output=True, text=True, check=False)
    if write.returncode != 0:
        raise RuntimeError(write.stderr.strip().splitlines()[-1:])
    return {"measured_lufs": loudness, "gain_db": gain}


def _ebur128_integrated(log: str) -> float:
    summary = log[log.rfind("Summary:"):]
    for line in summary.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "I:":
            try:
                return float(words[1])
            except ValueError:
                break
    return -math.inf


def _sox(tracks: list[_Track], out: Path) -> dict[str, Any]:
    command = ["sox", "--no-show-progress", "-m"]
    for t in tracks:
        left, right = t.gains
        command += ["-v", "1", f"|sox {t.path} -p highpass 80 "
                    "compand 0.005,0.1 6:-70,-70,-20,-20,0,-13.33 "
                    f"equalizer 2000 1q 2 remix 1v{left:.6f} 2v{right:.6f}"]
    reverb = [t for t in tracks if t.send_reverb]
    delay = [t for t in tracks if t.send_delay]
    for sends, effects in ((reverb, "highpass 250 lowpass 9000 reverb -w 50 50 60"),
                           (delay, "highpass 250 lowpass 5000 "
                                   "echos 1 1 375 0.35 750 0.1225 1125 0.043")):
        if not sends:
            continue
        mix = " ".join(f"-v {t.send_reverb or t.send_delay} {t.path}" for t in sends)
        merge = "-m " if len(sends) > 1 else ""
        command += ["-v", "1", f"|sox {merge}{mix} -p {effects}"]
    command += ["-b", "24", str(out), "highpass", "30", "treble", "1", "8000",
                "compand", "0.03,0.2", "6:-70,-70,-16,-16,0,-8", "gain", "-n", str(LIMIT_DBFS)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1:])
    return {}


def _numpy_floor(tracks: list[_Track], frames: int, out: Path) -> dict[str, Any]:
    files = [sf.SoundFile(t.path) for t in tracks]
    gains = [np.array(t.gains, dtype=np.float32) for t in tracks]
    try:
        with sf.SoundFile(out, "w", samplerate=SAMPLERATE, channels=2, format="WAV",
                          subtype="PCM_24") as f:
            for start in range(0, frames, BLOCK):
                n = min(BLOCK, frames - start)
                mix = np.zeros((n, 2), dtype=np.float32)
                for file, gain in zip(files, gains, strict=True):
                    mix += file.read(n, dtype="float32", always_2d=True) * gain
                f.write(mix)
    finally:
        for file in files:
            file.close()
    return {}


def _timed(work: Callable[[], dict[str, Any]]) -> tuple[_Outcome, dict[str, Any]]:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    detail: dict[str, Any] = {}
    error = None
    try:
        detail = work()
    except (OSError, RuntimeError) as failure:
        error = str(failure)
    wall = time.perf_counter() - began
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (children_after.ru_utime + children_after.ru_stime - children.ru_utime
           - children.ru_stime + own_after.ru_utime + own_after.ru_stime - own.ru_utime
           - own.ru_stime)
    return _Outcome(wall, cpu, error), detail


# ---------------------------------------------------------------------------------------------
# the run
@dataclass
class RenderBench:
    tracks: int
    seconds: float
    runs: int
    threads: int
    times: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # side: why
    ours: dict[str, Any] = field(default_factory=dict)  # what our file measured
    ffmpeg: dict[str, Any] = field(default_factory=dict)

    def median_s(self, side: str) -> float | None:
        values = self.times.get(side)
        return median(values) if values else None

    def summary(self) -> dict[str, float | None]:
        """The figures ``--json`` prints (medians, seconds)."""
        ours = self.median_s("ours")
        return {"ours_s": _rounded(ours), "ffmpeg_s": _rounded(self.median_s("ffmpeg")),
                "sox_s": _rounded(self.median_s("sox")),
                "numpy_floor_s": _rounded(self.median_s("numpy_floor")),
                "x_realtime": _rounded(self.seconds / ours if ours else None, 2)}


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def check_output(path: Path, frames: int) -> dict[str, Any]:
    """What our file holds: length, format, loudness and peaks read back from it."""
    info = sf.info(str(path))
    meter = LoudnessMeter(info.samplerate, info.channels)
    with sf.SoundFile(path) as f:
        for piece in f.blocks(BLOCK, dtype="float32", always_2d=True):
            meter.feed(piece)
    report = meter.report()
    return {"frames": info.frames, "expected_frames": frames, "samplerate": info.samplerate,
            "channels": info.channels, "subtype": info.subtype,
            "integrated_lufs": report.integrated_lufs, "true_peak_dbtp": report.true_peak_dbtp}


def run_render_bench(tracks: int = 16, seconds: float = 180.0, runs: int = 3,
                     threads: int | None = None, folder: Path | None = None,
                     progress: Callable[[str], None] | None = None) -> RenderBench:
    """Make the song, then time every side ``runs`` times (see the module docstring)."""
    if tracks < 1 or seconds <= 0 or runs < 1:
        raise ValueError("tracks, seconds and runs must be positive")
    threads = default_threads() if threads is None else threads
    bench = RenderBench(tracks, seconds, runs, threads)
    say = progress or (lambda _text: None)
    frames = round(seconds * SAMPLERATE)
    target = find_master_preset(TARGET).target
    assert target is not None
    with tempfile.TemporaryDirectory(prefix="studio-bench-render-", dir=folder) as tmp:
        home = Path(tmp)
        say(f"making {tracks} tracks of {seconds:g} s …")
        song = make_tracks(home, tracks, seconds)
        work: dict[str, Callable[[], dict[str, Any]]] = {
            "ours": lambda: _ours(song, frames, home / "ours.wav", threads),
            "ffmpeg": lambda: _ffmpeg(song, home / "ffmpeg.wav", target.integrated_lufs),
            "sox": lambda: _sox(song, home / "sox.wav"),
            "numpy_floor": lambda: _numpy_floor(song, frames, home / "floor.wav"),
        }
        for tool in ("ffmpeg", "sox"):
            if shutil.which(tool) is None:
                bench.skipped[tool] = MISSING_TOOL.say(tool=tool)
        for run in range(runs):
            order = SIDES[run % len(SIDES):] + SIDES[: run % len(SIDES)]
            for side in order:
                if side in bench.skipped:
                    continue
                for old in home.glob("*.wav"):
                    if not old.name.startswith("track-"):
                        old.unlink()
                say(f"run {run + 1}/{runs}: {side} …")
                outcome, detail = _timed(work[side])
                if outcome.error is not None:
                    bench.skipped[side] = TOOL_FAILED.say(tool=side, why=outcome.error)
                    continue
                bench.times.setdefault(side, []).append(outcome.seconds)
                bench.cpu.setdefault(side, []).append(outcome.cpu_seconds)
                if side == "ours":
                    bench.ours = {**detail, **check_output(home / "ours.wav", frames)}
                elif side == "ffmpeg":
                    bench.ffmpeg = detail
    return bench


# ---------------------------------------------------------------------------------------------
# the report
TITLE = Words(
    nb="Miks og mastring av {tracks} stereospor à {seconds:g} s (48 kHz, 24-bit WAV), "
       "median av {runs} kjøringer:",
    en="Mixing and mastering {tracks} stereo tracks of {seconds:g} s (48 kHz, 24-bit WAV), "
       "median of {runs} runs:",
)
HEADERS = (Words(nb="side", en="side"), Words(nb="tid (s)", en="time (s)"),
           Words(nb="CPU (s)", en="CPU (s)"), Words(nb="x sanntid", en="x real time"),
           Words(nb="vs. vår", en="vs. ours"))
SIDE_NAMES = {"ours": Words(nb="studio (vår)", en="studio (ours)"),
              "ffmpeg": Words(nb="ffmpeg (to pass)", en="ffmpeg (two-pass)"),
              "sox": Words(nb="sox (toppnormalisering)", en="sox (peak normalisation)"),
              "numpy_floor": Words(nb="numpy-sum (gulv)", en="numpy sum (floor)")}
GOAL = Words(
    nb="Mål: {peer} / vår ≥ {want:.1f}×: {got} – {verdict}.",
    en="Target: {peer} / ours ≥ {want:.1f}×: {got} – {verdict}.",
)
MET = Words(nb="nådd", en="met")
MISSED = Words(nb="ikke nådd", en="missed")
OUR_FILE = Words(
    nb="Vår fil: {frames} rammer ({expected} ventet), {subtype}, {lufs:.2f} LUFS (mål "
       "{target:.1f}), true peak {tp:.2f} dBTP (tak {ceiling:.1f}); {tries} forsøk; "
       "{threads} tråder.",
    en="Our file: {frames} frames ({expected} expected), {subtype}, {lufs:.2f} LUFS (target "
       "{target:.1f}), true peak {tp:.2f} dBTP (ceiling {ceiling:.1f}); {tries} tries; "
       "{threads} threads.",
)


def format_render_report(bench: RenderBench) -> str:
    lines = [TITLE.say(tracks=bench.tracks, seconds=bench.seconds, runs=bench.runs)]
    ours = bench.median_s("ours")
    rows = []
    for side in SIDES:
        value = bench.median_s(side)
        if value is None:
            continue
        cpu = median(bench.cpu.get(side, []))
        rows.append([SIDE_NAMES[side].say(), f"{value:.2f}", f"{cpu:.2f}",
                     f"{bench.seconds / value:.1f}", ratio(value, ours)])
    lines.append(format_table([h.say() for h in HEADERS], rows))
    for peer, want in (("ffmpeg", FFMPEG_TARGET_SPEEDUP), ("sox", SOX_TARGET_SPEEDUP)):
        theirs = bench.median_s(peer)
        if theirs is None or ours is None:
            continue
        got = theirs / ours
        lines.append(GOAL.say(peer=peer, want=want, got=f"{got:.2f}×",
                              verdict=MET if got >= want else MISSED))
    if bench.ours:
        target = find_master_preset(TARGET).target
        assert target is not None
        lines.append(OUR_FILE.say(
            frames=bench.ours["frames"], expected=bench.ours["expected_frames"],
            subtype=bench.ours["subtype"], lufs=bench.ours["integrated_lufs"],
            target=target.integrated_lufs, tp=bench.ours["true_peak_dbtp"],
            ceiling=target.true_peak_dbtp, tries=bench.ours["tries"], threads=bench.threads))
    lines.extend(bench.skipped.values())
    return "\n".join(lines)
