"""The sign-in form: name and PIN (or passphrase), and a line for what went wrong. It only
asks; the screen that holds it checks the secret (in a worker) and shows the answer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input

from studio.core.i18n import StudioError, Words
from studio.tui.speech import Said, SaidButton, SaidInput

NAME = Words(nb="Navn", en="Name")
SECRET = Words(nb="PIN eller kode", en="PIN or passphrase")
SIGN_IN = Words(nb="Logg inn", en="Sign in")
CHECKING = Words(nb="Sjekker …", en="Checking …")
NAME_NEEDED = Words(nb="Skriv navnet ditt og koden.", en="Type your name and your code.")


class SignInForm(Vertical):
    DEFAULT_CSS = """
    SignInForm { height: auto; padding: 0 1; }
    SignInForm Horizontal { height: auto; }
    SignInForm Input { width: 1fr; }
    SignInForm #signin-name { max-width: 24; }
    SignInForm #signin-secret { max-width: 26; }
    SignInForm #signin-message { color: $error; text-style: bold; height: auto; }
    """

    class Submitted(Message):
        def __init__(self, form: SignInForm, name: str, secret: str) -> None:
            super().__init__()
            self.form = form
            self.name = name
            self.secret = secret

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield SaidInput(NAME, id="signin-name")
            yield SaidInput(SECRET, id="signin-secret", password=True)
            yield SaidButton(SIGN_IN, id="signin-go", variant="primary")
        yield Said(id="signin-message")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "signin-name":
            self.query_one("#signin-secret", Input).focus()
        else:
            self.submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "signin-go":
            event.stop()
            self.submit()

    def submit(self) -> None:
        name = self.query_one("#signin-name", Input).value.strip()
        secret = self.query_one("#signin-secret", Input).value
        if not name or not secret:
            self.show_message(NAME_NEEDED)
            return
        self.show_message(CHECKING)
        self.post_message(self.Submitted(self, name, secret))

    def show_message(self, words: Words | None, **values: object) -> None:
        self.query_one("#signin-message", Said).say(words, **values)

    def show_error(self, error: StudioError) -> None:
        """A StudioError's own words (said again if the language changes)."""
        self.query_one("#signin-message", Said).say(error.words, **error.values)

    def clear(self) -> None:
        self.query_one("#signin-secret", Input).value = ""
        self.query_one("#signin-message", Said).say(None)

    def focus_name(self) -> None:
        self.query_one("#signin-name", Input).focus()
