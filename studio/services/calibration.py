"""Loopback calibration: play a click, record it back through a cable or a JACK connection,
and measure how many frames the round trip takes. The result is stored per device, sample
rate and buffer size, and every later take on that device is shifted by it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from studio.audio.click import Metronome
from studio.audio.protocol import ClickMode, Cmd
from studio.core.i18n import StudioError, Words
from studio.services.studio import Studio, device_key
from studio.services.supervisor import EngineSettings, Supervisor

CALIBRATION_TEMPO = 120.0
NEEDS_A_DEVICE = Words(
    nb="Kalibrering trenger et ekte lydkort (eller JACK). Øvingsenheten har ingen forsinkelse "
       "å måle.",
    en="Calibration needs a real sound card (or JACK). The practice device has no delay to "
       "measure.",
)
HEARD_NOTHING = Words(
    nb="Hørte ikke klikket komme tilbake. Koble en kabel fra utgang 1 til inngang 1 (eller "
       "en JACK-forbindelse), skru ned høyttalerne, og prøv igjen.",
    en="Did not hear the click come back. Connect a cable from output 1 to input 1 (or a JACK "
       "connection), turn the speakers down, and try again.",
)
UNSURE = Words(
    nb="Målingene var ikke enige ({values}). Sjekk kabelen og at ingen andre lyder kommer inn, "
       "og prøv igjen.",
    en="The measurements did not agree ({values}). Check the cable and that no other sound "
       "gets in, and try again.",
)


@dataclass(frozen=True)
class CalibrationResult:
    device: str
    device_key: str
    samplerate: int
    blocksize: int
    roundtrip_frames: int
    reported_frames: int  # what the driver claims (input + output latency)
    clicks_measured: int

    @property
    def roundtrip_ms(self) -> float:
        return self.roundtrip_frames * 1000.0 / self.samplerate


def connect_jack_loopback(env: dict[str, str] | None) -> None:
    """Wire the engine's first output to its first input inside JACK (no cable needed)."""
    tool = shutil.which("jack_connect")
    disconnect = shutil.which("jack_disconnect")
    lsp = shutil.which("jack_lsp")
    if tool is None or lsp is None or disconnect is None:
        raise StudioError(HEARD_NOTHING)
    deadline = time.monotonic() + 10
    while True:
        ports = subprocess.run([lsp, "-c"], env=env, capture_output=True, text=True).stdout
        if "PortAudio:out_0" in ports or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    current = None
    for line in ports.splitlines():
        if not line.startswith(" "):
            current = line.strip()
        elif current == "PortAudio:in_0":
            subprocess.run([disconnect, line.strip(), current], env=env, capture_output=True)
    subprocess.run([tool, "PortAudio:out_0", "PortAudio:in_0"], env=env, check=True,
                   capture_output=True)


def measure_roundtrip(recorded: np.ndarray, samplerate: int, start_frame: int,
                      fpb: float) -> list[int]:
    """For each click the engine played, how many frames later it came back in the recording.

    ``recorded[i]`` was captured while song frame ``start_frame + i`` was being played."""
    clicks: list[int] = []
    metronome = Metronome(samplerate, 1, fpb, 4, 0.5)
    reference = np.zeros((len(recorded), 1), dtype=np.float32)
    metronome.mix_rt(reference, start_frame, len(recorded))
    window = int(fpb * 0.9)
    max_lag = min(window, samplerate // 2)
    first_beat = int(np.ceil(start_frame / fpb))
    beat = first_beat
    while True:
        onset = round(beat * fpb) - start_frame
        beat += 1
        if onset < 0:
            continue
        if onset + window + max_lag > len(recorded):
            break
        ref = reference[onset : onset + metronome.click_frames, 0]
        seg = recorded[onset : onset + metronome.click_frames + max_lag]
        if float(np.abs(seg).max()) < 0.01:
            continue
        corr = np.correlate(seg, ref, mode="valid")
        lag = int(np.argmax(corr))
        energy = float(np.sqrt(np.sum(ref**2) * np.sum(seg[lag : lag + len(ref)] ** 2)))
        if energy > 0 and corr[lag] / energy > 0.9:  # the same shape came back
            clicks.append(lag)
    return clicks


def calibrate(
    studio: Studio,
    device_spec: str | None,
    *,
    samplerate: int = 48000,
    blocksize: int = 0,
    seconds: float = 3.0,
    env: dict[str, str] | None = None,
    jack_loopback: bool = False,
    after_start: Callable[[], None] | None = None,
    realtime: bool = True,
) -> CalibrationResult:
    device = studio.pick_device(device_spec, env)
    if device is None:
        raise StudioError(NEEDS_A_DEVICE)
    studio.check_rate(device, samplerate)
    fpb = samplerate * 60.0 / CALIBRATION_TEMPO
    settings = EngineSettings(
        backend="portaudio", samplerate=samplerate, blocksize=blocksize,
        input_device=device.index, output_device=device.index,
        input_channels=min(device.max_input_channels, 32),
        output_channels=min(device.max_output_channels, 2),
        frames_per_beat=fpb, beats_per_bar=4, realtime=realtime, env=env)
    folder = Path(tempfile.mkdtemp(prefix="calibration-", dir=studio.paths.run_dir))
    path = folder / "loopback.wav"
    sup = Supervisor(settings, studio.paths.run_dir, folder)
    sup.start()
    try:
        if jack_loopback:
            connect_jack_loopback(env)
        if after_start is not None:
            after_start()
        sup.disk({"op": "reserve", "slot": 0, "take_id": 0, "path": str(path), "channels": 1})
        sup.wait_disk("reserved", timeout=10.0, take_id=0)
        start = 0
        end = round(seconds * samplerate)
        sup.command(Cmd.SET_TEMPO, 4, x=fpb)
        sup.command(Cmd.CLICK, int(ClickMode.ALWAYS), x=0.5)
        sup.command(Cmd.ARM, 0, 1, 0, -1)
        sup.command(Cmd.RECORD, 1, start, end)
        epoch = sup.next_epoch()
        sup.command(Cmd.PLAY, epoch, start - round(fpb / 2), 0, 0)
        sup.wait_disk("take_finished", timeout=seconds + 30.0, take_id=0)
        sup.command(Cmd.STOP)
        reported = round((sup.latency[0] + sup.latency[1]) * samplerate)
        recorded, _ = sf.read(path, dtype="float32")
    finally:
        sup.stop()
        shutil.rmtree(folder, ignore_errors=True)
    clicks = measure_roundtrip(recorded, samplerate, start, fpb)
    if not clicks:
        raise StudioError(HEARD_NOTHING)
    if max(clicks) - min(clicks) > 1:
        raise StudioError(UNSURE, values=", ".join(map(str, clicks)))
    roundtrip = int(np.median(clicks))
    key = device_key(device)
    studio.catalog.set_calibration(key, samplerate, blocksize, roundtrip)
    return CalibrationResult(device.name, key, samplerate, blocksize, roundtrip, reported,
                             len(clicks))
