"""The transport line: recording or not (colour AND words), playing or stopped, where in the
song (bar.beat and minutes:seconds), click, count-in and loop."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from studio.core.i18n import Words

RECORDING = Words(nb="● TAR OPP", en="● RECORDING")
NOT_RECORDING = Words(nb="○ Tar ikke opp", en="○ Not recording")
COUNT_IN = Words(nb="◌ Inntelling …", en="◌ Count-in …")
STARTING = Words(nb="◌ Starter …", en="◌ Starting …")
SAVING = Words(nb="◌ Lagrer opptaket …", en="◌ Saving the take …")
PLAYING = Words(nb="▶ Spiller", en="▶ Playing")
STOPPED = Words(nb="■ Stoppet", en="■ Stopped")
POSITION = Words(nb="Takt {bar}.{beat}", en="Bar {bar}.{beat}")
CLICK_ON = Words(nb="Klikk: på", en="Click: on")
CLICK_OFF = Words(nb="Klikk: av", en="Click: off")
COUNT_BARS = Words(nb="Inntelling: {bars} takt", en="Count-in: {bars} bar")
NO_COUNT = Words(nb="Inntelling: ingen", en="Count-in: none")
LOOP_OFF = Words(nb="Loop: av", en="Loop: off")
LOOP_ON = Words(nb="Loop: takt {first}–{last}", en="Loop: bars {first}–{last}")


@dataclass(frozen=True)
class TransportState:
    recording: str = "off"  # "off", "starting", "count-in", "on", "saving"
    rolling: bool = False
    bar: int = 1
    beat: int = 1
    seconds: float = 0.0
    click: bool = True
    count_in_bars: int = 1
    loop_first: int | None = None
    loop_bars: int = 0


def clock(seconds: float) -> str:
    """``m:ss.t``, e.g. 1:05.3."""
    seconds = max(seconds, 0.0)
    minutes = int(seconds // 60)
    return f"{minutes}:{seconds - 60 * minutes:04.1f}"


class Transport(Widget):
    DEFAULT_CSS = """
    Transport { height: 2; padding: 0 1; background: $boost; }
    Transport > .transport--recording { background: $error; color: $text; text-style: bold; }
    Transport > .transport--waiting { background: $warning 60%; color: $text; text-style: bold; }
    Transport > .transport--idle { color: $foreground 70%; }
    Transport > .transport--info { color: $foreground; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transport--recording", "transport--waiting", "transport--idle", "transport--info",
    }

    def __init__(self, *, id: str | None = None, details: bool = True) -> None:
        """``details`` False leaves out the second line (click, count-in, loop): for
        listening only."""
        super().__init__(id=id)
        self.state = TransportState()
        self.details = details
        if not details:
            self.styles.height = 1

    def show(self, state: TransportState) -> None:
        if state != self.state:
            self.state = state
            self.refresh()

    def update(self, **changes: object) -> None:
        self.show(replace(self.state, **changes))  # type: ignore[arg-type]

    def recording_words(self) -> Words:
        return {"on": RECORDING, "count-in": COUNT_IN, "starting": STARTING,
                "saving": SAVING}.get(self.state.recording, NOT_RECORDING)

    def render(self) -> RenderableType:
        s = self.state
        kind = {"on": "recording", "off": "idle"}.get(s.recording, "waiting")
        rec = Text(f" {self.recording_words().say()} ",
                   self.get_component_rich_style(f"transport--{kind}", partial=True))
        info = self.get_component_rich_style("transport--info", partial=True)
        line1 = Text.assemble(rec, "   ", ((PLAYING if s.rolling else STOPPED).say(), info),
                              "   ", (POSITION.say(bar=s.bar, beat=s.beat), info),
                              "   ", (clock(s.seconds), info))
        if not self.details:
            return line1
        loop = (LOOP_ON.say(first=s.loop_first, last=s.loop_first + s.loop_bars - 1)
                if s.loop_first is not None and s.loop_bars > 0 else LOOP_OFF.say())
        count = COUNT_BARS.say(bars=s.count_in_bars) if s.count_in_bars else NO_COUNT.say()
        line2 = Text("   ".join([(CLICK_ON if s.click else CLICK_OFF).say(), count, loop]),
                     self.get_component_rich_style("transport--idle", partial=True))
        return Text("\n").join([line1, line2])
