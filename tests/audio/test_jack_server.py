"""The private JACK server used by tests and benchmarks, and PortAudio on top of it."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from studio.audio.jack_server import (
    JackError,
    JackServer,
    _registered_servers,
    count_xruns,
    parse_iodelay,
)
from tests.conftest import MakeJackServer

ROOT = Path(__file__).resolve().parents[2]


def _poll(check: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _shm_leftovers(name: str) -> list[str]:
    return [p.name for p in Path("/dev/shm").iterdir() if f"_{name}_" in p.name]


def _registered_names() -> list[str]:
    """Names in JACK's server table (8 places for the machine; a killed jackd keeps its place)."""
    return [name for _pid, name in _registered_servers()]


def _readline(proc: subprocess.Popen[str], timeout: float = 20.0) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            proc.kill()
            raise AssertionError(f"no output from child; stderr: {proc.communicate()[1]}")
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"child ended early; stderr: {proc.communicate()[1]}")
    return line


# -- log parsing (no server needed) ----------------------------------------------------------

JACKD_LOG = """\
jackdmp 1.9.21
JACK server starting in non-realtime mode
self-connect-mode is "Don't restrict self connect requests"
JackTimedDriver::Process XRun = 62 usec
JackEngine::XRun: client = jack_thru was not finished, state = Triggered
JackAudioDriver::ProcessGraphAsyncMaster: Process error
JackEngine::XRun: client = jack_thru was not finished, state = Triggered
JackAudioDriver::ProcessGraphAsyncMaster: Process error
JackAudioDriver::ProcessGraphAsyncMaster: Process error
Tue Nov 15 20:02:20 2016: ERROR: JackEngine::XRun: client = Calf Reverb was not finished
Tue Nov 15 20:02:20 2016: ERROR: JackAudioDriver::ProcessGraphAsyncMaster: Process error
Jack main caught signal 15
"""


def test_count_xruns_reads_what_jackd_prints() -> None:
    report = count_xruns(JACKD_LOG)
    assert report.driver_late == 1
    assert report.graph_late == 4
    assert report.late_clients == {"jack_thru": 2, "Calf Reverb": 1}
    assert report.total == 5
    assert count_xruns("JACK server starting in non-realtime mode\n").total == 0


IODELAY_OUTPUT = (
    "new capture latency: [0, 0]\r\n"
    "new playback latency: [0, 0]\r\n"
    "Signal below threshold...\r\n"
    "     0.000 frames      0.000 ms total roundtrip latency\r\n"
    "\textra loopback latency: 0 frames\r\n"
    "\tuse 0 for the backend arguments -I and -O ?? Inv\r\n"
    "   130.200 frames      2.712 ms total roundtrip latency\r\n"
    "\textra loopback latency: 129 frames\r\n"
    "\tuse 64 for the backend arguments -I and -O ??\r\n"
    "   128.000 frames      2.667 ms total roundtrip latency\r\n"
    "\textra loopback latency: 128 frames\r\n"
    "\tuse 64 for the backend arguments -I and -O\r\n"
)


def test_parse_iodelay_keeps_only_valid_measurements() -> None:
    assert parse_iodelay(IODELAY_OUTPUT) == [128]
    assert parse_iodelay("Signal below threshold...\n") == []


def test_missing_jackd_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    server = JackServer()
    with pytest.raises(JackError) as caught:
        server.start()
    assert "jackd2" in caught.value.say("en")
    assert "jackd2" in caught.value.say("nb")


# -- a real server ----------------------------------------------------------------------------


@pytest.mark.jack
def test_start_lists_ports_and_stop_ends_it(jack_server: JackServer) -> None:
    assert jack_server.running()
    assert jack_server.name.startswith(f"studio-{os.getpid()}-")
    assert jack_server.ports() == [
        "system:capture_1",
        "system:capture_2",
        "system:playback_1",
        "system:playback_2",
    ]
    env = jack_server.env()
    assert env["JACK_DEFAULT_SERVER"] == jack_server.name
    assert env["JACK_NO_START_SERVER"] == "1"
    assert "JACK_DEFAULT_SERVER" not in os.environ or os.environ["JACK_DEFAULT_SERVER"] != (
        jack_server.name
    )
    pid = jack_server.pid
    jack_server.stop()
    assert not jack_server.running()
    assert not _alive(pid)
    assert _shm_leftovers(jack_server.name) == []
    assert jack_server.name not in _registered_names()
    assert "starting" in jack_server.log_text()  # the log outlives the server
    with pytest.raises(JackError):
        jack_server.ports()


@pytest.mark.jack
def test_channel_counts_and_rate(make_jack_server: MakeJackServer) -> None:
    server = make_jack_server(samplerate=44100, period=256, capture=1, playback=4)
    assert server.ports("capture") == ["system:capture_1"]
    assert len(server.ports("playback")) == 4
    assert "-r 44100" in " ".join(server.command())


@pytest.mark.jack
def test_realtime_server_where_allowed(make_jack_server: MakeJackServer) -> None:
    from studio.audio.realtime import probe_realtime

    if not probe_realtime().realtime:
        pytest.skip("real-time scheduling is not allowed here")
    server = make_jack_server(realtime=True)
    assert "-R" in server.command()
    assert "starting in realtime mode" in server.log_text()


@pytest.mark.jack
def test_jackd_failing_to_start_says_why() -> None:
    server = JackServer(extra_args=["--no-such-option"])
    with pytest.raises(JackError) as caught:
        server.start()
    text = caught.value.say("en")
    assert server.name in text
    tail = server.log_tail().strip()
    assert tail
    assert tail in text  # the end of jackd's own output is in the message
    assert not server.running()


