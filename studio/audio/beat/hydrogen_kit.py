"""Hydrogen drumkits (``drumkit.xml`` and its samples) as kits for the beat renderer.

All three shapes Hydrogen has written are read:

- the oldest: ``<filename>`` directly inside ``<instrument>`` (one sample, all velocities);
- ``<layer>`` elements directly inside ``<instrument>`` (0.9.x);
- ``<instrumentComponent><layer>…`` (0.9.7 and later, with or without an XML namespace).

A layer's ``<min>``/``<max>`` (0..1) become velocity ranges 1..127; layers may be listed in any
order (some kits list the loudest first) and overlapping ranges go to the layer starting higher.
``<gain>``, ``<volume>``, ``<pitch>`` (semitones), ``<pan>`` or ``pan_L``/``pan_R``, and
``<muteGroup>`` (a choke group) are honoured.

Instruments are matched to the beat's voices by name (and by ``<type>`` when the name says
nothing): kick / bass drum, snare, clap, rim / side stick, closed, pedal and open hi-hat, low, mid
and high toms (floor tom, "Tom 1/2/3"), crash / splash / china, ride / bell, cowbell, shaker /
maracas / tambourine. When several instruments fit a voice the clearest name wins, then the one
listed first. What was left out is said in :attr:`Kit.notes`. If no hi-hat has a mute group of
its own, the hi-hats choke each other as on a real hi-hat.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from studio.audio.beat.kit import Kit, KitVoice, Layer
from studio.audio.beat.sample_kit import SAMPLE_SHORTENED, load_sample
from studio.core.beat import VOICE_WORDS, VOICES
from studio.core.i18n import StudioError, Words

__all__ = ["DRUMKIT_FILE", "load_hydrogen_kit", "voice_for_instrument"]

DRUMKIT_FILE = "drumkit.xml"
_MAX_XML_BYTES = 8 * 1024 * 1024

_CANNOT_READ = Words(
    nb="Hydrogen-trommesettet {file} kan ikke leses: {detail}",
    en="The Hydrogen drum kit {file} can't be read: {detail}",
)
_NOT_A_KIT = Words(
    nb="{file} er ikke et Hydrogen-trommesett (fant ingen <instrument>).",
    en="{file} is not a Hydrogen drum kit (no <instrument> found).",
)
_NOTHING_USABLE = Words(
    nb="Ingen av instrumentene i {file} kunne brukes: {reasons}",
    en="None of the instruments in {file} could be used: {reasons}",
)
_SKIPPED_INSTRUMENT = Words(
    nb="«{name}» ble ikke brukt: ingen av lydene våre passer til navnet.",
    en="'{name}' was not used: its name matches none of our sounds.",
)
_SPARE_INSTRUMENT = Words(
    nb="«{name}» ble ikke brukt: «{other}» spiller allerede {voice}.",
    en="'{name}' was not used: '{other}' already plays {voice}.",
)
_MISSING_SAMPLE = Words(
    nb="«{name}»: lydfila {sample} mangler eller kan ikke leses, så det laget er hoppet over.",
    en="'{name}': the sound file {sample} is missing or unreadable, so that layer was skipped.",
)
_NO_SAMPLES = Words(
    nb="«{name}» ble ikke brukt: ingen av lydfilene kunne leses.",
    en="'{name}' was not used: none of its sound files could be read.",
)
_MAPPED = Words(
    nb="«{name}» spiller {voice}.",
    en="'{name}' plays {voice}.",
)

# (pattern on the normalised name, voice, rank: lower is a clearer match). First match wins.
_RULES: tuple[tuple[str, str, int], ...] = (
    (r"\bcow ?bell\b", "cowbell", 0),
    (r"\bshaker\b", "shaker", 0),
    (r"\bmaracas?\b", "shaker", 1),
    (r"\bcabasa\b", "shaker", 2),
    (r"\btamb(ourine)?\b", "shaker", 3),
    (r"\b(hand ?)?claps?\b", "clap", 0),
    (r"\brim ?shot\b", "rim", 1),
    (r"\b(side ?)?stick\b|\brim\b", "rim", 0),
    (r"\bclaves?\b", "rim", 2),
    (r"\b(hh|hi ?hats?|hats?)\b.*\b(pedal|foot|ped)\b|\b(pedal|foot)\b.*\b(hh|hi ?hats?|hats?)\b",
     "hat_pedal", 0),
    (r"\b(hh|hi ?hats?|hats?)\b.*\b(semi|half)\b|\b(semi|half)\b.*\b(hh|hi ?hats?|hats?)\b",
     "hat_open", 1),
    (r"\b(hh|hi ?hats?|hats?)\b.*\bopen\b|\bopen\b.*\b(hh|hi ?hats?|hats?)\b|\bohh?\b",
     "hat_open", 0),
    (r"\b(hh|hi ?hats?|hats?)\b.*\b(closed?|tight)\b|\b(closed?|tight)\b.*\b(hh|hi ?hats?|hats?)\b"
     r"|\bchh?\b", "hat_closed", 0),
    (r"\b(hh|hi ?hats?|hats?)\b", "hat_closed", 1),
    (r"\b(kick|kik|bass ?drum|bd|kick ?drum)\b", "kick", 0),
    (r"\bsnare\b|\bsd\b", "snare", 0),
    (r"\bfloor\b", "tom_low", 0),
    (r"\btom\b.*\b(low|lo)\b|\b(low|lo)\b.*\btom\b", "tom_low", 0),
    (r"\btom\b.*\b(mid|middle)\b|\b(mid|middle)\b.*\btom\b", "tom_mid", 0),
    (r"\btom\b.*\b(high|hi)\b|\b(high|hi)\b.*\btom\b", "tom_high", 0),
    (r"\btom ?1\b", "tom_high", 1),
    (r"\btom ?2\b", "tom_mid", 1),
    (r"\btom ?[34]\b", "tom_low", 1),
    (r"\btoms?\b", "tom_mid", 2),
    (r"\bcongas?\b", "tom_mid", 3),
    (r"\bbongos?\b", "tom_high", 3),
    (r"\btimbales?\b", "tom_high", 4),
    (r"\bride\b.*\bbell\b|\bbell\b.*\bride\b", "ride", 2),
    (r"\bride\b", "ride", 0),
    (r"\bcrash\b", "crash", 0),
    (r"\bcymbal\b", "crash", 1),
    (r"\bsplash\b", "crash", 2),
    (r"\bchina\b", "crash", 3),
    (r"\bbell\b", "ride", 3),
)


def _normalise(name: str) -> str:
    spaced = re.sub(r"([a-z])([A-Z0-9])", r"\1 \2", name)  # "HiHatOpen" -> "Hi Hat Open"
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).strip()


def voice_for_instrument(name: str, kind: str = "") -> tuple[str, int] | None:
    """(voice, rank) for a Hydrogen instrument's name (else its type), or None."""
    for text in (name, kind):
        words = _normalise(text)
        if not words:
            continue
        for pattern, voice, rank in _RULES:
            if re.search(pattern, words):
                return voice, rank
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: ET.Element, name: str, default: str = "") -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None and child.text else default


