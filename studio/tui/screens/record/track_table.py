"""The record screen's track table: one row per track saying whether it is armed, its input(s),
the monitor preset and how many takes it has. Each track has a :class:`TrackSetup` that the arm,
input and preset keys change; beat tracks and effect buses are listed but not recorded on."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import DataTable

from studio.core.i18n import Words
from studio.core.song import Track
from studio.services import library

INPUT_MONO = Words(nb="inn {a}", en="in {a}")
INPUT_STEREO = Words(nb="inn {a}+{b}", en="in {a}+{b}")
NO_PRESET = Words(nb="tørr", en="dry")
ARMED = Words(nb="● klar", en="● armed")
NOT_ARMED = Words(nb="–", en="–")
HEADERS = (Words(nb="Klar", en="Armed"), Words(nb="Spor", en="Track"),
           Words(nb="Inngang", en="Input"), Words(nb="Lydoppsett", en="Preset"),
           Words(nb="Opptak", en="Takes"))
WIDTHS = (9, 18, 9, 14, 7)
KIND_WORDS = {"beat": Words(nb="beat", en="beat"), "bus": Words(nb="effektbuss", en="effect bus")}

INPUT_CHOICES: tuple[tuple[int, ...], ...] = ((1,), (2,), (1, 2))
DEFAULT_PRESET = "vocal-clean"


@dataclass
class TrackSetup:
    armed: bool = False
    inputs: tuple[int, ...] = (1,)
    preset: str | None = DEFAULT_PRESET


def input_words(inputs: tuple[int, ...]) -> str:
    if len(inputs) == 2:
        return INPUT_STEREO.say(a=inputs[0], b=inputs[1])
    return INPUT_MONO.say(a=inputs[0])


class TrackTable(DataTable[str]):
    """The song's tracks with their setups; the cursor row is the track the keys work on."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.tracks: list[library.TrackTakes] = []
        self.setups: dict[int, TrackSetup] = {}
        self.presets: list[str] = []  # the monitor presets the preset key goes through

    def set_headers(self) -> None:
        self.clear(columns=True)
        for words, width in zip(HEADERS, WIDTHS, strict=True):
            self.add_column(words.say(), width=width)

    def use_tracks(self, tracks: list[library.TrackTakes]) -> None:
        """Take the song's tracks as loaded; a track seen for the first time gets a setup, armed
        when it is the song's only audio track."""
        self.tracks = tracks
        default = DEFAULT_PRESET if DEFAULT_PRESET in self.presets else None
        audio = [item for item in tracks if item.track.kind == "audio"]
        for item in tracks:
            self.setups.setdefault(item.track.id, TrackSetup(
                armed=len(audio) == 1 and item.track.kind == "audio", preset=default))

    def show_tracks(self) -> None:
        """Draw the rows again, keeping the cursor on the same row where it still exists."""
        row = self.cursor_row
        self.clear()
        for item in self.tracks:
            setup = self.setups[item.track.id]
            if item.track.kind != "audio":  # a beat track plays; it is not recorded
                kind = KIND_WORDS.get(item.track.kind)
                self.add_row("–", item.track.name, kind.say() if kind else "–", "–", "–",
                             key=str(item.track.id))
                continue
            self.add_row((ARMED if setup.armed else NOT_ARMED).say(), item.track.name,
                         input_words(setup.inputs), setup.preset or NO_PRESET.say(),
                         str(len(item.takes)), key=str(item.track.id))
        if self.tracks:
            self.move_cursor(row=min(max(row, 0), len(self.tracks) - 1))

    def selected(self) -> library.TrackTakes | None:
        if not self.tracks:
            return None
        return self.tracks[min(max(self.cursor_row, 0), len(self.tracks) - 1)]

    def current_setup(self) -> TrackSetup | None:
        item = self.selected()
        return self.setups.get(item.track.id) if item else None

    def armed(self) -> list[tuple[Track, TrackSetup]]:
        return [(item.track, self.setups[item.track.id]) for item in self.tracks
                if self.setups[item.track.id].armed]

    def select_take(self, take_id: int) -> int | None:
        """Move the cursor to the track holding the take; its place in the track's takes."""
        for row, item in enumerate(self.tracks):
            for index, info in enumerate(item.takes):
                if info.take.id == take_id:
                    self.move_cursor(row=row)
                    return index
        return None

    # the keys (each says whether it changed anything, so the screen draws the rows again) ----
    def toggle_arm(self) -> bool:
        setup = self.current_setup()
        if setup is None:
            return False
        setup.armed = not setup.armed
        return True

    def next_input(self) -> bool:
        setup = self.current_setup()
        if setup is None:
            return False
        index = INPUT_CHOICES.index(setup.inputs) if setup.inputs in INPUT_CHOICES else -1
        setup.inputs = INPUT_CHOICES[(index + 1) % len(INPUT_CHOICES)]
        return True

    def next_preset(self) -> bool:
        setup = self.current_setup()
        if setup is None:
            return False
        choices: list[str | None] = [None, *self.presets]
        index = choices.index(setup.preset) if setup.preset in choices else 0
        setup.preset = choices[(index + 1) % len(choices)]
        return True
