"""The child process that decodes one file for import: ``python -m studio.audio.decode_child``.

Why a process of its own (and not a thread, nor ``multiprocessing``): a damaged or hostile file
can make a decoder allocate without end, loop for ever or crash in C. In a child of its own the
operating system enforces the limits and a crash takes nothing else with it. A plain
``subprocess`` running this module is used rather than ``multiprocessing`` with ``spawn``:
``spawn`` re-imports the parent's ``__main__`` (the Textual UI or the CLI) in the child, pickles
its arguments and talks through its own pipes; here the child imports only what decoding needs,
the stream is a plain pipe the parent reads with ``poll`` and a deadline, and stopping it is one
``SIGKILL``. The memory limit is set by the child itself as its very first action (before numpy,
libsndfile or soxr are loaded), because ``preexec_fn`` is unsafe in a parent that runs threads.

Limits set here: ``RLIMIT_AS`` (address space; every allocation past it fails, so Python raises
``MemoryError`` and C code gets ``NULL``) and ``RLIMIT_CORE`` = 0 (a crash leaves no core file).
The time limit is the parent's: it kills this process.

Usage (the parent builds this): ``decode_child PATH TARGET_RATE FD MEMORY_BYTES MAX_SECONDS``.

Wire format on ``FD``: records of a 5-byte head (kind: 1 byte; payload length: unsigned 32-bit,
little-endian) and the payload:

- ``I`` JSON: what the file is (once, before any audio);
- ``D`` float32 samples, interleaved, at the target rate, channels as said in ``I``;
- ``E`` JSON: how decoding ended (last record of a success);
- ``F`` JSON ``{"code", "detail", ...}``: a refusal or failure (last record).

This module imports only the standard library at the top, so importing it costs nothing in the
parent, which shares the record kinds and failure codes defined here.
"""

from __future__ import annotations

import json
import math
import os
import resource
import struct
import sys
from dataclasses import dataclass
from typing import Any, BinaryIO

RECORD_HEAD = struct.Struct("<cI")
KIND_INFO = b"I"
KIND_DATA = b"D"
KIND_END = b"E"
KIND_FAIL = b"F"
MAX_RECORD_BYTES = 64 << 20

# failure codes the parent turns into plain words
FAIL_NOT_AUDIO = "not_audio"
FAIL_FORMAT = "format"
FAIL_ZERO_CHANNELS = "zero_channels"
FAIL_CHANNELS = "channels"
FAIL_RATE = "rate"
FAIL_TOO_LONG = "too_long"
FAIL_NO_SOUND = "no_sound"
FAIL_MEMORY = "memory"
FAIL_CRASHED = "crashed"

MIN_RATE = 8000
MAX_RATE = 384000
BLOCK_FRAMES = 16384
RESAMPLE_QUALITY = "VHQ"  # soxr "very high quality": 28-bit, more than a 24-bit take holds

# The major formats taken in (libsndfile's names). WAVEX/RF64/W64 are WAV by another name.
ACCEPTED_FORMATS = ("WAV", "WAVEX", "RF64", "W64", "FLAC", "OGG", "MP3", "AIFF")
# Formats whose frame count is a claim the file makes about itself (checked against what decodes).
_CLAIM_FROM_LIBSNDFILE = ("FLAC", "MP3")
_SF_COUNT_MAX = 0x7FFFFFFFFFFFFFFF
_PCM_LIKE_TAGS = (0x0001, 0x0003, 0x0006, 0x0007)  # PCM, IEEE float, A-law, µ-law
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_U32_MAX = 0xFFFFFFFF
_MAX_CHUNKS = 4096

# Test hooks, read from the environment by the child only, make it misbehave on purpose so the
# parent's limits can be tested for real: "stall" (hangs), "allocate" (wants more memory than its
# limit), "abort" (crashes in C), "bad_alloc" (a C++ out-of-memory abort), "garbage" (writes a
# record the parent does not know), "slow" (pauses after every block).
TEST_HOOK_ENV = "STUDIO_DECODE_TEST_HOOK"


