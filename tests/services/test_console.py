"""The console on the practice device: play what was recorded, stop, locate, loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from studio.services.console import Console
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

SR = 48000


def wait_for(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def add_take(studio: Studio, song_id: int, track_name: str, audio: np.ndarray) -> None:
    track = studio.catalog.ensure_track(song_id, track_name)
    path = studio.paths.new_take_path(song_id, track_name)
    take = studio.catalog.begin_take(song_id, track.id, studio.paths.relative(path), SR, 1,
                                     device="test", latency_frames=0)
    sf.write(path, audio, SR, subtype="PCM_24")
    studio.catalog.finish_take(take.id, frames=len(audio), sha256=None,
                               song_position_frames=0, gaps=())
    studio.catalog.add_clip(track.id, take.id, 0, 0, len(audio))


def test_play_stop_locate_and_loop(tmp_path: Path) -> None:
    with Studio(StudioPaths(tmp_path)) as studio:
        song = studio.new_song("Listen", tempo_bpm=240)  # one bar = one second
        tone = (np.sin(np.arange(SR * 4) * 2 * np.pi * 330 / SR) * 0.5).astype(np.float32)
        add_take(studio, song.id, "beat", tone.reshape(-1, 1))
        with Console(studio, "Listen", device="practice") as console:
            assert console.practice
            console.play()
            wait_for(lambda: console.playhead().song_frame > SR // 2)
            meters = console.output_meters()
            assert meters[0][0] > 0.2  # the take is heard (peak of the left output)
            console.stop()
            wait_for(lambda: not console.rolling())
            stopped = console.playhead().song_frame
            assert stopped >= SR // 2
            console.play()  # carries on from where it stopped
            wait_for(lambda: console.rolling())
            assert console.playhead().song_frame >= stopped
            console.locate_bar(3)  # while playing: jumps and keeps playing
            wait_for(lambda: console.playhead().song_frame >= 2 * SR)
            assert console.playhead().bar >= 3
            console.stop()
            console.set_loop(1, 1)
            console.locate_bar(1)
            console.play()
            wrapped: list[int] = []

            def looped() -> bool:
                frame = console.playhead().song_frame
                if wrapped and frame < wrapped[-1]:
                    return True
                wrapped.append(frame)
                return False

            wait_for(looped, timeout=10)
            assert max(wrapped) < SR  # never left the one-bar loop
            console.stop()


def test_cli_play(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, STUDIO_HOME=str(tmp_path), STUDIO_LANG="en")
    run = [sys.executable, "-m", "studio"]
    subprocess.run([*run, "song", "new", "P"], env=env, check=True, capture_output=True)
    done = subprocess.run([*run, "play", "--song", "P", "--seconds", "0.5", "--from-bar", "2",
                           "--device", "practice", "--json"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["practice"] is True
    assert result["from_frame"] == round(4 * SR * 60 / 90)  # bar 2 at 90 BPM
    assert result["stopped_at_frame"] > result["from_frame"]


def test_a_pad_plays_a_kit_voice_at_once_with_the_transport_stopped(tmp_path: Path) -> None:
    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Pads", tempo_bpm=90)
        with Console(studio, "Pads", device="practice") as console:
            voices = console.load_kit("synth")
            assert {"kick", "snare", "hat_closed", "hat_open"} <= set(voices)
            assert not console.rolling()
            assert console.output_meters()[0][3] == 0.0  # peak max: nothing yet
            console.trigger_pad("kick", 127)
            wait_for(lambda: console.output_meters()[0][3] > 0.2)
            console.trigger_pad("nonexistent", 127)  # nothing, no error


def test_track_levels_follow_what_is_heard(tmp_path: Path) -> None:
    """The mix screen's strip meters on a running console: each track's level where the
    playhead is, silent where a track is silent (the stamping itself, loops and locates, is
    tested without an engine in tests/audio/test_track_levels.py)."""
    with Studio(StudioPaths(tmp_path)) as studio:
        song = studio.new_song("Meters", tempo_bpm=240)  # one bar = one second
        t = np.arange(SR * 4)
        tone = (np.sin(t * 2 * np.pi * 330 / SR) * 0.5).astype(np.float32)
        add_take(studio, song.id, "steady", tone.reshape(-1, 1))
        late = tone.copy()
        late[: 2 * SR] = 0.0  # silent for two bars, then as loud as the other
        add_take(studio, song.id, "late", late.reshape(-1, 1))
        with Console(studio, "Meters", device="practice") as console:
            assert console.track_levels() == {}  # stopped: nothing to show
            console.play()
            early: list[tuple[int, dict[str, tuple[float, float]]]] = []

            def heard_early() -> bool:
                levels = console.track_levels()
                frame = console.playhead().song_frame
                if levels and frame < 2 * SR - SR // 4:
                    early.append((frame, levels))
                return len(early) >= 3 or frame >= 2 * SR - SR // 4

            wait_for(heard_early)
            assert early, "no levels in the first two bars"
            for _, levels in early:
                # the centre-panned tone: 0.5 × cos(45°) on each side; the late one silent
                assert max(levels["steady"]) == pytest.approx(0.5 * np.sqrt(0.5), abs=0.01)
                assert max(levels["late"]) == 0.0
            later: list[dict[str, tuple[float, float]]] = []

            def heard_late() -> bool:
                levels = console.track_levels()
                if levels and console.playhead().song_frame > 2 * SR + SR // 10:
                    later.append(levels)
                return bool(later)

            wait_for(heard_late)
            assert max(later[0]["late"]) == pytest.approx(0.5 * np.sqrt(0.5), abs=0.01)
            console.stop()
            wait_for(lambda: not console.rolling())
            assert console.track_levels() == {}
