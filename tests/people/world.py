"""A small studio with people in it, for the consent, review and release tests: an admin, a
leader, a therapist, two members with a song each, and a manual clock (no sleeping)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.core.consent import Purpose
from studio.core.people import Actor, Member, Role
from studio.core.song import Song, Take
from studio.services import consent, people
from studio.services.access import sign_in
from studio.services.studio import Studio
from studio.store.layout import StudioPaths

os.environ["STUDIO_FAST_HASH"] = "1"  # Argon2id with cheap parameters: tests sign in a lot
SR = 48000
SECRETS = {"Admin": "admin-passphrase", "Lea": "4711", "Thea": "therapist-pass"}


class ManualClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    studio: Studio
    clock: ManualClock
    admin: Actor
    leader: Actor
    therapist: Actor
    members: list[Member]
    songs: list[Song]

    def close(self) -> None:
        self.studio.close()


def add_take(studio: Studio, song: Song, track_name: str, seconds: float = 0.5,
             freq: float = 220.0, use: bool = True) -> Take:
    """A finished take of a sine tone on ``track_name``, placed at the song's start when
    ``use`` (else only in the track's list of takes)."""
    track = studio.catalog.ensure_track(song.id, track_name)
    path = studio.paths.new_take_path(song.id, track_name)
    take = studio.catalog.begin_take(song.id, track.id, studio.paths.relative(path), SR, 1,
                                     device="test", latency_frames=0)
    n = int(seconds * SR)
    audio = (0.25 * np.sin(np.arange(n) * 2 * np.pi * freq / SR)).astype(np.float32)
    sf.write(path, audio.reshape(-1, 1), SR, subtype="PCM_24")
    done = studio.catalog.finish_take(take.id, frames=n,
                                      sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                                      song_position_frames=0, gaps=())
    if use:
        studio.catalog.add_clip(track.id, take.id, 0, 0, n)
    return done


def make_world(home: Path, aliases: tuple[str, ...] = ("MC Nord", "Lyra")) -> World:
    clock = ManualClock()
    studio = Studio(StudioPaths(home), clock=clock)
    people.add_staff(studio, None, "Admin", Role.ADMIN, SECRETS["Admin"])
    admin = sign_in(studio, "Admin", SECRETS["Admin"])
    people.add_staff(studio, admin, "Lea", Role.LEADER, SECRETS["Lea"])
    people.add_staff(studio, admin, "Thea", Role.THERAPIST, SECRETS["Thea"])
    leader = sign_in(studio, "Lea", SECRETS["Lea"])
    therapist = sign_in(studio, "Thea", SECRETS["Thea"])
    members, songs = [], []
    for i, alias in enumerate(aliases):
        member = people.add_member(studio, leader, alias, note=f"private note {i}")
        consent.grant(studio, leader, alias, Purpose.KEEP, witness="Thea",
                      keep_until="2027-01-01")
        song = studio.new_song(f"Song of {alias}", tempo_bpm=90)
        song = people.set_artist(studio, leader, song, alias)
        add_take(studio, song, "vokal", freq=220.0 + 110 * i)
        members.append(member)
        songs.append(studio.catalog.song(song.id))
    return World(studio, clock, admin, leader, therapist, members, songs)