@pytest.mark.jack
def test_kill_by_pid_really_ends_it(jack_server: JackServer) -> None:
    pid = jack_server.pid
    assert _alive(pid)
    assert jack_server.name in _registered_names()
    jack_server.kill()
    assert not _alive(pid)
    assert not jack_server.running()
    with pytest.raises(JackError):
        jack_server.ports()
    # What the dead server held stays until stop(), which reclaims it.
    assert jack_server.name in _registered_names()
    jack_server.stop()
    assert jack_server.name not in _registered_names()
    assert _shm_leftovers(jack_server.name) == []


@pytest.mark.jack
def test_connect_disconnect_and_wait_for_port(jack_server: JackServer) -> None:
    assert jack_server.connections() == []
    jack_server.connect("system:capture_1", "system:playback_2")
    assert jack_server.connections() == [("system:capture_1", "system:playback_2")]
    jack_server.disconnect("system:capture_1", "system:playback_2")
    assert jack_server.connections() == []
    with pytest.raises(JackError):
        jack_server.connect("system:capture_1", "nobody:here")
    with pytest.raises(JackError) as caught:
        jack_server.wait_for_port("nobody:here", timeout=0.1)
    assert "system:capture_1" in caught.value.say("en")


@pytest.mark.jack
def test_client_and_xruns_of_a_stuck_client(jack_server: JackServer) -> None:
    thru = jack_server.start_client(["jack_thru"])
    jack_server.wait_for_port("jack_thru:input_1")
    jack_server.wait_for_port("jack_thru:output_2")
    # jack_thru connects itself to the system ports
    assert ("system:capture_1", "jack_thru:input_1") in jack_server.connections()

    os.kill(thru.pid, signal.SIGSTOP)  # the real fault: a client that stops answering
    try:
        _poll(lambda: jack_server.xrun_report().graph_late >= 3, what="xruns in the jackd log")
    finally:
        os.kill(thru.pid, signal.SIGCONT)
    report = jack_server.xrun_report()
    assert report.late_clients.get("jack_thru", 0) >= 1
    assert jack_server.xruns() == report.driver_late + report.graph_late >= 3

    jack_server.stop()
    assert thru.poll() is not None  # clients started here end with the server


@pytest.mark.jack
@pytest.mark.parametrize("period", [64, 128, 256])
def test_iodelay_round_trip_is_one_period(make_jack_server: MakeJackServer, period: int) -> None:
    # Measured with jackd2 1.9.21: jack_iodelay's own out -> in on the dummy driver reports
    # exactly one period at 64, 128 and 256 frames.
    server = make_jack_server(period=period)
    assert server.iodelay() == period
    assert "jack_delay:in" not in server.ports()  # the measuring client is gone again


# -- cleanup when the owner goes away ---------------------------------------------------------

OWNER = textwrap.dedent(
    """
    import os, signal, sys
    from studio.audio.jack_server import JackServer
    server = JackServer().start()
    print(server.name, server.pid, flush=True)
    if sys.argv[1] == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    # "exit": leave without stop(); the finaliser must end the server
    """
)

# A tiny init: it adopts the owner's orphans (PR_SET_CHILD_SUBREAPER) and reaps them, as init
# does on a normal system. (Here PID 1 reaps orphans late, and JACK counts a zombie jackd as a
# running server.) It returns only when every descendant, jackd included, has ended.
REAPER = textwrap.dedent(
    """
    import ctypes, os, subprocess, sys
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    owner = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    """
)


@pytest.mark.jack
@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_no_server_outlives_its_owner(make_jack_server: MakeJackServer, how: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    owner = subprocess.run(
        [sys.executable, "-c", REAPER, OWNER, how],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    name, pid_text = owner.stdout.split()
    assert not _alive(int(pid_text))  # the reaper returned, so jackd has ended
    if how == "sigkill":
        # The killed owner could not clean up; the next server started reclaims its place.
        make_jack_server()
    assert name not in _registered_names()
    assert _shm_leftovers(name) == []


# -- PortAudio through the server -------------------------------------------------------------

STREAM_CHILD = textwrap.dedent(
    """
    import json, sys, time
    import sounddevice as sd

    calls = [0]

    def callback(indata, outdata, frames, time_info, status):
        outdata[:] = indata
        calls[0] += 1

    hostapis = [api["name"] for api in sd.query_hostapis()]
    device = sd.query_devices(kind="output")
    with sd.Stream(channels=2, samplerate=48000, blocksize=0, callback=callback):
        deadline = time.monotonic() + 10
        while calls[0] < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        print(json.dumps({"hostapis": hostapis, "device": device["name"],
                          "hostapi": hostapis[device["hostapi"]], "calls": calls[0]}),
              flush=True)
        sys.stdin.readline()
    print(json.dumps({"calls": calls[0]}), flush=True)
    """
)


@pytest.mark.jack
def test_sounddevice_stream_in_a_child_runs_on_the_server(jack_server: JackServer) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", STREAM_CHILD],
        env=jack_server.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        running = json.loads(_readline(child))
        assert "JACK Audio Connection Kit" in running["hostapis"]
        assert running["hostapi"] == "JACK Audio Connection Kit"
        assert running["device"] == "system"
        assert running["calls"] >= 20
        ports = jack_server.ports("PortAudio")
        assert ports == ["PortAudio:in_0", "PortAudio:in_1", "PortAudio:out_0", "PortAudio:out_1"]
        # PortAudio connects itself to the system ports
        assert ("PortAudio:out_0", "system:playback_1") in jack_server.connections()
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.flush()
        finished = json.loads(_readline(child))
        assert finished["calls"] >= running["calls"]
        assert child.wait(timeout=20) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
