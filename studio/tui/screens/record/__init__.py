"""The record screen: tracks (arm, input, monitor preset), big input meter with clip hold, the
transport (bars and time, click, count-in, loop), and each track's takes with a waveform and
"use this take". Recording is one key (R), and the transport line says in colour and in words
whether anything is being recorded.

:mod:`.track_table` and :mod:`.takes_panel` are the widgets that own their part of the screen;
:mod:`.base` holds what the parts share (the song, its tracks, the console, refusals);
:mod:`.recording` is the R key and :mod:`.transport_keys` the transport; :mod:`.screen` puts
them together.
"""

from studio.tui.screens.record.screen import RecordScreen
from studio.tui.screens.record.track_table import TrackSetup, input_words

__all__ = ["RecordScreen", "TrackSetup", "input_words"]
