"""``studio bench …``: the benchmarks behind every figure the project claims.

- ``studio bench realtime [--seconds S] [--blocksize N] [--runs K] [--json]``: the audio engine
  under a full load on a JACK dummy server of its own, next to the C client ``jack_thru``;
- ``studio bench memory [--take-minutes M] [--tracks T] [--track-minutes M] [--speed X]
  [--json]``: memory use while recording a long take with many tracks playing;
- ``studio bench beats [--minutes M] [--runs K] [--tracks N] [--block-seconds S] [--json]``:
  offline render time of an arranged beat (x real time) and the per-block cost of rendering beat
  tracks live next to reading as many pre-rendered tracks from disk;
- ``studio bench render [--runs N] [--seconds S] [--tracks T] [--json]``: mixing and mastering
  a song to a 24-bit WAV, next to ffmpeg (two-pass) and sox, with the numpy sum as the floor.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from studio.core.i18n import language

__all__ = ["add_bench_parser", "cmd_bench_beats", "cmd_bench_memory", "cmd_bench_realtime"]

AddCommand = Callable[..., argparse.ArgumentParser]


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    """Progress lines go to stderr, and not at all with --json."""

    def say(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr, flush=True)

    return say


def _report(args: argparse.Namespace, summary: object, text: Callable[[], str]) -> int:
    print(json.dumps(summary, ensure_ascii=False) if args.json else text())
    return 0


def cmd_bench_realtime(args: argparse.Namespace) -> int:
    from studio.services.bench.realtime import format_realtime_report, run_realtime_bench

    load = None
    if args.with_ui:
        from studio.tui.bench_load import ScreenLoad

        load = ScreenLoad()
    result = run_realtime_bench(seconds=args.seconds, blocksize=args.blocksize, runs=args.runs,
                                progress=_progress(args), load=load)
    return _report(args, result.summary(), lambda: format_realtime_report(result))


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
    return _report(args, result, lambda: format_memory_report(result))


def cmd_bench_beats(args: argparse.Namespace) -> int:
    from studio.services.bench.beats import format_beats_report, run_beats_bench

    result = run_beats_bench(minutes=args.minutes, runs=args.runs, tracks=args.tracks,
                             block_seconds=args.block_seconds, beat=args.beat,
                             progress=_progress(args))
    return _report(args, result.summary(), lambda: format_beats_report(result))


def cmd_bench_render(args: argparse.Namespace) -> int:
    from studio.services.bench.render import format_render_report, run_render_bench

    result = run_render_bench(tracks=args.tracks, seconds=args.seconds, runs=args.runs,
                              progress=_progress(args))
    return _report(args, result.summary(), lambda: format_render_report(result))


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
    p.add_argument("--with-ui", action="store_true",
                   help=h("med den ekte skjermen (nivåmålere, transport) tegnet 30 ganger i "
                          "sekundet", "with the real screen (meters, transport) drawn 30 "
                          "times a second"))

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

    p = add("beats", cmd_bench_beats,
            "beats: lage lyd på forhånd, og blokk for blokk ved siden av ferdige spor",
            "beats: offline render, and block by block next to pre-rendered tracks", bench_sub)
    p.add_argument("--minutes", type=float, default=3.0,
                   help=h("lengden på beaten (3)", "length of the beat (3)"))
    p.add_argument("--runs", type=int, default=3,
                   help=h("antall kjøringer; medianen vises (3)",
                          "number of runs; the median is shown (3)"))
    p.add_argument("--tracks", type=int, default=1,
                   help=h("beat-spor (og like mange ferdige spor) per blokk (1)",
                          "beat tracks (and as many pre-rendered tracks) per block (1)"))
    p.add_argument("--block-seconds", type=float, default=30.0,
                   help=h("sekunder av sangen som spilles blokk for blokk (30)",
                          "seconds of the song played block by block (30)"))
    p.add_argument("--beat", default="boom-bap",
                   help=h("hvilken ferdig beat (boom-bap)", "which starter beat (boom-bap)"))

    p = add("render", cmd_bench_render,
            "miks og mastring av en sang ved siden av ffmpeg og sox",
            "mixing and mastering a song next to ffmpeg and sox", bench_sub)
    p.add_argument("--runs", type=int, default=3,
                   help=h("antall kjøringer; medianen vises (3)",
                          "number of runs; the median is shown (3)"))
    p.add_argument("--seconds", type=float, default=180.0,
                   help=h("lengden på sangen (180)", "length of the song (180)"))
    p.add_argument("--tracks", type=int, default=16,
                   help=h("antall stereospor (16)", "number of stereo tracks (16)"))
