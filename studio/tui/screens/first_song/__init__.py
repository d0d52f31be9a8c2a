"""My first song: a guided path for a new member, one small step at a time. Each step says
what is happening and what comes next:

consent to keep the recordings → a starter beat and its tempo → lyrics → a voice preset → the
input level with a live meter → count-in and record a verse → and a hook → pick the best takes
→ hear the song → a copy to take home, when the member's consent allows it (asked right there
when it has not been asked yet).

:mod:`.flow` holds the shared state and the way through the steps; each step (or a few that
belong together) has its own module; :mod:`.screen` puts them together.
"""

from studio.tui.screens.first_song.flow import BEAT_BARS, HOOK_BAR, STEPS
from studio.tui.screens.first_song.screen import FirstSongScreen

__all__ = ["BEAT_BARS", "HOOK_BAR", "STEPS", "FirstSongScreen"]
