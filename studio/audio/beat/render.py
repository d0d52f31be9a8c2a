"""Render a beat to audio, block by block, the same whatever the blocks are.

:class:`BeatRenderer` lays the beat out once (every hit with its sample, gains, and where a
choke cuts it; every bass note with its phase and envelope start) and keeps only that plan.
:meth:`BeatRenderer.render` then mixes any frame range from the plan alone: each output frame is
the sum, always in the same order, of contributions computed from that frame's absolute
position. Rendering ``[a, b)`` in one call or in blocks of any sizes gives identical samples,
tails of earlier hits included, and nothing depends on what was rendered before. The disk worker
can call it for playback and the offline export gets the same audio.

Mixing: a hit's gain is kit level × voice level × velocity curve × layer gain × the pattern's
level for the voice, then constant-power pan (-3 dB each side at the centre,
:func:`studio.audio.gain.constant_power_pan`). The bass line plays through the sub bass
(:mod:`studio.audio.beat.sub_bass`) in the centre. A choked sound fades out over 5 ms from the
frame of the hit that chokes it. Everything is scaled by ``level`` (:data:`DEFAULT_LEVEL`
leaves room for the vocals and the master) and the sum passes a memoryless soft clipper
(linear below 0.9, never above 1.0), which is also block-independent.

A kit without a voice plays a near one instead (a pedal hi-hat as the closed one, a clap as the
snare …; see :data:`FALLBACKS`); :attr:`BeatRenderer.substitutes` and
:attr:`BeatRenderer.silent_voices` say what was done.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from studio.audio.beat.kit import Audio, Kit, KitVoice
from studio.audio.beat.sub_bass import SubBass, plan_notes
from studio.audio.gain import constant_power_pan
from studio.core.beat import Beat
from studio.core.beat_timeline import BeatTimeline, DrumHit

__all__ = ["CHOKE_FADE_S", "DEFAULT_LEVEL", "FALLBACKS", "BeatRenderer", "soft_clip"]

CHOKE_FADE_S = 0.005
DEFAULT_LEVEL = 0.7  # about 3 dB of headroom left for the vocals and the master
_CLIP_KNEE = 0.9

FALLBACKS: Mapping[str, tuple[str, ...]] = {
    "hat_pedal": ("hat_closed",),
    "hat_open": ("hat_closed",),
    "hat_closed": ("hat_pedal",),
    "clap": ("snare",),
    "rim": ("snare",),
    "snare": ("clap", "rim"),
    "tom_low": ("tom_mid", "tom_high"),
    "tom_mid": ("tom_low", "tom_high"),
    "tom_high": ("tom_mid", "tom_low"),
    "crash": ("ride", "hat_open"),
    "ride": ("crash", "hat_open"),
    "shaker": ("hat_closed",),
    "cowbell": ("rim",),
}


def soft_clip(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Unchanged up to 0.9, then bent smoothly so that nothing passes 1.0 (in place)."""
    over = np.abs(x) > _CLIP_KNEE
    if over.any():
        room = 1.0 - _CLIP_KNEE
        v = x[over]
        x[over] = np.sign(v) * (_CLIP_KNEE + room * np.tanh((np.abs(v) - _CLIP_KNEE) / room))
    return x


