"""``studio import SONG FILE --track NAME [--json]``: bring an audio file in as a take.

Bad files end with a plain message and exit status 2 (``main()`` turns the
:class:`~studio.core.i18n.StudioError` into that); a member's song needs ``--as NAME`` (staff
who may record, and the member's consent to keep recordings), else exit status 3. Ctrl-C stops
the import and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.core.i18n import Words, language

__all__ = ["add_import_parser", "cmd_import"]

AddCommand = Callable[..., argparse.ArgumentParser]

READING = Words(nb="Henter inn", en="Importing")


def cmd_import(args: argparse.Namespace) -> int:
    from studio.cli.people_cmd import maybe_sign_in
    from studio.services.importing import import_audio
    from studio.services.studio import Studio

    show = not args.json and sys.stderr.isatty()
    said: list[int] = []

    def progress(fraction: float) -> None:
        percent = int(fraction * 100)
        if show and (not said or percent != said[-1]):
            said.append(percent)
            sys.stderr.write(f"\r{READING.say()} {Path(args.file).name}  {percent:3d} %\x1b[K")
            sys.stderr.flush()

    try:
        with Studio() as studio:
            result = import_audio(studio, args.song, Path(args.file), args.track,
                                  actor=maybe_sign_in(args, studio), progress=progress)
    finally:
        if said:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print("\n".join(result.messages()))
    return 0


def add_import_parser(sub: Any, add: AddCommand) -> None:
    """Register ``studio import`` (``add`` is :func:`build_parser`'s helper, which makes a
    subcommand with ``--json``)."""
    en = language() == "en"

    def h(nb: str, eng: str) -> str:
        return eng if en else nb

    p = add("import", cmd_import, "hent inn en lydfil som et opptak",
            "bring in an audio file as a take", sub)
    p.add_argument("song", help=h("sangen lyden skal inn i", "the song the sound goes into"))
    p.add_argument("file", help=h("lydfilen (WAV, FLAC, OGG, MP3, AIFF)",
                                  "the audio file (WAV, FLAC, OGG, MP3, AIFF)"))
    p.add_argument("--track", required=True,
                   help=h("sporet den skal på (lages om det ikke finnes)",
                          "the track it goes on (made if it does not exist)"))
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help=h("hvem som er ved konsollet (kreves for en deltakers sang)",
                          "who runs the console (needed for a member's song)"))
