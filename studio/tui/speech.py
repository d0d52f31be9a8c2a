"""Texts that follow the language switch.

Every text on screen is a :class:`~studio.core.i18n.Words` value. Widgets here keep the Words
they show (not the string), and :func:`resay` makes every one of them, and the key bindings in
the footer, say itself again in the current language, without rebuilding the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from studio.core.i18n import Words


@dataclass(frozen=True)
class Key:
    """A key binding whose footer text is Words."""

    key: str
    action: str
    words: Words
    show: bool = True
    priority: bool = False
    key_display: str | None = None

    def binding(self) -> Binding:
        return Binding(self.key, self.action, self.words.say(), show=self.show,
                       priority=self.priority, key_display=self.key_display)


def bind(node: DOMNode, keys: Iterable[Key]) -> None:
    """Give ``node`` its class bindings plus ``keys``, described in the current language."""
    merged = node._merged_bindings
    bindings = BindingsMap() if merged is None else merged.copy()
    for key in keys:
        bindings._add_binding(key.binding())
    node._bindings = bindings
    node.refresh_bindings()


class Said(Static):
    """A Static showing Words (with values), said again when the language changes."""

    def __init__(self, words: Words | None = None, *, id: str | None = None,
                 classes: str | None = None, values: Mapping[str, object] | None = None,
                 **more: object) -> None:
        self.words = words
        self.values = {**(values or {}), **more}
        super().__init__(self._text(), id=id, classes=classes)

    def _text(self) -> str:
        return self.words.say(None, **self.values) if self.words is not None else ""

    def say(self, words: Words | None, **values: object) -> None:
        self.words = words
        self.values = values
        self.update(self._text())

    def resay(self) -> None:
        self.update(self._text())

    @property
    def text(self) -> str:
        return self._text()


class SaidLabel(Label):
    def __init__(self, words: Words, *, id: str | None = None, classes: str | None = None,
                 **values: object) -> None:
        self.words = words
        self.values = values
        super().__init__(words.say(None, **values), id=id, classes=classes)

    def resay(self) -> None:
        self.update(self.words.say(None, **self.values))


class SaidButton(Button):
    def __init__(self, words: Words, *, id: str | None = None, variant: str = "default",
                 classes: str | None = None) -> None:
        self.words = words
        super().__init__(words.say(), id=id, variant=variant,  # type: ignore[arg-type]
                         classes=classes)

    def resay(self) -> None:
        self.label = self.words.say()


class SaidInput(Input):
    """An Input whose placeholder is Words."""

    def __init__(self, placeholder: Words, *, id: str | None = None, password: bool = False,
                 classes: str | None = None, max_length: int = 0) -> None:
        self.placeholder_words = placeholder
        super().__init__(placeholder=placeholder.say(), id=id, password=password,
                         classes=classes, max_length=max_length)

    def resay(self) -> None:
        self.placeholder = self.placeholder_words.say()


def resay(root: Widget | DOMNode) -> None:
    """Say every Said* widget under ``root`` again in the current language."""
    for widget in root.query("*"):
        if isinstance(widget, Said | SaidLabel | SaidButton | SaidInput):
            widget.resay()