class BeatRenderer:
    """A beat with a kit at a sample rate; see the module docstring.

    ``pattern`` and ``bars`` choose what plays, as in :class:`BeatTimeline`, except that the
    renderer needs an end: a pattern alone loops for ``bars`` bars (4 if not given).
    """

    def __init__(self, beat: Beat, kit: Kit, samplerate: int | None = None, *,
                 pattern: str | None = None, bars: int | None = None,
                 bass: SubBass | None = None, level: float = DEFAULT_LEVEL) -> None:
        rate = kit.samplerate if samplerate is None else samplerate
        if kit.samplerate != rate:
            raise ValueError(f"the kit is at {kit.samplerate} Hz, not {rate} Hz")
        if pattern is not None and bars is None:
            bars = 4
        self.samplerate = rate
        self.kit = kit
        self.timeline = BeatTimeline(beat, rate, pattern=pattern, bars=bars)
        length = self.timeline.length_frames
        assert length is not None
        self.length_frames: int = length
        events = self.timeline.events(0, length)
        self.substitutes: dict[str, str] = {}
        self.silent_voices: list[str] = []
        self._plan_hits(events.hits, level)
        self._sub = bass or SubBass()
        self._notes = plan_notes(events.bass, rate, self._sub)
        self._note_starts = [note.start for note in self._notes]
        self._note_span = max((n.stop - n.start for n in self._notes), default=0)
        self._bass_pan = constant_power_pan(0.0)
        ends = [*self._ends, *(n.stop for n in self._notes), length]
        self.total_frames: int = max(ends)
        """Where the last sound has died away (the length plus the tail)."""

    # --- planning ----------------------------------------------------------------------------

    def _kit_voice(self, voice: str) -> KitVoice | None:
        if voice in self.kit.voices:
            return self.kit.voices[voice]
        for other in FALLBACKS.get(voice, ()):
            if other in self.kit.voices:
                self.substitutes[voice] = other
                return self.kit.voices[other]
        if voice not in self.silent_voices:
            self.silent_voices.append(voice)
        return None

    def _plan_hits(self, hits: tuple[DrumHit, ...], level: float) -> None:
        rate = self.samplerate
        fade = max(1, round(CHOKE_FADE_S * rate))
        self._fade = fade
        frames: list[int] = []
        sounds: list[Audio] = []
        gains: list[npt.NDArray[np.float64]] = []
        groups: list[str | None] = []
        for hit in hits:
            kv = self._kit_voice(hit.voice)
            if kv is None:
                continue
            layer = kv.layer_for(hit.velocity)
            g = (self.kit.level * kv.level * kv.velocity_gain(hit.velocity) * layer.gain
                 * hit.level * level)
            left, right = constant_power_pan(hit.pan)
            frames.append(hit.frame)
            sounds.append(layer.sound)
            gains.append(np.array([g * left, g * right], dtype=np.float64))
            groups.append(kv.choke)
        # A hit is choked by the next later hit of its choke group.
        choke_at = [-1] * len(frames)
        last_in_group: dict[str, list[int]] = {}
        for i, group in enumerate(groups):
            if group is None:
                continue
            waiting = last_in_group.setdefault(group, [])
            still = []
            for j in waiting:
                if frames[i] > frames[j]:
                    choke_at[j] = frames[i]
                else:
                    still.append(j)
            waiting[:] = [*still, i]
        ends = []
        for i, frame in enumerate(frames):
            end = frame + int(sounds[i].shape[0])
            if choke_at[i] >= 0:
                end = min(end, choke_at[i] + fade)
            ends.append(end)
        self._frames = frames
        self._sounds = sounds
        self._gains = gains
        self._choke_at = choke_at
        self._ends = ends
        self._hit_span = max((e - f for f, e in zip(frames, ends, strict=True)), default=0)

    # --- rendering ---------------------------------------------------------------------------

    def render(self, start_frame: int, frames: int) -> Audio:
        """Stereo float32 ``(frames, 2)`` for song frames ``[start_frame, start_frame+frames)``."""
        if frames < 0:
            raise ValueError("frames must not be negative")
        start, end = start_frame, start_frame + frames
        out = np.zeros((frames, 2), dtype=np.float64)
        if frames == 0 or end <= 0 or start >= self.total_frames:
            return out.astype(np.float32)
        self._mix_hits(out, start, end)
        self._mix_bass(out, start, end)
        result: Audio = soft_clip(out).astype(np.float32)
        return result

    def _mix_hits(self, out: npt.NDArray[np.float64], start: int, end: int) -> None:
        first = bisect.bisect_right(self._frames, start - self._hit_span)
        last = bisect.bisect_left(self._frames, end)
        fade = self._fade
        for i in range(first, last):
            frame, stop = self._frames[i], self._ends[i]
            if stop <= start:
                continue
            i0, i1 = max(start, frame), min(end, stop)
            part = self._sounds[i][i0 - frame:i1 - frame] * self._gains[i]
            choke = self._choke_at[i]
            if 0 <= choke < i1:
                j0 = max(i0, choke)
                ramp = (choke + fade - np.arange(j0, i1, dtype=np.float64)) / fade
                part[j0 - i0:] *= ramp[:, None]
            out[i0 - start:i1 - start] += part

    def _mix_bass(self, out: npt.NDArray[np.float64], start: int, end: int) -> None:
        first = bisect.bisect_right(self._note_starts, start - self._note_span)
        last = bisect.bisect_left(self._note_starts, end)
        left, right = self._bass_pan
        for note in self._notes[first:last]:
            if note.stop <= start:
                continue
            i0, i1 = max(start, note.start), min(end, note.stop)
            mono = self._sub.render_note(note, i0, i1, self.samplerate)
            out[i0 - start:i1 - start, 0] += mono * left
            out[i0 - start:i1 - start, 1] += mono * right
