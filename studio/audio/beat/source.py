"""A beat track as a playback source: the same :class:`BeatRenderer` the offline render uses,
behind the interface the clip reader has (``render(out, song_frame)``), so the disk worker feeds
a beat track to the engine like any other track, and live equals offline sample for sample.

The beat plays at the song's tempo (section tempo changes keep their ratio to it) and starts at
the song's first frame; before and after it, silence.
"""

from __future__ import annotations

import numpy as np

from studio.audio.beat import open_kit
from studio.audio.beat.render import BeatRenderer
from studio.core.beat import parse_beat


class BeatSource:
    def __init__(self, beat_toml: str, kit: str, samplerate: int,
                 tempo_bpm: float | None = None) -> None:
        beat = parse_beat(beat_toml, "(beat track)")
        if tempo_bpm is not None and abs(beat.tempo - tempo_bpm) > 1e-9:
            beat = beat.with_tempo(tempo_bpm)
        self.renderer = BeatRenderer(beat, open_kit(kit, samplerate), samplerate)

    @property
    def frames(self) -> int:
        """Where the beat's last sound has died away."""
        return self.renderer.total_frames

    def render(self, out: np.ndarray, song_frame: int) -> None:
        """Add nothing, overwrite: ``out`` (n, 2) gets the beat for these song frames."""
        n = len(out)
        start = max(song_frame, 0)
        end = min(song_frame + n, self.frames)
        if end <= start:
            return
        out[start - song_frame:end - song_frame] = self.renderer.render(start, end - start)

    def close(self) -> None:
        pass