def _float(element: ET.Element, name: str, default: float) -> float:
    try:
        value = float(_text(element, name, str(default)))
    except ValueError:
        return default
    return value if math.isfinite(value) else default


@dataclass
class _Instrument:
    index: int
    name: str
    kind: str
    level: float
    pan: float
    mute_group: int
    layers: list[tuple[str, float, float, float, float]]  # file, min, max, gain, pitch


def _velocity_range(low: float, high: float) -> tuple[int, int]:
    low, high = sorted((min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)))
    first = max(1, math.ceil(low * 127 - 1e-9))
    last = min(127, max(first, math.floor(high * 127 + 1e-9)))
    return first, last


def _instrument(element: ET.Element, index: int) -> _Instrument:
    name = _text(element, "name") or f"#{index}"
    level = _float(element, "volume", 1.0) * _float(element, "gain", 1.0)
    if _child(element, "pan") is not None:
        pan = _float(element, "pan", 0.0)
    else:
        pan = _float(element, "pan_R", 1.0) - _float(element, "pan_L", 1.0)
    layers = []
    old_file = _text(element, "filename")
    if old_file:
        layers.append((old_file, 0.0, 1.0, 1.0, 0.0))
    groups = [(1.0, _children(element, "layer"))]
    for component in _children(element, "instrumentComponent"):
        groups.append((_float(component, "gain", 1.0), _children(component, "layer")))
    for component_gain, group in groups:
        for layer in group:
            file = _text(layer, "filename")
            if file:
                layers.append((file, _float(layer, "min", 0.0), _float(layer, "max", 1.0),
                               component_gain * _float(layer, "gain", 1.0),
                               _float(layer, "pitch", 0.0)))
    try:
        mute_group = int(_text(element, "muteGroup", "-1"))
    except ValueError:
        mute_group = -1
    return _Instrument(index, name, _text(element, "type"), max(0.0, level),
                       min(1.0, max(-1.0, pan)), mute_group, layers)


