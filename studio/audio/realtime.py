"""Real-time scheduling for the audio engine host.

Measured on the target machine (DESIGN.md): without real-time scheduling even a C pass-through
client gets a few xruns a minute; with SCHED_FIFO, none at 128 and 256 frames. So the engine host
asks for SCHED_FIFO, and when the system says no, for a better nice value, and tells the user
plainly what it got.

Linux applies both to the *calling thread*; threads started afterwards inherit it (PortAudio's
ALSA callback thread does). Call :func:`request_realtime` in the engine host before opening the
stream, never in the test runner or the UI process: :func:`probe_realtime` tries it in a child.

Run ``python -m studio.audio.realtime [--json]`` to see what this machine allows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from studio.core.i18n import Language, Words

__all__ = [
    "RealtimeLimits",
    "RealtimeResult",
    "describe_limits",
    "probe_realtime",
    "request_realtime",
]

Policy = Literal["fifo", "nice", "none"]

#: The nice values tried, best first, when SCHED_FIFO is refused.
NICE_STEPS: tuple[int, ...] = (-11, -5, -1)

GOT_FIFO = Words(
    nb="Lyden har sanntidsprioritet (nivå {priority}).",
    en="Sound has real-time priority (level {priority}).",
)
GOT_NICE = Words(
    nb="Sanntidsprioritet er ikke tillatt på denne maskinen; lyden kan hakke hvis maskinen er "
    "travel. Lyden har fått litt høyere prioritet enn vanlig (nice {priority}).",
    en="Real-time priority is not allowed on this machine; the sound may stutter when the "
    "machine is busy. Sound got a little more priority than usual (nice {priority}).",
)
GOT_NONE = Words(
    nb="Sanntidsprioritet er ikke tillatt på denne maskinen; lyden kan hakke hvis maskinen er "
    "travel.",
    en="Real-time priority is not allowed on this machine; the sound may stutter when the "
    "machine is busy.",
)
HOW_TO_ALLOW = Words(
    nb="Be den som passer maskinen om å gi brukeren sanntidsrett: legg brukeren i gruppen "
    "«audio» (pakken jackd2 lager den, med rtprio 95), logg ut og inn igjen.",
    en="Ask whoever looks after the machine to allow real-time for this user: add the user to "
    "the “audio” group (the jackd2 package sets it up with rtprio 95), then log out and in.",
)

_POLICY_NAMES = {
    getattr(os, "SCHED_OTHER", 0): "other",
    getattr(os, "SCHED_FIFO", 1): "fifo",
    getattr(os, "SCHED_RR", 2): "rr",
    getattr(os, "SCHED_BATCH", 3): "batch",
    getattr(os, "SCHED_IDLE", 5): "idle",
}
_CAP_SYS_NICE = 23


@dataclass(frozen=True)
class RealtimeResult:
    """What :func:`request_realtime` obtained, and plain words saying so."""

    policy: Policy
    priority: int  # SCHED_FIFO priority for "fifo", the nice value otherwise
    words: Words
    detail: str = ""

    @property
    def realtime(self) -> bool:
        return self.policy == "fifo"

    def say(self, lang: Language | None = None) -> str:
        return self.words.say(lang, priority=self.priority)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready), with the words already said in both languages."""
        return {
            "policy": self.policy,
            "priority": self.priority,
            "realtime": self.realtime,
            "detail": self.detail,
            "nb": self.say("nb"),
            "en": self.say("en"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RealtimeResult:
        policy: Policy = data["policy"]
        words = {"fifo": GOT_FIFO, "nice": GOT_NICE, "none": GOT_NONE}[policy]
        return cls(policy, int(data["priority"]), words, str(data.get("detail", "")))


def request_realtime(priority: int = 70) -> RealtimeResult:
    """Try SCHED_FIFO at ``priority`` for the calling thread, else a lower nice value.

    When ``priority`` is above what RLIMIT_RTPRIO allows, SCHED_FIFO at the allowed maximum is
    tried before giving up on real-time.

    Never raises for a refusal; the result says what was obtained.
    """
    refused = ""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
        return RealtimeResult("fifo", priority, GOT_FIFO)
    except (OSError, AttributeError) as error:
        refused = f"SCHED_FIFO {priority}: {error}"
    # Without CAP_SYS_NICE the limit is RLIMIT_RTPRIO; its soft value may be raised to the hard.
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_RTPRIO)
    except (OSError, ValueError, AttributeError):
        soft = hard = 0
    infinity = resource.RLIM_INFINITY
    allowed = priority if hard == infinity else min(priority, hard)
    if allowed > 0:
        try:
            if soft != infinity and soft < allowed:
                resource.setrlimit(resource.RLIMIT_RTPRIO, (allowed, hard))
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(allowed))
            return RealtimeResult("fifo", allowed, GOT_FIFO, refused)
        except (OSError, ValueError, AttributeError) as error:
            refused += f"; SCHED_FIFO {allowed}: {error}"
    current = _nice()
    for step in NICE_STEPS:
        if step >= current:
            break
        try:
            os.setpriority(os.PRIO_PROCESS, 0, step)
        except (OSError, AttributeError):
            continue
        return RealtimeResult("nice", _nice(), GOT_NICE, refused)
    return RealtimeResult("none", current, GOT_NONE, refused)


