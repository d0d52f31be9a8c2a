"""``studio beat …``: starter beats and rendering them to audio.

- ``studio beat list [--json]``: the starter beats with style, tempo, length and description;
- ``studio beat render PRESET -o OUT.wav [--bars N] [--tempo BPM] [--kit KIT] [--pattern NAME]
  [--samplerate HZ] [--json]``: render a starter beat (or a beat file) to a 24-bit WAV. KIT is
  ``synth`` (built in), a folder with ``kit.toml``, or a Hydrogen drumkit folder or
  ``drumkit.xml``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from studio.core.i18n import Words, language
from studio.core.timebase import format_clock

__all__ = ["add_beat_parser", "cmd_beat_list", "cmd_beat_render"]

AddCommand = Callable[..., argparse.ArgumentParser]

_BARS = Words(nb="takter", en="bars")
_NO_BEATS = Words(nb="Ingen beats funnet.", en="No beats found.")
_WROTE = Words(
    nb="Lagret {path}: {clock} ({bars} takter, {tempo:g} BPM), trommesett «{kit}», "
       "topp {peak:.1f} dBFS.",
    en="Saved {path}: {clock} ({bars} bars, {tempo:g} BPM), drum kit \"{kit}\", "
       "peak {peak:.1f} dBFS.",
)


def cmd_beat_list(args: argparse.Namespace) -> int:
    from studio.services.beats import list_beats

    beats = list_beats()
    items = []
    lines = []
    for beat, path in beats:
        items.append({
            "name": beat.name, "style": beat.style, "tempo_bpm": beat.tempo,
            "time_signature": f"{beat.beats_per_bar}/{beat.beat_unit}", "bars": beat.bars,
            "seconds": round(beat.seconds, 2), "kit": beat.kit,
            "description": beat.description.say(), "description_nb": beat.description.nb,
            "description_en": beat.description.en, "path": str(path),
            "sections": [{"name": s.name, "bars": s.bars, "pattern": s.pattern,
                          "tempo_bpm": t}
                         for s, t in zip(beat.arrangement, beat.section_tempos(), strict=True)],
        })
        clock = format_clock(round(beat.seconds * 1000), 1000)
        lines.append(f"{beat.name:<11} {beat.style:<11} {beat.tempo:>5g} BPM  "
                     f"{beat.beats_per_bar}/{beat.beat_unit}  {beat.bars:>3} {_BARS.say()}  "
                     f"{clock:>7}\n    {beat.description.say()}")
    text = "\n".join(lines) if lines else _NO_BEATS.say()
    if args.json:
        print(json.dumps({"beats": items}, ensure_ascii=False))
    else:
        print(text)
    return 0


def cmd_beat_render(args: argparse.Namespace) -> int:
    from studio.services.beats import render_beat

    report = render_beat(args.preset, args.output, bars=args.bars, tempo=args.tempo,
                         kit=args.kit, pattern=args.pattern, samplerate=args.samplerate)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    clock = format_clock(report.frames, report.samplerate)
    print(_WROTE.say(path=report.path, clock=clock, bars=report.bars, tempo=report.tempo_bpm,
                     kit=report.kit, peak=report.peak_dbfs))
    for note in report.notes:
        print(f"  {note.say()}")
    return 0


def add_beat_parser(sub: Any, add: AddCommand) -> None:
    """Register ``studio beat`` with ``list`` and ``render`` (``add`` is :func:`build_parser`'s
    helper, which makes a subcommand with ``--json``)."""
    en = language() == "en"

    def h(nb: str, eng: str) -> str:
        return eng if en else nb

    beat = sub.add_parser("beat", help=h("beats: ferdige rytmer og lyd av dem",
                                         "beats: starter rhythms and audio from them"))
    beat_sub = beat.add_subparsers(dest="beat_command", required=True)

    add("list", cmd_beat_list, "vis ferdige beats", "list the starter beats", beat_sub)

    p = add("render", cmd_beat_render, "lag en lydfil av en beat",
            "render a beat to a sound file", beat_sub)
    p.add_argument("preset", metavar="PRESET",
                   help=h("navnet på en ferdig beat, eller en beat-fil (.toml)",
                          "the name of a starter beat, or a beat file (.toml)"))
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav",
                   help=h("lydfila som lages (24-bit WAV)", "the sound file to make (24-bit WAV)"))
    p.add_argument("--bars", type=int, metavar="N",
                   help=h("bare så mange takter (hele sangformen ellers)",
                          "only this many bars (the whole song form otherwise)"))
    p.add_argument("--tempo", type=float, metavar="BPM",
                   help=h("et annet tempo", "another tempo"))
    p.add_argument("--kit", metavar="KIT",
                   help=h("«synth» (innebygd), en mappe med kit.toml, eller et Hydrogen-"
                          "trommesett (mappe eller drumkit.xml)",
                          "'synth' (built in), a folder with kit.toml, or a Hydrogen drum kit "
                          "(folder or drumkit.xml)"))
    p.add_argument("--pattern", metavar="NAME",
                   help=h("spill bare dette mønsteret i løkke (4 takter hvis ikke --bars)",
                          "loop only this pattern (4 bars unless --bars)"))
    p.add_argument("--samplerate", type=int, default=48000, metavar="HZ",
                   help=h("samplingsfrekvens (48000)", "sample rate (48000)"))
