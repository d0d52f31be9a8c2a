"""A user at a real terminal: start ``studio`` in tmux (80×24, practice device), sign in, pick
the member, and walk the first-song flow with keys, reading the screen with ``capture-pane``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

STUDIO = [sys.executable, "-m", "studio.cli.main"]


class Terminal:
    def __init__(self, home: Path) -> None:
        self.name = f"studio-test-{uuid.uuid4().hex[:8]}"
        self.env = {**os.environ, "STUDIO_HOME": str(home), "STUDIO_LANG": "en",
                    "STUDIO_FAST_HASH": "1"}
        command = " ".join(f"'{part}'" for part in STUDIO)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24",
                        "-e", f"STUDIO_HOME={home}", "-e", "STUDIO_LANG=en", command],
                       check=True, env=self.env, cwd=Path(__file__).parents[2])

    def screen(self) -> str:
        done = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True)
        return done.stdout

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            assert time.monotonic() < deadline, f"never saw {text!r}; the screen:\n{screen}"
            time.sleep(0.2)

    def keys(self, *keys: str) -> None:
        for key in keys:  # one at a time, as a person types
            subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)
        time.sleep(0.3)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def cli(home: Path, *args: str, stdin: str = "") -> None:
    env = {**os.environ, "STUDIO_HOME": str(home), "STUDIO_LANG": "en", "STUDIO_FAST_HASH": "1"}
    subprocess.run([*STUDIO, *args], input=stdin, env=env, check=True, capture_output=True,
                   text=True, timeout=60)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_first_song_in_a_real_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "staff", "add", "Kari", "--role", "admin", stdin="admin-pass\n")
    cli(home, "staff", "add", "Lea", "--role", "leader", "--as", "Kari",
        stdin="admin-pass\n4711\n")
    cli(home, "member", "add", "MC Nord", "--as", "Lea", stdin="4711\n")
    term = Terminal(home)
    try:
        term.wait_for("Practice device")  # no sound card here: said plainly on the first screen
        term.type("Lea")
        term.keys("Tab")
        term.type("4711")
        term.keys("Enter")
        term.wait_for("Who is here?")
        term.wait_for("MC Nord")
        term.keys("Enter")  # MC Nord is here
        term.keys("f")
        term.wait_for("Step 1 of 10")
        term.type("Ola")  # the witness
        term.keys("C-y")
        term.wait_for("has agreed that the recordings are kept")
        term.keys("C-n")
        term.wait_for("Step 2 of 10")
        term.keys("Down", "Down", "C-n")  # boom-bap
        term.wait_for("Step 3 of 10")
        term.type("Snow falls over the city")
        term.keys("C-n")
        term.wait_for("Step 4 of 10")
        term.keys("C-n")
        term.wait_for("Step 5 of 10")
        term.wait_for("Microphone")  # the live meter of the practice signal
        term.keys("C-n")
        term.wait_for("Step 6 of 10")
        term.keys("r")
        term.wait_for("RECORDING")  # obvious: colour and the word
        time.sleep(1.5)
        term.keys("r")
        verse = term.wait_for("Take saved")
        assert "Not recording" in verse
        term.keys("C-n")
        term.wait_for("Step 7 of 10")
        term.keys("r")
        term.wait_for("RECORDING")
        time.sleep(1.5)
        term.keys("r")
        term.wait_for("Take saved")
        term.keys("C-n")
        term.wait_for("Step 8 of 10")
        takes = term.wait_for("hook · take 1")  # the list is read in a worker
        assert "verse · take 1" in takes
        term.keys("C-n")
        term.wait_for("Step 9 of 10")
        term.keys("Space")
        term.wait_for("Playing")
        term.keys("Space", "C-n")
        term.wait_for("Step 10 of 10")
        # no consent for a copy yet: the gate's plain answer, not an error, and the question
        copy = term.wait_for("Do you want to take a copy of the song with you?")
        assert "has not agreed to a copy" in copy
        assert "Traceback" not in copy
        term.keys("C-y")  # MC Nord says yes, with Ola (from the first step) as the witness
        term.wait_for("Press E to make the copy")
        term.keys("e")
        done = term.wait_for("The copy is ready", timeout=120.0)
        assert "Traceback" not in done
    finally:
        term.close()
