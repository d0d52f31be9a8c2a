"""A take file: write-once, uncompressed 24-bit PCM, readable up to the last sync after a crash.

Format. The file is opened as RF64 with libsndfile's ``SFC_RF64_AUTO_DOWNGRADE``: every header
update picks the container from the file's size then, so a take under 4 GiB is a plain
``RIFF``/``WAVE`` file (WAVE_FORMAT_EXTENSIBLE, with a ``JUNK`` chunk keeping room for ``ds64``)
and a bigger one becomes ``RF64`` with the same data offset. Verified on libsndfile 1.2.2 (the one
bundled with soundfile 0.14): a small take starts with ``RIFF…WAVE``; a sparse 4 GiB+ file written
through the same handle gets an ``RF64``/``ds64`` header at the next sync and reads back whole
(see ``tests/audio/test_take_file.py``). If a libsndfile refuses the command (too old), the take
stays RF64, which libsndfile, ffmpeg and sox read; no W64 switch is needed.

Never overwriting. The file is created with ``O_CREAT | O_EXCL`` and handed to soundfile (mode
``'x'``) as a descriptor: soundfile's own ``'x'`` check is "exists? then open", which two processes
can race past. The descriptor stays ours, so :meth:`TakeFile.sync` can ``fsync`` it.

Full disk. soundfile raises ``soundfile.LibsndfileError`` with ``code == 2`` (``SFE_SYSTEM``) and
the text "System error."; the errno is not kept, but ``sf_strerror`` on the handle still says
"System error : No space left on device." A write may also have landed partly (a torn frame).
The file is then finalised (header sizes rewritten from the bytes really on disk, whole frames
only) and :class:`DiskFull` is raised; everything written before the error is readable.

Crash repair. ``soundfile.SoundFile(path, 'r+')`` trusts the header's data size and, on close,
truncates the file to it: every frame written after the last header update would be deleted. So
:func:`repair_take` never uses it; it rewrites only the size fields of the header from the real
file length (whole frames; a torn last frame stays in the file, outside the data chunk).
"""

from __future__ import annotations

import errno
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, NoReturn

import numpy as np
import numpy.typing as npt
import soundfile

from studio.core.i18n import StudioError, Words

SFC_UPDATE_HEADER_NOW = 0x1060
SFC_RF64_AUTO_DOWNGRADE = 0x1210
SUBTYPE = "PCM_24"
BYTES_PER_SAMPLE = 3
SILENCE_CHUNK_FRAMES = 8192
_U32_MAX = 0xFFFFFFFF
_NEARLY_FULL_BYTES = 1 << 20

DISK_FULL = Words(
    nb="Disken er full, så opptaket stoppet. Alt som ble tatt opp før det ({seconds} s),"
    " er lagret.",
    en="The disk is full, so recording stopped. Everything recorded before that ({seconds} s)"
    " is saved.",
)
WRITE_FAILED = Words(
    nb="Opptaket kunne ikke lagres videre ({reason}). Alt som ble tatt opp før det ({seconds} s),"
    " er lagret.",
    en="The take could not be saved any further ({reason}). Everything recorded before that"
    " ({seconds} s) is saved.",
)
CREATE_FAILED = Words(
    nb="Kunne ikke lage opptaksfilen {name} ({reason}).",
    en="Could not create the take file {name} ({reason}).",
)
DISK_FULL_AT_START = Words(
    nb="Disken er full, så opptaket kan ikke starte. Frigjør plass og prøv igjen.",
    en="The disk is full, so recording cannot start. Free some space and try again.",
)
REPAIR_FAILED = Words(
    nb="Kunne ikke reparere opptaksfilen {name} ({reason}). Filen er ikke slettet.",
    en="Could not repair the take file {name} ({reason}). The file has not been deleted.",
)

Block = npt.NDArray[np.float32]


class TakeFileError(StudioError):
    """A take file problem, in plain words. ``result`` is what the finalised file holds, if any."""

    def __init__(self, words: Words, result: TakeResult | None = None, **values: object) -> None:
        super().__init__(words, **values)
        self.result = result


class DiskFull(TakeFileError):
    """The disk ran full. The file is finalised; ``result`` says what it holds."""


class TakeWriteError(TakeFileError):
    """Writing failed for another reason. The file is finalised as far as possible."""


class TakeRepairError(TakeFileError):
    """A crashed take file could not be made readable. It is left exactly as it was found."""


