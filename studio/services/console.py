"""The console: one running engine for a song, with play, stop, locate and a loop range.

The UI keeps a console open while a member works on a song; ``studio play`` uses one for a
single listen. Recording (:mod:`studio.services.recording`) runs its own engine for a take.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.audio.beat import open_kit
from studio.audio.beat.kit import Kit, Layer
from studio.audio.beat.render import DEFAULT_LEVEL
from studio.audio.devices import DeviceInfo
from studio.audio.gain import constant_power_pan
from studio.audio.protocol import ClickMode, Cmd
from studio.core.people import Actor
from studio.core.song import Song
from studio.core.timeline import LoopRange
from studio.services.access import record
from studio.services.consent import check_may_listen
from studio.services.device_loss import restart_after_loss
from studio.services.playback import PlaybackMix, playback_plan, start_playback
from studio.services.studio import Studio
from studio.services.supervisor import DEVICE_LOST, EngineSettings, Supervisor


@dataclass(frozen=True)
class Playhead:
    song_frame: int
    rolling: bool
    seconds: float
    bar: int
    beat: int


class Console:
    def __init__(self, studio: Studio, song_name: str, *, device: str | None = None,
                 env: dict[str, str] | None = None, blocksize: int = 0,
                 realtime: bool = True, actor: Actor | None = None) -> None:
        self.studio = studio
        self.song: Song = studio.song(song_name)
        self.actor = actor
        check_may_listen(studio, self.song, actor)
        self.env = env
        self.blocksize = blocksize
        self.realtime = realtime
        self.device: DeviceInfo | None = studio.pick_device(device, env)
        studio.check_rate(self.device, self.song.samplerate)
        self.supervisor: Supervisor | None = None
        self.position = 0  # where the next play starts
        self.loop: LoopRange | None = None
        self.click = False
        # what plays now: the epoch of the last PLAY and the mix it plays (one value, so a
        # reader never pairs one run's levels with another run's tracks)
        self.heard: tuple[int, PlaybackMix] | None = None
        # The epoch of the last PLAY sent, None after STOP. The engine's status lags our
        # commands by a callback or more; until it reports this epoch, what we asked for is
        # what the UI shows (never the stale position of the previous run).
        self.playing_epoch: int | None = None
        self.pad_slots: dict[str, list[tuple[Layer, int]]] = {}  # voice: (layer, bank slot)
        self.pad_kit: Kit | None = None

    @property
    def practice(self) -> bool:
        return self.device is None

    def open(self) -> Console:
        song = self.song
        self.studio.catalog.write(lambda conn: record(
            conn, self.studio, self.actor, "listen", f"song:{song.id}", song.member_id))
        tb = self.song.timebase
        dev = self.device
        settings = EngineSettings(
            backend="portaudio" if dev else "practice",
            samplerate=self.song.samplerate,
            blocksize=self.blocksize,
            input_device=dev.index if dev else None,
            output_device=dev.index if dev else None,
            input_channels=min(dev.max_input_channels, 32) if dev else 2,
            output_channels=min(dev.max_output_channels, 2) if dev else 2,
            frames_per_beat=tb.frames_per_beat,
            beats_per_bar=tb.beats_per_bar,
            realtime=self.realtime,
            env=self.env,
        )
        self.supervisor = Supervisor(settings, self.studio.paths.run_dir,
                                     self.studio.paths.takes_dir(self.song.id))
        self.supervisor.start()
        return self

    def close(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None

    def __enter__(self) -> Console:
        return self.open()

    def __exit__(self, *_: object) -> None:
        self.close()

    def _sup(self) -> Supervisor:
        if self.supervisor is None:
            raise RuntimeError("the console is not open")
        return self.supervisor

    def check_device(self) -> str | None:
        """If the device stopped answering, bring the engine back (same device if it is
        still there, else the practice device) and return what to tell the user. The UI calls
        this with every look at the playhead; every transport call does it too."""
        sup = self._sup()
        if not sup.device_lost.is_set():
            return None
        self.device, said = restart_after_loss(self.studio, sup, self.device, self.env)
        self.playing_epoch = None  # the new engine is stopped
        return str(DEVICE_LOST) + " " + said

    # transport --------------------------------------------------------------------------------
    def play(self) -> None:
        """Start (or restart) from the current position, with the song's tracks as they are
        in the catalog now."""
        self.check_device()
        sup = self._sup()
        if self.rolling():
            sup.command(Cmd.STOP)
        epoch = sup.next_epoch()
        loop = self.loop
        plan = playback_plan(self.studio, self.song, set())
        start_playback(sup, plan, epoch, self.position,
                       loop.start if loop else 0, loop.end if loop else 0)
        sup.command(Cmd.CLICK, int(ClickMode.ALWAYS if self.click else ClickMode.OFF), x=0.5)
        sup.command(Cmd.PLAY, epoch, self.position, loop.start if loop else 0,
                    loop.end if loop else 0)
        self.playing_epoch = epoch
        self.heard = None if plan is None else (epoch, plan)

    def stop(self) -> None:
        """Stop; the next play starts where this one stopped."""
        self.check_device()
        sup = self._sup()
        self.position = self.playhead().song_frame
        sup.command(Cmd.STOP)
        self.playing_epoch = None

    def refresh(self) -> None:
        """The song changed (mix, takes, beat): hear it as it is now, from where it plays."""
        if self.rolling():
            self.position = self.playhead().song_frame
            self.play()

    def locate(self, song_frame: int) -> None:
        """Go to a song frame; keeps playing if it was playing."""
        self.position = song_frame
        if self.rolling():
            self.play()

    def locate_bar(self, bar: int) -> None:
        self.locate(self.song.timebase.bar_to_frame(max(bar, 1)))

    def set_loop(self, first_bar: int | None, bars: int = 0) -> None:
        """Loop over ``bars`` bars from ``first_bar``; None switches looping off."""
        tb = self.song.timebase
        if first_bar is None or bars <= 0:
            self.loop = None
        else:
            start = tb.bar_to_frame(first_bar)
            self.loop = LoopRange(start, start + tb.bars_to_frames(bars))

    def set_click(self, on: bool) -> None:
        self.click = on
        sup = self._sup()
        sup.command(Cmd.CLICK, int(ClickMode.ALWAYS if on else ClickMode.OFF), x=0.5)

    # pads ---------------------------------------------------------------------------------------
    def load_kit(self, kit: str = "synth") -> list[str]:
        """Put a kit's one-shots (each voice, each velocity layer) into the engine's pad bank,
        so :meth:`trigger_pad` plays them at once. Returns the voices that can be played."""
        sup = self._sup()
        assert sup.memory is not None
        loaded = open_kit(kit, self.song.samplerate)
        bank = sup.memory.pads
        bank.clear()
        groups: dict[str, int] = {}
        self.pad_slots = {}
        self.pad_kit = loaded
        slot = 0
        for voice, kit_voice in loaded.voices.items():
            group = groups.setdefault(kit_voice.choke, len(groups) + 1) if kit_voice.choke else 0
            for layer in kit_voice.layers:
                if slot >= bank.slots:
                    break
                bank.load(slot, layer.sound, group)
                self.pad_slots.setdefault(voice, []).append((layer, slot))
                slot += 1
        return list(self.pad_slots)

    def trigger_pad(self, voice: str, velocity: int) -> None:
        """Play a kit voice now, as the beat renderer would play that hit (same layer choice,
        velocity curve, levels and centre pan)."""
        slots = self.pad_slots.get(voice)
        kit = self.pad_kit
        if not slots or kit is None or velocity <= 0:
            return
        kit_voice = kit.voices[voice]
        layer = kit_voice.layer_for(velocity)
        slot = next((s for lay, s in slots if lay is layer), slots[-1][1])  # else: not loaded
        gain = (kit.level * kit_voice.level * kit_voice.velocity_gain(velocity)
                * layer.gain * DEFAULT_LEVEL * constant_power_pan(0.0)[0])
        self._sup().command(Cmd.PAD, slot, x=gain)

    def playhead_frame(self) -> int:
        return self.playhead().song_frame

    # what the UI shows ------------------------------------------------------------------------
    def rolling(self) -> bool:
        return self.playing_epoch is not None and not self._sup().device_lost.is_set()

    def playhead(self) -> Playhead:
        """Where the song is (safe from any thread: status reads are guarded)."""
        sup = self._sup()
        rolling = self.rolling()
        frame = self.position
        if rolling:
            transport = sup.transport()
            if transport.rolling and transport.epoch == self.playing_epoch:
                frame = transport.song_frame
        bar, beat, _ = self.song.timebase.frame_to_bar_beat(frame)
        return Playhead(frame, rolling, frame / self.song.samplerate, bar, beat)

    def track_levels(self) -> dict[str, tuple[float, float]]:
        """Each playing track's peak (left, right; linear) over the last thirtieth of a
        second heard, by track name; empty when stopped (safe from any thread)."""
        sup, heard = self.supervisor, self.heard
        if sup is None or heard is None or not self.rolling():
            return {}
        epoch, plan = heard
        transport = sup.transport()
        if not transport.rolling or transport.epoch != epoch:
            return {}
        now = transport.timeline_frame
        found = sup.track_levels(epoch, now - self.song.samplerate // 30, now, len(plan.tracks))
        if found is None:
            return {}
        return {str(track["name"]): level for track, level in zip(plan.tracks, found,
                                                                  strict=False)}

    def output_meters(self) -> list[list[float]]:
        """Output meters (safe from any thread; [] once the console is closed)."""
        sup = self.supervisor
        return [] if sup is None else sup.output_meters()
