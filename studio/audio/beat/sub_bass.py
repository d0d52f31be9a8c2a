"""The sub bass that plays a beat's bass line: an 808-style sine with a little harmonic drive.

One voice, one note at a time. A note starts at phase 0 under a short attack and decays slowly;
when its length is over it is released. A note that glides slides its pitch from the previous
note's pitch (evenly in semitones, over ``glide_s`` or the note, whichever is shorter). If the
previous note is still held when a gliding note starts, the two are *legato*: the envelope does
not start again and the oscillator carries on from the phase the previous note reached, so the
slide is one continuous sound, as on an 808. A new note that is not legato cuts the previous
one with a few milliseconds' fade.

:func:`plan_notes` works out, once and in order, everything a note needs (phase at its start,
where its envelope began, where it stops); after that, :meth:`SubBass.render_note` computes each
frame from its absolute position alone, so blocks of any size give the same samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from studio.core.beat_timeline import BassEvent

__all__ = ["PlannedNote", "SubBass", "plan_notes"]

Signal = npt.NDArray[np.float64]
_LN1000 = math.log(1000.0)


def _hz(pitch: float) -> float:
    return float(440.0 * 2.0 ** ((pitch - 69.0) / 12.0))


@dataclass(frozen=True)
class SubBass:
    """How the sub bass sounds (times in seconds; ``peak`` at full velocity and level)."""

    drive: float = 2.2
    attack_s: float = 0.004
    decay_t60_s: float = 5.0
    release_s: float = 0.06
    cut_s: float = 0.004
    glide_s: float = 0.09
    velocity_ramp_s: float = 0.005
    peak: float = 0.8

    def velocity_gain(self, velocity: int, level: float) -> float:
        x = min(127, max(0, velocity)) / 127.0
        return self.peak * x * x * level

    def render_note(self, note: PlannedNote, first: int, last: int, rate: int) -> Signal:
        """Mono samples of ``note`` for absolute frames ``[first, last)``."""
        n = np.arange(first, last, dtype=np.int64)
        since_start = (n - note.start).astype(np.float64)
        since_head = (n - note.head).astype(np.float64) / rate
        t = since_start / rate
        phase = note.phase0 + 2.0 * np.pi * note.cycles(t)
        drive = self.drive
        tone = np.tanh(drive * np.sin(phase)) / math.tanh(drive)
        attack = np.sin(0.5 * np.pi * np.clip((since_head + 1.0 / rate) / self.attack_s, 0, 1))
        env = attack * np.exp(-since_head * (_LN1000 / self.decay_t60_s))
        if note.gain_from != note.gain:
            ramp = np.clip(since_start / max(1.0, self.velocity_ramp_s * rate), 0.0, 1.0)
            gain = note.gain_from + (note.gain - note.gain_from) * ramp
        else:
            gain = np.full_like(t, note.gain)
        if note.release_at is not None:
            release = max(1.0, self.release_s * rate)
            gain = gain * np.clip(1.0 - (n - note.release_at) / release, 0.0, 1.0)
        if note.cut_at is not None:
            cut = max(1.0, self.cut_s * rate)
            gain = gain * np.clip(1.0 - (n - note.cut_at) / cut, 0.0, 1.0)
        out: Signal = tone * env * gain
        return out


@dataclass(frozen=True)
class PlannedNote:
    start: int
    stop: int  # first frame where it is silent
    head: int  # where its envelope began (an earlier note's start when legato)
    from_pitch: float
    to_pitch: float
    glide_frames: int
    phase0: float
    gain_from: float
    gain: float
    release_at: int | None  # its length is over: fade out from here
    cut_at: int | None  # the next note (not legato) starts: fade out quickly from here
    rate: int

    def cycles(self, t: Signal) -> Signal:
        """Oscillator cycles since the note's start, ``t`` in seconds (closed form, with glide)."""
        f_to = _hz(self.to_pitch)
        if self.glide_frames <= 0 or self.from_pitch == self.to_pitch:
            out: Signal = f_to * t
            return out
        f_from = _hz(self.from_pitch)
        glide = self.glide_frames / self.rate
        a = (self.to_pitch - self.from_pitch) / 12.0 * math.log(2.0) / glide
        at_end = f_from * math.expm1(a * glide) / a
        inside = f_from * np.expm1(a * np.minimum(t, glide)) / a
        result: Signal = np.where(t <= glide, inside, at_end + f_to * (t - glide))
        return result


def plan_notes(events: Sequence[BassEvent], rate: int, sound: SubBass) -> tuple[PlannedNote, ...]:
    """Turn a bass line's events (in time order) into notes ready to render."""
    by_frame = sorted(events, key=lambda e: e.frame)
    # A later note on the same frame replaces an earlier one: the bass plays one note at a time.
    ordered = [e for i, e in enumerate(by_frame)
               if i + 1 == len(by_frame) or by_frame[i + 1].frame != e.frame]
    release = max(1, round(sound.release_s * rate))
    cut = max(1, round(sound.cut_s * rate))
    planned: list[PlannedNote] = []
    for k, event in enumerate(ordered):
        prev = planned[-1] if planned else None
        prev_event = ordered[k - 1] if k else None
        nxt = ordered[k + 1] if k + 1 < len(ordered) else None
        held_end = event.frame + event.length
        legato_in = (event.glide and prev is not None and prev_event is not None
                     and prev_event.frame + prev_event.length >= event.frame)
        legato_out = (nxt is not None and nxt.glide and held_end >= nxt.frame)
        gain = sound.velocity_gain(event.velocity, event.level)
        from_pitch = float(prev_event.pitch if event.glide and prev_event else event.pitch)
        glide_frames = 0
        if from_pitch != event.pitch:
            glide_frames = max(1, min(round(sound.glide_s * rate), event.length))
        if legato_in and prev is not None:
            head = prev.head
            elapsed = np.array([(event.frame - prev.start) / rate])
            phase0 = float((prev.phase0 + 2 * np.pi * prev.cycles(elapsed)[0]) % (2 * np.pi))
            gain_from = prev.gain
        else:
            head, phase0, gain_from = event.frame, 0.0, gain
        release_at: int | None = held_end
        cut_at: int | None = None
        stop = held_end + release
        if nxt is not None:
            if legato_out:
                release_at, stop = None, nxt.frame
            elif nxt.frame < stop:
                cut_at = nxt.frame
                stop = min(stop, nxt.frame + cut)
                if held_end > nxt.frame:
                    release_at = None
        planned.append(PlannedNote(
            start=event.frame, stop=stop, head=head, from_pitch=from_pitch,
            to_pitch=float(event.pitch), glide_frames=glide_frames, phase0=phase0,
            gain_from=gain_from, gain=gain, release_at=release_at, cut_at=cut_at, rate=rate))
    return tuple(planned)
