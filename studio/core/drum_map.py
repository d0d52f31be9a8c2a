"""Which kit voice a MIDI percussion key plays, and back.

Two maps: General MIDI percussion (GM1 keys 35–81, plus the GM2 additions 27–34 and 82–87),
each key sent to the nearest of the studio's kit voices or to ``None`` when no voice is close
(whistles, cuíca, triangles, metronome sounds); and the Roland TD-11 map that the Magenta Groove
MIDI Dataset was recorded with. The TD-11 sends the edge of the hi-hat as keys 22 (closed) and
26 (open), below the GM range, and the rims of its toms as 50, 47 and 58 (58 is a vibraslap in
GM); other keys mean what they mean in GM. :func:`guess_drum_map` picks TD-11 when a file uses
the hi-hat edge keys, GM otherwise. :data:`GM_KEY_FOR_VOICE` gives one GM1 key per voice for
export, chosen so that it maps back to the same voice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from studio.core.beat import VOICES, Voice
from studio.core.i18n import Words

__all__ = [
    "GM",
    "GM_KEY_FOR_VOICE",
    "KIT_VOICES",
    "TD11",
    "DrumMap",
    "KitVoice",
    "gm_key",
    "guess_drum_map",
]

KitVoice = Voice
KIT_VOICES: tuple[KitVoice, ...] = VOICES


@dataclass(frozen=True)
class DrumMap:
    name: str
    words: Words
    keys: Mapping[int, KitVoice | None]
    """Every key this map knows; a key not listed plays no voice either."""

    def voice(self, key: int) -> KitVoice | None:
        return self.keys.get(key)


_GM1: dict[int, KitVoice | None] = {
    35: "kick",  # Acoustic Bass Drum
    36: "kick",  # Bass Drum 1
    37: "rim",  # Side Stick
    38: "snare",  # Acoustic Snare
    39: "clap",  # Hand Clap
    40: "snare",  # Electric Snare
    41: "tom_low",  # Low Floor Tom
    42: "hat_closed",  # Closed Hi-Hat
    43: "tom_low",  # High Floor Tom
    44: "hat_pedal",  # Pedal Hi-Hat
    45: "tom_mid",  # Low Tom
    46: "hat_open",  # Open Hi-Hat
    47: "tom_mid",  # Low-Mid Tom
    48: "tom_high",  # Hi-Mid Tom
    49: "crash",  # Crash Cymbal 1
    50: "tom_high",  # High Tom
    51: "ride",  # Ride Cymbal 1
    52: "crash",  # Chinese Cymbal
    53: "ride",  # Ride Bell
    54: "shaker",  # Tambourine
    55: "crash",  # Splash Cymbal
    56: "cowbell",  # Cowbell
    57: "crash",  # Crash Cymbal 2
    58: None,  # Vibraslap
    59: "ride",  # Ride Cymbal 2
    60: "tom_high",  # Hi Bongo
    61: "tom_mid",  # Low Bongo
    62: "tom_mid",  # Mute Hi Conga
    63: "tom_mid",  # Open Hi Conga
    64: "tom_low",  # Low Conga
    65: "tom_high",  # High Timbale
    66: "tom_mid",  # Low Timbale
    67: "cowbell",  # High Agogo
    68: "cowbell",  # Low Agogo
    69: "shaker",  # Cabasa
    70: "shaker",  # Maracas
    71: None,  # Short Whistle
    72: None,  # Long Whistle
    73: "shaker",  # Short Guiro
    74: "shaker",  # Long Guiro
    75: "rim",  # Claves
    76: "rim",  # Hi Wood Block
    77: "rim",  # Low Wood Block
    78: None,  # Mute Cuica
    79: None,  # Open Cuica
    80: None,  # Mute Triangle
    81: None,  # Open Triangle
}
_GM2_EXTRA: dict[int, KitVoice | None] = {
    27: None,  # High Q
    28: "clap",  # Slap
    29: None,  # Scratch Push
    30: None,  # Scratch Pull
    31: "rim",  # Sticks
    32: "rim",  # Square Click
    33: None,  # Metronome Click
    34: None,  # Metronome Bell
    82: "shaker",  # Shaker
    83: "shaker",  # Jingle Bell
    84: None,  # Bell Tree
    85: "rim",  # Castanets
    86: "tom_low",  # Mute Surdo
    87: "tom_low",  # Open Surdo
}
_TD11: dict[int, KitVoice | None] = {
    36: "kick",  # Kick
    38: "snare",  # Snare (head)
    40: "snare",  # Snare (rim shot)
    37: "rim",  # Snare X-stick
    48: "tom_high",  # Tom 1
    50: "tom_high",  # Tom 1 (rim)
    45: "tom_mid",  # Tom 2
    47: "tom_mid",  # Tom 2 (rim)
    43: "tom_low",  # Tom 3 (head)
    58: "tom_low",  # Tom 3 (rim)
    46: "hat_open",  # HH open (bow)
    26: "hat_open",  # HH open (edge)
    42: "hat_closed",  # HH closed (bow)
    22: "hat_closed",  # HH closed (edge)
    44: "hat_pedal",  # HH pedal
    49: "crash",  # Crash 1 (bow)
    55: "crash",  # Crash 1 (edge)
    57: "crash",  # Crash 2 (bow)
    52: "crash",  # Crash 2 (edge)
    51: "ride",  # Ride (bow)
    59: "ride",  # Ride (edge)
    53: "ride",  # Ride (bell)
}

GM = DrumMap(
    "gm",
    Words(nb="General MIDI-trommer", en="General MIDI drums"),
    {**_GM2_EXTRA, **_GM1},
)
TD11 = DrumMap(
    "td11",
    Words(
        nb="Roland TD-11 (el-trommer, som i Groove-datasettet)",
        en="Roland TD-11 (electronic kit, as in the Groove dataset)",
    ),
    {**_GM2_EXTRA, **_GM1, **_TD11},
)

_TD11_ONLY_KEYS = frozenset({22, 26})

GM_KEY_FOR_VOICE: Mapping[KitVoice, int] = {
    "kick": 36,
    "snare": 38,
    "clap": 39,
    "rim": 37,
    "hat_closed": 42,
    "hat_pedal": 44,
    "hat_open": 46,
    "tom_low": 43,
    "tom_mid": 47,
    "tom_high": 50,
    "crash": 49,
    "ride": 51,
    "cowbell": 56,
    "shaker": 70,
}
"""The GM1 key each voice is exported as (every one maps back to its voice in :data:`GM`)."""


def gm_key(voice: KitVoice) -> int:
    return GM_KEY_FOR_VOICE[voice]


def guess_drum_map(keys: Iterable[int]) -> DrumMap:
    """TD-11 when the keys include its hi-hat edge notes (22, 26), General MIDI otherwise."""
    return TD11 if any(key in _TD11_ONLY_KEYS for key in keys) else GM
