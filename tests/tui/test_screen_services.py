"""The two services the screens added: a take's waveform overview, and the library (song
states, search, tracks and takes, "use this take")."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.core.consent import Purpose
from studio.core.gate import ExportPurpose, ReviewDecision
from studio.core.i18n import Refused, StudioError
from studio.services import consent, library, review
from studio.services.library import SongState
from studio.services.studio import TAKE_FILE_MISSING
from studio.services.waveform import column_edges, min_max_columns, take_waveform
from studio.store.song_content import current_version

from .world import SR, add_take, make_world


def brute_force(audio: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    spans = list(itertools.pairwise(column_edges(len(audio), columns)))
    low = np.array([audio[a:b].min() if b > a else np.inf for a, b in spans])
    high = np.array([audio[a:b].max() if b > a else -np.inf for a, b in spans])
    return low, high


@settings(max_examples=60, deadline=None)
@given(frames=st.integers(1, 3000), columns=st.integers(1, 97), block=st.integers(1, 700),
       seed=st.integers(0, 2**32 - 1))
def test_min_max_does_not_depend_on_the_block_size(frames: int, columns: int, block: int,
                                                   seed: int) -> None:
    audio = np.random.default_rng(seed).uniform(-1, 1, (frames, 2)).astype(np.float32)
    low = np.full(columns, np.inf)
    high = np.full(columns, -np.inf)
    for start in range(0, frames, block):
        lo, hi = min_max_columns(audio[start:start + block], columns, first_frame=start,
                                 total_frames=frames)
        np.minimum(low, lo, out=low)
        np.maximum(high, hi, out=high)
    want_low, _ = brute_force(audio.min(axis=1), columns)
    _, want_high = brute_force(audio.max(axis=1), columns)
    np.testing.assert_array_equal(low, want_low)
    np.testing.assert_array_equal(high, want_high)


def test_waveform_of_a_take_reads_the_file_in_blocks(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    take = world.studio.takes(world.song)[0]
    path = world.studio.take_path(take)
    audio = np.zeros((SR, 1), np.float32)
    audio[SR // 2: SR // 2 + 10] = 0.9  # one click in the middle
    audio[-1] = -0.5
    sf.write(path, audio, SR, subtype="FLOAT")
    wave = take_waveform(world.studio, take, 10, actor=world.leader, block_frames=777)
    assert wave.columns == 10 and wave.frames == SR and wave.seconds == 1.0
    assert wave.high[5] == pytest.approx(0.9) and max(wave.high[:5]) == 0.0
    assert wave.low[9] == pytest.approx(-0.5)
    assert wave.peaks()[5] == pytest.approx(0.9)


def test_waveform_refuses_what_may_not_be_heard(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    take = world.studio.takes(world.song)[0]
    with pytest.raises(Refused):  # a member's take, nobody signed in
        take_waveform(world.studio, take, 10)
    with pytest.raises(StudioError):
        take_waveform(world.studio, take, 0, actor=world.leader)
    world.studio.take_path(take).unlink()
    with pytest.raises(StudioError) as missing:
        take_waveform(world.studio, take, 10, actor=world.leader)
    assert missing.value.words is TAKE_FILE_MISSING


def test_song_states_follow_review_release_and_withdrawal(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    studio, song = world.studio, world.song
    assert library.song_state(studio, song) is SongState.DRAFT
    review.submit(studio, world.leader, song)
    assert library.song_state(studio, song) is SongState.IN_REVIEW
    consent.grant(studio, world.leader, "MC Nord", Purpose.PUBLIC_RELEASE, witness="Thea",
                  song="Nordlys", platforms=["streaming"])
    review.decide_review(studio, world.therapist, song, ReviewDecision.APPROVED)
    assert library.song_state(studio, song) is SongState.APPROVED
    studio.catalog.write(lambda conn: conn.execute(  # a public export of this version
        "INSERT INTO exports (song_id, version, purpose, format, path, seq, by_staff, at)"
        " SELECT ?, version, 'public', 'wav', '/x.wav', seq, 'Thea', at FROM reviews"
        " WHERE song_id = ? ORDER BY seq DESC LIMIT 1", (song.id, song.id)))
    assert library.song_state(studio, song) is SongState.RELEASED
    consent.withdraw(studio, world.leader, "MC Nord", Purpose.PUBLIC_RELEASE)
    assert library.song_state(studio, song) is SongState.WITHDRAWN


def test_a_no_without_an_earlier_yes_is_not_a_withdrawal(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    consent.withdraw(world.studio, world.leader, "MC Nord", Purpose.PUBLIC_RELEASE)
    assert library.song_state(world.studio, world.song) is SongState.DRAFT
    review.submit(world.studio, world.leader, world.song)
    review.decide_review(world.studio, world.therapist, world.song, ReviewDecision.CHANGES,
                         "mer tekst")
    assert library.song_state(world.studio, world.song) is SongState.CHANGES


def test_library_search_and_names_only_for_someone_signed_in(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    signed_in = library.library(world.studio, world.leader, "mc nord")
    assert [e.song.name for e in signed_in] == ["Nordlys"]
    assert signed_in[0].artist == "MC Nord" and signed_in[0].takes == 1
    nobody = library.library(world.studio, None)
    assert {e.song.name for e in nobody} == {"Nordlys", "Øvelse"}
    assert all(e.artist == "" for e in nobody)
    assert library.library(world.studio, None, "mc nord") == []  # no searching by name either
    assert [e.song.name for e in library.library(world.studio, None, "ØVEL")] == ["Øvelse"]


def test_use_take_replaces_what_the_track_plays_and_keeps_the_takes(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    studio = world.studio
    first = studio.takes(world.song)[0]
    second = add_take(studio, world.song, "vokal", freq=330.0, use=False)
    (item,) = library.tracks_and_takes(studio, world.song)
    assert [(i.number, i.in_use) for i in item.takes] == [(2, False), (1, True)]
    before = studio.catalog.read(lambda c: current_version(c, world.song.id))
    library.use_take(studio, world.leader, second)
    (item,) = library.tracks_and_takes(studio, world.song)
    assert [(i.take.id, i.in_use) for i in item.takes] == [(second.id, True), (first.id, False)]
    assert len(studio.takes(world.song)) == 2  # nothing deleted
    after = studio.catalog.read(lambda c: current_version(c, world.song.id))
    assert before != after  # a new version: it needs review again
    with pytest.raises(Refused):
        library.use_take(studio, None, first)  # a member's song: sign in first
    with pytest.raises(Refused):
        library.use_take(studio, world.admin, first)  # an admin does not edit songs


def test_gate_reason_is_what_the_export_screen_shows(tmp_path: Path) -> None:
    from studio.services.release import ask_gate

    world = make_world(tmp_path)
    decision = ask_gate(world.studio, world.leader, world.song, ExportPurpose.PUBLIC)
    assert not decision.allowed and "cannot release" in decision.say("en")
