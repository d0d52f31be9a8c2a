"""MIDI ports: the virtual port, and listing and opening real ones on a machine that may have no
MIDI system at all (containers, CI): never a crash, always plain words."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import mido
import pytest

from studio.audio import midi_ports
from studio.audio.midi_ports import (
    NO_MIDI_DEVICES,
    MidoInput,
    PortListing,
    VirtualInput,
    list_inputs,
    open_input,
)
from studio.core.i18n import StudioError


def test_the_virtual_port_gives_what_was_pushed_once_and_in_order() -> None:
    port = VirtualInput("pads")
    assert port.name == "pads" and port.poll() == []
    first, second = mido.Message("note_on", note=36, velocity=100, channel=9), mido.Message(
        "note_off", note=36, channel=9)
    port.push(first, second)
    assert port.poll() == [first, second]
    assert port.poll() == []
    port.close()
    port.push(first)
    assert port.poll() == [] and port.closed


def test_the_virtual_port_takes_messages_from_another_thread() -> None:
    port = VirtualInput()
    messages = [mido.Message("note_on", note=n % 128, velocity=1 + n % 127) for n in range(500)]
    def push_all() -> None:
        for message in messages:
            port.push(message)

    pusher = threading.Thread(target=push_all)
    pusher.start()
    pusher.join()
    assert port.poll() == messages


def test_no_midi_system_is_said_plainly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(midi_ports, "ALSA_SEQUENCER", tmp_path / "no-seq")
    monkeypatch.setattr(sys, "platform", "linux")
    listing = list_inputs()
    assert listing.names == () and listing.problem is not None
    said = listing.problem.say("en")
    assert said.startswith("No MIDI devices") and "/dev/snd/seq" in said
    assert listing.problem.say("nb").startswith("Ingen MIDI-enheter")
    with pytest.raises(StudioError) as refused:
        open_input()
    assert refused.value.say("en").startswith("No MIDI devices")


def test_when_rtmidi_fails_the_listing_still_answers(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setattr(midi_ports, "ALSA_SEQUENCER", tmp_path)  # "there is a sequencer"

    def broken() -> list[str]:
        raise RuntimeError("MidiInAlsa::initialize: error creating ALSA sequencer client object.")

    monkeypatch.setattr(mido, "get_input_names", broken)
    listing = list_inputs()
    assert listing.names == () and listing.problem is not None
    assert "error creating ALSA sequencer client" in listing.problem.say("en")


def test_the_real_listing_never_raises_here() -> None:
    listing = list_inputs()  # whatever this machine has: names, or a reason
    assert isinstance(listing, PortListing)
    said = listing.describe()
    assert said is None or said.say("en")


class FakePort:
    def __init__(self, name: str, callback: Any = None) -> None:
        self.name = name
        self.callback = callback
        self.closed = False
        self.waiting = [mido.Message("note_on", note=38, velocity=90)]

    def iter_pending(self) -> Any:
        while self.waiting:
            yield self.waiting.pop(0)

    def close(self) -> None:
        self.closed = True


def test_opening_a_port_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(midi_ports, "ALSA_SEQUENCER", tmp_path)
    monkeypatch.setattr(mido, "get_input_names", lambda: ["Pads 1", "Keys", "Pads 1"])
    opened: list[FakePort] = []

    def fake_open(name: str, callback: Any = None) -> FakePort:
        opened.append(FakePort(name, callback))
        return opened[-1]

    monkeypatch.setattr(mido, "open_input", fake_open)
    assert list_inputs().names == ("Pads 1", "Keys")
    port = open_input()
    assert isinstance(port, MidoInput) and port.name == "Pads 1"
    assert [m.note for m in port.poll()] == [38] and port.poll() == []
    port.close()
    assert opened[0].closed and port.poll() == []
    with pytest.raises(StudioError) as missing:
        open_input("Drums")
    assert "Pads 1, Keys" in missing.value.say("en")
    called = open_input("Keys", callback=lambda message: None)
    assert called.poll() == []  # with a callback the messages go there, not to poll()


def test_an_empty_listing_says_plug_something_in(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(midi_ports, "ALSA_SEQUENCER", tmp_path)
    monkeypatch.setattr(mido, "get_input_names", lambda: [])
    assert list_inputs().describe() is NO_MIDI_DEVICES
    with pytest.raises(StudioError) as refused:
        open_input()
    assert refused.value.words is NO_MIDI_DEVICES
