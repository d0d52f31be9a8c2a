"""What the review of the engine found: a restarted engine host must not write into reserved
takes; a clip whose file is gone plays as silence and is named, without stopping the studio."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from studio.services.recording import Recording, RecordRequest, TrackInput
from studio.services.studio import Studio
from studio.services.supervisor import EngineSettings, Supervisor
from studio.store.layout import StudioPaths

SR = 48000


def test_restarting_the_engine_leaves_reserved_takes_alone(tmp_path: Path) -> None:
    sup = Supervisor(EngineSettings(backend="practice"), tmp_path / "run", tmp_path)
    sup.start()
    try:
        take = tmp_path / "reserved.wav"
        sup.disk({"op": "reserve", "slot": 0, "take_id": 7, "path": str(take), "channels": 1})
        sup.wait_disk("reserved", timeout=10, take_id=7)
        for _ in range(3):
            sup.restart_engine()
        sup.disk({"op": "drain", "token": 1})
        sup.wait_disk("drained", timeout=10, token=1)
        sup.disk({"op": "release", "slot": 0})
        sup.wait_disk("released", timeout=10, take_id=7)
        said = [e["event"] for e in sup.drain_disk_events()]
        assert "take_started" not in said and "take_finished" not in said
        assert not take.exists()
    finally:
        sup.stop()


def test_a_missing_clip_plays_as_silence_and_is_named(tmp_path: Path) -> None:
    with Studio(StudioPaths(tmp_path)) as studio:
        song = studio.new_song("Gone")
        track = studio.catalog.ensure_track(song.id, "beat")
        path = studio.paths.new_take_path(song.id, "beat")
        sf.write(path, np.zeros((SR, 1), dtype=np.float32), SR, subtype="PCM_24")
        take = studio.catalog.begin_take(song.id, track.id, studio.paths.relative(path), SR, 1,
                                         device="test", latency_frames=0)
        studio.catalog.finish_take(take.id, frames=SR, sha256=None, song_position_frames=0,
                                   gaps=())
        studio.catalog.add_clip(track.id, take.id, 0, 0, SR)
        os.unlink(path)  # someone deleted the file behind the studio's back
        result = Recording(studio, RecordRequest(
            song="Gone", tracks=[TrackInput("vocal", (1,))], seconds=0.5,
            device="practice")).run()
        (done,) = result.takes
        assert done.state == "complete" and done.frames == SR // 2
        assert any(str(path) in m for m in result.messages), result.messages


def test_a_problem_inside_the_engine_is_told_in_plain_words(tmp_path: Path) -> None:
    from studio.audio.protocol import Cmd

    with Studio(StudioPaths(tmp_path)) as studio:
        studio.new_song("Faulty")
        recording: list[Recording] = []

        def send_nonsense() -> None:
            sup = recording[0].supervisor
            assert sup is not None
            sup.command(Cmd.CLICK, 7)  # no such click mode: the engine drops it and says so

        request = RecordRequest(song="Faulty", tracks=[TrackInput("vocal", (1,))],
                                seconds=0.5, device="practice", after_start=send_nonsense)
        recording.append(Recording(studio, request))
        result = recording[0].run()
        (take,) = result.takes
        assert take.state == "complete"
        assert sum("reported a problem" in m or "meldte en feil" in m
                   for m in result.messages) == 1


def test_a_jack_device_at_another_rate_is_refused_in_plain_words() -> None:
    from studio.audio.devices import DeviceInfo
    from studio.core.i18n import StudioError
    from studio.services.studio import Studio

    def device(hostapi: str, rate: float) -> DeviceInfo:
        return DeviceInfo(0, "system", hostapi, 2, 2, rate, 0.005, 0.005)

    jack = device("JACK Audio Connection Kit", 44100.0)
    with pytest.raises(StudioError) as refused:
        Studio.check_rate(jack, 48000)
    assert "runs at 44100 Hz, but the song is at 48000 Hz" in refused.value.say("en")
    assert "44100 Hz" in refused.value.say("nb")
    Studio.check_rate(jack, 44100)  # the server's own rate
    Studio.check_rate(device("ALSA", 44100.0), 48000)  # opened and asked, not refused here
    Studio.check_rate(None, 48000)  # the practice device follows the song