class Refused(Exception):
    """The file cannot be taken in; ``code`` is one of the ``FAIL_*`` names."""

    def __init__(self, code: str, detail: str = "", **values: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.values = values


# -- reading a header ourselves ---------------------------------------------------------------


@dataclass(frozen=True)
class HeaderFacts:
    """What a WAV or AIFF header says, read by hand (libsndfile hides some of it)."""

    container: str  # "RIFF", "RF64" or "AIFF"
    channels: int | None
    samplerate: float | None
    claimed_frames: int | None  # None: the header makes no claim (streamed, or not known)
    format_tag: int = 0
    frame_bytes: int = 0  # bytes of one frame of PCM-like data (0: not known)
    data_offset: int | None = None  # first byte of the sound data
    data_size: int | None = None  # as written in the header
    data_size_pos: int | None = None  # where that size field is


def read_header(f: BinaryIO, file_size: int) -> HeaderFacts | None:
    """The facts of a RIFF/RF64 WAV or an AIFF/AIFC header, or ``None`` for other files."""
    f.seek(0)
    head = f.read(12)
    if len(head) < 12:
        return None
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return _read_wav_header(f, file_size, head[:4].decode())
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return _read_aiff_header(f, file_size)
    return None


def _read_wav_header(f: BinaryIO, file_size: int, container: str) -> HeaderFacts:
    fmt: bytes | None = None
    fact_frames: int | None = None
    data64: int | None = None
    data: tuple[int, int] | None = None  # (position of the chunk head, size)
    pos = 12
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > file_size:
            break
        f.seek(pos)
        cid, size = struct.unpack("<4sI", f.read(8))
        if cid == b"fmt ":
            fmt = f.read(min(size, 64))
        elif cid == b"fact" and size >= 4:
            (fact_frames,) = struct.unpack("<I", f.read(4))
        elif cid == b"ds64" and size >= 24:
            _, data64, _ = struct.unpack("<QQQ", f.read(24))
        elif cid == b"data":
            data = (pos, size)
            break
        pos += 8 + size + (size & 1)
    if fmt is None or len(fmt) < 16:
        return HeaderFacts(container, None, None, None)
    tag, channels, rate, _, blockalign, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        (tag,) = struct.unpack("<H", fmt[24:26])  # the first two bytes of the sub-format GUID
    # libsndfile sizes a PCM frame from the sample width, whatever "block align" says
    frame_bytes = channels * ((bits + 7) // 8) if bits else blockalign
    if data is None:
        return HeaderFacts(container, channels, float(rate), None, tag, frame_bytes)
    chunk_pos, size = data
    data_size: int | None = size
    if container == "RF64" and size == _U32_MAX:
        data_size = data64
    elif size == _U32_MAX:
        data_size = None  # written by a streaming writer that never knew the length
    claimed: int | None = None
    if data_size is not None:
        if tag in _PCM_LIKE_TAGS and frame_bytes > 0:
            claimed = data_size // frame_bytes
        else:
            claimed = fact_frames
    return HeaderFacts(container, channels, float(rate), claimed, tag, frame_bytes,
                       data_offset=chunk_pos + 8, data_size=data_size,
                       data_size_pos=chunk_pos + 4)


def _read_aiff_header(f: BinaryIO, file_size: int) -> HeaderFacts:
    pos = 12
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > file_size:
            break
        f.seek(pos)
        cid, size = struct.unpack(">4sI", f.read(8))
        if cid == b"COMM" and size >= 18:
            channels, frames, _bits = struct.unpack(">hIh", f.read(8))
            return HeaderFacts("AIFF", channels, _extended(f.read(10)), frames)
        pos += 8 + size + (size & 1)
    return HeaderFacts("AIFF", None, None, None)


def _extended(raw: bytes) -> float:
    """An 80-bit IEEE 754 extended float (AIFF's sample rate)."""
    if len(raw) < 10:
        return 0.0
    exponent = ((raw[0] & 0x7F) << 8) | raw[1]
    mantissa = int.from_bytes(raw[2:10], "big")
    if exponent == 0x7FFF:
        return math.inf
    try:
        value = math.ldexp(mantissa, exponent - 16383 - 63)
    except OverflowError:
        return math.inf
    return -value if raw[0] & 0x80 else value


def _looks_like_chunk(head: bytes) -> bool:
    return len(head) == 8 and all(32 <= c < 127 for c in head[:4])


def zero_size_patch(facts: HeaderFacts | None, f: BinaryIO,
                    file_size: int) -> dict[int, bytes] | None:
    """For a RIFF WAV whose data chunk says 0 bytes while sound follows (a recorder that never
    finished its header): the bytes that make the header tell the truth, by position."""
    if (facts is None or facts.container != "RIFF" or facts.data_size != 0
            or facts.data_offset is None or facts.data_size_pos is None or facts.frame_bytes <= 0):
        return None
    remaining = file_size - facts.data_offset
    remaining -= remaining % facts.frame_bytes
    if remaining <= 0 or remaining > _U32_MAX:
        return None
    f.seek(facts.data_offset)
    if _looks_like_chunk(f.read(8)):
        return None  # a truly empty data chunk followed by another chunk
    riff_size = min(file_size - 8, _U32_MAX)
    return {4: struct.pack("<I", riff_size), facts.data_size_pos: struct.pack("<I", remaining)}


class PatchedReader:
    """A read-only file whose bytes at a few positions are replaced (for libsndfile's virtual
    I/O); the file on disk is never changed."""

    def __init__(self, f: BinaryIO, patches: dict[int, bytes]) -> None:
        self._f = f
        self._patches = patches

    def read(self, size: int = -1) -> bytes:
        start = self._f.tell()
        data = self._f.read(size)
        end = start + len(data)
        if not any(p < end and p + len(b) > start for p, b in self._patches.items()):
            return data
        buf = bytearray(data)
        for pos, patch in self._patches.items():
            for i, byte in enumerate(patch):
                if start <= pos + i < end:
                    buf[pos + i - start] = byte
        return bytes(buf)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()


# -- the wire ---------------------------------------------------------------------------------


class Wire:
    """Records out to the parent through a pipe."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def send(self, kind: bytes, payload: bytes | memoryview) -> None:
        view = memoryview(payload).cast("B")  # bytes, whatever the item type and shape
        self._write_all(RECORD_HEAD.pack(kind, view.nbytes))
        self._write_all(view)

    def send_json(self, kind: bytes, data: dict[str, Any]) -> None:
        self.send(kind, json.dumps(data).encode())

    def fail(self, code: str, detail: str = "", **values: Any) -> None:
        self.send_json(KIND_FAIL, {"code": code, "detail": detail, "values": values})

    def _write_all(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]


# -- decoding ---------------------------------------------------------------------------------


def _limit_resources(memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _run_test_hook(name: str, memory_bytes: int, wire: Wire) -> None:
    import time

    if name == "stall":  # a decoder that hangs
        while True:
            time.sleep(3600)
    elif name == "allocate":  # a decoder that wants more and more memory
        hoard = [bytearray(64 << 20) for _ in range(max(1, memory_bytes // (64 << 20)) + 2)]
        del hoard
    elif name == "abort":  # a decoder that crashes in C
        os.abort()
    elif name == "bad_alloc":  # C++ running out of memory: it says so, then aborts
        sys.stderr.write("terminate called after throwing an instance of 'std::bad_alloc'\n")
        sys.stderr.flush()
        os.abort()
    elif name == "garbage":  # a confused child writing nonsense
        wire.send(b"?", b"nonsense")


def _check_rate(rate: float) -> None:
    if not math.isfinite(rate) or rate < MIN_RATE or rate > MAX_RATE:
        shown = int(rate) if math.isfinite(rate) else rate
        raise Refused(FAIL_RATE, f"{rate}", rate=shown)


def _check_channels(channels: int) -> None:
    if channels <= 0:
        raise Refused(FAIL_ZERO_CHANNELS)
    if channels > 2:
        raise Refused(FAIL_CHANNELS, f"{channels}", channels=channels)


def decode(path: str, target_rate: int, max_seconds: float, wire: Wire) -> None:
    """Decode ``path`` and send it down ``wire`` at ``target_rate``; raises :class:`Refused`."""
    import numpy as np
    import soundfile
    import soxr

    with open(path, "rb") as raw:
        file_size = os.fstat(raw.fileno()).st_size
        facts = read_header(raw, file_size)
        if facts is not None:
            if facts.channels is not None:
                _check_channels(facts.channels)
            if facts.samplerate is not None:
                _check_rate(facts.samplerate)
        patches = zero_size_patch(facts, raw, file_size)
        raw.seek(0)
        source: Any = PatchedReader(raw, patches) if patches else path
        try:
            sf = soundfile.SoundFile(source)
        except (soundfile.SoundFileError, RuntimeError, OSError) as error:
            raise Refused(FAIL_NOT_AUDIO, _libsndfile_reason(error)) from error
        with sf:
            _decode_open(sf, facts, patches is not None, target_rate, max_seconds, wire,
                         np, soundfile, soxr)


def _libsndfile_reason(error: BaseException) -> str:
    text = str(error)
    if ":" in text and text.startswith("Error opening"):
        text = text.split(":", 1)[1]
    return text.strip()


def _decode_open(sf: Any, facts: HeaderFacts | None, repaired: bool, target_rate: int,
                 max_seconds: float, wire: Wire, np: Any, soundfile: Any, soxr: Any) -> None:
    fmt = str(sf.format)
    if fmt not in ACCEPTED_FORMATS:
        raise Refused(FAIL_FORMAT, fmt, kind=fmt)
    channels = int(sf.channels)
    rate = int(sf.samplerate)
    _check_channels(channels)
    _check_rate(rate)
    known = 0 < int(sf.frames) < _SF_COUNT_MAX
    expected = int(sf.frames) if known else None
    claimed: int | None = None
    if facts is not None and fmt in ("WAV", "WAVEX", "RF64", "AIFF"):
        claimed = facts.claimed_frames
    elif fmt in _CLAIM_FROM_LIBSNDFILE:
        claimed = expected
    # libsndfile's log as it stands after opening: a cut Ogg file says "Last page lacks an
    # end-of-stream bit" here. (Reading to the end may add "File ended unexpectedly" even for a
    # good file, so the log is not read again afterwards.)
    open_log = str(sf.extra_info)
    max_frames = int(max_seconds * rate)
    if expected is not None and expected > max_frames:
        raise Refused(FAIL_TOO_LONG, f"{expected} frames",
                      minutes=math.ceil(expected / rate / 60))
    wire.send_json(KIND_INFO, {
        "format": fmt, "subtype": str(sf.subtype), "format_name": str(sf.format_info),
        "channels": channels, "samplerate": rate, "header_frames": claimed,
        "expected_frames": expected, "header_repaired": repaired,
    })

    resampler = None
    if rate != target_rate:
        resampler = soxr.ResampleStream(rate, target_rate, channels, dtype="float32",
                                        quality=RESAMPLE_QUALITY)
    block = np.empty((BLOCK_FRAMES, channels), dtype=np.float32)
    pointer = soundfile._ffi.cast("float *", block.ctypes.data)
    handle = sf._file
    decoded = 0
    delivered = 0
    clipped = 0
    not_numbers = 0
    stop_reason = ""
    hook_slow = os.environ.get(TEST_HOOK_ENV) == "slow"
    while True:
        # libsndfile directly: soundfile's read() seeks after every block to track the position,
        # and that seek fails on a FLAC file that is cut short (psf_fseek), losing the sound.
        count = int(soundfile._snd.sf_readf_float(handle, pointer, BLOCK_FRAMES))
        if count <= 0:
            code = int(soundfile._snd.sf_error(handle))
            if code:
                stop_reason = soundfile._ffi.string(soundfile._snd.sf_strerror(handle)).decode(
                    "utf-8", "replace")
            break
        decoded += count
        if decoded > max_frames:
            raise Refused(FAIL_TOO_LONG, f"more than {max_frames} frames")
        chunk = block[:count]
        finite = np.isfinite(chunk)
        if not finite.all():
            not_numbers += int(chunk.size - np.count_nonzero(finite))
            chunk[~finite] = 0.0
        out = resampler.resample_chunk(chunk) if resampler is not None else chunk
        clipped += _clip(out, np)
        delivered += len(out)
        if len(out):
            wire.send(KIND_DATA, np.ascontiguousarray(out, dtype=np.float32).data)
        if hook_slow:
            import time

            time.sleep(0.05)
    if resampler is not None:
        tail = resampler.resample_chunk(np.zeros((0, channels), dtype=np.float32), last=True)
        clipped += _clip(tail, np)
        delivered += len(tail)
        if len(tail):
            wire.send(KIND_DATA, np.ascontiguousarray(tail, dtype=np.float32).data)
    if decoded == 0:
        raise Refused(FAIL_NO_SOUND, stop_reason)
    ended_early = bool(stop_reason) or (fmt == "OGG" and "lacks an end-of-stream" in open_log)
    wire.send_json(KIND_END, {
        "decoded_frames": decoded, "frames": delivered, "ended_early": ended_early,
        "stop_reason": stop_reason, "clipped_samples": clipped, "not_numbers": not_numbers,
    })


def _clip(out: Any, np: Any) -> int:
    """Clip to full scale in place (a 24-bit take cannot hold more); returns how many were over."""
    if not len(out):
        return 0
    over = int(np.count_nonzero(np.abs(out) > 1.0))
    if over:
        np.clip(out, -1.0, 1.0, out=out)
    return over


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path, target_rate, fd, memory_bytes, max_seconds = (
        args[0], int(args[1]), int(args[2]), int(args[3]), float(args[4]))
    _limit_resources(memory_bytes)  # first, before anything big is loaded
    wire = Wire(fd)
    try:
        hook = os.environ.get(TEST_HOOK_ENV, "")
        if hook:
            _run_test_hook(hook, memory_bytes, wire)
        decode(path, target_rate, max_seconds, wire)
        return 0
    except Refused as refused:
        wire.fail(refused.code, refused.detail, **refused.values)
        return 2
    except MemoryError:
        wire.fail(FAIL_MEMORY)
        return 3
    except BrokenPipeError:
        return 1  # the parent stopped listening (cancelled): nothing to say
    except Exception as error:  # an unexpected failure: say what, never a traceback to people
        wire.fail(FAIL_CRASHED, f"{type(error).__name__}: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["HeaderFacts", "PatchedReader", "Refused", "Wire", "main", "read_header"]
