"""``studio beat …``: starter beats, a song's beat, MIDI files in and out, rendering.

- ``studio beat list [--json]``: the starter beats with style, tempo, length and description;
- ``studio beat new SONG --preset NAME [--track NAME] [--kit KIT] [--as NAME] [--json]``: put a
  starter beat in the song's beat track (at the song's tempo);
- ``studio beat render (PRESET|FILE.toml|FILE.mid) -o OUT.wav [--bars N] [--tempo BPM]
  [--kit KIT] [--pattern NAME] [--samplerate HZ] [--json]``: render a beat to a 24-bit WAV. KIT
  is ``synth`` (built in), the name of an imported kit (``studio kit list``), a folder with
  ``kit.toml``, or a Hydrogen drumkit folder or ``drumkit.xml``;
- ``studio beat import FILE.mid [--song NAME] [--track NAME] [--kit KIT] [--as NAME]
  [--json]``: what a MIDI file holds (``--json`` prints ``{"format", "tracks", "notes",
  "length_seconds", "tempo_bpm", "skipped", "warnings"}``); with ``--song`` its beat goes into
  the song. A file that cannot be used exits with status 2 and one line saying why;
- ``studio beat export SONG -o OUT.mid [--track NAME] [--as NAME] [--json]``: the song's beat as
  a type 1 MIDI file. For a member's song this passes the release gate (a copy for the member)
  and needs ``--as``; a "no" exits with status 3.

A member's song is changed only by signed-in staff (``--as NAME``, the code is read from the
terminal or standard input); a practice song needs nobody.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from studio.core.i18n import Words, language
from studio.core.timebase import format_clock

__all__ = [
    "add_beat_parser",
    "cmd_beat_export",
    "cmd_beat_import",
    "cmd_beat_list",
    "cmd_beat_new",
    "cmd_beat_render",
]

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


_STORED = Words(
    nb="Beaten «{beat}» ligger nå i sporet «{track}» i sangen «{song}»: {bars} takter, "
       "{tempo:g} BPM, trommesett «{kit}».",
    en="The beat '{beat}' is now in the track \"{track}\" of the song \"{song}\": {bars} bars, "
       "{tempo:g} BPM, drum kit \"{kit}\".",
)
_FOUND = Words(
    nb="{file}: MIDI format {format}, {tracks} spor, {notes} noter, {seconds:.2f} s, "
       "{tempo:g} BPM.",
    en="{file}: MIDI format {format}, {tracks} tracks, {notes} notes, {seconds:.2f} s, "
       "{tempo:g} BPM.",
)
_BEAT_FOUND = Words(
    nb="Beat: {hits} trommeslag og {bass} bassnoter i {bars} takter ({patterns} mønstre, "
       "{sections} deler).",
    en="Beat: {hits} drum hits and {bass} bass notes in {bars} bars ({patterns} patterns, "
       "{sections} sections).",
)
_SKIPPED = Words(nb="Hoppet over: {items}.", en="Skipped: {items}.")
_WARNING = Words(nb="Obs: {text}", en="Note: {text}")
_EXPORTED = Words(
    nb="Lagret {path}: beaten fra «{track}» i «{song}», {bars} takter ({clock}), {drums} "
       "trommeslag og {bass} bassnoter.",
    en="Saved {path}: the beat of \"{track}\" in \"{song}\", {bars} bars ({clock}), {drums} "
       "drum hits and {bass} bass notes.",
)


def _studio() -> Any:
    from studio.services.studio import Studio

    return Studio()


def cmd_beat_new(args: argparse.Namespace) -> int:
    from studio.cli.people_cmd import maybe_sign_in
    from studio.services.beats import new_song_beat

    with _studio() as studio:
        actor = maybe_sign_in(args, studio)
        stored = new_song_beat(studio, actor, studio.song(args.song), args.preset,
                               track=args.track, kit=args.kit)
    _print_stored(args, stored, None)
    return 0


def _print_stored(args: argparse.Namespace, stored: Any, found: Any) -> None:
    beat = stored.beat
    if args.json and found is None:
        print(json.dumps({"song": stored.song.name, "track": stored.track.name,
                          "beat": beat.name, "bars": beat.bars, "tempo_bpm": beat.tempo,
                          "kit": beat.kit, "notes": [n.say() for n in stored.notes],
                          "notes_en": [n.say("en") for n in stored.notes]}, ensure_ascii=False))
        return
    if args.json:
        return
    print(_STORED.say(beat=beat.name, track=stored.track.name, song=stored.song.name,
                      bars=beat.bars, tempo=beat.tempo, kit=beat.kit))
    for note in stored.notes:
        print(f"  {note.say()}")


def cmd_beat_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from studio.services.beats import import_midi_file, import_midi_to_song

    stored = None
    if args.song:
        from studio.cli.people_cmd import maybe_sign_in

        with _studio() as studio:
            actor = maybe_sign_in(args, studio)
            found, stored = import_midi_to_song(studio, actor, studio.song(args.song), args.file,
                                                track=args.track, kit=args.kit)
    else:
        found = import_midi_file(args.file)
    if args.json:
        print(json.dumps(found.report(), ensure_ascii=False))
        return 0
    report = found.report()
    print(_FOUND.say(file=Path(args.file).name, format=report["format"],
                     tracks=report["tracks"], notes=report["notes"],
                     seconds=report["length_seconds"], tempo=report["tempo_bpm"]))
    beat = found.beat
    if beat is not None:
        print(_BEAT_FOUND.say(hits=found.drum_hits, bass=found.bass_notes, bars=beat.bars,
                              patterns=len(beat.patterns), sections=len(beat.arrangement)))
    for note in found.notes_for_people:
        print(f"  {note.say()}")
    if found.skipped:
        from studio.core.midi_to_beat import IMPORT_SKIPPED_WORDS

        items = ", ".join(f"{IMPORT_SKIPPED_WORDS[k].say() if k in IMPORT_SKIPPED_WORDS else k}: "
                          f"{v}" for k, v in found.skipped.items())
        print(_SKIPPED.say(items=items))
    for warning in found.warnings:
        print(_WARNING.say(text=warning.say()))
    if stored is not None:
        _print_stored(args, stored, found)
    return 0


def cmd_beat_export(args: argparse.Namespace) -> int:
    from studio.cli.people_cmd import maybe_sign_in
    from studio.services.beats import export_song_beat

    with _studio() as studio:
        actor = maybe_sign_in(args, studio)
        result = export_song_beat(studio, actor, studio.song(args.song), args.output,
                                  track=args.track)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return 0
    clock = format_clock(round(result.seconds * 1000), 1000)
    print(_EXPORTED.say(path=result.path, track=result.track, song=result.song,
                        bars=result.bars, clock=clock, drums=result.drum_notes,
                        bass=result.bass_notes))
    return 0


def add_beat_parser(sub: Any, add: AddCommand) -> None:
    """Register ``studio beat`` with ``list``, ``new``, ``render``, ``import`` and ``export``
    (``add`` is :func:`build_parser`'s helper, which makes a subcommand with ``--json``)."""
    en = language() == "en"

    def h(nb: str, eng: str) -> str:
        return eng if en else nb

    beat = sub.add_parser("beat", help=h("beats: ferdige rytmer og lyd av dem",
                                         "beats: starter rhythms and audio from them"))
    beat_sub = beat.add_subparsers(dest="beat_command", required=True)

    add("list", cmd_beat_list, "vis ferdige beats", "list the starter beats", beat_sub)

    def signed(p: argparse.ArgumentParser) -> None:
        p.add_argument("--as", dest="as_name", metavar="NAME",
                       help=h("ansatt som logger inn (trengs for en deltakers sang)",
                              "staff member signing in (needed for a member's song)"))

    def track_option(p: argparse.ArgumentParser, default: str | None) -> None:
        p.add_argument("--track", default=default, metavar="NAME",
                       help=h("beat-sporet i sangen", "the song's beat track")
                       + (f" ({default})" if default else ""))

    kit_help = h("«synth» (innebygd), et innhentet trommesett (studio kit list), en mappe med "
                 "kit.toml, eller et Hydrogen-trommesett (mappe eller drumkit.xml)",
                 "'synth' (built in), an imported kit (studio kit list), a folder with "
                 "kit.toml, or a Hydrogen drum kit (folder or drumkit.xml)")

    p = add("new", cmd_beat_new, "legg en ferdig beat i en sang",
            "put a starter beat in a song", beat_sub)
    p.add_argument("song", metavar="SONG", help=h("sangen", "the song"))
    p.add_argument("--preset", required=True, metavar="NAME",
                   help=h("navnet på en ferdig beat (studio beat list), eller en beat-fil",
                          "the name of a starter beat (studio beat list), or a beat file"))
    track_option(p, "beat")
    p.add_argument("--kit", metavar="KIT", help=kit_help)
    signed(p)

    p = add("import", cmd_beat_import, "les en MIDI-fil (og legg beaten i en sang)",
            "read a MIDI file (and put its beat in a song)", beat_sub)
    p.add_argument("file", metavar="FILE.mid", help=h("MIDI-fila", "the MIDI file"))
    p.add_argument("--song", metavar="NAME",
                   help=h("legg beaten i denne sangen", "put the beat in this song"))
    track_option(p, "beat")
    p.add_argument("--kit", metavar="KIT", help=kit_help)
    signed(p)

    p = add("export", cmd_beat_export, "lagre beaten i en sang som MIDI-fil",
            "save a song's beat as a MIDI file", beat_sub)
    p.add_argument("song", metavar="SONG", help=h("sangen", "the song"))
    p.add_argument("-o", "--output", required=True, metavar="OUT.mid",
                   help=h("MIDI-fila som lages (type 1)", "the MIDI file to make (type 1)"))
    track_option(p, None)
    signed(p)

    p = add("render", cmd_beat_render, "lag en lydfil av en beat",
            "render a beat to a sound file", beat_sub)
    p.add_argument("preset", metavar="PRESET",
                   help=h("navnet på en ferdig beat, en beat-fil (.toml) eller en MIDI-fil "
                          "(.mid)",
                          "the name of a starter beat, a beat file (.toml) or a MIDI file "
                          "(.mid)"))
    p.add_argument("-o", "--output", required=True, metavar="OUT.wav",
                   help=h("lydfila som lages (24-bit WAV)", "the sound file to make (24-bit WAV)"))
    p.add_argument("--bars", type=int, metavar="N",
                   help=h("bare så mange takter (hele sangformen ellers)",
                          "only this many bars (the whole song form otherwise)"))
    p.add_argument("--tempo", type=float, metavar="BPM",
                   help=h("et annet tempo", "another tempo"))
    p.add_argument("--kit", metavar="KIT", help=kit_help)
    p.add_argument("--pattern", metavar="NAME",
                   help=h("spill bare dette mønsteret i løkke (4 takter hvis ikke --bars)",
                          "loop only this pattern (4 bars unless --bars)"))
    p.add_argument("--samplerate", type=int, default=48000, metavar="HZ",
                   help=h("samplingsfrekvens (48000)", "sample rate (48000)"))
