"""What the engine plays of a song: its mix graph (every track's clips, newer takes on top of
older ones, or its beat; with gain, pan, mute, solo, effects and buses), rendered by the disk
worker into one playback slot, the same graph the export renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.audio.clip_reader import ClipSource
from studio.audio.mix_graph import buses_to_json, track_to_json
from studio.audio.protocol import Cmd
from studio.core.song import Song, Track
from studio.services.studio import Studio
from studio.services.supervisor import Supervisor

MIX_SLOT = 0  # the engine playback slot the song's mix plays through


@dataclass(frozen=True)
class PlaybackMix:
    """What the disk worker renders for the engine: the song's mix graph as plain data (the
    same graph the export renders, so what is heard is what is exported)."""

    tracks: list[dict[str, Any]]
    buses: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"tracks": self.tracks, "buses": self.buses}


def playback_plan(studio: Studio, song: Song, leave_out: set[int]) -> PlaybackMix | None:
    """The song's mix as it is in the catalog now, without ``leave_out`` tracks (those being
    recorded); None when nothing would sound."""
    from studio.services.render import graph_parts  # render reads clips through this module

    tracks, buses = graph_parts(studio, song, frozenset(leave_out))
    if not any(t.source for t in tracks):
        return None
    return PlaybackMix([track_to_json(t) for t in tracks], buses_to_json(buses))


def beat_source_spec(studio: Studio, song: Song, track: Track) -> dict[str, object] | None:
    """What the disk worker needs to play a beat track: the beat, its kit, the song's tempo."""
    if track.kind != "beat":
        return None
    found = studio.catalog.beat_of(track.id)
    if found is None:
        return None
    toml, kit = found
    return {"toml": toml, "kit": studio.kit_path(kit), "tempo_bpm": song.tempo_bpm}


def clip_sources(studio: Studio, track: Track) -> list[ClipSource]:
    """The track's clips as the clip reader plays them, oldest first (newer ones on top)."""
    sources = []
    for clip in studio.catalog.clips(track.id):
        take = studio.catalog.take(clip.take_id)
        if take.restricted:  # kept under a retention duty only: never played for anyone
            continue
        sources.append(ClipSource(studio.take_path(take), clip.position_frames,
                                  clip.offset_frames, clip.length_frames,
                                  10 ** (clip.gain_db / 20), clip.fade_in_frames,
                                  clip.fade_out_frames))
    return sources


def start_playback(sup: Supervisor, plan: PlaybackMix | None, epoch: int, start: int,
                   loop_start: int = 0, loop_end: int = 0, timeout: float = 30.0) -> None:
    """Have the disk worker prefetch the mix for this epoch, and switch its slot on."""
    if plan is None:
        sup.command(Cmd.TRACK_ACTIVE, MIX_SLOT, 0)
        return
    sup.command(Cmd.TRACK_GAIN, MIX_SLOT, x=1.0, y=1.0)
    sup.command(Cmd.TRACK_ACTIVE, MIX_SLOT, 1)
    sup.disk({"op": "play", "epoch": epoch, "start": start, "loop_start": loop_start,
              "loop_end": loop_end, "tracks": [{"slot": MIX_SLOT, "graph": plan.to_json()}]})
    sup.wait_disk("prefetched", timeout=timeout, epoch=epoch)
