"""``studio bench …``: the benchmarks behind every figure the project claims.

- ``studio bench realtime [--seconds S] [--blocksize N] [--runs K] [--json]``: the audio engine
  under a full load on a JACK dummy server of its own, next to the C client ``jack_thru``;
- ``studio bench memory [--take-minutes M] [--tracks T] [--track-minutes M] [--speed X]
  [--json]``: memory use while recording a long take with many tracks playing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from studio.core.i18n import language

__all__ = ["add_bench_parser", "cmd_bench_memory", "cmd_bench_realtime"]

AddCommand = Callable[..., argparse.ArgumentParser]


def cmd_bench_realtime(args: argparse.Namespace) -> int:
    from studio.services.bench.realtime import format_realtime_report, run_realtime_bench

    def progress(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr, flush=True)

    result = run_realtime_bench(seconds=args.seconds, blocksize=args.blocksize, runs=args.runs,
                                progress=progress)
    if args.json:
        print(json.dumps(result.summary(), ensure_ascii=False))
    else:
        print(format_realtime_report(result))
    return 0


def cmd_bench_memory(args: argparse.Namespace) -> int:
    from studio.services.bench.memory import (  # type: ignore[import-not-found,unused-ignore]
        format_memory_report,
        run_memory_bench,
    )

    result: dict[str, object] = run_memory_bench(
        take_seconds=args.take_minutes * 60.0,
        tracks=args.tracks,
        track_seconds=args.track_minutes * 60.0,
        speed=args.speed,
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(format_memory_report(result))
    return 0


def add_bench_parser(sub: Any, add: AddCommand) -> None:
    """Register ``studio bench`` with its subcommands (``add`` is :func:`build_parser`'s helper,
    which makes a subcommand with ``--json``)."""
    en = language() == "en"

    def h(nb: str, eng: str) -> str:
        return eng if en else nb

    bench = sub.add_parser("bench", help=h("ytelsestester", "benchmarks"))
    bench_sub = bench.add_subparsers(dest="bench_command", required=True)

    p = add("realtime", cmd_bench_realtime,
            "lydmotoren under full last ved siden av en C-klient (JACK dummy)",
            "the audio engine under full load next to a C client (JACK dummy)", bench_sub)
    p.add_argument("--seconds", type=float, default=60.0,
                   help=h("hvor lenge hver side måles (60)", "how long each side is measured (60)"))
    p.add_argument("--blocksize", type=int, default=128,
                   help=h("JACK-perioden i rammer (128)", "the JACK period in frames (128)"))
    p.add_argument("--runs", type=int, default=1,
                   help=h("antall kjøringer; medianen vises (1)",
                          "number of runs; the median is shown (1)"))

    p = add("memory", cmd_bench_memory,
            "minnebruk under et langt opptak med mange spor",
            "memory use while recording a long take with many tracks", bench_sub)
    p.add_argument("--take-minutes", type=float, default=30.0,
                   help=h("lengden på opptaket (30)", "length of the take (30)"))
    p.add_argument("--tracks", type=int, default=16,
                   help=h("spor som spiller samtidig (16)", "tracks playing meanwhile (16)"))
    p.add_argument("--track-minutes", type=float, default=10.0,
                   help=h("lengden på hvert spor (10)", "length of each track (10)"))
    p.add_argument("--speed", type=float, default=0.0,
                   help=h("ganger sanntid; 0 = så fort som mulig (0)",
                          "times real time; 0 = as fast as possible (0)"))

