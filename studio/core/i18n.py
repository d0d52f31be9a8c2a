"""Plain words for people, in Norwegian bokmål and English.

Every text a user can see is a :class:`Words` value defined next to the code that uses it, so a
message and its translation never drift apart. The language is chosen once per process from
``STUDIO_LANG`` (``nb`` or ``en``; bokmål is the default) and can be changed at run time by the UI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

Language = Literal["nb", "en"]
LANGUAGES: tuple[Language, ...] = ("nb", "en")

_current: list[Language] = []


def language() -> Language:
    """The language texts are shown in now."""
    if not _current:
        wanted = os.environ.get("STUDIO_LANG", "nb").strip().lower()[:2]
        _current.append("en" if wanted == "en" else "nb")
    return _current[0]


def set_language(lang: Language) -> None:
    _current[:] = [lang]


@dataclass(frozen=True)
class Words:
    """One text in both languages. Placeholders use ``str.format`` names: ``{track}``."""

    nb: str
    en: str

    def say(self, lang: Language | None = None, **values: object) -> str:
        lang = lang or language()
        text = self.en if lang == "en" else self.nb
        if not values:
            return text
        # a value that is itself Words is said in the same language, with the same values
        plain = {k: v for k, v in values.items() if not isinstance(v, Words)}
        said = {k: v.say(lang, **plain) if isinstance(v, Words) else v
                for k, v in values.items()}
        return text.format(**said)

    def __str__(self) -> str:
        return self.say()


class StudioError(Exception):
    """An error meant for a person: it carries plain words in both languages.

    Code that catches it shows ``str(error)`` (in the current language) and never a traceback.
    """

    def __init__(self, words: Words, **values: object) -> None:
        self.words = words
        self.values = values
        super().__init__(words.say("en", **values))

    def say(self, lang: Language | None = None) -> str:
        return self.words.say(lang, **self.values)

    def __str__(self) -> str:
        return self.say()


class Refused(StudioError):
    """A request the release gate or a role refuses: not a mistake in the input, a "no" with
    its plain reason. The command line exits with status 3 for these."""
