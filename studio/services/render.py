"""The pre-master stereo mix of a song as it is in the catalog now, block by block.

This is what export and mastering read: every track's clips (restricted takes left out) through
the mix graph (:class:`studio.audio.mix_graph.MixGraph`) with the song's mix: gain, pan, mute,
solo, effect preset, sends to the reverb and delay buses. The master chain comes after.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from studio.audio.beat.source import BeatSource
from studio.audio.clip_reader import ClipSource
from studio.audio.mix_graph import BusSettings, GraphBus, GraphTrack, MixGraph
from studio.core.mix import BUS_NAMES
from studio.core.preset import Preset
from studio.core.song import Song, Track
from studio.services.mixing import load_presets, mixed_tracks
from studio.services.playback import beat_source_spec, clip_sources
from studio.services.studio import Studio

__all__ = ["BLOCK", "default_threads", "mix_graph", "song_blocks", "song_frames"]

BLOCK = 65536


def default_threads() -> int:
    """Lanes run on two threads where there are two cores or more (measured: see the report
    of ``studio bench render``); the result is the same either way."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def graph_parts(studio: Studio, song: Song, leave_out: frozenset[int] = frozenset()
                ) -> tuple[list[GraphTrack], BusSettings]:
    """The song's tracks as graph tracks (clips, or a beat through its renderer) with their
    mix and presets, and the buses; ``leave_out`` tracks (being recorded) are not in it."""
    tracks, buses = mixed_tracks(studio, song)
    tracks = [t for t in tracks if t.track.id not in leave_out]
    names = {t.mix.preset for t in tracks} | {buses[b].preset for b in BUS_NAMES}
    presets = load_presets({n for n in names if n}, song.samplerate)

    def preset(name: str | None) -> Preset | None:
        return presets[name] if name else None

    def source(track: Track) -> list[ClipSource] | BeatSource:
        beat = beat_source_spec(studio, song, track)
        if beat is not None:
            return BeatSource.from_spec(beat, song.samplerate)
        return clip_sources(studio, track)

    graph_tracks = [GraphTrack(source(t.track), t.mix, preset(t.mix.preset), t.track.name)
                    for t in tracks]
    reverb, delay = buses["reverb"], buses["delay"]
    settings = BusSettings(reverb=GraphBus(preset(reverb.preset), reverb.gain_db, reverb.mute),
                           delay=GraphBus(preset(delay.preset), delay.gain_db, delay.mute))
    return graph_tracks, settings


def mix_graph(studio: Studio, song: Song, max_block: int = BLOCK,
              threads: int | None = None) -> MixGraph:
    """A mix graph of the song as it is in the catalog now (the caller closes it)."""
    tracks, buses = graph_parts(studio, song)
    return MixGraph(tracks, buses, song.samplerate, max_block,
                    default_threads() if threads is None else threads)


def _length(graph: MixGraph) -> int:
    end = graph.end_frame()
    return end + graph.tail_frames() if end else 0


def song_frames(studio: Studio, song: Song) -> int:
    """Frames from the song's start to where its mix falls silent: the end of the last clip
    that plays, plus the ring-out of its reverbs and echoes."""
    with mix_graph(studio, song, max_block=1024, threads=1) as graph:
        return _length(graph)


def song_blocks(studio: Studio, song: Song, start: int = 0, frames: int | None = None,
                block: int = BLOCK, threads: int | None = None) -> Iterator[np.ndarray]:
    """Stereo float32 blocks (at most ``block`` frames each, each a new array) of the
    pre-master mix from ``start`` for ``frames`` frames (default: to the end of the song,
    reverb and echo tails included), rendered by the graph's threads a few blocks ahead
    (:meth:`studio.audio.mix_graph.MixGraph.blocks`).

    The block size does not change the samples (within float rounding). A ``start`` after 0
    begins the way playback started there does: without the tails of what came before.
    """
    graph = mix_graph(studio, song, block, threads)
    try:
        if frames is None:
            frames = max(_length(graph) - start, 0)
        yield from graph.blocks(start, frames, block)
    finally:
        graph.close()
