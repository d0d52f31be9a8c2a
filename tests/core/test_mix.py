"""The mix settings model: defaults, JSON both ways, checking, and who is heard (mute/solo)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studio.core.i18n import StudioError
from studio.core.mix import (
    DEFAULT_BUS_PRESETS,
    BusMix,
    SongMix,
    TrackMix,
    audible,
    bus_name,
)


def test_defaults_are_a_plain_track_and_the_default_buses() -> None:
    mix = TrackMix()
    assert (mix.gain_db, mix.pan, mix.mute, mix.solo, mix.preset) == (0.0, 0.0, False, False,
                                                                       None)
    assert (mix.send_reverb, mix.send_delay) == (0.0, 0.0)
    assert mix.gain == 1.0
    song = SongMix()
    assert {b: song.buses[b].preset for b in song.buses} == dict(DEFAULT_BUS_PRESETS)
    assert song.buses["reverb"] == BusMix("bus-reverb")


def test_gain_is_decibels() -> None:
    assert TrackMix(gain_db=-6.0).gain == pytest.approx(0.501187, rel=1e-5)
    assert TrackMix(gain_db=12.0).gain == pytest.approx(3.981072, rel=1e-5)


def test_extra_json_holds_only_what_differs_from_the_default() -> None:
    assert TrackMix().extra_json() == {}
    assert TrackMix(gain_db=-3, pan=0.5, mute=True).extra_json() == {}  # they have columns
    mix = TrackMix(solo=True, preset="vocal-warm", send_reverb=0.25)
    assert mix.extra_json() == {"solo": True, "preset": "vocal-warm", "send_reverb": 0.25}
    back = TrackMix.from_columns(-3.0, 0.5, True, json.loads(json.dumps(mix.extra_json())))
    assert back == TrackMix(gain_db=-3, pan=0.5, mute=True, solo=True, preset="vocal-warm",
                            send_reverb=0.25)


def test_negative_zero_is_zero() -> None:
    assert json.dumps(TrackMix(pan=-0.0).to_json()) == json.dumps(TrackMix().to_json())


def test_song_mix_round_trip() -> None:
    song = SongMix({"vokal": TrackMix(gain_db=-2.5, send_delay=0.4, preset="vocal-rap"),
                    "beat": TrackMix(pan=-0.3, solo=True)},
                   {"reverb": BusMix("bus-reverb-hall", gain_db=-4.0)})
    data = json.loads(json.dumps(song.to_json()))
    assert [t["name"] for t in data["tracks"]] == ["vokal", "beat"]
    assert data["buses"]["delay"] == {"preset": "bus-delay", "gain_db": 0.0, "mute": False}
    assert SongMix.from_json(data) == song


@given(gain=st.floats(-60, 12), pan=st.floats(-1, 1), mute=st.booleans(), solo=st.booleans(),
       reverb=st.floats(0, 1), delay=st.floats(0, 1),
       preset=st.one_of(st.none(), st.sampled_from(["vocal-warm", "lo-fi", "a_b.c"])))
def test_any_valid_track_mix_survives_json(gain: float, pan: float, mute: bool, solo: bool,
                                           reverb: float, delay: float,
                                           preset: str | None) -> None:
    mix = TrackMix(gain, pan, mute, solo, preset, reverb, delay)
    assert TrackMix.from_json(json.loads(json.dumps(mix.to_json()))) == mix
    assert TrackMix.from_columns(mix.gain_db, mix.pan, mix.mute,
                                 json.loads(json.dumps(mix.extra_json()))) == mix


@pytest.mark.parametrize(
    ("changes", "en_words", "nb_words"),
    [
        ({"gain_db": 13.0}, "'gain_db' must be between -60 and 12, but it is 13",
         "mellom -60 og 12, men er 13"),
        ({"gain_db": -100.0}, "between -60 and 12", "mellom -60 og 12"),
        ({"pan": 1.5}, "'pan' must be between -1 and 1", "«pan» må være mellom -1 og 1"),
        ({"pan": math.nan}, "'pan' must be an ordinary number", "vanlig tall"),
        ({"gain_db": math.inf}, "ordinary number", "vanlig tall"),
        ({"send_reverb": 1.2}, "'send_reverb' must be between 0 and 1", "mellom 0 og 1"),
        ({"send_delay": -0.1}, "'send_delay' must be between 0 and 1", "mellom 0 og 1"),
        ({"gain_db": "loud"}, "'gain_db' must be a number, not 'loud'", "være et tall"),
        ({"pan": True}, "'pan' must be a number", "være et tall"),
        ({"mute": "yes"}, "'mute' must be true or false", "true eller false"),
        ({"solo": 1}, "'solo' must be true or false", "true eller false"),
        ({"preset": "../etc/passwd"}, "cannot be the name of a sound preset",
         "kan ikke være navnet på et lydoppsett"),
        ({"preset": 7}, "cannot be the name", "kan ikke være navnet"),
    ],
)
def test_bad_values_are_explained(changes: dict[str, Any], en_words: str, nb_words: str) -> None:
    makers: list[Callable[[], object]] = [lambda: TrackMix(**changes),
                                           lambda: TrackMix().with_changes(**changes),
                                           lambda: TrackMix.from_json(changes)]
    for make in makers:
        with pytest.raises(StudioError) as caught:
            make()
        assert en_words in caught.value.say("en"), caught.value.say("en")
        assert nb_words in caught.value.say("nb"), caught.value.say("nb")


def _english(make: Callable[[], object]) -> str:
    with pytest.raises(StudioError) as caught:
        make()
    return caught.value.say("en")


def test_unknown_settings_and_shapes_are_explained() -> None:
    assert "don't know: 'volume'" in _english(lambda: TrackMix.from_json({"volume": 3}))
    # gain_db has its own column, so it is not allowed in the mix JSON
    assert "don't know: 'gain_db'" in _english(
        lambda: TrackMix.from_columns(0.0, 0.0, False, {"gain_db": 3}))
    assert "must be a table" in _english(lambda: TrackMix.from_columns(0.0, 0.0, False, [1]))
    assert "don't know: 'loud'" in _english(lambda: TrackMix().with_changes(loud=True))
    assert "no effect bus called “chorus”" in _english(lambda: bus_name("chorus"))
    assert "two tracks called “a”" in _english(
        lambda: SongMix.from_json({"tracks": [{"name": "a"}, {"name": "a"}]}))
    assert "don't know: 'chorus'" in _english(
        lambda: SongMix.from_json({"buses": {"chorus": {}}}))
    assert "between -60 and 12" in _english(lambda: BusMix("bus-reverb", gain_db=20.0))


def test_bus_json() -> None:
    bus = BusMix("bus-delay-slap", gain_db=-2.0, mute=True)
    assert bus.extra_json("delay") == {"bus": "delay", "preset": "bus-delay-slap"}
    assert BusMix.from_columns(-2.0, True, bus.extra_json("delay"), "delay bus") == bus
    assert BusMix.from_json({}, "reverb") == BusMix("bus-reverb")
    assert BusMix.from_json(bus.to_json(), "delay") == bus


@pytest.mark.parametrize(
    ("settings", "heard"),
    [
        ([{}, {}, {}], [True, True, True]),
        ([{"mute": True}, {}, {}], [False, True, True]),
        ([{"solo": True}, {}, {}], [True, False, False]),
        ([{"solo": True}, {"solo": True}, {"mute": True}], [True, True, False]),
        ([{"solo": True, "mute": True}, {}, {}], [False, False, False]),  # mute wins
        ([{"solo": True, "mute": True}, {"solo": True}, {}], [False, True, False]),
        ([], []),
    ],
)
def test_mute_and_solo(settings: list[dict[str, bool]], heard: list[bool]) -> None:
    mixes = [TrackMix(mute=s.get("mute", False), solo=s.get("solo", False)) for s in settings]
    assert audible(mixes) == heard
    song = SongMix({f"t{i}": m for i, m in enumerate(mixes)})
    assert list(song.audible().values()) == heard
