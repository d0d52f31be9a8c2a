"""The pads: one box per kit voice with the key that plays it (``1 kick  2 snare …``). A pad
struck a moment ago is lit, and marked with ``*`` so it reads without colour too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

FLASH_SECONDS = 0.15


class PadRow(Widget):
    DEFAULT_CSS = """
    PadRow { height: auto; min-height: 1; width: 1fr; padding: 0 1; }
    PadRow > .pads--key { color: $accent; text-style: bold; }
    PadRow > .pads--lit { background: $success; color: $text; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"pads--key", "pads--lit"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pads: list[tuple[str, str]] = []  # (key, voice) in grid order
        self.lit: set[str] = set()

    def show(self, pads: Sequence[tuple[str, str]]) -> None:
        if list(pads) != self.pads:
            self.pads = list(pads)
            self.refresh(layout=True)

    def strike(self, voice: str) -> None:
        """Light ``voice``'s pad for a moment."""
        self.lit.add(voice)
        self.refresh()

        def dim() -> None:
            self.lit.discard(voice)
            self.refresh()

        self.set_timer(FLASH_SECONDS, dim)

    def render(self) -> RenderableType:
        key_style = self.get_component_rich_style("pads--key", partial=True)
        lit_style = self.get_component_rich_style("pads--lit", partial=True)
        line = Text()
        for index, (key, voice) in enumerate(self.pads):
            if index:
                line.append("  ")
            lit = voice in self.lit
            line.append(f"[{key}]", lit_style if lit else key_style)
            line.append(f"{voice}{'*' if lit else ' '}", lit_style if lit else "")
        return line
