"""``studio member|staff|consent|review|export|audit|report``: people, consent, review, release.

Staff commands sign in with ``--as NAME`` and read the passphrase or PIN from the terminal, or
from standard input (one line each) when it is not a terminal. When a command also needs a new
secret (``staff add``, ``staff passwd``), it is read next: on a terminal it is asked twice.
A request a role or the release gate refuses exits with status 3 and says why.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from studio.core.consent import Purpose
from studio.core.gate import ExportPurpose, ReviewDecision
from studio.core.i18n import StudioError, Words, language
from studio.core.people import ROLE_WORDS, Actor, Role

AddCommand = Callable[..., argparse.ArgumentParser]

SECRET_PROMPT = Words(nb="Kode for {name}: ", en="Code for {name}: ")
NEW_SECRET_PROMPT = Words(nb="Ny kode for {name}: ", en="New code for {name}: ")
AGAIN_PROMPT = Words(nb="Skriv den nye koden en gang til: ", en="Type the new code again: ")
NOT_SAME = Words(nb="De to kodene var ikke like. Ingenting er endret.",
                 en="The two codes were not the same. Nothing was changed.")
NO_SECRET = Words(nb="Fikk ingen kode på standard inn.", en="No code arrived on standard input.")
SIGN_IN_FIRST = Words(nb="Logg inn med --as NAVN.", en="Sign in with --as NAME.")
CONFIRM_ERASE = Words(
    nb="Legg til --yes for å slette opptakene som er listet over.",
    en="Add --yes to erase the recordings listed above.",
)
LYRICS_UNREADABLE = Words(nb="Kunne ikke lese teksten fra {path}.",
                          en="Could not read the lyrics from {path}.")


def _studio() -> Any:
    from studio.services.studio import Studio

    return Studio()


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(text)


def read_secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise StudioError(NO_SECRET)
    return line.rstrip("\r\n")


def read_new_secret(name: str) -> str:
    secret = read_secret(NEW_SECRET_PROMPT.say(name=name))
    if sys.stdin.isatty() and getpass.getpass(AGAIN_PROMPT.say()) != secret:
        raise StudioError(NOT_SAME)
    return secret


def sign_in(args: argparse.Namespace, studio: Any) -> Actor:
    from studio.services.access import sign_in as check

    name = getattr(args, "as_name", None)
    if not name:
        raise StudioError(SIGN_IN_FIRST)
    return check(studio, name, read_secret(SECRET_PROMPT.say(name=name)))


def maybe_sign_in(args: argparse.Namespace, studio: Any) -> Actor | None:
    return sign_in(args, studio) if getattr(args, "as_name", None) else None


# members ------------------------------------------------------------------------------------
def cmd_member_add(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        member = people.add_member(studio, sign_in(args, studio), args.alias, args.note or "")
    _out(args, {"id": member.id, "alias": member.alias},
         Words(nb="Ny deltaker: {alias}.", en="New member: {alias}.").say(alias=member.alias))
    return 0


def cmd_member_list(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        found = people.members(studio, sign_in(args, studio))
    _out(args, [{"alias": m.alias, "note": m.note} for m in found],
         "\n".join(m.alias + (f"  ({m.note})" if m.note else "") for m in found)
         or Words(nb="Ingen deltakere ennå.", en="No members yet.").say())
    return 0


def cmd_member_show(args: argparse.Namespace) -> int:
    from studio.services import consent, people

    with _studio() as studio:
        actor = sign_in(args, studio)
        member = people.member(studio, actor, args.alias)
        states = consent.state(studio, member.alias)
        songs = [s for s in studio.songs() if s.member_id == member.id]
    lines = [member.alias]
    if member.note:
        lines.append(Words(nb="Notat: {n}", en="Note: {n}").say(n=member.note))
    if member.retention_duty:
        lines.append(Words(nb="Oppbevaringsplikt: {d}", en="Retention duty: {d}").say(
            d=member.retention_duty))
    lines += ["  " + s.describe() for s in states]
    lines.append(Words(nb="Sanger: {s}", en="Songs: {s}").say(
        s=", ".join(s.name for s in songs) or "-"))
    _out(args, {"alias": member.alias, "note": member.note,
                "retention_duty": member.retention_duty,
                "consent": {s.purpose.value: s.granted for s in states},
                "songs": [s.name for s in songs]}, "\n".join(lines))
    return 0


def cmd_member_visit(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        new = people.check_in(studio, sign_in(args, studio), args.alias)
    _out(args, {"counted": new}, Words(nb="Besøket er talt.", en="The visit is counted.").say()
         if new else Words(nb="Besøket i dag var allerede talt.",
                           en="Today's visit was already counted.").say())
    return 0


def cmd_member_retain(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        member = people.set_retention_duty(studio, sign_in(args, studio), args.alias, args.duty)
    _out(args, {"alias": member.alias, "retention_duty": member.retention_duty},
         Words(nb="Lagret.", en="Saved.").say())
    return 0


# staff --------------------------------------------------------------------------------------
def cmd_staff_add(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        actor = maybe_sign_in(args, studio)
        staff = people.add_staff(studio, actor, args.name, Role(args.role),
                                 read_new_secret(args.name))
    _out(args, {"id": staff.id, "name": staff.name, "role": staff.role.value},
         Words(nb="Ny konto: {name} ({role}).", en="New account: {name} ({role}).").say(
             name=staff.name, role=ROLE_WORDS[staff.role]))
    return 0


def cmd_staff_passwd(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        actor = sign_in(args, studio)
        people.change_secret(studio, actor, args.name, read_new_secret(args.name))
    _out(args, {"changed": True}, Words(nb="Koden er byttet.", en="The code is changed.").say())
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        found = people.staff(studio, sign_in(args, studio))
    _out(args, [{"name": s.name, "role": s.role.value, "disabled": s.disabled} for s in found],
         "\n".join(f"{s.name}  {ROLE_WORDS[s.role]}" + (" (av)" if s.disabled else "")
                   for s in found))
    return 0


def cmd_staff_role(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        staff = people.set_role(studio, sign_in(args, studio), args.name, Role(args.role),
                                disabled=args.disable)
    _out(args, {"name": staff.name, "role": staff.role.value, "disabled": staff.disabled},
         Words(nb="Lagret.", en="Saved.").say())
    return 0


# consent ------------------------------------------------------------------------------------
def cmd_consent_grant(args: argparse.Namespace) -> int:
    from studio.services import consent

    with _studio() as studio:
        record = consent.grant(
            studio, sign_in(args, studio), args.alias, Purpose(args.purpose),
            witness=args.witness, keep_until=args.until, song=args.song,
            platforms=(args.platforms or "").split(","), credit=args.credit,
            audience=(args.audience or "").split(","))
    _out(args, {"purpose": record.purpose.value, "granted": True, "seq": record.seq,
                "keep_until": record.keep_until, "song_version": record.song_version,
                "wording_version": record.wording_version},
         Words(nb="Samtykke registrert.", en="Consent recorded.").say())
    return 0


def cmd_consent_withdraw(args: argparse.Namespace) -> int:
    from studio.services import consent

    purpose = None if args.all or not args.purpose else Purpose(args.purpose)
    with _studio() as studio:
        result = consent.withdraw(studio, sign_in(args, studio), args.alias, purpose,
                                  witness=args.witness or "")
    said = [Words(nb="Trukket tilbake: {p}.", en="Withdrawn: {p}.").say(
        p=", ".join(p.value for p in result.purposes))]
    if result.erasure is not None:
        said.append(result.erasure.say())
    data: dict[str, Any] = {"withdrawn": [p.value for p in result.purposes]}
    if result.erasure is not None:
        data["erased"] = {"takes": result.erasure.takes, "exports": result.erasure.exports,
                          "files": result.erasure.files, "restricted": result.erasure.restricted,
                          "outside": result.erasure.outside}
    _out(args, data, "\n".join(said))
    return 0


def cmd_consent_restrict(args: argparse.Namespace) -> int:
    from studio.services import consent

    with _studio() as studio:
        said = consent.restrict(studio, sign_in(args, studio), args.alias, on=not args.lift)
    _out(args, {"restricted": not args.lift}, said)
    return 0


def cmd_consent_show(args: argparse.Namespace) -> int:
    from studio.services import consent

    with _studio() as studio:
        sign_in(args, studio)
        states = consent.state(studio, args.alias)
    _out(args, {s.purpose.value: {"granted": s.granted,
                                  "since": s.record.at if s.record else None,
                                  "keep_until": s.record.keep_until if s.record else None,
                                  "song_version": s.record.song_version if s.record else None}
                for s in states},
         "\n".join(s.describe() for s in states))
    return 0


def cmd_consent_expired(args: argparse.Namespace) -> int:
    from studio.services import consent

    with _studio() as studio:
        actor = sign_in(args, studio)
        found = consent.expired(studio, actor)
        lines = [Words(nb="{alias}: {takes} opptak, lagringstiden gikk ut {d}",
                       en="{alias}: {takes} takes, kept until {d}").say(
            alias=e.member.alias, takes=e.takes, d=e.keep_until) for e in found]
        if not found:
            lines = [Words(nb="Ingen opptak har gått ut på tid.",
                           en="No recordings are past their keep-until date.").say()]
        reports = []
        if found and args.erase:
            if not args.yes:
                lines.append(CONFIRM_ERASE.say())
            else:
                reports = consent.erase_expired(studio, actor)
                lines += [r.say() for r in reports]
    _out(args, {"expired": [{"alias": e.member.alias, "takes": e.takes,
                             "keep_until": e.keep_until} for e in found],
                "erased": [{"alias": r.alias, "takes": r.takes, "restricted": r.restricted}
                           for r in reports]}, "\n".join(lines))
    return 0


# review -------------------------------------------------------------------------------------
def cmd_review_submit(args: argparse.Namespace) -> int:
    from studio.services import review

    with _studio() as studio:
        actor = sign_in(args, studio)
        done = review.submit(studio, actor, studio.song(args.song))
    _out(args, {"version": done.version, "decision": done.decision.value},
         Words(nb="Sendt til gjennomgang (versjon {v}).",
               en="Submitted for review (version {v}).").say(v=done.version[:12]))
    return 0


def _decide(args: argparse.Namespace, decision: ReviewDecision) -> int:
    from studio.services import review

    with _studio() as studio:
        actor = sign_in(args, studio)
        done = review.decide_review(studio, actor, studio.song(args.song), decision,
                                    args.note or "")
    _out(args, {"version": done.version, "decision": done.decision.value},
         Words(nb="Lagret: {d}.", en="Saved: {d}.").say(d=review.DECISION_WORDS[done.decision]))
    return 0


def cmd_review_approve(args: argparse.Namespace) -> int:
    return _decide(args, ReviewDecision.APPROVED)


def cmd_review_changes(args: argparse.Namespace) -> int:
    return _decide(args, ReviewDecision.CHANGES)


def cmd_review_decline(args: argparse.Namespace) -> int:
    return _decide(args, ReviewDecision.DECLINED)


def cmd_review_list(args: argparse.Namespace) -> int:
    from studio.services import review

    with _studio() as studio:
        items = review.queue(studio, sign_in(args, studio))
    lines = []
    for item in items:
        lines.append(f"{item.song.name}  ({item.version[:12]}, {item.submitted.at[:16]})")
        lines += ["    " + line for line in (item.lyrics or "-").splitlines()]
    _out(args, [{"song": i.song.name, "version": i.version, "submitted_at": i.submitted.at,
                 "lyrics": i.lyrics, "current": i.current} for i in items],
         "\n".join(lines) or Words(nb="Ingen sanger venter.", en="No songs are waiting.").say())
    return 0


# export, audit, report ----------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from studio.services.export import export_song, format_name

    fmt = f"{args.format}16" if args.format in ("wav", "flac") and args.bits == 16 \
        else args.format
    last = [-1]

    def progress(fraction: float) -> None:
        percent = int(fraction * 100)
        if not args.json and sys.stderr.isatty() and percent != last[0]:
            last[0] = percent
            print(f"\r{percent:3d} %", end="", file=sys.stderr, flush=True)

    with _studio() as studio:
        actor = sign_in(args, studio)
        try:
            result = export_song(studio, actor, studio.song(args.song),
                                 ExportPurpose(args.purpose), fmt,
                                 Path(args.output) if args.output else None,
                                 target=args.target, stems=args.stems, progress=progress)
        finally:
            if last[0] >= 0:
                print("\r     \r", end="", file=sys.stderr, flush=True)
    saved = Words(nb="Lagret {path} ({format}).", en="Saved {path} ({format}).").say(
        path=result.path, format=format_name(result.format))
    lines = [saved, *(result.report.lines() if result.report is not None else []),
             *result.notes]
    _out(args, result.to_json(), "\n".join(lines))
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from studio.services import audit

    with _studio() as studio:
        check = audit.verify(studio)
    _out(args, {"ok": check.ok, "entries": check.entries, "head": check.head,
                "broken_at": check.broken_at, "problem": check.problem}, audit.describe(check))
    return 0 if check.ok else 1


def cmd_audit_show(args: argparse.Namespace) -> int:
    from studio.services import audit

    with _studio() as studio:
        found = audit.entries(studio, sign_in(args, studio), args.member)
    _out(args, [{"seq": e.seq, "at": e.at, "actor": e.actor, "role": e.role,
                 "action": e.action, "object": e.object, "detail": e.detail} for e in found],
         "\n".join(f"{e.seq:>6}  {e.at}  {e.actor} ({e.role})  {e.action}  {e.object}"
                   f"  {e.detail}" for e in found))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from studio.services import report
    from studio.services.consent import parse_date

    start: date | None = parse_date(args.start) if args.start else None
    end: date | None = parse_date(args.end) if args.end else None
    with _studio() as studio:
        figures = report.activity(studio, sign_in(args, studio), start, end)
    _out(args, figures.to_json(), figures.say())
    return 0


def cmd_song_artist(args: argparse.Namespace) -> int:
    from studio.services import people

    with _studio() as studio:
        song = people.set_artist(studio, sign_in(args, studio), studio.song(args.song), args.alias)
    _out(args, {"song": song.name, "member_id": song.member_id},
         Words(nb="«{song}» er {alias} sin sang.", en="“{song}” is {alias}'s song.").say(
             song=song.name, alias=args.alias))
    return 0


def cmd_song_lyrics(args: argparse.Namespace) -> int:
    from studio.services import people

    try:
        text = Path(args.file).read_text(encoding="utf-8") if args.file != "-" else None
    except (OSError, UnicodeDecodeError):
        raise StudioError(LYRICS_UNREADABLE, path=args.file) from None
    with _studio() as studio:
        actor = sign_in(args, studio)  # the secret is the first line of standard input
        if text is None:
            text = sys.stdin.read()
        song = people.set_lyrics(studio, actor, studio.song(args.song), text)
    _out(args, {"song": song.name, "characters": len(song.lyrics)},
         Words(nb="Teksten er lagret.", en="The lyrics are saved.").say())
    return 0


def add_people_parsers(sub: Any, add: AddCommand, song_sub: Any) -> None:
    """Register the commands of this module (``add`` is build_parser's helper)."""
    en = language() == "en"

    def h(nb: str, eng: str) -> str:
        return eng if en else nb

    def signed(p: argparse.ArgumentParser, required: bool = True) -> argparse.ArgumentParser:
        p.add_argument("--as", dest="as_name", required=required, metavar="NAME",
                       help=h("hvem som er logget inn", "who is signed in"))
        return p

    roles = [r.value for r in Role]
    member = sub.add_parser("member", help=h("deltakere", "members"))
    msub = member.add_subparsers(dest="member_command", required=True)
    p = signed(add("add", cmd_member_add, "ny deltaker (artistnavn)", "new member (alias)", msub))
    p.add_argument("alias")
    p.add_argument("--note", help=h("privat notat for ansatte", "private note for staff"))
    signed(add("list", cmd_member_list, "vis deltakere", "list members", msub))
    p = signed(add("show", cmd_member_show, "vis en deltaker", "show a member", msub))
    p.add_argument("alias")
    p = signed(add("visit", cmd_member_visit, "tell et besøk", "count a visit", msub))
    p.add_argument("alias")
    p = signed(add("retain", cmd_member_retain, "registrer oppbevaringsplikt",
                   "record a retention duty", msub))
    p.add_argument("alias")
    p.add_argument("--duty", required=True, help=h("hvorfor (tom: ingen)", "why (empty: none)"))

    staff = sub.add_parser("staff", help=h("ansattkontoer", "staff accounts"))
    ssub = staff.add_subparsers(dest="staff_command", required=True)
    p = signed(add("add", cmd_staff_add, "ny konto", "new account", ssub), required=False)
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=roles)
    p = signed(add("passwd", cmd_staff_passwd, "bytt kode", "change code", ssub))
    p.add_argument("name")
    signed(add("list", cmd_staff_list, "vis kontoer", "list accounts", ssub))
    p = signed(add("role", cmd_staff_role, "endre rolle", "change role", ssub))
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=roles)
    p.add_argument("--disable", action="store_true")

    consent = sub.add_parser("consent", help=h("samtykke", "consent"))
    csub = consent.add_subparsers(dest="consent_command", required=True)
    purposes = [x.value for x in Purpose]
    p = signed(add("grant", cmd_consent_grant, "registrer et ja", "record a yes", csub))
    p.add_argument("alias")
    p.add_argument("--purpose", required=True, choices=purposes)
    p.add_argument("--witness", required=True)
    p.add_argument("--until", help=h("for keep: ÅÅÅÅ-MM-DD", "for keep: YYYY-MM-DD"))
    p.add_argument("--song", help=h("for public-release", "for public-release"))
    p.add_argument("--platforms", help=h("for public-release, kommaseparert",
                                         "for public-release, comma separated"))
    p.add_argument("--credit", default="alias", choices=["alias", "anonymous"])
    p.add_argument("--audience", help="leader,group,therapist")
    p = signed(add("withdraw", cmd_consent_withdraw, "trekk tilbake", "withdraw", csub))
    p.add_argument("alias")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--purpose", choices=purposes)
    which.add_argument("--all", action="store_true")
    p.add_argument("--witness")
    p = signed(add("restrict", cmd_consent_restrict, "sperr opptakene (eller opphev med --lift)",
                   "restrict the recordings (or lift it with --lift)", csub))
    p.add_argument("alias")
    p.add_argument("--lift", action="store_true")
    p = signed(add("show", cmd_consent_show, "vis samtykker", "show consent", csub))
    p.add_argument("alias")
    p = signed(add("expired", cmd_consent_expired, "opptak som har gått ut på tid",
                   "recordings past their keep-until date", csub))
    p.add_argument("--erase", action="store_true")
    p.add_argument("--yes", action="store_true")

    review = sub.add_parser("review", help=h("gjennomgang", "review"))
    rsub = review.add_subparsers(dest="review_command", required=True)
    for name, func, nb, eng in (
            ("submit", cmd_review_submit, "send til gjennomgang", "submit for review"),
            ("approve", cmd_review_approve, "godkjenn", "approve"),
            ("changes", cmd_review_changes, "be om endringer", "ask for changes"),
            ("decline", cmd_review_decline, "avslå", "decline")):
        p = signed(add(name, func, nb, eng, rsub))
        p.add_argument("song")
        if name != "submit":
            p.add_argument("--note")
    signed(add("list", cmd_review_list, "sanger som venter", "songs waiting", rsub))

    p = signed(add("export", cmd_export, "eksporter en sang (alltid gjennom porten)",
                   "export a song (always through the gate)"))
    p.add_argument("song")
    p.add_argument("--purpose", required=True, choices=[x.value for x in ExportPurpose])
    p.add_argument("--format", default="wav", choices=["wav", "flac", "mp3", "ogg"])
    p.add_argument("--bits", type=int, default=24, choices=[16, 24],
                   help=h("for wav og flac (24)", "for wav and flac (24)"))
    p.add_argument("-o", "--output",
                   help=h("filen (med --stems: en ny mappe)",
                          "the file (with --stems: a new folder)"))
    p.add_argument("--target", metavar="PRESET",
                   help=h("mastring: streaming, loud, podcast eller none (standard: streaming "
                          "for public og member-copy, none for internal)",
                          "mastering: streaming, loud, podcast or none (default: streaming "
                          "for public and member-copy, none for internal)"))
    p.add_argument("--stems", action="store_true",
                   help=h("én fil per spor, umastret, i en mappe",
                          "one file per track, unmastered, into a folder"))

    audit = sub.add_parser("audit", help=h("loggen", "the audit log"))
    asub = audit.add_subparsers(dest="audit_command", required=True)
    add("verify", cmd_audit_verify, "sjekk loggen", "check the log", asub)
    p = signed(add("show", cmd_audit_show, "vis loggen", "show the log", asub))
    p.add_argument("--member", help=h("bare denne deltakeren (innsyn)",
                                      "only this member (access request)"))

    p = signed(add("report", cmd_report, "anonyme tall for rapporter",
                   "anonymous figures for reports"))
    p.add_argument("--from", dest="start", metavar="DATE")
    p.add_argument("--to", dest="end", metavar="DATE")

    p = signed(add("artist", cmd_song_artist, "hvem sin sang", "whose song it is", song_sub))
    p.add_argument("song")
    p.add_argument("alias")
    p = signed(add("lyrics", cmd_song_lyrics, "lagre sangteksten", "save the lyrics", song_sub))
    p.add_argument("song")
    p.add_argument("file", help=h("fil, eller - for standard inn", "file, or - for stdin"))
