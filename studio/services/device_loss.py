"""After the audio device stopped answering: a fresh engine host on the same device if it is
still there, else on the practice device, so the studio keeps working. Shared by recording and
the console."""

from __future__ import annotations

from studio.audio.devices import DeviceInfo
from studio.core.i18n import StudioError, Words
from studio.services.studio import Studio
from studio.services.supervisor import Supervisor

ENGINE_RESTARTED = Words(
    nb="Lydmotoren er startet på nytt med {device}.",
    en="The audio engine has been restarted with {device}.",
)
PRACTICE_WORDS = Words(nb="øvingsenheten", en="the practice device")


def restart_after_loss(studio: Studio, sup: Supervisor, lost: DeviceInfo | None,
                       env: dict[str, str] | None) -> tuple[DeviceInfo | None, str]:
    """Restart the engine host; returns the device it now runs on (None: the practice device)
    and what to tell the user."""
    device: DeviceInfo | None = None
    if lost is not None:
        try:
            device = studio.pick_device(lost.name, env)  # a fresh scan: hot-plug included
        except StudioError:
            device = None
    settings = sup.settings
    settings.backend = "portaudio" if device else "practice"
    settings.input_device = settings.output_device = device.index if device else None
    if device is not None:
        settings.input_channels = min(device.max_input_channels, 32)
        settings.output_channels = min(device.max_output_channels, 2)
    settings.monitor_presets = {}
    sup.restart_engine(settings)
    return device, ENGINE_RESTARTED.say(device=device.name if device else PRACTICE_WORDS.say())
