"""Real-time scheduling. Real requests run in child processes: the test runner stays as it is."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from studio.audio import realtime as rt
from studio.audio.realtime import (
    GOT_FIFO,
    GOT_NICE,
    GOT_NONE,
    RealtimeResult,
    describe_limits,
    probe_realtime,
    request_realtime,
)

ROOT = Path(__file__).resolve().parents[2]


def _run_child(prefix: list[str] | None = None, priority: int = 70) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    argv = [sys.executable, "-m", "studio.audio.realtime", "--json", "--priority", str(priority)]
    result = subprocess.run(
        [*(prefix or []), *argv], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture
def runner_scheduling() -> Any:
    """Checks that the test runner's own scheduling did not change."""
    before = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority, os.getpriority(
        os.PRIO_PROCESS, 0))
    yield
    after = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority, os.getpriority(
        os.PRIO_PROCESS, 0))
    assert after == before


def test_child_gets_what_it_reports(runner_scheduling: None) -> None:
    data = _run_child()
    result, after = data["result"], data["after"]
    assert result["policy"] in ("fifo", "nice", "none")
    if result["policy"] == "fifo":
        assert (after["policy"], after["priority"]) == ("fifo", result["priority"])
        assert result["realtime"] is True
    elif result["policy"] == "nice":
        assert after["policy"] == "other" and after["nice"] == result["priority"] < 0
    else:
        assert after["policy"] == "other"
        assert result["detail"]  # says why
    assert result["nb"] and result["en"]


def test_probe_matches_the_limits(runner_scheduling: None) -> None:
    result = probe_realtime()
    limits = describe_limits()
    if result.realtime:
        assert limits.realtime_allowed
    assert result.say("nb") and result.say("en")


