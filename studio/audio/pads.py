"""Pads: one-shot drum sounds played live from a MIDI pad or the keyboard, in the callback.

The sounds sit in shared memory (a bank of slots, one per kit voice and velocity layer), loaded
by the UI process before they are played. A trigger command names a slot and a gain (velocity,
layer choice and levels are worked out before the command is sent). The callback mixes up to
:data:`POLYPHONY` sounding hits into the outputs, whether or not the transport rolls.

A hit in a choke group (e.g. the hi-hats) fades out every earlier hit of that group over
:data:`CHOKE_FRAMES`, so a closed hat stops an open one without a click. Everything here is
allocated once; :meth:`PadPlayer.mix_rt` and :meth:`PadPlayer.trigger_rt` only index and use
numpy's ``out=``.
"""

from __future__ import annotations

import numpy as np

POLYPHONY = 16
CHOKE_FRAMES = 240  # 5 ms at 48 kHz
END_FADE_FRAMES = 480  # a sound cut to fit its slot ends with this fade


class PadBank:
    """The loaded sounds: ``sounds`` (slots, frames, 2), ``lengths`` (slots,), ``chokes``
    (slots,; 0 = no choke group). Shared-memory arrays in the engine; plain arrays in tests."""

    def __init__(self, sounds: np.ndarray, lengths: np.ndarray, chokes: np.ndarray) -> None:
        self.sounds = sounds
        self.lengths = lengths
        self.chokes = chokes

    @property
    def slots(self) -> int:
        return int(self.sounds.shape[0])

    def load(self, slot: int, sound: np.ndarray, choke: int = 0) -> None:
        """Put a (frames, 2) sound in a slot (not from the callback). A longer sound is cut
        to the slot with a short fade. Its length is published last, so a slot is never read
        half-written by a trigger that comes later."""
        room = self.sounds.shape[1]
        n = min(len(sound), room)
        self.lengths[slot] = 0
        data = np.asarray(sound[:n, :2], dtype=np.float32)
        self.sounds[slot, :n] = data
        if len(sound) > room:
            fade = min(END_FADE_FRAMES, n)
            self.sounds[slot, n - fade:n] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
        self.chokes[slot] = choke
        self.lengths[slot] = n

    def clear(self) -> None:
        self.lengths[:] = 0


class PadPlayer:
    def __init__(self, bank: PadBank, max_block: int) -> None:
        self.bank = bank
        self.slot = np.full(POLYPHONY, -1, dtype=np.int64)
        self.pos = np.zeros(POLYPHONY, dtype=np.int64)
        self.gain = np.zeros(POLYPHONY, dtype=np.float32)
        self.fade = np.zeros(POLYPHONY, dtype=np.int64)  # >0: fading out, frames left
        self.age = np.zeros(POLYPHONY, dtype=np.int64)  # to steal the oldest when all sound
        self.clock = 0
        self.scratch = np.zeros((max_block, 2), dtype=np.float32)
        self.ramp = np.linspace(1.0, 0.0, CHOKE_FRAMES + 1, dtype=np.float32)[1:]
        self.ramp_col = np.zeros((max_block, 1), dtype=np.float32)

    def trigger_rt(self, slot: int, gain: float) -> None:
        bank = self.bank
        if not 0 <= slot < bank.slots or bank.lengths[slot] <= 0:
            return
        group = int(bank.chokes[slot])
        if group:
            for v in range(POLYPHONY):
                s = int(self.slot[v])
                if s >= 0 and int(bank.chokes[s]) == group and self.fade[v] == 0:
                    self.fade[v] = CHOKE_FRAMES
        free = -1
        for v in range(POLYPHONY):
            if self.slot[v] < 0:
                free = v
                break
        if free < 0:
            free = int(np.argmin(self.age))  # steal the oldest hit
        self.clock += 1
        self.slot[free] = slot
        self.pos[free] = 0
        self.gain[free] = gain
        self.fade[free] = 0
        self.age[free] = self.clock

    def mix_rt(self, out: np.ndarray, n: int) -> None:
        """Add the sounding hits into ``out[:n]`` (its first two columns, or one if mono)."""
        bank = self.bank
        cols = min(out.shape[1], 2)
        for v in range(POLYPHONY):
            s = int(self.slot[v])
            if s < 0:
                continue
            pos = int(self.pos[v])
            m = min(n, int(bank.lengths[s]) - pos)
            fading = int(self.fade[v])
            if fading:
                m = min(m, fading)
            if m <= 0:
                self.slot[v] = -1
                continue
            buf = self.scratch[:m]
            np.multiply(bank.sounds[s, pos:pos + m], self.gain[v], out=buf)
            if fading:
                start = CHOKE_FRAMES - fading
                col = self.ramp_col[:m]
                col[:, 0] = self.ramp[start:start + m]
                np.multiply(buf, col, out=buf)
                self.fade[v] = fading - m
                if self.fade[v] == 0:
                    self.slot[v] = -1
            if cols == 2:
                np.add(out[:m, :2], buf, out=out[:m, :2])
            else:
                np.add(out[:m, 0], buf[:, 0], out=out[:m, 0])
            self.pos[v] = pos + m
            if self.pos[v] >= bank.lengths[s]:
                self.slot[v] = -1

    def silence(self) -> None:
        self.slot.fill(-1)
        self.fade.fill(0)
