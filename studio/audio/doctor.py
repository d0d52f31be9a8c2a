"""Check the machine for what the studio's sound needs. Pure data out; the CLI prints it.

Nothing here changes the calling process: PortAudio and real-time scheduling are tried in child
processes (see :func:`studio.audio.devices.scan_report_fresh` and
:func:`studio.audio.realtime.probe_realtime`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from studio.audio.devices import (
    NO_DEVICE_USING_PRACTICE,
    DeviceInfo,
    DeviceReport,
    portaudio_library,
    scan_report_fresh,
)
from studio.audio.realtime import HOW_TO_ALLOW, RealtimeResult, probe_realtime
from studio.core.i18n import Words

__all__ = ["PACKAGES", "Finding", "diagnose"]

#: Python packages whose versions the doctor reports.
PACKAGES: tuple[str, ...] = ("sounddevice", "soundfile", "pedalboard", "numpy")

#: Free space below this is reported as a problem (a song's takes are a few hundred MB).
DEFAULT_MIN_FREE_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Finding:
    """One check: did it pass, what was checked, what was found, and how to fix it."""

    ok: bool
    what: Words
    detail: str
    fix: Words | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready) with the words in both languages."""
        return {
            "ok": self.ok,
            "what": {"nb": self.what.nb, "en": self.what.en},
            "detail": self.detail,
            "fix": None if self.fix is None else {"nb": self.fix.nb, "en": self.fix.en},
        }


W_PORTAUDIO = Words(nb="Lydbiblioteket PortAudio", en="The PortAudio sound library")
FIX_PORTAUDIO = Words(
    nb="Installer pakken «libportaudio2» (sudo apt install libportaudio2).",
    en="Install the package “libportaudio2” (sudo apt install libportaudio2).",
)
W_HOSTAPIS = Words(nb="Lydsystemer PortAudio kan bruke", en="Sound systems PortAudio can use")
W_INPUTS = Words(nb="Lydenheter for opptak", en="Sound devices for recording")
W_OUTPUTS = Words(nb="Lydenheter for avspilling", en="Sound devices for playback")
FIX_NO_DEVICE = Words(
    nb="Koble til lydkortet (USB) og sjekk igjen. Til da brukes øvingslyden.",
    en="Plug in the sound card (USB) and check again. Until then the practice sound is used.",
)
W_JACKD = Words(nb="Lydserveren JACK er installert", en="The JACK sound server is installed")
FIX_JACKD = Words(
    nb="Trengs bare for JACK og for testene: sudo apt install jackd2.",
    en="Only needed for JACK and for the tests: sudo apt install jackd2.",
)
W_JACK_RUNNING = Words(nb="En JACK-lydserver kjører", en="A JACK sound server is running")
W_REALTIME = Words(nb="Sanntidsprioritet for lyden", en="Real-time priority for sound")
W_DISK = Words(nb="Ledig plass på disken", en="Free disk space")
FIX_DISK = Words(
    nb="Slett eller flytt gamle filer, eller velg en annen mappe for studioet.",
    en="Delete or move old files, or choose another folder for the studio.",
)
W_PACKAGE = Words(nb="Python-pakken {name}", en="The Python package {name}")
FIX_PACKAGE = Words(
    nb="Installer studioet på nytt (pip install -e .), så kommer pakkene med.",
    en="Install the studio again (pip install -e .) to get the packages.",
)


def _devices_findings(devices: Sequence[DeviceInfo]) -> list[Finding]:
    findings = []
    for what, found in (
        (W_INPUTS, [d for d in devices if d.max_input_channels > 0]),
        (W_OUTPUTS, [d for d in devices if d.max_output_channels > 0]),
    ):
        if found:
            findings.append(Finding(True, what, "; ".join(d.label() for d in found)))
        else:
            findings.append(Finding(False, what, NO_DEVICE_USING_PRACTICE.say(), FIX_NO_DEVICE))
    return findings


