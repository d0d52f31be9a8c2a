"""The engine host: an OS process that does nothing but the audio callback.

Started by the supervisor as ``python -m studio.audio.engine_host CONFIG_JSON``. It attaches to
the engine's shared memory, builds the callback's graph, warms it up, freezes and disables the
garbage collector, asks for real-time scheduling, opens the device and then sleeps: its main
thread only wakes a few times a second to see whether it was told to quit or its supervisor is
gone. Nothing here talks to the catalog or the disk; device loss is seen by the supervisor's
watchdog (the heartbeat stops), which kills this process and starts a new one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import os
import resource
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

from studio.audio.effects import MonitorChain
from studio.audio.engine import Engine
from studio.audio.layout import EngineLayout, EngineMemory
from studio.audio.protocol import Status
from studio.audio.realtime import request_realtime
from studio.audio.shm import region_path, shm_folder
from studio.core.preset import find_preset, presets_folder

MCL_CURRENT = 1
MCL_FUTURE = 2


@dataclass
class EngineOptions:
    """How the engine host runs: device, rates, channels, tempo, monitoring."""

    backend: str = "practice"  # "portaudio" | "practice"
    samplerate: int = 48000
    blocksize: int = 0  # 0: the host's own period (PortAudio), 256 for the practice device
    input_device: int | None = None
    output_device: int | None = None
    input_channels: int = 2
    output_channels: int = 2
    frames_per_beat: float = 32000.0
    beats_per_bar: int = 4
    click_level: float = 0.5
    monitor_presets: dict[str, str] = field(default_factory=dict)  # capture slot -> preset
    realtime: bool = True
    max_block: int = 8192
    practice_speed: float = 1.0  # the practice device faster than real time (benchmarks)


@dataclass
class EngineHostConfig:
    """Everything the engine host process is started with (passed as JSON)."""

    memory_path: str
    layout: dict[str, object]
    options: EngineOptions

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> EngineHostConfig:
        data = json.loads(text)
        return cls(data["memory_path"], data["layout"], EngineOptions(**data["options"]))


class Device(Protocol):
    latency: tuple[float, float]

    def start(self) -> None: ...
    def stop(self) -> None: ...
    @property
    def active(self) -> bool: ...


def build_chains(config: EngineOptions) -> dict[int, MonitorChain]:
    folder = presets_folder()
    return {
        int(slot): MonitorChain(find_preset(name, folder / "effects"), config.samplerate, 2,
                                config.max_block)
        for slot, name in config.monitor_presets.items()
    }


def build_engine(config: EngineOptions, memory: EngineMemory,
                 chains: dict[int, MonitorChain]) -> Engine:
    return Engine(
        memory,
        config.samplerate,
        max_block=config.max_block,
        input_channels=config.input_channels,
        output_channels=config.output_channels,
        frames_per_beat=config.frames_per_beat,
        beats_per_bar=config.beats_per_bar,
        click_level=config.click_level,
        monitor_chains=chains,
    )


def rehearse_privately(config: EngineOptions, layout: EngineLayout,
                       chains: dict[int, MonitorChain]) -> None:
    """Run every callback path once on a private copy of the shared memory, so code, numpy
    loops and the effect chains are warm, without touching the rings the disk worker is
    using right now (a restarted engine host must not write into reserved takes)."""
    path = region_path(shm_folder(Path(tempfile.gettempdir())), "rehearsal")
    private = EngineMemory(layout, path, create=True)
    private.unlink()  # only this process's mapping keeps it
    try:
        build_engine(config, private, chains).rehearse()
    finally:
        private.close()
        for chain in chains.values():
            chain.reset()


def lock_memory() -> bool:
    """Keep the engine's pages in RAM (mlockall), as audio programs do; best effort.

    Only where locking has no ceiling (root, or an unlimited RLIMIT_MEMLOCK): under a small
    limit MCL_FUTURE would make later allocations fail instead."""
    unlimited = resource.getrlimit(resource.RLIMIT_MEMLOCK)[0] == resource.RLIM_INFINITY
    if not (unlimited or os.geteuid() == 0):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.mlockall(MCL_CURRENT | MCL_FUTURE)) == 0
    except (OSError, AttributeError):
        return False


def touch_memory(memory: EngineMemory) -> None:
    """Fault in every shared page before the callback runs (reading only: the disk worker may
    be writing some of them right now)."""
    memory.region.touch([spec.name for spec in memory.region.specs])


def open_device(config: EngineOptions, engine: Engine) -> Device:
    if config.backend == "practice":
        from studio.audio.backends.practice import PracticeDevice

        return PracticeDevice(
            engine,
            config.samplerate,
            config.blocksize or 256,
            config.input_channels,
            config.practice_speed,
        )
    from studio.audio.backends.portaudio import PortAudioDevice

    return PortAudioDevice(
        engine,
        config.samplerate,
        config.blocksize,
        (config.input_device, config.output_device),
        config.input_channels,
        config.output_channels,
    )


def run(host: EngineHostConfig) -> int:
    parent = os.getppid()
    layout = EngineLayout(**host.layout)  # type: ignore[arg-type]
    memory = EngineMemory(layout, Path(host.memory_path), create=False)
    config = host.options
    chains = build_chains(config)
    rehearse_privately(config, layout, chains)
    engine = build_engine(config, memory, chains)
    touch_memory(memory)
    # a practice device running flat out never sleeps: at real-time priority it would starve
    # the machine, so it only gets real-time priority at the real pace
    paced = config.backend != "practice" or config.practice_speed == 1.0
    if config.realtime and paced:
        result = request_realtime()
        print(json.dumps({"realtime": result.to_dict()}), flush=True)
    device = open_device(config, engine)
    memory.status.values[Status.INPUT_LATENCY_S] = device.latency[0]
    memory.status.values[Status.OUTPUT_LATENCY_S] = device.latency[1]
    locked = lock_memory()
    gc.collect()
    gc.freeze()
    gc.disable()
    signal.signal(signal.SIGTERM, lambda *_: setattr(engine, "quit_requested", True))
    device.start()
    print(json.dumps({"ready": True, "latency": list(device.latency), "memory_locked": locked}),
          flush=True)
    try:
        while not engine.quit_requested:
            time.sleep(0.1)
            if os.getppid() != parent and not engine.orphaned:
                engine.orphaned = True  # supervisor gone: the callback ends open takes
                time.sleep(0.3)
                break
            if not device.active:
                break
    finally:
        device.stop()
        memory.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    config = EngineHostConfig.from_json(args[0])
    return run(config)


if __name__ == "__main__":
    sys.exit(main())
