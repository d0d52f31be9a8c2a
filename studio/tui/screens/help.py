"""Help: the words of the studio in one sentence each, and the keys of the screen you came
from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header

from studio.core.i18n import Words
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Said

TITLE = Words(nb="Hjelp", en="Help")
WORDS_HEADING = Words(nb="Ordene i studioet", en="The words of the studio")
GLOSSARY = (
    Words(nb="Opptak (take): én gang du tar opp på et spor; det tas vare på som det er og "
             "endres aldri.",
          en="Take: one recorded pass on one track; it is kept as it is and never changed."),
    Words(nb="Klipp (clip): en bit av et opptak plassert på et spor; på måleren betyr KLIPP at "
             "lyden var så sterk at toppene ble kuttet, og da bør du skru ned.",
          en="Clip: a piece of a take placed on a track; on the meter, CLIP means the sound was "
             "so loud that its peaks were cut off, and you should turn down."),
    Words(nb="Lydoppsett (preset): en ferdig kjede av effekter, for eksempel for rap-vokal, så "
             "du slipper å skru på knapper.",
          en="Preset: a ready-made chain of effects, for example for a rap vocal, so you do not "
             "have to turn knobs."),
    Words(nb="Master: den ferdige, jevne og høye versjonen av sangen som kan tas med ut av "
             "studioet.",
          en="Master: the finished, even and loud version of the song that can leave the "
             "studio."),
    Words(nb="Samtykke: ditt ja til hva som kan skje med opptakene; du kan trekke det tilbake "
             "når som helst.",
          en="Consent: your yes to what may happen with the recordings; you can take it back "
             "at any time."),
    Words(nb="Gjennomgang: musikkterapeuten lytter og leser teksten før noe publiseres.",
          en="Review: the therapist listens and reads the lyrics before anything is released."),
)
KEYS_HEADING = Words(nb="Tastene på skjermen «{screen}»", en="Keys on the \"{screen}\" screen")
EVERYWHERE = Words(nb="Overalt: ctrl+q avslutt, F1 hjelp, ctrl+l lås, F2 språk, Esc tilbake.",
                   en="Everywhere: ctrl+q quit, F1 help, ctrl+l lock, F2 language, Esc back.")


def key_lines(screen: Screen[object]) -> list[str]:
    """``key  what it does`` for every binding the screen shows in its footer."""
    lines = []
    for key, bindings in screen._bindings.key_to_bindings.items():
        for binding in bindings:
            if binding.show and binding.description:
                lines.append(f"{binding.key_display or key:>8}  {binding.description}")
    return lines


class HelpScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    HelpScreen VerticalScroll { padding: 0 1; }
    HelpScreen .glossary { padding: 0 0 1 2; height: auto; }
    """

    def __init__(self, came_from: Screen[object]) -> None:
        self.came_from = came_from
        super().__init__()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Said(WORDS_HEADING, classes="heading")
            for words in GLOSSARY:
                yield Said(words, classes="glossary")
            yield Said(KEYS_HEADING, id="keys-heading", classes="heading",
                       screen=self.came_from.sub_title)
            yield Said(id="keys", classes="glossary")
            yield Said(EVERYWHERE, classes="glossary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.on_language()

    def on_language(self) -> None:
        self.query_one("#keys-heading", Said).say(KEYS_HEADING, screen=self.came_from.sub_title)
        lines = "\n".join(key_lines(self.came_from))
        self.query_one("#keys", Said).say(Words(nb=lines, en=lines))
