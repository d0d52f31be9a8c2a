"""The song document: songs, tracks, takes, clips. Pure data; the catalog stores it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from studio.core.timebase import Timebase

TrackKind = Literal["audio", "beat", "bus"]
TRACK_KINDS: tuple[TrackKind, ...] = ("audio", "beat", "bus")

TakeState = Literal["recording", "complete", "recovered", "interrupted"]
TAKE_STATES: tuple[TakeState, ...] = ("recording", "complete", "recovered", "interrupted")


@dataclass(frozen=True)
class Song:
    id: int
    name: str
    samplerate: int
    tempo_bpm: float
    beats_per_bar: int = 4
    beat_unit: int = 4
    created_at: str = ""
    member_id: int | None = None  # the artist: whose song it is (None: nobody's yet)
    lyrics: str = ""

    @property
    def timebase(self) -> Timebase:
        return Timebase(self.samplerate, self.tempo_bpm, self.beats_per_bar, self.beat_unit)


@dataclass(frozen=True)
class Track:
    id: int
    song_id: int
    name: str
    kind: TrackKind = "audio"
    channels: int = 1
    gain_db: float = 0.0
    pan: float = 0.0
    muted: bool = False
    order: int = 0


@dataclass(frozen=True)
class Gap:
    """Frames the device or the disk could not deliver, at a frame counted from the take's start.

    The take file holds silence there, so the take keeps its length and stays aligned.
    """

    at_frame: int
    frames: int


@dataclass(frozen=True)
class Take:
    id: int
    song_id: int
    track_id: int
    path: str  # relative to the studio's data folder
    state: TakeState
    samplerate: int
    channels: int
    frames: int = 0
    sha256: str | None = None
    song_position_frames: int = 0  # the song frame of the file's first sample, compensated
    latency_frames: int = 0  # the compensation that was applied
    device: str = ""
    created_at: str = ""
    finished_at: str | None = None
    gaps: tuple[Gap, ...] = field(default_factory=tuple)
    member_id: int | None = None  # who performs on it (the song's artist when recorded)
    restricted: bool = False  # consent withdrawn but kept under a retention duty: never leaves


@dataclass(frozen=True)
class Clip:
    """A placement of a take on its track."""

    id: int
    track_id: int
    take_id: int
    position_frames: int
    offset_frames: int
    length_frames: int
    gain_db: float = 0.0
    fade_in_frames: int = 0
    fade_out_frames: int = 0
