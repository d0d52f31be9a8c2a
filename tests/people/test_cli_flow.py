"""The whole flow from the command line: staff, member, consent, record, submit, review,
export allowed or refused with a clear reason (status 3), withdraw, erase, verify the log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import soundfile as sf

STUDIO = [sys.executable, "-m", "studio.cli.main"]


class Cli:
    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "STUDIO_HOME": str(home), "STUDIO_LANG": "en",
                    "STUDIO_FAST_HASH": "1"}

    def __call__(self, *args: str, secret: str = "", code: int = 0) -> Any:
        done = subprocess.run([*STUDIO, *args, "--json"], input=secret + "\n", env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None


def test_whole_flow(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    cli("staff", "add", "Kari", "--role", "admin", secret="admin-pass-1")
    # after the first admin, accounts need an admin signed in
    cli("staff", "add", "Ola", "--role", "leader", secret="x\n1234", code=2)
    cli("staff", "add", "Ola", "--role", "leader", "--as", "Kari", secret="admin-pass-1\n1234")
    cli("staff", "add", "Tor", "--role", "therapist", "--as", "Kari",
        secret="admin-pass-1\ntherapy-pass")
    cli("member", "add", "MC Nord", "--note", "prefers mornings", "--as", "Ola", secret="1234")
    # an admin manages, but cannot add members or see notes
    cli("member", "add", "Someone", "--as", "Kari", secret="admin-pass-1", code=3)
    shown = cli("member", "show", "MC Nord", "--as", "Kari", secret="admin-pass-1")
    assert shown["note"] == ""
    cli("song", "new", "Vinter", "--tempo", "120")
    cli("song", "artist", "Vinter", "MC Nord", "--as", "Ola", secret="1234")
    lyrics = tmp_path / "lyrics.txt"
    lyrics.write_text("Snøen faller\nover byen\n", encoding="utf-8")
    cli("song", "lyrics", "Vinter", str(lyrics), "--as", "Ola", secret="1234")

    refused = cli("record", "--song", "Vinter", "--track", "vokal", "--seconds", "0.5",
                  "--as", "Ola", secret="1234", code=3)
    assert "agreed that recordings are kept" in refused["refused_en"]
    cli("consent", "grant", "MC Nord", "--purpose", "keep", "--until", "2099-01-01",
        "--witness", "Tor", "--as", "Ola", secret="1234")
    taken = cli("record", "--song", "Vinter", "--track", "vokal", "--seconds", "0.5",
                "--as", "Ola", secret="1234")
    take_path = Path(taken["takes"][0]["path"])
    assert take_path.exists()

    out = tmp_path / "out" / "vinter.wav"
    said = cli("export", "Vinter", "--purpose", "public", "-o", str(out), "--as", "Ola",
               secret="1234", code=3)
    assert "As leader you cannot release songs" in said["refused_en"]
    said = cli("export", "Vinter", "--purpose", "public", "-o", str(out), "--as", "Tor",
               secret="therapy-pass", code=3)
    assert "has not agreed to release this exact version" in said["refused_en"]
    cli("consent", "grant", "MC Nord", "--purpose", "public-release", "--song", "Vinter",
        "--platforms", "streaming,web", "--witness", "Ola", "--as", "Tor", secret="therapy-pass")
    said = cli("export", "Vinter", "--purpose", "public", "-o", str(out), "--as", "Tor",
               secret="therapy-pass", code=3)
    assert "Needs the therapist's review of this version" in said["refused_en"]
    cli("review", "submit", "Vinter", "--as", "Ola", secret="1234")
    queue = cli("review", "list", "--as", "Tor", secret="therapy-pass")
    assert queue[0]["song"] == "Vinter" and "Snøen faller" in queue[0]["lyrics"]
    cli("review", "approve", "Vinter", "--as", "Ola", secret="1234", code=3)  # leader cannot
    cli("review", "approve", "Vinter", "--as", "Tor", secret="therapy-pass")
    done = cli("export", "Vinter", "--purpose", "public", "-o", str(out), "--as", "Tor",
               secret="therapy-pass")
    assert out.exists() and done["artist"] == "MC Nord"
    info = sf.info(str(out))
    assert info.samplerate == 48000 and info.channels == 2
    raw = out.read_bytes()
    for secret_thing in (b"prefers mornings", b"Ola", b"Tor", b"Kari", b"member", b"song:",
                         str(tmp_path).encode()):
        assert secret_thing not in raw
    assert b"Vinter" in raw and b"MC Nord" in raw

    # an edit makes a new version: released consent and approval no longer cover it
    lyrics.write_text("Snøen faller\nover byen\nog meg\n", encoding="utf-8")
    cli("song", "lyrics", "Vinter", str(lyrics), "--as", "Ola", secret="1234")
    cli("export", "Vinter", "--purpose", "public", "-o", str(out), "--as", "Tor",
        secret="therapy-pass", code=3)

    withdrawn = cli("consent", "withdraw", "MC Nord", "--all", "--as", "Tor",
                    secret="therapy-pass")
    assert withdrawn["erased"]["takes"] == 1
    assert not take_path.exists()
    check = cli("audit", "verify")
    assert check["ok"] and check["entries"] > 20
    mine = cli("audit", "show", "--member", "MC Nord", "--as", "Kari", secret="admin-pass-1")
    actions = {e["action"] for e in mine}
    assert {"consent.grant", "consent.withdraw", "record.start", "record.stop",
            "review.submit", "review.approved", "export.public", "erasure"} <= actions
    figures = cli("report", "--as", "Kari", secret="admin-pass-1")
    assert figures["songs_started"] == 1 and figures["songs_released"] == 1
    assert "MC Nord" not in json.dumps(figures)