@dataclass(frozen=True)
class TakeResult:
    frames: int
    sha256: str


def _sf_write(handle: Any, block: Block) -> None:
    """The lowest write seam: hand one block to libsndfile (tests replace this to inject faults)."""
    handle.write(block)


class TakeFile:
    """One take being recorded. Create with :meth:`create`; finish with :meth:`close`."""

    def __init__(self, path: Path, handle: Any, fd: int, samplerate: int, channels: int) -> None:
        self._path = path
        self._sf = handle
        self._fd = fd
        self._samplerate = samplerate
        self._channels = channels
        self._frames = 0
        self._last_sync: float | None = None
        self._silence: Block | None = None
        self._result: TakeResult | None = None

    @classmethod
    def create(cls, path: Path, samplerate: int, channels: int) -> TakeFile:
        """Create a new take file; ``FileExistsError`` if anything is already at ``path``."""
        path = Path(path)
        if samplerate <= 0 or channels <= 0:
            raise ValueError(f"bad take format: {samplerate} Hz, {channels} channels")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            raise
        except OSError as error:
            raise _create_error(path, error) from error
        try:
            handle = soundfile.SoundFile(
                fd,
                mode="x",
                samplerate=samplerate,
                channels=channels,
                format="RF64",
                subtype=SUBTYPE,
                closefd=False,
            )
            # Must come before the first sample: libsndfile ignores it once data is written.
            soundfile._snd.sf_command(handle._file, SFC_RF64_AUTO_DOWNGRADE, soundfile._ffi.NULL, 1)
        except (OSError, soundfile.SoundFileError) as error:
            os.close(fd)
            path.unlink(missing_ok=True)  # our own empty file: not a single sample in it
            raise _create_error(path, error) from error
        return cls(path, handle, fd, samplerate, channels)

    # -- facts --------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def samplerate(self) -> int:
        return self._samplerate

    @property
    def channels(self) -> int:
        return self._channels

    @property
    def frames(self) -> int:
        """Frames written so far (after a failure: frames the finalised file holds)."""
        return self._frames

    @property
    def closed(self) -> bool:
        return self._result is not None

    # -- writing ------------------------------------------------------------------------------

    def write(self, block: Block) -> None:
        """Append ``block``: ``float32``, shape ``(frames, channels)``."""
        self._check_open()
        if not isinstance(block, np.ndarray) or block.dtype != np.float32 or block.ndim != 2:
            raise TypeError("a take block is a float32 array shaped (frames, channels)")
        if block.shape[1] != self._channels:
            raise ValueError(f"block has {block.shape[1]} channels, take has {self._channels}")
        if block.shape[0] == 0:
            return
        try:
            _sf_write(self._sf, block)
        except (OSError, soundfile.SoundFileError) as error:
            self._fail(error)
        self._frames += block.shape[0]

    def write_silence(self, frames: int) -> None:
        """Append ``frames`` of silence (a gap), in chunks, without a huge array."""
        if frames < 0:
            raise ValueError("frames must not be negative")
        if self._silence is None:
            self._silence = np.zeros((SILENCE_CHUNK_FRAMES, self._channels), dtype=np.float32)
        while frames > 0:
            n = min(frames, SILENCE_CHUNK_FRAMES)
            self.write(self._silence[:n])
            frames -= n

    def sync(self) -> None:
        """Write the header for what is on disk now, then fsync: a crash keeps all of it."""
        self._check_open()
        try:
            soundfile._snd.sf_command(self._sf._file, SFC_UPDATE_HEADER_NOW, soundfile._ffi.NULL, 0)
            code = soundfile._snd.sf_error(self._sf._file)
            if code:
                raise soundfile.LibsndfileError(code)
            # libsndfile writes with write(2), no user-space buffer: one fsync covers data+header.
            os.fsync(self._fd)
        except (OSError, soundfile.SoundFileError) as error:
            self._fail(error)

    def sync_if_due(self, now: float, every: float = 1.0) -> bool:
        """:meth:`sync` if ``every`` seconds passed since the last one (or none happened yet)."""
        if self._last_sync is not None and now - self._last_sync < every:
            return False
        self.sync()
        self._last_sync = now
        return True

    def close(self) -> TakeResult:
        """Finish the file: close, fsync it and its folder, hash it. Safe to call again."""
        if self._result is not None:
            return self._result
        try:
            self._sf.close()  # writes the final header
            os.fsync(self._fd)
        except (OSError, soundfile.SoundFileError) as error:
            self._fail(error)
        os.close(self._fd)
        _fsync_dir(self._path.parent)
        self._result = TakeResult(self._frames, sha256_file(self._path))
        return self._result

    def __enter__(self) -> TakeFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- failure ------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._result is not None:
            raise RuntimeError(f"take file {self._path.name} is already closed")

    def _fail(self, error: BaseException) -> NoReturn:
        detail = _libsndfile_text(self._sf)
        full = _is_disk_full(error, detail, self._path.parent)
        result = self._finalise_after_error()
        seconds = round(result.frames / self._samplerate)
        if full:
            raise DiskFull(DISK_FULL, result, seconds=seconds) from error
        reason = detail or str(error)
        raise TakeWriteError(WRITE_FAILED, result, reason=reason, seconds=seconds) from error

    def _finalise_after_error(self) -> TakeResult:
        """Make the file readable with everything that reached it; never raises."""
        try:
            self._sf.close()
        except (OSError, soundfile.SoundFileError):
            pass  # the header is rewritten from the real file length below anyway
        try:
            self._frames = _fix_header(self._path)
        except (OSError, _Unrepairable):
            pass
        try:
            os.fsync(self._fd)
        except OSError:
            pass
        try:
            os.close(self._fd)
        except OSError:
            pass
        try:
            _fsync_dir(self._path.parent)
        except OSError:
            pass
        try:
            digest = sha256_file(self._path)
        except OSError:
            digest = ""
        self._result = TakeResult(self._frames, digest)
        return self._result


