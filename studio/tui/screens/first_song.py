"""My first song: a guided path for a new member, one small step at a time. Each step says
what is happening and what comes next:

consent to keep the recordings → a starter beat and its tempo → lyrics → a voice preset → the
input level with a live meter → count-in and record a verse → and a hook → pick the best takes
→ hear the song → a copy to take home, when the member's consent allows it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    ContentSwitcher,
    Footer,
    Header,
    Input,
    OptionList,
    ProgressBar,
    TextArea,
)
from textual.widgets.option_list import Option

from studio.core.consent import WORDINGS, Purpose
from studio.core.gate import Decision, ExportPurpose
from studio.core.i18n import StudioError, Words
from studio.core.preset import Preset, list_presets
from studio.core.song import Song
from studio.services import consent, library, people
from studio.services.console import Console
from studio.services.export import ExportResult, export_song
from studio.services.recording import RecordRequest, RecordResult, TrackInput
from studio.services.release import ask_gate
from studio.services.waveform import Waveform, take_waveform
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said, SaidInput
from studio.tui.widgets.meter import LevelMeter
from studio.tui.widgets.transport import Transport, clock
from studio.tui.widgets.waveform import sparkline

TITLE = Words(nb="Min første sang", en="My first song")
STEP_LINE = Words(nb="Steg {number} av {count}: {what}", en="Step {number} of {count}: {what}")
NEXT_LINE = Words(nb="Neste: {what}. Ctrl+N går videre, Ctrl+P går tilbake.",
                  en="Next: {what}. Ctrl+N goes on, Ctrl+P goes back.")
LAST_LINE = Words(nb="Dette er siste steg. Esc går tilbake til startsiden.",
                  en="This is the last step. Esc goes back to the start screen.")


@dataclass(frozen=True)
class Step:
    id: str
    what: Words


STEPS = (
    Step("consent", Words(nb="lov til å ta vare på opptakene", en="permission to keep the takes")),
    Step("beat", Words(nb="velg en beat og et tempo", en="choose a beat and a tempo")),
    Step("lyrics", Words(nb="skriv eller lim inn teksten", en="write or paste the lyrics")),
    Step("voice", Words(nb="velg en stemmelyd", en="choose a voice sound")),
    Step("level", Words(nb="sjekk nivået på mikrofonen", en="check the microphone level")),
    Step("verse", Words(nb="ta opp et vers", en="record a verse")),
    Step("hook", Words(nb="ta opp et refreng", en="record a hook")),
    Step("choose", Words(nb="velg de beste opptakene", en="pick the best takes")),
    Step("listen", Words(nb="hør sangen", en="hear the song")),
    Step("copy", Words(nb="en kopi å ta med hjem", en="a copy to take home")),
)

# consent
KEEP_OK = Words(nb="✓ {alias} har sagt ja til at opptakene lagres ({state}).",
                en="✓ {alias} has agreed that the recordings are kept ({state}).")
KEEP_ASK = Words(
    nb="Før vi tar opp: les spørsmålet høyt for {alias}. Et vitne må være til stede. "
       "Ctrl+Y registrerer et ja.",
    en="Before we record: read the question out to {alias}. A witness must be there. "
       "Ctrl+Y records a yes.",
)
KEEP_NEEDED = Words(
    nb="Uten et ja til å lagre opptakene kan ingenting tas opp. Det er helt greit å si nei.",
    en="Without a yes to keeping the recordings nothing can be recorded. It is fine to say no.",
)
WITNESS = Words(nb="Vitne (navnet på en annen som er her)",
                en="Witness (the name of someone else who is here)")
UNTIL = Words(nb="Lagres til (ÅÅÅÅ-MM-DD)", en="Kept until (YYYY-MM-DD)")
# beat
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
# lyrics
LYRICS_HELP = Words(nb="Skriv eller lim inn teksten. Den lagres når du går videre.",
                    en="Write or paste the lyrics. They are saved when you go on.")
# voice
VOICE_HELP = Words(nb="Hvordan skal stemmen låte? Du hører deg selv gjennom den når du tar opp.",
                   en="How should the voice sound? You hear yourself through it when recording.")
# level
LEVEL_HELP = Words(
    nb="Syng eller rapp den sterkeste linja di nå. Måleren viser nivået; KLIPP betyr for sterkt.",
    en="Sing or rap your loudest line now. The meter shows the level; CLIP means too loud.",
)
STARTING = Words(nb="Starter lyden …", en="Starting the sound …")
MIC = Words(nb="Mikrofon", en="Microphone")
# recording
RECORD_HELP = Words(
    nb="Trykk R: du hører én takt med klikk, så tar vi opp. Trykk R igjen for å stoppe. "
       "Du kan ta opp så mange ganger du vil.",
    en="Press R: you hear one bar of clicks, then we record. Press R again to stop. You can "
       "record as many times as you like.",
)
VERSE_TRACK = Words(nb="vers", en="verse")
HOOK_TRACK = Words(nb="refreng", en="hook")
TAKE_SAVED = Words(nb="Opptak lagret ({seconds:.1f} s). R for et nytt forsøk, Ctrl+N for neste.",
                   en="Take saved ({seconds:.1f} s). R to try again, Ctrl+N for the next step.")
NOTHING_SAVED = Words(nb="Ingenting ble tatt opp. Trykk R for å prøve igjen.",
                      en="Nothing was recorded. Press R to try again.")
# choose
CHOOSE_HELP = Words(nb="Velg det beste opptaket for hvert spor med Enter (✓ brukes nå).",
                    en="Choose the best take for each track with Enter (✓ is used now).")
TAKE_LINE = Words(nb="{mark} {track} · opptak {number}  {length}  {wave}",
                  en="{mark} {track} · take {number}  {length}  {wave}")
NO_TAKES = Words(nb="Ingen opptak ennå: gå tilbake og ta opp.",
                 en="No takes yet: go back and record.")
# listen
LISTEN_HELP = Words(nb="Mellomrom spiller og stopper sangen. Ta deg god tid.",
                    en="Space plays and stops the song. Take your time.")
OUT = Words(nb="Lyd ut", en="Sound out")
# copy
COPY_ALLOWED = Words(nb="✓ {answer} Trykk E for å lage kopien (mp3).",
                     en="✓ {answer} Press E to make the copy (mp3).")
COPY_REFUSED = Words(nb="✗ {answer}", en="✗ {answer}")
COPY_ASK = Words(
    nb="Les spørsmålet høyt for {alias}. Et vitne må være til stede. Ctrl+Y registrerer et ja; "
       "et nei er like greit, og sangen blir i studioet.",
    en="Read the question out to {alias}. A witness must be there. Ctrl+Y records a yes; a no "
       "is just as fine, and the song stays in the studio.",
)
ASKING = Words(nb="Spør om kopien er tillatt …", en="Asking whether the copy is allowed …")
COPY_DONE = Words(nb="Kopien er klar: {path}", en="The copy is ready: {path}")
MAKING_COPY = Words(nb="Lager kopien …", en="Making the copy …")
NO_SONG_YET = Words(nb="Lag sangen først (steg 2).", en="Make the song first (step 2).")

NEXT = Words(nb="Neste", en="Next")
PREVIOUS = Words(nb="Forrige", en="Back a step")
YES = Words(nb="Registrer ja", en="Record yes")
RECORD = Words(nb="Ta opp/stopp", en="Record/stop")
PLAY = Words(nb="Spill/stopp", en="Play/stop")
FASTER = Words(nb="Raskere", en="Faster")
SLOWER = Words(nb="Roligere", en="Slower")
COPY = Words(nb="Lag kopi", en="Make copy")

MAX_VERSE_SECONDS = 300
BEAT_BARS = 16
HOOK_BAR = 9
WAVE_COLUMNS = 60


def is_voice(preset: str) -> bool:
    """The presets made for a voice (and none at all), not those for instruments or buses."""
    return preset.startswith("vocal") or preset == "dry"


class FirstSongScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    STOP_FIRST = True
    DEFAULT_CSS = """
    FirstSongScreen #step { text-style: bold; padding: 0 1; height: auto;
                            background: $primary 30%; }
    FirstSongScreen #next { color: $foreground 70%; padding: 0 1; height: auto; }
    FirstSongScreen ContentSwitcher { height: 1fr; }
    FirstSongScreen ContentSwitcher > Vertical { padding: 0 1; }
    FirstSongScreen OptionList { height: 1fr; border: none; }
    FirstSongScreen TextArea { height: 1fr; }
    FirstSongScreen Horizontal { height: auto; }
    FirstSongScreen Input { width: 1fr; }
    FirstSongScreen .say { height: auto; }
    FirstSongScreen .question { border: round $accent; padding: 0 1; height: auto; }
    FirstSongScreen #copy-progress { height: 1; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("ctrl+n", "next", NEXT),
        Key("ctrl+p", "previous", PREVIOUS),
        Key("ctrl+y", "grant", YES),
        Key("r", "record", RECORD),
        Key("space", "play", PLAY, key_display="␣"),
        Key("plus", "tempo(2)", FASTER, key_display="+"),
        Key("minus", "tempo(-2)", SLOWER, key_display="-"),
        Key("e", "copy", COPY),
    )

    def __init__(self) -> None:
        super().__init__()
        self.step = 0
        self.song: Song | None = None
        self.beats: list[tuple[str, Words, float]] = []  # name, description, tempo
        self.tempo = 90.0
        self.presets: list[Preset] = []
        self.preset: str | None = None
        self.keep_ok = False
        self.recording_track: str | None = None
        self.takes: list[tuple[str, library.TakeInfo]] = []
        self.waveforms: dict[int, Waveform] = {}
        self.copy_answer: Decision | None = None
        self.copy_consent_asked = False  # the gate said no, and the member may be asked here
        self.copy_result: ExportResult | None = None
        self.cancel = threading.Event()
        self.punch_in = 0

    # layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Said(id="step")
        with ContentSwitcher(initial="consent"):
            with Vertical(id="consent"):
                yield Said(id="keep-state", classes="say")
                yield Said(id="keep-question", classes="say question")
                with Horizontal(id="keep-form"):
                    yield SaidInput(WITNESS, id="witness")
                    yield SaidInput(UNTIL, id="until")
            with Vertical(id="beat"):
                yield Said(BEAT_HELP, classes="say")
                yield OptionList(id="beats")
                yield Said(id="tempo", classes="say")
                yield Said(id="beat-state", classes="say")
            with Vertical(id="lyrics"):
                yield Said(LYRICS_HELP, classes="say")
                yield TextArea(id="lyrics-text")
            with Vertical(id="voice"):
                yield Said(VOICE_HELP, classes="say")
                yield OptionList(id="presets")
            with Vertical(id="level"):
                yield Said(LEVEL_HELP, classes="say")
                yield LevelMeter(MIC, id="level-meter")
                yield Said(id="advice", classes="say")
            with Vertical(id="verse"):
                yield Said(RECORD_HELP, classes="say")
                yield Transport(id="verse-transport")
                yield LevelMeter(MIC, id="verse-meter")
                yield Said(id="verse-state", classes="say")
            with Vertical(id="hook"):
                yield Said(RECORD_HELP, classes="say")
                yield Transport(id="hook-transport")
                yield LevelMeter(MIC, id="hook-meter")
                yield Said(id="hook-state", classes="say")
            with Vertical(id="choose"):
                yield Said(CHOOSE_HELP, classes="say")
                yield OptionList(id="takes")
            with Vertical(id="listen"):
                yield Said(LISTEN_HELP, classes="say")
                yield Transport(id="listen-transport", details=False)
                yield LevelMeter(OUT, id="out-meter")
            with Vertical(id="copy"):
                yield Said(id="copy-state", classes="say")
                yield Said(id="copy-question", classes="say question")
                with Horizontal(id="copy-form"):
                    yield SaidInput(WITNESS, id="copy-witness")
                yield ProgressBar(id="copy-progress", show_eta=False)
                yield Said(id="copy-report", classes="say")
        yield Said(id="next")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        app = self.studio_app()
        self.query_one("#until", Input).value = (app.studio.today() +
                                                 timedelta(days=365)).isoformat()
        self.query_one("#copy-progress", ProgressBar).display = False
        self.show_copy_question(False)
        try:
            self.presets = [p for p in list_presets() if is_voice(p.name)]
        except StudioError as error:
            self.fail(error)
        self.preset = "vocal-clean" if any(p.name == "vocal-clean" for p in self.presets) \
            else None
        self.load_beats()
        self.show_step()
        self.set_interval(1 / 30, self.tick)

    @property
    def current(self) -> str:
        return STEPS[self.step].id

    def show_step(self) -> None:
        step = STEPS[self.step]
        self.query_one(ContentSwitcher).current = step.id
        self.query_one("#step", Said).say(STEP_LINE, number=self.step + 1, count=len(STEPS),
                                          what=step.what)
        if self.step + 1 < len(STEPS):
            self.query_one("#next", Said).say(NEXT_LINE, what=STEPS[self.step + 1].what)
        else:
            self.query_one("#next", Said).say(LAST_LINE)
        getattr(self, f"enter_{step.id}")()
        self.refresh_bindings()

    def on_language(self) -> None:
        self.show_step()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        step = self.current
        allowed = {"grant": (step == "consent" and not self.keep_ok)
                            or (step == "copy" and self.copy_consent_asked),
                   "record": step in ("verse", "hook"),
                   "play": step == "listen",
                   "tempo": step == "beat",
                   "copy": step == "copy" and bool(self.copy_answer and
                                                   self.copy_answer.allowed),
                   "previous": self.step > 0,
                   "next": self.step + 1 < len(STEPS)}
        return allowed.get(action, True)

    # moving between steps ---------------------------------------------------------------------
    def action_next(self) -> None:
        if self.studio_app().sound.busy_recording:
            return
        leave = getattr(self, f"leave_{self.current}", None)
        if leave is not None and not leave():
            return
        if self.step + 1 < len(STEPS):
            self.step += 1
            self.show_step()

    def action_previous(self) -> None:
        if self.step > 0 and not self.studio_app().sound.busy_recording:
            self.step -= 1
            self.show_step()

    def go_on(self) -> None:
        """A step that finished its work by itself moves on."""
        if self.step + 1 < len(STEPS):
            self.step += 1
            self.show_step()

    # 1. consent -------------------------------------------------------------------------------
    def enter_consent(self) -> None:
        app = self.studio_app()
        member = app.session.member
        if member is None:
            return

        def got(states: list[consent.ConsentState]) -> None:
            keep = next(s for s in states if s.purpose is Purpose.KEEP)
            self.keep_ok = keep.granted
            form = self.query_one("#keep-form")
            question = self.query_one("#keep-question", Said)
            if keep.granted:
                self.query_one("#keep-state", Said).say(KEEP_OK, alias=member.alias,
                                                        state=keep.describe())
                question.say(None)
                question.display = False
                form.display = False
            else:
                self.query_one("#keep-state", Said).say(KEEP_ASK, alias=member.alias)
                question.say(WORDINGS[Purpose.KEEP].text,
                             until=self.query_one("#until", Input).value)
                question.display = True
                form.display = True
                self.query_one("#witness", Input).focus()
            self.refresh_bindings()

        self.background(lambda: consent.state(app.studio, member.alias), got,
                        group="consent", exclusive=True)

    def leave_consent(self) -> bool:
        if not self.keep_ok:
            self.tell(KEEP_NEEDED, "warning")
        return self.keep_ok

    def action_grant(self) -> None:
        if self.current == "copy":
            self.grant_copy()
            return
        app = self.studio_app()
        member, actor = app.session.member, app.session.actor
        if member is None or actor is None:
            return
        witness = self.query_one("#witness", Input).value
        until = self.query_one("#until", Input).value

        def done(_: object) -> None:
            self.keep_ok = True
            self.enter_consent()

        self.background(lambda: consent.grant(app.studio, actor, member.alias, Purpose.KEEP,
                                              witness=witness, keep_until=until), done)

    # 2. beat ----------------------------------------------------------------------------------
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

    # 3. lyrics --------------------------------------------------------------------------------
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

    # 4. voice ---------------------------------------------------------------------------------
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

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "presets":
            self.preset = event.option.id
            self.enter_voice()
        elif event.option_list.id == "takes":
            self.use_take(event.option_index)
        elif event.option_list.id == "beats":
            self.action_next()

    def leave_voice(self) -> bool:
        listing = self.query_one("#presets", OptionList)
        if listing.highlighted is not None and self.presets:
            self.preset = self.presets[listing.highlighted].name
        return True

    # 5. level ---------------------------------------------------------------------------------
    def enter_level(self) -> None:
        self.query_one("#level-meter", LevelMeter).reset_clip()
        self.query_one("#advice", Said).say(STARTING)
        self.open_console()

    def open_console(self) -> None:
        app = self.studio_app()
        song, actor, choice = self.song, app.session.actor, app.engine_choice()
        if song is None:
            return

        def opened(_: Console) -> None:
            self.query_one("#advice", Said).say(None)

        self.background(lambda: app.sound.open(song.name, actor, choice), opened,
                        group="console", exclusive=True)

    # 6./7. recording --------------------------------------------------------------------------
    def enter_verse(self) -> None:
        self.open_console()

    def enter_hook(self) -> None:
        self.open_console()

    def action_record(self) -> None:
        app = self.studio_app()
        song = self.song
        if song is None:
            self.tell(NO_SONG_YET, "warning")
            return
        if app.sound.busy_recording:
            app.sound.stop_recording()
            self.query_one(f"#{self.current}-transport", Transport).update(recording="saving")
            return
        step = self.current
        track = (VERSE_TRACK if step == "verse" else HOOK_TRACK).say()
        start_bar = 1 if step == "verse" else HOOK_BAR
        self.recording_track = step
        self.punch_in = song.timebase.bar_to_frame(start_bar)
        request = RecordRequest(song=song.name, tracks=[TrackInput(track, (1,))],
                                seconds=float(MAX_VERSE_SECONDS), device=app.prefs.device,
                                blocksize=app.prefs.blocksize, monitor=self.preset, click=True,
                                count_in_bars=1, start_bar=start_bar, actor=app.session.actor)
        self.query_one(f"#{step}-meter", LevelMeter).reset_clip()
        self.query_one(f"#{step}-state", Said).say(None)
        self.query_one(f"#{step}-transport", Transport).update(recording="starting")

        def done(result: RecordResult) -> None:
            said = self.query_one(f"#{step}-state", Said)
            self.query_one(f"#{step}-transport", Transport).update(recording="off",
                                                                   rolling=False)
            for message in result.messages:
                app.notify(message, severity="warning", timeout=10)
            if result.takes:
                said.say(TAKE_SAVED, seconds=result.takes[-1].frames / result.takes[-1].samplerate)
            else:
                said.say(NOTHING_SAVED)
            self.recording_track = None
            self.open_console()

        def failed(error: BaseException) -> None:
            self.recording_track = None
            self.query_one(f"#{step}-transport", Transport).update(recording="off")
            if isinstance(error, StudioError):
                self.query_one(f"#{step}-state", Said).say(error.words, **error.values)
            self.fail(error)
            self.open_console()

        self.background(lambda: app.sound.record(request), done, failed=failed,
                        group="recording")


    # 8. choose --------------------------------------------------------------------------------
    def enter_choose(self) -> None:
        self.load_takes()
        self.query_one("#takes", OptionList).focus()

    def load_takes(self) -> None:
        app = self.studio_app()
        song, actor = self.song, app.session.actor
        if song is None:
            return
        vocal = {VERSE_TRACK.nb, VERSE_TRACK.en, HOOK_TRACK.nb, HOOK_TRACK.en}

        def job() -> tuple[list[tuple[str, library.TakeInfo]], list[Waveform]]:
            takes = [(item.track.name, info)
                     for item in library.tracks_and_takes(app.studio, song)
                     if item.track.name in vocal for info in item.takes]
            waves = []
            for _, info in takes:
                if info.take.id not in self.waveforms:
                    try:
                        waves.append(take_waveform(app.studio, info.take, WAVE_COLUMNS,
                                                   actor=actor))
                    except StudioError:
                        continue
            return takes, waves

        def got(result: tuple[list[tuple[str, library.TakeInfo]], list[Waveform]]) -> None:
            self.takes, waves = result
            for wave in waves:
                self.waveforms[wave.take_id] = wave
            self.show_takes()

        self.background(job, got, group="takes", exclusive=True)

    def show_takes(self) -> None:
        listing = self.query_one("#takes", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        if not self.takes:
            listing.add_option(Option(NO_TAKES.say(), disabled=True))
        for track, info in self.takes:
            wave = self.waveforms.get(info.take.id)
            listing.add_option(Option(TAKE_LINE.say(
                mark="✓" if info.in_use else " ", track=track, number=info.number,
                length=clock(info.seconds), wave=sparkline(wave.peaks(), 30) if wave else "")))
        if self.takes:
            listing.highlighted = min(highlighted or 0, len(self.takes) - 1)

    def use_take(self, index: int) -> None:
        app = self.studio_app()
        if not 0 <= index < len(self.takes):
            return
        take = self.takes[index][1].take
        actor = app.session.actor
        self.background(lambda: library.use_take(app.studio, actor, take),
                        lambda _: self.load_takes())

    # 9. listen --------------------------------------------------------------------------------
    def enter_listen(self) -> None:
        self.open_console()

    def action_play(self) -> None:
        app = self.studio_app()
        song, actor, choice = self.song, app.session.actor, app.engine_choice()
        if song is None:
            return

        def toggle(console: Console) -> None:
            if console.rolling():
                console.stop()
            else:
                if console.playhead().song_frame >= song.timebase.bar_to_frame(BEAT_BARS + 1):
                    console.locate_bar(1)
                console.play()

        self.background(lambda: app.sound.run(song.name, actor, choice, toggle),
                        group="transport")

    # 10. copy ---------------------------------------------------------------------------------
    def enter_copy(self) -> None:
        app = self.studio_app()
        song, actor, member = self.song, app.session.actor, app.session.member
        said = self.query_one("#copy-state", Said)
        if song is None or actor is None:
            said.say(NO_SONG_YET)
            return
        said.say(ASKING)

        def job() -> tuple[Decision, bool]:
            answer = ask_gate(app.studio, actor, song, ExportPurpose.MEMBER_COPY)
            ask = False
            if not answer.allowed and member is not None:  # a missing yes can be asked for here
                states = consent.state(app.studio, member.alias)
                ask = not next(s for s in states if s.purpose is Purpose.MEMBER_COPY).granted
            return answer, ask

        def got(result: tuple[Decision, bool]) -> None:
            answer, ask = result
            self.copy_answer = answer
            said.say(COPY_ALLOWED if answer.allowed else COPY_REFUSED, answer=answer.say())
            self.show_copy_question(ask)
            self.refresh_bindings()

        self.background(job, got, group="gate", exclusive=True)
        self.show_copy()

    def show_copy_question(self, ask: bool) -> None:
        """The member-copy question, read out to the member, with its witness (the one from
        the first step, if there was one, can be kept or changed)."""
        member = self.studio_app().session.member
        self.copy_consent_asked = ask and member is not None
        question = self.query_one("#copy-question", Said)
        question.display = self.copy_consent_asked
        self.query_one("#copy-form").display = self.copy_consent_asked
        if not self.copy_consent_asked or member is None:
            question.say(None)
            if isinstance(self.focused, Input):  # E makes the copy, not a letter in a box
                self.set_focus(None)
            return
        question.say(Words(nb="{ask}\n\n{question}", en="{ask}\n\n{question}"),
                     ask=COPY_ASK, alias=member.alias,
                     question=WORDINGS[Purpose.MEMBER_COPY].text)
        witness = self.query_one("#copy-witness", Input)
        if not witness.value:
            witness.value = self.query_one("#witness", Input).value
        witness.focus()

    def grant_copy(self) -> None:
        app = self.studio_app()
        member, actor = app.session.member, app.session.actor
        if member is None or actor is None:
            return
        witness = self.query_one("#copy-witness", Input).value
        self.background(lambda: consent.grant(app.studio, actor, member.alias,
                                              Purpose.MEMBER_COPY, witness=witness),
                        lambda _: self.enter_copy())

    def action_copy(self) -> None:
        app = self.studio_app()
        song, actor = self.song, app.session.actor
        if song is None or actor is None:
            return
        bar = self.query_one("#copy-progress", ProgressBar)
        bar.display = True
        bar.update(total=100, progress=0)
        self.query_one("#copy-report", Said).say(MAKING_COPY)
        app.close_sound()

        def progress(fraction: float) -> None:
            app.call_from_thread(bar.update, progress=round(fraction * 100, 1))

        def done(result: ExportResult) -> None:
            bar.display = False
            self.copy_result = result
            self.show_copy()

        def failed(error: BaseException) -> None:
            bar.display = False
            report = self.query_one("#copy-report", Said)
            if isinstance(error, StudioError):
                report.say(error.words, **error.values)
            else:
                report.say(None)
            self.fail(error)

        self.background(lambda: export_song(app.studio, actor, song, ExportPurpose.MEMBER_COPY,
                                            "mp3", progress=progress, cancel=self.cancel),
                        done, failed=failed, group="export")

    def show_copy(self) -> None:
        result = self.copy_result
        if result is None:
            return
        lines = [COPY_DONE.say(path=str(result.path)), *result.notes]
        if result.report is not None:
            lines.extend(result.report.lines())
        text = "\n".join(lines)
        self.query_one("#copy-report", Said).say(Words(nb=text, en=text))

    # the 30-per-second look -------------------------------------------------------------------
    def tick(self) -> None:
        app = self.studio_app()
        sound = app.sound
        step = self.current
        song = self.song
        if step == "level":
            meter = self.query_one("#level-meter", LevelMeter)
            rows = sound.input_meters()
            meter.show_row(rows[0] if rows else None)
            if rows:
                self.query_one("#advice", Said).say(meter.advice())
        elif step in ("verse", "hook") and song is not None:
            transport = self.query_one(f"#{step}-transport", Transport)
            rows = sound.input_meters()
            self.query_one(f"#{step}-meter", LevelMeter).show_row(rows[0] if rows else None)
            if sound.busy_recording:
                status = sound.progress
                frame = int(status.get("song_frame", 0))
                rolling = status.get("state", 0) == 1
                state = transport.state.recording
                if status.get("recording", 0) == 1:
                    state = "on"
                elif rolling and frame < self.punch_in:
                    state = "count-in"
                bar, beat, _ = song.timebase.frame_to_bar_beat(max(frame, 0))
                transport.update(recording=state, rolling=rolling, bar=bar, beat=beat,
                                 seconds=frame / song.samplerate)
        elif step == "listen" and song is not None:
            head = sound.playhead(song.name)
            if head is None:
                return
            self.query_one("#listen-transport", Transport).update(
                rolling=head.rolling, bar=head.bar, beat=head.beat, seconds=head.seconds)
            out = sound.output_meters()
            if out:
                self.query_one("#out-meter", LevelMeter).show_row(max(out, key=lambda r: r[0]))

    def on_unmount(self) -> None:
        self.cancel.set()
        if not self.studio_app().sound.busy_recording:
            self.studio_app().close_sound()
