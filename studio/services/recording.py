"""A recording: from "these tracks, these inputs" to takes safely in the catalog.

Order of things, so nothing is ever lost: the catalog row ("recording") and the ``.pending``
marker exist, and the disk worker has opened the file with mode ``'x'``, before the callback is
told to record. When a take ends the disk worker closes and fsyncs it, and only then is it
committed "complete" with its frame count and SHA-256, and the marker removed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studio.audio.devices import DeviceInfo
from studio.audio.protocol import ClickMode, Cmd, Event, Fault, Status
from studio.core.i18n import StudioError, Words, language
from studio.core.people import Actor
from studio.core.song import Gap, Song, Take, Track
from studio.services.access import record
from studio.services.consent import check_may_record
from studio.services.device_loss import restart_after_loss
from studio.services.playback import playback_plan, start_playback
from studio.services.studio import Studio, device_key, write_pending_marker
from studio.services.supervisor import DEVICE_LOST, EngineSettings, Supervisor
from studio.store.layout import free_bytes

DISK_TOO_FULL = Words(
    nb="Det er for lite plass på disken til å ta opp ({free} MB ledig, trenger {need} MB). "
       "Slett eller flytt noe, og prøv igjen.",
    en="There is too little disk space to record ({free} MB free, {need} MB needed). "
       "Delete or move something and try again.",
)
RECOVERED_FIRST = Words(
    nb="Fant et opptak som ble avbrutt sist ({take}, {seconds:.1f} s). Det er berget og ligger "
       "i biblioteket.",
    en="Found a take that was cut off last time ({take}, {seconds:.1f} s). It has been "
       "recovered and is in the library.",
)
KEPT_FOR_RECOVERY = Words(
    nb="Opptak {take} er trygt lagret og hentes inn neste gang studioet starter.",
    en="Take {take} is safely saved and will be brought back the next time the studio starts.",
)
ENGINE_FAULT = Words(
    nb="Lydmotoren meldte en feil underveis. Opptaket er tatt vare på; hør gjennom det.",
    en="The sound engine reported a problem along the way. The take is kept; listen through "
       "it.",
)
DISK_TOO_SLOW = Words(
    nb="Disken var for treg i {seconds:.2f} s; der er opptaket stille (merket som hull).",
    en="The disk was too slow for {seconds:.2f} s; the take is silent there (marked as gaps).",
)
CANNOT_CREATE_TAKE = Words(
    nb="Kunne ikke lage lydfilen til opptaket ({why}). Ingenting er tatt opp ennå.",
    en="Could not make the take's audio file ({why}). Nothing has been recorded yet.",
)
DISK_WORKER_GONE = Words(
    nb="Lagringen stoppet uventet. Det som ble tatt opp, hentes inn neste gang studioet "
       "starter.",
    en="Saving stopped unexpectedly. What was recorded is brought back the next time the "
       "studio starts.",
)
CLIP_UNREADABLE = Words(
    nb="Kunne ikke lese {path}; det sporet spilles som stillhet.",
    en="Could not read {path}; that track plays as silence.",
)
DISK_LOW = Words(
    nb="Disken er snart full ({mb} MB ledig). Opptaket fortsetter, men rydd plass snart.",
    en="The disk is nearly full ({mb} MB free). Recording goes on, but make room soon.",
)
DISK_FULL_STOPPED = Words(
    nb="Disken ble full, så opptaket stoppet. Alt som kom inn før det er tatt vare på.",
    en="The disk became full, so recording stopped. Everything before that has been kept.",
)
BAD_INPUTS = Words(
    nb="Inngang {inputs} finnes ikke på denne enheten (den har {count} innganger).",
    en="Input {inputs} does not exist on this device (it has {count} inputs).",
)
TOO_MANY_TRACKS = Words(
    nb="Du kan ta opp på høyst {max} spor samtidig.",
    en="You can record on at most {max} tracks at once.",
)
BAD_PUNCH = Words(
    nb="Innslaget må slutte etter at det starter (--punch-out etter --punch-in).",
    en="The punch must end after it starts (--punch-out after --punch-in).",
)
NOTHING_TO_RECORD = Words(
    nb="Opptaket må vare lenger enn null sekunder.",
    en="The recording must last longer than zero seconds.",
)


@dataclass
class TrackInput:
    track: str
    inputs: tuple[int, ...] = (1,)  # device inputs, counted from 1; one (mono) or two (stereo)


@dataclass
class RecordRequest:
    song: str
    tracks: list[TrackInput]
    seconds: float
    device: str | None = None
    samplerate: int | None = None
    blocksize: int = 0
    monitor: str | None = None
    click: bool = False
    count_in_bars: int = 0
    click_level: float = 0.5
    start_bar: int = 1
    loop_bars: int | None = None  # loop recording: each pass over these bars is a new take
    passes: int = 1
    punch_in_s: float | None = None  # punch-in: record only between these song times, while
    punch_out_s: float | None = None  # the song plays from a little before (pre-roll)
    pre_roll_s: float = 2.0
    env: dict[str, str] | None = None
    realtime: bool = True
    practice_speed: float = 1.0  # the practice device faster than real time (benchmarks)
    # called once the engine runs, before the transport starts (e.g. to make JACK connections)
    after_start: Callable[[], None] | None = None
    # who runs the console: required for a member's song (and their consent to keep recordings)
    actor: Actor | None = None


@dataclass
class TakeReport:
    id: int
    track: str
    path: str
    frames: int
    samplerate: int
    song_position_frames: int
    latency_frames: int
    state: str
    gaps: list[dict[str, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "track": self.track,
            "path": self.path,
            "frames": self.frames,
            "samplerate": self.samplerate,
            "song_position_frames": self.song_position_frames,
            "latency_frames": self.latency_frames,
            "state": self.state,
            "gaps": self.gaps,
        }


@dataclass
class RecordResult:
    takes: list[TakeReport]
    device: str
    practice: bool
    messages: list[str]
    xruns: int = 0
    device_lost_after_s: float | None = None  # how long the device was silent before we acted
    restarted_on: str | None = None  # the device the engine was restarted with after a loss


Progress = Callable[[str, dict[str, float]], None]


def disk_reserve_bytes(samplerate: int, channels: int) -> int:
    """Free space needed to start: a fixed reserve (the catalog and the system need room too)
    plus one minute of what is about to be recorded."""
    floor_mb = float(os.environ.get("STUDIO_DISK_RESERVE_MB", "256"))
    return int(floor_mb * 1_000_000) + samplerate * channels * 3 * 60


def disk_stop_bytes() -> int:
    """Recording stops when free space falls below this, so the catalog can still commit."""
    return int(float(os.environ.get("STUDIO_DISK_STOP_MB", "16")) * 1_000_000)


def disk_warning_bytes(samplerate: int, channels: int) -> int:
    """Below this much free space while recording, say so (about five minutes are left)."""
    floor_mb = float(os.environ.get("STUDIO_DISK_WARN_MB", "200"))
    return int(floor_mb * 1_000_000) + samplerate * channels * 3 * 300


class Recording:
    """One run of the transport that records on one or more tracks."""

    def __init__(self, studio: Studio, request: RecordRequest,
                 progress: Progress | None = None) -> None:
        self.studio = studio
        self.request = request
        self.progress = progress
        self.song: Song = studio.song(request.song)
        self.samplerate = request.samplerate or self.song.samplerate
        self.messages: list[str] = []
        self.reports: list[TakeReport] = []
        self.slots: dict[int, Track] = {}
        self.pending: dict[int, tuple[int, Take]] = {}  # take id -> (slot, take)
        self.latency_frames = 0
        self.device: DeviceInfo | None = None
        self.supervisor: Supervisor | None = None
        self.restarted_on: str | None = None
        self.overflowed = 0  # frames the disk worker had no room for (kept as marked silence)
        self.faults_said: set[int] = set()
        self._stop_asked = threading.Event()
        self._meters = threading.Lock()  # input_meters() never reads memory being unmapped
        self._meters_gone = True  # until the engine runs, and again once it is stopping

    # for a screen watching from another thread ------------------------------------------------
    def stop(self) -> None:
        """Ask the recording to end now (from any thread): what came in so far becomes the
        take(s), exactly as when the planned length is reached. Before the engine has started
        this makes the recording end as soon as it starts, with nothing recorded."""
        self._stop_asked.set()

    @property
    def stop_asked(self) -> bool:
        return self._stop_asked.is_set()

    def song_seconds(self) -> float:
        """Where the song is now, in seconds (0 while no engine runs). Safe from any thread."""
        sup = self.supervisor
        return 0.0 if sup is None else sup.status(Status.SONG_FRAME) / self.samplerate

    def input_meters(self) -> list[list[float]]:
        """The engine's input meters, one row per device input (peak, rms, clip hold, peak
        max; linear), or an empty list while no engine runs."""
        with self._meters:
            sup = self.supervisor
            if sup is None or sup.memory is None or self._meters_gone:
                return []
            return sup.input_meters()

    # ------------------------------------------------------------------------------------------
    def run(self) -> RecordResult:
        req = self.request
        if req.punch_in_s is not None:
            if req.punch_out_s is None or req.punch_out_s <= req.punch_in_s:
                raise StudioError(BAD_PUNCH)
        elif req.seconds <= 0 and req.loop_bars is None:
            raise StudioError(NOTHING_TO_RECORD)
        catalog = self.studio.catalog
        check_may_record(self.studio, self.song, req.actor)
        for found in self.studio.recover_takes():  # a crash left takes behind: adopt them first
            self.messages.append(found.note or RECOVERED_FIRST.say(
                take=found.take.id, seconds=found.take.frames / max(found.take.samplerate, 1)))
        self.device = self.studio.pick_device(req.device, req.env)
        self.studio.check_rate(self.device, self.samplerate)
        in_count = self.device.max_input_channels if self.device else 2
        if len(req.tracks) > 8:
            raise StudioError(TOO_MANY_TRACKS, max=8)
        for ti in req.tracks:
            if not ti.inputs or any(i < 1 or i > in_count for i in ti.inputs) or len(ti.inputs) > 2:
                raise StudioError(BAD_INPUTS, inputs=",".join(map(str, ti.inputs)), count=in_count)
        channels_total = sum(len(t.inputs) for t in req.tracks)
        takes_dir = self.studio.paths.takes_dir(self.song.id)
        need = disk_reserve_bytes(self.samplerate, channels_total)
        free = free_bytes(takes_dir)
        if free < need:
            raise StudioError(DISK_TOO_FULL, free=free // 1_000_000, need=need // 1_000_000)

        for slot, ti in enumerate(req.tracks):
            self.slots[slot] = catalog.ensure_track(self.song.id, ti.track, channels=len(ti.inputs))

        tb = self.song.timebase
        settings = EngineSettings(
            backend="portaudio" if self.device else "practice",
            samplerate=self.samplerate,
            blocksize=req.blocksize,
            input_device=self.device.index if self.device else None,
            output_device=self.device.index if self.device else None,
            input_channels=min(in_count, 32),
            output_channels=min(self.device.max_output_channels, 2) if self.device else 2,
            frames_per_beat=self.samplerate * 60.0 / tb.tempo_bpm,
            beats_per_bar=tb.beats_per_bar,
            click_level=req.click_level,
            monitor_presets={str(s): req.monitor for s in self.slots} if req.monitor else {},
            realtime=req.realtime,
            practice_speed=req.practice_speed,
            env=req.env,
        )
        sup = self.supervisor = Supervisor(
            settings, self.studio.paths.run_dir, takes_dir,
            low_disk_bytes=disk_warning_bytes(self.samplerate, channels_total),
            stop_disk_bytes=disk_stop_bytes())
        sup.start()
        with self._meters:
            self._meters_gone = False
        if req.realtime and sup.realtime and not sup.realtime.get("realtime"):
            # the engine runs, but without real-time priority: say so, in plain words
            self.messages.append(str(sup.realtime.get(language(), "")))
        self._audit("record.start", tracks=[t.track for t in req.tracks])
        try:
            if req.after_start is not None:
                req.after_start()
            return self._record(sup)
        finally:
            with self._meters:
                self._meters_gone = True
            sup.stop()
            try:
                self._audit("record.stop", takes=[r.id for r in self.reports])
            except StudioError as error:  # e.g. a full disk: the takes matter more; say it
                self.messages.append(error.say())

    def _audit(self, action: str, **detail: object) -> None:
        song = self.song
        self.studio.catalog.write(lambda conn: record(
            conn, self.studio, self.request.actor, action, f"song:{song.id}", song.member_id,
            **detail))

    # ------------------------------------------------------------------------------------------
    def _device_name(self) -> str:
        return self.device.name if self.device else "practice"

    def _record(self, sup: Supervisor) -> RecordResult:
        req = self.request
        catalog = self.studio.catalog
        sr = self.samplerate
        if self.device is None:
            self.latency_frames = 0  # the practice signal is generated in step with the clock
        else:
            measured = catalog.calibration(device_key(self.device), sr, req.blocksize)
            self.latency_frames = (
                measured if measured is not None
                else round((sup.latency[0] + sup.latency[1]) * sr)
            )
        tb = self.song.timebase
        fpb = sr * 60.0 / tb.tempo_bpm
        punch_in = round((req.start_bar - 1) * tb.beats_per_bar * fpb)
        countin = round(req.count_in_bars * tb.beats_per_bar * fpb)
        loop_start = loop_end = 0
        punch_out = punch_in + round(req.seconds * sr)
        if req.punch_in_s is not None and req.punch_out_s is not None:
            punch_in = round(req.punch_in_s * sr)
            punch_out = round(req.punch_out_s * sr)
            countin = max(countin, round(req.pre_roll_s * sr))
        passes = 0
        if req.loop_bars:
            loop_start = punch_in
            loop_end = punch_in + round(req.loop_bars * tb.beats_per_bar * fpb)
            punch_out = 0
            passes = max(req.passes, 1)
        epoch = sup.next_epoch()
        self._start_playback(sup, epoch, punch_in - countin, loop_start, loop_end)
        for slot in self.slots:
            self._reserve(sup, slot)
            if passes > 1:
                self._reserve(sup, slot)
        sup.command(Cmd.SET_TEMPO, tb.beats_per_bar, x=fpb)
        if req.click:
            sup.command(Cmd.CLICK, int(ClickMode.ALWAYS), x=req.click_level)
        elif req.count_in_bars:
            sup.command(Cmd.CLICK, int(ClickMode.COUNT_IN), x=req.click_level)
        for slot, ti in enumerate(req.tracks):
            a = ti.inputs[0] - 1
            b = ti.inputs[1] - 1 if len(ti.inputs) == 2 else -1
            sup.command(Cmd.ARM, slot, 1, a, b)
            if req.monitor:
                sup.command(Cmd.MONITOR, slot, 1, x=1.0)
        sup.command(Cmd.RECORD, 1, punch_in, punch_out, 0, passes)
        sup.command(Cmd.PLAY, epoch, punch_in - countin, loop_start, loop_end)
        expected = len(self.slots) * (passes or 1)
        self._follow(sup, expected, epoch, punch_out)
        return RecordResult(self.reports, self._device_name(), self.device is None,
                            self.messages, int(sup.status(Status.XRUNS)),
                            sup.loss_detected_after_s, self.restarted_on)

    def _start_playback(self, sup: Supervisor, epoch: int, start: int,
                        loop_start: int, loop_end: int) -> None:
        """Play the song's other tracks while recording: overdub."""
        recording_ids = {t.id for t in self.slots.values()}
        plan = playback_plan(self.studio, self.song, recording_ids)
        start_playback(sup, plan, epoch, start, loop_start, loop_end)

    def _reserve(self, sup: Supervisor, slot: int) -> None:
        track = self.slots[slot]
        paths = self.studio.paths
        path = paths.new_take_path(self.song.id, track.name)
        take = self.studio.catalog.begin_take(
            self.song.id, track.id, paths.relative(path), self.samplerate, track.channels,
            device=self._device_name(), latency_frames=self.latency_frames)
        write_pending_marker(paths.pending_marker(path), take.id)
        self.pending[take.id] = (slot, take)
        sup.disk({"op": "reserve", "slot": slot, "take_id": take.id, "path": str(path),
                  "channels": track.channels})
        answer = sup.wait_disk(("reserved", "reserve_failed"), timeout=30.0, take_id=take.id)
        if answer["event"] == "reserve_failed":  # e.g. the disk is full: nothing half-made
            del self.pending[take.id]
            self.studio.catalog.discard_take(take.id)
            paths.pending_marker(path).unlink(missing_ok=True)
            raise StudioError(CANNOT_CREATE_TAKE, why=str(answer.get("message_en", "")))

    def _follow(self, sup: Supervisor, expected: int, epoch: int, punch_out: int) -> None:
        """Follow the recording until it is over: all takes asked for are done, the punch-out
        point is passed, the engine stopped by itself (loop passes done, disk full), or the
        device was lost. Then make sure every take that started is committed."""
        finished = 0
        lost = False
        while True:
            finished += self._disk_events(sup)
            if sup.device_lost.is_set() or self._disk_gone:
                lost = True
                self.messages.append((DISK_WORKER_GONE if self._disk_gone else DEVICE_LOST).say())
                break
            transport = sup.transport()
            if transport.epoch == epoch and not transport.rolling:
                break  # the engine stopped: loop passes done, or the disk was full
            if finished >= expected:
                break
            if punch_out and transport.rolling and transport.song_frame >= punch_out:
                break
            if self._stop_asked.is_set():
                break
            if self.progress:
                self.progress("recording", sup.status_snapshot())
            time.sleep(0.02)
        if lost:
            if not self._disk_gone:
                sup.disk({"op": "finish_all", "state": "interrupted"})
                self._drain(sup, force_state="interrupted")
            self._restart_after_loss(sup)
        else:
            sup.command(Cmd.RECORD, 0, 0, 0)
            sup.command(Cmd.STOP)
            deadline = time.monotonic() + 5.0
            while sup.transport().rolling and time.monotonic() < deadline:
                time.sleep(0.01)
            self._drain(sup)
        if self.overflowed:
            self.messages.append(DISK_TOO_SLOW.say(
                seconds=self.overflowed / self.samplerate))
        if self.progress:  # a last look: the transport has stopped, the takes are written
            self.progress("done", sup.status_snapshot())
        if not self._disk_gone:
            for slot in self.slots:
                sup.disk({"op": "release", "slot": slot})
            self._discard_unused(sup)

    _disk_gone = False

    def _engine_events(self, sup: Supervisor) -> None:
        """Say in plain words what went wrong inside the callback (once per kind)."""
        for op, values in sup.drain_engine_events():
            if op != Event.FAULT:
                continue
            code = values[0]
            if code == Fault.CAPTURE_OVERFLOW:
                self.overflowed += values[1]
            elif code not in self.faults_said:
                self.faults_said.add(code)
                self.messages.append(ENGINE_FAULT.say())

    def _disk_events(self, sup: Supervisor, force_state: str | None = None) -> int:
        """Handle what the disk worker said; returns how many takes finished."""
        self._engine_events(sup)
        finished = 0
        for event in sup.drain_disk_events():
            kind = event.get("event")
            if kind == "take_started" and self.request.loop_bars:
                self._reserve(sup, int(event["slot"]))
            elif kind == "take_finished":
                self._commit(event, force_state)
                finished += 1
            elif kind == "disk_full":
                self.messages.append(DISK_FULL_STOPPED.say())
                sup.command(Cmd.RECORD, 0, 0, 0)
                sup.command(Cmd.STOP)
            elif kind == "disk_low":
                self.messages.append(DISK_LOW.say(mb=int(event["free_bytes"]) // 1_000_000))
            elif kind == "clip_unreadable":
                self.messages.append(CLIP_UNREADABLE.say(path=event.get("path", "")))
            elif kind == "exited":
                self._disk_gone = True
        return finished

    def _drain(self, sup: Supervisor, force_state: str | None = None) -> None:
        """Let the disk worker write out everything the engine handed over; every take that
        started has then ended, and its "take_finished" is handled here."""
        token = sup.next_epoch()
        sup.disk({"op": "drain", "token": token})
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline and not self._disk_gone:
            try:
                sup.wait_disk("drained", timeout=0.1, token=token)
                break
            except TimeoutError:
                self._disk_events(sup, force_state)
            except RuntimeError:  # the disk worker is gone; recovery adopts its takes later
                self._disk_gone = True
        self._disk_events(sup, force_state)

    def _restart_after_loss(self, sup: Supervisor) -> None:
        try:
            device, said = restart_after_loss(self.studio, sup, self.device, self.request.env)
        except StudioError as error:
            self.messages.append(error.say())
            return
        self.restarted_on = device.name if device else "practice"
        self.messages.append(said)

    def _discard_unused(self, sup: Supervisor) -> None:
        deadline = time.monotonic() + 10.0
        paths = self.studio.paths
        while self.pending and time.monotonic() < deadline:
            for event in sup.drain_disk_events():
                if event.get("event") == "released":
                    entry = self.pending.pop(int(event["take_id"]), None)
                    if entry is None:
                        continue
                    _, take = entry
                    self.studio.catalog.discard_take(take.id)
                    paths.pending_marker(paths.absolute(take.path)).unlink(missing_ok=True)
                elif event.get("event") == "take_finished":
                    self._commit(event)
            time.sleep(0.02)

    def _commit(self, event: dict[str, Any], force_state: str | None = None) -> None:
        take_id = int(event["take_id"])
        entry = self.pending.pop(take_id, None)
        if entry is None:
            return
        slot, take = entry
        gaps = [Gap(int(a), int(n)) for a, n in event.get("gaps", [])]
        position = int(event["song_frame"]) - self.latency_frames
        state = force_state or str(event.get("state", "complete"))
        paths = self.studio.paths
        try:
            done = self.studio.catalog.finish_take(
                take_id, frames=int(event["frames"]), sha256=str(event["sha256"]),
                song_position_frames=position, gaps=gaps, state=state)  # type: ignore[arg-type]
            if done.frames > 0:
                self.studio.catalog.add_clip(done.track_id, done.id, position, 0, done.frames)
        except StudioError as error:
            # the file is closed and safe; its catalog row still says "recording", so the
            # next start adopts it ("studio takes recover")
            self.messages.append(error.say())
            self.messages.append(KEPT_FOR_RECOVERY.say(take=take_id))
            self.reports.append(TakeReport(
                id=take_id, track=self.slots[slot].name, path=str(paths.absolute(take.path)),
                frames=int(event["frames"]), samplerate=take.samplerate,
                song_position_frames=position, latency_frames=self.latency_frames,
                state="recording", gaps=[{"at_frame": g.at_frame, "frames": g.frames}
                                         for g in gaps]))
            return
        paths.pending_marker(paths.absolute(take.path)).unlink(missing_ok=True)
        self.reports.append(TakeReport(
            id=done.id, track=self.slots[slot].name, path=str(paths.absolute(done.path)),
            frames=done.frames, samplerate=done.samplerate,
            song_position_frames=done.song_position_frames, latency_frames=self.latency_frames,
            state=done.state, gaps=[{"at_frame": g.at_frame, "frames": g.frames} for g in gaps]))
