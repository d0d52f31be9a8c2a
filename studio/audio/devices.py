"""Sound devices: what PortAudio sees, fresh scans, and choosing one.

PortAudio reads the device list once per process (when ``sounddevice`` is imported) and never
again, so a device plugged in later, or a JACK server started later, is invisible to a process
that already looked. :func:`scan_devices_fresh` therefore asks a new Python process
(``python -m studio.audio.devices --json``). Importing ``sounddevice`` also opens a JACK client
when a JACK server runs, so processes that do no audio (the UI) should use the fresh scan too.

Run ``python -m studio.audio.devices [--json]`` to see the list.
"""

from __future__ import annotations

import argparse
import ctypes.util
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from studio.core.i18n import StudioError, Words

__all__ = [
    "NO_DEVICE_USING_PRACTICE",
    "PRACTICE_DEVICE_NAME",
    "SAMPLERATES",
    "DeviceChoiceError",
    "DeviceInfo",
    "DeviceKind",
    "DeviceReport",
    "device_report",
    "find_device",
    "list_devices",
    "portaudio_library",
    "scan_devices_fresh",
    "scan_report_fresh",
    "supported_samplerates",
]

log = logging.getLogger(__name__)

DeviceKind = Literal["input", "output", "duplex"]

#: The built-in device that plays a test signal as its input, used when no sound device exists.
PRACTICE_DEVICE_NAME = "Øvingslyd (innebygd)"

SAMPLERATES: tuple[int, ...] = (44100, 48000, 88200, 96000)

NO_DEVICE_USING_PRACTICE = Words(
    nb="Fant ingen lydenhet. Studioet bruker den innebygde øvingslyden, så du kan prøve alt, "
    "men ingenting blir tatt opp fra en mikrofon.",
    en="No sound device was found. The studio uses its built-in practice sound, so you can try "
    "everything, but nothing is recorded from a microphone.",
)
NO_DEVICES_AT_ALL = Words(
    nb="Fant ingen lydenheter.",
    en="No sound devices were found.",
)
NO_MATCH = Words(
    nb="Ingen lydenhet passer til «{spec}». Disse finnes: {choices}",
    en="No sound device matches “{spec}”. These exist: {choices}",
)
SEVERAL_MATCH = Words(
    nb="Flere lydenheter passer til «{spec}»: {choices}. Skriv mer av navnet, eller bruk nummeret.",
    en="Several sound devices match “{spec}”: {choices}. Type more of the name, or use the number.",
)
WRONG_KIND: dict[str, Words] = {
    "input": Words(
        nb="Lydenhet {index} ({name}) kan ikke ta opp. Disse kan: {choices}",
        en="Sound device {index} ({name}) cannot record. These can: {choices}",
    ),
    "output": Words(
        nb="Lydenhet {index} ({name}) kan ikke spille av. Disse kan: {choices}",
        en="Sound device {index} ({name}) cannot play sound. These can: {choices}",
    ),
    "duplex": Words(
        nb="Lydenhet {index} ({name}) kan ikke både ta opp og spille av. Disse kan: {choices}",
        en="Sound device {index} ({name}) cannot both record and play. These can: {choices}",
    ),
}
NO_DEFAULT: dict[str, Words] = {
    "input": Words(
        nb="Ingen lydenhet kan ta opp. Disse finnes: {choices}",
        en="No sound device can record. These exist: {choices}",
    ),
    "output": Words(
        nb="Ingen lydenhet kan spille av. Disse finnes: {choices}",
        en="No sound device can play sound. These exist: {choices}",
    ),
    "duplex": Words(
        nb="Ingen lydenhet kan både ta opp og spille av. Disse finnes: {choices}",
        en="No sound device can both record and play. These exist: {choices}",
    ),
}


class DeviceChoiceError(StudioError):
    """No device, or more than one, matches what was asked for."""


@dataclass(frozen=True)
class DeviceInfo:
    """One PortAudio device. ``index`` is only valid in the process that listed it."""

    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    default_low_input_latency: float
    default_low_output_latency: float
    default_input: bool = False
    default_output: bool = False

    def suits(self, kind: DeviceKind) -> bool:
        ins, outs = self.max_input_channels > 0, self.max_output_channels > 0
        return {"input": ins, "output": outs, "duplex": ins and outs}[kind]

    def label(self) -> str:
        return f"{self.index}: {self.name} ({self.hostapi})"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceInfo:
        return cls(
            index=int(data["index"]),
            name=str(data["name"]),
            hostapi=str(data["hostapi"]),
            max_input_channels=int(data["max_input_channels"]),
            max_output_channels=int(data["max_output_channels"]),
            default_samplerate=float(data["default_samplerate"]),
            default_low_input_latency=float(data["default_low_input_latency"]),
            default_low_output_latency=float(data["default_low_output_latency"]),
            default_input=bool(data.get("default_input", False)),
            default_output=bool(data.get("default_output", False)),
        )