def _read_xml(xml_file: Path) -> ET.Element:
    try:
        if xml_file.stat().st_size > _MAX_XML_BYTES:
            raise StudioError(_CANNOT_READ, file=str(xml_file), detail="too large / for stor")
        raw = xml_file.read_bytes()
    except OSError as error:
        raise StudioError(_CANNOT_READ, file=str(xml_file),
                          detail=error.strerror or str(error)) from None
    if b"<!ENTITY" in raw or b"<!DOCTYPE" in raw:
        raise StudioError(_CANNOT_READ, file=str(xml_file),
                          detail="declarations are not allowed / deklarasjoner er ikke lov")
    try:
        return ET.fromstring(raw)
    except ET.ParseError as error:
        raise StudioError(_CANNOT_READ, file=str(xml_file), detail=str(error)) from None


def load_hydrogen_kit(path: Path | str, samplerate: int) -> Kit:
    """Load a Hydrogen drumkit (its folder or its ``drumkit.xml``) at ``samplerate``."""
    path = Path(path)
    xml_file = path / DRUMKIT_FILE if path.is_dir() else path
    root = _read_xml(xml_file)
    instrument_list = _child(root, "instrumentList")
    elements = _children(instrument_list, "instrument") if instrument_list is not None else []
    if not elements:
        raise StudioError(_NOT_A_KIT, file=str(xml_file))
    instruments = [_instrument(element, i) for i, element in enumerate(elements)]
    notes: list[Words] = []

    def note(words: Words, voice: str | None = None, **values: object) -> None:
        """Add a note in both languages (``voice`` is said in plain words in each)."""
        nb = dict(values, voice=VOICE_WORDS[voice].nb) if voice else values
        en = dict(values, voice=VOICE_WORDS[voice].en) if voice else values
        notes.append(Words(words.say("nb", **nb), words.say("en", **en)))

    # Choose an instrument for each voice: the clearest name, then the first listed.
    chosen: dict[str, tuple[int, _Instrument]] = {}
    for inst in instruments:
        match = voice_for_instrument(inst.name, inst.kind)
        if match is None:
            note(_SKIPPED_INSTRUMENT, name=inst.name)
            continue
        voice, rank = match
        if voice in chosen and chosen[voice][0] <= rank:
            note(_SPARE_INSTRUMENT, name=inst.name, other=chosen[voice][1].name, voice=voice)
            continue
        if voice in chosen:
            note(_SPARE_INSTRUMENT, name=chosen[voice][1].name, other=inst.name, voice=voice)
        chosen[voice] = (rank, inst)

    folder = xml_file.parent.resolve()
    hats = ("hat_closed", "hat_pedal", "hat_open")
    hats_have_groups = any(chosen[v][1].mute_group >= 0 for v in hats if v in chosen)
    voices: dict[str, KitVoice] = {}
    for voice in VOICES:
        if voice not in chosen:
            continue
        inst = chosen[voice][1]
        layers = []
        for file, low, high, gain, pitch in inst.layers:
            sample = (folder / file).resolve()
            if not sample.is_relative_to(folder) or not sample.is_file():
                note(_MISSING_SAMPLE, name=inst.name, sample=file)
                continue
            try:
                sound, shortened = load_sample(sample, samplerate, pitch, inst.pan)
            except StudioError:
                note(_MISSING_SAMPLE, name=inst.name, sample=file)
                continue
            if shortened:
                note(SAMPLE_SHORTENED, file=file, seconds=20)
            first, last = _velocity_range(low, high)
            layers.append(Layer(sound, first, last, gain))
        if not layers:
            note(_NO_SAMPLES, name=inst.name)
            continue
        choke = f"mute{inst.mute_group}" if inst.mute_group >= 0 else None
        if choke is None and voice in hats and not hats_have_groups:
            choke = "hats"
        voices[voice] = KitVoice(layers=tuple(sorted(layers, key=lambda x: (x.low, x.high))),
                                 level=inst.level, choke=choke)
        note(_MAPPED, name=inst.name, voice=voice)
    if not voices:
        reasons = " ".join(n.say() for n in notes) or "-"
        raise StudioError(_NOTHING_USABLE, file=str(xml_file), reasons=reasons)
    name = _text(root, "name") or xml_file.parent.name
    return Kit(name=name, samplerate=samplerate, voices=voices, notes=tuple(notes))
