"""``studio bench realtime``: the audio engine under a full load, next to a C client.

Each run starts a private JACK server with the dummy driver (48 kHz, the period asked for,
``jackd -R`` where the system permits real-time scheduling) and puts on it, one after the other
(the order alternates between runs):

- the studio: two device inputs recorded on two tracks and heard through the ``vocal-clean``
  monitor preset, 16 tracks of test audio streamed from disk by the disk worker, the click on,
  the engine's outputs wired to its own inputs;
- ``jack_thru``, JACK's C pass-through client, wired the same way: the reference.

During both windows this process (which plays the UI process: the supervisor lives here, as it
does under the Textual UI) is kept busy by :class:`UiLoad`: Python work that makes garbage for
the collector, and long C calls, some holding the GIL and some releasing it.

What is measured, for exactly the same length of time for both:

- xruns as the JACK server counts them (its log), for the recording window and for the
  reference window. PortAudio's own status flags undercount them, so they are only shown aside;
- the callback's own duration (the engine writes it for every callback into shared memory), as
  a fraction of the period: median, 99th percentile and maximum over the recording window;
- the round trip through the engine: the click as recorded through the loop, cross-correlated
  with the metronome's output for the song frames the take holds, next to ``jack_iodelay``'s
  measurement on the same server (one period over a self-connection on the dummy driver).

The monitor level is set to -60 dB once the transport rolls: with the outputs wired to the
inputs, the monitor at full level would be a feedback loop (two monitors, each a few dB above
unity), as if the headphones were held against the microphone. The chains still process every
block in full; only what they add to the output is quieter.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import soundfile as sf

from studio.audio.click import Metronome
from studio.audio.devices import portaudio_library
from studio.audio.jack_server import JackError, JackServer, XrunReport, jack_missing_reason
from studio.audio.protocol import Cmd
from studio.core.i18n import StudioError, Words
from studio.services.bench.report import format_table, median, percentiles, plain_number, ratio
from studio.services.recording import Recording, RecordRequest, TakeReport, TrackInput
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

__all__ = [
    "EngineRun",
    "RealtimeBenchResult",
    "ReferenceRun",
    "RunResult",
    "UiLoad",
    "click_roundtrip",
    "format_realtime_report",
    "prepare_song",
    "run_realtime_bench",
]

SAMPLERATE = 48000
TRACKS = 16
TEMPO_BPM = 120.0
BEATS_PER_BAR = 4
CLICK_LEVEL = 0.5
MONITOR_PRESET = "vocal-clean"
MONITOR_BLEED = 0.001  # -60 dB: what of the monitor comes back into the inputs (see above)
TRACK_LEVEL = 0.02  # each of the 16 test tracks, RMS
SONG_NAME = "Benchmark"
SETTLE_S = 0.5  # after wiring the reference client, before its window opens
MAX_LAG_PERIODS = 4
ROUNDTRIP_SECONDS = 20.0  # of the take used for the cross-correlation

NEEDS_JACK = Words(
    nb="Sanntidstesten trenger lydserveren JACK (med jack_thru og jack_iodelay) og PortAudio, "
    "og noe av det mangler her: {why}",
    en="The real-time benchmark needs the JACK sound server (with jack_thru and jack_iodelay) "
    "and PortAudio, and some of it is missing here: {why}",
)
BAD_OPTION = Words(
    nb="Ugyldig verdi for {option}: {value} ({rule}).",
    en="Invalid value for {option}: {value} ({rule}).",
)
NO_WINDOW = Words(
    nb="Lydmotoren begynte aldri å ta opp, så det var ingenting å måle.",
    en="The audio engine never started recording, so there was nothing to measure.",
)
REFERENCE_PORTS_MISSING = Words(
    nb="C-klienten jack_thru startet ikke (ingen porter dukket opp).",
    en="The C client jack_thru did not start (no ports appeared).",
)
PHASE_PREPARE = Words(
    nb="Lager {tracks} spor med testlyd, {seconds:.0f} s hvert …",
    en="Making {tracks} tracks of test audio, {seconds:.0f} s each …",
)
NOTE_SCREEN = Words(
    nb="Skjermen (ekte nivåmålere og transportlinje) ble tegnet {fps:.1f} ganger i sekundet "
       "mens motoren ble målt.",
    en="The screen (the real level meters and transport line) was drawn {fps:.1f} times a "
       "second while the engine was measured.",
)
PHASE_SERVER = Words(
    nb="Kjøring {run}/{runs}: starter JACK (dummy, {rate} Hz, periode {period}) …",
    en="Run {run}/{runs}: starting JACK (dummy, {rate} Hz, period {period}) …",
)
PHASE_ENGINE = Words(
    nb="Kjøring {run}/{runs}: studioets lydmotor, {seconds:g} s …",
    en="Run {run}/{runs}: the studio's audio engine, {seconds:g} s …",
)
PHASE_REFERENCE = Words(
    nb="Kjøring {run}/{runs}: C-klienten jack_thru, {seconds:g} s …",
    en="Run {run}/{runs}: the C client jack_thru, {seconds:g} s …",
)
PHASE_IODELAY = Words(
    nb="Kjøring {run}/{runs}: måler rundturen med jack_iodelay …",
    en="Run {run}/{runs}: measuring the round trip with jack_iodelay …",
)

Progress = Callable[[str], None]
Audio = npt.NDArray[np.float32]


# ---------------------------------------------------------------------------------------------
# The UI process kept busy


@dataclass(frozen=True)
class LoadCounts:
    """How much work :class:`UiLoad` did (totals since it was made; subtract two snapshots)."""

    python_rounds: int = 0
    c_calls: int = 0
    gc_collections: int = 0
    frames_drawn: int = 0  # screens the real UI drew (--with-ui)

    def __sub__(self, other: LoadCounts) -> LoadCounts:
        return LoadCounts(
            self.python_rounds - other.python_rounds,
            self.c_calls - other.c_calls,
            self.gc_collections - other.gc_collections,
            self.frames_drawn - other.frames_drawn,
        )

    def to_json(self) -> dict[str, int]:
        return {
            "python_rounds": self.python_rounds,
            "c_calls": self.c_calls,
            "gc_collections": self.gc_collections,
            "frames_drawn": self.frames_drawn,
        }


def gc_collections() -> int:
    return sum(int(s.get("collections", 0)) for s in gc.get_stats())


class UiLoad:
    """Keeps this process busy the way the Textual UI would be.

    Two threads, as in Textual (the event loop and a worker):

    - Python work: building and dropping widget-like trees of dicts, lists, tuples and formatted
      strings, with reference cycles so only the garbage collector frees them (it runs in all
      three generations);
    - long C calls, one every ``pause_s``, each about 0.05–0.2 s: some hold the GIL all along
      (``sorted``, ``json.dumps``, a regular expression, ``bytes.replace``), some release it
      (``hashlib``, ``zlib.compress``, ``numpy.sort``).

    The data for the C calls is made once, on the first :meth:`start`.
    """

    def __init__(self, pause_s: float = 0.05, seed: int = 1) -> None:
        self.pause_s = pause_s
        self.seed = seed
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._python_rounds = 0
        self._c_calls = 0
        self._gc_base = gc_collections()
        self._tasks: list[Callable[[], object]] = []

    def _prepare(self) -> None:
        if self._tasks:
            return
        rng = random.Random(self.seed)
        floats = [rng.random() for _ in range(400_000)]
        tree = [
            {"id": i, "name": f"take {i}", "gain": rng.random(), "tags": ["a", "b", str(i)]}
            for i in range(40_000)
        ]
        words = ("sing", "song", "singing", "play", "playing", "track", "take", "mixing")
        text = " ".join(rng.choice(words) for _ in range(500_000))
        pattern = re.compile(r"\b\w+ing\b")
        generator = np.random.default_rng(self.seed)
        blob = (generator.integers(0, 4, 32_000_000, dtype=np.uint8) + 97).tobytes()
        packable = blob[:1_000_000]
        array = generator.standard_normal(2_000_000)

        def sha256_rounds() -> object:
            return [hashlib.sha256(blob).digest() for _ in range(4)]

        def numpy_sorts() -> object:
            return [np.sort(array) for _ in range(6)]

        self._tasks = [
            lambda: sorted(floats),  # holds the GIL
            lambda: json.dumps(tree),  # holds the GIL
            lambda: pattern.findall(text),  # holds the GIL
            lambda: blob.replace(b"ab", b"ba"),  # holds the GIL
            sha256_rounds,  # releases the GIL
            lambda: zlib.compress(packable, 6),  # releases the GIL
            numpy_sorts,  # releases the GIL
        ]

    @property
    def running(self) -> bool:
        return bool(self._threads)

    def start(self) -> None:
        if self._threads:
            return
        self._prepare()
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._python_work, name="ui-python", daemon=True),
            threading.Thread(target=self._c_calls_work, name="ui-c-calls", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10.0)
        self._threads = []

    def counts(self) -> LoadCounts:
        return LoadCounts(self._python_rounds, self._c_calls, gc_collections() - self._gc_base)

    def attach(self, source: Any) -> None:
        """Nothing to watch: this load does not look at the engine."""

    def _python_work(self) -> None:
        rng = random.Random(self.seed + 1)
        while not self._stop.is_set():
            rows: list[dict[str, Any]] = []
            for i in range(500):
                row: dict[str, Any] = {
                    "id": i,
                    "label": f"Track {i:03d} · {rng.random() * 100:5.1f} dB",
                    "style": {"bold": i % 3 == 0, "color": (i % 255, (7 * i) % 255, 40)},
                    "segments": [(f"{c}" * (i % 17 + 1), c) for c in "abcd"],
                    "children": [],
                }
                row["parent"] = rows  # a cycle: only the garbage collector frees it
                if rows:
                    rows[-1]["children"].append(row)
                rows.append(row)
            rows.sort(key=lambda r: r["label"])
            self._python_rounds += 1

    def _c_calls_work(self) -> None:
        k = 0
        while not self._stop.wait(self.pause_s):
            self._tasks[k % len(self._tasks)]()
            self._c_calls += 1
            k += 1


# ---------------------------------------------------------------------------------------------
# The song the engine plays


def prepare_song(studio: Studio, seconds: float, tracks: int = TRACKS,
                 level: float = TRACK_LEVEL, seed: int = 7) -> str:
    """A song with ``tracks`` tracks, each with one complete take of test audio.

    The takes are real files (24-bit WAV, mono, ``seconds`` long) in the catalog, with a clip
    each, so the disk worker streams them from disk as it would a member's song. The audio is
    noise under a slowly moving tone, different on every track. Returns the song's name.
    """
    song = studio.new_song(SONG_NAME, tempo_bpm=TEMPO_BPM, samplerate=SAMPLERATE,
                           beats_per_bar=BEATS_PER_BAR)
    catalog = studio.catalog
    paths = studio.paths
    frames = math.ceil(seconds * SAMPLERATE)
    generator = np.random.default_rng(seed)
    t = np.arange(frames, dtype=np.float64) / SAMPLERATE
    for k in range(tracks):
        track = catalog.ensure_track(song.id, f"Track {k + 1:02d}", channels=1)
        path = paths.new_take_path(song.id, track.name)
        hz = 110.0 * (k + 2)
        tone = np.sin(2 * np.pi * hz * t + 0.3 * np.sin(2 * np.pi * 0.25 * t))
        audio = (0.7 * tone + 0.7 * generator.standard_normal(frames)) * level
        sf.write(path, audio.astype(np.float32), SAMPLERATE, subtype="PCM_24")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        take = catalog.begin_take(song.id, track.id, paths.relative(path), SAMPLERATE, 1,
                                  device="bench", latency_frames=0)
        done = catalog.finish_take(take.id, frames=frames, sha256=digest,
                                   song_position_frames=0, gaps=(), state="complete")
        catalog.add_clip(track.id, done.id, 0, 0, frames)
    return song.name


# ---------------------------------------------------------------------------------------------
# The round trip


def click_roundtrip(recorded: npt.NDArray[np.floating[Any]], first_frame: int, *,
                    samplerate: int = SAMPLERATE, frames_per_beat: float,
                    beats_per_bar: int = BEATS_PER_BAR, level: float = CLICK_LEVEL,
                    max_lag: int = 512) -> int | None:
    """The round trip, in frames, of the click recorded through a loop.

    ``recorded`` holds the input from song frame ``first_frame`` on (the raw position, before
    latency compensation: the take's position plus its ``latency_frames``). Sample ``i`` holds
    what the engine played at song frame ``first_frame + i - roundtrip``; the round trip is the
    lag in ``[0, max_lag]`` at which the metronome's output correlates best with the recording.
    ``None`` when the recording holds no click.
    """
    data = np.asarray(recorded, dtype=np.float64)
    if data.ndim == 2:
        data = data[:, 0]
    n = min(len(data), int(ROUNDTRIP_SECONDS * samplerate))
    if n == 0:
        return None
    data = data[:n]
    metronome = Metronome(samplerate, 1, frames_per_beat, beats_per_bar, level)
    reference = np.zeros((n + max_lag, 1), dtype=np.float32)
    metronome.mix_rt(reference, first_frame - max_lag, n + max_lag)
    scores = np.correlate(reference[:, 0].astype(np.float64), data, mode="valid")
    best = int(np.argmax(scores))
    energy = float(np.dot(reference[:, 0], reference[:, 0]))
    if energy == 0.0 or scores[best] < 0.1 * energy * n / (n + max_lag):
        return None  # no click in the recording (e.g. the loop was not wired)
    return max_lag - best


# ---------------------------------------------------------------------------------------------
# The two sides of a run


@dataclass
class EngineRun:
    xruns: int
    driver_late: int  # of those, the JACK driver itself woke up late (not a client's fault)
    portaudio_xruns: int
    callback_s: list[float]
    period_frames: int
    roundtrip_frames: int | None
    roundtrips: list[int | None]
    gap_frames: int
    realtime: str
    load: LoadCounts
    seconds: float

    def fractions(self) -> tuple[float, float, float]:
        """Callback time (median, p99, max) as fractions of the period."""
        period = self.period_frames / SAMPLERATE
        if not self.callback_s:
            return (math.nan, math.nan, math.nan)
        p50, p99 = percentiles(self.callback_s, (50.0, 99.0))
        return (p50 / period, p99 / period, max(self.callback_s) / period)


@dataclass
class ReferenceRun:
    xruns: int
    driver_late: int
    load: LoadCounts
    seconds: float


@dataclass
class RunResult:
    index: int
    engine_first: bool
    engine: EngineRun
    reference: ReferenceRun
    iodelay_frames: int | None
    jack_realtime: bool


@dataclass
class _Window:
    monitor_set: bool = False
    xruns_before: XrunReport | None = None
    xruns_after: XrunReport | None = None
    pa_before: float = 0.0
    pa_after: float = 0.0
    load_before: LoadCounts = field(default_factory=LoadCounts)
    load_after: LoadCounts | None = None
    opened_at: float = 0.0
    closed_at: float = 0.0
    timings: list[float] = field(default_factory=list)


def _loop_to_itself(server: JackServer, outs: list[str], ins: list[str]) -> None:
    """Wire each output to the input of the same number, and nothing else into or out of them."""
    ours = set(outs) | set(ins)
    for src, dst in server.connections():
        if src in ours or dst in ours:
            server.disconnect(src, dst)
    for src, dst in zip(outs, ins, strict=True):
        server.connect(src, dst)


def _engine_run(server: JackServer, studio: Studio, song: str, seconds: float,
                load: BenchLoad) -> EngineRun:
    window = _Window()
    recording: Recording | None = None

    def after_start() -> None:
        server.wait_for_port("PortAudio:out_1", timeout=10.0)
        server.wait_for_port("PortAudio:in_1", timeout=10.0)
        _loop_to_itself(server, ["PortAudio:out_0", "PortAudio:out_1"],
                        ["PortAudio:in_0", "PortAudio:in_1"])
        load.attach(recording)
        load.start()

    def progress(_: str, status: dict[str, float]) -> None:
        sup = recording.supervisor if recording is not None else None
        if sup is None:
            return
        if not window.monitor_set:  # see the module docstring: no feedback through the loop
            for slot in range(2):
                sup.command(Cmd.MONITOR, slot, 1, x=MONITOR_BLEED)
            window.monitor_set = True
        recording_now = status.get("recording", 0.0) >= 0.5
        if window.xruns_before is None:
            if recording_now:
                sup.callback_timings()  # callbacks before the window
                window.xruns_before = server.xrun_report()
                window.pa_before = status.get("xruns", 0.0)
                window.load_before = load.counts()
                window.opened_at = time.monotonic()
            return
        if window.xruns_after is None:
            window.timings.extend(sup.callback_timings())
            if not recording_now:
                window.xruns_after = server.xrun_report()
                window.pa_after = status.get("xruns", 0.0)
                window.load_after = load.counts()
                window.closed_at = time.monotonic()

    request = RecordRequest(
        song=song,
        tracks=[TrackInput("Bench in 1", (1,)), TrackInput("Bench in 2", (2,))],
        seconds=seconds,
        device="system",
        blocksize=0,  # the JACK period itself: an explicit size would add a period
        monitor=MONITOR_PRESET,
        click=True,
        click_level=CLICK_LEVEL,
        env=server.env(),
        realtime=True,
        after_start=after_start,
    )
    recording = Recording(studio, request, progress)
    try:
        result = recording.run()
    finally:
        load.stop()
    if window.xruns_before is None:
        raise StudioError(NO_WINDOW)
    if window.xruns_after is None:  # the run ended before a poll saw the window close
        window.xruns_after = server.xrun_report()
        window.load_after = load.counts()
        window.closed_at = time.monotonic()
    assert window.load_after is not None
    realtime = (recording.supervisor.realtime if recording.supervisor else {}) or {}
    fpb = SAMPLERATE * 60.0 / TEMPO_BPM
    roundtrips = [_take_roundtrip(take, fpb, server.period) for take in result.takes]
    found = [r for r in roundtrips if r is not None]
    return EngineRun(
        xruns=window.xruns_after.total - window.xruns_before.total,
        driver_late=window.xruns_after.driver_late - window.xruns_before.driver_late,
        portaudio_xruns=int(window.pa_after - window.pa_before),
        callback_s=window.timings,
        period_frames=server.period,
        roundtrip_frames=found[0] if found and len(set(found)) == 1 else None,
        roundtrips=roundtrips,
        gap_frames=sum(g["frames"] for take in result.takes for g in take.gaps),
        realtime=str(realtime.get("policy", "?")),
        load=window.load_after - window.load_before,
        seconds=window.closed_at - window.opened_at,
    )


def _take_roundtrip(take: TakeReport, frames_per_beat: float, period: int) -> int | None:
    recorded, _ = sf.read(take.path, dtype="float32", always_2d=True)
    first = take.song_position_frames + take.latency_frames
    return click_roundtrip(recorded, first, frames_per_beat=frames_per_beat,
                           max_lag=MAX_LAG_PERIODS * period)


def _reference_run(server: JackServer, seconds: float, load: BenchLoad) -> ReferenceRun:
    before = set(server.ports())
    proc = server.start_client(["jack_thru"])
    try:
        deadline = time.monotonic() + 10.0
        while True:
            new = sorted(p for p in server.ports() if p not in before)
            outs = sorted(p for p in new if re.search(r":output_\d+$", p))
            ins = sorted(p for p in new if re.search(r":input_\d+$", p))
            if len(outs) >= 2 and len(ins) >= 2:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise StudioError(REFERENCE_PORTS_MISSING)
            time.sleep(0.05)
        _loop_to_itself(server, outs[:2], ins[:2])
        load.attach(None)  # the same screen work, with nothing of ours to watch
        load.start()
        try:
            time.sleep(SETTLE_S)
            xruns_before = server.xrun_report()
            load_before = load.counts()
            opened = time.monotonic()
            time.sleep(seconds)
            xruns_after = server.xrun_report()
            load_after = load.counts()
            closed = time.monotonic()
        finally:
            load.stop()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return ReferenceRun(xruns_after.total - xruns_before.total,
                        xruns_after.driver_late - xruns_before.driver_late,
                        load_after - load_before, closed - opened)


# ---------------------------------------------------------------------------------------------
# The benchmark


@dataclass
class RealtimeBenchResult:
    seconds: float
    blocksize: int
    samplerate: int
    runs: list[RunResult]
    with_ui: bool = False  # the real screen was the UI process's load

    def summary(self) -> dict[str, object]:
        """The figures ``--json`` prints: medians over the runs; callback time as fractions."""
        fractions = [r.engine.fractions() for r in self.runs]
        engine_rt = [r.engine.roundtrip_frames for r in self.runs
                     if r.engine.roundtrip_frames is not None]
        reference_rt = [r.iodelay_frames for r in self.runs if r.iodelay_frames is not None]
        figures: dict[str, object] = {
            "seconds": plain_number(float(self.seconds)),
            "blocksize": self.blocksize,
            "xruns": plain_number(median(r.engine.xruns for r in self.runs)),
            "reference_xruns": plain_number(median(r.reference.xruns for r in self.runs)),
            "callback_p50": _rounded(median(f[0] for f in fractions)),
            "callback_p99": _rounded(median(f[1] for f in fractions)),
            "callback_max": _rounded(median(f[2] for f in fractions)),
            "roundtrip_frames": plain_number(median(engine_rt)) if engine_rt else None,
            "reference_roundtrip_frames": (
                plain_number(median(reference_rt)) if reference_rt else None
            ),
        }
        if self.with_ui:  # only with --with-ui: the plain run's keys stay as they are
            figures["screen_fps"] = _rounded(median(
                r.engine.load.frames_drawn / max(r.engine.seconds, 1e-9) for r in self.runs))
        return figures


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 5)


def check_jack() -> None:
    """Raise a plain :class:`StudioError` when something the benchmark needs is missing."""
    why = jack_missing_reason()
    if why is None:
        missing = [t for t in ("jack_thru", "jack_iodelay") if shutil.which(t) is None]
        if missing:
            why = f"not installed: {', '.join(missing)} (apt install jackd2)"
    if why is None and portaudio_library() is None:
        why = "libportaudio2 is not installed (apt install libportaudio2)"
    if why is not None:
        raise StudioError(NEEDS_JACK, why=why)


def check_options(seconds: float, blocksize: int, runs: int) -> None:
    if not (math.isfinite(seconds) and 0 < seconds <= 3600):
        raise StudioError(BAD_OPTION, option="--seconds", value=seconds, rule="0 < s ≤ 3600")
    if blocksize < 16 or blocksize > 4096 or blocksize & (blocksize - 1):
        raise StudioError(BAD_OPTION, option="--blocksize", value=blocksize,
                          rule="16, 32, 64 … 4096")
    if not 1 <= runs <= 100:
        raise StudioError(BAD_OPTION, option="--runs", value=runs, rule="1 … 100")


def _start_server(blocksize: int) -> JackServer:
    """A dummy JACK server with real-time scheduling, or without where it is not permitted."""
    try:
        return JackServer(samplerate=SAMPLERATE, period=blocksize, realtime=True).start()
    except JackError:
        return JackServer(samplerate=SAMPLERATE, period=blocksize, realtime=False).start()


class BenchLoad(Protocol):
    """What keeps the UI process busy during a run: :class:`UiLoad`, or the real screen
    (``studio.tui.bench_load``), which also watches the engine under test via :meth:`attach`."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def counts(self) -> LoadCounts: ...
    def attach(self, source: Any) -> None: ...


def run_realtime_bench(seconds: float = 60.0, blocksize: int = 128, runs: int = 1,
                       progress: Progress | None = None, load: BenchLoad | None = None
                       ) -> RealtimeBenchResult:
    """Run the benchmark ``runs`` times (see the module docstring); nothing is left behind.
    ``load`` is what the UI process does meanwhile (default: :class:`UiLoad`)."""
    check_options(seconds, blocksize, runs)
    check_jack()

    def say(words: Words, **values: object) -> None:
        if progress is not None:
            progress(words.say(None, **values))

    results: list[RunResult] = []
    load = load if load is not None else UiLoad()
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as home:
        with Studio(StudioPaths(Path(home))) as studio:
            length = seconds + 10.0
            say(PHASE_PREPARE, tracks=TRACKS, seconds=length)
            song = prepare_song(studio, length)
            for i in range(runs):
                number = {"run": i + 1, "runs": runs}
                say(PHASE_SERVER, rate=SAMPLERATE, period=blocksize, **number)
                server = _start_server(blocksize)
                try:
                    engine_first = i % 2 == 0
                    engine: EngineRun | None = None
                    reference: ReferenceRun | None = None
                    for side in ("engine", "reference") if engine_first else (
                            "reference", "engine"):
                        if side == "engine":
                            say(PHASE_ENGINE, seconds=seconds, **number)
                            engine = _engine_run(server, studio, song, seconds, load)
                        else:
                            say(PHASE_REFERENCE, seconds=seconds, **number)
                            reference = _reference_run(server, seconds, load)
                    say(PHASE_IODELAY, **number)
                    iodelay = server.iodelay(seconds=3.0)
                    assert engine is not None and reference is not None
                    results.append(RunResult(i + 1, engine_first, engine, reference, iodelay,
                                             server.realtime))
                finally:
                    load.stop()
                    server.stop()
    return RealtimeBenchResult(seconds, blocksize, SAMPLERATE, results,
                               with_ui=not isinstance(load, UiLoad))


# ---------------------------------------------------------------------------------------------
# For people


TITLE = Words(
    nb="Sanntidstest: JACK dummy, {rate} Hz, periode {period} ({ms:.2f} ms), {seconds:g} s, "
    "{runs} kjøring(er)",
    en="Real-time benchmark: JACK dummy, {rate} Hz, period {period} ({ms:.2f} ms), "
    "{seconds:g} s, {runs} run(s)",
)
WORKLOAD = Words(
    nb="Studioet: 2 innganger gjennom «{preset}», {tracks} spor spiller fra disk, klikk på, "
    "opptak; {ui}.",
    en="The studio: 2 inputs through “{preset}”, {tracks} tracks playing from disk, click on, "
    "recording; {ui}.",
)
UI_BUSY = Words(nb="UI-prosessen travel (Python-arbeid, lange C-kall, søppeltømming)",
                en="the UI process kept busy (Python work, long C calls, garbage collection)")
UI_SCREEN = Words(nb="den ekte skjermen tegnes i UI-prosessen (nivåmålere og transport, 30 "
                     "ganger i sekundet)",
                  en="the real screen drawn in the UI process (level meters and transport, 30 "
                     "times a second)")
HEAD_WHAT = Words(nb="", en="")
HEAD_STUDIO = Words(nb="studioet", en="studio")
HEAD_REFERENCE = Words(nb="jack_thru (C)", en="jack_thru (C)")
HEAD_RATIO = Words(nb="forhold", en="ratio")
ROW_XRUNS = Words(nb="xruns (talt av JACK)", en="xruns (counted by JACK)")
ROW_ROUNDTRIP = Words(nb="rundtur, rammer (ref.: jack_iodelay)",
                      en="round trip, frames (ref.: jack_iodelay)")
ROW_P50 = Words(nb="tilbakekall, median", en="callback, median")
ROW_P99 = Words(nb="tilbakekall, p99", en="callback, p99")
ROW_MAX = Words(nb="tilbakekall, maks", en="callback, max")
OF_PERIOD = Words(nb="{pct:.1f} % av perioden", en="{pct:.1f} % of the period")
EXPECT_TITLE = Words(nb="Forventet:", en="Expected:")
EXPECT_XRUNS = Words(nb="ikke flere xruns enn C-klienten", en="no more xruns than the C client")
EXPECT_P99 = Words(nb="p99 under 30 % av perioden", en="p99 below 30 % of the period")
EXPECT_ROUNDTRIP = Words(nb="samme rundtur som jack_iodelay", en="the same round trip as "
                         "jack_iodelay")
YES = Words(nb="ja", en="yes")
NO = Words(nb="NEI", en="NO")
MEDIANS = Words(nb="Tallene er medianer over {runs} kjøringer.",
                en="The figures are medians over {runs} runs.")
RUN_LINE = Words(
    nb="  kjøring {run} ({first} først): xruns {xruns} mot {ref}, p99 {p99:.1f} %, maks "
    "{max:.1f} %, rundtur {rt} mot {iodelay}",
    en="  run {run} ({first} first): xruns {xruns} vs {ref}, p99 {p99:.1f} %, max {max:.1f} %, "
    "round trip {rt} vs {iodelay}",
)
FIRST_ENGINE = Words(nb="studioet", en="studio")
FIRST_REFERENCE = Words(nb="jack_thru", en="jack_thru")
NOTE_REALTIME = Words(
    nb="Sanntid: jackd {jackd}, lydmotorens prosess: {engine}.",
    en="Real-time: jackd {jackd}, the engine host: {engine}.",
)
JACKD_RT = Words(nb="med -R", en="with -R")
JACKD_NO_RT = Words(nb="uten sanntid (ikke tillatt her)", en="without real-time (not permitted "
                    "here)")
NOTE_PORTAUDIO = Words(
    nb="PortAudio meldte selv {pa} xruns i samme vindu (statusflaggene teller for lite; "
    "tallene over er JACKs egne).",
    en="PortAudio itself reported {pa} xruns in the same window (its status flags undercount; "
    "the figures above are JACK's own).",
)
NOTE_DRIVER = Words(
    nb="Av disse xrunene våknet JACK-driveren selv for sent i {ours} / {theirs} (maskinen, ikke "
    "klienten).",
    en="Of these xruns, the JACK driver itself woke up late in {ours} / {theirs} (the machine, "
    "not the client).",
)
NOTE_GAPS = Words(nb="Opptakene fikk hull: {frames} rammer.",
                  en="The takes got gaps: {frames} frames.")
NOTE_LOAD = Words(
    nb="Målevindu (studio / jack_thru): {s:.2f} / {s_ref:.2f} s. UI-belastning i det: "
    "{py} / {py_ref} Python-runder, {c} / {c_ref} lange C-kall, {gc} / {gc_ref} "
    "søppeltømminger.",
    en="Measuring window (studio / jack_thru): {s:.2f} / {s_ref:.2f} s. UI load in it: "
    "{py} / {py_ref} Python rounds, {c} / {c_ref} long C calls, {gc} / {gc_ref} garbage "
    "collections.",
)
NOTE_CALLBACKS = Words(nb="{count} tilbakekall målt.", en="{count} callbacks measured.")


def _pct(value: object) -> str:
    if not isinstance(value, float):
        return "–"
    return OF_PERIOD.say(pct=100.0 * value)


def format_realtime_report(result: RealtimeBenchResult) -> str:
    s = result.summary()
    runs = result.runs
    period_ms = 1000.0 * result.blocksize / result.samplerate
    lines = [
        TITLE.say(rate=result.samplerate, period=result.blocksize, ms=period_ms,
                  seconds=result.seconds, runs=len(runs)),
        WORKLOAD.say(preset=MONITOR_PRESET, tracks=TRACKS,
                     ui=UI_SCREEN if result.with_ui else UI_BUSY),
        "",
    ]
    xruns, ref_xruns = s["xruns"], s["reference_xruns"]
    rt, ref_rt = s["roundtrip_frames"], s["reference_roundtrip_frames"]

    def num(value: object) -> float | None:
        return float(value) if isinstance(value, int | float) else None

    rows: list[list[object]] = [
        [ROW_XRUNS.say(), xruns, ref_xruns, ratio(num(xruns), num(ref_xruns))],
        [ROW_ROUNDTRIP.say(), "–" if rt is None else rt, "–" if ref_rt is None else ref_rt,
         ratio(num(rt), num(ref_rt))],
        [ROW_P50.say(), _pct(s["callback_p50"]), "", ""],
        [ROW_P99.say(), _pct(s["callback_p99"]), "", ""],
        [ROW_MAX.say(), _pct(s["callback_max"]), "", ""],
    ]
    headers = [HEAD_WHAT.say(), HEAD_STUDIO.say(), HEAD_REFERENCE.say(), HEAD_RATIO.say()]
    lines.append(format_table(headers, rows))
    lines.append("")

    def verdict(ok: bool) -> str:
        return (YES if ok else NO).say()

    p99 = s["callback_p99"]
    lines.append(EXPECT_TITLE.say())
    x, rx = num(xruns), num(ref_xruns)
    lines.append(f"  {EXPECT_XRUNS.say()}: "
                 f"{verdict(x is not None and rx is not None and x <= rx)}")
    lines.append(f"  {EXPECT_P99.say()}: {verdict(isinstance(p99, float) and p99 < 0.30)}")
    lines.append(f"  {EXPECT_ROUNDTRIP.say()}: {verdict(rt is not None and rt == ref_rt)}")
    lines.append("")
    if len(runs) > 1:
        lines.append(MEDIANS.say(runs=len(runs)))
        for r in runs:
            f = r.engine.fractions()
            lines.append(RUN_LINE.say(
                run=r.index, first=(FIRST_ENGINE if r.engine_first else FIRST_REFERENCE).say(),
                xruns=r.engine.xruns, ref=r.reference.xruns, p99=100 * f[1], max=100 * f[2],
                rt=r.engine.roundtrip_frames if r.engine.roundtrip_frames is not None else "–",
                iodelay=r.iodelay_frames if r.iodelay_frames is not None else "–"))
    jackd = all(r.jack_realtime for r in runs)
    engine_rt = ", ".join(sorted({r.engine.realtime for r in runs}))
    lines.append(NOTE_REALTIME.say(jackd=(JACKD_RT if jackd else JACKD_NO_RT).say(),
                                   engine=engine_rt))
    lines.append(NOTE_PORTAUDIO.say(pa=plain_number(median(r.engine.portaudio_xruns
                                                           for r in runs))))
    lines.append(NOTE_DRIVER.say(
        ours=plain_number(median(r.engine.driver_late for r in runs)),
        theirs=plain_number(median(r.reference.driver_late for r in runs))))
    gaps = sum(r.engine.gap_frames for r in runs)
    if gaps:
        lines.append(NOTE_GAPS.say(frames=gaps))
    lines.append(NOTE_LOAD.say(
        s=median(r.engine.seconds for r in runs),
        s_ref=median(r.reference.seconds for r in runs),
        py=plain_number(median(r.engine.load.python_rounds for r in runs)),
        py_ref=plain_number(median(r.reference.load.python_rounds for r in runs)),
        c=plain_number(median(r.engine.load.c_calls for r in runs)),
        c_ref=plain_number(median(r.reference.load.c_calls for r in runs)),
        gc=plain_number(median(r.engine.load.gc_collections for r in runs)),
        gc_ref=plain_number(median(r.reference.load.gc_collections for r in runs)),
    ))
    if result.with_ui:
        lines.append(NOTE_SCREEN.say(fps=s["screen_fps"]))
    lines.append(NOTE_CALLBACKS.say(count=sum(len(r.engine.callback_s) for r in runs)))
    return "\n".join(lines)
