"""The plain-data language spoken between supervisor, engine host and disk worker.

Commands go into the callback through a :class:`~studio.audio.shm.RecordQueue`; events and
capture markers come out the same way. Every record is (op, 5 ints, 2 floats).
"""

from __future__ import annotations

from enum import IntEnum


class Cmd(IntEnum):
    """Commands to the callback. Fields: a..e ints, x..y floats."""

    PLAY = 1  # a=epoch, b=start frame, c=loop start, d=loop end (d<=c: no loop)
    STOP = 2
    SET_TEMPO = 3  # a=beats per bar, x=frames per beat
    CLICK = 4  # a=mode (ClickMode), x=level
    ARM = 5  # a=capture slot, b=armed(0/1), c=input channel A, d=input channel B (-1: mono)
    RECORD = 6  # a=on(0/1), b=punch in frame, c=punch out frame (c<=b: no punch out)
    MONITOR = 7  # a=capture slot, b=on(0/1), x=monitor level
    TRACK_GAIN = 8  # a=playback slot, x=left gain, y=right gain (pan folded in)
    TRACK_ACTIVE = 9  # a=playback slot, b=on(0/1)
    QUIT = 10
    PAD = 11  # a=pad slot, x=gain: play a one-shot now (rolling or not)


class ClickMode(IntEnum):
    OFF = 0
    ALWAYS = 1
    COUNT_IN = 2  # only before the punch-in point


class Event(IntEnum):
    """Events from the callback to the supervisor."""

    STARTED = 1  # a=epoch, b=start frame
    STOPPED = 2  # a=epoch, b=song frame where it stopped
    RECORD_PASS = 3  # a=capture slot, b=pass index, c=song frame of its first sample
    GAP = 4  # a=frames lost, b=song frame, c=capture slots affected (bit mask)
    FAULT = 5  # a=fault code


class Marker(IntEnum):
    """Capture markers, one queue per capture slot, read by the disk worker in order.

    ``a`` is always the capture ring's write count at the marker, so the disk worker knows
    exactly which frames belong to which take."""

    TAKE_START = 1  # a=ring position, b=song frame of the first sample, c=pass index
    TAKE_END = 2  # a=ring position
    GAP = 3  # a=ring position, b=frames of silence to insert there


class Fault(IntEnum):
    CALLBACK_ERROR = 1
    CAPTURE_OVERFLOW = 2
    BAD_COMMAND = 3


class Transport(IntEnum):
    STOPPED = 0
    ROLLING = 1


class Status(IntEnum):
    """Index into the engine's status values (latest wins)."""

    HEARTBEAT = 0  # callbacks so far
    STATE = 1  # Transport
    EPOCH = 2
    SONG_FRAME = 3
    TIMELINE_FRAME = 4
    RECORDING = 5  # 1 while any armed slot is being written
    XRUNS = 6  # status flags from the device
    GAP_FRAMES = 7  # frames lost in gaps, in total
    FAULTS = 8
    LAST_CALLBACK_S = 9
    MAX_CALLBACK_S = 10
    SAMPLERATE = 11
    BLOCKSIZE = 12  # the last block size seen
    INPUT_LATENCY_S = 13
    OUTPUT_LATENCY_S = 14
    PASS_INDEX = 15
    CAPTURE_DROPPED = 16  # frames the disk worker's rings had no room for
    PLAYBACK_UNDERRUNS = 17  # blocks where a playing track's audio had not arrived
    COUNT = 24
