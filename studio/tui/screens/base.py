"""What every studio screen has: key bindings in both languages (listed in the footer), the
header, texts that follow the language switch, and a safe way to do slow work in a thread and
come back with the result or a plain message."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from studio.core.i18n import Words
from studio.tui.common import BACK, plain, severity
from studio.tui.speech import Key, bind, resay

if TYPE_CHECKING:
    from studio.core.song import Song
    from studio.services.console import Console
    from studio.tui.app import StudioApp

T = TypeVar("T")

STOP_RECORDING_FIRST = Words(nb="Stopp opptaket først (R).", en="Stop the recording first (R).")


class Speaking:
    """Mixed into screens: bindings from ``KEYS`` and texts said again on a language switch."""

    KEYS: ClassVar[tuple[Key, ...]] = ()
    SCREEN_WORDS: ClassVar[Words | None] = None  # the screen's name in the header

    def studio_app(self) -> StudioApp:
        return cast("StudioApp", self.app)  # type: ignore[attr-defined]

    def keys(self) -> tuple[Key, ...]:
        return self.KEYS

    def resay(self) -> None:
        screen = cast(Screen[object], self)
        bind(screen, self.keys())
        resay(screen)
        if self.SCREEN_WORDS is not None:
            screen.sub_title = self.SCREEN_WORDS.say()
        self.on_language()

    def on_language(self) -> None:
        """Texts the screen draws itself (tables, lists) are drawn again here."""

    def tell(self, words: Words, severity: str = "information", **values: object) -> None:
        self.studio_app().notify(words.say(**values), severity=severity,  # type: ignore[arg-type]
                                 timeout=6)

    def fail(self, error: BaseException) -> None:
        app = self.studio_app()
        app.notify(plain(error, app.log_file), severity=severity(error),  # type: ignore[arg-type]
                   timeout=8)

    def background(self, job: Callable[[], T], then: Callable[[T], None] | None = None, *,
                   failed: Callable[[BaseException], None] | None = None,
                   group: str = "default", exclusive: bool = False) -> Worker[None]:
        """Run ``job`` in a thread; ``then(result)`` or ``failed(error)`` run on the UI thread
        afterwards (the error is shown in plain words when there is no ``failed``). Nothing
        comes back to a screen that has gone away."""
        screen = cast(Screen[object], self)
        app = self.studio_app()

        def deliver(fn: Callable[..., None], value: object) -> None:
            if screen.is_attached:
                fn(value)

        def run() -> None:
            try:
                result = job()
            except Exception as error:  # shown in plain words, never a traceback
                try:
                    app.call_from_thread(deliver, failed or self.fail, error)
                except RuntimeError:
                    pass  # the app is closing
                return
            if then is not None:
                try:
                    app.call_from_thread(deliver, then, result)
                except RuntimeError:
                    pass

        return screen.run_worker(run, thread=True, group=group, exclusive=exclusive,
                                 exit_on_error=False)

    def play_or_stop(self, song: Song | None, rewind_from: int | None = None) -> None:
        """Play the song from where it is, or stop it (in a worker; the song's console is
        opened when it is not). Playing from ``rewind_from`` or later starts from the top."""
        app = self.studio_app()
        actor, choice = app.session.actor, app.engine_choice()
        if song is None:
            return

        def toggle(console: Console) -> None:
            if console.rolling():
                console.stop()
                return
            if rewind_from is not None and console.playhead().song_frame >= rewind_from:
                console.locate(0)
            console.play()  # the song as it is in the catalog now

        self.background(lambda: app.sound.run(song.name, actor, choice, toggle),
                        group="transport")


class StudioScreen(Speaking, Screen[None]):
    BACK_KEY: ClassVar[Key | None] = Key("escape", "back", BACK)
    STOP_FIRST: ClassVar[bool] = False  # a screen that records: leaving waits for the stop

    def __init__(self) -> None:
        super().__init__()
        bind(self, self.keys())
        if self.SCREEN_WORDS is not None:
            self.sub_title = self.SCREEN_WORDS.say()

    def keys(self) -> tuple[Key, ...]:
        return (*((self.BACK_KEY,) if self.BACK_KEY else ()), *self.KEYS)

    def action_back(self) -> None:
        if self.studio_app().sound.busy_recording and self.STOP_FIRST:
            self.tell(STOP_RECORDING_FIRST, "warning")
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()


class StudioModal(Speaking, ModalScreen[T]):
    def __init__(self) -> None:
        super().__init__()
        bind(self, self.keys())