# -- crash repair -----------------------------------------------------------------------------


def repair_take(path: Path) -> TakeResult:
    """Make a take left by a crash readable and say what it holds. Never deletes anything.

    The header's size fields are rewritten from the bytes really in the file (whole frames); a
    torn last frame stays in the file after the data chunk. Files past 4 GiB with a stale
    ``RIFF`` header are turned into ``RF64`` in place.
    """
    path = Path(path)
    try:
        frames = _fix_header(path)
        info = soundfile.info(str(path))
    except (OSError, _Unrepairable, soundfile.SoundFileError) as error:
        raise TakeRepairError(REPAIR_FAILED, name=path.name, reason=str(error)) from error
    if info.frames != frames:
        reason = f"{info.frames} frames readable, {frames} in the file"
        raise TakeRepairError(REPAIR_FAILED, name=path.name, reason=reason)
    return TakeResult(frames, sha256_file(path))


def sha256_file(path: Path) -> str:
    """SHA-256 of the file's bytes, read in chunks into one reused buffer."""
    with open(path, "rb", buffering=0) as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class _Unrepairable(Exception):
    pass


@dataclass(frozen=True)
class _Layout:
    form: bytes  # b"RIFF" or b"RF64"
    fmt_pos: int  # position of the chunk header
    fmt_size: int
    blockalign: int
    data_pos: int
    ds64_pos: int | None
    fact_pos: int | None


def _read_layout(f: BinaryIO, file_size: int) -> _Layout:
    head = f.read(12)
    if len(head) < 12:
        raise _Unrepairable("no header")
    form, _, wave = struct.unpack("<4sI4s", head)
    if form not in (b"RIFF", b"RF64") or wave != b"WAVE":
        raise _Unrepairable("not a WAV file")
    found: dict[bytes, tuple[int, int]] = {}
    pos = 12
    while pos + 8 <= file_size:
        f.seek(pos)
        cid, size = struct.unpack("<4sI", f.read(8))
        found.setdefault(cid, (pos, size))
        if cid == b"data":
            break
        pos += 8 + size + (size & 1)
    else:
        raise _Unrepairable("no data chunk")
    if b"fmt " not in found:
        raise _Unrepairable("no fmt chunk")
    fmt_pos, fmt_size = found[b"fmt "]
    if fmt_size < 16:
        raise _Unrepairable("short fmt chunk")
    f.seek(fmt_pos + 8 + 12)
    (blockalign,) = struct.unpack("<H", f.read(2))
    if blockalign == 0:
        raise _Unrepairable("block size 0")
    ds64 = found.get(b"ds64")
    if form == b"RF64" and ds64 is None:
        raise _Unrepairable("RF64 without ds64")
    fact = found.get(b"fact")
    return _Layout(
        form=form,
        fmt_pos=fmt_pos,
        fmt_size=fmt_size,
        blockalign=blockalign,
        data_pos=found[b"data"][0],
        ds64_pos=None if ds64 is None else ds64[0],
        fact_pos=None if fact is None else fact[0],
    )


