"""The callback's logic on the null backend with a manual clock: no device, no sleeps.

The disk worker runs in this process too (its pump is called by hand), so these tests follow
audio from the input buffer through the capture ring into a real take file and back.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from studio.audio.backends.null import NullBackend
from studio.audio.disk_worker import DiskWorker
from studio.audio.engine import Engine
from studio.audio.layout import EngineLayout, EngineMemory
from studio.audio.protocol import ClickMode, Cmd, Marker, Status, Transport

SR = 48000


@pytest.fixture
def memory(tmp_path: Path) -> Any:
    layout = EngineLayout(input_channels=2, output_channels=2, capture_slots=2,
                          capture_seconds=2.0, playback_slots=2, playback_seconds=1.0,
                          max_samplerate=SR)
    mem = EngineMemory(layout, tmp_path / "engine.shm", create=True)
    yield mem
    mem.close()


def ramp_input(frames: int, channels: int = 2) -> np.ndarray:
    """Every frame different and exactly representable in 24 bits: frame k -> k mod 2**16."""
    k = np.arange(frames, dtype=np.int64)
    col = ((k % 65536) - 32768).astype(np.float32) / 65536.0
    out = np.stack([col] + [-col] * (channels - 1), axis=1)
    return out.astype(np.float32)


def make_engine(memory: EngineMemory, **kw: Any) -> Engine:
    kw.setdefault("frames_per_beat", SR * 60.0 / 120.0)
    return Engine(memory, SR, max_block=4096, input_channels=2, output_channels=2, **kw)


class Worker:
    """The disk worker, in-process, collecting its events."""

    def __init__(self, memory: EngineMemory, folder: Path) -> None:
        self.events: list[dict[str, Any]] = []
        self.folder = folder
        self.dw = DiskWorker(memory, SR, self.events.append)
        self.n = 0

    def reserve(self, slot: int, channels: int = 1) -> Path:
        self.n += 1
        path = self.folder / f"take-{slot}-{self.n}.wav"
        self.dw.handle({"op": "reserve", "slot": slot, "take_id": self.n, "path": str(path),
                        "channels": channels})
        assert self.events[-1]["event"] == "reserved", self.events[-1]
        return path

    def finished(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == "take_finished"]


def cmd(memory: EngineMemory, op: Cmd, *ints: int, x: float = 0.0, y: float = 0.0) -> None:
    assert memory.commands.push(int(op), *ints, x=x, y=y)


def markers(memory: EngineMemory, slot: int) -> list[tuple[int, ...]]:
    out = []
    while (item := memory.markers[slot].pop()) is not None:
        out.append(item[0])
    return out


def test_records_exactly_the_punched_frames(memory: EngineMemory, tmp_path: Path) -> None:
    engine = make_engine(memory)
    backend = NullBackend(engine, blocksize=128)
    worker = Worker(memory, tmp_path)
    path = worker.reserve(0, channels=1)
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.RECORD, 1, 1000, 11000)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    source = ramp_input(20000)
    backend.run(20000, source)
    worker.dw.pump(force=True)
    (done,) = worker.finished()
    assert done["frames"] == 10000
    assert done["song_frame"] == 1000
    assert done["gaps"] == []
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    assert rate == SR
    np.testing.assert_array_equal(data[:, 0], source[1000:11000, 0])


def test_stereo_take_takes_the_chosen_inputs(memory: EngineMemory, tmp_path: Path) -> None:
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    path = worker.reserve(1, channels=2)
    cmd(memory, Cmd.ARM, 1, 1, 1, 0)  # input 2 on the left, input 1 on the right
    cmd(memory, Cmd.RECORD, 1, 0, 5000)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    source = ramp_input(6000)
    NullBackend(engine, 65).run(6000, source)
    worker.dw.pump(force=True)
    data, _ = sf.read(path, dtype="float32", always_2d=True)
    np.testing.assert_array_equal(data[:, 0], source[:5000, 1])
    np.testing.assert_array_equal(data[:, 1], source[:5000, 0])


def test_result_does_not_depend_on_block_size(memory: EngineMemory, tmp_path: Path) -> None:
    results = []
    for i, block in enumerate((64, 65, 512, 4096)):
        mem = EngineMemory(memory.layout, tmp_path / f"e{block}.shm", create=True)
        engine = make_engine(mem)
        worker = Worker(mem, tmp_path / str(i))
        (tmp_path / str(i)).mkdir()
        path = worker.reserve(0)
        cmd(mem, Cmd.CLICK, int(ClickMode.ALWAYS), x=0.5)
        cmd(mem, Cmd.ARM, 0, 1, 0, -1)
        cmd(mem, Cmd.RECORD, 1, 777, 30777)
        cmd(mem, Cmd.PLAY, 1, -3000, 0, 0)
        out = NullBackend(engine, block).run(40000, ramp_input(40000))
        worker.dw.pump(force=True)
        data, _ = sf.read(path, dtype="float32")
        results.append((out, data))
        mem.close()
    for out, data in results[1:]:
        np.testing.assert_array_equal(out, results[0][0])
        np.testing.assert_array_equal(data, results[0][1])


def test_loop_recording_makes_one_take_per_pass(memory: EngineMemory, tmp_path: Path) -> None:
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    paths = [worker.reserve(0) for _ in range(3)]
    loop_start, loop_end = 2000, 6000
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.RECORD, 1, loop_start, 0, 0, 3)
    cmd(memory, Cmd.PLAY, 1, 0, loop_start, loop_end)
    source = ramp_input(30000)
    NullBackend(engine, 100).run(30000, source)
    worker.dw.pump(force=True)
    done = worker.finished()
    assert [d["pass"] for d in done] == [0, 1, 2]
    assert all(d["frames"] == 4000 and d["song_frame"] == loop_start for d in done)
    # pass k heard song frames 2000..6000 while the input ran on: timeline 2000+4000k ...
    for k, path in enumerate(paths):
        data, _ = sf.read(path, dtype="float32")
        t0 = loop_start + 4000 * k
        np.testing.assert_array_equal(data, source[t0 : t0 + 4000, 0])
    assert engine.state == Transport.STOPPED


def test_count_in_clicks_before_recording_starts(memory: EngineMemory, tmp_path: Path) -> None:
    engine = make_engine(memory)  # 120 BPM: a beat is 24000 frames, a bar 96000
    worker = Worker(memory, tmp_path)
    worker.reserve(0)
    cmd(memory, Cmd.CLICK, int(ClickMode.COUNT_IN), x=0.5)
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.RECORD, 1, 0, 48000)
    cmd(memory, Cmd.PLAY, 1, -96000, 0, 0)
    out = NullBackend(engine, 256).run(96000 + 48000 + 256)
    worker.dw.pump(force=True)
    (done,) = worker.finished()
    assert done["song_frame"] == 0 and done["frames"] == 48000
    for beat in range(4):  # four clicks in the count-in bar, none after it
        onset = beat * 24000
        assert np.abs(out[onset : onset + 200]).max() > 0.01
    assert np.abs(out[96000:]).max() == 0.0


def test_click_lands_on_the_beat_grid(memory: EngineMemory) -> None:
    engine = make_engine(memory, frames_per_beat=SR * 60.0 / 97.0)  # not a whole number
    cmd(memory, Cmd.CLICK, int(ClickMode.ALWAYS), x=0.5)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    out = NullBackend(engine, 128).run(SR * 4)
    fpb = SR * 60.0 / 97.0
    onsets = [round(b * fpb) for b in range(1, 6)]
    for onset in onsets:
        assert np.abs(out[onset - 50 : onset, 0]).max() == 0.0  # silence right before
        assert np.abs(out[onset : onset + 50, 0]).max() > 0.0


def test_gap_from_the_device_is_recorded_as_silence(memory: EngineMemory, tmp_path: Path
                                                    ) -> None:
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    path = worker.reserve(0)
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.RECORD, 1, 0, 0)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    source = ramp_input(128 * 20)
    out = np.zeros((128, 2), dtype=np.float32)
    t = 1.0
    for i in range(20):
        if i == 10:
            t += 300 / SR  # the device lost 300 frames between block 9 and 10
        engine.process_rt(source[i * 128 : (i + 1) * 128], out, 128, t, xrun=(i == 10))
        t += 128 / SR
    cmd(memory, Cmd.STOP)
    engine.process_rt(source[:128], out, 128, t)
    worker.dw.pump(force=True)
    (done,) = worker.finished()
    assert done["gaps"] == [(1280, 300)]
    # written + dropped = elapsed: the take keeps its length
    assert done["frames"] == 20 * 128 + 300
    data, _ = sf.read(path, dtype="float32")
    np.testing.assert_array_equal(data[:1280], source[:1280, 0])
    assert not data[1280:1580].any()
    np.testing.assert_array_equal(data[1580:], source[1280:, 0])
    assert memory.status.values[Status.GAP_FRAMES] == 300


def test_late_callbacks_without_an_xrun_are_not_gaps(memory: EngineMemory, tmp_path: Path
                                                     ) -> None:
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    worker.reserve(0)
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.RECORD, 1, 0, 0)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    out = np.zeros((128, 2), dtype=np.float32)
    source = ramp_input(128)
    jitter = np.random.default_rng(1).uniform(0, 200 / SR, 40)
    for i in range(40):
        engine.process_rt(source, out, 128, 1.0 + i * 128 / SR + jitter[i])
    cmd(memory, Cmd.STOP)
    engine.process_rt(source, out, 128, 2.0)
    worker.dw.pump(force=True)
    (done,) = worker.finished()
    assert done["gaps"] == [] and done["frames"] == 40 * 128


def test_overdub_plays_other_takes_in_time(memory: EngineMemory, tmp_path: Path) -> None:
    beat = (np.sin(np.arange(20000) * 0.01) * 0.5).astype(np.float32).reshape(-1, 1)
    take = tmp_path / "beat.wav"
    sf.write(take, beat, SR, subtype="FLOAT")
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    position = 3000
    worker.dw.handle({"op": "play", "epoch": 7, "start": -500, "loop_start": 0, "loop_end": 0,
                      "tracks": [{"slot": 0, "clips": [{"path": str(take), "position": position,
                                                        "offset": 0, "length": 20000}]}]})
    cmd(memory, Cmd.TRACK_GAIN, 0, x=1.0, y=1.0)
    cmd(memory, Cmd.TRACK_ACTIVE, 0, 1)
    cmd(memory, Cmd.PLAY, 7, -500, 0, 0)
    backend = NullBackend(engine, 128)
    out = np.concatenate([_run_with_prefetch(backend, worker, 128) for _ in range(200)])
    heard = out[:, 0]
    t0 = position + 500  # timeline frame where the clip starts
    np.testing.assert_allclose(heard[t0 : t0 + 20000], beat[:, 0], atol=1e-6)
    assert not heard[:t0].any()


def _run_with_prefetch(backend: NullBackend, worker: Worker, frames: int) -> np.ndarray:
    worker.dw.prefetch()
    return backend.run(frames)


def test_gain_changes_are_ramped(memory: EngineMemory, tmp_path: Path) -> None:
    tone = np.full((48000, 1), 0.5, dtype=np.float32)
    take = tmp_path / "dc.wav"
    sf.write(take, tone, SR, subtype="FLOAT")
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    worker.dw.handle({"op": "play", "epoch": 1, "start": 0, "loop_start": 0, "loop_end": 0,
                      "tracks": [{"slot": 0, "clips": [{"path": str(take), "position": 0,
                                                        "offset": 0, "length": 48000}]}]})
    cmd(memory, Cmd.TRACK_GAIN, 0, x=1.0, y=1.0)
    cmd(memory, Cmd.TRACK_ACTIVE, 0, 1)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    backend = NullBackend(engine, 100)
    first = np.concatenate([_run_with_prefetch(backend, worker, 100) for _ in range(20)])
    cmd(memory, Cmd.TRACK_GAIN, 0, x=0.0, y=0.0)
    after = np.concatenate([_run_with_prefetch(backend, worker, 100) for _ in range(20)])
    out = np.concatenate([first, after])[:, 0]
    steps = np.abs(np.diff(out))
    assert steps.max() < 0.5 / 100  # never a jump: the change is spread over many frames
    assert out[-1] == 0.0


def test_no_allocation_in_the_callback_after_warm_up(memory: EngineMemory) -> None:
    """Every path at once: recording across loop wraps, click, monitoring through a preset,
    two tracks playing with their gains gliding, pads hit and choked. Only pedalboard's own
    output array is made per block (it has no out= option) and freed at once, so nothing may
    stay allocated."""
    from studio.audio.effects import MonitorChain
    from studio.core.preset import find_preset

    chain = MonitorChain(find_preset("vocal-clean"), SR, 2, 4096)
    engine = make_engine(memory, monitor_chains={0: chain})
    cmd(memory, Cmd.CLICK, int(ClickMode.ALWAYS), x=0.5)
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.MONITOR, 0, 1, x=0.8)
    cmd(memory, Cmd.RECORD, 1, 0, 0)
    cmd(memory, Cmd.TRACK_ACTIVE, 0, 1)
    cmd(memory, Cmd.TRACK_ACTIVE, 1, 1)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 5000)  # a loop of 5000 frames: a wrap every ~20 blocks
    source = ramp_input(256)
    out = np.zeros((256, 2), dtype=np.float32)
    tone = np.full((256, 2), 0.1, dtype=np.float32)
    gains = iter([0.2, 0.9] * 1000)
    memory.pads.load(0, np.full((3000, 2), 0.1, dtype=np.float32), choke=1)  # hat-like pads
    memory.pads.load(1, np.full((700, 2), 0.1, dtype=np.float32), choke=1)
    hits = iter(range(10**6))

    def block() -> None:
        if next(hits) % 3 == 0:  # pads hit, choke each other, overlap, end
            cmd(memory, Cmd.PAD, next(hits) % 2, x=0.7)
        for ring in memory.playback[:2]:  # the disk worker's part, done by hand
            if ring.space() >= 256:
                ring.append(tone)
        if engine.gliding == 0:
            g = next(gains)
            cmd(memory, Cmd.TRACK_GAIN, 0, x=g, y=g)
        engine.process_rt(source, out, 256)
        memory.capture[0].consume(memory.capture[0].readable())
        memory.markers[0].counters[8] = memory.markers[0].counters[0]
        memory.events.counters[8] = memory.events.counters[0]

    for _ in range(100):
        block()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(500):
            block()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert memory.status.values[Status.PASS_INDEX] > 10  # the loop really wrapped
    grown = [d for d in after.compare_to(before, "lineno")
             if d.size_diff > 0 and "studio/audio" in str(d.traceback)]
    assert sum(d.size_diff for d in grown) < 1024, grown[:5]
    biggest = [d for d in grown if d.size_diff > 256]
    assert not biggest, biggest


def test_commands_are_applied_a_bounded_number_per_block(memory: EngineMemory) -> None:
    engine = make_engine(memory)
    for _ in range(100):
        cmd(memory, Cmd.CLICK, int(ClickMode.OFF), x=0.1)
    NullBackend(engine, 64).run(64)
    assert memory.commands.pending() == 100 - 32
    NullBackend(engine, 64).run(64 * 3)
    assert memory.commands.pending() == 0


def test_capture_overflow_keeps_time(memory: EngineMemory, tmp_path: Path) -> None:
    """When the disk worker falls behind, the lost frames become a marked gap of silence."""
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    worker.reserve(0)
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.RECORD, 1, 0, 0)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    capacity = memory.capture[0].capacity
    total = capacity + 10000
    NullBackend(engine, 500).run(total, ramp_input(total))  # nobody drains meanwhile
    cmd(memory, Cmd.STOP)
    NullBackend(engine, 500).run(500)
    worker.dw.pump(force=True)
    (done,) = worker.finished()
    assert done["frames"] == total
    assert sum(n for _, n in done["gaps"]) == 10000
    assert memory.status.values[Status.CAPTURE_DROPPED] == 10000


def test_monitoring_goes_through_the_preset_without_extra_delay(memory: EngineMemory) -> None:
    from studio.audio.effects import MonitorChain
    from studio.core.preset import find_preset

    preset = find_preset("vocal-rap")
    chain = MonitorChain(preset, SR, 2, 4096)
    reference = MonitorChain(preset, SR, 2, 4096)
    engine = make_engine(memory, monitor_chains={0: chain})
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.MONITOR, 0, 1, x=1.0)
    voice = (np.sin(np.arange(9600) * 2 * np.pi * 220 / SR) * 0.3).astype(np.float32)
    source = np.stack([voice, np.zeros_like(voice)], axis=1)
    out = NullBackend(engine, 128).run(9600, source)
    expected = np.concatenate([reference.process_rt(voice[i : i + 128, None]).copy()
                               for i in range(0, 9600, 128)])
    # it fades in over the gain ramp (480 frames) instead of switching on with a click ...
    ramp = np.minimum(np.arange(1, 9601) / 480.0, 1.0)
    np.testing.assert_allclose(out[:, 0], expected[:, 0] * ramp, atol=1e-6)
    # ... and is heard in the same block it was sung (no added buffering), on both sides
    np.testing.assert_allclose(out[480:, 1], expected[480:, 0], atol=1e-6)
    assert not np.allclose(out[:, 0], voice, atol=1e-3)  # the chain really did something
    cmd(memory, Cmd.MONITOR, 0, 0)
    fading = NullBackend(engine, 128).run(1024, source[:1024])
    assert np.abs(fading[:100]).max() > 0.0  # fades out, no sudden cut
    assert not fading[480:].any()  # then silence
    assert not engine.slots[0].monitor  # and the chain is no longer run


def test_after_a_playback_stall_the_track_comes_back_in_time(memory: EngineMemory,
                                                               tmp_path: Path) -> None:
    music = ramp_input(SR * 3, 1)
    take = tmp_path / "music.wav"
    sf.write(take, music, SR, subtype="FLOAT")
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    worker.dw.handle({"op": "play", "epoch": 3, "start": 0, "loop_start": 0, "loop_end": 0,
                      "tracks": [{"slot": 0, "clips": [{"path": str(take), "position": 0,
                                                        "offset": 0, "length": SR * 3}]}]})
    cmd(memory, Cmd.TRACK_ACTIVE, 0, 1)
    cmd(memory, Cmd.PLAY, 3, 0, 0, 0)
    backend = NullBackend(engine, 128)
    stalled = backend.run(SR * 2)  # the disk worker is asleep for two seconds
    assert memory.status.values[Status.PLAYBACK_UNDERRUNS] > 0
    assert stalled[SR:].sum() == 0.0  # ran dry (only the first prefetch was heard)
    resumed = np.concatenate([_run_with_prefetch(backend, worker, 128) for _ in range(40)])
    heard = resumed[:, 0]
    t0 = SR * 2
    playing = np.nonzero(heard)[0]
    assert len(playing) > 0
    first = int(playing[0])
    assert first <= 256  # back within a block or two, not after replaying the stall
    np.testing.assert_allclose(heard[first:], music[t0 + first : t0 + len(heard), 0],
                               atol=1e-6)  # and exactly where the song is now


def test_rehearsal_leaves_no_trace(memory: EngineMemory, tmp_path: Path) -> None:
    """The engine host rehearses every path before the device starts; afterwards the engine
    must behave exactly like a fresh one."""
    rehearsed = make_engine(memory)
    rehearsed.rehearse()
    assert memory.events.pending() == 0 and memory.markers[0].pending() == 0
    assert memory.capture[0].write_count == 0
    assert not memory.status.values[Status.HEARTBEAT]
    fresh_memory = EngineMemory(memory.layout, tmp_path / "fresh.shm", create=True)
    fresh = make_engine(fresh_memory)
    outputs = []
    for mem, engine in ((memory, rehearsed), (fresh_memory, fresh)):
        cmd(mem, Cmd.CLICK, int(ClickMode.ALWAYS), x=0.5)
        cmd(mem, Cmd.ARM, 0, 1, 0, -1)
        cmd(mem, Cmd.RECORD, 1, 100, 5000)
        cmd(mem, Cmd.PLAY, 1, 0, 0, 0)
        outputs.append(NullBackend(engine, 128).run(8000, ramp_input(8000)))
        assert markers(mem, 0) == [(int(Marker.TAKE_START), 0, 100, 0, 0, 0),
                                   (int(Marker.TAKE_END), 4900, 0, 0, 0, 0)]
    np.testing.assert_array_equal(outputs[0], outputs[1])
    fresh_memory.close()


def test_a_newer_take_lies_on_top_of_an_older_one(memory: EngineMemory, tmp_path: Path) -> None:
    old = tmp_path / "old.wav"
    new = tmp_path / "new.wav"
    sf.write(old, np.full((SR, 1), 0.25, dtype=np.float32), SR, subtype="FLOAT")
    sf.write(new, np.full((SR // 4, 1), -0.5, dtype=np.float32), SR, subtype="FLOAT")
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    clips = [{"path": str(old), "position": 0, "offset": 0, "length": SR},
             {"path": str(new), "position": SR // 2, "offset": 0, "length": SR // 4}]
    worker.dw.handle({"op": "play", "epoch": 2, "start": 0, "loop_start": 0, "loop_end": 0,
                      "tracks": [{"slot": 0, "clips": clips}]})
    cmd(memory, Cmd.TRACK_ACTIVE, 0, 1)
    cmd(memory, Cmd.PLAY, 2, 0, 0, 0)
    backend = NullBackend(engine, 256)
    heard = np.concatenate([_run_with_prefetch(backend, worker, 256) for _ in range(200)])[:, 0]
    assert (heard[: SR // 2] == 0.25).all()
    assert (heard[SR // 2 : 3 * SR // 4] == -0.5).all()  # the newer take, not the sum
    assert (heard[3 * SR // 4 : SR] == 0.25).all()


def test_a_bad_command_is_dropped_and_the_engine_goes_on(memory: EngineMemory) -> None:
    engine = make_engine(memory)
    cmd(memory, Cmd.CLICK, 7, x=0.5)  # no such click mode
    cmd(memory, Cmd.ARM, 99, 1, 0, -1)  # no such slot
    cmd(memory, Cmd.CLICK, int(ClickMode.ALWAYS), x=0.5)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    out = NullBackend(engine, 128).run(1024)
    assert memory.status.values[Status.FAULTS] == 2
    assert memory.status.values[Status.HEARTBEAT] == 8  # every block still counted
    assert engine.click_mode == ClickMode.ALWAYS and np.abs(out).max() > 0  # the rest applied
    assert memory.commands.pending() == 0


def test_a_gap_across_a_loop_wrap_is_split_between_the_passes(memory: EngineMemory,
                                                               tmp_path: Path) -> None:
    """Loop 2000..6000; the device loses 1000 frames at timeline 5500: 500 of them end pass 0,
    500 begin pass 1. Each pass keeps exactly the loop's length."""
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    for _ in range(3):
        worker.reserve(0)
    cmd(memory, Cmd.ARM, 0, 1, 0, -1)
    cmd(memory, Cmd.RECORD, 1, 2000, 0, 0, 2)
    cmd(memory, Cmd.PLAY, 1, 0, 2000, 6000)
    out = np.zeros((500, 2), dtype=np.float32)
    source = ramp_input(500)
    t = 1.0
    for i in range(30):
        xrun = i == 11  # after 11 blocks (5500 frames) the device skips 1000
        if xrun:
            t += 1000 / SR
        engine.process_rt(source, out, 500, t, xrun=xrun)
        t += 500 / SR
    worker.dw.pump(force=True)
    done = worker.finished()
    assert [d["pass"] for d in done] == [0, 1]
    assert [d["frames"] for d in done] == [4000, 4000]
    assert done[0]["gaps"] == [(3500, 500)]
    assert done[1]["gaps"] == [(0, 500)]
    assert all(d["song_frame"] == 2000 for d in done)


