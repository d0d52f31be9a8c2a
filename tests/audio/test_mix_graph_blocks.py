"""The mix graph's pipelined run (MixGraph.blocks, and render on two threads): the same samples
as rendering block by block on one thread, bit for bit (effects, buses, a fader ramp in
progress, a muted track, tails past the clips); an iterator left unfinished leaves a jump; an
error in a track reaches the caller and stops the helper."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from studio.audio.clip_reader import ClipSource
from studio.audio.mix_graph import BusSettings, GraphBus, GraphTrack, MixGraph
from studio.core.mix import TrackMix
from studio.core.preset import find_preset

SR = 48000
FRAMES = 2 * SR  # past the clips: the tails ring on
Audio = npt.NDArray[np.float32]


@pytest.fixture
def song(tmp_path: Path) -> tuple[list[GraphTrack], BusSettings]:
    rng = np.random.default_rng(4)
    paths = []
    for k in range(5):
        audio = (rng.standard_normal((SR, 2)) * 0.2).astype(np.float32)
        audio[SR // 3: SR // 2] = 0.0
        path = tmp_path / f"take-{k}.wav"
        sf.write(path, audio, SR, subtype="PCM_24")
        paths.append(path)
    vocal, keys = find_preset("vocal-clean"), find_preset("keys")
    tracks = [
        GraphTrack([ClipSource(paths[0], 1000, 0, SR - 2000, 0.9, 4800, 9600)],
                   TrackMix(gain_db=-3, pan=0.4, send_reverb=0.3, send_delay=0.2), vocal),
        GraphTrack([ClipSource(paths[1], 0, 500, SR // 2)], TrackMix(pan=-0.7, send_delay=0.5),
                   keys),
        GraphTrack([ClipSource(paths[2], SR // 5, 0, SR // 2)], TrackMix(gain_db=2)),
        GraphTrack([ClipSource(paths[3], 0, 0, SR)], TrackMix(mute=True, send_reverb=0.4), keys),
        GraphTrack([ClipSource(paths[4], 300, 0, SR)], TrackMix(send_reverb=0.6), vocal),
        GraphTrack([]),
    ]
    return tracks, BusSettings(GraphBus(find_preset("bus-reverb")),
                               GraphBus(find_preset("bus-delay"), gain_db=-2))


def one_by_one(tracks: list[GraphTrack], buses: BusSettings, block: int,
               change: bool = False) -> Audio:
    with MixGraph(tracks, buses, SR, max_block=block) as graph:
        if change:
            graph.set_mix(0, TrackMix(gain_db=-9, pan=0.4, send_reverb=0.6))
        return np.concatenate([graph.render(start, min(block, FRAMES - start))
                               for start in range(0, FRAMES, block)])


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("block", [4096, 1000])
def test_blocks_equal_rendering_block_by_block(song: tuple[list[GraphTrack], BusSettings],
                                               threads: int, block: int) -> None:
    tracks, buses = song
    expected = one_by_one(tracks, buses, block)
    with MixGraph(tracks, buses, SR, max_block=block, threads=threads) as graph:
        parts = list(graph.blocks(0, FRAMES, block))
        assert [p.shape[0] for p in parts[:-1]] == [block] * (len(parts) - 1)
        assert np.array_equal(np.concatenate(parts), expected)
        # the graph goes on from where the iterator ended, as after render calls
        more = graph.render(FRAMES, 500)
    with MixGraph(tracks, buses, SR, max_block=block) as graph:
        graph.render(0, FRAMES)
        assert np.array_equal(more, graph.render(FRAMES, 500))
    assert np.abs(expected[int(1.3 * SR):]).max() > 1e-3  # the tails were rendered too


def test_a_ramp_in_progress_and_long_requests_on_two_threads(
        song: tuple[list[GraphTrack], BusSettings]) -> None:
    tracks, buses = song
    expected = one_by_one(tracks, buses, 512, change=True)
    with MixGraph(tracks, buses, SR, max_block=512, threads=2) as graph:
        graph.set_mix(0, TrackMix(gain_db=-9, pan=0.4, send_reverb=0.6))
        got = np.concatenate(list(graph.blocks(0, FRAMES, 512)))
    assert np.array_equal(got, expected)
    with MixGraph(tracks, buses, SR, max_block=512, threads=2) as graph:
        graph.set_mix(0, TrackMix(gain_db=-9, pan=0.4, send_reverb=0.6))
        whole = graph.render(0, FRAMES)  # one call, many blocks, pipelined within it
    assert np.array_equal(whole, expected)


def test_a_block_bigger_than_the_graphs_is_cut(song: tuple[list[GraphTrack], BusSettings]
                                               ) -> None:
    tracks, buses = song
    with MixGraph(tracks, buses, SR, max_block=1000, threads=2) as graph:
        parts = list(graph.blocks(0, 5500, 4096))
    assert [p.shape[0] for p in parts] == [1000] * 5 + [500]


def test_an_unfinished_iterator_leaves_a_jump(song: tuple[list[GraphTrack], BusSettings]
                                              ) -> None:
    tracks, buses = song
    with MixGraph(tracks, buses, SR, max_block=1024, threads=2) as graph:
        blocks = graph.blocks(0, FRAMES, 1024)
        next(blocks)
        next(blocks)
        after = graph.render(30_000, 2048)  # ends the iterator: a jump to 30000
        with pytest.raises(RuntimeError):
            next(blocks)
    with MixGraph(tracks, buses, SR, max_block=1024) as graph:
        graph.seek(30_000)
        assert np.array_equal(after, graph.render(30_000, 2048))


def test_closing_with_an_unfinished_iterator(song: tuple[list[GraphTrack], BusSettings]) -> None:
    tracks, buses = song
    before = threading.active_count()
    graph = MixGraph(tracks, buses, SR, max_block=1024, threads=2)
    blocks = graph.blocks(0, FRAMES, 1024)
    next(blocks)
    graph.close()  # stops the helper; nothing hangs
    assert threading.active_count() == before
    blocks.close()


class Failing:
    """A track source that breaks after a few blocks."""

    def __init__(self, after: int) -> None:
        self.left = after

    def render(self, out: Audio, song_frame: int) -> None:
        self.left -= 1
        if self.left < 0:
            raise OSError("the disk went away")
        out[:] = 0.1


@pytest.mark.parametrize("threads", [1, 2])
def test_an_error_in_a_track_reaches_the_caller(song: tuple[list[GraphTrack], BusSettings],
                                                threads: int) -> None:
    tracks, buses = song
    before = threading.active_count()
    with MixGraph([*tracks, GraphTrack(Failing(5))], buses, SR, max_block=1024,
                  threads=threads) as graph:
        with pytest.raises(OSError, match="went away"):
            for _ in graph.blocks(0, FRAMES, 1024):
                pass
    assert threading.active_count() == before


def test_a_second_iterator_ends_the_first(song: tuple[list[GraphTrack], BusSettings]) -> None:
    tracks, buses = song
    expected = one_by_one(tracks, buses, 1024)
    with MixGraph(tracks, buses, SR, max_block=1024, threads=2) as graph:
        first = graph.blocks(0, FRAMES, 1024)
        next(first)
        second = graph.blocks(0, FRAMES, 1024)
        got = [next(second)]
        first.close()  # leaves the second one running
        got += list(second)
    assert np.array_equal(np.concatenate(got), expected)
