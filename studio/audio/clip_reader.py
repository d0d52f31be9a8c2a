"""Reading one track's clips from their take files into a block of song time: the one piece of
code that turns clips into samples, used by the disk worker for live playback and by the offline
mixdown, so both give the same samples.

Clips come oldest first: a newer take lies on top where they overlap. Clip gain and linear
fades in and out are applied here. A mono take fills both columns (the track's pan comes later).
An unreadable file plays as silence and is remembered in :attr:`ClipReader.unreadable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile as sf


@dataclass(frozen=True)
class ClipSource:
    path: Path
    position: int  # song frame where the clip starts
    offset: int  # frame in the take where the clip starts
    length: int
    gain: float = 1.0
    fade_in: int = 0  # frames
    fade_out: int = 0


def fade_envelope(clip: ClipSource, first: int, n: int) -> np.ndarray | None:
    """Gain of frames ``first … first+n`` counted from the clip's start, or None if flat."""
    fade_in, fade_out = min(clip.fade_in, clip.length), min(clip.fade_out, clip.length)
    if (not fade_in or first >= fade_in) and (not fade_out or first + n <= clip.length - fade_out):
        return None
    k = np.arange(first, first + n, dtype=np.float64)
    env = np.ones(n, dtype=np.float64)
    if fade_in:
        env = np.minimum(env, (k + 0.5) / fade_in)
    if fade_out:
        env = np.minimum(env, (clip.length - k - 0.5) / fade_out)
    return np.clip(env, 0.0, 1.0).astype(np.float32).reshape(-1, 1)


class AudioFile(Protocol):
    """What the reader needs of an open file (libsndfile's SoundFile, or a faster reader)."""

    def seek(self, frame: int) -> int: ...
    def read(self, frames: int, dtype: str = ..., always_2d: bool = ...) -> np.ndarray: ...
    def close(self) -> None: ...


class ClipReader:
    def __init__(self, clips: list[ClipSource]) -> None:
        self.clips = clips
        self._files: dict[Path, AudioFile] = {}
        self.unreadable: set[Path] = set()

    def open_file(self, path: Path) -> AudioFile:
        """Open a clip's file when a block first needs it (libsndfile)."""
        return sf.SoundFile(path)  # type: ignore[no-any-return]

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()

    def render(self, out: np.ndarray, song_frame: int) -> None:
        """Write the track's sound for song frames ``song_frame … +len(out)`` into ``out``
        (shape (n, 2), float32, zeros where no clip plays)."""
        end = song_frame + len(out)
        for clip in self.clips:
            c0 = max(clip.position, song_frame)
            c1 = min(clip.position + clip.length, end)
            if c1 <= c0 or clip.path in self.unreadable:
                continue
            try:
                f = self._files.get(clip.path)
                if f is None:
                    f = self._files[clip.path] = self.open_file(clip.path)
                f.seek(clip.offset + (c0 - clip.position))
                data = f.read(c1 - c0, dtype="float32", always_2d=True)
            except (OSError, RuntimeError, ValueError):  # LibsndfileError is a RuntimeError
                self.unreadable.add(clip.path)  # plays as silence; the caller tells people
                continue
            got = len(data)
            dst = out[c0 - song_frame : c0 - song_frame + got]
            gain = np.float32(clip.gain)
            env = fade_envelope(clip, c0 - clip.position, got)
            source = data if data.shape[1] == 1 else data[:, :2]
            dst[:] = source * gain if env is None else source * (env * gain)


def clip_to_json(clip: ClipSource) -> dict[str, object]:
    """A clip as the disk worker's request carries it."""
    return {"path": str(clip.path), "position": clip.position, "offset": clip.offset,
            "length": clip.length, "gain": clip.gain, "fade_in": clip.fade_in,
            "fade_out": clip.fade_out}


def clip_from_json(data: dict[str, Any]) -> ClipSource:
    return ClipSource(Path(str(data["path"])), int(data["position"]), int(data["offset"]),
                      int(data["length"]), float(data.get("gain", 1.0)),
                      int(data.get("fade_in", 0)), int(data.get("fade_out", 0)))