def _nice() -> int:
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):
        return 0


@dataclass(frozen=True)
class RealtimeLimits:
    """What the system allows this process, as far as limits and capabilities tell."""

    rtprio_soft: int
    rtprio_hard: int
    nice_soft: int  # RLIMIT_NICE: the nice value may go down to 20 - this
    nice_hard: int
    cap_sys_nice: bool
    policy: str
    priority: int
    nice: int
    notes: list[str] = field(default_factory=list)

    @property
    def realtime_allowed(self) -> bool:
        """Whether SCHED_FIFO should be granted (a container may still refuse it)."""
        return self.cap_sys_nice or self.rtprio_hard != 0  # -1: unlimited

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"realtime_allowed": self.realtime_allowed}


def _limit(name: str) -> tuple[int, int]:
    number = getattr(resource, name, None)
    if number is None:
        return (0, 0)
    soft, hard = resource.getrlimit(number)
    unlimited = resource.RLIM_INFINITY
    return (-1 if soft == unlimited else soft, -1 if hard == unlimited else hard)


def _has_cap_sys_nice() -> bool:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> _CAP_SYS_NICE & 1)
    return False


def describe_limits() -> RealtimeLimits:
    """RLIMIT_RTPRIO, RLIMIT_NICE, CAP_SYS_NICE and the calling thread's current scheduling."""
    rt_soft, rt_hard = _limit("RLIMIT_RTPRIO")
    nice_soft, nice_hard = _limit("RLIMIT_NICE")
    notes: list[str] = []
    try:
        policy_number = os.sched_getscheduler(0)
        priority = os.sched_getparam(0).sched_priority
    except (OSError, AttributeError):
        policy_number, priority = 0, 0
    with contextlib.suppress(OSError):
        runtime = Path("/proc/sys/kernel/sched_rt_runtime_us").read_text().strip()
        notes.append(f"sched_rt_runtime_us={runtime}")
    return RealtimeLimits(
        rtprio_soft=rt_soft,
        rtprio_hard=rt_hard,
        nice_soft=nice_soft,
        nice_hard=nice_hard,
        cap_sys_nice=_has_cap_sys_nice(),
        policy=_POLICY_NAMES.get(policy_number, str(policy_number)),
        priority=priority,
        nice=_nice(),
        notes=notes,
    )


def probe_realtime(
    priority: int = 70, env: Mapping[str, str] | None = None, timeout: float = 10
) -> RealtimeResult:
    """Run :func:`request_realtime` in a child process and report what it got.

    The calling process is left untouched. A child that fails counts as "none".
    """
    child_env = dict(os.environ if env is None else env)
    root = str(Path(__file__).resolve().parents[2])
    child_env["PYTHONPATH"] = os.pathsep.join(
        [root, *[p for p in child_env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    )
    try:
        result = subprocess.run(
            [sys.executable, "-m", "studio.audio.realtime", "--json", "--priority", str(priority)],
            env=child_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return RealtimeResult.from_dict(json.loads(result.stdout)["result"])
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError) as error:
        return RealtimeResult("none", 0, GOT_NONE, f"probe failed: {error}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m studio.audio.realtime",
        description="Ask for real-time scheduling in this process and say what was obtained.",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--priority", type=int, default=70)
    args = parser.parse_args(argv)
    before = describe_limits()
    result = request_realtime(args.priority)
    after = describe_limits()
    if args.json:
        print(
            json.dumps(
                {"before": before.to_dict(), "result": result.to_dict(), "after": after.to_dict()}
            )
        )
    else:
        print(result.say())
        if result.detail:
            print(result.detail)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
