"""The record screen's transport: play/stop, bars back and on, to the start, click, count-in,
loop and clearing the clip marks, and the 30-per-second look at the engine that moves the
transport line and the meters."""

from __future__ import annotations

from dataclasses import replace

from studio.services.console import Console
from studio.tui.screens.record.recording import Recording
from studio.tui.screens.record.track_table import TrackTable
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport

LOOP_STEPS = (0, 1, 2, 4, 8)
COUNT_STEPS = (0, 1, 2)


class TransportKeys(Recording):
    """Play/stop while recording stops the recording, so the transport comes on top of it."""

    # the 30-per-second look at the engine ----------------------------------------------------
    def tick(self) -> None:
        app = self.studio_app()
        sound = app.sound
        song = self.song
        if song is None:
            return
        transport = self.query_one(Transport)
        in_meter = self.query_one("#in-meter", LevelMeter)
        setup = self.query_one(TrackTable).current_setup()
        channel = (setup.inputs[0] - 1) if setup else 0
        if sound.busy_recording:
            status = sound.progress
            frame = int(status.get("song_frame", 0))
            rolling = status.get("state", 0) == 1
            if status.get("recording", 0) == 1:
                recorder = "on"
            elif self.recorder_state == "saving":
                recorder = "saving"
            elif rolling and frame < self.punch_in_frame:
                recorder = "count-in"
            else:
                recorder = "starting" if not rolling else self.recorder_state
            self.recorder_state = recorder
            bar, beat, _ = song.timebase.frame_to_bar_beat(max(frame, 0))
            transport.update(recording=recorder, rolling=rolling, bar=bar, beat=beat,
                             seconds=frame / song.samplerate)
            rows = sound.input_meters()
            in_meter.show_row(rows[channel] if channel < len(rows) else None)
            return
        head = sound.playhead(song.name)
        if head is None:
            transport.update(recording="off", rolling=False)
            return
        if sound.device_lost():
            name = song.name
            self.background(lambda: sound.with_open(name, lambda c: c.check_device()),
                            self.device_back, group="device", exclusive=True)
            return
        transport.update(recording="off", rolling=head.rolling, bar=head.bar, beat=head.beat,
                         seconds=head.seconds)
        rows = sound.input_meters()
        in_meter.show_row(rows[channel] if channel < len(rows) else None)
        out = sound.output_meters()
        if out:
            loudest = max(out, key=lambda r: r[0])
            self.query_one("#out-meter", LevelMeter).show_row(loudest)

    def device_back(self, said: str | None) -> None:
        if said:
            self.studio_app().notify(said, severity="warning", timeout=10)
            self.studio_app().scan_devices()

    # transport keys ---------------------------------------------------------------------------
    def action_play_stop(self) -> None:
        app = self.studio_app()
        if app.sound.busy_recording:
            self.action_record()
            return
        song, actor, choice = self.song, app.session.actor, app.engine_choice()
        if song is None:
            return
        loop = self.state.loop_first, self.state.loop_bars
        click = self.state.click

        def toggle(console: Console) -> None:
            if console.rolling():
                console.stop()
            else:
                console.set_loop(loop[0], loop[1])
                console.click = click
                console.play()

        self.background(lambda: app.sound.run(song.name, actor, choice, toggle),
                        failed=self.refused, group="transport")

    def action_bar(self, step: int) -> None:
        bar = max(self.bar_now() + step, 1)
        self.with_console(lambda console: console.locate_bar(bar))

    def action_to_start(self) -> None:
        self.with_console(lambda console: console.locate_bar(1))

    def action_click(self) -> None:
        self.state = replace(self.state, click=not self.state.click)
        self.query_one(Transport).update(click=self.state.click)
        app = self.studio_app()
        app.prefs.click = self.state.click
        app.save_prefs()
        on = self.state.click
        self.with_console(lambda console: console.set_click(on))

    def action_count_in(self) -> None:
        now = self.state.count_in_bars
        bars = COUNT_STEPS[(COUNT_STEPS.index(now) + 1) % len(COUNT_STEPS)] \
            if now in COUNT_STEPS else 1
        self.state = replace(self.state, count_in_bars=bars)
        self.query_one(Transport).update(count_in_bars=bars)
        app = self.studio_app()
        app.prefs.count_in_bars = bars
        app.save_prefs()

    def action_loop(self) -> None:
        now = self.state.loop_bars if self.state.loop_first is not None else 0
        bars = LOOP_STEPS[(LOOP_STEPS.index(now) + 1) % len(LOOP_STEPS)] \
            if now in LOOP_STEPS else 0
        first = self.bar_now()
        if self.state.loop_first is not None and bars:
            first = self.state.loop_first
        self.state = replace(self.state, loop_first=first if bars else None, loop_bars=bars)
        self.query_one(Transport).update(loop_first=self.state.loop_first, loop_bars=bars)
        loop_first = self.state.loop_first
        self.with_console(lambda console: console.set_loop(loop_first, bars))

    def action_clear_clip(self) -> None:
        self.query_one("#in-meter", LevelMeter).reset_clip()
        self.query_one("#out-meter", LevelMeter).reset_clip()