def _portaudio_findings(report: DeviceReport) -> list[Finding]:
    library = portaudio_library()
    if report.portaudio_version:
        detail = f"{report.portaudio_version} ({library or 'bundled'})"
        return [
            Finding(True, W_PORTAUDIO, detail),
            Finding(bool(report.hostapis), W_HOSTAPIS, ", ".join(report.hostapis) or "-"),
        ]
    detail = report.error or "not found"
    return [Finding(False, W_PORTAUDIO, detail, FIX_PORTAUDIO)]


def _jack_findings(env: Mapping[str, str] | None) -> list[Finding]:
    jackd = shutil.which("jackd")
    if jackd is None:
        installed = Finding(False, W_JACKD, "jackd not found", FIX_JACKD)
    else:
        try:
            version = subprocess.run(
                [jackd, "--version"], capture_output=True, text=True, timeout=5
            ).stdout.strip().splitlines()
            installed = Finding(True, W_JACKD, (version or [jackd])[0])
        except (OSError, subprocess.SubprocessError) as error:
            installed = Finding(False, W_JACKD, str(error), FIX_JACKD)
    child_env = dict(os.environ if env is None else env)
    child_env["JACK_NO_START_SERVER"] = "1"
    server = child_env.get("JACK_DEFAULT_SERVER", "default")
    lsp = shutil.which("jack_lsp")
    # Not having a JACK server running is normal; the finding only informs.
    if lsp is None:
        running = Finding(True, W_JACK_RUNNING, "jack_lsp not found; not checked")
    else:
        try:
            answer = subprocess.run(
                [lsp, "-s", server],
                env=child_env,
                capture_output=True,
                text=True,
                timeout=5,
                stdin=subprocess.DEVNULL,
            )
            ports = len(answer.stdout.split())
            text = (
                f"{server}: running, {ports} ports"
                if answer.returncode == 0
                else f"{server}: not running"
            )
        except (OSError, subprocess.SubprocessError) as error:
            text = f"{server}: {error}"
        running = Finding(True, W_JACK_RUNNING, text)
    return [installed, running]


def _realtime_finding(result: RealtimeResult) -> Finding:
    detail = result.say()
    if result.detail:
        detail += f" ({result.detail})"
    return Finding(result.realtime, W_REALTIME, detail, None if result.realtime else HOW_TO_ALLOW)


def _disk_finding(folder: Path, min_free_bytes: int) -> Finding:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError as error:
        return Finding(False, W_DISK, f"{folder}: {error}", FIX_DISK)
    gib = usage.free / 1024**3
    detail = f"{folder}: {gib:.1f} GiB free of {usage.total / 1024**3:.1f} GiB"
    ok = usage.free >= min_free_bytes
    return Finding(ok, W_DISK, detail, None if ok else FIX_DISK)


def _package_findings(packages: Sequence[str]) -> list[Finding]:
    findings = []
    for name in packages:
        what = Words(nb=W_PACKAGE.nb.format(name=name), en=W_PACKAGE.en.format(name=name))
        try:
            findings.append(Finding(True, what, metadata.version(name)))
        except metadata.PackageNotFoundError:
            findings.append(Finding(False, what, "not installed", FIX_PACKAGE))
    return findings


def diagnose(
    devices: list[DeviceInfo] | None = None,
    *,
    folder: Path | str | None = None,
    min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
    report: DeviceReport | None = None,
    realtime: RealtimeResult | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Check PortAudio, devices, JACK, real-time, disk space in ``folder`` and package versions.

    ``report`` (PortAudio's view) and ``realtime`` default to fresh checks in child processes
    with ``env``; ``devices`` defaults to the report's devices. ``folder`` defaults to the
    current folder.
    """
    if report is None:
        report = scan_report_fresh(env)
    if devices is None:
        devices = report.devices
    findings = _portaudio_findings(report)
    findings += _devices_findings(devices)
    findings += _jack_findings(env)
    if realtime is None:
        realtime = probe_realtime(env=env)
    findings.append(_realtime_finding(realtime))
    findings.append(_disk_finding(Path.cwd() if folder is None else Path(folder), min_free_bytes))
    findings += _package_findings(PACKAGES)
    return findings
