"""Device lists, fresh scans and choosing a device."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from studio.audio import devices as devices_module
from studio.audio.devices import (
    NO_DEVICE_USING_PRACTICE,
    PRACTICE_DEVICE_NAME,
    DeviceChoiceError,
    DeviceInfo,
    find_device,
    list_devices,
    scan_devices_fresh,
    scan_report_fresh,
    supported_samplerates,
)
from studio.audio.doctor import Finding, diagnose
from studio.audio.jack_server import JackServer
from studio.audio.realtime import GOT_NONE, RealtimeResult
from tests.conftest import MakeJackServer

ROOT = Path(__file__).resolve().parents[2]


def dev(
    index: int, name: str, ins: int, outs: int, hostapi: str = "ALSA", **flags: bool
) -> DeviceInfo:
    return DeviceInfo(index, name, hostapi, ins, outs, 48000.0, 0.005, 0.005, **flags)


DEVICES = [
    dev(0, "HDA Intel PCH: ALC295 Analog (hw:0,0)", 2, 2),
    dev(1, "Scarlett 2i2 USB: Audio (hw:1,0)", 2, 2),
    dev(2, "HDMI 0", 0, 8),
    dev(3, "USB Mic", 1, 0),
    dev(4, "pulse", 32, 32, default_input=True, default_output=True),
    dev(5, "pulse monitor", 2, 0),
]


def test_find_by_index_as_int_or_text() -> None:
    assert find_device(1, "duplex", DEVICES).name.startswith("Scarlett")
    assert find_device("3", "input", DEVICES).name == "USB Mic"
    assert find_device(" 2 ", "output", DEVICES).name == "HDMI 0"


def test_find_by_part_of_the_name_ignores_case() -> None:
    assert find_device("scarlett", "duplex", DEVICES).index == 1
    assert find_device("hdmi", "output", DEVICES).index == 2
    assert find_device("usb mic", "input", DEVICES).index == 3


def test_kind_filters_the_name_match() -> None:
    # "USB" is in two names, but only one of them can record and play.
    assert find_device("usb", "duplex", DEVICES).index == 1


def test_exact_name_wins_over_longer_names() -> None:
    assert find_device("Pulse", "input", DEVICES).index == 4


def test_ambiguous_name_lists_the_candidates() -> None:
    with pytest.raises(DeviceChoiceError) as caught:
        find_device("usb", "input", DEVICES)
    for lang in ("nb", "en"):
        text = caught.value.say(lang)
        assert "1: Scarlett 2i2 USB: Audio (hw:1,0) (ALSA)" in text
        assert "3: USB Mic (ALSA)" in text
        assert "HDMI" not in text
    assert "Flere lydenheter" in caught.value.say("nb")


def test_no_match_lists_what_exists() -> None:
    with pytest.raises(DeviceChoiceError) as caught:
        find_device("focusrite", "duplex", DEVICES)
    text = caught.value.say("en")
    assert "focusrite" in text
    assert all(device.name in text for device in DEVICES)
    with pytest.raises(DeviceChoiceError):
        find_device(99, "output", DEVICES)


def test_index_of_a_device_that_cannot_do_it() -> None:
    with pytest.raises(DeviceChoiceError) as caught:
        find_device(2, "input", DEVICES)
    text = caught.value.say("en")
    assert "HDMI 0" in text and "cannot record" in text
    assert "3: USB Mic" in text and "2:" not in text.split("These can")[1]
    assert "kan ikke ta opp" in caught.value.say("nb")
    with pytest.raises(DeviceChoiceError) as caught:
        find_device("hdmi", "input", DEVICES)
    assert "cannot record" in caught.value.say("en")


def test_none_means_the_default() -> None:
    assert find_device(None, "input", DEVICES).index == 4
    assert find_device(None, "duplex", DEVICES).index == 4
    assert find_device("", "output", DEVICES).index == 4
    no_flags = [dev(0, "HDMI 0", 0, 8), dev(1, "USB Mic", 1, 0)]
    assert find_device(None, "output", no_flags).index == 0
    assert find_device(None, "input", no_flags).index == 1
    with pytest.raises(DeviceChoiceError):
        find_device(None, "duplex", no_flags)
    with pytest.raises(DeviceChoiceError):
        find_device(None, "duplex", [])


def test_practice_device_words() -> None:
    assert PRACTICE_DEVICE_NAME
    assert "øvingslyd" in NO_DEVICE_USING_PRACTICE.say("nb")
    assert "practice" in NO_DEVICE_USING_PRACTICE.say("en")


def test_without_portaudio_nothing_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise OSError("PortAudio library not found")

    monkeypatch.setattr(devices_module, "_sounddevice", missing)
    assert list_devices() == []
    assert supported_samplerates(DEVICES[0]) == []
    assert devices_module.device_report().error is not None


def test_a_scan_that_hangs_gives_an_empty_list() -> None:
    report = scan_report_fresh(timeout=0.001)
    assert report.devices == [] and report.error is not None


def test_device_info_round_trips_through_json() -> None:
    data = json.loads(json.dumps(devices_module.DeviceReport("PA", ["ALSA"], DEVICES).to_json()))
    assert devices_module.DeviceReport.from_json(data).devices == DEVICES


@pytest.mark.jack
def test_fresh_scan_under_jack_finds_system(jack_server: JackServer) -> None:
    found = scan_devices_fresh(env=jack_server.env())
    system = find_device("system", "duplex", found)
    assert system.hostapi == "JACK Audio Connection Kit"
    assert (system.max_input_channels, system.max_output_channels) == (2, 2)
    assert system.default_samplerate == 48000
    assert find_device(None, "duplex", found) == system


@pytest.mark.jack
def test_main_prints_json(make_jack_server: MakeJackServer) -> None:
    server = make_jack_server(samplerate=44100)
    result = subprocess.run(
        [sys.executable, "-m", "studio.audio.devices", "--json", "--rates"],
        env=devices_module._child_env(server.env()),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data = json.loads(result.stdout)
    assert data["portaudio_version"].startswith("PortAudio")
    assert "JACK Audio Connection Kit" in data["hostapis"]
    system = next(item for item in data["devices"] if item["name"] == "system")
    assert system["samplerates"] == [44100]  # JACK runs at the server's rate only
    assert system["max_input_channels"] == 2


def test_main_prints_text() -> None:
    env = devices_module._child_env(None)
    env.pop("JACK_DEFAULT_SERVER", None)
    result = subprocess.run(
        [sys.executable, "-m", "studio.audio.devices"],
        env=env | {"STUDIO_LANG": "en"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.startswith("PortAudio:")


# -- the doctor -------------------------------------------------------------------------------


def _by_what(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.what.say("en"): finding for finding in findings}


def test_doctor_without_devices_says_the_practice_device_is_used(tmp_path: Path) -> None:
    report = devices_module.DeviceReport("PortAudio V19.6.0", ["ALSA", "OSS"], [])
    findings = diagnose(
        folder=tmp_path / "not-yet-made",
        report=report,
        realtime=RealtimeResult("none", 0, GOT_NONE, "EPERM"),
        min_free_bytes=0,
    )
    found = _by_what(findings)
    assert found["The PortAudio sound library"].ok
    assert "V19.6.0" in found["The PortAudio sound library"].detail
    assert found["Sound systems PortAudio can use"].detail == "ALSA, OSS"
    recording = found["Sound devices for recording"]
    assert not recording.ok and recording.fix is not None
    practice = NO_DEVICE_USING_PRACTICE
    assert recording.detail in (practice.say("nb"), practice.say("en"))
    realtime = found["Real-time priority for sound"]
    assert not realtime.ok and realtime.fix is not None
    assert found["Free disk space"].ok and "GiB free" in found["Free disk space"].detail
    assert found["The Python package numpy"].ok
    assert all(f.what.nb and f.what.en for f in findings)


def test_doctor_with_given_devices_and_no_portaudio(tmp_path: Path) -> None:
    report = devices_module.DeviceReport(None, error="PortAudio library not found")
    findings = _by_what(
        diagnose(
            DEVICES,
            folder=tmp_path,
            report=report,
            realtime=RealtimeResult("none", 0, GOT_NONE),
            min_free_bytes=2**62,
        )
    )
    portaudio = findings["The PortAudio sound library"]
    assert not portaudio.ok and portaudio.fix is not None
    assert "libportaudio2" in portaudio.fix.say("en")
    assert findings["Sound devices for playback"].ok
    assert "HDMI 0" in findings["Sound devices for playback"].detail
    assert not findings["Free disk space"].ok


@pytest.mark.jack
def test_doctor_sees_a_running_jack_server(jack_server: JackServer, tmp_path: Path) -> None:
    findings = _by_what(diagnose(folder=tmp_path, env=jack_server.env()))
    running = findings["A JACK sound server is running"]
    assert f"{jack_server.name}: running, 4 ports" == running.detail
    assert findings["The JACK sound server is installed"].ok
    assert "system (JACK Audio Connection Kit)" in findings["Sound devices for recording"].detail
    assert findings["Real-time priority for sound"].detail
