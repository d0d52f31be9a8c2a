"""Shared fixtures.

- ``make_jack_server(**kw)``: a factory starting private JACK servers (dummy driver), keyword
  arguments as :class:`studio.audio.jack_server.JackServer` (``period=64``, ``samplerate=…``,
  ``realtime=True``, ``capture=…``, ``playback=…``). Every server it made is stopped at the end
  of the test, whatever happened.
- ``jack_server``: one started server at 48000 Hz / 128 frames.

Both skip the test, with the reason, when jackd or libportaudio2 is missing. Mark such tests
``@pytest.mark.jack``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from studio.audio.devices import portaudio_library
from studio.audio.jack_server import JackServer, jack_missing_reason

MakeJackServer = Callable[..., JackServer]


def _skip_without_jack() -> None:
    reason = jack_missing_reason()
    if reason is None and portaudio_library() is None:
        reason = "libportaudio2 is not installed (apt install libportaudio2)"
    if reason is not None:
        pytest.skip(f"JACK test: {reason}")


@pytest.fixture
def make_jack_server() -> Iterator[MakeJackServer]:
    _skip_without_jack()
    servers: list[JackServer] = []

    def make(**kw: Any) -> JackServer:
        server = JackServer(**kw)
        servers.append(server)
        return server.start()

    yield make
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def jack_server(make_jack_server: MakeJackServer) -> JackServer:
    return make_jack_server()
