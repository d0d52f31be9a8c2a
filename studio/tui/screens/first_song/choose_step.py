"""Step 8: the takes of the verse and the hook, each with a small waveform; Enter uses one
(✓ marks the take in use)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from studio.core.i18n import StudioError, Words
from studio.services import library
from studio.services.waveform import Waveform, take_waveform
from studio.tui.screens.first_song.flow import Flow
from studio.tui.screens.first_song.record_steps import HOOK_TRACK, VERSE_TRACK
from studio.tui.speech import Said
from studio.tui.widgets.transport import clock
from studio.tui.widgets.waveform import sparkline

CHOOSE_HELP = Words(nb="Velg det beste opptaket for hvert spor med Enter (✓ brukes nå).",
                    en="Choose the best take for each track with Enter (✓ is used now).")
TAKE_LINE = Words(nb="{mark} {track} · opptak {number}  {length}  {wave}",
                  en="{mark} {track} · take {number}  {length}  {wave}")
NO_TAKES = Words(nb="Ingen opptak ennå: gå tilbake og ta opp.",
                 en="No takes yet: go back and record.")

WAVE_COLUMNS = 60


class ChooseStep(Flow):
    def compose_choose(self) -> ComposeResult:
        yield Said(CHOOSE_HELP, classes="say")
        yield OptionList(id="takes")

    def enter_choose(self) -> None:
        self.load_takes()
        self.query_one("#takes", OptionList).focus()

    def load_takes(self) -> None:
        app = self.studio_app()
        song, actor = self.song, app.session.actor
        if song is None:
            return
        vocal = {VERSE_TRACK.nb, VERSE_TRACK.en, HOOK_TRACK.nb, HOOK_TRACK.en}

        def job() -> tuple[list[tuple[str, library.TakeInfo]], list[Waveform]]:
            takes = [(item.track.name, info)
                     for item in library.tracks_and_takes(app.studio, song)
                     if item.track.name in vocal for info in item.takes]
            waves = []
            for _, info in takes:
                if info.take.id not in self.waveforms:
                    try:
                        waves.append(take_waveform(app.studio, info.take, WAVE_COLUMNS,
                                                   actor=actor))
                    except StudioError:
                        continue
            return takes, waves

        def got(result: tuple[list[tuple[str, library.TakeInfo]], list[Waveform]]) -> None:
            self.takes, waves = result
            for wave in waves:
                self.waveforms[wave.take_id] = wave
            self.show_takes()

        self.background(job, got, group="takes", exclusive=True)

    def show_takes(self) -> None:
        listing = self.query_one("#takes", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        if not self.takes:
            listing.add_option(Option(NO_TAKES.say(), disabled=True))
        for track, info in self.takes:
            wave = self.waveforms.get(info.take.id)
            listing.add_option(Option(TAKE_LINE.say(
                mark="✓" if info.in_use else " ", track=track, number=info.number,
                length=clock(info.seconds), wave=sparkline(wave.peaks(), 30) if wave else "")))
        if self.takes:
            listing.highlighted = min(highlighted or 0, len(self.takes) - 1)

    def use_take(self, index: int) -> None:
        app = self.studio_app()
        if not 0 <= index < len(self.takes):
            return
        take = self.takes[index][1].take
        actor = app.session.actor
        self.background(lambda: library.use_take(app.studio, actor, take),
                        lambda _: self.load_takes())