def test_pads_sound_at_once_and_a_choke_fades_the_earlier_hit(memory: EngineMemory) -> None:
    engine = make_engine(memory)
    open_hat = np.full((20000, 2), 0.5, dtype=np.float32)
    closed = np.full((100, 2), 0.25, dtype=np.float32)
    memory.pads.load(3, open_hat, choke=7)
    memory.pads.load(4, closed, choke=7)
    silence = np.zeros((256, 2), dtype=np.float32)
    out = np.zeros((256, 2), dtype=np.float32)
    cmd(memory, Cmd.PAD, 3, x=0.5)  # stopped transport: pads still sound
    engine.process_rt(silence, out, 256)
    assert np.allclose(out, 0.25)
    cmd(memory, Cmd.PAD, 4, x=1.0)
    blocks = []
    for _ in range(4):
        engine.process_rt(silence, out, 256)
        blocks.append(out.copy())
    played = np.concatenate(blocks)[:, 0]
    # the open hat fades over 240 frames (never a jump), the closed one plays its 100 frames
    assert played[0] == pytest.approx(0.25 + 0.25 * (1 - 1 / 240), abs=1e-6)
    assert np.all(np.abs(np.diff(played[100:240])) < 0.01)
    assert np.all(played[240:] == 0.0)
    cmd(memory, Cmd.PAD, 31, x=1.0)  # an empty slot: nothing, no fault
    cmd(memory, Cmd.PAD, 999, x=1.0)
    engine.process_rt(silence, out, 256)
    assert np.all(out == 0.0) and engine.faults == 0


