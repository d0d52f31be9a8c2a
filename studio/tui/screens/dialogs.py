"""Small questions: yes or no, or one line of text."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input

from studio.core.i18n import Words
from studio.tui.common import CANCEL, NO, OK, YES
from studio.tui.screens.base import StudioModal
from studio.tui.speech import Key, Said, SaidButton, SaidInput

DIALOG_CSS = """
NAME { align: center middle; }
NAME > Vertical {
    width: 70; max-width: 100%; height: auto; padding: 1 2;
    border: thick $primary; background: $surface;
}
NAME Horizontal { height: auto; margin-top: 1; }
NAME Button { margin-right: 2; }
"""


class Confirm(StudioModal[bool]):
    DEFAULT_CSS = DIALOG_CSS.replace("NAME", "Confirm")
    KEYS: ClassVar[tuple[Key, ...]] = (Key("escape", "no", NO), Key("y", "yes", YES, show=False),
                                       Key("j", "yes", YES, show=False))

    def __init__(self, question: Words, **values: object) -> None:
        self.question = question
        self.values = values
        super().__init__()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Said(self.question, values=self.values)
            with Horizontal():
                yield SaidButton(YES, id="yes", variant="warning")
                yield SaidButton(NO, id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class Ask(StudioModal[str | None]):
    """One line of text (a name, a note); None when cancelled."""

    DEFAULT_CSS = DIALOG_CSS.replace("NAME", "Ask")
    KEYS: ClassVar[tuple[Key, ...]] = (Key("escape", "cancel", CANCEL),)

    def __init__(self, question: Words, placeholder: Words, value: str = "",
                 **values: object) -> None:
        self.question = question
        self.placeholder = placeholder
        self.value = value
        self.values = values
        super().__init__()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Said(self.question, values=self.values)
            yield SaidInput(self.placeholder, id="answer")
            with Horizontal():
                yield SaidButton(OK, id="ok", variant="primary")
                yield SaidButton(CANCEL, id="cancel")

    def on_mount(self) -> None:
        field = self.query_one("#answer", Input)
        field.value = self.value
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.dismiss(self.query_one("#answer", Input).value)
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
