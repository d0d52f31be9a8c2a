"""A private JACK server with the dummy driver, for tests and benchmarks.

Each :class:`JackServer` starts its own ``jackd`` under a unique name (``studio-<pid>-<n>``), so
tests never touch a server somebody else is using, and several can run side by side. The server
is a real audio server with exact, repeatable timing and no hardware: a process's own output can
be connected to its own input for round-trip measurements (see DESIGN.md, "Latency and
alignment").

What was measured with jackd2 1.9.21 and the dummy driver:

- Per xrun, jackd prints one of these lines to stderr (captured to the log file here):

  * ``JackTimedDriver::Process XRun = 62 usec``: the driver itself woke up late;
  * ``JackAudioDriver::ProcessGraphAsyncMaster: Process error``: once for every period in which
    the client graph had not finished. While a client is stuck this line repeats every period;
  * ``JackEngine::XRun: client = NAME was not finished, state = Triggered``: names the late
    client; printed only for some of those periods, so it is counted apart and not added in.

- ``jack_iodelay`` with its own output connected to its own input reports exactly one period as
  the total round trip (64, 128 and 256 frames at those periods). It prints through stdio, so its
  output only arrives in time when it writes to a terminal: :meth:`JackServer.iodelay` gives it a
  pseudo-terminal.

- A jackd killed with SIGKILL never unregisters: its place in JACK's server table (8 places for
  the whole machine), about 100 MB of shared memory and a few files stay in ``/dev/shm``. After
  eight such deaths no JACK server starts ("Too many servers already active"). jackd frees the
  place only when a server of the same name starts again, so a dead server is reclaimed by
  starting and cleanly stopping a jackd with its name: :meth:`JackServer.stop` does this after
  :meth:`JackServer.kill`, and :meth:`JackServer.start` does it for dead ``studio-*`` servers
  whose owner was killed.

The server process dies with the process that started it (``setpriv --pdeathsig``), and a
finaliser stops it at interpreter exit, so no server is left behind when a test fails.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import itertools
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from studio.core.i18n import StudioError, Words

__all__ = [
    "JackError",
    "JackServer",
    "XrunReport",
    "count_xruns",
    "jack_missing_reason",
    "parse_iodelay",
]

_counter = itertools.count(1)
_SHM_DIR = Path("/dev/shm")

NO_JACKD = Words(
    nb="Lydserveren JACK (jackd) er ikke installert. Installer pakken «jackd2».",
    en="The JACK sound server (jackd) is not installed. Install the package “jackd2”.",
)
JACKD_FAILED = Words(
    nb="Lydserveren JACK ({name}) startet ikke. Siste linjer fra loggen:\n{log}",
    en="The JACK sound server ({name}) did not start. Last lines of its log:\n{log}",
)
JACK_COMMAND_FAILED = Words(
    nb="JACK-kommandoen {command} feilet: {error}",
    en="The JACK command {command} failed: {error}",
)
JACK_PORT_MISSING = Words(
    nb="JACK-porten {port} dukket ikke opp. Disse finnes: {ports}",
    en="The JACK port {port} did not appear. These exist: {ports}",
)
JACK_NOT_RUNNING = Words(
    nb="Lydserveren JACK ({name}) kjører ikke.",
    en="The JACK sound server ({name}) is not running.",
)


class JackError(StudioError):
    """Starting or talking to a JACK server failed."""


def jack_missing_reason() -> str | None:
    """Why a private JACK server cannot run here, or ``None`` when everything needed exists."""
    missing = [tool for tool in ("jackd", "jack_lsp", "jack_connect") if shutil.which(tool) is None]
    if missing:
        return f"not installed: {', '.join(missing)} (apt install jackd2)"
    if ctypes.util.find_library("jack") is None:
        return "libjack is not installed (apt install jackd2)"
    return None


# ---------------------------------------------------------------------------------------------
# Log parsing


_DRIVER_LATE = re.compile(r"JackTimedDriver::Process XRun|xrun of at least", re.IGNORECASE)
_GRAPH_LATE = re.compile(r"ProcessGraph\w*Master: Process error", re.IGNORECASE)
_CLIENT_LATE = re.compile(r"JackEngine::XRun: client = (.+?) was not finished")


@dataclass(frozen=True)
class XrunReport:
    """Xruns a jackd log reports: driver wake-ups that came late and periods the graph missed."""

    driver_late: int = 0
    graph_late: int = 0
    late_clients: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.driver_late + self.graph_late


def count_xruns(log: str) -> XrunReport:
    """Count the xruns in the text jackd printed (see the module docstring for the lines)."""
    driver = graph = 0
    clients: dict[str, int] = {}
    for line in log.splitlines():
        if _DRIVER_LATE.search(line):
            driver += 1
        elif _GRAPH_LATE.search(line):
            graph += 1
        else:
            match = _CLIENT_LATE.search(line)
            if match:
                clients[match.group(1)] = clients.get(match.group(1), 0) + 1
    return XrunReport(driver_late=driver, graph_late=graph, late_clients=clients)


_IODELAY_VALUE = re.compile(r"^\s*([0-9.]+) frames\s+([0-9.]+) ms total roundtrip latency")
_IODELAY_ADVICE = re.compile(r"use \d+ for the backend arguments")


def parse_iodelay(output: str) -> list[int]:
    """The valid round trips (frames) in ``jack_iodelay`` output, oldest first.

    ``jack_iodelay`` prints a value line followed by an advice line; the advice line ends in
    ``??`` when the measurement is unreliable and ``Inv`` when the signal came back inverted.
    Those measurements, and the ``Signal below threshold`` state, are left out.
    """
    values: list[int] = []
    pending: float | None = None
    for raw in output.replace("\r", "\n").splitlines():
        match = _IODELAY_VALUE.match(raw)
        if match:
            pending = float(match.group(1))
            continue
        if pending is not None and _IODELAY_ADVICE.search(raw):
            if "??" not in raw and "Inv" not in raw and pending > 0:
                values.append(round(pending))
            pending = None
    return values


# ---------------------------------------------------------------------------------------------
# Clean-up that must work without the JackServer object (finaliser, after a kill)
#
# A jackd that dies by SIGKILL never unregisters. It leaves (a) its entry in the server table of
# /dev/shm/jack-shm-registry, which has only 8 places for all servers of the machine, so after
# eight such deaths no JACK server starts at all ("Too many servers already active"); (b) its
# shared-memory segments (about 100 MB); (c) its socket and semaphore files. jackd itself frees
# (a) only when a server with the same name starts again, and (b) when any server stops cleanly.
# So a dead server is "reclaimed": a jackd with its name is started and stopped cleanly.


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs. A zombie (dead, not yet reaped, e.g. an orphan in a container whose
    PID 1 does not reap) counts as dead."""
    if pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        stat = ""
    if stat:
        return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _registered_servers() -> list[tuple[int, str]]:
    """(jackd pid, server name) of this user's entries in JACK's server table."""
    try:
        data = (_SHM_DIR / "jack-shm-registry").read_bytes()
    except OSError:
        return []
    found = []
    for match in re.finditer(rb"jack-(\d+):([^:\x00]{1,200}):\x00", data):
        if match.start() < 4 or int(match.group(1)) != os.getuid():
            continue
        pid = int.from_bytes(data[match.start() - 4 : match.start()], "little", signed=True)
        found.append((pid, match.group(2).decode(errors="replace")))
    return found


