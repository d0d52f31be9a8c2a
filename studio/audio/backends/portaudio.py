"""The PortAudio backend (through sounddevice): real interfaces, JACK, PipeWire and PulseAudio.

With ``blocksize=0`` PortAudio uses the host's own period; measured on JACK this matches
``jack_iodelay`` to the frame, while an explicit block size adds a whole period of buffering.
"""

from __future__ import annotations

from typing import Any

import sounddevice as sd

from studio.audio.engine import Engine


class PortAudioDevice:
    name = "portaudio"

    def __init__(
        self,
        engine: Engine,
        samplerate: int,
        blocksize: int,
        device: tuple[int | None, int | None],
        input_channels: int,
        output_channels: int,
    ) -> None:
        self.engine = engine
        process = engine.process_rt

        def callback(indata: Any, outdata: Any, frames: int, when: Any, status: Any) -> None:
            process(
                indata if input_channels else None,
                outdata,
                frames,
                when.inputBufferAdcTime,
                bool(status),
            )

        self.stream = sd.Stream(
            samplerate=samplerate,
            blocksize=blocksize,
            device=device,
            channels=(input_channels, output_channels),
            dtype="float32",
            latency="low",
            callback=callback,
            prime_output_buffers_using_stream_callback=False,
        )
        self.latency: tuple[float, float] = tuple(self.stream.latency)  # type: ignore[assignment]

    def start(self) -> None:
        self.stream.start()

    def stop(self) -> None:
        self.stream.abort()
        self.stream.close()

    @property
    def active(self) -> bool:
        return bool(self.stream.active)
