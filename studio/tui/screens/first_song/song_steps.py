"""Steps 2–4: the song itself. A starter beat and its tempo make the song (with an editable
beat track), the lyrics are written or pasted, and a voice preset is chosen: what the member
hears of themselves while recording."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option

from studio.core.i18n import StudioError, Words
from studio.core.preset import list_presets
from studio.core.song import Song
from studio.services import people
from studio.tui.screens.first_song.flow import NO_SONG_YET, Flow
from studio.tui.speech import Said

BEAT_HELP = Words(
    nb="Velg en beat med pilene. + og - endrer tempoet. Ctrl+N lager sangen med beaten.",
    en="Choose a beat with the arrows. + and - change the tempo. Ctrl+N makes the song with "
       "the beat.",
)
TEMPO = Words(nb="Tempo: {tempo:g} BPM", en="Tempo: {tempo:g} BPM")
NO_BEATS = Words(nb="Ingen ferdige beats er installert; sangen lages uten beat.",
                 en="No starter beats are installed; the song is made without a beat.")
MAKING_BEAT = Words(nb="Lager sangen og beaten …", en="Making the song and the beat …")
BEAT_READY = Words(nb="Sangen «{song}» er laget med beaten «{beat}».",
                   en="The song “{song}” is made with the beat “{beat}”.")
SONG_NAME = Words(nb="Første sang – {alias}", en="First song – {alias}")
LYRICS_HELP = Words(nb="Skriv eller lim inn teksten. Den lagres når du går videre.",
                    en="Write or paste the lyrics. They are saved when you go on.")
VOICE_HELP = Words(nb="Hvordan skal stemmen låte? Du hører deg selv gjennom den når du tar opp.",
                   en="How should the voice sound? You hear yourself through it when recording.")


def is_voice(preset: str) -> bool:
    """The presets made for a voice (and none at all), not those for instruments or buses."""
    return preset.startswith("vocal") or preset == "dry"


class SongSteps(Flow):
    def compose_beat(self) -> ComposeResult:
        yield Said(BEAT_HELP, classes="say")
        yield OptionList(id="beats")
        yield Said(id="tempo", classes="say")
        yield Said(id="beat-state", classes="say")

    def compose_lyrics(self) -> ComposeResult:
        yield Said(LYRICS_HELP, classes="say")
        yield TextArea(id="lyrics-text")

    def compose_voice(self) -> ComposeResult:
        yield Said(VOICE_HELP, classes="say")
        yield OptionList(id="presets")

    def mount_song(self) -> None:
        try:
            self.presets = [p for p in list_presets() if is_voice(p.name)]
        except StudioError as error:
            self.fail(error)
        self.preset = "vocal-clean" if any(p.name == "vocal-clean" for p in self.presets) \
            else None
        self.load_beats()

    # 2. beat --------------------------------------------------------------------------------------
    def load_beats(self) -> None:
        def job() -> list[tuple[str, Words, float]]:
            try:
                from studio.services.beats import list_beats
            except ImportError:
                return []
            return [(beat.name, beat.description, beat.tempo) for beat, _ in list_beats()]

        def got(beats: list[tuple[str, Words, float]]) -> None:
            self.beats = beats
            if beats:
                self.tempo = beats[0][2]
            self.show_beats()

        self.background(job, got, group="beats")

    def show_beats(self) -> None:
        listing = self.query_one("#beats", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        for name, description, tempo in self.beats:
            listing.add_option(Option(f"{name:<12} {tempo:>5g} BPM  {description.say()}",
                                      id=name))
        if self.beats:
            listing.highlighted = highlighted or 0
        self.query_one("#tempo", Said).say(TEMPO, tempo=self.tempo)
        if not self.beats:
            self.query_one("#beat-state", Said).say(NO_BEATS)

    def enter_beat(self) -> None:
        self.show_beats()
        self.query_one("#beats", OptionList).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "beats" and 0 <= event.option_index < len(self.beats):
            self.tempo = self.beats[event.option_index][2]
            self.query_one("#tempo", Said).say(TEMPO, tempo=self.tempo)

    def action_tempo(self, step: int) -> None:
        self.tempo = min(max(self.tempo + step, 60.0), 180.0)
        self.query_one("#tempo", Said).say(TEMPO, tempo=self.tempo)

    def leave_beat(self) -> bool:
        if self.song is not None:
            return True
        self.make_song()
        return False  # moves on by itself when the song and the beat are ready

    def make_song(self) -> None:
        app = self.studio_app()
        member, actor = app.session.member, app.session.actor
        if member is None or actor is None:
            return
        listing = self.query_one("#beats", OptionList)
        beat = self.beats[listing.highlighted][0] if self.beats and \
            listing.highlighted is not None else None
        tempo = self.tempo
        self.query_one("#beat-state", Said).say(MAKING_BEAT)

        def job() -> Song:
            song = self._new_song(member.alias, tempo)
            song = people.set_artist(app.studio, actor, song, member.alias)
            if beat is not None:  # an editable beat track, played and exported like any track
                from studio.services.beats import new_song_beat

                new_song_beat(app.studio, actor, song, beat)
            return app.studio.song(song.name)

        def done(song: Song) -> None:
            self.song = song
            app.session.song = song
            self.query_one("#beat-state", Said).say(BEAT_READY, song=song.name,
                                                    beat=beat or "–")
            self.go_on()

        self.background(job, done, group="make-song", exclusive=True)

    def _new_song(self, alias: str, tempo: float) -> Song:
        app = self.studio_app()
        base = SONG_NAME.say(alias=alias)
        for number in range(1, 100):
            name = base if number == 1 else f"{base} ({number})"
            try:
                return app.studio.new_song(name, tempo_bpm=tempo,
                                           samplerate=app.prefs.samplerate)
            except StudioError:
                continue
        return app.studio.new_song(f"{base} ({app.studio.now():%H%M%S})", tempo_bpm=tempo)


    # 3. lyrics ------------------------------------------------------------------------------------
    def enter_lyrics(self) -> None:
        area = self.query_one("#lyrics-text", TextArea)
        if self.song is not None and not area.text:
            area.text = self.song.lyrics
        area.focus()

    def leave_lyrics(self) -> bool:
        app = self.studio_app()
        song, actor = self.song, app.session.actor
        text = self.query_one("#lyrics-text", TextArea).text
        if song is None or actor is None:
            self.tell(NO_SONG_YET, "warning")
            return False

        def saved(updated: Song) -> None:
            self.song = updated
            app.session.song = updated

        self.background(lambda: people.set_lyrics(app.studio, actor, song, text), saved)
        return True


    # 4. voice -------------------------------------------------------------------------------------
    def enter_voice(self) -> None:
        listing = self.query_one("#presets", OptionList)
        listing.clear_options()
        for preset in self.presets:
            mark = "● " if preset.name == self.preset else "  "
            listing.add_option(Option(f"{mark}{preset.name:<12} {preset.words.say()}",
                                      id=preset.name))
        names = [p.name for p in self.presets]
        if self.preset in names:
            listing.highlighted = names.index(self.preset)
        listing.focus()

    def choose_preset(self, name: str | None) -> None:
        self.preset = name
        self.enter_voice()

    def leave_voice(self) -> bool:
        listing = self.query_one("#presets", OptionList)
        if listing.highlighted is not None and self.presets:
            self.preset = self.presets[listing.highlighted].name
        return True

