"""The studio in the terminal.

The app holds what every screen shares: the studio (services), who is at the console (the
session), the one open audio engine (:mod:`studio.tui.sound`), the settings, the sound device
found by the last scan, and the inactivity clock that locks the console. Screens live in
:mod:`studio.tui.screens`; they call :mod:`studio.services` only.

Keys that work everywhere: ctrl+q quits (asking first only while a recording runs), F1 shows
help for the screen, ctrl+l locks the console, F2 switches between bokmål and English.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import events, work
from textual.app import App
from textual.notifications import SeverityLevel

from studio.core.i18n import Language, Words, set_language
from studio.core.people import Actor
from studio.services.studio import Studio
from studio.tui import prefs as prefs_file
from studio.tui.common import HELP, LANGUAGE, LOCK, QUIT
from studio.tui.prefs import Prefs
from studio.tui.session import IdleClock, Session
from studio.tui.sound import EngineChoice, Sound
from studio.tui.speech import Key, bind
from studio.tui.widgets.banner import LOOKING, DeviceBanner

TITLE = Words(nb="Studio", en="Studio")
RECOVERED = Words(
    nb="{count} opptak som ble avbrutt sist, er berget og ligger i biblioteket.",
    en="{count} takes that were cut off last time have been recovered and are in the library.",
)
NOBODY_TO_LOCK = Words(nb="Ingen er logget inn, så det er ingenting å låse.",
                       en="Nobody is signed in, so there is nothing to lock.")
QUIT_WHILE_RECORDING = Words(
    nb="Et opptak pågår. Stoppe det og avslutte? Det som er tatt opp, blir tatt vare på.",
    en="A recording is running. Stop it and quit? What was recorded so far is kept.",
)
QUIT_UNSAVED = Words(nb="Noe er ikke lagret (beaten). Avslutte likevel?",
                     en="Something is not saved (the beat). Quit anyway?")
SETTINGS_FILE = "tui-settings.json"


class StudioApp(App[int]):
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    .heading { text-style: bold; padding: 0 1; height: auto; }
    .hint { color: $foreground 70%; padding: 0 1; height: auto; }
    .plain { padding: 0 1; height: auto; }
    .refusal { padding: 0 1; height: auto; color: $error; text-style: bold; }
    .pane { border: round $primary 50%; height: 1fr; }
    .pane:focus-within { border: round $primary; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("ctrl+q", "quit", QUIT, priority=True),
        Key("f1", "help", HELP),
        Key("ctrl+l", "lock", LOCK, priority=True),
        Key("f2", "language", LANGUAGE),
    )

    def __init__(self, studio: Studio | None = None, *, prefs: Prefs | None = None,
                 prefs_path: Path | None = None, clock: Callable[[], float] = time.monotonic,
                 scan_devices: bool = True, sound: bool | None = None) -> None:
        super().__init__()
        self.studio = studio or Studio()
        self.prefs_path = prefs_path if prefs_path is not None else \
            self.studio.paths.home / SETTINGS_FILE
        self.prefs = prefs or prefs_file.load(self.prefs_path)
        set_language(self.prefs.language)
        self.session = Session()
        self.idle = IdleClock(self.prefs.lock_seconds, clock)
        if sound is None:
            sound = os.environ.get("STUDIO_UI_SOUND", "1").strip() != "0"
        self.sound = Sound(self.studio, enabled=sound)
        self.log_file = self.studio.paths.run_dir / "studio-ui.log"
        self.device_words: tuple[Words, dict[str, object]] = (LOOKING, {})
        self.practice: bool | None = None  # None until the first scan has answered
        self.device_names: list[str] = []
        self.scan_on_start = scan_devices  # False: no device scan unless asked (tests)
        self._quitting = False
        self._held: list[tuple[str, str, SeverityLevel, float | None]] = []
        bind(self, self.KEYS)
        self.title = TITLE.say()
        self.theme = "textual-dark" if self.prefs.dark else "textual-light"

    # start and stop ---------------------------------------------------------------------------
    def on_mount(self) -> None:
        from studio.tui.screens.start import StartScreen

        self.push_screen(StartScreen())
        self.set_interval(1.0, self.check_inactivity)
        if self.scan_on_start:
            self.scan_devices()
        self.recover_takes()

    def on_unmount(self) -> None:
        self.sound.close()
        self.studio.close()

    @work(thread=True, exclusive=True, group="recover", exit_on_error=False)
    def recover_takes(self) -> None:
        """Takes a crash left behind are adopted when the studio starts, never deleted."""
        found = self.studio.recover_takes()
        if found:
            self.call_from_thread(self.notify, RECOVERED.say(count=len(found)), timeout=10)

    @work(thread=True, exclusive=True, group="devices", exit_on_error=False)
    def scan_devices(self) -> None:
        """A fresh look at the sound devices (a new process, so a device plugged in while the
        studio runs appears); the practice device when there is none."""
        names: list[str] = []
        try:
            device = self.studio.pick_device(self.prefs.device)
            if self.prefs.device is None or device is not None:
                names = [d.name for d in self.studio.devices()
                         if d.max_input_channels > 0 and d.max_output_channels > 0]
        except Exception:  # an unusable device choice: the practice device, said plainly
            device = None
        self.call_from_thread(self.show_device, device.name if device else None, names)

    def show_device(self, name: str | None, names: list[str] | None = None) -> None:
        from studio.tui.widgets.banner import DEVICE_BANNER, PRACTICE_BANNER

        self.practice = name is None
        if names is not None:
            self.device_names = names
        self.device_words = (PRACTICE_BANNER, {}) if name is None else (DEVICE_BANNER,
                                                                        {"name": name})
        for screen in self.screen_stack:
            for banner in screen.query(DeviceBanner):
                banner.show(*self.device_words)

    @work(thread=True, group="sound", exit_on_error=False)
    def close_sound(self) -> None:
        """Stop the audio engine (its processes take a moment to end) without blocking."""
        self.sound.close()

    def engine_choice(self) -> EngineChoice:
        return EngineChoice(self.prefs.device, self.prefs.blocksize)

    def save_prefs(self) -> None:
        prefs_file.save(self.prefs, self.prefs_path)

    # who is at the console --------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown) and not event.is_forwarded:
            self.idle.touch()
        await super().on_event(event)

    def check_inactivity(self) -> None:
        """Lock after the configured time without a key press, unless a recording runs."""
        self.idle.seconds = self.prefs.lock_seconds
        if self.session.actor is None or self.session.locked or self.sound.busy_recording:
            return
        if self.idle.due():
            self.lock()

    def lock(self) -> None:
        from studio.tui.screens.lock import LockScreen

        if self.session.locked:
            return
        self.session.locked = True
        self.sub_title = ""
        self.clear_notifications()  # they may name a member
        self.push_screen(LockScreen())
        self.call_after_refresh(self.clear_notifications)  # and any still on their way

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Plain text (no markup: a name or a path may hold brackets). While the console is
        locked, messages wait: the same person sees them after unlocking, another never."""
        if self.session.locked:
            self._held.append((message, title, severity, timeout))
            return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def unlock(self, actor: Actor) -> None:
        """Someone signed in on the lock screen: the same person carries on where they were;
        another person starts from the start screen, with nothing of the previous one's."""
        from studio.tui.screens.lock import LockScreen
        from studio.tui.screens.start import StartScreen

        other = self.session.switch_to(actor)
        held, self._held = self._held, []
        self.idle.touch()
        if isinstance(self.screen, LockScreen):
            self.pop_screen()
        if other:
            self.close_sound()
            while len(self.screen_stack) > 2 and not isinstance(self.screen, StartScreen):
                self.pop_screen()
        for screen in self.screen_stack:
            if isinstance(screen, StartScreen):
                screen.show_session()
        if not other:
            for message, title, severity, timeout in held:
                self.notify(message, title=title, severity=severity, timeout=timeout)

    def signed_in(self, actor: Actor) -> None:
        self.session.switch_to(actor)
        self.idle.touch()

    def action_lock(self) -> None:
        if self.session.actor is None:
            self.notify(NOBODY_TO_LOCK.say(), timeout=4)
            return
        self.lock()

    # language, help, quit ---------------------------------------------------------------------
    def action_language(self) -> None:
        self.switch_language("en" if self.prefs.language == "nb" else "nb")

    def switch_language(self, lang: Language) -> None:
        from studio.tui.screens.base import Speaking

        self.prefs.language = lang
        set_language(lang)
        self.save_prefs()
        bind(self, self.KEYS)
        self.title = TITLE.say()
        for screen in self.screen_stack:
            if isinstance(screen, Speaking):
                screen.resay()
            for banner in screen.query(DeviceBanner):
                banner.show(*self.device_words)

    def action_help(self) -> None:
        from studio.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        from studio.tui.screens.dialogs import Confirm

        unsaved = any(getattr(screen, "unsaved", False) for screen in self.screen_stack)
        if not self.sound.busy_recording and not unsaved:
            self.exit(0)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._quitting = True
                self.sound.stop_recording()
                self.set_interval(0.1, self._exit_when_saved)

        question = QUIT_WHILE_RECORDING if self.sound.busy_recording else QUIT_UNSAVED
        self.push_screen(Confirm(question), answered)

    def _exit_when_saved(self) -> None:
        if not self.sound.busy_recording:
            self.exit(0)


def run_app() -> int:
    studio = Studio()
    log = logging.getLogger("studio.tui")
    handler = logging.FileHandler(studio.paths.run_dir / "studio-ui.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    StudioApp(studio).run()
    return 0
