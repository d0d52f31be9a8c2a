"""The record screen's takes panel: the takes of the chosen track, each with a one-line waveform
(✓ marks the take the track plays), the bigger waveform of the highlighted take, the waveforms
loaded in a worker, and "use this take"."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from studio.core.i18n import StudioError, Words
from studio.services import library
from studio.services.waveform import Waveform, take_waveform
from studio.tui.screens.base import Speaking
from studio.tui.speech import Said
from studio.tui.widgets.transport import clock
from studio.tui.widgets.waveform import WaveformView, sparkline

TAKES_OF = Words(nb="Opptak på «{track}» (Enter: bruk dette opptaket)",
                 en="Takes on “{track}” (Enter: use this take)")
NO_TAKES = Words(nb="Ingen opptak på dette sporet ennå.", en="No takes on this track yet.")
TAKE_LINE = Words(nb="{mark} Opptak {number}  {length}  {wave}",
                  en="{mark} Take {number}  {length}  {wave}")
IN_USE = Words(nb="✓", en="✓")
NOT_USED = Words(nb=" ", en=" ")
USED = Words(nb="Opptak {number} brukes nå på «{track}».",
             en="Take {number} is now used on “{track}”.")

WAVE_COLUMNS = 160  # the waveform of a take is computed this wide
SPARK_COLUMNS = 40  # and drawn this wide in the list


class TakesPanel(Vertical):
    """Title, list of takes and the waveform view; ``show_takes`` says which track's takes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.item: library.TrackTakes | None = None
        self.waveforms: dict[int, Waveform] = {}

    def compose(self) -> ComposeResult:
        yield Said(id="takes-title", classes="heading")
        with Horizontal(id="takes-row"):
            yield OptionList(id="takes")
        yield WaveformView(id="wave")

    def host(self) -> Speaking:
        """The screen the panel is on: it runs the slow work and tells people things."""
        screen = self.screen
        if not isinstance(screen, Speaking):
            raise TypeError("the takes panel belongs on a studio screen")
        return screen

    def show_takes(self, item: library.TrackTakes | None) -> None:
        self.item = item
        listing = self.query_one("#takes", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        title = self.query_one("#takes-title", Said)
        if item is None:
            title.say(None)
            self.query_one(WaveformView).clear()
            return
        title.say(TAKES_OF, track=item.track.name)
        if not item.takes:
            listing.add_option(Option(NO_TAKES.say(), disabled=True))
        for info in item.takes:
            wave = self.waveforms.get(info.take.id)
            listing.add_option(Option(TAKE_LINE.say(
                mark=(IN_USE if info.in_use else NOT_USED).say(), number=info.number,
                length=clock(info.seconds),
                wave=sparkline(wave.peaks(), SPARK_COLUMNS) if wave else ""),
                id=f"take-{info.take.id}"))
        if item.takes:
            listing.highlighted = min(highlighted or 0, len(item.takes) - 1)
        self.show_wave()

    def chosen(self) -> library.TakeInfo | None:
        """The highlighted take (None when the track has none)."""
        item = self.item
        listing = self.query_one("#takes", OptionList)
        if item is None or not item.takes or listing.highlighted is None:
            return None
        return item.takes[min(listing.highlighted, len(item.takes) - 1)]

    def show_wave(self) -> None:
        view = self.query_one(WaveformView)
        info = self.chosen()
        wave = self.waveforms.get(info.take.id) if info is not None else None
        if wave is None:
            view.clear()
        else:
            view.show(wave.low, wave.high)

    def highlight(self, index: int) -> None:
        self.query_one("#takes", OptionList).highlighted = index

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "takes":
            self.show_wave()

    def load_waveforms(self, tracks: list[library.TrackTakes]) -> None:
        """Compute, in a worker, the waveforms of the takes not drawn yet (restricted takes are
        not drawn), then show the list again with them."""
        host = self.host()
        app = host.studio_app()
        actor = app.session.actor
        wanted = [info.take for item in tracks for info in item.takes
                  if info.take.id not in self.waveforms and not info.take.restricted]
        if not wanted:
            return

        def job() -> list[Waveform]:
            out = []
            for take in wanted:
                try:
                    out.append(take_waveform(app.studio, take, WAVE_COLUMNS, actor=actor))
                except StudioError:
                    continue  # a take that cannot be shown has no picture; the list says so
            return out

        def got(waves: list[Waveform]) -> None:
            for wave in waves:
                self.waveforms[wave.take_id] = wave
            self.show_takes(self.item)

        host.background(job, got, group="waveforms", exclusive=True)

    def use_take(self, then: Callable[[int], None],
                 failed: Callable[[BaseException], None]) -> None:
        """The track plays the highlighted take from now on; ``then(take_id)`` afterwards, or
        ``failed(error)``."""
        item, info = self.item, self.chosen()
        if item is None or info is None:
            return
        host = self.host()
        app = host.studio_app()
        actor = app.session.actor

        def done(_: None) -> None:
            host.tell(USED, number=info.number, track=item.track.name)
            then(info.take.id)

        host.background(lambda: library.use_take(app.studio, actor, info.take), done,
                        failed=failed)
