"""What every drum kit is to the renderer: one-shot sounds per voice, velocity layers, chokes.

A :class:`Kit` holds, for each voice it has, a :class:`KitVoice`: one or more
:class:`Layer` s (a stereo one-shot at the kit's sample rate and the velocity range it answers
to), a level, and an optional choke group. A hit in a choke group cuts every earlier sound of
the same group (a closed hi-hat stops the open one ringing). The built-in synthesised kit, sample
kits (``kit.toml``) and Hydrogen drumkits all load into this one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from studio.core.i18n import Words

__all__ = ["Audio", "Kit", "KitVoice", "Layer", "stereo"]

Audio = npt.NDArray[np.float32]


def stereo(sound: npt.NDArray[np.floating], pan: float = 0.0) -> Audio:
    """A read-only ``(frames, 2)`` float32 copy of a mono or multi-channel sound.

    A mono sound is placed with a balance law: unity in both channels at the centre, the far
    channel turned down as ``pan`` moves away from it (-1 left … 1 right).
    """
    data = np.asarray(sound, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    if data.shape[1] == 1:
        left, right = min(1.0, 1.0 - pan), min(1.0, 1.0 + pan)
        out = np.empty((data.shape[0], 2), dtype=np.float32)
        out[:, 0] = data[:, 0] * np.float32(left)
        out[:, 1] = data[:, 0] * np.float32(right)
    else:
        out = np.ascontiguousarray(data[:, :2], dtype=np.float32)
        if pan:
            out = out * np.array([min(1.0, 1.0 - pan), min(1.0, 1.0 + pan)], dtype=np.float32)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class Layer:
    """One sample of a voice and the velocities (1..127, both ends included) it plays for."""

    sound: Audio  # (frames, 2) float32 at the kit's sample rate
    low: int = 1
    high: int = 127
    gain: float = 1.0

    @property
    def frames(self) -> int:
        return int(self.sound.shape[0])


@dataclass(frozen=True)
class KitVoice:
    layers: tuple[Layer, ...]  # sorted by (low, high)
    level: float = 1.0
    choke: str | None = None

    def layer_for(self, velocity: int) -> Layer:
        """The layer for ``velocity``: among the layers whose range holds it, the one starting
        highest; when none holds it, the nearest. Independent of the order a file listed them."""
        best: Layer | None = None
        for layer in self.layers:
            if layer.low <= velocity <= layer.high:
                best = layer  # sorted by low: the last match starts highest
        if best is not None:
            return best
        return min(self.layers, key=lambda layer: (
            min(abs(velocity - layer.low), abs(velocity - layer.high)), layer.low))

    def velocity_gain(self, velocity: int) -> float:
        """Loudness of a hit. One layer: the sample is shaped by velocity squared (about 40 dB
        from 1 to 127). Several layers already carry the dynamics: a gentler, linear curve."""
        x = min(127, max(0, velocity)) / 127.0
        return x if len(self.layers) > 1 else x * x


@dataclass(frozen=True)
class Kit:
    name: str
    samplerate: int
    voices: Mapping[str, KitVoice]
    level: float = 1.0
    notes: tuple[Words, ...] = field(default=())  # what loading skipped or guessed, for people

    @property
    def max_frames(self) -> int:
        """The longest one-shot in the kit."""
        return max((layer.frames for v in self.voices.values() for layer in v.layers), default=0)
