"""Property: over random sequences of consent, withdrawal, edits, reviews and export requests by
different roles, an export succeeds exactly when the rule holds. The rule is restated here as a
small model, independently of studio.core.gate; the real services run on a real catalog.

Also: a withdrawal blocks the very next request, every decision has an audit entry, and the
audit chain verifies at the end."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from studio.core.consent import Purpose
from studio.core.gate import ExportPurpose, ReviewDecision
from studio.core.i18n import Refused, StudioError
from studio.services import audit, consent, people, review
from studio.services.export import export_song
from studio.services.release import ask_gate
from studio.store import audit_log

from .world import make_world

PURPOSES = {ExportPurpose.PUBLIC: Purpose.PUBLIC_RELEASE,
            ExportPurpose.MEMBER_COPY: Purpose.MEMBER_COPY,
            ExportPurpose.INTERNAL: Purpose.INTERNAL}

ops = st.one_of(
    # a release path done in some order: consent to release, submit, approve (the order decides)
    st.tuples(st.just("path"), st.permutations(["grant", "submit", "decide"]),
              st.just("therapist")),
    st.tuples(st.just("grant"), st.sampled_from(list(PURPOSES.values())),
              st.sampled_from(["leader", "therapist"])),
    st.tuples(st.just("withdraw"), st.sampled_from([*PURPOSES.values(), None]),
              st.sampled_from(["leader", "therapist"])),
    st.tuples(st.just("edit"), st.sampled_from(["lyrics", "gain"]), st.just("leader")),
    st.tuples(st.just("submit"), st.just(None), st.sampled_from(["leader", "therapist"])),
    st.tuples(st.just("decide"), st.sampled_from(list(ReviewDecision)[1:]), st.just("therapist")),
    st.tuples(st.just("export"), st.sampled_from(list(ExportPurpose)),
              st.sampled_from(["leader", "therapist", "admin"])),
)


@dataclass
class Model:
    version: int = 0
    clock: int = 0
    # purpose -> list of (order, granted, version or None)
    consents: dict[Purpose, list[tuple[int, bool, int | None]]] = field(default_factory=dict)
    # version -> list of (order, decision)
    reviews: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def newest(self, purpose: Purpose) -> tuple[int, bool, int | None] | None:
        rows = self.consents.get(purpose, [])
        if purpose is Purpose.PUBLIC_RELEASE:
            rows = [r for r in rows if r[2] is None or r[2] == self.version]
        return max(rows, default=None)

    def allowed(self, purpose: ExportPurpose, role: str) -> bool:
        if role == "admin" or (purpose is ExportPurpose.PUBLIC and role != "therapist"):
            return False
        newest = self.newest(PURPOSES[purpose])
        if newest is None or not newest[1]:
            return False
        if purpose is not ExportPurpose.PUBLIC:
            return True
        decisions = self.reviews.get(self.version, [])
        if not decisions:
            return False
        order, decision = max(decisions)
        return decision == "approved" and order > newest[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, min_size=1, max_size=14))
def test_export_succeeds_exactly_when_the_rule_holds(steps: list[tuple[str, object, str]]
                                                      ) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(Path(tmp) / "home", aliases=("MC Nord",))
        studio, song = world.studio, world.songs[0]
        actors = {"leader": world.leader, "therapist": world.therapist, "admin": world.admin}
        model = Model()
        requests = exported = edits = 0
        try:
            expanded: list[tuple[str, object, str]] = []
            for kind, arg, who in steps:
                if kind == "path":
                    assert isinstance(arg, list)
                    expanded += [("grant", Purpose.PUBLIC_RELEASE, who) if a == "grant" else
                                 ("decide", ReviewDecision.APPROVED, who) if a == "decide" else
                                 ("submit", None, who) for a in arg]
                else:
                    expanded.append((kind, arg, who))
            for kind, arg, who in expanded:
                actor = actors[who]
                if kind == "grant":
                    assert isinstance(arg, Purpose)
                    consent.grant(studio, actor, "MC Nord", arg, witness="a peer",
                                  song=song.name, platforms=["web"])
                    model.consents.setdefault(arg, []).append(
                        (model.tick(), True,
                         model.version if arg is Purpose.PUBLIC_RELEASE else None))
                elif kind == "withdraw":
                    purposes = list(Purpose) if arg is None else [arg]
                    consent.withdraw(studio, actor, "MC Nord",
                                     arg if isinstance(arg, Purpose) else None)
                    order = model.tick()
                    for p in purposes:
                        model.consents.setdefault(p, []).append((order, False, None))
                    if arg is None:
                        # "keep" went too: the takes are erased, the song is silent from now on
                        break
                elif kind == "edit":
                    edits += 1
                    if arg == "lyrics":
                        people.set_lyrics(studio, actor, song, f"verse {edits}")
                    else:
                        track = studio.catalog.tracks(song.id)[0]
                        studio.catalog.write(lambda conn, t=track.id, e=edits: conn.execute(
                            "UPDATE clips SET gain_db = ? WHERE track_id = ?", (-e / 10, t)))
                    model.version += 1
                elif kind == "submit":
                    review.submit(studio, actor, song)
                    if not model.reviews.get(model.version):
                        model.reviews[model.version] = [(model.tick(), "submitted")]
                elif kind == "decide":
                    assert isinstance(arg, ReviewDecision)
                    decisions = model.reviews.get(model.version, [])
                    waiting = bool(decisions) and max(decisions)[1] == "submitted"
                    try:
                        review.decide_review(studio, actor, song, arg, note="a note")
                        assert waiting
                        decisions.append((model.tick(), arg.value))
                    except StudioError:
                        assert not waiting
                else:
                    assert isinstance(arg, ExportPurpose)
                    requests += 1
                    expected = model.allowed(arg, who)
                    out = Path(tmp) / f"out-{requests}.wav"
                    try:
                        export_song(studio, actor, song, arg, "wav", out)
                        got = True
                        exported += 1
                    except Refused:
                        got = False
                    event(f"{arg.value} {'allowed' if expected else 'refused'}")
                    assert got == expected, (kind, arg, who, model)
                    assert out.exists() == expected
                # after every step, the gate's answer for each purpose and role
                for purpose in ExportPurpose:
                    for role in ("leader", "therapist", "admin"):
                        decided = ask_gate(studio, actors[role], song, purpose)
                        requests += 1
                        assert decided.allowed == model.allowed(purpose, role), (
                            purpose, role, decided.say("en"), model)
                        if decided.allowed:
                            event(f"asked: {purpose.value} allowed for {role}")
            gate_entries = studio.catalog.read(lambda conn: [
                e for e in audit_log.entries(conn) if e.action.startswith("gate.")])
            # one entry per decision; an export that is allowed asks twice (before rendering,
            # and again before the file is kept)
            assert len(gate_entries) == requests + exported
            assert audit.verify(studio).ok
        finally:
            world.close()


def test_withdrawal_blocks_the_very_next_request(tmp_path: Path) -> None:
    world = make_world(tmp_path, aliases=("MC Nord",))
    studio, song = world.studio, world.songs[0]
    consent.grant(studio, world.leader, "MC Nord", Purpose.MEMBER_COPY, witness="Thea")
    export_song(studio, world.leader, song, ExportPurpose.MEMBER_COPY, "flac",
                tmp_path / "copy.flac")
    consent.withdraw(studio, world.leader, "MC Nord", Purpose.MEMBER_COPY)
    try:
        export_song(studio, world.leader, song, ExportPurpose.MEMBER_COPY, "flac",
                    tmp_path / "again.flac")
        raise AssertionError("exported after withdrawal")
    except Refused as refusal:
        assert "withdrawn" in refusal.say("en")
    assert not (tmp_path / "again.flac").exists()
    world.close()
