"""The record screen's one recording key: R starts recording on the armed tracks (after the
count-in, from the playhead or the loop start, a take per loop pass) and R again stops it; then
what was saved is said and the new take is shown."""

from __future__ import annotations

from studio.core.i18n import Words
from studio.services.recording import RecordRequest, RecordResult, TrackInput
from studio.tui.screens.record.base import RecordBase
from studio.tui.screens.record.track_table import TrackTable
from studio.tui.speech import Said
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport

ARM_FIRST = Words(nb="Velg et spor å ta opp på først (A).",
                  en="Arm a track to record on first (A).")
SAVED = Words(nb="Opptaket er lagret: {count} opptak, {seconds:.1f} s.",
              en="The recording is saved: {count} takes, {seconds:.1f} s.")
NOTHING_RECORDED = Words(nb="Ingenting ble tatt opp (stoppet før inntellingen var ferdig).",
                         en="Nothing was recorded (stopped before the count-in was over).")

LOOP_PASSES = 50  # loop recording goes on until stopped (each pass is a take)


class Recording(RecordBase):
    """R: record on the armed tracks, or stop the recording that is going on."""

    def action_record(self) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            return
        if app.sound.busy_recording:
            app.sound.stop_recording()
            self.recorder_state = "saving"
            self.query_one(Transport).update(recording="saving")
            return
        armed = self.query_one(TrackTable).armed()
        if not armed:
            self.tell(ARM_FIRST, "warning")
            return
        prefs = app.prefs
        if app.sound.is_open(song.name):
            self.start_bar = self.bar_now()
        tb = song.timebase
        self.punch_in_frame = tb.bar_to_frame(self.start_bar)
        loop_bars = self.state.loop_bars if self.state.loop_first is not None else None
        if loop_bars:
            self.start_bar = self.state.loop_first or self.start_bar
            self.punch_in_frame = tb.bar_to_frame(self.start_bar)
        request = RecordRequest(
            song=song.name,
            tracks=[TrackInput(track.name, setup.inputs) for track, setup in armed],
            seconds=float(prefs.max_take_seconds), device=prefs.device,
            blocksize=prefs.blocksize, monitor=armed[0][1].preset, click=self.state.click,
            count_in_bars=self.state.count_in_bars, start_bar=self.start_bar,
            loop_bars=loop_bars or None, passes=LOOP_PASSES if loop_bars else 1,
            actor=app.session.actor)
        self.last_error = None
        self.query_one("#message", Said).say(None)
        self.recorder_state = "starting"
        self.query_one(Transport).update(recording="starting")
        self.query_one("#in-meter", LevelMeter).reset_clip()
        self.background(lambda: app.sound.record(request), self.recorded,
                        failed=self.record_failed, group="recording")

    def recorded(self, result: RecordResult) -> None:
        self.recorder_state = "off"
        self.query_one(Transport).update(recording="off", rolling=False)
        for message in result.messages:
            self.studio_app().notify(message, severity="warning", timeout=10)
        if result.takes:
            seconds = max(t.frames / t.samplerate for t in result.takes)
            self.tell(SAVED, count=len(result.takes), seconds=seconds)
        else:
            self.tell(NOTHING_RECORDED, "warning")
        self.load_tracks(select_take=result.takes[-1].id if result.takes else None)
        self.open_console()

    def record_failed(self, error: BaseException) -> None:
        self.recorder_state = "off"
        self.query_one(Transport).update(recording="off", rolling=False)
        self.refused(error)
        self.open_console()
