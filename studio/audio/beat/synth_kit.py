"""The built-in drum kit, synthesised with numpy so nothing needs downloading.

Each voice is made once per sample rate (and kick setting) and kept (:func:`synth_kit` caches
it); noise comes from fixed seeds, so the kit is the same every time. The recipes follow the
Roland TR-808 where it has the voice:

- kick: a sine that drops from about 3.5× to 1× its pitch in a few tens of milliseconds, a
  short beater click, an exponential decay set by ``decay`` (time to fall 60 dB) and soft
  saturation (tanh) that adds harmonics so it is heard on small speakers;
- snare: two damped tones (185 and 330 Hz) and band-passed noise with a snappy two-stage decay;
- clap: band-passed noise in three quick bursts and a short diffuse tail;
- hi-hats: six square oscillators at the 808's inharmonic pitches, ring-modulated in pairs,
  band-passed high (the closed, pedal and open hats differ in decay and band; the open hat is
  choked by the other two through the ``hats`` choke group);
- toms: sines with a small pitch drop; rim: two short high tones and a click; cowbell: two
  detuned squares (587 and 845 Hz) band-passed; crash and ride: the metallic source with noise
  and long decays; shaker: high band-passed noise with a soft attack.

Square waves are made at four times the sample rate and filtered before decimation, so they do
not alias. Filters are applied in the frequency domain to stationary sources before their
envelopes, so nothing rings before a hit. Every sound starts at its first frame, ends in silence
(a short fade) and is trimmed once it is 66 dB below its peak.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

from studio.audio.beat.kit import Kit, KitVoice, Layer, stereo

__all__ = ["SYNTH_KIT_NAME", "VOICE_PEAKS", "synth_kit", "synth_voice"]

Signal = npt.NDArray[np.float64]

SYNTH_KIT_NAME = "synth"
_LN1000 = math.log(1000.0)  # an exponential decay with time constant T60/_LN1000 falls 60 dB
_FLOOR_DB = -66.0
_FADE_S = 0.004
_OVERSAMPLE = 4
_HAT_PITCHES = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)  # the 808's six oscillators

# Peak level of each one-shot at full velocity (before the beat's level, pan and velocity).
VOICE_PEAKS: dict[str, float] = {
    "kick": 0.95, "snare": 0.8, "clap": 0.45, "rim": 0.48,
    "hat_closed": 0.42, "hat_pedal": 0.36, "hat_open": 0.4,
    "tom_low": 0.75, "tom_mid": 0.58, "tom_high": 0.42,
    "crash": 0.25, "ride": 0.14, "cowbell": 0.2, "shaker": 0.2,
}
_CHOKES = {"hat_closed": "hats", "hat_pedal": "hats", "hat_open": "hats", "kick": "kick"}
_SEEDS = {voice: 8080 + i for i, voice in enumerate(VOICE_PEAKS)}


# --- building blocks -------------------------------------------------------------------------


def _times(seconds: float, rate: int) -> Signal:
    return np.arange(max(1, round(seconds * rate)), dtype=np.float64) / rate


def _noise(frames: int, seed: int) -> Signal:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, frames)


def _filter(x: Signal, rate: int, highpass: float | None = None, lowpass: float | None = None,
            order: int = 2) -> Signal:
    """Butterworth-shaped magnitude response applied in the frequency domain (zero phase)."""
    size = 1 << max(1, (2 * len(x) - 1).bit_length())
    spectrum = np.fft.rfft(x, size)
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    gain = np.ones_like(freqs)
    nyquist_guard = 0.45 * rate
    if highpass is not None:
        with np.errstate(divide="ignore"):
            ratio = np.where(freqs > 0, highpass / np.maximum(freqs, 1e-9), np.inf)
        gain /= np.sqrt(1.0 + ratio ** (2 * order))
    if lowpass is not None:
        gain /= np.sqrt(1.0 + (freqs / min(lowpass, nyquist_guard)) ** (2 * order))
    return np.fft.irfft(spectrum * gain, size)[: len(x)]


def _decay(t: Signal, t60: float) -> Signal:
    return np.exp(-t * (_LN1000 / t60))


def _attack(t: Signal, seconds: float) -> Signal:
    """A quarter-sine rise to 1 over ``seconds``; the first frame already sounds a little."""
    step = float(t[1] - t[0]) if len(t) > 1 else 1.0
    ramp = np.clip((t + step) / max(seconds, step), 0.0, 1.0)
    return np.sin(0.5 * np.pi * ramp)


def _squares(pitches: tuple[float, ...], seconds: float, rate: int, seed: int) -> list[Signal]:
    """Square waves at ``_OVERSAMPLE`` × ``rate`` with seeded starting phases."""
    t = _times(seconds, rate * _OVERSAMPLE)
    phases = np.random.default_rng(seed).uniform(0.0, 1.0, len(pitches))
    return [np.where(((p * t + ph) % 1.0) < 0.5, 1.0, -1.0)
            for p, ph in zip(pitches, phases, strict=True)]


def _decimate(x: Signal, rate: int, highpass: float, lowpass: float, order: int) -> Signal:
    """Filter an oversampled signal (band of interest and anti-aliasing) and bring it to rate."""
    filtered = _filter(x, rate * _OVERSAMPLE, highpass, min(lowpass, 0.45 * rate), order)
    return filtered[::_OVERSAMPLE]


def _metal(seconds: float, rate: int, seed: int, highpass: float, lowpass: float,
           scale: float = 1.0) -> Signal:
    """The 808 metallic source: six squares, ring-modulated in pairs and mixed with their sum."""
    sq = _squares(tuple(p * scale for p in _HAT_PITCHES), seconds, rate, seed)
    ring = sq[0] * sq[3] + sq[1] * sq[4] + sq[2] * sq[5]
    mix = 0.65 * ring + 0.35 * (sq[0] + sq[1] + sq[2] + sq[3] + sq[4] + sq[5]) / 2.0
    out = _decimate(mix, rate, highpass, lowpass, order=4)
    return out / max(1e-12, float(np.sqrt(np.mean(out**2))))


def _unit_rms(x: Signal) -> Signal:
    return x / max(1e-12, float(np.sqrt(np.mean(x**2))))


def _finish(x: Signal, rate: int, peak: float) -> Signal:
    """Trim below the floor, fade the end to silence and set the peak."""
    top = float(np.max(np.abs(x)))
    if top <= 0:
        return np.zeros(1)
    loud = np.nonzero(np.abs(x) > top * 10 ** (_FLOOR_DB / 20))[0]
    fade = max(2, round(_FADE_S * rate))
    end = min(len(x), int(loud[-1]) + 1 + fade)
    out = x[:end].copy()
    out[-fade:] *= np.linspace(1.0, 0.0, fade)
    return out * (peak / top)


def _saturate(x: Signal, drive: float) -> Signal:
    return np.tanh(drive * x) / math.tanh(drive)


# --- the voices ------------------------------------------------------------------------------


def _kick(rate: int, pitch_hz: float, decay_s: float) -> Signal:
    t = _times(decay_s + 0.1, rate)
    start, sweep = 3.5 * pitch_hz, 0.028
    phase = 2 * np.pi * (pitch_hz * t + (start - pitch_hz) * sweep * (1 - np.exp(-t / sweep)))
    body = np.sin(phase) * _attack(t, 0.0006) * _decay(t, decay_s)
    click = _filter(_noise(len(t), _SEEDS["kick"]), rate, highpass=1500, lowpass=9000)
    click = _unit_rms(click) * np.exp(-t / 0.0018) * 0.12
    return _saturate(body + click, 2.4)


def _snare(rate: int) -> Signal:
    t = _times(0.45, rate)
    drop = 1 + 0.12 * np.exp(-t / 0.012)
    tone = (0.65 * np.sin(2 * np.pi * 185.0 * t * drop) * _decay(t, 0.32)
            + 0.35 * np.sin(2 * np.pi * 330.0 * t * drop) * _decay(t, 0.2))
    noise = _unit_rms(_filter(_noise(len(t), _SEEDS["snare"]), rate, 1000, 10000))
    snap = 0.6 * np.exp(-t / 0.018) + 0.4 * _decay(t, 0.4)
    return (0.7 * tone + 0.45 * noise * snap) * _attack(t, 0.0005)


def _clap(rate: int) -> Signal:
    t = _times(0.4, rate)
    noise = _unit_rms(_filter(_noise(len(t), _SEEDS["clap"]), rate, 900, 5000, order=3))
    env = np.zeros_like(t)
    for start in (0.0, 0.011, 0.022):
        local = t - start
        env += np.where(local >= 0, _attack(np.maximum(local, 0), 0.0004)
                        * np.exp(-np.maximum(local, 0) / 0.0035), 0.0)
    tail = t - 0.031
    env += np.where(tail >= 0, 0.8 * _attack(np.maximum(tail, 0), 0.0008)
                    * _decay(np.maximum(tail, 0), 0.3), 0.0)
    return noise * env


def _rim(rate: int) -> Signal:
    t = _times(0.08, rate)
    tone = (0.7 * np.sin(2 * np.pi * 1700.0 * t) * np.exp(-t / 0.006)
            + 0.5 * np.sin(2 * np.pi * 480.0 * t) * np.exp(-t / 0.011))
    click = _unit_rms(_filter(_noise(len(t), _SEEDS["rim"]), rate, 3000, 12000))
    x = tone + 0.25 * click * np.exp(-t / 0.0012)
    return _filter(x * _attack(t, 0.0002), rate, highpass=250)


def _hat(rate: int, t60: float, highpass: float, seed: int, sizzle: float) -> Signal:
    t = _times(t60 + 0.05, rate)
    metal = _metal(t60 + 0.05, rate, seed, highpass, 15000)[: len(t)]
    air = _unit_rms(_filter(_noise(len(t), seed + 1), rate, highpass + 1000, 16000))
    return (metal + sizzle * air) * _attack(t, 0.0003) * _decay(t, t60)


def _tom(rate: int, pitch_hz: float, t60: float, seed: int) -> Signal:
    t = _times(t60 + 0.05, rate)
    drop, depth = 0.035, 0.3
    phase = 2 * np.pi * pitch_hz * (t + depth * drop * (1 - np.exp(-t / drop)))
    body = np.sin(phase) * _attack(t, 0.0008) * _decay(t, t60)
    stick = _unit_rms(_filter(_noise(len(t), seed), rate, 200, 4000)) * np.exp(-t / 0.004)
    return _saturate(body + 0.12 * stick, 1.2)


def _cowbell(rate: int) -> Signal:
    t = _times(0.45, rate)
    sq = _squares((587.0, 845.0), 0.45, rate, _SEEDS["cowbell"])
    tone = _decimate(sq[0] + sq[1], rate, 600, 3200, order=2)[: len(t)]
    env = 0.65 * np.exp(-t / 0.012) + 0.35 * _decay(t, 0.4)
    return _unit_rms(tone) * env * _attack(t, 0.0003)


def _crash(rate: int) -> Signal:
    t = _times(2.4, rate)
    seed = _SEEDS["crash"]
    metal = _metal(2.4, rate, seed, 2500, 16000, scale=1.15)[: len(t)]
    wash = _unit_rms(_filter(_noise(len(t), seed + 1), rate, 3500, 15000))
    body = _unit_rms(_filter(_noise(len(t), seed + 2), rate, 900, 4000))
    env = 0.35 * np.exp(-t / 0.06) + 0.65 * _decay(t, 2.3)
    return (0.55 * metal + 0.5 * wash + 0.2 * body) * env * _attack(t, 0.001)


def _ride(rate: int) -> Signal:
    t = _times(1.7, rate)
    seed = _SEEDS["ride"]
    metal = _metal(1.7, rate, seed, 3500, 12000, scale=1.7)[: len(t)]
    bell = (np.sin(2 * np.pi * 3100.0 * t) + 0.6 * np.sin(2 * np.pi * 4650.0 * t)) / 1.6
    ping = _unit_rms(_filter(_noise(len(t), seed + 1), rate, 5000, 14000)) * np.exp(-t / 0.01)
    env = _decay(t, 1.6)
    return (0.7 * metal + 0.35 * bell + 0.4 * ping) * env * _attack(t, 0.0005)


def _shaker(rate: int) -> Signal:
    t = _times(0.16, rate)
    noise = _unit_rms(_filter(_noise(len(t), _SEEDS["shaker"]), rate, 5000, 14000, order=3))
    rise = np.clip(t / 0.012, 0.0, 1.0) ** 2
    fall = np.where(t > 0.012, np.exp(-(t - 0.012) / 0.022), 1.0)
    return noise * rise * fall


def synth_voice(voice: str, rate: int, kick_pitch_hz: float = 50.0,
                kick_decay_s: float = 0.8) -> npt.NDArray[np.float64]:
    """One voice of the built-in kit, mono float64 at ``rate`` (see the module docstring)."""
    makers = {
        "kick": lambda: _kick(rate, kick_pitch_hz, kick_decay_s),
        "snare": lambda: _snare(rate),
        "clap": lambda: _clap(rate),
        "rim": lambda: _rim(rate),
        "hat_closed": lambda: _hat(rate, 0.12, 7000, _SEEDS["hat_closed"], 0.25),
        "hat_pedal": lambda: _hat(rate, 0.08, 5500, _SEEDS["hat_pedal"], 0.15),
        "hat_open": lambda: _hat(rate, 0.65, 6500, _SEEDS["hat_open"], 0.3),
        "tom_low": lambda: _tom(rate, 98.0, 0.6, _SEEDS["tom_low"]),
        "tom_mid": lambda: _tom(rate, 140.0, 0.5, _SEEDS["tom_mid"]),
        "tom_high": lambda: _tom(rate, 196.0, 0.42, _SEEDS["tom_high"]),
        "cowbell": lambda: _cowbell(rate),
        "crash": lambda: _crash(rate),
        "ride": lambda: _ride(rate),
        "shaker": lambda: _shaker(rate),
    }
    if voice not in makers:
        raise KeyError(voice)
    return _finish(makers[voice](), rate, VOICE_PEAKS[voice])


@functools.lru_cache(maxsize=8)
def synth_kit(samplerate: int, kick_pitch_hz: float = 50.0, kick_decay_s: float = 0.8) -> Kit:
    """The built-in kit at ``samplerate``, made once and kept (the buffers are read-only)."""
    if samplerate < 8000:
        raise ValueError("samplerate must be at least 8000")
    if not (20.0 <= kick_pitch_hz <= 200.0 and 0.05 <= kick_decay_s <= 4.0):
        raise ValueError("kick pitch 20-200 Hz and decay 0.05-4 s")
    voices = {
        voice: KitVoice(
            layers=(Layer(stereo(synth_voice(voice, samplerate, kick_pitch_hz, kick_decay_s))),),
            choke=_CHOKES.get(voice),
        )
        for voice in VOICE_PEAKS
    }
    return Kit(name=SYNTH_KIT_NAME, samplerate=samplerate, voices=voices)
