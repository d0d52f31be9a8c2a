"""What lives in the engine's shared memory, and how every process finds it.

The supervisor creates the region from an :class:`EngineLayout`; the engine host and the disk
worker attach to it by path with the same layout (passed to them as JSON).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.audio.pads import PadBank
from studio.audio.protocol import Status
from studio.audio.shm import (
    ArraySpec,
    FrameRing,
    LatestValues,
    RecordQueue,
    SharedRegion,
    TimelineRing,
)
from studio.audio.track_levels import TrackLevels

METER_FIELDS = 4  # peak, rms, clip hold, peak max (see meters.MeterBank)


@dataclass(frozen=True)
class EngineLayout:
    input_channels: int = 2
    output_channels: int = 2
    capture_slots: int = 8
    capture_seconds: float = 8.0  # room in each capture ring: the disk may stall this long
    playback_slots: int = 32
    playback_seconds: float = 2.0
    max_samplerate: int = 48000  # set to the song's rate by the supervisor
    command_capacity: int = 256
    event_capacity: int = 1024
    marker_capacity: int = 4096
    timing_capacity: int = 65536
    pad_slots: int = 32  # kit voices x velocity layers that can be played live
    pad_seconds: float = 1.5  # the longest one-shot a pad plays (longer ones fade out)

    def capture_frames(self) -> int:
        return int(self.capture_seconds * self.max_samplerate)

    def playback_frames(self) -> int:
        return int(self.playback_seconds * self.max_samplerate)

    def pad_frames(self) -> int:
        return int(self.pad_seconds * self.max_samplerate)

    def specs(self) -> list[ArraySpec]:
        specs: list[ArraySpec] = []
        specs += RecordQueue.specs("cmd", self.command_capacity)
        specs += RecordQueue.specs("evt", self.event_capacity)
        specs += LatestValues.specs("status", (int(Status.COUNT),))
        specs += LatestValues.specs("meters.in", (max(self.input_channels, 1), METER_FIELDS))
        specs += LatestValues.specs("meters.out", (self.output_channels, METER_FIELDS))
        specs += LatestValues.specs(
            "meters.track", (self.playback_slots * 2, METER_FIELDS)
        )
        specs += FrameRing.specs("timing", self.timing_capacity, 1)
        for i in range(self.capture_slots):
            specs += FrameRing.specs(f"cap{i}", self.capture_frames(), 2)
            specs += RecordQueue.specs(f"mark{i}", self.marker_capacity)
        for i in range(self.playback_slots):
            specs += TimelineRing.specs(f"play{i}", self.playback_frames(), 2)
        specs += TrackLevels.specs()
        specs += [ArraySpec("pads", "float32", (self.pad_slots, self.pad_frames(), 2)),
                  ArraySpec("pads.len", "int64", (self.pad_slots,)),
                  ArraySpec("pads.choke", "int64", (self.pad_slots,))]
        return specs

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> EngineLayout:
        return cls(**json.loads(text))


class EngineMemory:
    """Typed access to everything in one engine region."""

    def __init__(self, layout: EngineLayout, path: Path, *, create: bool) -> None:
        self.layout = layout
        self.region = SharedRegion(path, layout.specs(), create=create)
        r = self.region
        self.commands = RecordQueue(r, "cmd")
        self.events = RecordQueue(r, "evt")
        self.status = LatestValues(r, "status")
        self.input_meters = LatestValues(r, "meters.in")
        self.output_meters = LatestValues(r, "meters.out")
        self.track_meters = LatestValues(r, "meters.track")
        self.timings = FrameRing(r, "timing")
        self.capture = [FrameRing(r, f"cap{i}") for i in range(layout.capture_slots)]
        self.markers = [RecordQueue(r, f"mark{i}") for i in range(layout.capture_slots)]
        self.playback = [TimelineRing(r, f"play{i}") for i in range(layout.playback_slots)]
        self.pads = PadBank(r["pads"], r["pads.len"], r["pads.choke"])
        self.track_levels = TrackLevels(r)  # per-track peaks of the live mix (disk worker)

    @property
    def path(self) -> Path:
        return self.region.path

    def close(self) -> None:
        self.region.close()

    def unlink(self) -> None:
        self.region.unlink()
