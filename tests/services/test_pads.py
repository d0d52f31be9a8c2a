"""Pads: play a voice live, MIDI-learn, mappings kept per device, and recording into a pattern
while it loops, through the virtual port and a fake output (no MIDI hardware here)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mido
import pytest

from studio.audio.midi_ports import VirtualInput
from studio.core.beat import Pattern, VoiceLane
from studio.core.i18n import StudioError
from studio.core.pad_record import LoopClock, Quantise
from studio.services.pads import (
    MAPPINGS_FILE,
    PadMapping,
    PadMappings,
    PadRecorder,
    PadSession,
    midi_folder,
    open_pad_session,
)

SR = 48000


class FakeOutput:
    """Stands in for the engine: remembers what it was asked to play, has a settable playhead."""

    def __init__(self) -> None:
        self.played: list[tuple[str, int]] = []
        self.frame = 0

    def trigger_pad(self, voice: str, velocity: int) -> None:
        self.played.append((voice, velocity))

    def playhead_frame(self) -> int:
        return self.frame


def on(note: int, velocity: int = 100, channel: int = 9) -> mido.Message:
    return mido.Message("note_on", note=note, velocity=velocity, channel=channel)


def session(tmp_path: Path, recorder: PadRecorder | None = None,
            device: str = "Pads 1") -> tuple[PadSession, VirtualInput, FakeOutput]:
    port, output = VirtualInput(device), FakeOutput()
    store = PadMappings(midi_folder(tmp_path))
    return PadSession(port, output, store.load(device), recorder, store), port, output


def test_pads_play_general_midi_voices_by_default(tmp_path: Path) -> None:
    pads, port, output = session(tmp_path)
    port.push(on(36, 110), on(38, 90), on(42, 60), on(20, 100), on(36, 0),
              mido.Message("note_off", note=38), mido.Message("control_change", control=1))
    events = pads.poll()
    assert output.played == [("kick", 110), ("snare", 90), ("hat_closed", 60)]
    assert [(e.note, e.voice) for e in events] == [(36, "kick"), (38, "snare"),
                                                   (42, "hat_closed"), (20, None)]
    assert all(e.frame is None for e in events)  # not recording
    assert pads.poll() == []
    pads.close()
    assert port.closed


def test_midi_learn_teaches_the_next_note_and_keeps_it(tmp_path: Path) -> None:
    pads, port, output = session(tmp_path)
    pads.learn("cowbell")
    assert pads.learning == "cowbell"
    port.push(on(60, 80), on(60, 100), on(36, 70))
    first, second, third = pads.poll()
    assert first.learned and first.voice == "cowbell" and pads.learning is None
    said = first.words()
    assert said is not None and said.say("en") == "Note 60 now plays cowbell."
    assert said.say("nb") == "Tone 60 spiller nå kubjelle."
    assert (second.voice, second.learned) == ("cowbell", False)
    assert third.voice == "kick"  # the other notes keep their defaults
    assert output.played == [("cowbell", 80), ("cowbell", 100), ("kick", 70)]
    # kept per device, in a small JSON file, at once
    path = tmp_path / "midi" / MAPPINGS_FILE
    assert json.loads(path.read_text()) == {"devices": {"Pads 1": {"60": "cowbell"}}}
    assert [p.name for p in path.parent.iterdir()] == [MAPPINGS_FILE]  # no temporary left
    again, again_port, again_output = session(tmp_path)
    again_port.push(on(60))
    again.poll()
    assert again_output.played == [("cowbell", 100)]
    other, other_port, other_output = session(tmp_path, device="Keys")
    other_port.push(on(60))
    other.poll()
    assert other_output.played == [("tom_high", 100)]  # GM: 60 is a high bongo


def test_learning_can_be_cancelled_and_needs_a_real_voice(tmp_path: Path) -> None:
    pads, port, _ = session(tmp_path)
    pads.learn("rim")
    pads.cancel_learn()
    port.push(on(60))
    assert pads.poll()[0].voice == "tom_high" and not (tmp_path / "midi").exists()
    with pytest.raises(StudioError) as wrong:
        pads.learn("banjo")
    assert "banjo" in wrong.value.say("en")


def test_mappings_of_several_devices_and_a_broken_file(tmp_path: Path) -> None:
    store = PadMappings(tmp_path / "midi")
    pads = store.load("Pads")
    pads.assign(48, "clap")
    store.save(pads)
    keys = store.load("Keys")
    keys.assign(36, "snare")
    keys.assign(37, "snare")
    store.save(keys)
    assert store.devices() == ["Keys", "Pads"]
    assert store.load("Keys").voice_for(36) == "snare"
    assert store.load("Keys").notes_for("snare") == [36, 37, 38, 40]
    assert store.load("Pads").voice_for(48) == "clap"
    store.forget("Pads")
    assert store.devices() == ["Keys"] and store.load("Pads").learned == {}
    store.path.write_text("{ not json")
    assert store.load("Keys").learned == {}  # a broken file: the defaults, no crash
    store.path.write_text(json.dumps({"devices": {"Keys": {"36": "banjo", "x": "kick",
                                                           "200": "kick", "40": "clap"}}}))
    assert store.load("Keys").learned == {40: "clap"}  # nonsense entries are dropped
    with pytest.raises(StudioError):
        PadMapping("x").assign(128, "kick")


def test_a_mapping_that_cannot_be_saved_is_said_and_the_old_one_kept(tmp_path: Path) -> None:
    folder = tmp_path / "midi"
    store = PadMappings(folder)
    first = store.load("Pads")
    first.assign(50, "rim")
    store.save(first)
    blocker = folder / f".{MAPPINGS_FILE}.{os.getpid()}.partial"
    blocker.mkdir()  # the temporary file cannot be written (works even for root)
    second = store.load("Pads")
    second.assign(51, "crash")
    with pytest.raises(StudioError) as refused:
        store.save(second)
    assert "old settings were kept" in refused.value.say("en")
    assert store.load("Pads").learned == {50: "rim"}


def test_recording_collects_hits_at_the_playhead_and_quantises_into_the_pattern(
        tmp_path: Path) -> None:
    recorder = PadRecorder()
    pads, port, output = session(tmp_path, recorder)
    clock = LoopClock(start_frame=48000, tempo=120.0, samplerate=SR)
    sixteenth = round(clock.frames_per_beat / 4)  # 6000 frames
    bar = 16 * sixteenth
    played = [(36, 100, 48000 + 130), (38, 120, 48000 + 4 * sixteenth - 700),
              (42, 50, 48000 + bar + 2 * sixteenth + 900),  # second pass
              (38, 64, 48000 + 2 * bar - 400)]  # just before the loop starts again
    for note, velocity, frame in played:
        output.frame = frame
        port.push(on(note, velocity))
        pads.poll()
    assert [(h.frame, h.voice, h.velocity) for h in recorder.hits] == [
        (48130, "kick", 100), (48000 + 4 * sixteenth - 700, "snare", 120),
        (48000 + bar + 2 * sixteenth + 900, "hat_closed", 50),
        (48000 + 2 * bar - 400, "snare", 64)]
    start = Pattern("loop", 16, 4, 0.0, {"kick": VoiceLane((0,) * 16)})
    new, placed = recorder.apply(start, clock, Quantise(grid="1/16"))
    assert [p.step for p in placed] == [0, 4, 2, 0]
    assert new.voices["kick"].velocities[0] == 100
    assert new.voices["snare"].velocities[4] == 120 and new.voices["snare"].velocities[0] == 64
    assert new.voices["hat_closed"].velocities[2] == 50
    eighths, _ = recorder.apply(start, clock, Quantise(grid="1/8"))
    assert eighths.voices["hat_closed"].velocities[2] == 50  # 2 is on the eighth grid
    quarters, _ = recorder.apply(start, clock, Quantise(grid="1/4"))
    assert quarters.voices["hat_closed"].velocities[4] == 50
    recorder.clear()
    assert recorder.hits == []


def test_learning_while_recording_does_not_record_the_taught_note(tmp_path: Path) -> None:
    recorder = PadRecorder()
    pads, port, _ = session(tmp_path, recorder)
    pads.learn("shaker")
    port.push(on(70), on(70))
    first, second = pads.poll()
    assert first.frame is None and second.frame == 0
    assert [h.voice for h in recorder.hits] == ["shaker"]


class FakeMidoPort:
    def __init__(self, name: str, callback: Any = None) -> None:
        self.name, self.callback, self.closed = name, callback, False
        self.waiting: list[mido.Message] = []

    def iter_pending(self) -> Iterator[mido.Message]:
        while self.waiting:
            yield self.waiting.pop(0)

    def close(self) -> None:
        self.closed = True


def test_a_session_on_a_device_uses_its_saved_mapping(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from studio.audio import midi_ports

    monkeypatch.setattr(midi_ports, "ALSA_SEQUENCER", tmp_path)
    monkeypatch.setattr(mido, "get_input_names", lambda: ["MPD218", "Keys"])
    ports: list[FakeMidoPort] = []

    def fake_open(name: str, callback: Any = None) -> FakeMidoPort:
        ports.append(FakeMidoPort(name, callback))
        return ports[-1]

    monkeypatch.setattr(mido, "open_input", fake_open)
    store = PadMappings(midi_folder(tmp_path))
    mapping = store.load("Keys")
    mapping.assign(48, "clap")
    store.save(mapping)
    output = FakeOutput()
    polled = open_pad_session(tmp_path, output, "Keys")
    ports[-1].waiting.append(on(48))
    assert [e.voice for e in polled.poll()] == ["clap"]
    called = open_pad_session(tmp_path, output, callback=True)
    assert called.port.name == "MPD218" and ports[-1].callback is not None
    ports[-1].callback(on(36, 77))  # as rtmidi's thread would
    assert output.played == [("clap", 100), ("kick", 77)]
    called.close()
    assert ports[-1].closed


def test_without_a_midi_system_a_session_is_refused_in_plain_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from studio.audio import midi_ports

    monkeypatch.setattr(midi_ports, "ALSA_SEQUENCER", tmp_path / "none")
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(StudioError) as refused:
        open_pad_session(tmp_path, FakeOutput())
    assert refused.value.say("en").startswith("No MIDI devices")