def test_a_long_sound_is_cut_to_its_slot_with_a_fade(memory: EngineMemory) -> None:
    room = memory.pads.sounds.shape[1]
    memory.pads.load(2, np.ones((room + 5000, 2), dtype=np.float32))
    assert memory.pads.lengths[2] == room
    assert memory.pads.sounds[2, room - 1, 0] == 0.0 and memory.pads.sounds[2, 0, 0] == 1.0


@pytest.mark.parametrize("block", [64, 65, 512])
def test_a_beat_track_plays_live_exactly_as_the_offline_render(
        memory: EngineMemory, tmp_path: Path, block: int) -> None:
    """The disk worker feeds a beat track through the same renderer the export uses: the
    engine's output equals the offline render sample for sample, whatever the block size."""
    from studio.audio.beat import open_kit
    from studio.audio.beat.render import BeatRenderer
    from studio.core.beat import parse_beat

    toml = (Path(__file__).parents[2] / "presets" / "beats" / "boom-bap.toml").read_text()
    beat = parse_beat(toml, "boom-bap").with_tempo(90.0)
    frames = 3 * SR
    offline = BeatRenderer(beat, open_kit("synth", SR), SR).render(0, frames)
    engine = make_engine(memory)
    worker = Worker(memory, tmp_path)
    worker.dw.handle({"op": "play", "epoch": 1, "start": 0, "loop_start": 0, "loop_end": 0,
                      "tracks": [{"slot": 0, "clips": [],
                                  "beat": {"toml": toml, "kit": "synth", "tempo_bpm": 90.0}}]})
    cmd(memory, Cmd.TRACK_ACTIVE, 0, 1)
    cmd(memory, Cmd.PLAY, 1, 0, 0, 0)
    backend = NullBackend(engine, block)
    live = np.concatenate([_run_with_prefetch(backend, worker, block * 20)
                           for _ in range(frames // (block * 20) + 1)])[:frames]
    assert np.abs(offline).max() > 0.1
    np.testing.assert_array_equal(live, offline)
