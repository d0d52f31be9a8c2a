"""The beat renderer: same samples whatever the blocks, and a beat that sounds as written."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.beat.kit import Kit, KitVoice, Layer, stereo
from studio.audio.beat.render import CHOKE_FADE_S, BeatRenderer, soft_clip
from studio.audio.beat.sample_kit import load_sample_kit
from studio.audio.beat.synth_kit import synth_kit
from studio.core.beat import (
    VOICES,
    BassLine,
    BassNote,
    Beat,
    Pattern,
    Section,
    VoiceLane,
    parse_beat,
)
from studio.core.i18n import Words

REPO = Path(__file__).resolve().parents[2]
STARTERS = sorted((REPO / "presets" / "beats").glob("*.toml"))
TINY_KIT = REPO / "tests" / "data" / "kits" / "tiny"
SR = 48000
Audio = npt.NDArray[np.float32]


def lane(text: str, level: float = 1.0, pan: float = 0.0) -> VoiceLane:
    chars = {".": 0, "x": 100, "X": 127, "o": 40}
    return VoiceLane(tuple(chars[c] for c in text if c != " "), level, pan)


def busy_beat() -> Beat:
    """Swing, a tempo change, hats that choke, velocity layers, glides and overlapping tails."""
    a = Pattern("a", 16, 4, 0.3, {
        "kick": lane("X... ..x. x... ...."),
        "snare": lane(".... X... .... o..x"),
        "clap": lane(".... x... .... x...", 0.7, -0.4),
        "hat_closed": lane("x.x. x.x. x.x. xx.x", 0.8, 0.5),
        "hat_open": lane("...x ...x ..x. ..x."),
        "crash": lane("x... .... .... ....", 0.6, -0.8),
    }, BassLine((BassNote(0, 29, 6), BassNote(6, 36, 4, 110, True), BassNote(10, 31, 3, 90),
                 BassNote(13, 34, 3, 100, True))))
    b = Pattern("b", 12, 3, 0.0, {
        "kick": lane("x.. ... x.. ..x"),
        "rim": lane("... x.. ... x.."),
        "ride": lane("x.x x.x x.x x.x", 0.5, 0.7),
        "hat_pedal": lane("... x.. ... x.."),
    }, BassLine((BassNote(0, 24, 12, 127),)))
    return Beat("busy", "test", Words("t", "t"), 97.0, (a, b),
                (Section("verse", 2, "a"), Section("hook", 2, "b", tempo=131.0),
                 Section("outro", 1, "a")))


def in_blocks(renderer: BeatRenderer, start: int, sizes: list[int]) -> Audio:
    parts, at = [], start
    for size in sizes:
        parts.append(renderer.render(at, size))
        at += size
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def tiny_kit() -> Kit:
    return load_sample_kit(TINY_KIT, SR)


@pytest.mark.parametrize("kit_name", ["synth", "tiny"])
def test_any_block_sizes_give_the_same_samples(kit_name: str, tiny_kit: Kit) -> None:
    kit = synth_kit(SR) if kit_name == "synth" else tiny_kit
    renderer = BeatRenderer(busy_beat(), kit)
    start, total = 12345, renderer.total_frames - 12345 + SR // 3  # runs past the last tail
    whole = renderer.render(start, total)
    assert whole.shape == (total, 2) and whole.dtype == np.float32
    assert np.max(np.abs(whole)) > 0.1
    rng = np.random.default_rng(7)
    random_sizes: list[int] = []
    while sum(random_sizes) < total:
        random_sizes.append(int(rng.integers(1, 5000)))
    for sizes in ([64], [65], [512], [4096], random_sizes):
        if len(sizes) == 1:
            sizes = [sizes[0]] * (total // sizes[0]) + [total % sizes[0]]
        else:
            sizes[-1] -= sum(sizes) - total
        got = in_blocks(renderer, start, sizes)
        assert np.array_equal(got, whole), f"blocks of {sizes[0]}: {np.abs(got - whole).max()}"


def test_a_render_does_not_depend_on_what_was_rendered_before() -> None:
    renderer = BeatRenderer(busy_beat(), synth_kit(SR))
    later = renderer.render(3 * SR, 4096)
    renderer.render(0, 10 * SR)
    renderer.render(5 * SR, 17)
    assert np.array_equal(renderer.render(3 * SR, 4096), later)
    fresh = BeatRenderer(busy_beat(), synth_kit(SR))
    assert np.array_equal(fresh.render(3 * SR, 4096), later)


def one_hit_kit(sound: npt.NDArray[np.float64], **voices: str | None) -> Kit:
    layer = Layer(stereo(sound))
    return Kit("one", SR, {v: KitVoice((layer,), choke=group) for v, group in voices.items()})


def one_bar(voices: dict[str, VoiceLane], tempo: float = 120.0, bars: int = 1) -> Beat:
    return Beat("one", "t", Words("t", "t"), tempo, (Pattern("p", 16, 4, 0.0, voices),),
                (Section("verse", bars, "p"),))


def test_a_hit_starts_on_its_frame_and_its_tail_crosses_blocks() -> None:
    ring = np.ones(3 * SR)
    kit = one_hit_kit(ring, crash="")
    renderer = BeatRenderer(one_bar({"crash": lane("x... .... .... ....")}), kit, level=1.0)
    assert renderer.length_frames == 2 * SR and renderer.total_frames == 3 * SR
    out = renderer.render(-10, 20)
    assert np.all(out[:10] == 0) and np.all(out[10:] > 0)
    tail = renderer.render(2 * SR + 100, SR)  # after the song's end: the crash still rings
    assert np.all(tail[: SR - 100] > 0) and np.all(tail[SR - 100:] == 0)


def test_constant_power_pan_and_level() -> None:
    kit = one_hit_kit(np.full(100, 0.5), rim=None)
    for pan, left, right in ((0.0, math.sqrt(0.5), math.sqrt(0.5)), (-1.0, 1.0, 0.0),
                             (1.0, 0.0, 1.0), (0.5, math.cos(3 * math.pi / 8),
                                               math.sin(3 * math.pi / 8))):
        beat = one_bar({"rim": lane("X... .... .... ....", 0.5, pan)})
        out = BeatRenderer(beat, kit, level=1.0).render(0, 50)
        assert out[10, 0] == pytest.approx(0.5 * 0.5 * left, abs=1e-7)
        assert out[10, 1] == pytest.approx(0.5 * 0.5 * right, abs=1e-7)
        power = float(out[10, 0]) ** 2 + float(out[10, 1]) ** 2
        assert power == pytest.approx(0.25**2, rel=1e-5)  # the same power wherever it is


def test_velocity_shapes_loudness_on_a_single_layer() -> None:
    kit = one_hit_kit(np.full(100, 1.0), rim=None)
    loud = BeatRenderer(one_bar({"rim": VoiceLane((127,) + (0,) * 15)}), kit, level=1.0)
    soft = BeatRenderer(one_bar({"rim": VoiceLane((64,) + (0,) * 15)}), kit, level=1.0)
    ratio = soft.render(0, 10)[5, 0] / loud.render(0, 10)[5, 0]
    assert ratio == pytest.approx((64 / 127) ** 2, rel=1e-5)


def test_closed_hat_chokes_the_open_one() -> None:
    kit = one_hit_kit(np.full(SR, 0.3), hat_open="hats", hat_closed="hats")
    only_open = BeatRenderer(one_bar({"hat_open": lane("x... .... .... ....")}), kit)
    closed_alone = BeatRenderer(one_bar({"hat_closed": lane("..x. .... .... ....")}), kit)
    both = BeatRenderer(one_bar({"hat_open": lane("x... .... .... ...."),
                                 "hat_closed": lane("..x. .... .... ....")}), kit)
    closed_at = 2 * (SR // 8)  # two sixteenths at 120 BPM
    after = closed_at + round(CHOKE_FADE_S * SR)
    out = both.render(0, SR)
    assert np.array_equal(out[:closed_at], only_open.render(0, closed_at))
    # after the fade only the closed hat sounds (both sounds last a second here)
    assert np.array_equal(out[after:], closed_alone.render(after, SR - after))
    fading = out[closed_at:after] - closed_alone.render(closed_at, after - closed_at)
    assert np.all(np.diff(fading[:, 0]) < 0) and fading[0, 0] > 0.05  # a fade, not a stop


def test_velocity_layers_of_a_sample_kit(tiny_kit: Kit) -> None:
    def snare_at(velocity: int) -> float:
        beat = one_bar({"snare": VoiceLane((velocity,) + (0,) * 15)})
        out = BeatRenderer(beat, tiny_kit).render(0, 2400)[:, 0].astype(np.float64)
        mag = np.abs(np.fft.rfft(out, 1 << 16))
        return float(np.fft.rfftfreq(1 << 16, 1 / SR)[np.argmax(mag)])

    assert snare_at(60) == pytest.approx(300, abs=15)
    assert snare_at(120) == pytest.approx(1200, abs=15)


def test_missing_voices_use_a_near_one_or_stay_silent(tiny_kit: Kit) -> None:
    beat = one_bar({"hat_pedal": lane("x... .... .... ...."),
                    "cowbell": lane("x... .... .... ....")})
    renderer = BeatRenderer(beat, tiny_kit)
    assert renderer.substitutes == {"hat_pedal": "hat_closed"}
    assert renderer.silent_voices == ["cowbell"]
    assert np.max(np.abs(renderer.render(0, 1000))) > 0


def test_the_bass_line_plays_with_glides_and_rests() -> None:
    beat = busy_beat()
    with_bass = BeatRenderer(beat, synth_kit(SR)).render(0, 4 * SR)
    no_bass = BeatRenderer(beat.with_muted("bass"), synth_kit(SR)).render(0, 4 * SR)
    bass = (with_bass - no_bass)[:, 0].astype(np.float64)
    assert np.max(np.abs(bass)) > 0.1
    assert np.max(np.abs(np.diff(bass))) < 0.02  # a smooth sub, no clicks at the slides


def test_pattern_loop_needs_an_end_and_defaults_to_four_bars() -> None:
    renderer = BeatRenderer(busy_beat(), synth_kit(SR), pattern="b")
    assert renderer.length_frames == round(16 * SR * 60 / 97.0)


def test_soft_clip_is_gentle_and_never_passes_full_scale() -> None:
    x = np.linspace(-5, 5, 10001)
    y = soft_clip(x.copy())
    assert np.all(np.abs(y) <= 1.0) and np.all(np.diff(y) >= 0)
    small = np.abs(x) <= 0.9
    assert np.array_equal(y[small], x[small])


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.stem)
def test_every_starter_beat_renders_loud_enough_long_enough_and_every_voice_sounds(
        path: Path) -> None:
    rate = 22050  # a quick listen
    beat = parse_beat(path.read_text(encoding="utf-8"), str(path))
    kit = synth_kit(rate)
    renderer = BeatRenderer(beat, kit)
    audio = renderer.render(0, renderer.total_frames)
    seconds = len(audio) / rate
    assert beat.seconds <= seconds <= beat.seconds + 3.0
    peak = 20 * math.log10(float(np.max(np.abs(audio))))
    rms = 20 * math.log10(float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))))
    assert -9.0 < peak < -0.5, peak
    assert -26.0 < rms < -10.0, rms
    # no long silence inside the song
    second = rate
    loudness = [np.max(np.abs(audio[i:i + second]))
                for i in range(0, renderer.length_frames - second + 1, second)]
    assert min(loudness) > 0.01
    used = sorted({v for p in beat.patterns for v, lane_ in p.voices.items()
                   if any(lane_.velocities) and not lane_.mute})
    for voice in [*used, "bass"]:
        without = BeatRenderer(beat.with_muted(voice), kit).render(0, renderer.total_frames)
        difference = float(np.max(np.abs(audio - without)))
        assert difference > 0.01, f"{voice} is not heard in {beat.name}"
    assert set(used) <= set(VOICES)
