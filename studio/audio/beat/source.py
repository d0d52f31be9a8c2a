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
        self.spec: dict[str, object] = {"toml": beat_toml, "kit": kit, "tempo_bpm": tempo_bpm}
        self.samplerate = samplerate
        beat = parse_beat(beat_toml, "(beat track)")  # a broken document is found at once
        if tempo_bpm is not None and abs(beat.tempo - tempo_bpm) > 1e-9:
            beat = beat.with_tempo(tempo_bpm)
        self.beat = beat
        self._renderer: BeatRenderer | None = None

    @property
    def renderer(self) -> BeatRenderer:
        """Made when first needed (the kit is synthesised or loaded then), so describing a
        song's mix for the disk worker costs nothing in the UI process."""
        if self._renderer is None:
            self._renderer = BeatRenderer(self.beat, open_kit(str(self.spec["kit"]),
                                                              self.samplerate), self.samplerate)
        return self._renderer

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

    @classmethod
    def from_spec(cls, spec: dict[str, object], samplerate: int) -> BeatSource:
        tempo = spec.get("tempo_bpm")
        return cls(str(spec["toml"]), str(spec.get("kit", "synth")), samplerate,
                   float(tempo) if isinstance(tempo, int | float) else None)
