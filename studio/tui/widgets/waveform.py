"""Waveform overviews: one line of bars per take in a list, and a bigger picture of the chosen
take. The numbers come from :mod:`studio.services.waveform` (computed in a worker).

Heights are drawn on a decibel scale (-48 dBFS is the bottom, full scale the top), so a voice
recorded at a sensible level (peaks around -12 dBFS) fills three quarters of the height instead
of a quarter, and quiet passages still show."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from studio.core.i18n import Words

BARS = " ▁▂▃▄▅▆▇█"
RANGE_DB = 48.0


def height(value: float) -> float:
    """A sample level (0..1, linear) as a height (0..1) on the decibel scale."""
    if value <= 0.0:
        return 0.0
    return min(max(1.0 + 20.0 * math.log10(value) / RANGE_DB, 0.0), 1.0)
NO_PICTURE = Words(nb="(ingen bølgeform ennå)", en="(no waveform yet)")


def squeeze(values: Sequence[float], width: int) -> list[float]:
    """``values`` fitted into ``width`` columns, keeping the largest in each."""
    if width <= 0 or not values:
        return []
    n = len(values)
    return [max(values[(i * n) // width: max(((i + 1) * n) // width, (i * n) // width + 1)])
            for i in range(width)]


def sparkline(peaks: Sequence[float], width: int) -> str:
    """One line of bars, one per column, for peak levels from 0 to 1 (linear)."""
    out = []
    for value in squeeze(peaks, width):
        level = height(value)
        out.append(BARS[max(round(level * (len(BARS) - 1)), 1)] if level > 0 else "·")
    return "".join(out)


class WaveformView(Widget):
    """The chosen take drawn over several rows: highest sample above the middle line, lowest
    below it (``·`` where the column is silent)."""

    DEFAULT_CSS = """
    WaveformView { height: 4; width: 1fr; }
    WaveformView > .waveform--wave { color: $accent; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"waveform--wave"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.low: tuple[float, ...] = ()
        self.high: tuple[float, ...] = ()

    def show(self, low: Sequence[float], high: Sequence[float]) -> None:
        self.low, self.high = tuple(low), tuple(high)
        self.refresh()

    def clear(self) -> None:
        self.show((), ())

    def render(self) -> RenderableType:
        width, rows = max(self.size.width, 1), max(self.size.height, 2)
        if not self.high:
            return Text(NO_PICTURE.say())
        upper = rows // 2
        lower = rows - upper
        ups = [height(v) for v in squeeze(self.high, width)]
        downs = [height(v) for v in squeeze([-v for v in self.low], width)]
        style = self.get_component_rich_style("waveform--wave", partial=True)
        lines = []
        for row in range(upper):  # rows above the middle line grow upwards
            from_middle = upper - 1 - row
            cells = []
            for up, down in zip(ups, downs, strict=True):
                eighths = min(max(round(up * upper * 8) - from_middle * 8, 0), 8)
                silent = from_middle == 0 and up <= 0.0 and down <= 0.0
                cells.append("·" if silent else BARS[eighths])
            lines.append(Text("".join(cells), style))
        for row in range(lower):  # rows below it grow downwards
            cells = []
            for down in downs:
                eighths = min(max(round(down * lower * 8) - row * 8, 0), 8)
                cells.append("█" if eighths == 8 else "▀" if eighths >= 4
                             else "▔" if eighths else " ")
            lines.append(Text("".join(cells), style))
        return Text("\n").join(lines)
