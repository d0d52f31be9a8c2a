"""Steps 5–7: the microphone level with a live meter ("sing the loudest line"), then a verse
and a hook, each counted in by one bar of clicks and recorded with one key."""

from __future__ import annotations

from textual.app import ComposeResult

from studio.core.i18n import StudioError, Words
from studio.services.recording import RecordRequest, RecordResult, TrackInput
from studio.tui.screens.first_song.flow import HOOK_BAR, NO_SONG_YET, Flow
from studio.tui.speech import Said
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport

LEVEL_HELP = Words(
    nb="Syng eller rapp den sterkeste linja di nå. Måleren viser nivået; KLIPP betyr for sterkt.",
    en="Sing or rap your loudest line now. The meter shows the level; CLIP means too loud.",
)
STARTING = Words(nb="Starter lyden …", en="Starting the sound …")
MIC = Words(nb="Mikrofon", en="Microphone")
RECORD_HELP = Words(
    nb="Trykk R: du hører én takt med klikk, så tar vi opp. Trykk R igjen for å stoppe. "
       "Du kan ta opp så mange ganger du vil.",
    en="Press R: you hear one bar of clicks, then we record. Press R again to stop. You can "
       "record as many times as you like.",
)
VERSE_TRACK = Words(nb="vers", en="verse")
HOOK_TRACK = Words(nb="refreng", en="hook")
TAKE_SAVED = Words(nb="Opptak lagret ({seconds:.1f} s). R for et nytt forsøk, Ctrl+N for neste.",
                   en="Take saved ({seconds:.1f} s). R to try again, Ctrl+N for the next step.")
NOTHING_SAVED = Words(nb="Ingenting ble tatt opp. Trykk R for å prøve igjen.",
                      en="Nothing was recorded. Press R to try again.")

MAX_VERSE_SECONDS = 300


class RecordSteps(Flow):
    def compose_level(self) -> ComposeResult:
        yield Said(LEVEL_HELP, classes="say")
        yield LevelMeter(MIC, id="level-meter")
        yield Said(id="advice", classes="say")

    def compose_take(self, step: str) -> ComposeResult:
        yield Said(RECORD_HELP, classes="say")
        yield Transport(id=f"{step}-transport")
        yield LevelMeter(MIC, id=f"{step}-meter")
        yield Said(id=f"{step}-state", classes="say")

    def compose_verse(self) -> ComposeResult:
        return self.compose_take("verse")

    def compose_hook(self) -> ComposeResult:
        return self.compose_take("hook")

    # 5. level ---------------------------------------------------------------------------------
    def enter_level(self) -> None:
        self.query_one("#level-meter", LevelMeter).reset_clip()
        self.query_one("#advice", Said).say(STARTING)
        self.open_console()

    def tick_level(self) -> None:
        meter = self.query_one("#level-meter", LevelMeter)
        rows = self.studio_app().sound.input_meters()
        meter.show_row(rows[0] if rows else None)
        if rows:
            self.query_one("#advice", Said).say(meter.advice())

    # 6./7. verse and hook ---------------------------------------------------------------------
    def enter_verse(self) -> None:
        self.open_console()

    def enter_hook(self) -> None:
        self.open_console()

    def action_record(self) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            self.tell(NO_SONG_YET, "warning")
            return
        if app.sound.busy_recording:
            app.sound.stop_recording()
            self.query_one(f"#{self.current}-transport", Transport).update(recording="saving")
            return
        step = self.current
        track = (VERSE_TRACK if step == "verse" else HOOK_TRACK).say()
        start_bar = 1 if step == "verse" else HOOK_BAR
        self.recording_track = step
        self.punch_in = song.timebase.bar_to_frame(start_bar)
        request = RecordRequest(song=song.name, tracks=[TrackInput(track, (1,))],
                                seconds=float(MAX_VERSE_SECONDS), device=app.prefs.device,
                                blocksize=app.prefs.blocksize, monitor=self.preset, click=True,
                                count_in_bars=1, start_bar=start_bar, actor=app.session.actor)
        self.query_one(f"#{step}-meter", LevelMeter).reset_clip()
        self.query_one(f"#{step}-state", Said).say(None)
        self.query_one(f"#{step}-transport", Transport).update(recording="starting")

        def done(result: RecordResult) -> None:
            said = self.query_one(f"#{step}-state", Said)
            self.query_one(f"#{step}-transport", Transport).update(recording="off",
                                                                   rolling=False)
            for message in result.messages:
                app.notify(message, severity="warning", timeout=10)
            if result.takes:
                said.say(TAKE_SAVED, seconds=result.takes[-1].frames / result.takes[-1].samplerate)
            else:
                said.say(NOTHING_SAVED)
            self.recording_track = None
            self.open_console()

        def failed(error: BaseException) -> None:
            self.recording_track = None
            self.query_one(f"#{step}-transport", Transport).update(recording="off")
            if isinstance(error, StudioError):
                self.query_one(f"#{step}-state", Said).say(error.words, **error.values)
            self.fail(error)
            self.open_console()

        self.background(lambda: app.sound.record(request), done, failed=failed,
                        group="recording")


    def tick_verse(self) -> None:
        self.tick_take("verse")

    def tick_hook(self) -> None:
        self.tick_take("hook")

    def tick_take(self, step: str) -> None:
        """The input meter, and while recording: count-in, recording, bars and time."""
        sound = self.studio_app().sound
        song = self.song
        if song is None:
            return
        transport = self.query_one(f"#{step}-transport", Transport)
        rows = sound.input_meters()
        self.query_one(f"#{step}-meter", LevelMeter).show_row(rows[0] if rows else None)
        if not sound.busy_recording:
            return
        status = sound.progress
        frame = int(status.get("song_frame", 0))
        rolling = status.get("state", 0) == 1
        state = transport.state.recording
        if status.get("recording", 0) == 1:
            state = "on"
        elif rolling and frame < self.punch_in:
            state = "count-in"
        bar, beat, _ = song.timebase.frame_to_bar_beat(max(frame, 0))
        transport.update(recording=state, rolling=rolling, bar=bar, beat=beat,
                         seconds=frame / song.samplerate)
