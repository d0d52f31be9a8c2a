"""Settings: the sound device (a fresh scan, so a device plugged in now appears), sample rate,
buffer size with the latency it gives in milliseconds, calibration, language, auto-lock and
light or dark colours."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Footer, Header, OptionList
from textual.widgets.option_list import Option

from studio.core.i18n import Words
from studio.services.calibration import CalibrationResult, calibrate
from studio.tui.prefs import BLOCKSIZES, SAMPLERATES, latency_ms
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said
from studio.tui.widgets.banner import DeviceBanner

TITLE = Words(nb="Innstillinger", en="Settings")
DEVICE_HEADING = Words(nb="Lydenhet (Enter for å velge, R for å lete på nytt)",
                       en="Sound device (Enter to choose, R to look again)")
AUTOMATIC = Words(nb="Automatisk: første lydkort med inn- og utganger",
                  en="Automatic: the first sound card with inputs and outputs")
PRACTICE = Words(nb="Øvingsenhet: innebygd testsignal, ingen lydkort",
                 en="Practice device: built-in test signal, no sound card")
DEVICE_LINE = Words(nb="{name}  [{api}]  inn {ins}, ut {outs}",
                    en="{name}  [{api}]  in {ins}, out {outs}")
LOOKING = Words(nb="Ser etter lydenheter …", en="Looking for sound devices …")
CHOSEN = Words(nb="● ", en="● ")
RATE = Words(nb="Samplingsfrekvens for nye sanger og kalibrering: {rate} Hz (S)",
             en="Sample rate for new songs and calibration: {rate} Hz (S)")
BUFFER_AUTO = Words(
    nb="Buffer: enhetens egen (lavest forsinkelse med JACK) (B)",
    en="Buffer: the device's own (lowest latency with JACK) (B)",
)
BUFFER = Words(
    nb="Buffer: {frames} samplinger = {ms:.1f} ms (omtrent {round_trip:.1f} ms fram og "
       "tilbake) (B)",
    en="Buffer: {frames} frames = {ms:.1f} ms (about {round_trip:.1f} ms there and back) (B)",
)
LANGUAGE = Words(nb="Språk: norsk bokmål (L for English)", en="Language: English (L for norsk)")
LOCK_OFF = Words(nb="Lås automatisk: aldri (A)", en="Lock automatically: never (A)")
LOCK_AFTER = Words(nb="Lås automatisk etter {minutes:g} min uten bruk (A)",
                   en="Lock automatically after {minutes:g} min without use (A)")
THEME_DARK = Words(nb="Farger: mørk (T)", en="Colours: dark (T)")
THEME_LIGHT = Words(nb="Farger: lys (T)", en="Colours: light (T)")
CALIBRATE_HINT = Words(
    nb="Kalibrering (C): koble utgang 1 til inngang 1 med en kabel; studioet måler "
       "forsinkelsen og legger opptakene riktig i takt.",
    en="Calibration (C): connect output 1 to input 1 with a cable; the studio measures the "
       "delay and lines takes up with the beat.",
)
CALIBRATING = Words(nb="Kalibrerer …", en="Calibrating …")
CALIBRATED = Words(
    nb="Kalibrert: {ms:.2f} ms fram og tilbake ({frames} samplinger) på {device}.",
    en="Calibrated: {ms:.2f} ms there and back ({frames} frames) on {device}.",
)
RATE_FOLLOWS = Words(nb="Nye sanger lages nå på {rate} Hz, lydenhetens egen samplingsfrekvens.",
                     en="New songs are now made at {rate} Hz, the sound device's own rate.")
CHOICE_SAVED = Words(nb="Lydenheten er valgt. Den brukes fra neste gang lyden starter.",
                     en="The sound device is chosen. It is used from the next time sound starts.")

RESCAN = Words(nb="Let på nytt", en="Look again")
SAMPLERATE = Words(nb="Frekvens", en="Rate")
BUFFER_KEY = Words(nb="Buffer", en="Buffer")
LANGUAGE_KEY = Words(nb="Språk", en="Language")
LOCK_KEY = Words(nb="Autolås", en="Auto-lock")
THEME_KEY = Words(nb="Farger", en="Colours")
CALIBRATE = Words(nb="Kalibrer", en="Calibrate")
LOCK_STEPS = (0, 60, 120, 300, 600, 900)


class SettingsScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    SettingsScreen #devices { height: 6; border: none; }
    SettingsScreen Said { height: auto; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("r", "rescan", RESCAN),
        Key("s", "samplerate", SAMPLERATE),
        Key("b", "buffer", BUFFER_KEY),
        Key("l", "language", LANGUAGE_KEY),
        Key("a", "autolock", LOCK_KEY),
        Key("t", "theme", THEME_KEY),
        Key("c", "calibrate", CALIBRATE),
    )

    def __init__(self) -> None:
        super().__init__()
        self.devices: list[tuple[str, str, int, int, int]] = []  # name, api, ins, outs, rate
        self.scanned = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield DeviceBanner()
        yield Said(DEVICE_HEADING, classes="heading")
        yield OptionList(id="devices")
        yield Said(id="rate", classes="plain")
        yield Said(id="buffer", classes="plain")
        yield Said(id="lock", classes="plain")
        yield Said(id="theme", classes="plain")
        yield Said(LANGUAGE, classes="plain")
        yield Said(CALIBRATE_HINT, id="calibration", classes="hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show_settings()
        self.show_devices()
        if self.studio_app().scan_on_start:
            self.action_rescan()
        self.query_one("#devices", OptionList).focus()

    def on_language(self) -> None:
        self.show_settings()
        self.show_devices()

    def show_settings(self) -> None:
        prefs = self.studio_app().prefs
        self.query_one("#rate", Said).say(RATE, rate=prefs.samplerate)
        if prefs.blocksize:
            ms = latency_ms(prefs.blocksize, prefs.samplerate)
            self.query_one("#buffer", Said).say(BUFFER, frames=prefs.blocksize, ms=ms,
                                                round_trip=2 * ms)
        else:
            self.query_one("#buffer", Said).say(BUFFER_AUTO)
        if prefs.lock_seconds:
            self.query_one("#lock", Said).say(LOCK_AFTER, minutes=prefs.lock_seconds / 60)
        else:
            self.query_one("#lock", Said).say(LOCK_OFF)
        self.query_one("#theme", Said).say(THEME_DARK if prefs.dark else THEME_LIGHT)

    def show_devices(self) -> None:
        prefs = self.studio_app().prefs
        listing = self.query_one("#devices", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()

        def mark(chosen: bool) -> str:
            return CHOSEN.say() if chosen else "  "

        listing.add_option(Option(mark(prefs.device is None) + AUTOMATIC.say(), id="auto"))
        listing.add_option(Option(mark(prefs.device == "practice") + PRACTICE.say(),
                                  id="practice"))
        if not self.scanned:
            listing.add_option(Option("  " + LOOKING.say(), disabled=True))
        for index, (name, api, ins, outs, _) in enumerate(self.devices):
            listing.add_option(Option(mark(prefs.device == name) + DEVICE_LINE.say(
                name=name, api=api, ins=ins, outs=outs), id=f"device-{index}"))
        if highlighted is not None:
            listing.highlighted = min(highlighted, listing.option_count - 1)

    def action_rescan(self) -> None:
        app = self.studio_app()

        def job() -> list[tuple[str, str, int, int, int]]:
            return [(d.name, d.hostapi, d.max_input_channels, d.max_output_channels,
                     round(d.default_samplerate)) for d in app.studio.devices()]

        def got(devices: list[tuple[str, str, int, int, int]]) -> None:
            self.devices, self.scanned = devices, True
            self.show_devices()

        self.background(job, got, group="scan", exclusive=True)
        app.scan_devices()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        app = self.studio_app()
        option = event.option.id or ""
        if option == "auto":
            app.prefs.device = None
        elif option == "practice":
            app.prefs.device = "practice"
        elif option.startswith("device-"):
            name, api, _, _, rate = self.devices[int(option.removeprefix("device-"))]
            app.prefs.device = name
            if "jack" in api.lower() and rate in SAMPLERATES and rate != app.prefs.samplerate:
                # a JACK server runs at one rate only: new songs at that rate (other devices
                # are opened at the song's rate)
                app.prefs.samplerate = rate
                self.tell(RATE_FOLLOWS, rate=rate)
        else:
            return
        app.save_prefs()
        app.close_sound()
        app.scan_devices()
        self.show_settings()
        self.show_devices()
        self.tell(CHOICE_SAVED)

    def action_samplerate(self) -> None:
        prefs = self.studio_app().prefs
        index = SAMPLERATES.index(prefs.samplerate) if prefs.samplerate in SAMPLERATES else 0
        prefs.samplerate = SAMPLERATES[(index + 1) % len(SAMPLERATES)]
        self._saved()

    def action_buffer(self) -> None:
        prefs = self.studio_app().prefs
        index = BLOCKSIZES.index(prefs.blocksize) if prefs.blocksize in BLOCKSIZES else 0
        prefs.blocksize = BLOCKSIZES[(index + 1) % len(BLOCKSIZES)]
        self.studio_app().close_sound()
        self._saved()

    def action_autolock(self) -> None:
        prefs = self.studio_app().prefs
        index = LOCK_STEPS.index(prefs.lock_seconds) if prefs.lock_seconds in LOCK_STEPS else 0
        prefs.lock_seconds = LOCK_STEPS[(index + 1) % len(LOCK_STEPS)]
        self._saved()

    def action_theme(self) -> None:
        app = self.studio_app()
        app.prefs.dark = not app.prefs.dark
        app.theme = "textual-dark" if app.prefs.dark else "textual-light"
        self._saved()

    def action_language(self) -> None:
        self.studio_app().action_language()

    def _saved(self) -> None:
        self.studio_app().save_prefs()
        self.show_settings()

    def action_calibrate(self) -> None:
        app = self.studio_app()
        prefs = app.prefs
        said = self.query_one("#calibration", Said)
        said.say(CALIBRATING)

        def job() -> CalibrationResult:
            app.sound.close()  # one engine on the device at a time
            return calibrate(app.studio, prefs.device, samplerate=prefs.samplerate,
                             blocksize=prefs.blocksize)

        def done(result: CalibrationResult) -> None:
            said.say(CALIBRATED, ms=result.roundtrip_ms, frames=result.roundtrip_frames,
                     device=result.device)

        def failed(error: BaseException) -> None:
            said.say(CALIBRATE_HINT)
            self.fail(error)

        self.background(job, done, failed=failed, group="calibrate", exclusive=True)
