"""A song version: the hash of everything that makes the sound and the words.

The service layer gathers the content (song settings, lyrics, master settings, each track's mix
settings and clips with the sha256 of the take each clip plays) into plain data; this module
turns it into a stable text and hashes it. Any change to any of it makes a new version, and the
same content always gives the same version, whatever order dictionaries were built in.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

SHORT = 12  # characters of the version shown to people


def canonical_json(content: Any) -> str:
    """JSON with sorted keys and no spaces; floats must be finite."""

    def check(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("a song version cannot hold a non-finite number")
        if isinstance(value, Mapping):
            return {str(k): check(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [check(v) for v in value]
        return value

    return json.dumps(check(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def song_version(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def short_version(version: str) -> str:
    return version[:SHORT]
