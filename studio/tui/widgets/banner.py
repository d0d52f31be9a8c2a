"""The line that says which sound device the studio uses, and plainly when it is the built-in
practice device (no sound card found)."""

from __future__ import annotations

from studio.core.i18n import Words
from studio.tui.speech import Said

PRACTICE_BANNER = Words(
    nb="Øvingsenhet: fant ikke noe lydkort, så et innebygd testsignal brukes.",
    en="Practice device: no sound card found, so a built-in test signal is used.",
)
DEVICE_BANNER = Words(nb="Lydenhet: {name}", en="Sound device: {name}")
LOOKING = Words(nb="Ser etter lydenheter …", en="Looking for sound devices …")


class DeviceBanner(Said):
    DEFAULT_CSS = """
    DeviceBanner { padding: 0 1; background: $boost; height: 1; }
    DeviceBanner.practice { background: $warning 30%; }
    """

    def __init__(self) -> None:
        super().__init__(LOOKING, id="device")

    def on_mount(self) -> None:
        words, values = getattr(self.app, "device_words", (LOOKING, {}))
        self.show(words, values)

    def show(self, words: Words, values: dict[str, object]) -> None:
        self.say(words, **values)
        self.set_class(words is PRACTICE_BANNER, "practice")
