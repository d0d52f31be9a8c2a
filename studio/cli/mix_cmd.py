"""``studio mix SONG``: show or change a song's mix.

Without changes it shows the mix. With ``--track NAME`` and one or more of ``--gain DB``,
``--pan X`` (-1 left … 1 right), ``--mute``/``--unmute``, ``--solo``/``--unsolo``,
``--preset NAME`` (``none`` for no effects), ``--send-reverb X`` and ``--send-delay X`` (0 … 1)
it changes that track; ``--reverb-preset NAME`` and ``--delay-preset NAME`` choose the buses'
presets. All changes are made together or not at all. A member's song needs ``--as NAME``
(staff who may edit songs); a refusal exits with status 3, a bad value with status 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from studio.core.i18n import Words, language
from studio.core.mix import BUS_NAMES, BusName, SongMix

__all__ = ["add_mix_parser", "cmd_mix", "format_mix"]

AddCommand = Callable[..., argparse.ArgumentParser]

TITLE = Words(nb="Miksen av «{song}»", en="The mix of “{song}”")
HEADER = Words(nb="spor", en="track")
COLUMNS = Words(nb="styrke  panorering  effekt        romklang  ekko",
                en="gain    pan         effect        reverb    delay")
MUTED = Words(nb="dempet", en="muted")
SOLO = Words(nb="solo", en="solo")
SILENT = Words(nb="(høres ikke nå)", en="(not heard now)")
NO_EFFECT = Words(nb="ingen", en="none")
NO_TRACKS = Words(nb="Sangen har ingen spor ennå.", en="The song has no tracks yet.")
BUS_LINE = Words(nb="{bus}-bussen: {preset}, {gain}{muted}",
                 en="{bus} bus: {preset}, {gain}{muted}")
BUS_WORDS = {"reverb": Words(nb="Romklang", en="Reverb"), "delay": Words(nb="Ekko", en="Delay")}
CHANGED = Words(nb="Miksen er endret. Sangen har nå en ny versjon.",
                en="The mix is changed. The song now has a new version.")
UNCHANGED = Words(nb="Ingenting å endre: miksen var allerede slik.",
                  en="Nothing to change: the mix already was like that.")
CENTRE = Words(nb="midten", en="centre")
LEFT = Words(nb="V", en="L")
RIGHT = Words(nb="H", en="R")


def _pan(pan: float) -> str:
    if abs(pan) < 0.005:
        return CENTRE.say()
    side = LEFT if pan < 0 else RIGHT
    return f"{round(abs(pan) * 100)} % {side.say()}"


def _db(value: float) -> str:
    return f"{value:+.1f} dB"


def format_mix(song: str, mix: SongMix) -> str:
    """The mix as a few lines of plain text."""
    lines = [TITLE.say(song=song)]
    if not mix.tracks:
        lines.append(NO_TRACKS.say())
    else:
        width = max(len(HEADER.say()), *(len(name) for name in mix.tracks))
        lines.append(f"{HEADER.say():<{width}}  {COLUMNS.say()}")
        heard = mix.audible()
        for name, t in mix.tracks.items():
            marks = [w.say() for w, on in ((MUTED, t.mute), (SOLO, t.solo)) if on]
            if not heard[name] and not t.mute:
                marks.append(SILENT.say())
            lines.append(
                f"{name:<{width}}  {_db(t.gain_db):<8}{_pan(t.pan):<12}"
                f"{(t.preset or NO_EFFECT.say()):<14}{t.send_reverb:<10.2f}{t.send_delay:<6.2f}"
                + ("  " + " ".join(marks) if marks else ""))
    for bus in BUS_NAMES:
        b = mix.buses[bus]
        lines.append(BUS_LINE.say(bus=BUS_WORDS[bus], preset=b.preset or NO_EFFECT.say(),
                                  gain=_db(b.gain_db),
                                  muted=f", {MUTED.say()}" if b.mute else ""))
    return "\n".join(lines)


def _track_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for arg, key in (("gain", "gain_db"), ("pan", "pan"), ("mute", "mute"), ("solo", "solo"),
                     ("send_reverb", "send_reverb"), ("send_delay", "send_delay")):
        value = getattr(args, arg, None)
        if value is not None:
            changes[key] = value
    if args.preset is not None:
        changes["preset"] = None if args.preset.strip().lower() in ("none", "ingen", "") \
            else args.preset
    return changes


def cmd_mix(args: argparse.Namespace) -> int:
    from studio.cli.people_cmd import maybe_sign_in
    from studio.services.mixing import MixChanges, change_mix, song_mix, song_version
    from studio.services.studio import Studio

    track_changes = _track_changes(args)
    buses: dict[BusName, dict[str, Any]] = {}
    for bus in BUS_NAMES:
        if getattr(args, f"{bus}_preset") is not None:
            buses[bus] = {"preset": getattr(args, f"{bus}_preset")}
    changes = MixChanges(args.track, track_changes, buses)
    with Studio() as studio:
        song = studio.song(args.song)
        before = song_version(studio, song)
        if changes.empty and args.track is None:
            mix = song_mix(studio, song)
        else:
            mix = change_mix(studio, maybe_sign_in(args, studio), song, changes)
        after = song_version(studio, song)
    changed = before != after
    if args.json:
        print(json.dumps({"song": song.name, "version": after, "changed": changed,
                          **mix.to_json()}, ensure_ascii=False))
    else:
        print(format_mix(song.name, mix))
        if not changes.empty or args.track is not None:
            print(CHANGED.say() if changed else UNCHANGED.say())
    return 0


def add_mix_parser(sub: Any, add: AddCommand) -> None:
    """Register ``studio mix`` (``add`` is :func:`build_parser`'s helper, which makes a
    subcommand with ``--json``)."""
    en = language() == "en"

    def h(nb: str, eng: str) -> str:
        return eng if en else nb

    p = add("mix", cmd_mix, "vis eller endre miksen av en sang", "show or change a song's mix",
            sub)
    p.add_argument("song", help=h("sangen", "the song"))
    p.add_argument("--track", metavar=h("NAVN", "NAME"),
                   help=h("sporet som skal endres", "the track to change"))
    p.add_argument("--gain", type=float, metavar="DB",
                   help=h("styrke i dB, -60 til +12 (0 = som tatt opp)",
                          "gain in dB, -60 to +12 (0 = as recorded)"))
    p.add_argument("--pan", type=float, metavar="X",
                   help=h("panorering: -1 venstre, 0 midten, 1 høyre",
                          "pan: -1 left, 0 centre, 1 right"))
    mute = p.add_mutually_exclusive_group()
    mute.add_argument("--mute", dest="mute", action="store_const", const=True, default=None,
                      help=h("demp sporet", "mute the track"))
    mute.add_argument("--unmute", dest="mute", action="store_const", const=False,
                      help=h("slå på lyden igjen", "unmute the track"))
    solo = p.add_mutually_exclusive_group()
    solo.add_argument("--solo", dest="solo", action="store_const", const=True, default=None,
                      help=h("hør bare dette sporet (og andre solo-spor)",
                             "hear only this track (and other soloed tracks)"))
    solo.add_argument("--unsolo", dest="solo", action="store_const", const=False,
                      help=h("ta bort solo", "take solo off"))
    p.add_argument("--preset", metavar=h("NAVN", "NAME"),
                   help=h("effekt-oppsett fra presets/effects (none = ingen effekter)",
                          "effect preset from presets/effects (none = no effects)"))
    p.add_argument("--send-reverb", type=float, metavar="X",
                   help=h("hvor mye som går til romklangen, 0 til 1",
                          "how much goes to the reverb, 0 to 1"))
    p.add_argument("--send-delay", type=float, metavar="X",
                   help=h("hvor mye som går til ekkoet, 0 til 1",
                          "how much goes to the delay, 0 to 1"))
    p.add_argument("--reverb-preset", metavar=h("NAVN", "NAME"),
                   help=h("oppsett for romklang-bussen (f.eks. bus-reverb, bus-reverb-hall)",
                          "preset of the reverb bus (e.g. bus-reverb, bus-reverb-hall)"))
    p.add_argument("--delay-preset", metavar=h("NAVN", "NAME"),
                   help=h("oppsett for ekko-bussen (f.eks. bus-delay, bus-delay-slap)",
                          "preset of the delay bus (e.g. bus-delay, bus-delay-slap)"))
    p.add_argument("--as", dest="as_name", metavar=h("NAVN", "NAME"),
                   help=h("hvem som er ved konsollet (kreves for å endre en deltakers sang)",
                          "who runs the console (needed to change a member's song)"))
