"""``studio loudness FILE [--json]``: the EBU R 128 loudness of an audio file.

Plain output is a short table in the current language; ``--json`` prints
``{"integrated_lufs", "lra_lu", "momentary_max_lufs", "short_term_max_lufs", "true_peak_dbtp",
"sample_peak_dbfs"}`` with ``null`` where there was nothing to measure.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.core.i18n import Words, language

__all__ = ["add_loudness_parser", "cmd_loudness", "format_loudness"]

AddCommand = Callable[..., argparse.ArgumentParser]

HEADING = Words(nb="Lydstyrke for {name}:", en="Loudness of {name}:")
NOTHING = Words(nb="–   (stille eller for kort)", en="–   (silent or too short)")
ROWS: tuple[tuple[str, Words, str], ...] = (
    ("integrated_lufs", Words(nb="Integrert lydstyrke", en="Integrated loudness"), "LUFS"),
    ("lra_lu", Words(nb="Lydstyrkeområde (LRA)", en="Loudness range (LRA)"), "LU"),
    ("momentary_max_lufs", Words(nb="Høyeste momentane (0,4 s)", en="Max momentary (0.4 s)"),
     "LUFS"),
    ("short_term_max_lufs", Words(nb="Høyeste korttids (3 s)", en="Max short-term (3 s)"),
     "LUFS"),
    ("true_peak_dbtp", Words(nb="Sann toppverdi", en="True peak"), "dBTP"),
    ("sample_peak_dbfs", Words(nb="Høyeste sampleverdi", en="Sample peak"), "dBFS"),
)


def format_loudness(name: str, readings: dict[str, float | None]) -> str:
    """The readings as a short table with a heading, in the current language."""
    labels = [label.say() for _, label, _ in ROWS]
    width = max(len(label) for label in labels)
    lines = [HEADING.say(name=name)]
    for (key, _, unit), label in zip(ROWS, labels, strict=True):
        value = readings[key]
        if value is None or not math.isfinite(value):
            shown = NOTHING.say()
        else:
            number = f"{value:7.1f}"
            shown = f"{number.replace('.', ',') if language() == 'nb' else number} {unit}"
        lines.append(f"  {label:<{width}}  {shown}")
    return "\n".join(lines)


def cmd_loudness(args: argparse.Namespace) -> int:
    from studio.services.loudness import measure_file

    report = measure_file(args.file)
    readings = report.to_json()
    if args.json:
        print(json.dumps(readings, ensure_ascii=False))
    else:
        print(format_loudness(Path(args.file).name, readings))
    return 0


def add_loudness_parser(sub: Any, add: AddCommand) -> None:
    """Register ``studio loudness`` (``add`` is :func:`build_parser`'s helper, which makes a
    subcommand with ``--json``; ``sub`` is the top-level subparsers it adds to)."""
    en = language() == "en"
    p = add("loudness", cmd_loudness,
            "mål lydstyrken i en lydfil (EBU R 128: LUFS, LRA, sann toppverdi)",
            "measure the loudness of an audio file (EBU R 128: LUFS, LRA, true peak)", sub)
    p.add_argument("file", metavar="FILE", help="the audio file" if en else "lydfilen")
