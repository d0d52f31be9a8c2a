"""Widgets of the studio's screens: meters, transport, waveform, sign-in form."""
