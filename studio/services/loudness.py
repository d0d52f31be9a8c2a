"""Measure the loudness of an audio file (EBU R 128): ``studio loudness`` and export reports.

The file is read in blocks and fed to :class:`studio.audio.loudness.LoudnessMeter`, so a long
file never has to fit in memory. Anything wrong with the file becomes a :class:`StudioError` in
plain words; nothing is written.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.audio.loudness import (
    MAX_SAMPLERATE,
    MIN_SAMPLERATE,
    LoudnessMeter,
    LoudnessReport,
    NotFiniteError,
)
from studio.core.i18n import StudioError, Words

__all__ = ["BLOCK_FRAMES", "measure_file"]

BLOCK_FRAMES = 1 << 16

FILE_MISSING = Words(nb="Fant ikke filen {path}.", en="Could not find the file {path}.")
IS_A_FOLDER = Words(nb="{path} er en mappe, ikke en lydfil.",
                    en="{path} is a folder, not an audio file.")
NOT_ALLOWED = Words(nb="Studioet har ikke lov til å lese {path}.",
                    en="The studio is not allowed to read {path}.")
CANNOT_OPEN = Words(nb="Kunne ikke åpne {path}.", en="Could not open {path}.")
NOT_AUDIO = Words(
    nb="{path} er ikke en lydfil studioet kan lese (WAV, FLAC, OGG, MP3 eller AIFF).",
    en="{path} is not an audio file the studio can read (WAV, FLAC, OGG, MP3 or AIFF).",
)
BAD_RATE = Words(
    nb="{path} har samplingsfrekvensen {rate} Hz. Studioet måler lydstyrke fra {low} til "
       "{high} Hz.",
    en="{path} has the sample rate {rate} Hz. The studio measures loudness from {low} to "
       "{high} Hz.",
)
DAMAGED = Words(
    nb="{path} er skadet: lyden kunne ikke leses helt, så lydstyrken kan ikke måles.",
    en="{path} is damaged: the sound could not be read to the end, so its loudness cannot be "
       "measured.",
)
INVALID_SAMPLES = Words(
    nb="{path} inneholder ugyldige lydverdier, så lydstyrken kan ikke måles.",
    en="{path} holds invalid sample values, so its loudness cannot be measured.",
)


def _check_readable(path: Path) -> None:
    """A plain message for a file that is missing, a folder, or not a regular file (a pipe or
    a device would make the reader wait forever), or that may not be read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise StudioError(FILE_MISSING, path=path) from None
    except PermissionError:
        raise StudioError(NOT_ALLOWED, path=path) from None
    except (OSError, ValueError):
        raise StudioError(CANNOT_OPEN, path=path) from None
    if stat.S_ISDIR(mode):
        raise StudioError(IS_A_FOLDER, path=path)
    if not stat.S_ISREG(mode):
        raise StudioError(NOT_AUDIO, path=path)
    if not os.access(path, os.R_OK):
        raise StudioError(NOT_ALLOWED, path=path)


def measure_file(path: str | os.PathLike[str]) -> LoudnessReport:
    """Integrated loudness, loudness range, maximum momentary and short-term loudness, true
    peak and sample peak of the audio file at ``path``."""
    where = Path(path)
    _check_readable(where)
    try:
        sound = sf.SoundFile(str(where))
    except PermissionError:
        raise StudioError(NOT_ALLOWED, path=where) from None
    except (RuntimeError, OSError, ValueError, TypeError):
        raise StudioError(NOT_AUDIO, path=where) from None
    with sound:
        if sound.channels < 1 or sound.samplerate < 1:
            raise StudioError(NOT_AUDIO, path=where)
        try:
            meter = LoudnessMeter(sound.samplerate, sound.channels)
        except ValueError:
            raise StudioError(BAD_RATE, path=where, rate=sound.samplerate, low=MIN_SAMPLERATE,
                              high=MAX_SAMPLERATE) from None
        buffer = np.empty((BLOCK_FRAMES, sound.channels), dtype=np.float32)
        try:
            while True:  # until the data ends, whatever the header claimed
                block = sound.read(BLOCK_FRAMES, dtype="float32", always_2d=True, out=buffer)
                if block.shape[0] == 0:
                    break
                meter.feed(block)
        except NotFiniteError:
            raise StudioError(INVALID_SAMPLES, path=where) from None
        except (RuntimeError, OSError, ValueError):
            raise StudioError(DAMAGED, path=where) from None
    return meter.report()
