"""The locked console: no names, no songs, nothing of the last person's on screen. The same
person signs in to carry on where they were; someone else signs in to start afresh."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Footer, Header

from studio.core.i18n import StudioError, Words
from studio.core.people import Actor
from studio.services.access import sign_in
from studio.tui.common import plain
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Said
from studio.tui.widgets.signin import SignInForm

TITLE = Words(nb="Låst", en="Locked")
LOCKED = Words(nb="Konsollet er låst.", en="The console is locked.")
HOW = Words(
    nb="Logg inn for å fortsette. Logger en annen inn, starter de på startsiden.",
    en="Sign in to carry on. If someone else signs in, they start from the start screen.",
)


class LockScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    BACK_KEY = None
    DEFAULT_CSS = """
    LockScreen { align: center middle; }
    LockScreen #lock-box { width: 76; max-width: 100%; height: auto; padding: 1 2;
                           border: thick $primary; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="lock-box"):
            yield Said(LOCKED, classes="heading")
            yield Said(HOW, classes="plain")
            yield SignInForm()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(SignInForm).focus_name()

    def on_sign_in_form_submitted(self, message: SignInForm.Submitted) -> None:
        app = self.studio_app()
        form = message.form

        def done(actor: Actor) -> None:
            form.clear()
            app.unlock(actor)

        def refused(error: BaseException) -> None:
            if isinstance(error, StudioError):
                form.show_error(error)
            else:  # said in the form: notifications wait while the console is locked
                text = plain(error, app.log_file)
                form.show_message(Words(nb=text, en=text))

        self.background(lambda: sign_in(app.studio, message.name, message.secret), done,
                        failed=refused, group="sign-in", exclusive=True)