def _remove_files(name: str) -> None:
    """Remove the socket and semaphore files of the (dead) server ``name``."""
    with contextlib.suppress(OSError):
        for path in _SHM_DIR.iterdir():
            if path.name.startswith(f"jack_{name}_") or re.fullmatch(
                rf"jack_sem\.\d+_{re.escape(name)}_.+", path.name
            ):
                with contextlib.suppress(OSError):
                    path.unlink()


def _reclaim(name: str, timeout: float = 10.0) -> bool:
    """Start a jackd named ``name`` and stop it cleanly, so JACK frees what the dead one held."""
    jackd = shutil.which("jackd")
    if jackd is None:
        _remove_files(name)
        return False
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1", JACK_NO_START_SERVER="1")
    argv = [jackd, "-n", name, "--no-realtime", "-d", "dummy", "-p", "1024", "-C", "0", "-P", "0"]
    setpriv = shutil.which("setpriv")
    if setpriv is not None:
        argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
    try:
        proc = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        _remove_files(name)
        return False
    answered = False
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            check = subprocess.run(
                ["jack_lsp", "-s", name],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
            )
        except (OSError, subprocess.TimeoutExpired):
            break
        if check.returncode == 0:
            answered = True
            break
        time.sleep(0.02)
    _end_process(proc, 5.0)
    _remove_files(name)
    return answered and proc.returncode == 0


