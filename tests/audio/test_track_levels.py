"""Per-track levels from the disk worker to the screen: found by epoch and timeline frame,
never from another epoch, and nothing before it was rendered or after it was written over."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.audio.disk_worker import GraphSource, PlaybackFeeder
from studio.audio.mix_graph import BusSettings, GraphTrack, MixGraph
from studio.audio.shm import SharedRegion, TimelineRing
from studio.audio.track_levels import MAX_TRACKS, SLOTS, WINDOW, TrackLevels, window_peaks
from studio.core.mix import TrackMix
from studio.core.timeline import Epoch, LoopRange


@pytest.fixture
def levels(tmp_path: Path) -> TrackLevels:
    region = SharedRegion(tmp_path / "levels.shm", TrackLevels.specs(), create=True)
    return TrackLevels(region)


def block_peaks(windows: int, tracks: int, level: float) -> np.ndarray:
    return np.full((windows, tracks, 2), level, dtype=np.float32)


def test_window_peaks_are_the_highest_magnitude_in_each_window() -> None:
    block = np.zeros((WINDOW * 2 + 10, 2), dtype=np.float32)
    block[5, 0] = -0.5  # a negative peak counts by its size
    block[WINDOW + 3, 1] = 0.25
    block[2 * WINDOW + 9, 0] = 0.75  # the short last window
    peaks = window_peaks(block)
    assert peaks.shape == (3, 2)
    assert peaks.tolist() == [[0.5, 0.0], [0.0, 0.25], [0.75, 0.0]]


def test_found_by_epoch_and_timeline_frame(levels: TrackLevels) -> None:
    peaks = block_peaks(4, 3, 0.1)
    peaks[2, 1] = [0.5, 0.4]  # track 2 is loud in the third window
    levels.write(7, 48000, peaks, 4 * WINDOW)
    first = levels.find(7, 48000, 48000, 3)
    assert first is not None and np.allclose(first, 0.1) and first.shape == (3, 2)
    third = 48000 + 2 * WINDOW + 10
    found = levels.find(7, third, third, 3)
    assert found is not None and found[1].tolist() == pytest.approx([0.5, 0.4])
    # a span covering several windows gives the highest of them
    span = levels.find(7, 48000, third, 3)
    assert span is not None and span[1].tolist() == pytest.approx([0.5, 0.4])
    assert levels.find(8, 48000, 48000, 3) is None  # another epoch: not these
    assert levels.find(7, 48000 + 4 * WINDOW, 48000 + 5 * WINDOW, 3) is None  # not yet rendered
    assert levels.find(7, 0, 100, 3) is None


def test_old_windows_are_written_over(levels: TrackLevels) -> None:
    levels.write(1, 0, block_peaks(1, 1, 0.2), WINDOW)
    found = levels.find(1, 10, 10, 1)
    assert found is not None and np.allclose(found, 0.2) and found.shape == (1, 2)
    for k in range(SLOTS):  # a long song later, the first windows are gone
        levels.write(1, (k + 10) * WINDOW, block_peaks(1, 1, 0.1), WINDOW)
    assert levels.find(1, 10, 10, 1) is None


def test_more_tracks_than_room_keeps_the_first(levels: TrackLevels) -> None:
    levels.write(1, 0, block_peaks(1, MAX_TRACKS + 5, 0.5), WINDOW)
    found = levels.find(1, 0, 0, MAX_TRACKS + 5)
    assert found is not None and found.shape == (MAX_TRACKS, 2)


def test_a_slot_being_rewritten_is_not_read(levels: TrackLevels) -> None:
    levels.write(1, 0, block_peaks(1, 1, 0.2), WINDOW)
    levels.stamps[0, 0] = -1  # the writer is in the middle of this slot
    assert levels.find(1, 0, 0, 1) is None


class SongFrames:
    """A track whose every sample is its own song frame (scaled): a level says which song
    frames it was measured on."""

    def render(self, out: np.ndarray, frame: int) -> None:
        out[:] = ((frame + np.arange(len(out))) / SCALE)[:, None]


SCALE = float(2**20)


@pytest.mark.parametrize("epoch", [
    Epoch(1, 0),
    Epoch(2, 100_000),  # a locate: the timeline starts at 0, the song far in
    Epoch(3, 40_000, LoopRange(50_000, 53_500)),  # a loop shorter than the prefetch
    Epoch(4, -20_000, LoopRange(0, 30_000)),  # a count-in before a loop
], ids=["play", "locate", "short-loop", "count-in-and-loop"])
def test_levels_are_stamped_with_the_timeline_frames_heard(tmp_path: Path, epoch: Epoch) -> None:
    """The disk worker's playback path, as it runs: the mix graph renders ahead through the
    feeder and stamps each window; a callback consuming the ring then looks up the window of
    every block it plays, and must find the song frames it is hearing."""
    specs = [*TimelineRing.specs("play0", 16_384, 2), *TrackLevels.specs()]
    region = SharedRegion(tmp_path / "playback.shm", specs, create=True)
    ring, levels = TimelineRing(region, "play0"), TrackLevels(region)
    graph = MixGraph([GraphTrack(SongFrames(), TrackMix(), None, "frames")], BusSettings(),
                     48000, max_block=8192, threads=1)
    source = GraphSource(graph, "key", levels)
    feeder = PlaybackFeeder(ring)
    feeder.start(epoch, [], source)
    gain = float(np.cos(np.pi / 4))  # centre pan
    block = np.zeros((256, 2), dtype=np.float32)
    for t in range(0, 200_000, 256):
        while feeder.pump():
            pass
        assert ring.read_rt(epoch.number, t, block, 256)
        found = levels.find(epoch.number, t, t, 1)
        assert found is not None, f"no level for timeline frame {t}"
        loudest = round(float(found[0, 0]) / gain * SCALE)
        heard = epoch.song_frame(t)
        if heard < 0:  # the count-in: song frames before the song (what matters is after it)
            continue
        # the window holding t begins at most a window before it, in song frames, unless a
        # loop wrapped inside that window (then its loudest frame is just before the loop end)
        wrapped = epoch.loop is not None and loudest >= epoch.loop.end - WINDOW
        assert heard <= loudest < heard + WINDOW or wrapped, (t, heard, loudest)
    graph.close()
    region.close()