@dataclass(frozen=True)
class DeviceReport:
    """What one process's PortAudio saw: library version, host APIs and devices."""

    portaudio_version: str | None
    hostapis: list[str] = field(default_factory=list)
    devices: list[DeviceInfo] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeviceReport:
        return cls(
            portaudio_version=data.get("portaudio_version"),
            hostapis=[str(name) for name in data.get("hostapis", [])],
            devices=[DeviceInfo.from_dict(item) for item in data.get("devices", [])],
            error=data.get("error"),
        )


def portaudio_library() -> str | None:
    """The PortAudio shared library's name if the system has one (without loading it)."""
    return ctypes.util.find_library("portaudio")


def _sounddevice() -> ModuleType:
    """Import sounddevice (this initialises PortAudio in this process; raises if missing)."""
    import sounddevice

    module: ModuleType = sounddevice
    return module


def device_report() -> DeviceReport:
    """PortAudio's view from this process. Never raises."""
    try:
        sd = _sounddevice()
    except (ImportError, OSError) as error:
        return DeviceReport(portaudio_version=None, error=f"PortAudio: {error}")
    try:
        version = str(sd.get_portaudio_version()[1])
        hostapis = [str(api["name"]) for api in sd.query_hostapis()]
        default_in, default_out = (int(i) for i in sd.default.device)
        try:
            default_in = int(sd.query_devices(kind="input")["index"])
        except Exception:
            pass
        try:
            default_out = int(sd.query_devices(kind="output")["index"])
        except Exception:
            pass
        devices = [
            DeviceInfo(
                index=int(dev["index"]),
                name=str(dev["name"]),
                hostapi=hostapis[int(dev["hostapi"])],
                max_input_channels=int(dev["max_input_channels"]),
                max_output_channels=int(dev["max_output_channels"]),
                default_samplerate=float(dev["default_samplerate"]),
                default_low_input_latency=float(dev["default_low_input_latency"]),
                default_low_output_latency=float(dev["default_low_output_latency"]),
                default_input=int(dev["index"]) == default_in,
                default_output=int(dev["index"]) == default_out,
            )
            for dev in sd.query_devices()
        ]
    except Exception as error:  # a broken PortAudio must never take the studio down
        return DeviceReport(portaudio_version=None, error=f"PortAudio: {error}")
    return DeviceReport(portaudio_version=version, hostapis=hostapis, devices=devices)


def list_devices() -> list[DeviceInfo]:
    """The devices PortAudio sees in this process; ``[]`` if PortAudio is missing. Never raises."""
    return device_report().devices


