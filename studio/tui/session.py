"""Who is at the console now: the signed-in staff member, the member who is here, the song
they work on, and whether the console is locked. Plus the inactivity clock behind auto-lock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from studio.core.people import Actor, Member, Role
from studio.core.song import Song


@dataclass
class Session:
    actor: Actor | None = None  # the leader / therapist / admin who runs the console
    member: Member | None = None  # the member who is here (acts through the actor)
    song: Song | None = None
    locked: bool = False

    def role(self) -> Role | None:
        return self.actor.role if self.actor else None

    def switch_to(self, actor: Actor) -> bool:
        """Someone signed in. Returns True when it is another person than before, in which
        case the member and song chosen by the previous person are forgotten."""
        other = self.actor is None or self.actor.staff_id != actor.staff_id
        self.actor = actor
        if other:
            self.member = None
            self.song = None
        self.locked = False
        return other

    def sign_out(self) -> None:
        self.actor = None
        self.member = None
        self.song = None


class IdleClock:
    """Seconds since the last key press or click; ``due()`` once ``seconds`` have passed
    (0 switches auto-lock off). The clock is injectable, so tests never wait."""

    def __init__(self, seconds: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.last = clock()

    def touch(self) -> None:
        self.last = self.clock()

    def idle_for(self) -> float:
        return self.clock() - self.last

    def due(self) -> bool:
        return self.seconds > 0 and self.idle_for() >= self.seconds
