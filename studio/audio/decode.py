"""Decode an audio file for import, safely: in a child process with a memory and a time limit.

Members bring files from anywhere: a beat as an MP3 from a phone, a WAV a crashed app never
finished, something renamed to ``.wav``. Decoding one must never crash, hang or fill the memory of
the studio, so it happens in a child process (:mod:`studio.audio.decode_child`, which explains why
a plain subprocess) that

- runs under ``RLIMIT_AS`` (:attr:`DecodeLimits.memory_bytes`, 1 GiB by default; the child needs
  about 110 MB of address space with numpy, libsndfile and soxr loaded);
- is killed when it has kept the parent waiting longer than the time limit, which grows with the
  file: 10 s plus 1 s per MB. Only time spent waiting for the child counts, not time the parent
  spends writing what it got, so a slow disk does not make a good file fail. Measured here
  (medians of 7, child start-up of about 0.1 s included): the 61 s 22.05 kHz Ogg fixture is
  decoded and resampled to 48 kHz in 0.14 s, a 5-minute 5.4 MB stereo MP3 in 0.53 s;
- streams decoded float32 blocks through a pipe; neither side ever holds the whole file;
- resamples to the song's rate itself with soxr's streaming resampler (``VHQ``), so the heavy
  work stays under the limits too.

Use :class:`Decoding` as a context manager::

    with Decoding(path, 48000, cancel=event) as decoding:
        decoding.source            # what the file is (format, channels, rate, claimed length)
        for block in decoding.blocks():
            ...                    # float32, shape (frames, channels), at 48000 Hz
        decoding.report            # what came out: frames, resampled, truncated, ...

Leaving the ``with`` block early (cancel, an error, a ``KeyboardInterrupt``) kills the child.
Every refusal is a :class:`DecodeError` in plain words with a ``code`` saying which case it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt

from studio.audio import decode_child as child
from studio.core.i18n import StudioError, Words

Block = npt.NDArray[np.float32]

MAX_AUDIO_SECONDS = 30 * 60
MAX_FILE_BYTES = 2 << 30
DEFAULT_MEMORY_BYTES = 1 << 30
TIME_BASE_S = 10.0
TIME_PER_MB_S = 1.0
MIN_RATE = child.MIN_RATE
MAX_RATE = child.MAX_RATE
_POLL_S = 0.1
_PIPE_BYTES = 1 << 20
_EXIT_WAIT_S = 5.0
_MEMORY_SIGNS = ("MemoryError", "bad_alloc", "Cannot allocate memory", "out of memory")

ACCEPTED = "WAV, FLAC, OGG, MP3, AIFF"

FILE_MISSING = Words(nb="Fant ikke filen «{name}».", en="Could not find the file “{name}”.")
NOT_A_FILE = Words(nb="«{name}» er ikke en fil (kanskje en mappe?).",
                   en="“{name}” is not a file (a folder, perhaps?).")
CANNOT_OPEN = Words(nb="Kunne ikke åpne filen «{name}» ({reason}).",
                    en="Could not open the file “{name}” ({reason}).")
FILE_EMPTY = Words(nb="Filen «{name}» er tom.", en="The file “{name}” is empty.")
TOO_BIG = Words(
    nb="Filen «{name}» er for stor ({size_mb} MB). Studioet tar inn filer opp til {max_mb} MB.",
    en="The file “{name}” is too big ({size_mb} MB). The studio takes files up to {max_mb} MB.",
)
NOT_AUDIO = Words(
    nb="«{name}» er ikke en lydfil studioet kan lese. Studioet leser " + ACCEPTED + ".",
    en="“{name}” is not a sound file the studio can read. The studio reads " + ACCEPTED + ".",
)
FORMAT_NOT_TAKEN = Words(
    nb="«{name}» er en {kind}-fil. Studioet leser " + ACCEPTED + ".",
    en="“{name}” is a {kind} file. The studio reads " + ACCEPTED + ".",
)
ZERO_CHANNELS = Words(
    nb="Filen «{name}» sier at den har null lydkanaler, så det er ingen lyd å hente i den.",
    en="The file “{name}” says it has zero sound channels, so there is no sound to bring in.",
)
TOO_MANY_CHANNELS = Words(
    nb="Filen «{name}» har {channels} lydkanaler (surround). Studioet tar inn mono og stereo: "
       "lagre den som stereo først, eller spør den som leder.",
    en="The file “{name}” has {channels} sound channels (surround). The studio takes mono and "
       "stereo: save it as stereo first, or ask the leader.",
)
BAD_RATE = Words(
    nb="Filen «{name}» sier at den har {rate} samplinger i sekundet, og det kan ikke stemme. "
       "Studioet tar inn fra {low} til {high}.",
    en="The file “{name}” says it has {rate} samples a second, which cannot be right. "
       "The studio takes {low} to {high}.",
)
TOO_LONG = Words(
    nb="Filen «{name}» er lengre enn {max} minutter, og det er det lengste studioet tar inn.",
    en="The file “{name}” is longer than {max} minutes, the longest the studio takes.",
)
TOO_LONG_KNOWN = Words(
    nb="Filen «{name}» er {minutes} minutter lang. Studioet tar inn opp til {max} minutter.",
    en="The file “{name}” is {minutes} minutes long. The studio takes up to {max} minutes.",
)
NO_SOUND = Words(nb="Filen «{name}» har ingen lyd i seg.",
                 en="The file “{name}” has no sound in it.")
CRASHED = Words(
    nb="Lesingen av «{name}» stoppet uventet. Filen er trolig skadet.",
    en="Reading “{name}” stopped unexpectedly. The file is probably damaged.",
)
TIME_LIMIT = Words(
    nb="Det tok for lang tid å lese «{name}» (over {seconds} s), så lesingen ble stoppet. "
       "Filen er trolig skadet.",
    en="Reading “{name}” took too long (over {seconds} s), so it was stopped. "
       "The file is probably damaged.",
)
MEMORY_LIMIT = Words(
    nb="Å lese «{name}» trengte mer enn {mb} MB minne, så lesingen ble stoppet. "
       "Filen er trolig skadet.",
    en="Reading “{name}” needed more than {mb} MB of memory, so it was stopped. "
       "The file is probably damaged.",
)
CANCELLED = Words(nb="Innhentingen ble avbrutt.", en="The import was cancelled.")


class DecodeError(StudioError):
    """A file that cannot be taken in, in plain words. ``code`` names the case (for tests and
    scripts): missing, not_a_file, cannot_open, empty, too_big, not_audio, format,
    zero_channels, channels, rate, too_long, no_sound, crashed, time_limit, memory, cancelled.
    ``detail`` is the technical reason, if any (never shown as the message)."""

    def __init__(self, code: str, words: Words, detail: str = "", **values: object) -> None:
        super().__init__(words, **values)
        self.code = code
        self.detail = detail


class DecodeCancelled(DecodeError):
    def __init__(self) -> None:
        super().__init__("cancelled", CANCELLED)


@dataclass(frozen=True)
class DecodeLimits:
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    seconds: float | None = None  # None: scaled with the file's size (see time_limit)
    max_audio_seconds: float = MAX_AUDIO_SECONDS
    max_file_bytes: int = MAX_FILE_BYTES

    def time_limit(self, file_bytes: int) -> float:
        """How long the child may keep the parent waiting, in all, for a file this big."""
        if self.seconds is not None:
            return self.seconds
        return TIME_BASE_S + TIME_PER_MB_S * file_bytes / 1e6


@dataclass(frozen=True)
class SourceInfo:
    """What the file is, as the decoder found it."""

    name: str
    file_bytes: int
    format: str  # libsndfile's major format: "WAV", "FLAC", "OGG", "MP3", "AIFF", …
    subtype: str  # "PCM_16", "VORBIS", "MPEG_LAYER_III", …
    format_name: str  # e.g. "WAV (Microsoft)"
    channels: int
    samplerate: int
    header_frames: int | None  # the length the file claims, if it makes a claim
    expected_frames: int | None  # what libsndfile expects to decode (None: unknown)
    header_repaired: bool  # the header said "no sound" while sound followed; read anyway

    @property
    def header_seconds(self) -> float | None:
        return None if self.header_frames is None else self.header_frames / self.samplerate


@dataclass(frozen=True)
class DecodeReport:
    """What came out of a finished decoding."""

    source: SourceInfo
    samplerate: int  # of the blocks delivered (the target rate)
    frames: int  # delivered, at ``samplerate``
    decoded_frames: int  # decoded, at the file's own rate
    resampled: bool
    shorter_than_header: bool  # fewer frames than the header claimed
    ended_early: bool  # decoding stopped on an error, or the stream has no proper end
    stop_reason: str  # libsndfile's words when decoding stopped on an error
    clipped_samples: int  # samples over full scale, clipped to it
    not_numbers: int  # NaN/infinite samples, replaced by silence

    @property
    def truncated(self) -> bool:
        """The file held less than it should: import what exists and say so."""
        return self.shorter_than_header or self.ended_early

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        env["PYTHONPATH"] = os.pathsep.join([root, *paths])
    # one thread each: keeps the child's address space small and leaves the cores to the engine
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _shorter_than_claim(fmt: str, claimed: int | None, decoded: int) -> bool:
    if claimed is None:
        return False
    # An MP3's length without an exact LAME/Xing count is libsndfile's estimate from the size.
    slack = max(2 * 1152, claimed // 100) if fmt == "MP3" else 0
    return decoded < claimed - slack


class Decoding:
    """One file being decoded in a child process. See the module's description."""

    def __init__(self, path: Path | str, samplerate: int, *, limits: DecodeLimits | None = None,
                 cancel: threading.Event | None = None) -> None:
        if not MIN_RATE <= samplerate <= MAX_RATE:
            raise ValueError(f"target rate {samplerate} Hz is outside {MIN_RATE}–{MAX_RATE}")
        self.path = Path(path)
        self.samplerate = samplerate
        self.limits = limits or DecodeLimits()
        self._cancel = cancel
        self._name = self.path.name
        self._file_bytes = self._check_file()
        self._time_limit = self.limits.time_limit(self._file_bytes)
        self._waited = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._read_fd: int | None = None
        self._stderr: Any = None
        self._poller: select.poll | None = None
        self._source: SourceInfo | None = None
        self._report: DecodeReport | None = None
        self._delivered = 0
        self._start()
        try:
            self._source = self._read_info()
        except BaseException:
            self.close()
            raise

    # -- facts --------------------------------------------------------------------------------

    @property
    def source(self) -> SourceInfo:
        assert self._source is not None
        return self._source

    @property
    def report(self) -> DecodeReport:
        """Available once :meth:`blocks` has been read to its end."""
        if self._report is None:
            raise RuntimeError("the decoding has not finished")
        return self._report

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def time_limit(self) -> float:
        return self._time_limit

    def fraction(self) -> float:
        """How far decoding has come, 0..1 (an estimate while running)."""
        if self._report is not None:
            return 1.0
        expected = self.source.expected_frames
        if not expected:
            return 0.0
        total = expected * self.samplerate / self.source.samplerate
        return min(0.99, self._delivered / total)

    # -- reading ------------------------------------------------------------------------------

    def blocks(self) -> Iterator[Block]:
        """The decoded sound, block by block: float32, shape (frames, channels)."""
        channels = self.source.channels
        while True:
            kind, payload = self._next_record()
            if kind == child.KIND_DATA:
                if len(payload) % (4 * channels):
                    self._fail_protocol("a block of the wrong size")
                block = np.frombuffer(payload, dtype=np.float32).reshape(-1, channels)
                self._delivered += len(block)
                yield block
            elif kind == child.KIND_END:
                self._finish(json.loads(payload))
                return
            else:
                self._fail_protocol(f"unexpected record {kind!r}")

    def read_all(self) -> Block:
        """Everything at once (small files and tests only)."""
        parts = list(self.blocks())
        if not parts:
            return np.zeros((0, self.source.channels), dtype=np.float32)
        return np.concatenate(parts)

    def _finish(self, end: dict[str, Any]) -> None:
        source = self.source
        decoded = int(end["decoded_frames"])
        self._report = DecodeReport(
            source=source,
            samplerate=self.samplerate,
            frames=self._delivered,
            decoded_frames=decoded,
            resampled=source.samplerate != self.samplerate,
            shorter_than_header=_shorter_than_claim(source.format, source.header_frames, decoded),
            ended_early=bool(end["ended_early"]),
            stop_reason=str(end["stop_reason"]),
            clipped_samples=int(end["clipped_samples"]),
            not_numbers=int(end["not_numbers"]),
        )
        self._wait_exit()

    # -- life cycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the child (if it still runs) and release everything. Safe to call again."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
        if self._read_fd is not None:
            os.close(self._read_fd)
            self._read_fd = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Decoding:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- inside -------------------------------------------------------------------------------

    def _error(self, code: str, words: Words, detail: str = "", **values: object) -> DecodeError:
        return DecodeError(code, words, detail, name=self._name, **values)

    def _check_file(self) -> int:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise self._error("missing", FILE_MISSING) from None
        except OSError as error:
            raise self._error("cannot_open", CANNOT_OPEN, str(error),
                              reason=error.strerror or str(error)) from error
        if not self.path.is_file():
            raise self._error("not_a_file", NOT_A_FILE)
        try:
            with open(self.path, "rb"):
                pass
        except OSError as error:
            raise self._error("cannot_open", CANNOT_OPEN, str(error),
                              reason=error.strerror or str(error)) from error
        if stat.st_size == 0:
            raise self._error("empty", FILE_EMPTY)
        if stat.st_size > self.limits.max_file_bytes:
            raise self._error("too_big", TOO_BIG, size_mb=math.ceil(stat.st_size / 1e6),
                              max_mb=self.limits.max_file_bytes // 1_000_000)
        return stat.st_size

    def _start(self) -> None:
        read_fd, write_fd = os.pipe()
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        self._read_fd = read_fd
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "studio.audio.decode_child", str(self.path.resolve()),
                 str(self.samplerate), str(write_fd), str(self.limits.memory_bytes),
                 repr(float(self.limits.max_audio_seconds))],
                pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self._stderr, env=_child_env(), close_fds=True,
            )
        except BaseException:
            self.close()
            raise
        finally:
            os.close(write_fd)  # the child has its own copy; EOF then means the child is gone

    def _read_info(self) -> SourceInfo:
        kind, payload = self._next_record()
        if kind != child.KIND_INFO:
            self._fail_protocol(f"expected the file's description, got {kind!r}")
        info = json.loads(payload)
        header = info["header_frames"]
        expected = info["expected_frames"]
        return SourceInfo(
            name=self._name,
            file_bytes=self._file_bytes,
            format=str(info["format"]),
            subtype=str(info["subtype"]),
            format_name=str(info["format_name"]),
            channels=int(info["channels"]),
            samplerate=int(info["samplerate"]),
            header_frames=None if header is None else int(header),
            expected_frames=None if expected is None else int(expected),
            header_repaired=bool(info["header_repaired"]),
        )

    def _next_record(self) -> tuple[bytes, bytes]:
        head = self._read_exact(child.RECORD_HEAD.size)
        kind, length = child.RECORD_HEAD.unpack(head)
        if length > child.MAX_RECORD_BYTES:
            self._fail_protocol(f"a record of {length} bytes")
        payload = self._read_exact(length) if length else b""
        if kind == child.KIND_FAIL:
            self._refused(json.loads(payload))
        return kind, payload

    def _read_exact(self, size: int) -> bytes:
        parts: list[bytes] = []
        missing = size
        while missing:
            self._wait_readable()
            assert self._read_fd is not None
            piece = os.read(self._read_fd, min(missing, _PIPE_BYTES))
            if not piece:
                self._child_gone()
            parts.append(piece)
            missing -= len(piece)
        return b"".join(parts)

    def _wait_readable(self) -> None:
        assert self._read_fd is not None
        while True:
            if self._cancel is not None and self._cancel.is_set():
                self.close()
                raise DecodeCancelled()
            remaining = self._time_limit - self._waited
            if remaining <= 0:
                self.close()
                raise self._error("time_limit", TIME_LIMIT, seconds=math.ceil(self._time_limit))
            if self._poller is None:
                self._poller = select.poll()
                self._poller.register(self._read_fd, select.POLLIN | select.POLLHUP)
            started = time.monotonic()
            ready = self._poller.poll(math.ceil(min(remaining, _POLL_S) * 1000))
            self._waited += time.monotonic() - started
            if ready:
                return

    def _wait_exit(self) -> None:
        assert self._proc is not None
        try:
            self._proc.wait(timeout=_EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - 4096))
        return str(self._stderr.read().decode("utf-8", "replace"))

    def _child_gone(self) -> None:
        """The pipe closed without a last word: the child crashed or was killed."""
        self._wait_exit()
        assert self._proc is not None
        code = self._proc.returncode
        tail = self._stderr_tail()
        self.close()
        detail = f"exit status {code}; {tail.strip()[-500:]}"
        if any(sign in tail for sign in _MEMORY_SIGNS):
            raise self._error("memory", MEMORY_LIMIT, detail,
                              mb=self.limits.memory_bytes // 1_000_000)
        raise self._error("crashed", CRASHED, detail)

    def _fail_protocol(self, what: str) -> None:
        self.close()
        raise self._error("crashed", CRASHED, f"decoder protocol: {what}")

    def _refused(self, failure: dict[str, Any]) -> None:
        self._wait_exit()
        self.close()
        code = str(failure.get("code", child.FAIL_CRASHED))
        detail = str(failure.get("detail", ""))
        values: dict[str, Any] = dict(failure.get("values") or {})
        if code == child.FAIL_NOT_AUDIO:
            raise self._error(code, NOT_AUDIO, detail)
        if code == child.FAIL_FORMAT:
            raise self._error(code, FORMAT_NOT_TAKEN, detail, kind=values.get("kind", detail))
        if code == child.FAIL_ZERO_CHANNELS:
            raise self._error(code, ZERO_CHANNELS, detail)
        if code == child.FAIL_CHANNELS:
            raise self._error(code, TOO_MANY_CHANNELS, detail, channels=values.get("channels"))
        if code == child.FAIL_RATE:
            raise self._error(code, BAD_RATE, detail, rate=values.get("rate", detail),
                              low=MIN_RATE, high=MAX_RATE)
        if code == child.FAIL_TOO_LONG:
            longest = f"{self.limits.max_audio_seconds / 60:g}"
            if "minutes" in values:
                raise self._error(code, TOO_LONG_KNOWN, detail, minutes=values["minutes"],
                                  max=longest)
            raise self._error(code, TOO_LONG, detail, max=longest)
        if code == child.FAIL_NO_SOUND:
            raise self._error(code, NO_SOUND, detail)
        if code == child.FAIL_MEMORY:
            raise self._error(code, MEMORY_LIMIT, detail,
                              mb=self.limits.memory_bytes // 1_000_000)
        raise self._error("crashed", CRASHED, detail)
