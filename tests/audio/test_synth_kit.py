"""The built-in synthesised kit and the sub bass: they sound like drums, not test tones.

Each check is a number a listener would notice: where the pitch is, how long a sound rings,
where its energy sits, whether it starts on its frame and ends in silence.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from studio.audio.beat.kit import KitVoice
from studio.audio.beat.sub_bass import SubBass, plan_notes
from studio.audio.beat.synth_kit import VOICE_PEAKS, synth_kit, synth_voice
from studio.core.beat import VOICES
from studio.core.beat_timeline import BassEvent

SR = 48000
Signal = npt.NDArray[np.float64]


def spectrum_peak(x: Signal, rate: int = SR, low: float = 20.0, high: float = 20000.0) -> float:
    size = 1 << 18
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x)), size))
    freqs = np.fft.rfftfreq(size, 1 / rate)
    band = (freqs >= low) & (freqs <= high)
    return float(freqs[band][np.argmax(mag[band])])


def centroid(x: Signal, rate: int = SR) -> float:
    mag = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    return float(np.sum(freqs * mag) / np.sum(mag))


def ring_time(x: Signal, down_db: float, rate: int = SR) -> float:
    """Seconds until the 5 ms RMS envelope stays more than ``down_db`` below its peak."""
    w = rate // 200
    n = len(x) // w
    env = np.sqrt(np.mean(x[: n * w].reshape(n, w) ** 2, axis=1))
    above = np.nonzero(env > env.max() * 10 ** (-down_db / 20))[0]
    return float((above[-1] + 1) * w / rate)


def voice(name: str) -> Signal:
    return synth_voice(name, SR)


def test_the_kit_has_every_voice_as_a_stereo_one_shot() -> None:
    kit = synth_kit(SR)
    assert set(kit.voices) == set(VOICES)
    for name, kv in kit.voices.items():
        (layer,) = kv.layers
        sound = layer.sound
        assert sound.dtype == np.float32 and sound.ndim == 2 and sound.shape[1] == 2
        assert not sound.flags.writeable
        assert np.all(np.isfinite(sound))
        assert np.array_equal(sound[:, 0], sound[:, 1])
        assert abs(float(np.max(np.abs(sound))) - VOICE_PEAKS[name]) < 1e-6
        assert np.all(sound[-1] == 0.0), name  # ends in silence
        assert np.max(np.abs(sound[:8])) > 0.0, name  # starts on its first frames


def test_the_kit_is_made_once_per_rate_and_is_the_same_every_time() -> None:
    assert synth_kit(SR) is synth_kit(SR)
    assert synth_kit(44100) is not synth_kit(SR)
    for name in VOICES:
        assert np.array_equal(synth_voice(name, SR), synth_voice(name, SR)), name


def test_chokes_hats_together_and_kick_retriggers() -> None:
    kit = synth_kit(SR)
    assert {v for v, kv in kit.voices.items() if kv.choke == "hats"} == {
        "hat_closed", "hat_pedal", "hat_open"}
    assert kit.voices["kick"].choke == "kick"
    assert kit.voices["snare"].choke is None and kit.voices["crash"].choke is None


def test_808_kick_pitch_sweep_and_decay() -> None:
    kick = voice("kick")
    tail = kick[int(0.15 * SR): int(0.6 * SR)]  # after the pitch sweep: the set pitch
    assert spectrum_peak(tail) == pytest.approx(50.0, abs=2.0)
    attack = kick[: int(0.012 * SR)]  # the first milliseconds are much higher (the "punch")
    zero_crossings = np.count_nonzero(np.diff(np.sign(attack)) != 0)
    assert zero_crossings / 2 / 0.012 > 90
    assert 0.6 <= ring_time(kick, 60) <= 1.0  # decay 0.8 s to -60 dB
    higher = synth_voice("kick", SR, kick_pitch_hz=65.0)
    assert spectrum_peak(higher[int(0.15 * SR): int(0.6 * SR)]) == pytest.approx(65.0, abs=2.0)
    short = synth_voice("kick", SR, kick_decay_s=0.3)
    assert ring_time(short, 60) < 0.4
    # the soft saturation adds a third harmonic, so small speakers hear it
    body = kick[int(0.05 * SR): int(0.3 * SR)]
    mag = np.abs(np.fft.rfft(body * np.hanning(len(body)), 1 << 18))
    freqs = np.fft.rfftfreq(1 << 18, 1 / SR)
    third = mag[np.abs(freqs - 150) < 4].max() / mag[np.abs(freqs - 50) < 4].max()
    assert 0.01 < third < 0.5


def test_snare_has_a_body_and_a_rattle() -> None:
    snare = voice("snare")[: int(0.1 * SR)]
    mag = np.abs(np.fft.rfft(snare)) ** 2
    freqs = np.fft.rfftfreq(len(snare), 1 / SR)
    body = mag[(freqs > 150) & (freqs < 400)].sum()
    rattle = mag[(freqs > 2000) & (freqs < 10000)].sum()
    assert body > 0.1 * rattle and rattle > 0.1 * body
    assert spectrum_peak(snare, low=100, high=400) == pytest.approx(185, abs=15)
    assert 0.2 <= ring_time(voice("snare"), 60) <= 0.5


def test_clap_is_several_quick_bursts_then_a_tail() -> None:
    clap = voice("clap")
    w = SR // 2000  # 0.5 ms
    env = np.sqrt(np.mean(clap[: 40 * w * 2].reshape(-1, w) ** 2, axis=1))
    peaks = [i for i in range(1, len(env) - 1)
             if env[i] >= env[i - 1] and env[i] > env[i + 1] and env[i] > 0.3 * env.max()]
    assert len(peaks) >= 3
    assert 1000 < centroid(clap) < 6000
    assert 0.2 <= ring_time(clap, 60) <= 0.45


@pytest.mark.parametrize(("name", "low", "high"), [
    ("hat_pedal", 0.04, 0.1), ("hat_closed", 0.08, 0.16), ("hat_open", 0.45, 0.8)])
def test_hats_are_bright_and_ring_as_long_as_they_should(name: str, low: float,
                                                           high: float) -> None:
    hat = voice(name)
    assert centroid(hat) > 6000
    assert low <= ring_time(hat, 60) <= high


def test_toms_are_tuned_low_to_high() -> None:
    pitches = [spectrum_peak(voice(name)[int(0.08 * SR):], high=400)
               for name in ("tom_low", "tom_mid", "tom_high")]
    assert pitches == pytest.approx([98, 140, 196], abs=6)


def test_cowbell_is_two_detuned_squares() -> None:
    bell = voice("cowbell")[: int(0.2 * SR)]
    mag = np.abs(np.fft.rfft(bell * np.hanning(len(bell)), 1 << 17))
    freqs = np.fft.rfftfreq(1 << 17, 1 / SR)
    for pitch in (587.0, 845.0):
        near = mag[np.abs(freqs - pitch) < 5].max()
        assert near > 0.2 * mag.max()


def test_cymbals_ring_long_and_shaker_starts_softly() -> None:
    assert ring_time(voice("crash"), 60) > 1.5 and centroid(voice("crash")) > 4000
    assert ring_time(voice("ride"), 60) > 1.0
    shaker = voice("shaker")
    assert np.argmax(np.abs(shaker)) > 0.005 * SR  # not a click: it swells in
    assert centroid(shaker) > 6000
    rim = voice("rim")
    assert len(rim) < 0.1 * SR and centroid(rim) > 500


def test_other_sample_rates() -> None:
    for rate in (22050, 44100, 96000):
        kit = synth_kit(rate)
        crash = kit.voices["crash"].layers[0].sound
        assert abs(len(crash) / rate - len(synth_voice("crash", SR)) / SR) < 0.05
        kick = kit.voices["kick"].layers[0].sound[:, 0].astype(np.float64)
        tail = kick[int(0.15 * rate): int(0.6 * rate)]
        assert spectrum_peak(tail, rate) == pytest.approx(50.0, abs=2.0)


def test_velocity_layers_are_chosen_by_range_in_any_order() -> None:
    from studio.audio.beat.kit import Layer

    sound = synth_kit(SR).voices["rim"].layers[0].sound
    soft, mid, hard = Layer(sound, 1, 40), Layer(sound, 35, 90), Layer(sound, 91, 127)
    kv = KitVoice(layers=(soft, mid, hard))
    assert kv.layer_for(20) is soft and kv.layer_for(38) is mid and kv.layer_for(127) is hard
    gap = KitVoice(layers=(Layer(sound, 10, 20), Layer(sound, 100, 127)))
    assert gap.layer_for(1) is gap.layers[0] and gap.layer_for(90) is gap.layers[1]
    assert kv.velocity_gain(127) == 1.0 and KitVoice((soft,)).velocity_gain(64) == pytest.approx(
        (64 / 127) ** 2)


# --- the sub bass ------------------------------------------------------------------------------


def render_bass(events: list[BassEvent], frames: int, sound: SubBass | None = None) -> Signal:
    sub = sound or SubBass()
    out = np.zeros(frames)
    for note in plan_notes(events, SR, sub):
        stop = min(note.stop, frames)
        out[note.start:stop] += sub.render_note(note, note.start, stop, SR)
    return out


def test_sub_bass_plays_the_pitch_with_a_little_drive() -> None:
    out = render_bass([BassEvent(0, SR, 29, 127, False, 1.0)], 2 * SR)  # F1, 43.65 Hz
    body = out[int(0.1 * SR): int(0.9 * SR)]
    assert spectrum_peak(body) == pytest.approx(43.65, abs=1.0)
    assert abs(out[0]) < 0.05  # starts from zero phase under a short attack
    assert 0.7 < np.max(np.abs(out)) <= 0.8 + 1e-9
    assert np.max(np.abs(out[SR + round(0.07 * SR):])) == 0.0  # released after its length
    mag = np.abs(np.fft.rfft(body * np.hanning(len(body)), 1 << 18))
    freqs = np.fft.rfftfreq(1 << 18, 1 / SR)
    third = mag[np.abs(freqs - 3 * 43.65) < 2].max() / mag[np.abs(freqs - 43.65) < 2].max()
    assert 0.02 < third < 0.3


def test_legato_glide_slides_without_a_click() -> None:
    events = [BassEvent(0, SR // 2, 29, 110, False, 1.0),  # F1, held into the next
              BassEvent(SR // 2, SR // 2, 36, 110, True, 1.0)]  # slides up to C2
    out = render_bass(events, 2 * SR)
    # no jump at the join: the biggest step between samples is what a smooth sine makes
    assert np.max(np.abs(np.diff(out))) < 2 * np.pi * 80 / SR * 0.8 * 1.5
    start = SR // 2 + round(0.2 * SR)
    assert spectrum_peak(out[start:start + SR // 4]) == pytest.approx(65.4, abs=2.0)
    notes = plan_notes(events, SR, SubBass())
    assert notes[1].head == 0 and notes[0].stop == SR // 2  # one sound, not two
    assert notes[1].from_pitch == 29 and notes[1].glide_frames == round(0.09 * SR)


def test_a_new_note_cuts_the_old_one_quickly() -> None:
    events = [BassEvent(0, SR, 29, 127, False, 1.0), BassEvent(SR // 4, SR, 31, 127, False, 1.0)]
    first, second = plan_notes(events, SR, SubBass())
    assert first.cut_at == SR // 4 and first.stop == SR // 4 + round(0.004 * SR)
    assert second.head == SR // 4 and second.phase0 == 0.0
    same_frame = plan_notes([BassEvent(0, SR, 29, 127, False, 1.0),
                             BassEvent(0, SR, 40, 127, False, 1.0)], SR, SubBass())
    assert len(same_frame) == 1 and same_frame[0].to_pitch == 40
