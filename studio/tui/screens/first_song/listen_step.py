"""Step 9: hear the song, mixed: the beat, the verse and the hook with the voice preset."""

from __future__ import annotations

from textual.app import ComposeResult

from studio.core.i18n import Words
from studio.tui.screens.first_song.flow import BEAT_BARS, Flow
from studio.tui.speech import Said
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport

LISTEN_HELP = Words(nb="Mellomrom spiller og stopper sangen. Ta deg god tid.",
                    en="Space plays and stops the song. Take your time.")
OUT = Words(nb="Lyd ut", en="Sound out")


class ListenStep(Flow):
    def compose_listen(self) -> ComposeResult:
        yield Said(LISTEN_HELP, classes="say")
        yield Transport(id="listen-transport", details=False)
        yield LevelMeter(OUT, id="out-meter")

    def enter_listen(self) -> None:
        self.open_console()

    def action_play(self) -> None:
        song = self.song
        end = None if song is None else song.timebase.bar_to_frame(BEAT_BARS + 1)
        self.play_or_stop(song, rewind_from=end)

    def tick_listen(self) -> None:
        sound = self.studio_app().sound
        song = self.song
        head = None if song is None else sound.playhead(song.name)
        if head is None:
            return
        self.query_one("#listen-transport", Transport).update(
            rolling=head.rolling, bar=head.bar, beat=head.beat, seconds=head.seconds)
        out = sound.output_meters()
        if out:
            self.query_one("#out-meter", LevelMeter).show_row(max(out, key=lambda r: r[0]))
