"""The beat: the song's step grid (kit voices × steps), one pattern at a time, editable with
keys and the mouse; velocity, swing, kit, and the arrangement shown. Thin: the beat is read
with :func:`studio.services.beats.song_beat` and saved with
:func:`studio.services.beats.store_beat`; a song without a beat starts from a starter beat."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import Footer, Header, OptionList
from textual.widgets.option_list import Option

from studio.core.beat import VOICES, Beat, Pattern, VoiceLane
from studio.core.i18n import StudioError, Words
from studio.core.song import Song, Track
from studio.services import beats
from studio.services.kits import list_kits
from studio.tui.common import NO_SONG
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said
from studio.tui.widgets.step_grid import StepGrid

TITLE = Words(nb="Beat", en="Beat")
SONG_LINE = Words(nb="Beaten i «{song}»: {beat} · {tempo:g} BPM · trommesett {kit}",
                  en="The beat of “{song}”: {beat} · {tempo:g} BPM · kit {kit}")
PATTERN_LINE = Words(nb="Mønster «{name}» ({index} av {count}) · swing {swing:.0%} · {state}",
                     en="Pattern “{name}” ({index} of {count}) · swing {swing:.0%} · {state}")
SAVED = Words(nb="lagret", en="saved")
UNSAVED = Words(nb="IKKE LAGRET (S lagrer)", en="NOT SAVED (S saves)")
ARRANGEMENT = Words(nb="Oppbygning: {sections}", en="Arrangement: {sections}")
NO_BEAT = Words(nb="Sangen har ingen beat ennå. Velg en å starte fra (Enter):",
                en="The song has no beat yet. Choose one to start from (Enter):")
STORED = Words(nb="Beaten er lagret i sangen.", en="The beat is saved in the song.")
VELOCITY = Words(nb="Styrke på nye slag: {velocity}", en="Strength of new hits: {velocity}")
LEAVE_Q = Words(nb="Beaten er ikke lagret. Gå tilbake uten å lagre?",
                en="The beat is not saved. Go back without saving?")

TOGGLE = Words(nb="Slag av/på", en="Hit on/off")
STRENGTH = Words(nb="Styrke", en="Strength")
SWING = Words(nb="Swing", en="Swing")
NEXT_PATTERN = Words(nb="Neste mønster", en="Next pattern")
KIT = Words(nb="Trommesett", en="Kit")
SAVE = Words(nb="Lagre", en="Save")

VELOCITIES = (100, 127, 50)
SWINGS = (0.0, 0.1, 0.2, 0.3, 0.5)


class BeatScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    BeatScreen StepGrid { margin: 1 1; }
    BeatScreen #starters { height: 1fr; border: none; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("space", "hit", TOGGLE, key_display="␣"),
        Key("v", "velocity", STRENGTH),
        Key("w", "swing", SWING),
        Key("n", "next_pattern", NEXT_PATTERN),
        Key("k", "kit", KIT),
        Key("s", "save", SAVE),
        Key("up", "move(-1, 0)", TOGGLE, show=False),
        Key("down", "move(1, 0)", TOGGLE, show=False),
        Key("left", "move(0, -1)", TOGGLE, show=False),
        Key("right", "move(0, 1)", TOGGLE, show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.song: Song | None = None
        self.track: Track | None = None
        self.beat: Beat | None = None
        self.pattern_index = 0
        self.velocity = VELOCITIES[0]
        self.kits: list[str] = []
        self.starters: list[tuple[str, Words]] = []
        self.unsaved = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Said(id="song-line", classes="heading")
        yield Said(id="pattern-line", classes="plain")
        yield StepGrid(id="grid")
        yield Said(id="velocity", classes="hint")
        yield Said(id="arrangement", classes="hint")
        yield OptionList(id="starters")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.song = self.studio_app().session.song
        if self.song is None:
            self.tell(NO_SONG, "warning")
            return
        self.query_one("#starters", OptionList).display = False
        self.load()

    def load(self) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            return

        def job() -> tuple[Track | None, Beat | None, list[str], list[tuple[str, Words]]]:
            kits = [k.name for k in list_kits(app.studio.paths.home)]
            try:
                track, beat = beats.song_beat(app.studio, song)
            except StudioError:
                return None, None, kits, [(b.name, b.description) for b, _ in beats.list_beats()]
            return track, beat, kits, []

        def got(result: tuple[Track | None, Beat | None, list[str],
                              list[tuple[str, Words]]]) -> None:
            self.track, self.beat, self.kits, self.starters = result
            self.unsaved = False
            self.show()

        self.background(job, got, group="beat", exclusive=True)

    # drawing ----------------------------------------------------------------------------------
    def pattern(self) -> Pattern | None:
        if self.beat is None or not self.beat.patterns:
            return None
        return self.beat.patterns[self.pattern_index % len(self.beat.patterns)]

    def show(self) -> None:
        starters = self.query_one("#starters", OptionList)
        grid = self.query_one(StepGrid)
        beat, song = self.beat, self.song
        if beat is None or song is None:
            grid.show(None, [])
            grid.display = False
            self.query_one("#song-line", Said).say(NO_BEAT)
            starters.display = True
            starters.clear_options()
            for name, about in self.starters:
                starters.add_option(Option(f"{name:<11} {about.say()}", id=name))
            if self.starters:
                starters.highlighted = 0
            starters.focus()
            return
        starters.display = False
        grid.display = True
        self.query_one("#song-line", Said).say(SONG_LINE, song=song.name, beat=beat.name,
                                               tempo=beat.tempo, kit=beat.kit)
        pattern = self.pattern()
        if pattern is not None:
            voices = [v for v in VOICES if v in pattern.voices] or list(VOICES[:4])
            grid.show(pattern, voices)
            self.query_one("#pattern-line", Said).say(
                PATTERN_LINE, name=pattern.name, index=self.pattern_index + 1,
                count=len(beat.patterns), swing=pattern.swing,
                state=UNSAVED if self.unsaved else SAVED)
        sections = " → ".join(f"{s.name} ({s.bars})" for s in beat.arrangement)
        self.query_one("#arrangement", Said).say(ARRANGEMENT, sections=sections)
        self.query_one("#velocity", Said).say(VELOCITY, velocity=self.velocity)
        grid.focus()

    def on_language(self) -> None:
        self.show()

    # editing ----------------------------------------------------------------------------------
    def _replace_pattern(self, new: Pattern) -> None:
        beat = self.beat
        if beat is None:
            return
        patterns = list(beat.patterns)
        patterns[self.pattern_index % len(patterns)] = new
        self.beat = replace(beat, patterns=tuple(patterns))
        self.unsaved = True
        self.show()

    def set_step(self, row: int, step: int) -> None:
        pattern = self.pattern()
        grid = self.query_one(StepGrid)
        if pattern is None or not grid.voices:
            return
        voice = grid.voices[row]
        lane = pattern.voices.get(voice) or VoiceLane(tuple([0] * pattern.steps))
        velocities = list(lane.velocities) + [0] * (pattern.steps - len(lane.velocities))
        velocities[step] = 0 if velocities[step] else self.velocity
        voices = dict(pattern.voices)
        voices[voice] = replace(lane, velocities=tuple(velocities))
        self._replace_pattern(replace(pattern, voices=voices))

    def action_hit(self) -> None:
        grid = self.query_one(StepGrid)
        self.set_step(grid.row, grid.step)

    def on_step_grid_toggled(self, message: StepGrid.Toggled) -> None:
        self.set_step(message.voice, message.step)

    def action_move(self, rows: int, steps: int) -> None:
        self.query_one(StepGrid).move(rows, steps)

    def action_velocity(self) -> None:
        self.velocity = VELOCITIES[(VELOCITIES.index(self.velocity) + 1) % len(VELOCITIES)]
        self.query_one("#velocity", Said).say(VELOCITY, velocity=self.velocity)

    def action_swing(self) -> None:
        pattern = self.pattern()
        if pattern is not None:
            bigger = [s for s in SWINGS if s > pattern.swing + 1e-9]
            self._replace_pattern(replace(pattern, swing=bigger[0] if bigger else 0.0))

    def action_next_pattern(self) -> None:
        if self.beat is not None and self.beat.patterns:
            self.pattern_index = (self.pattern_index + 1) % len(self.beat.patterns)
            self.show()

    def action_kit(self) -> None:
        beat = self.beat
        if beat is None or not self.kits:
            return
        index = self.kits.index(beat.kit) if beat.kit in self.kits else -1
        self.beat = replace(beat, kit=self.kits[(index + 1) % len(self.kits)])
        self.unsaved = True
        self.show()

    def action_save(self) -> None:
        app = self.studio_app()
        song, beat, track, actor = self.song, self.beat, self.track, app.session.actor
        if song is None or beat is None:
            return
        name = track.name if track is not None else beats.DEFAULT_TRACK

        def done(_: object) -> None:
            self.tell(STORED)
            self.load()

        self.background(lambda: beats.store_beat(app.studio, actor, song, beat, track=name,
                                                 kit=beat.kit, source="ui"), done)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        app = self.studio_app()
        song, actor, preset = self.song, app.session.actor, event.option.id
        if song is None or preset is None:
            return
        self.background(lambda: beats.new_song_beat(app.studio, actor, song, preset),
                        lambda _: self.load())

    def action_back(self) -> None:
        from studio.tui.screens.dialogs import Confirm

        if not self.unsaved:
            super().action_back()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.unsaved = False
                super(BeatScreen, self).action_back()

        self.app.push_screen(Confirm(LEAVE_Q), answered)