def _child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """``env`` (default: ours) with this project on PYTHONPATH, so ``-m studio...`` works."""
    child = dict(os.environ if env is None else env)
    root = str(Path(__file__).resolve().parents[2])
    paths = [p for p in child.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        child["PYTHONPATH"] = os.pathsep.join([root, *paths])
    return child


def scan_report_fresh(env: Mapping[str, str] | None = None, timeout: float = 10) -> DeviceReport:
    """Ask a new Python process what PortAudio sees now. Never raises.

    ``env`` is the child's whole environment (e.g. ``JackServer.env()``).
    """
    try:
        result = subprocess.run(
            [sys.executable, "-m", "studio.audio.devices", "--json"],
            env=_child_env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        log.warning("device scan took more than %s s", timeout)
        return DeviceReport(portaudio_version=None, error=f"device scan timed out ({timeout} s)")
    except OSError as error:
        return DeviceReport(portaudio_version=None, error=f"device scan failed: {error}")
    try:
        return DeviceReport.from_json(json.loads(result.stdout))
    except (ValueError, KeyError, TypeError) as error:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        log.warning("device scan failed (%s): %s", result.returncode, tail)
        return DeviceReport(portaudio_version=None, error=f"device scan failed: {error}: {tail}")


def scan_devices_fresh(
    env: Mapping[str, str] | None = None, timeout: float = 10
) -> list[DeviceInfo]:
    """The devices a new process sees (hot-plugged devices and new servers appear). Never raises."""
    return scan_report_fresh(env, timeout).devices


def _choices(devices: Sequence[DeviceInfo]) -> str:
    return "; ".join(device.label() for device in devices) or "-"


def find_device(
    spec: str | int | None, kind: DeviceKind, devices: Sequence[DeviceInfo]
) -> DeviceInfo:
    """Pick a device: by index, by a case-insensitive part of its name, or the default (None).

    A name part is matched against ``"name, hostapi"``; when several contain it but exactly one
    is named exactly that, that one wins. Raises :class:`DeviceChoiceError` (plain words listing
    what exists) when nothing, or more than one device, matches.
    """
    if not devices:
        raise DeviceChoiceError(NO_DEVICES_AT_ALL)
    suitable = [device for device in devices if device.suits(kind)]

    def wrong_kind(device: DeviceInfo) -> DeviceChoiceError:
        return DeviceChoiceError(
            WRONG_KIND[kind], index=device.index, name=device.name, choices=_choices(suitable)
        )

    if spec is None or (isinstance(spec, str) and not spec.strip()):
        if kind == "input":
            preferred = [d for d in suitable if d.default_input]
        elif kind == "output":
            preferred = [d for d in suitable if d.default_output]
        else:
            preferred = [d for d in suitable if d.default_output] + [
                d for d in suitable if d.default_input
            ]
        if preferred:
            return preferred[0]
        if suitable:
            return suitable[0]
        raise DeviceChoiceError(NO_DEFAULT[kind], choices=_choices(devices))

    if isinstance(spec, int) or spec.strip().isdigit():
        index = int(spec)
        for device in devices:
            if device.index == index:
                if not device.suits(kind):
                    raise wrong_kind(device)
                return device
        raise DeviceChoiceError(NO_MATCH, spec=spec, choices=_choices(devices))

    wanted = spec.strip().casefold()
    named = [d for d in devices if wanted in f"{d.name}, {d.hostapi}".casefold()]
    matches = [d for d in named if d.suits(kind)]
    if len(matches) > 1:
        exact = [d for d in matches if d.name.strip().casefold() == wanted]
        if len(exact) == 1:
            return exact[0]
        raise DeviceChoiceError(SEVERAL_MATCH, spec=spec, choices=_choices(matches))
    if matches:
        return matches[0]
    if named:
        raise wrong_kind(named[0])
    raise DeviceChoiceError(NO_MATCH, spec=spec, choices=_choices(devices))


def supported_samplerates(
    device: DeviceInfo, rates: Sequence[int] = SAMPLERATES
) -> list[int]:
    """The rates of ``rates`` the device accepts for all the directions it has.

    Checks in this process (``device.index`` must come from this process's list); ``[]`` when
    PortAudio is missing. Never raises.
    """
    try:
        sd = _sounddevice()
    except (ImportError, OSError):
        return []
    accepted: list[int] = []
    for rate in rates:
        try:
            if device.max_input_channels > 0:
                sd.check_input_settings(
                    device=device.index,
                    channels=min(2, device.max_input_channels),
                    samplerate=rate,
                )
            if device.max_output_channels > 0:
                sd.check_output_settings(
                    device=device.index,
                    channels=min(2, device.max_output_channels),
                    samplerate=rate,
                )
        except Exception:
            continue
        accepted.append(rate)
    return accepted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m studio.audio.devices", description="List the sound devices PortAudio sees."
    )
    parser.add_argument("--json", action="store_true", help="print JSON for a machine")
    parser.add_argument("--rates", action="store_true", help="also check the sample rates")
    args = parser.parse_args(argv)
    report = device_report()
    if args.json:
        data = report.to_json()
        if args.rates:
            for item, device in zip(data["devices"], report.devices, strict=True):
                item["samplerates"] = supported_samplerates(device)
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print(f"PortAudio: {report.portaudio_version or report.error or '-'}")
    print(f"Host APIs: {', '.join(report.hostapis) or '-'}")
    if not report.devices:
        print(NO_DEVICE_USING_PRACTICE.say())
    for device in report.devices:
        marks = ("<" if device.default_input else " ") + (">" if device.default_output else " ")
        rates = ""
        if args.rates:
            rates = "  " + ", ".join(str(r) for r in supported_samplerates(device))
        print(f"{marks} {device.label()}{rates}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
