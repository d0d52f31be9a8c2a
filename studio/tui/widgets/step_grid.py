"""The step grid of one beat pattern: kit voices down, steps across, a cursor, and a mark per
step that reads without colour (``·`` off, ``o`` soft, ``x`` hit, ``X`` accent). Arrow keys
move the cursor (the screen binds them); a click puts the cursor on a step and toggles it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from studio.core.beat import Pattern, VoiceLane

NAME_WIDTH = 11


def mark(velocity: int) -> str:
    if velocity <= 0:
        return "·"
    if velocity < 64:
        return "o"
    if velocity < 110:
        return "x"
    return "X"


class StepGrid(Widget, can_focus=True):
    DEFAULT_CSS = """
    StepGrid { height: auto; min-height: 4; width: 1fr; }
    StepGrid > .grid--cursor { background: $accent; color: $text; text-style: bold; }
    StepGrid > .grid--beat { color: $foreground 60%; }
    StepGrid > .grid--hit { color: $success; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"grid--cursor", "grid--beat", "grid--hit"}

    class Toggled(Message):
        """A click on a step: the screen toggles it."""

        def __init__(self, voice: int, step: int) -> None:
            super().__init__()
            self.voice = voice
            self.step = step

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pattern: Pattern | None = None
        self.voices: list[str] = []
        self.row = 0
        self.step = 0

    def show(self, pattern: Pattern | None, voices: Sequence[str]) -> None:
        self.pattern = pattern
        self.voices = list(voices)
        self.row = min(self.row, max(len(self.voices) - 1, 0))
        self.step = min(self.step, max((pattern.steps if pattern else 1) - 1, 0))
        self.styles.height = len(self.voices) + 1
        self.refresh()

    def move(self, rows: int, steps: int) -> None:
        if self.pattern is None or not self.voices:
            return
        self.row = (self.row + rows) % len(self.voices)
        self.step = (self.step + steps) % self.pattern.steps
        self.refresh()

    def velocity(self, voice: str, step: int) -> int:
        pattern = self.pattern
        if pattern is None:
            return 0
        lane: VoiceLane | None = pattern.voices.get(voice)
        if lane is None or step >= len(lane.velocities):
            return 0
        return lane.velocities[step]

    def _cell_x(self, step: int) -> int:
        per_beat = self.pattern.steps_per_beat if self.pattern else 4
        return NAME_WIDTH + step * 2 + step // per_beat

    def render(self) -> RenderableType:
        pattern = self.pattern
        if pattern is None:
            return Text("")
        cursor = self.get_component_rich_style("grid--cursor", partial=True)
        beat_style = self.get_component_rich_style("grid--beat", partial=True)
        hit = self.get_component_rich_style("grid--hit", partial=True)
        per_beat = pattern.steps_per_beat
        head = Text(" " * NAME_WIDTH)
        for step in range(pattern.steps):
            if step and step % per_beat == 0:
                head.append(" ")
            label = str(step // per_beat + 1) if step % per_beat == 0 else " "
            head.append(f"{label:<2}", beat_style)
        lines = [head]
        for row, voice in enumerate(self.voices):
            line = Text(f"{voice[:NAME_WIDTH - 1]:<{NAME_WIDTH}}")
            for step in range(pattern.steps):
                if step and step % per_beat == 0:
                    line.append("│", beat_style)
                velocity = self.velocity(voice, step)
                here = (row, step) == (self.row, self.step)
                style = cursor if here and self.has_focus else hit if velocity else beat_style
                line.append(mark(velocity), style)
                line.append("◂" if here else " ", beat_style)  # the cursor, without colour too
            lines.append(line)
        return Text("\n").join(lines)

    def on_click(self, event: events.Click) -> None:
        if self.pattern is None or event.y < 1 or event.y > len(self.voices):
            return
        for step in range(self.pattern.steps):
            x = self._cell_x(step)
            if x <= event.x <= x + 1:
                self.row, self.step = event.y - 1, step
                self.post_message(self.Toggled(self.row, step))
                self.refresh()
                return

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
