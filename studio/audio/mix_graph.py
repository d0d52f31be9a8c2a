"""The mix render graph: a song's tracks through their effects, faders, pans and sends to the
reverb and delay buses, summed to the stereo mix that goes into the master chain.

The same code renders live (the disk worker feeds the engine with it) and offline (mixdown,
export, mastering), so an offline mixdown equals what the engine plays.

Per block, for every track ("lane"), in this order::

    source (clips via ClipReader: clip gain, fades)  ->  the track's effect preset (pedalboard)
      ->  gain and constant-power pan, mute and solo (one stereo gain pair)  ->  the mix
                                                    \\->  x send level  ->  reverb / delay bus

and each bus: sum of its sends -> its preset (100 % wet) -> return gain and mute -> the mix.
The sum is made in a fixed order (tracks in order, then reverb, then delay), so the result is
the same whether the lanes ran on one thread or several.

Block size does not change the result (within float rounding; see ``studio.audio.effects`` for
why IIR filters differ by 1e-7 to 1e-5): every effect chain is primed with one silent block of
``max_block`` frames and then always run with ``reset=False``; a longer request is cut into
pieces of at most ``max_block``; gain ramps are computed from the frame's position in the ramp.

State carries over between calls for consecutive ranges, as in live playback. Asking for a range
that does not start where the last one ended is a jump: effect tails and filter memory are
cleared (as :meth:`MixGraph.seek` does), so the result equals a new graph started there.

Changing settings while playing (:meth:`MixGraph.set_mix`, :meth:`MixGraph.set_bus`) takes effect
from the next render call, with a 10 ms linear ramp so faders and mutes never click. A track
whose gains and sends are all zero (muted, or not soloed) is not processed at all; when it comes
back its effects start from silence.

Every lane and bus runs its preset through :class:`studio.audio.frame_chain.FrameChain`
(pedalboard given the blocks as they are, no transposing copies) and reads 24-bit WAV takes
with :class:`studio.audio.pcm24.FastClipReader` (numpy instead of libsndfile's sample loop); a
steady fader is one flat product with the gains laid out left, right, left, right. All three
give the same samples as before, bit for bit. Measured on the ``studio bench render`` song (16
tracks of 3 minutes, each with a 3-effect chain, two buses, blocks of 65536 frames) on one
thread: 5.2 s before these, 4.0 s after.

Threads: with ``threads=2`` the work of each block is shared by the calling thread and a
helper (pedalboard, libsndfile and numpy release the GIL while they work), as tasks: a lane's
block, a bus's block (once the lanes that send to it are done with it), the sum
(:mod:`studio.audio.block_tasks`). A lane starts on its next block as soon as it is done with
one, so :meth:`MixGraph.blocks` (offline: the blocks are known ahead) keeps both threads busy
without waiting for each other between blocks; :meth:`MixGraph.render` does the same within
one call. The sums are made in the fixed order whichever thread gets there, so the output is
bit-identical to ``threads=1``, and the CPU time about the same: the same song in 2.0 s on two
cores (``studio bench render`` measures the whole render).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt

from studio.audio.beat.source import BeatSource
from studio.audio.block_tasks import AHEAD, WINDOW, BlockRun, help_with
from studio.audio.clip_reader import ClipReader, ClipSource, clip_from_json, clip_to_json
from studio.audio.frame_chain import FrameChain
from studio.audio.gain import constant_power_pan
from studio.audio.pcm24 import FastClipReader
from studio.audio.track_levels import WINDOW as LEVEL_WINDOW
from studio.audio.track_levels import window_peaks
from studio.core.i18n import Words
from studio.core.mix import BUS_NAMES, BusName, TrackMix, audible
from studio.core.preset import EffectStep, Preset

__all__ = ["BusSettings", "GraphBus", "GraphTrack", "MixGraph", "TrackSource",
           "buses_from_json", "buses_to_json", "preset_tail_seconds", "track_from_json",
           "track_to_json"]

Audio = npt.NDArray[np.float32]

MAX_BLOCK = 65536
RAMP_SECONDS = 0.01
MAX_TAIL_SECONDS = 10.0


class TrackSource(Protocol):
    """Anything that can write a track's dry sound for song frames ``song_frame …`` into
    ``out`` (shape (n, 2), float32, zeroed by the caller), e.g. a ClipReader or a beat."""

    def render(self, out: Audio, song_frame: int) -> None: ...


@dataclass(frozen=True)
class GraphTrack:
    """One track of the graph: what it plays, its mix, and its effect preset (already loaded;
    ``mix.preset`` is only the name). An empty clip list never sounds but still counts for
    solo."""

    source: Sequence[ClipSource] | TrackSource
    mix: TrackMix = field(default_factory=TrackMix)
    preset: Preset | None = None
    name: str = ""


@dataclass(frozen=True)
class GraphBus:
    """An effect bus: its preset (None: the sends pass straight through), return gain, mute."""

    preset: Preset | None = None
    gain_db: float = 0.0
    mute: bool = False

    @property
    def gain(self) -> float:
        return 0.0 if self.mute else float(10 ** (self.gain_db / 20))


@dataclass(frozen=True)
class BusSettings:
    reverb: GraphBus = field(default_factory=GraphBus)
    delay: GraphBus = field(default_factory=GraphBus)

    def bus(self, name: BusName) -> GraphBus:
        return self.reverb if name == "reverb" else self.delay


# --- as plain data (for a request to the disk worker) -------------------------------------------


def _preset_to_json(preset: Preset | None) -> dict[str, Any] | None:
    if preset is None:
        return None
    return {"name": preset.name, "words": {"nb": preset.words.nb, "en": preset.words.en},
            "effects": [{"type": s.type, "params": dict(s.params)} for s in preset.effects]}


def _preset_from_json(data: dict[str, Any] | None) -> Preset | None:
    if data is None:
        return None
    return Preset(str(data["name"]), Words(**data["words"]),
                  tuple(EffectStep(str(e["type"]), {str(k): float(v)
                                                    for k, v in e["params"].items()})
                        for e in data["effects"]))


def track_to_json(track: GraphTrack) -> dict[str, Any]:
    """A track of clips or a beat track as JSON-ready data (for the disk worker)."""
    data: dict[str, Any] = {"name": track.name, "mix": track.mix.to_json(),
                            "preset": _preset_to_json(track.preset)}
    if isinstance(track.source, BeatSource):
        data["beat"] = track.source.spec
    elif hasattr(track.source, "render"):
        raise TypeError("only a track of clips or a beat can be written as data")
    else:
        data["clips"] = [clip_to_json(c) for c in track.source]
    return data


def track_from_json(data: dict[str, Any], samplerate: int) -> GraphTrack:
    source: Sequence[ClipSource] | TrackSource
    if data.get("beat"):
        source = BeatSource.from_spec(data["beat"], samplerate)
    else:
        source = [clip_from_json(c) for c in data.get("clips", [])]
    return GraphTrack(source, TrackMix.from_json(data["mix"]), _preset_from_json(data["preset"]),
                      str(data.get("name", "")))


def buses_to_json(buses: BusSettings) -> dict[str, Any]:
    return {name: {"preset": _preset_to_json(bus.preset), "gain_db": bus.gain_db,
                   "mute": bus.mute}
            for name, bus in (("reverb", buses.reverb), ("delay", buses.delay))}


def buses_from_json(data: dict[str, Any]) -> BusSettings:
    def one(name: str) -> GraphBus:
        bus = data.get(name) or {}
        return GraphBus(_preset_from_json(bus.get("preset")), float(bus.get("gain_db", 0.0)),
                        bool(bus.get("mute", False)))

    return BusSettings(one("reverb"), one("delay"))


# --- tails -------------------------------------------------------------------------------------

_FREEVERB_LONGEST_COMB = 1617 / 44100  # seconds (JUCE's Reverb scales its combs to the rate)


def preset_tail_seconds(preset: Preset | None) -> float:
    """About how long the preset keeps sounding after its input stops (to -60 dB), at most
    :data:`MAX_TAIL_SECONDS`: reverbs and echoes ring on; filters and dynamics do not."""
    if preset is None:
        return 0.0
    total = 0.0
    for step in preset.effects:
        p = step.params
        if step.type == "Reverb":
            if p.get("freeze_mode", 0.0) >= 0.5:
                return MAX_TAIL_SECONDS
            feedback = p.get("room_size", 0.5) * 0.28 + 0.7
            total += 3 * _FREEVERB_LONGEST_COMB / -math.log10(feedback)
        elif step.type == "Delay":
            delay, feedback = p.get("delay_seconds", 0.5), p.get("feedback", 0.0)
            repeats = 1 if feedback <= 0 else math.ceil(math.log(1e-3) / math.log(feedback))
            total += delay * repeats
        elif step.type == "Chorus":
            total += (p.get("centre_delay_ms", 7.0) + 20.0) / 1000
    return min(total, MAX_TAIL_SECONDS)


# --- gain ramps --------------------------------------------------------------------------------


class _Ramp:
    """A few gains moving together to new targets over ``length`` frames, linearly; the gain of
    every frame depends only on its position in the ramp, not on the block it falls in."""

    def __init__(self, values: Sequence[float], length: int) -> None:
        self.length = max(1, length)
        self.current = np.array(values, dtype=np.float64)
        self.start = self.current.copy()
        self.target = self.current.copy()
        self.pos = self.length
        self.steady32 = self.current.astype(np.float32)

    @property
    def ramping(self) -> bool:
        return self.pos < self.length

    def set(self, values: Sequence[float]) -> None:
        target = np.array(values, dtype=np.float64)
        if np.array_equal(target, self.target):
            return
        self.start = self.current.copy()
        self.target = target
        self.pos = 0

    def jump(self) -> None:
        """Go straight to the target (after a seek: nothing is playing to click)."""
        self.current = self.target.copy()
        self.start = self.current.copy()
        self.pos = self.length
        self.steady32 = self.current.astype(np.float32)

    def silent(self) -> bool:
        return not self.ramping and not self.current.any()

    def next(self, n: int) -> npt.NDArray[np.float32] | None:
        """The gains of the next ``n`` frames, shape (n, k), or None when steady (then use
        :attr:`steady32`)."""
        if not self.ramping:
            return None
        j = np.arange(self.pos + 1, self.pos + n + 1, dtype=np.float64)
        gains = self.start + (self.target - self.start) * (j / self.length)[:, None]
        gains[j >= self.length] = self.target  # exactly the target from the ramp's end on
        self.pos = min(self.pos + n, self.length)
        self.current = gains[-1].copy()
        if not self.ramping:
            self.current = self.target.copy()
            self.start = self.current.copy()
            self.steady32 = self.current.astype(np.float32)
        return gains.astype(np.float32)


# --- lanes -------------------------------------------------------------------------------------


def _track_gains(mix: TrackMix, plays: bool) -> list[float]:
    """(left, right, reverb send, delay send) for a track; all zero when it does not play."""
    if not plays:
        return [0.0, 0.0, 0.0, 0.0]
    gain = 10 ** (mix.gain_db / 20)
    left, right = constant_power_pan(mix.pan)
    return [gain * left, gain * right, mix.send_reverb, mix.send_delay]


class _Lane:
    """One track's part of the graph. Its post-fader output for a block goes into one of a few
    slots (:meth:`use_slots`), so the mix of a block can be summed while the lane already works
    on the next one."""

    def __init__(self, track: GraphTrack, samplerate: int, max_block: int, ramp: int,
                 plays: bool) -> None:
        self.track = track
        self.samplerate = samplerate
        self.max_block = max_block
        self.mix = track.mix
        source = track.source
        self.reader: ClipReader | None = None
        self.clips: list[ClipSource] | None = None
        if hasattr(source, "render"):
            self.source = cast(TrackSource, source)
        else:
            self.clips = list(source)
            self.reader = FastClipReader(self.clips)
            self.source = self.reader
        self.empty = self.clips is not None and not self.clips
        self.chain = self._chain(track.preset)
        self.buf = np.zeros((max_block, 2), dtype=np.float32)
        self.ramp = _Ramp(_track_gains(track.mix, plays), ramp)
        self.was_running = True  # a fresh chain is primed: no reset needed
        self._pattern_of: npt.NDArray[np.float32] | None = None  # the steady gains tiled
        self._pattern = np.zeros(0, dtype=np.float32)
        # per slot: the post-fader block, whether it sounds, and its gains (per frame while
        # ramping, shape (n, 4); else the steady four)
        self.outs: list[Audio] = []
        self.sounding: list[bool] = []
        self.gains: list[npt.NDArray[np.float32]] = []
        self.use_slots(1)

    def _chain(self, preset: Preset | None) -> FrameChain | None:
        if preset is None or not preset.effects:
            return None
        return FrameChain(preset, self.samplerate, 2, self.max_block)

    def use_slots(self, count: int) -> None:
        while len(self.outs) < count:
            self.outs.append(np.zeros((self.max_block, 2), dtype=np.float32))
            self.sounding.append(False)
            self.gains.append(self.ramp.steady32)

    def set_preset(self, preset: Preset | None) -> None:
        self.chain = self._chain(preset)
        self.track = GraphTrack(self.track.source, self.mix, preset, self.track.name)

    @property
    def running(self) -> bool:
        return not self.empty and not self.ramp.silent()

    def sends_to(self, bus: int) -> bool:
        """Whether any send to bus ``bus`` (0 reverb, 1 delay) can be non-zero before the
        settings change (a ramp's gains lie between its start and its target)."""
        return bool(self.ramp.start[2 + bus] or self.ramp.target[2 + bus])

    def step(self, frame: int, n: int, slot: int) -> None:
        """Render this lane's post-fader block into slot ``slot``, or mark it silent."""
        if not self.running:
            self.was_running = False
            self.sounding[slot] = False
            return
        if not self.was_running and self.chain is not None:
            self.chain.reset()  # back from silence: start clean
        self.was_running = True
        buf = self.buf[:n]
        buf.fill(0.0)
        self.source.render(buf, frame)
        y = buf if self.chain is None else self.chain.process_frames(buf)
        gains = self.ramp.next(n)
        out = self.outs[slot][:n]
        if gains is None:
            steady = self.ramp.steady32
            self.gains[slot] = steady
            if steady is not self._pattern_of:  # left, right, left, right, …: one flat product
                self._pattern = np.tile(steady[:2], self.max_block)
                self._pattern_of = steady
            np.multiply(y.reshape(-1), self._pattern[: 2 * n], out=out.reshape(-1))
        else:
            self.gains[slot] = gains
            np.multiply(y, gains[:, :2], out=out)
        self.sounding[slot] = True

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()


class _BusLane:
    """An effect bus: sums its sends for a block, runs its preset, and keeps the return (after
    its gain) in a slot, like the lanes."""

    def __init__(self, index: int, bus: GraphBus, samplerate: int, max_block: int,
                 ramp: int) -> None:
        self.index = index  # 0 reverb, 1 delay: the column of the lanes' gains is 2 + index
        self.samplerate = samplerate
        self.max_block = max_block
        self.bus = bus
        self.chain = self._chain(bus.preset)
        self.input = np.zeros((max_block, 2), dtype=np.float32)
        self.scratch = np.zeros((max_block, 2), dtype=np.float32)
        self.ramp = _Ramp([bus.gain], ramp)
        self.fed = False  # once fed, it runs on: its tail keeps sounding
        self.returns: list[Audio] = []
        self.returning: list[bool] = []
        self.use_slots(1)

    def _chain(self, preset: Preset | None) -> FrameChain | None:
        if preset is None or not preset.effects:
            return None
        return FrameChain(preset, self.samplerate, 2, self.max_block)

    def use_slots(self, count: int) -> None:
        while len(self.returns) < count:
            self.returns.append(np.zeros((self.max_block, 2), dtype=np.float32))
            self.returning.append(False)

    def set(self, bus: GraphBus) -> None:
        if bus.preset != self.bus.preset:
            self.chain = self._chain(bus.preset)
        self.bus = bus
        self.ramp.set([bus.gain])

    def step(self, lanes: Sequence[_Lane], n: int, slot: int) -> None:
        """Sum the sends of ``lanes`` (in order) for the block in slot ``slot``, run the bus
        once it has been fed, and keep its return."""
        x = self.input[:n]
        x.fill(0.0)
        column = 2 + self.index
        for lane in lanes:
            if not lane.sounding[slot]:
                continue
            gains = lane.gains[slot]
            send: npt.NDArray[np.float32] | np.float32
            if gains.ndim == 2:
                send = gains[:, column: column + 1]
                if not send.any():
                    continue
            else:
                send = gains[column]
                if send == 0:
                    continue
            self.fed = True
            scratch = self.scratch[:n]
            np.multiply(lane.outs[slot][:n], send, out=scratch)
            np.add(x, scratch, out=x)
        self.returning[slot] = False
        if not self.fed:
            return
        y = x if self.chain is None else self.chain.process_frames(x)
        ramped = self.ramp.next(n)
        ret = self.returns[slot][:n]
        if ramped is None:
            gain = self.ramp.steady32[0]
            if gain == 0:
                return
            np.multiply(y, gain, out=ret)
        else:
            np.multiply(y, ramped, out=ret)
        self.returning[slot] = True


def _finish(out: Audio, lanes: Sequence[_Lane], buses: Sequence[_BusLane], slot: int) -> None:
    """The mix of one block: the lanes in order, then the bus returns in order."""
    n = out.shape[0]
    out.fill(0.0)
    for lane in lanes:
        if lane.sounding[slot]:
            np.add(out, lane.outs[slot][:n], out=out)
    for bus in buses:
        if bus.returning[slot]:
            np.add(out, bus.returns[slot][:n], out=out)


def _track_peaks(lanes: Sequence[_Lane], slot: int, n: int) -> npt.NDArray[np.float32]:
    """Each track's post-fader peaks (windows × tracks × 2) over one block's level windows
    (silent tracks read zero)."""
    peaks = np.zeros((-(-n // LEVEL_WINDOW), len(lanes), 2), dtype=np.float32)
    for i, lane in enumerate(lanes):
        if lane.sounding[slot]:
            peaks[:, i] = window_peaks(lane.outs[slot][:n])
    return peaks


LevelSink = Callable[[int, int, npt.NDArray[np.float32]], None]


# --- the graph ---------------------------------------------------------------------------------


class MixGraph:
    """The pre-master mix of ``tracks`` with ``buses`` (see the module docstring)."""

    def __init__(self, tracks: Sequence[GraphTrack], buses: BusSettings | None = None,
                 samplerate: int = 48000, max_block: int = MAX_BLOCK, threads: int = 1) -> None:
        if samplerate <= 0 or max_block <= 0 or threads <= 0:
            raise ValueError("samplerate, max_block and threads must be positive")
        self.samplerate = samplerate
        self.max_block = max_block
        self.ramp_frames = max(1, round(samplerate * RAMP_SECONDS))
        buses = buses or BusSettings()
        plays = audible([t.mix for t in tracks])
        self._lanes: list[_Lane] = []
        try:
            for track, on in zip(tracks, plays, strict=True):
                self._lanes.append(_Lane(track, samplerate, max_block, self.ramp_frames, on))
            self._buses = {name: _BusLane(k, buses.bus(name), samplerate, max_block,
                                          self.ramp_frames) for k, name in enumerate(BUS_NAMES)}
        except BaseException:
            self.close()
            raise
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads - 1, "mix-lane") if threads > 1 else None
        self._next: int | None = None
        self._run: BlockRun | None = None  # a pipelined run (:meth:`blocks`), its helpers
        self._helpers: list[threading.Thread] = []
        # where each track's level over every rendered window goes (song frame, frames,
        # peaks: windows × tracks × 2), when someone shows them (live playback)
        self.level_sink: LevelSink | None = None

    # settings ---------------------------------------------------------------------------------

    @property
    def tracks(self) -> list[GraphTrack]:
        return [GraphTrack(lane.track.source, lane.mix, lane.track.preset, lane.track.name)
                for lane in self._lanes]

    def set_mix(self, index: int, mix: TrackMix) -> None:
        """Change one track's gain, pan, mute, solo or sends from the next render call on
        (a solo changes what the other tracks do too)."""
        self._lanes[index].mix = mix
        self._retarget()

    def set_preset(self, index: int, preset: Preset | None) -> None:
        """Give a track another effect chain (it starts from silence)."""
        self._lanes[index].set_preset(preset)

    def set_bus(self, name: BusName, bus: GraphBus) -> None:
        self._buses[name].set(bus)

    def _retarget(self) -> None:
        plays = audible([lane.mix for lane in self._lanes])
        for lane, on in zip(self._lanes, plays, strict=True):
            lane.ramp.set(_track_gains(lane.mix, on))

    # lengths ----------------------------------------------------------------------------------

    def end_frame(self) -> int:
        """The end of the last clip (or beat) that plays."""
        ends = [c.position + c.length for lane in self._lanes
                if lane.clips and lane.ramp.target[:2].any() for c in lane.clips]
        ends += [int(getattr(lane.source, "frames", 0)) for lane in self._lanes
                 if lane.clips is None and lane.ramp.target[:2].any()]
        return max(ends, default=0)

    def tail_frames(self) -> int:
        """How long the mix keeps sounding after the last clip ends: the longest effect tail
        of a track that plays, plus the longest tail of a bus it sends to."""
        track_tail = 0.0
        bus_tail = 0.0
        for lane in self._lanes:
            if lane.empty or not lane.ramp.target.any():
                continue
            track_tail = max(track_tail, preset_tail_seconds(lane.track.preset))
            for k, name in enumerate(BUS_NAMES):
                bus = self._buses[name]
                if lane.ramp.target[2 + k] > 0 and bus.bus.gain > 0:
                    bus_tail = max(bus_tail, preset_tail_seconds(bus.bus.preset))
        return round(min(track_tail + bus_tail, MAX_TAIL_SECONDS) * self.samplerate)

    # rendering --------------------------------------------------------------------------------

    def unreadable(self) -> set[Path]:
        """Take files that could not be read (they play as silence)."""
        return {path for lane in self._lanes if lane.reader is not None
                for path in lane.reader.unreadable}

    def seek(self, frame: int) -> None:
        """Make ``frame`` the next frame rendered, forgetting tails and filter memory."""
        for lane in self._lanes:
            if lane.chain is not None:
                lane.chain.reset()
            lane.ramp.jump()
        for bus in self._buses.values():
            if bus.chain is not None:
                bus.chain.reset()
            bus.ramp.jump()
            bus.fed = False
        self._next = frame

    def render(self, start: int, frames: int) -> Audio:
        """A new float32 array (frames, 2): the mix of song frames ``start … start+frames``."""
        out = np.empty((frames, 2), dtype=np.float32)
        self.render_into(out, start)
        return out

    def render_into(self, out: Audio, start: int) -> None:
        """Fill ``out`` (shape (n, 2), float32) with the mix from song frame ``start``."""
        if self._run is not None:  # a blocks() iterator left unfinished: it ends here
            self._stop_run()
        if self._next is not None and start != self._next:
            self.seek(start)
        total = len(out)
        offsets = range(0, total, self.max_block)
        pieces = [(start + done, min(self.max_block, total - done)) for done in offsets]
        run = self._new_run(pieces, lambda k: out[offsets[k]: offsets[k] + pieces[k][1]], 2,
                            None)
        if self._pool is None or run.count * len(self._lanes) <= 1:
            for k in range(run.count):
                run.run_inline(k)
        else:
            helpers = [self._pool.submit(help_with, run) for _ in range(self.threads - 1)]
            try:
                run.work()
            finally:
                run.stop()
                for helper in helpers:
                    helper.result()
        self._next = start + total

    def blocks(self, start: int, frames: int, block: int | None = None
               ) -> Generator[Audio, None, None]:
        """The mix of song frames ``start … start+frames`` as new float32 arrays of ``block``
        frames (at most ``max_block``; the last one shorter): the same samples as calling
        :meth:`render` for each, but with the threads working ahead without waiting for each
        other between blocks (see :mod:`studio.audio.block_tasks`). Settings must not change
        while the iterator runs. Left unfinished, the next render starts clean (as after a
        jump)."""
        size = self.max_block if block is None else max(1, min(block, self.max_block))
        if self._run is not None:  # another iterator left unfinished: it ends here
            self._stop_run()
        if self._next is not None and start != self._next:
            self.seek(start)
        pieces = [(start + done, min(size, frames - done)) for done in range(0, frames, size)]

        def fresh(k: int) -> Audio:
            return np.empty((pieces[k][1], 2), dtype=np.float32)

        self._next = -1  # anything but the end: an unfinished run leaves a jump behind it
        if self.threads == 1:
            alone = self._new_run(pieces, fresh, 1, None)
            for k in range(alone.count):
                alone.run_inline(k)
                yield alone.finished.pop(k)
            self._next = start + frames
            return
        run = self._new_run(pieces, fresh, WINDOW, AHEAD)
        # helpers of their own for the whole run (daemons: one left waiting by an iterator
        # that was dropped unfinished and never closed cannot hold up the interpreter's exit)
        helpers = [threading.Thread(target=help_with, args=(run,), name="mix-lane",
                                    daemon=True) for _ in range(self.threads - 1)]
        self._run, self._helpers = run, helpers
        for helper in helpers:
            helper.start()
        try:
            for k in range(run.count):
                run.work(until=k)
                yield run.take(k)
        finally:
            if self._run is run:  # (not when a render or another iterator ended it already)
                self._stop_run()
        self._next = start + frames

    def _stop_run(self) -> None:
        """Stop a pipelined run and wait for its helpers to put down the task in hand."""
        if self._run is not None:
            self._run.stop()
        for helper in self._helpers:
            helper.join()
        self._run, self._helpers = None, []

    def _new_run(self, pieces: list[tuple[int, int]], destination: Callable[[int], Audio],
                 window: int, ahead: int | None) -> BlockRun:
        """A run of ``pieces`` through the lanes and buses, each block's mix summed into
        ``destination(k)`` (see :mod:`studio.audio.block_tasks`)."""
        lanes = self._lanes
        buses = list(self._buses.values())
        senders = [[i for i, lane in enumerate(lanes) if lane.sends_to(bus.index)]
                   for bus in buses]
        feeds = [[lanes[i] for i in ids] for ids in senders]

        def lane_task(i: int, frame: int, n: int, slot: int) -> None:
            lanes[i].step(frame, n, slot)

        def bus_task(b: int, n: int, slot: int) -> None:
            buses[b].step(feeds[b], n, slot)

        def sum_task(k: int, slot: int) -> Audio:
            out = destination(k)
            _finish(out, lanes, buses, slot)
            if self.level_sink is not None:
                frame, n = pieces[k]
                self.level_sink(frame, n, _track_peaks(lanes, slot, n))
            return out

        run = BlockRun(len(lanes), senders, pieces, lane_task, bus_task, sum_task, window,
                       ahead)
        for lane in lanes:
            lane.use_slots(run.window)
        for bus in buses:
            bus.use_slots(run.window)
        return run

    def close(self) -> None:
        if getattr(self, "_helpers", None) is not None:
            self._stop_run()
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown()  # helpers finish the task in hand first
        for lane in getattr(self, "_lanes", []):
            lane.close()

    def __enter__(self) -> MixGraph:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
