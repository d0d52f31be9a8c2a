"""``studio``: the command line. Plain words for people, ``--json`` for scripts.

Without a command it opens the studio in the terminal (the Textual UI).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from studio.core.i18n import Refused, StudioError, Words, language

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3

UNEXPECTED = Words(
    nb="Noe gikk galt som ikke skulle skje. Ingenting er slettet. Detaljer er lagret i {log}.",
    en="Something went wrong that should not happen. Nothing was deleted. "
       "Details are saved in {log}.",
)
PRACTICE_NOTE = Words(
    nb="Fant ingen lydenhet, så øvingsenheten brukes (et innebygd testsignal i stedet for "
       "mikrofon).",
    en="No audio device was found, so the practice device is used (a built-in test signal "
       "instead of a microphone).",
)


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=None))
    else:
        print(text)


def _studio() -> Any:
    from studio.services.studio import Studio

    return Studio()


# song ---------------------------------------------------------------------------------------
def cmd_song_new(args: argparse.Namespace) -> int:
    with _studio() as studio:
        song = studio.new_song(args.name, tempo_bpm=args.tempo, samplerate=args.samplerate)
    said = Words(nb="Ny sang: «{name}», {tempo:g} BPM.", en="New song: \"{name}\", {tempo:g} BPM.")
    _out(args, {"id": song.id, "name": song.name, "tempo_bpm": song.tempo_bpm,
                "samplerate": song.samplerate}, said.say(name=song.name, tempo=song.tempo_bpm))
    return EXIT_OK


def cmd_song_list(args: argparse.Namespace) -> int:
    with _studio() as studio:
        songs = studio.songs()
    lines = [f"{s.name}  ({s.tempo_bpm:g} BPM, {s.samplerate} Hz)" for s in songs]
    if not lines:
        lines = [Words(nb="Ingen sanger ennå.", en="No songs yet.").say()]
    _out(args, {"songs": [{"id": s.id, "name": s.name, "tempo_bpm": s.tempo_bpm,
                           "samplerate": s.samplerate} for s in songs]}, "\n".join(lines))
    return EXIT_OK


# devices and doctor -------------------------------------------------------------------------
def cmd_devices(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    with _studio() as studio:
        devices = studio.devices()
    if not args.json:
        if not devices:
            print(PRACTICE_NOTE.say())
        for d in devices:
            print(f"{d.index:3d}  {d.name}  [{d.hostapi}]  "
                  f"inn/in {d.max_input_channels}, ut/out {d.max_output_channels}, "
                  f"{d.default_samplerate:g} Hz")
        return EXIT_OK
    _out(args, {"devices": [asdict(d) for d in devices], "practice": not devices}, "")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from studio.audio.doctor import diagnose
    from studio.store.layout import StudioPaths

    paths = StudioPaths.from_env()
    findings = diagnose(folder=paths.home)
    if args.json:
        _out(args, {"findings": [
            {"ok": f.ok, "what": f.what.say(), "what_en": f.what.say("en"), "detail": f.detail,
             "fix": f.fix.say() if f.fix else None} for f in findings]}, "")
        return EXIT_OK
    for f in findings:
        mark = "ok " if f.ok else "!! "
        print(f"{mark}{f.what.say()}: {f.detail}")
        if f.fix is not None and not f.ok:
            print(f"    → {f.fix.say()}")
    return EXIT_OK


# recording ----------------------------------------------------------------------------------
def _parse_inputs(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise StudioError(Words(nb="Skriv inngangene som tall, f.eks. 1 eller 1,2.",
                                en="Write the inputs as numbers, e.g. 1 or 1,2.")) from None
    return values


def _track_inputs(tracks: list[str], inputs: str | None) -> list[Any]:
    """``--track vocal`` (with --inputs), or several: ``--track vocal:1 --track keys:3,4``;
    tracks without inputs of their own take the next free input."""
    from studio.services.recording import TrackInput

    result = []
    next_input = 1
    for spec in tracks:
        name, _, own = spec.partition(":")
        if own:
            chosen = _parse_inputs(own)
        elif inputs and len(tracks) == 1:
            chosen = _parse_inputs(inputs)
        else:
            chosen = (next_input,)
        next_input = max(chosen, default=next_input) + 1
        result.append(TrackInput(name.strip(), chosen))
    return result


def cmd_record(args: argparse.Namespace) -> int:
    from studio.services.recording import Recording, RecordRequest

    request = RecordRequest(
        song=args.song,
        tracks=_track_inputs(args.track, args.inputs),
        seconds=args.seconds,
        device=args.device,
        samplerate=args.samplerate,
        blocksize=args.blocksize,
        monitor=args.monitor,
        click=args.click,
        click_level=min(max(args.click_level, 0.0), 1.0),
        count_in_bars=args.count_in,
        start_bar=args.from_bar,
        loop_bars=args.loop_bars,
        passes=args.passes,
        punch_in_s=args.punch_in,
        punch_out_s=args.punch_out,
        pre_roll_s=args.pre_roll,
    )

    said_practice: list[bool] = []

    def progress(phase: str, status: dict[str, float]) -> None:
        if args.json or not sys.stderr.isatty():
            return
        if recording.device is None and not said_practice:  # say it before, not after
            sys.stderr.write(PRACTICE_NOTE.say() + "\n")
            said_practice.append(True)
        if phase == "done":
            state = Words(nb="■ ferdig  ", en="■ done    ")
        elif status["recording"]:
            state = Words(nb="● TAR OPP ", en="● RECORDING")
        else:
            state = Words(nb="  teller inn", en="  count-in ")  # rolling, not yet recording
        seconds = status["song_frame"] / status["samplerate"]
        sys.stderr.write(f"\r{state.say()}  {seconds:7.2f} s\x1b[K")  # clear what was there
        sys.stderr.flush()

    from dataclasses import replace

    from studio.cli.people_cmd import maybe_sign_in

    with _studio() as studio:
        request = replace(request, actor=maybe_sign_in(args, studio))
        recording = Recording(studio, request, progress)
        result = recording.run()
    if not args.json and sys.stderr.isatty():
        sys.stderr.write("\n")
    lines = []
    if result.practice and not said_practice:
        lines.append(PRACTICE_NOTE.say())
    lines += result.messages
    for t in result.takes:
        lines.append(Words(
            nb="Opptak {id} på «{track}»: {seconds:.2f} s, lagret i {path}",
            en="Take {id} on \"{track}\": {seconds:.2f} s, saved in {path}",
        ).say(id=t.id, track=t.track, seconds=t.frames / t.samplerate, path=t.path))
        if t.gaps:
            lines.append(Words(nb="  {n} hull (lyd som falt ut) er merket.",
                               en="  {n} gaps (lost sound) are marked.").say(n=len(t.gaps)))
    _out(args, {"takes": [t.to_json() for t in result.takes], "device": result.device,
                "practice": result.practice, "messages": result.messages},
         "\n".join(lines))
    return EXIT_OK


def cmd_play(args: argparse.Namespace) -> int:
    import time

    from studio.cli.people_cmd import maybe_sign_in
    from studio.services.console import Console

    with _studio() as studio, Console(studio, args.song, device=args.device,
                                      actor=maybe_sign_in(args, studio)) as console:
        if console.practice and not args.json:
            print(PRACTICE_NOTE.say(), file=sys.stderr)
        console.locate_bar(args.from_bar)
        if args.loop_bars:
            console.set_loop(args.from_bar, args.loop_bars)
        console.click = args.click
        start = console.playhead().song_frame
        console.play()
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            head = console.playhead()
            if sys.stderr.isatty() and not args.json:
                sys.stderr.write(f"\r▶ {head.bar:3d}.{head.beat}  {head.seconds:7.2f} s\x1b[K")
                sys.stderr.flush()
            time.sleep(1 / 30)
        console.stop()
        stopped = console.playhead().song_frame
        if sys.stderr.isatty() and not args.json:
            sys.stderr.write("\n")
    _out(args, {"from_frame": start, "stopped_at_frame": stopped, "practice": console.practice},
         Words(nb="Spilte «{song}» fra takt {bar}.", en="Played \"{song}\" from bar {bar}."
               ).say(song=args.song, bar=args.from_bar))
    return EXIT_OK


def cmd_takes_recover(args: argparse.Namespace) -> int:
    with _studio() as studio:
        recovered = studio.recover_takes()
        items = [{"id": r.take.id, "path": str(studio.take_path(r.take)),
                  "frames": r.take.frames, "state": r.take.state, "note": r.note}
                 for r in recovered]
    if recovered:
        text = "\n".join(
            i["note"] or Words(nb="Berget opptak {id}: {frames} rammer i {path}",
                               en="Recovered take {id}: {frames} frames in {path}").say(**i)
            for i in items)
    else:
        text = Words(nb="Ingen opptak å berge.", en="No takes to recover.").say()
    _out(args, {"recovered": items}, text)
    return EXIT_OK


def cmd_takes_list(args: argparse.Namespace) -> int:
    with _studio() as studio:
        song = studio.song(args.song) if args.song else None
        takes = studio.takes(song)
        items = [{"id": t.id, "track_id": t.track_id, "state": t.state, "frames": t.frames,
                  "samplerate": t.samplerate, "song_position_frames": t.song_position_frames,
                  "path": str(studio.take_path(t)),
                  "gaps": [{"at_frame": g.at_frame, "frames": g.frames} for g in t.gaps]}
                 for t in takes]
    text = "\n".join(f"{i['id']:4d}  {i['state']:<11} {i['frames'] / i['samplerate']:8.2f} s  "
                     f"{i['path']}" for i in items) or Words(nb="Ingen opptak.",
                                                          en="No takes.").say()
    _out(args, {"takes": items}, text)
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    from studio.services.calibration import calibrate

    with _studio() as studio:
        result = calibrate(studio, args.device, samplerate=args.samplerate,
                           blocksize=args.blocksize, jack_loopback=args.jack_loopback)
    text = Words(
        nb="Lyden bruker {frames} rammer ({ms:.2f} ms) fram og tilbake på «{device}» "
           "(driveren oppgir {reported}). Lagret: nye opptak forskyves med dette.",
        en="Sound takes {frames} frames ({ms:.2f} ms) out and back on \"{device}\" "
           "(the driver claims {reported}). Saved: new takes are shifted by this.",
    ).say(frames=result.roundtrip_frames, ms=result.roundtrip_ms, device=result.device,
          reported=result.reported_frames)
    _out(args, {"device": result.device, "samplerate": result.samplerate,
                "blocksize": result.blocksize, "roundtrip_frames": result.roundtrip_frames,
                "reported_frames": result.reported_frames,
                "clicks_measured": result.clicks_measured}, text)
    return EXIT_OK


# the parser ---------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    en = language() == "en"

    def h(nb: str, eng: str) -> str:
        return eng if en else nb

    parser = argparse.ArgumentParser(
        prog="studio",
        description=h("Studioet. Uten kommando åpnes studioet i terminalen.",
                      "The studio. Without a command it opens in the terminal."),
    )
    sub = parser.add_subparsers(dest="command")

    def add(name: str, func: Callable[[argparse.Namespace], int], nb: str, eng: str,
            parent: Any = sub) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=h(nb, eng))
        p.set_defaults(func=func)
        p.add_argument("--json", action="store_true", help=h("svar som JSON", "answer as JSON"))
        return p

    song = sub.add_parser("song", help=h("sanger", "songs"))
    song_sub = song.add_subparsers(dest="song_command", required=True)
    p = add("new", cmd_song_new, "lag en ny sang", "make a new song", song_sub)
    p.add_argument("name")
    p.add_argument("--tempo", type=float, default=90.0)
    p.add_argument("--samplerate", type=int, default=48000)
    add("list", cmd_song_list, "vis sangene", "list the songs", song_sub)

    add("devices", cmd_devices, "lydenheter studioet ser", "audio devices the studio sees")
    add("doctor", cmd_doctor, "sjekk lydoppsettet", "check the audio setup")

    p = add("record", cmd_record, "ta opp", "record")
    p.add_argument("--song", required=True)
    p.add_argument("--track", required=True, action="append",
                   help=h("spor (flere: --track vokal:1 --track gitar:2)",
                          "track (several: --track vocal:1 --track guitar:2)"))
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--device", help=h("nummer eller del av navnet", "index or part of the name"))
    p.add_argument("--inputs", help=h("f.eks. 1 eller 1,2 (stereo)", "e.g. 1 or 1,2 (stereo)"))
    p.add_argument("--samplerate", type=int)
    p.add_argument("--blocksize", type=int, default=0)
    p.add_argument("--monitor", help=h("effekt du hører deg selv gjennom",
                                       "effect preset you hear yourself through"))
    p.add_argument("--click", action="store_true")
    p.add_argument("--click-level", type=float, default=0.5, metavar="0..1")
    p.add_argument("--count-in", type=int, default=0, metavar="BARS")
    p.add_argument("--from-bar", type=int, default=1)
    p.add_argument("--loop-bars", type=int, help=h("ta opp i løkke over så mange takter",
                                                   "loop recording over this many bars"))
    p.add_argument("--passes", type=int, default=1)
    p.add_argument("--punch-in", type=float, metavar="SECONDS")
    p.add_argument("--punch-out", type=float, metavar="SECONDS")
    p.add_argument("--pre-roll", type=float, default=2.0, metavar="SECONDS")
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help=h("hvem som er ved konsollet (kreves for en deltakers sang)",
                          "who runs the console (needed for a member's song)"))

    p = add("calibrate", cmd_calibrate, "mål forsinkelsen med en kabel fra utgang til inngang",
            "measure the delay with a cable from output to input")
    p.add_argument("--device")
    p.add_argument("--samplerate", type=int, default=48000)
    p.add_argument("--blocksize", type=int, default=0)
    p.add_argument("--jack-loopback", action="store_true",
                   help=h("koble utgang til inngang i JACK", "connect output to input in JACK"))

    p = add("play", cmd_play, "spill av en sang", "play a song")
    p.add_argument("--song", required=True)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--from-bar", type=int, default=1)
    p.add_argument("--loop-bars", type=int)
    p.add_argument("--click", action="store_true")
    p.add_argument("--device")
    p.add_argument("--as", dest="as_name", metavar="NAME",
                   help=h("hvem som lytter (kreves for en deltakers sang)",
                          "who listens (needed for a member's song)"))

    takes = sub.add_parser("takes", help=h("opptak", "takes"))
    takes_sub = takes.add_subparsers(dest="takes_command", required=True)
    add("recover", cmd_takes_recover, "berg opptak etter et krasj",
        "recover takes left by a crash", takes_sub)
    p = add("list", cmd_takes_list, "vis opptak", "list takes", takes_sub)
    p.add_argument("--song")
    from studio.cli.bench import add_bench_parser

    add_bench_parser(sub, add)
    from studio.cli.beat_cmd import add_beat_parser
    from studio.cli.import_cmd import add_import_parser
    from studio.cli.kit_cmd import add_kit_parser
    from studio.cli.loudness_cmd import add_loudness_parser
    from studio.cli.mix_cmd import add_mix_parser
    from studio.cli.people_cmd import add_people_parsers

    add_beat_parser(sub, add)
    add_import_parser(sub, add)
    add_kit_parser(sub, add)
    add_mix_parser(sub, add)
    add_loudness_parser(sub, add)

    add_people_parsers(sub, add, song_sub)
    return parser


def _log_crash() -> str:
    from studio.store.layout import StudioPaths

    try:
        folder = StudioPaths.from_env().home / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"error-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
        path.write_text(traceback.format_exc())
        return str(path)
    except Exception:
        return "stderr"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from studio.tui.app import run_app

        return run_app()
    try:
        return int(args.func(args))
    except Refused as refusal:  # a role or the release gate said no: status 3, and why
        if getattr(args, "json", False):
            print(json.dumps({"refused": refusal.say(), "refused_en": refusal.say("en")},
                             ensure_ascii=False))
        print(refusal.say(), file=sys.stderr)
        return EXIT_REFUSED
    except StudioError as error:
        if getattr(args, "json", False):
            print(json.dumps({"error": error.say(), "error_en": error.say("en")},
                             ensure_ascii=False))
        print(error.say(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception:
        log = _log_crash()
        print(UNEXPECTED.say(log=log), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