def _fix_header(path: Path) -> int:
    """Rewrite a WAV/RF64 header's sizes from the real file length; returns whole frames."""
    with open(path, "r+b") as f:
        file_size = os.fstat(f.fileno()).st_size
        layout = _read_layout(f, file_size)
        data_offset = layout.data_pos + 8
        frames = max(0, file_size - data_offset) // layout.blockalign
        data_bytes = frames * layout.blockalign
        end = data_offset + data_bytes
        if data_bytes & 1 and file_size > end:
            end += 1  # the pad byte after an odd-sized chunk
        f.seek(0)
        old = f.read(data_offset)
        if layout.form == b"RIFF" and end - 8 <= _U32_MAX:
            new = _riff_header(old, layout, end, data_bytes, frames)
        elif layout.form == b"RF64":
            new = _rf64_header(old, layout, end, data_bytes, frames)
        else:
            new = _riff_to_rf64_header(old, layout, end, data_bytes, frames)
        if new != old:
            f.seek(0)
            f.write(new)
            f.flush()
            os.fsync(f.fileno())
    return frames


def _riff_header(old: bytes, layout: _Layout, end: int, data_bytes: int, frames: int) -> bytes:
    header = bytearray(old)
    struct.pack_into("<I", header, 4, end - 8)
    struct.pack_into("<I", header, layout.data_pos + 4, data_bytes)
    if layout.fact_pos is not None:
        struct.pack_into("<I", header, layout.fact_pos + 8, min(frames, _U32_MAX))
    return bytes(header)


def _rf64_header(old: bytes, layout: _Layout, end: int, data_bytes: int, frames: int) -> bytes:
    assert layout.ds64_pos is not None
    header = bytearray(old)
    struct.pack_into("<I", header, 4, _U32_MAX)
    struct.pack_into("<QQQ", header, layout.ds64_pos + 8, end - 8, data_bytes, frames)
    struct.pack_into("<I", header, layout.data_pos + 4, _U32_MAX)
    return bytes(header)


def _riff_to_rf64_header(
    old: bytes, layout: _Layout, end: int, data_bytes: int, frames: int
) -> bytes:
    """The layout libsndfile itself switches to past 4 GiB: ds64, fmt, PAD filler, data."""
    fmt_chunk = old[layout.fmt_pos : layout.fmt_pos + 8 + layout.fmt_size + (layout.fmt_size & 1)]
    head = (
        b"RF64"
        + struct.pack("<I", _U32_MAX)
        + b"WAVE"
        + b"ds64"
        + struct.pack("<IQQQI", 28, end - 8, data_bytes, frames, 0)
        + fmt_chunk
    )
    filler = layout.data_pos - len(head)
    if filler >= 8:
        head += b"PAD " + struct.pack("<I", filler - 8) + bytes(filler - 8)
    elif filler != 0:
        raise _Unrepairable("no room in the header for RF64")
    return head + b"data" + struct.pack("<I", _U32_MAX)


# -- helpers ----------------------------------------------------------------------------------


def _libsndfile_text(handle: Any) -> str:
    """libsndfile's own error text for this handle; it keeps the system's reason (errno text)."""
    try:
        if handle is None or handle.closed:
            return ""
        return str(soundfile._ffi.string(soundfile._snd.sf_strerror(handle._file)).decode())
    except (AttributeError, TypeError, UnicodeDecodeError):
        return ""


def _is_disk_full(error: BaseException, detail: str, folder: Path) -> bool:
    codes = (errno.ENOSPC, errno.EDQUOT)
    if isinstance(error, OSError) and error.errno in codes:
        return True
    text = f"{detail} {error}"
    if any(os.strerror(code) in text for code in codes):
        return True
    if isinstance(error, soundfile.SoundFileError):  # libsndfile dropped the errno: look
        try:
            stats = os.statvfs(folder)
        except OSError:
            return False
        return stats.f_bavail * stats.f_frsize < _NEARLY_FULL_BYTES
    return False


def _create_error(path: Path, error: BaseException) -> TakeFileError:
    if _is_disk_full(error, "", path.parent):
        return DiskFull(DISK_FULL_AT_START)
    return TakeWriteError(CREATE_FAILED, name=path.name, reason=str(error))


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
