"""The mix render graph: block-size invariance with real effect chains, the pan law, gain,
mute and solo, post-fader sends to the buses, clip fades, silence, seeking, live changes, and
equality with the plain mixdown when there are no effects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from studio.audio.clip_reader import ClipSource, fade_envelope
from studio.audio.effects import build_board
from studio.audio.mix_graph import (
    MAX_TAIL_SECONDS,
    BusSettings,
    GraphBus,
    GraphTrack,
    MixGraph,
    buses_from_json,
    buses_to_json,
    preset_tail_seconds,
    track_from_json,
    track_to_json,
)
from studio.audio.mixdown import MixTrack, mixdown_blocks
from studio.core.mix import TrackMix
from studio.core.preset import Preset, find_preset, list_presets, parse_preset

SR = 48000
Audio = npt.NDArray[np.float32]


def chain(*effects: str) -> Preset:
    body = "\n".join(f"[[effect]]\n{e}\n" for e in effects)
    return parse_preset(f'name = "t"\nkind = "effect"\n[words]\nnb = "x"\nen = "y"\n{body}',
                        "test.toml")


REVERB_BUS = chain('type = "Reverb"\nroom_size = 0.6\nwet_level = 0.5\ndry_level = 0.0')
DELAY_BUS = chain('type = "Delay"\ndelay_seconds = 0.05\nfeedback = 0.4\nmix = 1.0')
VOCAL = chain('type = "HighpassFilter"\ncutoff_frequency_hz = 90',
              'type = "Compressor"\nthreshold_db = -20\nratio = 4\nattack_ms = 2',
              'type = "PeakFilter"\ncutoff_frequency_hz = 3000\ngain_db = 3\nq = 1',
              'type = "Reverb"\nroom_size = 0.3\nwet_level = 0.1\ndry_level = 0.5')
GUITAR = chain('type = "LowShelfFilter"\ncutoff_frequency_hz = 200\ngain_db = -3',
               'type = "Compressor"\nthreshold_db = -15\nratio = 3',
               'type = "Delay"\ndelay_seconds = 0.03\nfeedback = 0.3\nmix = 0.3')


def write(folder: Path, name: str, audio: Audio) -> Path:
    path = folder / name
    sf.write(path, audio, SR, subtype="FLOAT")
    return path


def noise(frames: int, channels: int, seed: int, level: float = 0.2) -> Audio:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((frames, channels)) * level).astype(np.float32)


@pytest.fixture
def takes(tmp_path: Path) -> dict[str, Path]:
    bursts = noise(SR, 1, 1)
    bursts[SR // 4 : SR // 2] = 0.0  # a pause: compressors and reverbs do something there
    return {"mono": write(tmp_path, "mono.wav", bursts),
            "stereo": write(tmp_path, "stereo.wav", noise(SR, 2, 2, 0.1)),
            "dc": write(tmp_path, "dc.wav", np.full((SR // 2, 1), 0.5, dtype=np.float32))}


def render_in(graph: MixGraph, start: int, frames: int, sizes: Sequence[int]) -> Audio:
    parts, done, i = [], 0, 0
    while done < frames:
        n = min(sizes[i % len(sizes)], frames - done)
        parts.append(graph.render(start + done, n))
        done, i = done + n, i + 1
    return np.concatenate(parts)


def full_mix(takes: dict[str, Path]) -> tuple[list[GraphTrack], BusSettings]:
    tracks = [
        GraphTrack([ClipSource(takes["mono"], 1000, 0, SR - 2000, 0.9, 4800, 9600)],
                   TrackMix(gain_db=-3, pan=0.4, send_reverb=0.3, send_delay=0.2), VOCAL),
        GraphTrack([ClipSource(takes["stereo"], 0, 500, SR // 2),
                    ClipSource(takes["mono"], SR // 3, 0, SR // 2, 0.5)],
                   TrackMix(pan=-0.7, send_delay=0.5), GUITAR),
        GraphTrack([ClipSource(takes["stereo"], SR // 5, 0, SR // 2)], TrackMix(gain_db=2)),
    ]
    return tracks, BusSettings(GraphBus(REVERB_BUS), GraphBus(DELAY_BUS, gain_db=-2))


# --- block size ------------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[64], [65], [512], [4096], [1, 7, 333, 4000, 129, 2]])
def test_block_size_does_not_change_the_mix(takes: dict[str, Path], sizes: list[int]) -> None:
    tracks, buses = full_mix(takes)
    frames = 2 * SR  # past the clips: the tails ring on
    with MixGraph(tracks, buses, SR, max_block=4096) as graph:
        reference = graph.render(0, frames)
    with MixGraph(tracks, buses, SR, max_block=4096) as graph:
        split = render_in(graph, 0, frames, sizes)
    assert np.max(np.abs(reference)) > 0.1
    # IIR filters differ by rounding only (see studio.audio.effects): about -100 dBFS here
    np.testing.assert_allclose(split, reference, atol=2e-5, rtol=0)
    assert np.max(np.abs(reference[int(1.3 * SR):])) > 1e-3  # the tails were rendered too


def test_random_splits_and_block_limits(takes: dict[str, Path]) -> None:
    tracks, buses = full_mix(takes)
    rng = np.random.default_rng(7)
    sizes = [int(s) for s in rng.integers(1, 3000, size=200)]
    with MixGraph(tracks, buses, SR, max_block=8192) as graph:
        reference = graph.render(0, SR)
    with MixGraph(tracks, buses, SR, max_block=1000) as graph:  # requests bigger than a block
        split = render_in(graph, 0, SR, sizes)
    np.testing.assert_allclose(split, reference, atol=2e-5, rtol=0)


def test_threads_give_the_same_samples(takes: dict[str, Path]) -> None:
    tracks, buses = full_mix(takes)
    with MixGraph(tracks, buses, SR, max_block=2048) as graph:
        one = render_in(graph, 0, SR, [2048])
    with MixGraph(tracks, buses, SR, max_block=2048, threads=2) as graph:
        two = render_in(graph, 0, SR, [2048])
    assert np.array_equal(one, two)


# --- the plain mixdown ---------------------------------------------------------------------------


def test_equals_the_plain_mixdown_without_effects(takes: dict[str, Path]) -> None:
    clips_a = [ClipSource(takes["mono"], 100, 50, SR // 2, 0.7, 300, 900)]
    clips_b = [ClipSource(takes["stereo"], 3000, 0, SR // 2)]
    mixes = [TrackMix(gain_db=-4.5, pan=0.25), TrackMix(gain_db=1.0, pan=-1.0)]
    plain = []
    for clips, mix in zip((clips_a, clips_b), mixes, strict=True):
        gain = 10 ** (mix.gain_db / 20)
        left, right = np.cos((mix.pan + 1) * np.pi / 4), np.sin((mix.pan + 1) * np.pi / 4)
        plain.append(MixTrack(clips, gain * left, gain * right))
    expected = np.concatenate(list(mixdown_blocks(plain, 0, SR, block=4096)))
    graph_tracks = [GraphTrack(c, m) for c, m in zip((clips_a, clips_b), mixes, strict=True)]
    with MixGraph(graph_tracks, BusSettings(GraphBus(REVERB_BUS), GraphBus(DELAY_BUS)), SR,
                  max_block=4096) as graph:
        got = render_in(graph, 0, SR, [4096])
    assert np.array_equal(got, expected)  # bit for bit: the buses get nothing, so add nothing


# --- pan law, gain, mute, solo -------------------------------------------------------------------


def one_track(takes: dict[str, Path], mix: TrackMix, name: str = "dc",
              frames: int = 1000) -> Audio:
    clips = [ClipSource(takes[name], 0, 0, SR // 2)]
    with MixGraph([GraphTrack(clips, mix)], samplerate=SR, max_block=1024) as graph:
        return graph.render(0, frames)


@pytest.mark.parametrize("pan", [-1.0, -0.6, -0.25, 0.0, 0.3, 0.75, 1.0])
def test_constant_power_pan(takes: dict[str, Path], pan: float) -> None:
    out = one_track(takes, TrackMix(pan=pan))
    left, right = out[:, 0], out[:, 1]
    np.testing.assert_allclose(left**2 + right**2, 0.25, rtol=1e-5)  # 0.5 DC: power 0.25
    angle = (pan + 1) * np.pi / 4
    np.testing.assert_allclose(left, 0.5 * np.cos(angle), atol=1e-7)
    np.testing.assert_allclose(right, 0.5 * np.sin(angle), atol=1e-7)
    if pan == 0.0:
        np.testing.assert_allclose(left, 0.5 * 10 ** (-3.0103 / 20), rtol=1e-4)  # -3 dB


def test_gain_in_db(takes: dict[str, Path]) -> None:
    flat = one_track(takes, TrackMix())
    np.testing.assert_allclose(one_track(takes, TrackMix(gain_db=-6.0)),
                               flat * 10 ** (-6 / 20), rtol=1e-6)
    np.testing.assert_allclose(one_track(takes, TrackMix(gain_db=12.0)),
                               flat * 10 ** (12 / 20), rtol=1e-6)


def test_mute_and_solo(takes: dict[str, Path]) -> None:
    def mix(settings: list[TrackMix]) -> Audio:
        tracks = [GraphTrack([ClipSource(takes[name], 0, 0, SR // 4)], m)
                  for name, m in zip(("mono", "stereo", "dc"), settings, strict=True)]
        with MixGraph(tracks, samplerate=SR, max_block=2048) as graph:
            return graph.render(0, SR // 4)

    def alone(index: int) -> Audio:
        settings = [TrackMix(mute=True)] * 3
        settings[index] = TrackMix()
        return mix(settings)

    everything = mix([TrackMix()] * 3)
    np.testing.assert_allclose(everything, alone(0) + alone(1) + alone(2), atol=1e-6)
    assert not mix([TrackMix(mute=True)] * 3).any()
    np.testing.assert_array_equal(mix([TrackMix(), TrackMix(solo=True), TrackMix()]), alone(1))
    np.testing.assert_allclose(mix([TrackMix(solo=True), TrackMix(), TrackMix(solo=True)]),
                               alone(0) + alone(2), atol=1e-6)
    # a muted track stays silent even when soloed, and still silences the others
    assert not mix([TrackMix(solo=True, mute=True), TrackMix(), TrackMix()]).any()


def test_an_empty_soloed_track_still_counts(takes: dict[str, Path]) -> None:
    tracks = [GraphTrack([ClipSource(takes["dc"], 0, 0, 100)]), GraphTrack([], TrackMix(solo=True))]
    with MixGraph(tracks, samplerate=SR, max_block=256) as graph:
        assert not graph.render(0, 200).any()


# --- sends and buses -----------------------------------------------------------------------------


def test_sends_are_post_fader(takes: dict[str, Path]) -> None:
    """With a bus that passes its sends through, a send of 0.5 adds half the track again,
    after the track's gain and pan; muting the track mutes its send too."""
    passthrough = BusSettings(GraphBus(None), GraphBus(None, gain_db=-6.0))

    def render(mix: TrackMix) -> Audio:
        clips = [ClipSource(takes["stereo"], 0, 0, SR // 4)]
        with MixGraph([GraphTrack(clips, mix, VOCAL)], passthrough, SR, 4096) as graph:
            return graph.render(0, SR // 4)

    base = TrackMix(gain_db=-5, pan=0.3)
    dry = render(base)
    np.testing.assert_allclose(render(base.with_changes(send_reverb=0.5)), dry * 1.5,
                               atol=1e-6)
    delay_gain = 10 ** (-6 / 20)
    np.testing.assert_allclose(render(base.with_changes(send_delay=1.0)),
                               dry * (1 + delay_gain), atol=1e-6)
    assert not render(base.with_changes(mute=True, send_reverb=1.0, send_delay=1.0)).any()


def test_reverb_bus_adds_a_wet_tail(takes: dict[str, Path]) -> None:
    clips = [ClipSource(takes["mono"], 0, 0, SR // 4)]  # a quarter second of noise

    def render(mix: TrackMix, buses: BusSettings) -> Audio:
        with MixGraph([GraphTrack(clips, mix)], buses, SR, 4096) as graph:
            return render_in(graph, 0, SR, [4096])

    buses = BusSettings(GraphBus(REVERB_BUS), GraphBus(DELAY_BUS))
    dry = render(TrackMix(), buses)
    wet = render(TrackMix(send_reverb=0.5), buses)
    assert not dry[SR // 4 :].any()  # nothing after the clip without a send
    tail = wet[SR // 4 :]
    assert np.sqrt(np.mean(tail[: SR // 4] ** 2)) > 1e-3  # the room rings on after the clip
    added = wet[: SR // 4] - dry[: SR // 4]
    # 100 % wet: what the bus adds is not the dry sound again
    correlation = np.corrcoef(added[:, 0], dry[: SR // 4, 0])[0, 1]
    assert abs(correlation) < 0.2
    muted = render(TrackMix(send_reverb=0.5), BusSettings(GraphBus(REVERB_BUS, mute=True)))
    np.testing.assert_array_equal(muted, dry)


def test_delay_bus_echoes_at_the_delay_time(takes: dict[str, Path]) -> None:
    clips = [ClipSource(takes["dc"], 0, 0, 100)]  # a short click of 0.5
    with MixGraph([GraphTrack(clips, TrackMix(send_delay=1.0))],
                  BusSettings(delay=GraphBus(DELAY_BUS)), SR, 4096) as graph:
        out = graph.render(0, SR // 4)
    delay = round(0.05 * SR)
    left = out[:, 0]
    assert np.allclose(left[:100], 0.5 * np.cos(np.pi / 4), atol=1e-6)
    assert not left[100:delay].any()
    assert left[delay + 50] == pytest.approx(0.5 * np.cos(np.pi / 4), rel=1e-3)
    assert left[2 * delay + 50] == pytest.approx(0.4 * 0.5 * np.cos(np.pi / 4), rel=1e-3)


# --- fades, silence, sources ----------------------------------------------------------------------


def test_clip_fades_and_clip_gain(takes: dict[str, Path]) -> None:
    clip = ClipSource(takes["dc"], 200, 0, 4000, 0.5, 1000, 1500)
    with MixGraph([GraphTrack([clip], TrackMix(pan=-1.0))], samplerate=SR,
                  max_block=512) as graph:
        out = render_in(graph, 0, 5000, [512])
    envelope = fade_envelope(clip, 0, clip.length)
    assert envelope is not None
    expected = 0.5 * 0.5 * envelope[:, 0]
    np.testing.assert_allclose(out[200:4200, 0], expected, atol=1e-7)
    assert not out[:200].any() and not out[4200:].any() and not out[:, 1].any()
    assert out[200, 0] < 0.001 and out[1200:2700, 0] == pytest.approx(0.25)


def test_silence_where_nothing_plays(takes: dict[str, Path]) -> None:
    tracks, buses = full_mix(takes)
    later = [GraphTrack([ClipSource(c.path, c.position + 3 * SR, c.offset, c.length, c.gain,
                                    c.fade_in, c.fade_out) for c in t.source],  # type: ignore[union-attr]
                        t.mix, t.preset) for t in tracks]
    with MixGraph(later, buses, SR, 4096) as graph:
        out = render_in(graph, 0, 3 * SR + 1000, [4096])
    assert not out[: 3 * SR].any()  # effects fed with silence stay silent
    assert out[3 * SR :].any()


class Sine:
    """A source that is not clips (like a beat track will be)."""

    def __init__(self, hz: float) -> None:
        self.hz = hz

    def render(self, out: Audio, song_frame: int) -> None:
        t = np.arange(song_frame, song_frame + len(out)) / SR
        out[:] = (0.1 * np.sin(2 * np.pi * self.hz * t)).astype(np.float32)[:, None]


def test_any_source_with_render_plugs_in() -> None:
    with MixGraph([GraphTrack(Sine(440.0), TrackMix(pan=1.0))], samplerate=SR,
                  max_block=1024) as graph:
        out = render_in(graph, 480, 2000, [300])
    t = np.arange(480, 2480) / SR
    np.testing.assert_allclose(out[:, 1], 0.1 * np.sin(2 * np.pi * 440 * t), atol=1e-6)
    assert np.max(np.abs(out[:, 0])) < 1e-8


# --- jumps and live changes ----------------------------------------------------------------------


def test_a_jump_equals_a_new_graph_started_there(takes: dict[str, Path]) -> None:
    tracks, buses = full_mix(takes)
    with MixGraph(tracks, buses, SR, 2048) as fresh:
        expected = render_in(fresh, 20000, 10000, [2048])
    with MixGraph(tracks, buses, SR, 2048) as graph:
        render_in(graph, 0, 15000, [2048])
        jumped = render_in(graph, 20000, 10000, [2048])  # not where it left off
        graph.seek(20000)
        sought = render_in(graph, 20000, 10000, [512])
    np.testing.assert_allclose(jumped, expected, atol=2e-5, rtol=0)
    np.testing.assert_allclose(sought, expected, atol=2e-5, rtol=0)


def test_live_changes_ramp_without_clicks_and_do_not_depend_on_blocks(
        takes: dict[str, Path]) -> None:
    def play(sizes: list[int]) -> Audio:
        clips = [ClipSource(takes["dc"], 0, 0, SR // 2)]
        with MixGraph([GraphTrack(clips, TrackMix()), GraphTrack(clips, TrackMix(pan=-1))],
                      samplerate=SR, max_block=4096) as graph:
            first = render_in(graph, 0, 3000, sizes)
            graph.set_mix(0, TrackMix(gain_db=-12.0, pan=1.0))
            graph.set_mix(1, TrackMix(pan=-1, mute=True))
            second = render_in(graph, 3000, 3000, sizes)
        return np.concatenate([first, second])

    big, small = play([4096]), play([64, 65])
    np.testing.assert_array_equal(big, small)
    steps = np.abs(np.diff(big, axis=0))
    # the left side falls from 0.854 to 0 over a 10 ms ramp (480 frames), not in one step
    assert steps.max() < 1.01 * 0.854 / 480
    ramp = round(0.01 * SR)
    after = big[3000 + ramp :]
    np.testing.assert_allclose(after[:, 0], 0.0, atol=1e-7)
    np.testing.assert_allclose(after[:, 1], 0.5 * 10 ** (-12 / 20), rtol=1e-5)


def test_a_track_unmuted_later_starts_clean(takes: dict[str, Path]) -> None:
    clips = [ClipSource(takes["mono"], 0, 0, SR // 2)]
    with MixGraph([GraphTrack(clips, TrackMix(mute=True), VOCAL)], samplerate=SR,
                  max_block=1024) as graph:
        assert not render_in(graph, 0, 4096, [1024]).any()
        graph.set_mix(0, TrackMix())
        out = render_in(graph, 4096, 4096, [1024])
    assert out[480:].any()


# --- tails ---------------------------------------------------------------------------------------


def test_tails() -> None:
    assert preset_tail_seconds(None) == 0.0
    assert preset_tail_seconds(chain('type = "Compressor"')) == 0.0
    echo = chain('type = "Delay"\ndelay_seconds = 0.25\nfeedback = 0.5')
    assert preset_tail_seconds(echo) == pytest.approx(0.25 * 10)  # 0.5**10 < 1e-3
    assert 0.5 < preset_tail_seconds(find_preset("vocal-warm")) < 3.0
    assert preset_tail_seconds(chain('type = "Reverb"\nfreeze_mode = 1.0')) == MAX_TAIL_SECONDS
    assert preset_tail_seconds(find_preset("bus-reverb-hall")) > preset_tail_seconds(
        find_preset("bus-reverb"))


def test_tail_frames_and_end(takes: dict[str, Path]) -> None:
    tracks, buses = full_mix(takes)
    with MixGraph(tracks, buses, SR, 1024) as graph:
        assert graph.end_frame() == 1000 + SR - 2000
        expected = preset_tail_seconds(VOCAL) + preset_tail_seconds(REVERB_BUS)
        assert graph.tail_frames() == round(expected * SR)
    with MixGraph([GraphTrack(tracks[2].source)], buses, SR, 1024) as graph:
        assert graph.tail_frames() == 0
        assert graph.end_frame() == SR // 5 + SR // 2


def test_presets_on_buses_can_change_live(takes: dict[str, Path]) -> None:
    clips = [ClipSource(takes["mono"], 0, 0, SR // 4)]
    with MixGraph([GraphTrack(clips, TrackMix(send_reverb=1.0))], samplerate=SR,
                  max_block=1024) as graph:
        dry_bus = graph.render(0, 1024)
        graph.set_bus("reverb", GraphBus(REVERB_BUS))
        graph.set_preset(0, GUITAR)
        assert graph.tracks[0].preset is GUITAR
        wet_bus = graph.render(1024, 1024)
    assert dry_bus.any() and wet_bus.any()



# --- the shipped presets -------------------------------------------------------------------------


def band_noise(samplerate: int, seconds: float = 1.0) -> Audio:
    """Noise in the 300-3000 Hz band where every preset lets sound through, (2, n)."""
    rng = np.random.default_rng(3)
    frames = round(samplerate * seconds)
    spectrum = np.fft.rfft(rng.standard_normal((2, frames)))
    hz = np.fft.rfftfreq(frames, 1 / samplerate)
    spectrum[:, (hz < 300) | (hz > 3000)] = 0
    x = np.fft.irfft(spectrum, frames)
    out: Audio = (0.05 * x / np.sqrt(np.mean(x**2))).astype(np.float32)
    return out


@pytest.mark.parametrize("samplerate", [44100, 48000])
def test_every_shipped_preset_sounds_sane(samplerate: int) -> None:
    x = band_noise(samplerate)
    names = set()
    for preset in list_presets():
        names.add(preset.name)
        y = build_board(preset, samplerate)(x, samplerate)
        assert y.shape == x.shape and np.isfinite(y).all(), preset.name
        half = samplerate // 2
        change = 10 * np.log10(np.mean(y[:, half:] ** 2) / np.mean(x[:, half:] ** 2))
        assert -7.0 < change < 7.0, (preset.name, change)  # about level-matched
        correlation = np.corrcoef(x[0], y[0])[0, 1]
        if preset.name.startswith("bus-"):
            assert abs(correlation) < 0.1, preset.name  # 100 % wet: no dry sound
            silence = np.zeros((2, samplerate), dtype=np.float32)
            board = build_board(preset, samplerate)
            board(x, samplerate, reset=False)
            ring = board(silence, samplerate, reset=False)
            assert np.sqrt(np.mean(ring[:, : samplerate // 10] ** 2)) > 1e-3, preset.name
        else:
            assert correlation > 0.2, preset.name  # the sound itself is still there
    assert {"guitar", "keys", "bass", "beat-bus", "lo-fi", "radio", "telephone", "big-room",
            "bus-reverb", "bus-delay"} <= names


def test_telephone_keeps_only_the_middle() -> None:
    preset = find_preset("telephone")

    def level(hz: float) -> float:
        """dB of the tone itself (its FFT bin) after the preset; distortion adds overtones."""
        t = np.arange(SR) / SR
        tone = np.tile((0.05 * np.sin(2 * np.pi * hz * t)).astype(np.float32), (2, 1))
        y = build_board(preset, SR)(tone, SR)[0, SR // 2 :]  # 0.5 s: bins every 2 Hz
        spectrum = np.abs(np.fft.rfft(y))
        return float(20 * np.log10(spectrum[round(hz / 2)]))

    middle = level(1000.0)
    assert level(100.0) < middle - 30 and level(8000.0) < middle - 30


def test_a_graph_travels_as_plain_data(takes: dict[str, Path]) -> None:
    """What the disk worker receives: the same tracks, presets and buses."""
    tracks, buses = full_mix(takes)
    data = json.loads(json.dumps({"tracks": [track_to_json(t) for t in tracks],
                                  "buses": buses_to_json(buses)}))
    again = [track_from_json(t, SR) for t in data["tracks"]]
    assert again == tracks and buses_from_json(data["buses"]) == buses
    with pytest.raises(TypeError):
        track_to_json(GraphTrack(Sine(1.0)))
