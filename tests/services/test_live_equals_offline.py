"""What the engine plays is what the export renders: the song's mix graph (clips with effects,
a beat track, pan, sends to the reverb bus) runs in the disk worker for live playback, and the
engine's output equals the offline pre-master render, at any block size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.audio.backends.null import NullBackend
from studio.audio.disk_worker import DiskWorker
from studio.audio.engine import Engine
from studio.audio.layout import EngineLayout, EngineMemory
from studio.audio.protocol import Cmd
from studio.core.beat import dump_beat
from studio.services.beats import find_beat
from studio.services.mixing import MixChanges, change_mix
from studio.services.playback import MIX_SLOT, playback_plan
from studio.services.render import song_blocks
from studio.services.studio import Studio
from studio.store.layout import StudioPaths
from tests.people.world import add_take

SR = 48000


def a_song(studio: Studio) -> Any:
    song = studio.new_song("Live", tempo_bpm=92)
    add_take(studio, song, "vokal", seconds=2.0, freq=330)
    studio.catalog.set_beat(song.id, "beat", dump_beat(find_beat("boom-bap")))
    change_mix(studio, None, song, MixChanges("vokal", {"preset": "vocal-warm", "pan": -0.4,
                                                        "send_reverb": 0.3}))
    change_mix(studio, None, song, MixChanges("beat", {"gain_db": -3.0}))
    return studio.catalog.song(song.id)


@pytest.mark.parametrize("block", [64, 65, 512])
def test_the_engine_plays_the_offline_mix(tmp_path: Path, block: int) -> None:
    with Studio(StudioPaths(tmp_path / "home")) as studio:
        song = a_song(studio)
        frames = 2 * SR + 1000
        offline = np.concatenate(list(song_blocks(studio, song, 0, frames, block=4096,
                                                  threads=1)))
        plan = playback_plan(studio, song, set())
        assert plan is not None
    layout = EngineLayout(input_channels=2, output_channels=2, capture_slots=1,
                          playback_slots=2, playback_seconds=1.0, max_samplerate=SR)
    memory = EngineMemory(layout, tmp_path / "engine.shm", create=True)
    try:
        engine = Engine(memory, SR, max_block=4096, frames_per_beat=SR * 60 / 92)
        worker = DiskWorker(memory, SR, lambda event: None)
        worker.handle({"op": "play", "epoch": 1, "start": 0, "loop_start": 0, "loop_end": 0,
                       "tracks": [{"slot": MIX_SLOT, "graph": plan.to_json()}]})
        memory.commands.push(int(Cmd.TRACK_GAIN), MIX_SLOT, x=1.0, y=1.0)
        memory.commands.push(int(Cmd.TRACK_ACTIVE), MIX_SLOT, 1)
        memory.commands.push(int(Cmd.PLAY), 1, 0, 0, 0)
        backend = NullBackend(engine, block)
        live = []
        got = 0
        while got < frames:
            worker.prefetch()
            part = backend.run(block * 16)
            live.append(part)
            got += len(part)
        played = np.concatenate(live)[:frames]
    finally:
        memory.close()
    assert np.abs(offline).max() > 0.05
    # the same graph, rendered in the disk worker's blocks: equal within float rounding
    np.testing.assert_allclose(played, offline, atol=2e-5)