def _sweep_stale() -> None:
    """Reclaim dead ``studio-*`` servers: registered with a dead jackd, or files of a dead owner.

    Only names made by this module (``studio-<owner pid>-<n>``) are touched.
    """
    registered = _registered_servers()
    alive = {name for pid, name in registered if _pid_alive(pid)}
    stale = {name for pid, name in registered if name.startswith("studio-") and name not in alive}
    with contextlib.suppress(OSError):
        for path in _SHM_DIR.iterdir():
            match = re.search(r"_(studio-(\d+)-\d+)_", path.name)
            if match and match.group(1) not in alive and not _pid_alive(int(match.group(2))):
                stale.add(match.group(1))
    for name in sorted(stale):
        _reclaim(name)


def _end_process(proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


def _end_server(name: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Stop jackd cleanly; if it died or had to be killed, reclaim what it left behind."""
    _end_process(proc, timeout)
    if proc.returncode != 0:
        _reclaim(name)


def _reap(
    name: str,
    proc: subprocess.Popen[bytes] | None,
    clients: list[subprocess.Popen[bytes]],
    workdir: Path,
    done: list[bool],
) -> None:
    """Finaliser: end the clients and the server, clean up, remove the temporary folder."""
    for client in clients:
        _end_process(client, 2.0)
    if proc is not None and not done:
        done.append(True)
        _end_server(name, proc, 5.0)
    shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------


class JackServer:
    """A private ``jackd`` with the dummy driver.

    Use as a context manager (``with JackServer(period=64) as server: ...``) or call
    :meth:`start` and :meth:`stop` (one start per object). Clients find it through :meth:`env`.

    ``realtime=True`` runs ``jackd -R`` (benchmarks, where the system allows it).
    ``die_with_parent`` makes the kernel kill jackd when the *thread* that started it ends, so
    start servers from the main thread (or a thread that outlives them), or pass ``False``.
    """

    def __init__(
        self,
        *,
        samplerate: int = 48000,
        period: int = 128,
        realtime: bool = False,
        capture: int = 2,
        playback: int = 2,
        start_timeout: float = 10.0,
        extra_args: Sequence[str] = (),
        die_with_parent: bool = True,
    ) -> None:
        self.name = f"studio-{os.getpid()}-{next(_counter)}"
        self.samplerate = samplerate
        self.period = period
        self.realtime = realtime
        self.capture = capture
        self.playback = playback
        self.start_timeout = start_timeout
        self.extra_args = tuple(extra_args)
        self.die_with_parent = die_with_parent
        self._workdir: Path | None = None
        self.log_path: Path | None = None  # jackd's stdout and stderr, once started
        self._proc: subprocess.Popen[bytes] | None = None
        self._clients: list[subprocess.Popen[bytes]] = []
        self._final_log: str | None = None
        self._ended: list[bool] = []  # non-empty once the server was ended and cleaned up
        self._iodelay_lock = threading.Lock()
        self._finalizer: weakref.finalize[Any, JackServer] | None = None

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise JackError(JACK_NOT_RUNNING, name=self.name)
        return self._proc.pid

    def command(self) -> list[str]:
        """The jackd command line this server runs."""
        argv = ["jackd", "-n", self.name]
        argv += ["-R"] if self.realtime else ["--no-realtime"]
        argv += list(self.extra_args)
        argv += ["-d", "dummy", "-r", str(self.samplerate), "-p", str(self.period)]
        argv += ["-C", str(self.capture), "-P", str(self.playback)]
        return argv

    def start(self) -> JackServer:
        """Start jackd and wait until it answers; raise :class:`JackError` if it does not."""
        if self._proc is not None:
            if self.running():
                return self
            raise JackError(JACK_NOT_RUNNING, name=self.name)  # one start per object
        jackd = shutil.which("jackd")
        if jackd is None:
            raise JackError(NO_JACKD)
        argv = self.command()
        setpriv = shutil.which("setpriv")
        if setpriv is not None and self.die_with_parent:
            # jackd is killed when the process that started it dies, even by SIGKILL.
            # (setpriv execs jackd, so the PID stays jackd's own.)
            argv = [setpriv, "--pdeathsig", "KILL", "--", *argv]
        _sweep_stale()
        self._workdir = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        self.log_path = self._workdir / "jackd.log"
        try:
            with self.log_path.open("wb") as log:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env(),
                    start_new_session=True,
                )
        except OSError as error:
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise JackError(JACKD_FAILED, name=self.name, log=str(error)) from error
        self._finalizer = weakref.finalize(
            self, _reap, self.name, self._proc, self._clients, self._workdir, self._ended
        )
        deadline = time.monotonic() + self.start_timeout
        while self._proc.poll() is None and time.monotonic() < deadline:
            if self._answers():
                return self
            time.sleep(0.02)
        self._final_log = self.log_text()
        self.stop(timeout=2.0)
        raise JackError(JACKD_FAILED, name=self.name, log=self.log_tail())

    def _answers(self) -> bool:
        try:
            result = subprocess.run(
                ["jack_lsp", "-s", self.name],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=10,
            )
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0 and b"system:" in result.stdout

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """End the clients started here, then the server (SIGTERM, SIGKILL after ``timeout``).

        A server that was killed (or died) is reclaimed here, so it leaves nothing behind.
        """
        for client in self._clients:
            _end_process(client, 2.0)
        if self._proc is not None and not self._ended:
            self._ended.append(True)
            _end_server(self.name, self._proc, timeout)
            if self._final_log is None:
                self._final_log = self.log_text()
        if self._finalizer is not None:
            self._finalizer()

    def kill(self) -> None:
        """Kill jackd with SIGKILL by its own PID: a real crash. Clients are left running.

        The server stays dead (its name answers nothing) until :meth:`stop`, which cleans up.
        """
        if self._proc is None or self._proc.poll() is not None:
            return
        os.kill(self._proc.pid, signal.SIGKILL)
        self._proc.wait()

    def __enter__(self) -> JackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running() else "stopped"
        return f"<JackServer {self.name} {self.samplerate} Hz/{self.period} {state}>"

    # -- environment and clients ------------------------------------------------------------------

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """A copy of ``base`` (default ``os.environ``) that makes JACK clients use this server."""
        env = dict(os.environ if base is None else base)
        env["JACK_DEFAULT_SERVER"] = self.name
        env["JACK_NO_AUDIO_RESERVATION"] = "1"  # no D-Bus device reservation
        env["JACK_NO_START_SERVER"] = "1"  # a client must never start a server of its own
        return env

    def start_client(
        self, argv: Sequence[str], **popen_kwargs: Any
    ) -> subprocess.Popen[bytes]:
        """Start a client program (``jack_thru``…) on this server; it is ended by :meth:`stop`.

        Output goes to ``/dev/null`` unless ``stdout``/``stderr`` are given.
        """
        popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
        popen_kwargs.setdefault("stdout", subprocess.DEVNULL)
        popen_kwargs.setdefault("stderr", subprocess.DEVNULL)
        popen_kwargs["env"] = self.env(popen_kwargs.get("env"))
        proc: subprocess.Popen[bytes] = subprocess.Popen(list(argv), **popen_kwargs)
        self._clients.append(proc)
        return proc

    # -- ports ------------------------------------------------------------------------------------

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(
                [argv[0], "-s", self.name, *argv[1:]],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=10,
            )
        except subprocess.TimeoutExpired as timeout:
            raise JackError(
                JACK_COMMAND_FAILED, command=" ".join(argv), error="no answer in 10 s"
            ) from timeout
        if result.returncode != 0:
            message = (result.stderr.strip().splitlines() or ["?"])[-1]
            raise JackError(JACK_COMMAND_FAILED, command=" ".join(argv), error=message)
        return result

    def ports(self, contains: str = "") -> list[str]:
        """Names of the ports on this server (optionally only those containing ``contains``)."""
        lines = self._run("jack_lsp").stdout.splitlines()
        return [line for line in lines if line and contains in line]

    def connections(self) -> list[tuple[str, str]]:
        """(source, destination) pairs, each listed once."""
        connected: dict[str, list[str]] = {}
        outputs: set[str] = set()
        port = ""
        for line in self._run("jack_lsp", "-c", "-p").stdout.splitlines():
            if not line.strip():
                continue
            if not line.startswith((" ", "\t")):
                port = line.strip()
                connected.setdefault(port, [])
            elif "properties:" in line:
                if "output" in [p.strip() for p in line.split("properties:", 1)[1].split(",")]:
                    outputs.add(port)
            else:
                connected[port].append(line.strip())
        return sorted((src, dst) for src in outputs for dst in connected.get(src, []))

    def connect(self, source: str, destination: str) -> None:
        self._run("jack_connect", source, destination)

    def disconnect(self, source: str, destination: str) -> None:
        self._run("jack_disconnect", source, destination)

    def wait_for_port(self, name: str, timeout: float = 5.0) -> None:
        """Poll until the port ``name`` exists; raise :class:`JackError` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            present = self.ports()
            if name in present:
                return
            if time.monotonic() > deadline:
                raise JackError(JACK_PORT_MISSING, port=name, ports=", ".join(present) or "-")
            time.sleep(0.02)

    # -- log, xruns, latency ----------------------------------------------------------------------

    def log_text(self) -> str:
        """Everything jackd printed so far (kept after :meth:`stop`)."""
        if self._final_log is not None:
            return self._final_log
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def xrun_report(self) -> XrunReport:
        return count_xruns(self.log_text())

    def xruns(self) -> int:
        """Xruns the server itself reported: late driver wake-ups plus periods the graph missed."""
        return self.xrun_report().total

    def iodelay(self, seconds: float = 2.0, agree: int = 3) -> int | None:
        """Measure the round trip with ``jack_iodelay``, its own output connected to its input.

        Measures until ``agree`` valid readings in a row are equal, or for at most ``seconds``.
        Returns the last valid round trip in frames (on the dummy driver: one period), or
        ``None`` if nothing valid was measured. Ending jack_iodelay (it has no clean way to
        quit) usually costs the server one reported xrun.
        """
        if shutil.which("jack_iodelay") is None:
            raise JackError(JACK_COMMAND_FAILED, command="jack_iodelay", error="not installed")
        with self._iodelay_lock:
            output = self._run_iodelay(seconds, agree)
        values = parse_iodelay(output)
        return values[-1] if values else None

    def _run_iodelay(self, seconds: float, agree: int) -> str:
        before = set(self.ports())
        master, slave = pty.openpty()
        chunks: list[bytes] = []

        def settled() -> bool:
            values = parse_iodelay(b"".join(chunks).decode(errors="replace"))
            return len(values) >= agree and len(set(values[-agree:])) == 1

        try:
            proc = self.start_client(["jack_iodelay"], stdout=slave, stderr=slave)
            os.close(slave)
            slave = -1
            try:
                deadline = time.monotonic() + 5.0
                while True:
                    new = [port for port in self.ports("jack_delay") if port not in before]
                    outs = [port for port in new if port.endswith(":out")]
                    ins = [port for port in new if port.endswith(":in")]
                    if outs and ins:
                        break
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise JackError(
                            JACK_PORT_MISSING, port="jack_delay:out", ports=", ".join(new) or "-"
                        )
                    time.sleep(0.02)
                self.connect(outs[0], ins[0])
                end = time.monotonic() + seconds
                while (left := end - time.monotonic()) > 0 and not settled():
                    ready, _, _ = select.select([master], [], [], left)
                    if ready:
                        try:
                            chunks.append(os.read(master, 4096))
                        except OSError:
                            break
            finally:
                _end_process(proc, 2.0)
                with contextlib.suppress(ValueError):
                    self._clients.remove(proc)
            while select.select([master], [], [], 0)[0]:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    break
                if not data:
                    break
                chunks.append(data)
        finally:
            os.close(master)
            if slave >= 0:
                os.close(slave)
        return b"".join(chunks).decode(errors="replace")
