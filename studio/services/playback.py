"""What the engine plays of a song: each track's clips, in the order they were made (a newer
take lies on top of an older one where they overlap), with the track's gain and pan."""

from __future__ import annotations

from dataclasses import dataclass

from studio.audio.clip_reader import ClipSource, clip_to_json
from studio.audio.gain import constant_power_pan
from studio.audio.protocol import Cmd
from studio.core.song import Song, Track
from studio.services.studio import Studio
from studio.services.supervisor import Supervisor


@dataclass(frozen=True)
class PlaybackTrack:
    slot: int
    track: Track
    clips: list[ClipSource]
    gain_left: float
    gain_right: float
    beat: dict[str, object] | None = None  # a beat track: its document, kit and the tempo


def playback_plan(studio: Studio, song: Song, leave_out: set[int], slots: int
                  ) -> list[PlaybackTrack]:
    """The song's tracks that have something to play (muted and ``leave_out`` tracks aside),
    one engine playback slot each."""
    plan: list[PlaybackTrack] = []
    for track in studio.catalog.tracks(song.id):
        if track.id in leave_out or track.muted or len(plan) >= slots:
            continue
        clips = clip_sources(studio, track)
        beat = beat_source_spec(studio, song, track)
        if not clips and beat is None:
            continue
        left, right = constant_power_pan(track.pan)
        gain = 10 ** (track.gain_db / 20)
        plan.append(PlaybackTrack(len(plan), track, clips, gain * left, gain * right, beat))
    return plan


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


def start_playback(sup: Supervisor, plan: list[PlaybackTrack], epoch: int, start: int,
                   loop_start: int = 0, loop_end: int = 0, timeout: float = 30.0) -> None:
    """Have the disk worker prefetch the plan for this epoch, and switch the tracks on."""
    for item in plan:
        sup.command(Cmd.TRACK_GAIN, item.slot, x=item.gain_left, y=item.gain_right)
        sup.command(Cmd.TRACK_ACTIVE, item.slot, 1)
    if plan:
        sup.disk({"op": "play", "epoch": epoch, "start": start, "loop_start": loop_start,
                  "loop_end": loop_end,
                  "tracks": [{"slot": item.slot, "clips": [clip_to_json(c) for c in item.clips],
                              "beat": item.beat} for item in plan]})
        sup.wait_disk("prefetched", timeout=timeout, epoch=epoch)