def test_refused_for_real_without_cap_sys_nice(runner_scheduling: None) -> None:
    """Drop CAP_SYS_NICE in the child (only possible where we may change capabilities)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or not describe_limits().cap_sys_nice:
        pytest.skip("needs setpriv and CAP_SYS_NICE to drop")
    if resource.getrlimit(resource.RLIMIT_RTPRIO)[1] != 0:
        pytest.skip("RLIMIT_RTPRIO allows real-time without the capability")
    prefix = [setpriv, "--bounding-set=-sys_nice", "--inh-caps=-sys_nice"]
    try:
        data = _run_child(prefix)
    except subprocess.CalledProcessError as error:
        pytest.skip(f"cannot drop the capability here: {error.stderr.strip()[-200:]}")
    assert data["before"]["cap_sys_nice"] is False
    assert data["before"]["realtime_allowed"] is False
    assert data["result"]["policy"] != "fifo"
    assert data["after"]["policy"] == "other"
    assert "Operation not permitted" in data["result"]["detail"]
    assert "Sanntidsprioritet er ikke tillatt" in data["result"]["nb"]
    assert "Real-time priority is not allowed" in data["result"]["en"]


# -- the fall-backs, with the system calls replaced (nothing really changes) ------------------


class FakeSystem:
    def __init__(self, fifo_max: int, rtprio: tuple[int, int], nice_floor: int) -> None:
        self.fifo_max = fifo_max  # highest SCHED_FIFO priority granted (0: none)
        self.rtprio = rtprio
        self.nice_floor = nice_floor  # lowest nice value granted
        self.nice = 0
        self.calls: list[tuple[str, int]] = []

    def sched_setscheduler(self, pid: int, policy: int, param: os.sched_param) -> None:
        self.calls.append(("fifo", param.sched_priority))
        if param.sched_priority > min(self.fifo_max, max(self.rtprio[0], 0)):
            raise PermissionError(1, "Operation not permitted")

    def getrlimit(self, which: int) -> tuple[int, int]:
        return self.rtprio if which == resource.RLIMIT_RTPRIO else (0, 0)

    def setrlimit(self, which: int, limits: tuple[int, int]) -> None:
        self.calls.append(("rlimit", limits[0]))
        if limits[1] > self.rtprio[1]:
            raise ValueError("not allowed to raise maximum limit")
        self.rtprio = limits

    def setpriority(self, which: int, who: int, value: int) -> None:
        self.calls.append(("nice", value))
        if value < self.nice_floor:
            raise PermissionError(13, "Permission denied")
        self.nice = value

    def getpriority(self, which: int, who: int) -> int:
        return self.nice


def _fake(monkeypatch: pytest.MonkeyPatch, system: FakeSystem) -> FakeSystem:
    monkeypatch.setattr(os, "sched_setscheduler", system.sched_setscheduler)
    monkeypatch.setattr(os, "setpriority", system.setpriority)
    monkeypatch.setattr(os, "getpriority", system.getpriority)
    monkeypatch.setattr(resource, "getrlimit", system.getrlimit)
    monkeypatch.setattr(resource, "setrlimit", system.setrlimit)
    return system


def test_fifo_when_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    system = _fake(monkeypatch, FakeSystem(fifo_max=99, rtprio=(95, 95), nice_floor=0))
    result = request_realtime(70)
    assert (result.policy, result.priority, result.realtime) == ("fifo", 70, True)
    assert result.words == GOT_FIFO
    assert "70" in result.say("en")
    assert system.calls == [("fifo", 70)]


def test_fifo_at_the_limit_when_the_wish_is_too_high(monkeypatch: pytest.MonkeyPatch) -> None:
    system = _fake(monkeypatch, FakeSystem(fifo_max=99, rtprio=(0, 40), nice_floor=0))
    result = request_realtime(70)
    assert (result.policy, result.priority) == ("fifo", 40)
    assert system.calls == [("fifo", 70), ("rlimit", 40), ("fifo", 40)]


def test_nice_when_fifo_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    system = _fake(monkeypatch, FakeSystem(fifo_max=0, rtprio=(0, 0), nice_floor=-5))
    result = request_realtime()
    assert (result.policy, result.priority, result.realtime) == ("nice", -5, False)
    assert result.words == GOT_NICE
    assert "Operation not permitted" in result.detail
    assert system.calls == [("fifo", 70), ("nice", -11), ("nice", -5)]
    assert result.say("nb").startswith(
        "Sanntidsprioritet er ikke tillatt på denne maskinen; lyden kan hakke hvis maskinen er "
        "travel."
    )


def test_nothing_when_everything_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, FakeSystem(fifo_max=0, rtprio=(0, 0), nice_floor=0))
    result = request_realtime()
    assert (result.policy, result.realtime) == ("none", False)
    assert result.words == GOT_NONE
    assert result.say("nb") == (
        "Sanntidsprioritet er ikke tillatt på denne maskinen; lyden kan hakke hvis maskinen er "
        "travel."
    )
    assert result.say("en").startswith("Real-time priority is not allowed on this machine")


def test_result_round_trips_as_plain_data() -> None:
    result = RealtimeResult("nice", -5, GOT_NICE, "SCHED_FIFO 70: EPERM")
    data = json.loads(json.dumps(result.to_dict()))
    assert RealtimeResult.from_dict(data) == result
    assert data["nb"] == result.say("nb")


def test_describe_limits_reads_the_system() -> None:
    limits = describe_limits()
    soft, hard = resource.getrlimit(resource.RLIMIT_RTPRIO)
    unlimited = resource.RLIM_INFINITY
    assert limits.rtprio_soft == (-1 if soft == unlimited else soft)
    assert limits.rtprio_hard == (-1 if hard == unlimited else hard)
    assert limits.policy == "other"  # the test runner itself is not real-time
    assert isinstance(limits.cap_sys_nice, bool)
    assert limits.realtime_allowed == (limits.cap_sys_nice or limits.rtprio_hard != 0)
    assert rt.describe_limits().to_dict()["realtime_allowed"] == limits.realtime_allowed
