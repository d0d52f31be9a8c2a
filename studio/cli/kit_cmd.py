"""``studio kit …``: drum kits.

- ``studio kit list [--json]``: the built-in kit and the kits brought into the studio;
- ``studio kit import PATH [--name NAME] [--json]``: check a sample kit (a folder with
  ``kit.toml``) or a Hydrogen drumkit (a folder with ``drumkit.xml``, or the file) and copy it
  into the studio's folder, where ``--kit NAME`` finds it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from studio.core.i18n import Words, language

__all__ = ["add_kit_parser", "cmd_kit_import", "cmd_kit_list"]

AddCommand = Callable[..., argparse.ArgumentParser]

_KINDS = {
    "synth": Words(nb="innebygd", en="built in"),
    "samples": Words(nb="lydfiler", en="sound files"),
    "hydrogen": Words(nb="Hydrogen", en="Hydrogen"),
}
_IMPORTED = Words(
    nb="Trommesettet «{title}» er hentet inn som «{name}» ({files} filer, {size:.1f} MB). "
       "Lyder: {voices}. Bruk det med --kit {name}.",
    en="The drum kit \"{title}\" was brought in as \"{name}\" ({files} files, {size:.1f} MB). "
       "Sounds: {voices}. Use it with --kit {name}.",
)


def cmd_kit_list(args: argparse.Namespace) -> int:
    from studio.services.kits import list_kits

    kits = list_kits()
    if args.json:
        print(json.dumps({"kits": [k.to_json() for k in kits]}, ensure_ascii=False))
        return 0
    width = max(len(k.name) for k in kits)
    for kit in kits:
        print(f"{kit.name:<{width}}  {kit.title}  ({_KINDS[kit.kind].say()})")
    return 0


def cmd_kit_import(args: argparse.Namespace) -> int:
    from studio.services.kits import import_kit

    kit = import_kit(args.path, args.name)
    if args.json:
        print(json.dumps(kit.to_json(), ensure_ascii=False))
        return 0
    print(_IMPORTED.say(title=kit.title, name=kit.name, files=kit.files,
                        size=kit.bytes / (1 << 20), voices=", ".join(kit.voices)))
    for note in kit.notes:
        print(f"  {note.say()}")
    return 0


def add_kit_parser(sub: Any, add: AddCommand) -> None:
    """Register ``studio kit`` with ``list`` and ``import`` (``add`` is :func:`build_parser`'s
    helper, which makes a subcommand with ``--json``)."""
    en = language() == "en"

    def h(nb: str, eng: str) -> str:
        return eng if en else nb

    kit = sub.add_parser("kit", help=h("trommesett", "drum kits"))
    kit_sub = kit.add_subparsers(dest="kit_command", required=True)
    add("list", cmd_kit_list, "vis trommesettene", "list the drum kits", kit_sub)
    p = add("import", cmd_kit_import, "hent inn et trommesett (kit.toml eller Hydrogen)",
            "bring in a drum kit (kit.toml or Hydrogen)", kit_sub)
    p.add_argument("path", metavar="PATH",
                   help=h("mappa med kit.toml eller drumkit.xml (eller selve fila)",
                          "the folder with kit.toml or drumkit.xml (or that file)"))
    p.add_argument("--name", metavar="NAME",
                   help=h("navnet settet får i studioet (settets eget navn ellers)",
                          "the name the kit gets in the studio (its own name otherwise)"))
