"""The audio callback: transport, recording, playback, click, monitoring and meters.

One :class:`Engine` is driven block by block by a backend (PortAudio, the practice device, or
the null backend with a manual clock); the same code runs live and offline. Everything the
callback touches is allocated in ``__init__``; ``process_rt`` and the functions it calls obey
the audio thread's rules: no array allocation, no locks, no I/O, no logging, no exception
escapes (a fault outputs silence and raises a flag).

Time: ``t`` counts frames since the transport started (the timeline); the song frame heard at
``t`` follows the epoch's start and loop range (see :mod:`studio.core.timeline`, which the disk
worker uses to prefetch the same frames).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from studio.audio.click import Metronome
from studio.audio.effects import MonitorChain
from studio.audio.gain import SmoothedGain
from studio.audio.layout import EngineMemory
from studio.audio.meters import MeterBank
from studio.audio.pads import PadPlayer
from studio.audio.protocol import ClickMode, Cmd, Event, Fault, Marker, Status, Transport

MAX_COMMANDS_PER_BLOCK = 32
NO_PUNCH_OUT = 2**62


class _CaptureSlot:
    """One armed track: which device inputs feed it, where its frames go, how it is heard."""

    __slots__ = ("armed", "chan_a", "chan_b", "channels", "monitor", "monitor_gain",
                 "writing")

    def __init__(self, max_block: int, ramp_frames: int) -> None:
        self.armed = False
        self.chan_a = 0
        self.chan_b = -1
        self.channels = 1
        self.monitor = False  # processed while True; the gain fades it in and out
        self.monitor_gain = SmoothedGain(max_block, 2, ramp_frames, 0.0)
        self.writing = False  # a take is open on this slot right now


class Engine:
    def __init__(
        self,
        memory: EngineMemory,
        samplerate: int,
        *,
        max_block: int = 8192,
        input_channels: int = 2,
        output_channels: int = 2,
        frames_per_beat: float = 32000.0,
        beats_per_bar: int = 4,
        click_level: float = 0.5,
        monitor_chains: Mapping[int, MonitorChain] | None = None,
        gain_ramp_frames: int = 480,
    ) -> None:
        self.mem = memory
        self.samplerate = samplerate
        self.max_block = max_block
        self.input_channels = input_channels
        self.output_channels = output_channels
        layout = memory.layout
        self.status = memory.status.values
        self.status[Status.SAMPLERATE] = samplerate
        for values in (memory.status, memory.input_meters, memory.output_meters,
                       memory.track_meters):
            if int(values.seq[0]) % 2:  # a writer that died mid-write (kill -9) left it odd
                values.seq[0] += 1

        # transport
        self.state = Transport.STOPPED
        self.epoch = 0
        self.start = 0
        self.loop_start = 0
        self.loop_end = 0
        self.t = 0
        self.song_frame = 0
        self.last_adc = -1.0
        self._last_n = 0
        # recording
        self.rec_on = False
        self.punch_in = 0
        self.punch_out = NO_PUNCH_OUT
        self.max_passes = 0  # loop recording: stop after this many passes (0: until told)
        self.was_active = False
        self.active_pass = -1
        self.slots = [_CaptureSlot(max_block, gain_ramp_frames)
                      for _ in range(layout.capture_slots)]
        self.monitor_chains = dict(monitor_chains or {})
        # playback
        # playback: every track in its own two columns of one buffer, so gain, meters and the
        # sum to the outputs are a handful of numpy calls whatever the number of tracks
        n_play = layout.playback_slots
        self.play_active = [False] * n_play
        self.play_all = np.zeros((max_block, 2 * n_play), dtype=np.float32)
        self.play_gain = np.ones(2 * n_play, dtype=np.float32)  # steady gains, per column
        self.play_ramps = [SmoothedGain(max_block, 1, gain_ramp_frames) for _ in range(2 * n_play)]
        self.gliding = 0  # how many columns have a gain ramp under way (their ramps know which)
        self.play_sum = np.zeros(max_block, dtype=np.float32)
        # click
        self.click_mode = ClickMode.OFF
        self.metronome = Metronome(
            samplerate, output_channels, frames_per_beat, beats_per_bar, click_level
        )
        # pads: one-shots played live
        self.pads = PadPlayer(memory.pads, max_block)
        # meters
        self.in_meters = MeterBank(max(input_channels, 1), samplerate, memory.input_meters.values)
        self.out_meters = MeterBank(output_channels, samplerate, memory.output_meters.values)
        self.track_meters = MeterBank(2 * n_play, samplerate, memory.track_meters.values)
        # scratch, allocated once
        self.scratch = np.zeros((max_block, 2), dtype=np.float32)
        self.monitor_buf = np.zeros((max_block, 2), dtype=np.float32)
        self.silent_in = np.zeros((max_block, max(input_channels, 1)), dtype=np.float32)
        self.timing = np.zeros((1, 1), dtype=np.float32)
        self.max_callback = 0.0
        self.faults = 0
        self.orphaned = False  # set by the host's main thread when the supervisor is gone
        self.quit_requested = False

    # ---------------------------------------------------------------------------------------
    # before the stream starts
    def rehearse(self, blocks: int = 48) -> None:
        """Run every path of the callback (recording, loop wraps, click, monitoring, playback
        with and without data, meters) at several block sizes, so nothing is looked up,
        compiled or faulted in for the first time live; then leave no trace.

        Only before the device starts and before the supervisor sends anything: it writes
        the shared rings as if it were their producer."""
        mem = self.mem
        sizes = (self.max_block, 64, 65, 127, 128, 256, 512)
        inp = np.zeros((self.max_block, max(self.input_channels, 1)), dtype=np.float32)
        out = np.zeros((self.max_block, self.output_channels), dtype=np.float32)
        tone = np.full((4096, 2), 0.01, dtype=np.float32)
        for k, slot in enumerate(self.slots):
            self._arm_rt(k, True, 0, 1 if self.input_channels > 1 else -1)
            slot.monitor = k in self.monitor_chains
        for k in range(len(self.play_active)):
            self.play_active[k] = True
        self.click_mode = ClickMode.ALWAYS
        self._record_rt(True, 0, NO_PUNCH_OUT, 0)
        self._play_rt(1, -1000, 0, 3000)  # count-in, then a loop: takes start, end, wrap
        self._track_gain_rt(0, 0.5, True)  # and a gain that glides
        rehearsal_pad = mem.pads.slots - 1  # a pad that sounds and is choked
        had = int(mem.pads.lengths[rehearsal_pad])
        if not had:
            mem.pads.load(rehearsal_pad, tone[:1024], choke=1)
        for i in range(blocks):
            n = sizes[i % len(sizes)]
            for ring in mem.playback:
                if i % 2 == 0 and ring.space() >= n:
                    ring.append(tone[: min(n, 4096)])
            if i % 5 == 0:
                self.pads.trigger_rt(rehearsal_pad, 0.5)
            self.process_rt(inp[:n], out[:n], n)
            for k in range(len(self.slots)):
                mem.capture[k].consume(mem.capture[k].readable())
                mem.markers[k].counters[8] = mem.markers[k].counters[0]
        self._stop_rt()
        # now leave no trace
        self.click_mode = ClickMode.OFF
        self._record_rt(False, 0, 0, 0)
        for k, slot in enumerate(self.slots):
            self._arm_rt(k, False, 0, -1)
            slot.monitor = False
        for chain in self.monitor_chains.values():
            chain.reset()
        for k in range(len(self.play_active)):
            self.play_active[k] = False
        self.pads.silence()
        if not had:
            mem.pads.lengths[rehearsal_pad] = 0
            mem.pads.chokes[rehearsal_pad] = 0
        self.play_all.fill(0.0)
        self.play_gain.fill(1.0)
        for ramp in self.play_ramps:
            ramp.reset(1.0)
        self.gliding = 0
        for ring in mem.playback:
            ring.reset(0, 0)
            ring.header[8] = ring.header[9] = 0
        for queue in (*mem.markers, mem.events):
            queue.counters[:] = 0
        for frames in (*mem.capture, mem.timings):
            frames.counters[:] = 0
        for bank in (self.in_meters, self.out_meters, self.track_meters):
            bank.reset()
        self.status.fill(0.0)
        self.status[Status.SAMPLERATE] = self.samplerate
        self.state = Transport.STOPPED
        self.epoch = self.t = self.song_frame = 0
        self.max_callback = 0.0
        self.last_adc = -1.0
        self._last_n = 0

    def process_rt(
        self,
        indata: np.ndarray | None,
        outdata: np.ndarray,
        frames: int,
        adc_time: float = -1.0,
        xrun: bool = False,
    ) -> None:
        began = time.perf_counter()
        try:
            done = 0
            while done < frames:  # the device may hand us more than we prepared for
                n = min(frames - done, self.max_block)
                block_in = (
                    indata[done : done + n] if indata is not None else self.silent_in[:n]
                )
                self._block_rt(block_in, outdata[done : done + n], n, adc_time, xrun)
                adc_time = -1.0
                xrun = False
                done += n
        except Exception:
            outdata.fill(0.0)
            self.faults += 1
            self.status[Status.FAULTS] = self.faults
            self.mem.events.push_rt(Event.FAULT, int(Fault.CALLBACK_ERROR))
        spent = time.perf_counter() - began
        self.timing[0, 0] = spent
        self.mem.timings.write_rt(self.timing)
        if spent > self.max_callback:
            self.max_callback = spent
        st = self.status
        st[Status.LAST_CALLBACK_S] = spent
        st[Status.MAX_CALLBACK_S] = self.max_callback
        st[Status.HEARTBEAT] += 1  # even after a fault: the device is alive, the watchdog asks

    def _block_rt(
        self, indata: np.ndarray, out: np.ndarray, n: int, adc_time: float, xrun: bool
    ) -> None:
        self._commands_rt()
        if self.orphaned and self.state == Transport.ROLLING:
            self._stop_rt()
        out.fill(0.0)
        if xrun:
            self.status[Status.XRUNS] += 1
        gap = self._gap_frames_rt(adc_time, n, xrun)
        if self.state == Transport.ROLLING:
            if gap > 0:
                self._gap_rt(gap)
            done = 0
            while done < n and self.state == Transport.ROLLING:
                seg = self._segment_length_rt(self.t + done, n - done)
                self._segment_rt(indata, out, done, seg)
                done += seg
            self._playback_rt(out, n)
            self.t += n
            self.song_frame = self._song_frame_rt(self.t)
        self._monitor_rt(indata, out, n)
        self.pads.mix_rt(out, n)
        self._meters_rt(indata, out, n)

    # ---------------------------------------------------------------------------------------
    # commands
    def _commands_rt(self) -> None:
        q = self.mem.commands
        for _ in range(MAX_COMMANDS_PER_BLOCK):
            i = q.peek_rt()
            if i < 0:
                return
            r = q.ints[i]
            f = q.floats[i]
            try:
                self._command_rt(int(r[0]), r, f)
            except (ValueError, IndexError, OverflowError):
                # a command we cannot carry out is dropped and counted, never retried: one
                # bad value must not silence the studio
                self.faults += 1
                self.status[Status.FAULTS] = self.faults
                self.mem.events.push_rt(Event.FAULT, int(Fault.BAD_COMMAND), int(r[0]))
            q.pop_done_rt()

    def _command_rt(self, op: int, r: np.ndarray, f: np.ndarray) -> None:
        slots = len(self.slots)
        tracks = len(self.play_active)
        if op in (Cmd.ARM, Cmd.MONITOR) and not 0 <= int(r[1]) < slots:
            raise IndexError("capture slot")
        if op in (Cmd.TRACK_GAIN, Cmd.TRACK_ACTIVE) and not 0 <= int(r[1]) < tracks:
            raise IndexError("playback slot")
        if op == Cmd.PLAY:
            self._play_rt(int(r[1]), int(r[2]), int(r[3]), int(r[4]))
        elif op == Cmd.STOP:
            self._stop_rt()
        elif op == Cmd.SET_TEMPO:
            self.metronome.set_tempo(float(f[0]), int(r[1]))
        elif op == Cmd.CLICK:
            self.click_mode = ClickMode(int(r[1]))
            self.metronome.set_level(float(f[0]))
        elif op == Cmd.ARM:
            self._arm_rt(int(r[1]), bool(r[2]), int(r[3]), int(r[4]))
        elif op == Cmd.RECORD:
            self._record_rt(bool(r[1]), int(r[2]), int(r[3]), int(r[5]))
        elif op == Cmd.MONITOR:  # fade in and out: hearing yourself never clicks
            slot = self.slots[int(r[1])]
            slot.monitor = slot.monitor or bool(r[2])
            slot.monitor_gain.set_target(float(f[0]) if r[2] else 0.0)
        elif op == Cmd.TRACK_GAIN:
            k = int(r[1])
            self._track_gain_rt(2 * k, float(f[0]), self.play_active[k])
            self._track_gain_rt(2 * k + 1, float(f[1]), self.play_active[k])
        elif op == Cmd.TRACK_ACTIVE:
            k = int(r[1])
            self.play_active[k] = bool(r[2])
            if not self.play_active[k]:  # silent columns stay zero: the sum needs no mask
                self.play_all[:, 2 * k : 2 * k + 2] = 0.0
        elif op == Cmd.PAD:
            self.pads.trigger_rt(int(r[1]), float(f[0]))
        elif op == Cmd.QUIT:
            self._stop_rt()
            self.quit_requested = True

    def _track_gain_rt(self, col: int, gain: float, audible: bool) -> None:
        ramp = self.play_ramps[col]
        if ramp.ramping:
            self.gliding -= 1
        if not audible:  # silent yet: start at the right level
            ramp.reset(gain)
            self.play_gain[col] = gain
            return
        ramp.reset(ramp.current if ramp.ramping else float(self.play_gain[col]))
        ramp.set_target(gain)  # audible: glide, never a click
        if ramp.ramping:
            self.gliding += 1
            self.play_gain[col] = 1.0  # the ramp applies the gain while it glides

    def _play_rt(self, epoch: int, start: int, loop_start: int, loop_end: int) -> None:
        if self.state == Transport.ROLLING:
            self._end_takes_rt()
        self.epoch = epoch
        self.start = start
        self.loop_start = loop_start
        self.loop_end = loop_end
        self.t = 0
        self.song_frame = start
        self.active_pass = -1
        self.was_active = False
        self.state = Transport.ROLLING
        self.mem.events.push_rt(Event.STARTED, epoch, start)

    def _stop_rt(self) -> None:
        if self.state != Transport.ROLLING:
            return
        self._end_takes_rt()
        self.state = Transport.STOPPED
        self.mem.events.push_rt(Event.STOPPED, self.epoch, self.song_frame)

    def _arm_rt(self, k: int, armed: bool, chan_a: int, chan_b: int) -> None:
        slot = self.slots[k]
        if slot.writing and not armed:
            self._end_take_rt(k)
        slot.armed = armed
        slot.chan_a = min(max(chan_a, 0), max(self.input_channels - 1, 0))
        slot.chan_b = chan_b if 0 <= chan_b < self.input_channels else -1
        slot.channels = 2 if slot.chan_b >= 0 else 1
        if armed and self.was_active and not slot.writing:
            self._start_take_rt(k, self.song_frame, self.active_pass)

    def _record_rt(self, on: bool, punch_in: int, punch_out: int, max_passes: int) -> None:
        if not on and self.was_active:
            self._end_takes_rt()
            self.was_active = False
        self.rec_on = on
        self.max_passes = max_passes
        self.punch_in = punch_in
        self.punch_out = punch_out if punch_out > punch_in else NO_PUNCH_OUT
        self.active_pass = -1

    # ---------------------------------------------------------------------------------------
    # timeline
    def _song_frame_rt(self, t: int) -> int:
        pos = self.start + t
        if self.loop_end > self.loop_start and self.start < self.loop_end <= pos:
            return self.loop_start + (pos - self.loop_end) % (self.loop_end - self.loop_start)
        return pos

    def _pass_rt(self, t: int) -> int:
        pos = self.start + t
        if self.loop_end > self.loop_start and self.start < self.loop_end <= pos:
            return 1 + (pos - self.loop_end) // (self.loop_end - self.loop_start)
        return 0

    def _segment_length_rt(self, t: int, n: int) -> int:
        """How many frames from t on have the same loop pass and the same record state."""
        pos = self._song_frame_rt(t)
        if self.loop_end > self.loop_start and self.start < self.loop_end and pos < self.loop_end:
            n = min(n, self.loop_end - pos)
        if self.rec_on:
            if pos < self.punch_in:
                n = min(n, self.punch_in - pos)
            elif pos < self.punch_out:
                n = min(n, self.punch_out - pos)
        return n

    def _gap_frames_rt(self, adc_time: float, n: int, xrun: bool) -> int:
        """Frames the device skipped since the last block.

        Only trusted when the device also reports an xrun: host timestamps (JACK's among them)
        are wall-clock readings that jitter with scheduling, and a late callback must never
        turn into silence in a member's take."""
        if adc_time <= 0.0:
            return 0
        last = self.last_adc
        last_n = self._last_n
        self.last_adc = adc_time
        self._last_n = n
        self.status[Status.BLOCKSIZE] = n
        if last <= 0.0 or not xrun:
            return 0
        missing = round((adc_time - last) * self.samplerate) - last_n
        return missing if missing >= max(n // 2, 16) else 0

    # ---------------------------------------------------------------------------------------
    # recording
    def _rec_active_rt(self, pos: int) -> bool:
        return self.rec_on and self.punch_in <= pos < self.punch_out

    def _start_take_rt(self, k: int, song_frame: int, pass_index: int) -> None:
        slot = self.slots[k]
        ring = self.mem.capture[k]
        self.mem.markers[k].push_rt(Marker.TAKE_START, ring.write_count, song_frame, pass_index)
        self.mem.events.push_rt(Event.RECORD_PASS, k, pass_index, song_frame)
        slot.writing = True

    def _end_take_rt(self, k: int) -> None:
        slot = self.slots[k]
        if slot.writing:
            self.mem.markers[k].push_rt(Marker.TAKE_END, self.mem.capture[k].write_count)
            slot.writing = False

    def _end_takes_rt(self) -> None:
        for k in range(len(self.slots)):
            self._end_take_rt(k)
        self.was_active = False
        self.status[Status.RECORDING] = 0

    def _gap_rt(self, gap: int) -> None:
        """Frames the device lost pass through the timeline like audio would: split where a
        loop wraps or the punch begins or ends, each part marked as silence in the take it
        belongs to, so every take keeps its true length and position."""
        mask = 0
        done = 0
        while done < gap and self.state == Transport.ROLLING:
            t = self.t + done
            seg = self._segment_length_rt(t, gap - done)
            if self._takes_at_rt(t, self._song_frame_rt(t)):
                for k, slot in enumerate(self.slots):
                    if slot.writing:
                        self.mem.markers[k].push_rt(
                            Marker.GAP, self.mem.capture[k].write_count, seg)
                        mask |= 1 << k
            done += seg
        self.status[Status.GAP_FRAMES] += gap
        self.mem.events.push_rt(Event.GAP, gap, self.song_frame, mask)
        self.t += gap

    def _takes_at_rt(self, t: int, pos: int) -> bool:
        """Start, end or renew takes for timeline frame t (song frame pos); True while the
        frames from here belong to open takes."""
        active = self._rec_active_rt(pos)
        if active:
            pass_index = self._pass_rt(t)
            if not self.was_active or pass_index != self.active_pass:
                if self.was_active:
                    for k in range(len(self.slots)):
                        self._end_take_rt(k)
                if self.max_passes and pass_index >= self.max_passes:
                    self.rec_on = False  # all the passes asked for are done
                    self._stop_rt()
                    return False
                for k, slot in enumerate(self.slots):
                    if slot.armed:
                        self._start_take_rt(k, pos, pass_index)
                self.active_pass = pass_index
                self.status[Status.PASS_INDEX] = pass_index
        elif self.was_active:
            self._end_takes_rt()
        self.was_active = active
        self.status[Status.RECORDING] = 1 if active else 0
        return active

    def _segment_rt(self, indata: np.ndarray, out: np.ndarray, off: int, n: int) -> None:
        t = self.t + off
        pos = self._song_frame_rt(t)
        if self._takes_at_rt(t, pos):
            self._capture_rt(indata, off, n)
        if self.state != Transport.ROLLING:
            return
        mode = self.click_mode
        if mode == ClickMode.ALWAYS or (
            mode == ClickMode.COUNT_IN and self.rec_on and pos < self.punch_in
        ):
            self.metronome.mix_rt(out[off : off + n], pos, n)

    def _capture_rt(self, indata: np.ndarray, off: int, n: int) -> None:
        scratch = self.scratch
        for k, slot in enumerate(self.slots):
            if not slot.writing:
                continue
            scratch[:n, 0] = indata[off : off + n, slot.chan_a]
            if slot.channels == 2:
                scratch[:n, 1] = indata[off : off + n, slot.chan_b]
            ring = self.mem.capture[k]
            written = ring.write_rt(scratch[:n, : slot.channels])
            if written < n:  # the disk worker fell behind: keep time with recorded silence
                dropped = n - written
                self.mem.markers[k].push_rt(Marker.GAP, ring.write_count, dropped)
                self.status[Status.CAPTURE_DROPPED] += dropped
                self.mem.events.push_rt(Event.FAULT, int(Fault.CAPTURE_OVERFLOW), dropped)

    # ---------------------------------------------------------------------------------------
    # playback, monitoring, meters
    def _playback_rt(self, out: np.ndarray, n: int) -> None:
        tracks = self.play_all[:n]
        any_active = False
        for k, ring in enumerate(self.mem.playback):
            if not self.play_active[k]:
                continue
            any_active = True
            if not ring.read_rt(self.epoch, self.t, tracks[:, 2 * k : 2 * k + 2], n):
                ring.mark_consumed_rt(self.epoch, self.t + n)
                self.status[Status.PLAYBACK_UNDERRUNS] += 1  # the disk worker fell behind
        if not any_active:
            return
        np.multiply(tracks, self.play_gain, out=tracks)
        if self.gliding:
            self._glide_rt(tracks, n)
        self.mem.track_meters.begin_write_rt()
        self.track_meters.update_rt(tracks)
        self.mem.track_meters.end_write_rt()
        total = self.play_sum[:n]
        np.add.reduce(tracks[:, 0::2], axis=1, out=total)
        out[:n, 0] += total
        np.add.reduce(tracks[:, 1::2], axis=1, out=total)
        out[:n, 1 if self.output_channels >= 2 else 0] += total

    def _glide_rt(self, tracks: np.ndarray, n: int) -> None:
        """Apply the gain ramps under way; a finished ramp hands its gain to the vector."""
        for col, ramp in enumerate(self.play_ramps):
            if not ramp.ramping:
                continue
            ramp.apply_rt(tracks[:, col : col + 1], tracks[:, col : col + 1], n)
            if not ramp.ramping:
                self.play_gain[col] = ramp.current
                self.gliding -= 1

    def _monitor_rt(self, indata: np.ndarray, out: np.ndarray, n: int) -> None:
        scratch = self.scratch
        for k, slot in enumerate(self.slots):
            if not (slot.monitor and slot.armed):
                continue
            scratch[:n, 0] = indata[:n, slot.chan_a]
            ch = slot.channels
            if ch == 2:
                scratch[:n, 1] = indata[:n, slot.chan_b]
            chain = self.monitor_chains.get(k)
            heard = chain.process_rt(scratch[:n, :ch]) if chain is not None else scratch[:n, :ch]
            wide = self.monitor_buf[:n]
            wide[:, 0] = heard[:n, 0]
            wide[:, 1] = heard[:n, ch - 1]  # a mono voice is heard on both sides
            gain = slot.monitor_gain
            gain.apply_rt(wide, wide, n)
            if gain.current == 0.0 and not gain.ramping:
                slot.monitor = False  # faded out: stop processing
            if self.output_channels == 1:
                out[:n, 0] += wide[:, 0]
            else:
                out[:n, 0:2] += wide

    def _meters_rt(self, indata: np.ndarray, out: np.ndarray, n: int) -> None:
        mem = self.mem
        if self.input_channels > 0:
            mem.input_meters.begin_write_rt()
            self.in_meters.update_rt(indata[:n])
            mem.input_meters.end_write_rt()
        mem.output_meters.begin_write_rt()
        self.out_meters.update_rt(out[:n])
        mem.output_meters.end_write_rt()
        st = self.status
        mem.status.begin_write_rt()
        st[Status.STATE] = int(self.state)
        st[Status.EPOCH] = self.epoch
        st[Status.SONG_FRAME] = self.song_frame
        st[Status.TIMELINE_FRAME] = self.t
        mem.status.end_write_rt()
