"""What the parts of the record screen share: the song and its tracks as loaded, the transport
settings, the open console, and refusals that stay on the screen in words."""

from __future__ import annotations

from collections.abc import Callable

from studio.core.i18n import StudioError, Words
from studio.core.song import Song
from studio.services import library
from studio.services.console import Console
from studio.tui.screens.base import StudioScreen
from studio.tui.screens.record.takes_panel import TakesPanel
from studio.tui.screens.record.track_table import TrackTable
from studio.tui.sound import SoundOff
from studio.tui.speech import Said
from studio.tui.widgets.transport import TransportState

SONG_LINE = Words(nb="«{name}» · {artist} · {tempo:g} BPM · {state}",
                  en="“{name}” · {artist} · {tempo:g} BPM · {state}")
NO_ARTIST = Words(nb="øvingssang", en="practice song")
NO_TRACKS = Words(nb="Ingen spor ennå: trykk T for et nytt spor (for eksempel «vokal»).",
                  en="No tracks yet: press T for a new track (for example \"vocal\").")


class RecordBase(StudioScreen):
    """The state and the work the track table, the takes, the transport and recording share."""

    def __init__(self) -> None:
        super().__init__()
        self.song: Song | None = None
        self.entry: library.LibraryEntry | None = None
        self.state = TransportState()  # click, count-in and loop as chosen here
        self.punch_in_frame = 0
        self.start_bar = 1
        self.recorder_state = "off"
        self.last_error: StudioError | None = None

    # the song and its tracks ------------------------------------------------------------------
    def load_tracks(self, select_take: int | None = None) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            return

        def job() -> tuple[library.LibraryEntry, list[library.TrackTakes]]:
            fresh = app.studio.song(song.name)
            return library.entry(app.studio, app.session.actor, fresh), \
                library.tracks_and_takes(app.studio, fresh)

        def got(result: tuple[library.LibraryEntry, list[library.TrackTakes]]) -> None:
            self.entry, tracks = result
            self.song = self.entry.song
            table = self.query_one(TrackTable)
            table.use_tracks(tracks)
            self.show_song_line()
            self.show_tracks()
            self.query_one(TakesPanel).load_waveforms(table.tracks)
            if select_take is not None:
                self.select_take(select_take)

        self.background(job, got, group="tracks", exclusive=True)

    def show_song_line(self) -> None:
        entry = self.entry
        if entry is None:
            return
        song = entry.song
        self.query_one("#song-line", Said).say(
            SONG_LINE, name=song.name, artist=entry.artist or NO_ARTIST, tempo=song.tempo_bpm,
            state=library.STATE_WORDS[entry.state])

    def show_tracks(self) -> None:
        table = self.query_one(TrackTable)
        table.show_tracks()
        self.show_takes()
        message = self.query_one("#message", Said)
        if self.last_error is None:
            message.say(None if table.tracks else NO_TRACKS)

    def show_takes(self) -> None:
        self.query_one(TakesPanel).show_takes(self.query_one(TrackTable).selected())

    def select_take(self, take_id: int) -> None:
        index = self.query_one(TrackTable).select_take(take_id)
        if index is not None:
            self.show_takes()
            self.query_one(TakesPanel).highlight(index)

    # the console ------------------------------------------------------------------------------
    def open_console(self) -> None:
        app = self.studio_app()
        song, actor, choice = self.song, app.session.actor, app.engine_choice()
        if song is None:
            return

        click = self.state.click

        def start(console: Console) -> bool:
            console.set_click(click)
            return console.practice

        def opened(practice: bool) -> None:
            if practice:
                app.show_device(None)

        def failed(error: BaseException) -> None:
            if not isinstance(error, SoundOff):  # said when someone wants to listen
                self.refused(error)

        self.background(lambda: app.sound.run(song.name, actor, choice, start), opened,
                        failed=failed, group="console", exclusive=True)

    def bar_now(self) -> int:
        song = self.song
        head = self.studio_app().sound.playhead(song.name) if song else None
        return head.bar if head is not None else 1

    def with_console(self, job: Callable[[Console], object]) -> None:
        """Do ``job`` in a worker with the open console (nothing when none is open)."""
        song = self.song
        sound = self.studio_app().sound
        if song is None or sound.busy_recording:
            return
        name = song.name
        self.background(lambda: sound.with_open(name, job), group="transport")

    def refused(self, error: BaseException) -> None:
        """A refusal or a plain problem: its words stay on the screen and in a notification."""
        if isinstance(error, StudioError):
            self.last_error = error
            self.query_one("#message", Said).say(error.words, **error.values)
        self.fail(error)
