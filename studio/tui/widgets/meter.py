"""A big, readable level meter with clip hold.

It draws what the engine measured (linear peak, RMS, clip flag, highest peak; see the services'
meters) as a bar from -60 dBFS to 0 dBFS: solid up to the average level, shaded up to the peak,
dots after. The loud end is coloured from the theme ($success, $warning, $error), and the words
say the same without colour: the level in dB and "CLIP" once anything reached full scale. The
clip mark holds until :meth:`LevelMeter.reset_clip` (a new take, or the clear key).
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from studio.core.i18n import Words

FLOOR_DB = -60.0
MID_DB = -18.0
HIGH_DB = -6.0
SCALE_MARKS = (-60, -40, -30, -20, -12, -6, 0)

CLIP_WORD = Words(nb="KLIPP", en="CLIP")
SILENT = Words(nb="stille", en="silent")
TOO_QUIET = Words(nb="For svakt: gå nærmere mikrofonen eller skru opp inngangen.",
                  en="Too quiet: move closer to the microphone or turn the input up.")
GOOD_LEVEL = Words(nb="Bra nivå.", en="Good level.")
TOO_LOUD = Words(nb="For sterkt: gå litt unna mikrofonen eller skru ned inngangen.",
                 en="Too loud: step back from the microphone a little or turn the input down.")
CLIPPED = Words(nb="Det klippet (for sterkt). Skru ned inngangen og prøv igjen.",
                en="It clipped (too loud). Turn the input down and try again.")


def to_db(linear: float) -> float:
    value = abs(float(linear))
    if not value or math.isnan(value):
        return -math.inf
    return 20.0 * math.log10(value)


def level_advice(peak_max_db: float, clipped: bool) -> Words:
    """What to tell someone singing the loudest line, from the highest peak they reached."""
    if clipped:
        return CLIPPED
    if peak_max_db < -24.0:
        return TOO_QUIET
    if peak_max_db > HIGH_DB:
        return TOO_LOUD
    return GOOD_LEVEL


def _cells(db: float, width: int) -> int:
    if db <= FLOOR_DB:
        return 0
    return min(width, round((min(db, 0.0) - FLOOR_DB) / -FLOOR_DB * width))


class LevelMeter(Widget):
    """``big`` meters are four rows (name and level, a two-row bar, a dB scale); small ones
    one row."""

    DEFAULT_CSS = """
    LevelMeter { height: 4; width: 1fr; }
    LevelMeter.small { height: 1; }
    LevelMeter > .meter--low { color: $success; }
    LevelMeter > .meter--mid { color: $warning; }
    LevelMeter > .meter--high { color: $error; }
    LevelMeter > .meter--empty { color: $foreground 40%; }
    LevelMeter > .meter--clip { background: $error; color: $text; text-style: bold; }
    LevelMeter > .meter--scale { color: $foreground 60%; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "meter--low", "meter--mid", "meter--high", "meter--empty", "meter--clip",
        "meter--scale",
    }

    def __init__(self, label: str | Words = "", *, big: bool = True, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        if not big:
            self.add_class("small")
        self.big = big
        self.label = label
        self.peak_db = -math.inf
        self.rms_db = -math.inf
        self.max_db = -math.inf  # the highest peak since the clip was reset
        self.clipped = False

    # values come down from the screen ---------------------------------------------------------
    def show(self, peak: float, rms: float, clip: float = 0.0, peak_max: float = 0.0) -> None:
        peak_db, rms_db = to_db(peak), to_db(rms)
        clipped = self.clipped or clip > 0.0 or abs(peak_max) >= 0.999
        max_db = max(self.max_db, to_db(peak_max), peak_db)
        # only redraw when something visible changed (a tenth of a dB)
        if (round(peak_db, 1), round(rms_db, 1), clipped, round(max_db, 1)) != (
                round(self.peak_db, 1), round(self.rms_db, 1), self.clipped,
                round(self.max_db, 1)):
            self.peak_db, self.rms_db, self.clipped, self.max_db = peak_db, rms_db, clipped, \
                max_db
            self.refresh()

    def show_row(self, row: list[float] | None) -> None:
        """One row of the services' meters: [peak, rms, clip hold, peak max]."""
        if not row:
            self.show(0.0, 0.0)
            return
        self.show(row[0], row[1], row[2] if len(row) > 2 else 0.0,
                  row[3] if len(row) > 3 else 0.0)

    def reset_clip(self) -> None:
        self.clipped = False
        self.max_db = -math.inf
        self.refresh()

    def advice(self) -> Words:
        return level_advice(self.max_db, self.clipped)

    # drawing ----------------------------------------------------------------------------------
    def _label(self) -> str:
        return self.label.say() if isinstance(self.label, Words) else self.label

    def _level_text(self) -> str:
        if self.peak_db == -math.inf or self.peak_db < FLOOR_DB:
            return SILENT.say()
        return f"{self.peak_db:5.1f} dB"

    def _bar(self, width: int) -> Text:
        low = self.get_component_rich_style("meter--low", partial=True)
        mid = self.get_component_rich_style("meter--mid", partial=True)
        high = self.get_component_rich_style("meter--high", partial=True)
        empty = self.get_component_rich_style("meter--empty", partial=True)
        solid = _cells(self.rms_db, width)
        shaded = max(solid, _cells(self.peak_db, width))
        held = _cells(self.max_db, width)
        text = Text()
        for cell in range(width):
            db = FLOOR_DB + (cell + 0.5) / width * -FLOOR_DB
            zone: Style = high if db > HIGH_DB else mid if db > MID_DB else low
            if cell < solid:
                text.append("█", zone)
            elif cell < shaded:
                text.append("▓", zone)
            elif cell == held - 1:
                text.append("│", zone)  # the highest peak since the last reset
            else:
                text.append("·", empty)
        return text

    def _scale(self, width: int) -> Text:
        line = [" "] * width
        for mark in SCALE_MARKS:
            label = str(mark)
            at = min(max(_cells(mark, width) - len(label), 0), width - len(label))
            if all(c == " " for c in line[max(at - 1, 0):at + len(label)]):
                line[at:at + len(label)] = list(label)
        return Text("".join(line), self.get_component_rich_style("meter--scale", partial=True))

    def render(self) -> RenderableType:
        width = max(self.size.width, 10)
        clip_style = self.get_component_rich_style("meter--clip", partial=True)
        clip_text = f" {CLIP_WORD.say()} " if self.clipped else ""
        if not self.big:
            head = f"{self._label()[:10]:<10} {self._level_text():>8} "
            bar_width = max(width - len(head) - len(clip_text), 4)
            text = Text(head)
            text.append_text(self._bar(bar_width))
            if clip_text:
                text.append(clip_text, clip_style)
            return text
        top = Text(f"{self._label()}  {self._level_text()}")
        if clip_text:
            top.append(" " * max(width - len(top.plain) - len(clip_text), 1))
            top.append(clip_text, clip_style)
        bar = self._bar(width)
        return Text("\n").join([top, bar, bar, self._scale(width)])
