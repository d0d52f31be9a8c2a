"""Words several screens share, and how a failure reaches a person: one short, plain line."""

from __future__ import annotations

import logging
from pathlib import Path

from studio.core.i18n import Refused, StudioError, Words

BACK = Words(nb="Tilbake", en="Back")
CANCEL = Words(nb="Avbryt", en="Cancel")
YES = Words(nb="Ja", en="Yes")
NO = Words(nb="Nei", en="No")
OK = Words(nb="OK", en="OK")
HELP = Words(nb="Hjelp", en="Help")
LOCK = Words(nb="Lås", en="Lock")
QUIT = Words(nb="Avslutt", en="Quit")
LANGUAGE = Words(nb="English", en="Norsk")  # the key switches to the other language
NO_SONG = Words(nb="Velg en sang først (i biblioteket eller på startsiden).",
                en="Choose a song first (in the library or on the start screen).")
NOT_SIGNED_IN = Words(nb="Ikke logget inn", en="Not signed in")
UNEXPECTED = Words(
    nb="Noe gikk galt som ikke skulle skje. Ingenting er slettet. Detaljer står i {log}.",
    en="Something went wrong that should not happen. Nothing was deleted. Details are in {log}.",
)

log = logging.getLogger("studio.tui")


def plain(error: BaseException, log_file: Path | None = None) -> str:
    """What to tell a person about ``error``: its own words for a StudioError, else a short
    note (the details go to the log file, never to the screen)."""
    if isinstance(error, StudioError):
        return error.say()
    log.error("unexpected error", exc_info=error)
    return UNEXPECTED.say(log=str(log_file) if log_file else "studio-ui.log")


def severity(error: BaseException) -> str:
    """Refusals are a "no", not a fault: shown as a warning; anything else as an error."""
    return "warning" if isinstance(error, Refused) else "error"
