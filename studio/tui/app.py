"""The studio in the terminal. This first screen shows the songs and which sound device is in
use; the full set of screens (record, beat, mix, review) grows from here (issue 6)."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, ListItem, ListView, Static

from studio.core.i18n import Words
from studio.services.studio import Studio

TITLE = Words(nb="Studio", en="Studio")
PRACTICE_BANNER = Words(
    nb="Øvingsenhet: fant ingen lydkort, så studioet bruker et innebygd testsignal.",
    en="Practice device: no sound card found, so the studio uses a built-in test signal.",
)
DEVICE_BANNER = Words(nb="Lydenhet: {name}", en="Sound device: {name}")
LOOKING = Words(nb="Ser etter lydenheter …", en="Looking for sound devices …")
NO_SONGS = Words(nb="Ingen sanger ennå.", en="No songs yet.")
QUIT = Words(nb="Avslutt", en="Quit")
RECOVERED = Words(
    nb="{count} opptak som ble avbrutt sist, er berget og ligger i biblioteket.",
    en="{count} takes that were cut off last time have been recovered and are in the library.",
)


class StudioApp(App[int]):
    CSS = """
    #device { padding: 0 1; background: $boost; }
    #device.practice { background: $warning 30%; }
    ListView { height: 1fr; }
    """
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("ctrl+q", "quit", QUIT.say(), priority=True)
    ]

    def __init__(self, studio: Studio | None = None) -> None:
        super().__init__()
        self.studio = studio or Studio()
        self.title = TITLE.say()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(LOOKING.say(), id="device")
        yield ListView(id="songs")
        yield Footer()

    def on_mount(self) -> None:
        songs = self.query_one("#songs", ListView)
        names = [s.name for s in self.studio.songs()] or [NO_SONGS.say()]
        for name in names:
            songs.append(ListItem(Static(name)))
        self.scan_devices()
        self.recover_takes()

    @work(thread=True, exclusive=True, group="recover")
    def recover_takes(self) -> None:
        """Takes a crash left behind are adopted when the studio starts, never deleted."""
        found = self.studio.recover_takes()
        if found:
            self.call_from_thread(self.notify, RECOVERED.say(count=len(found)), timeout=10)

    @work(thread=True, exclusive=True)
    def scan_devices(self) -> None:
        try:
            device = self.studio.pick_device(None)
        except Exception:
            device = None
        self.call_from_thread(self._show_device, device.name if device else None)

    def _show_device(self, name: str | None) -> None:
        banner = self.query_one("#device", Static)
        if name is None:
            banner.update(PRACTICE_BANNER.say())
            banner.add_class("practice")
        else:
            banner.update(DEVICE_BANNER.say(name=name))

    def on_unmount(self) -> None:
        self.studio.close()


def run_app() -> int:
    StudioApp().run()
    return 0
