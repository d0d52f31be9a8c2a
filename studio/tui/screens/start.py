"""The start screen: who runs the console (sign-in), who is here (pick or add a member), and
their songs. From here every other screen is one key away."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, ContentSwitcher, Footer, Header, Input, OptionList
from textual.widgets.option_list import Option

from studio.core.i18n import StudioError, Words
from studio.core.people import ROLE_WORDS, Action, Actor, Member, may
from studio.core.song import Song
from studio.services import consent, library, people
from studio.services.access import sign_in
from studio.tui.common import NO_SONG
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said, SaidButton, SaidInput
from studio.tui.widgets.banner import DeviceBanner
from studio.tui.widgets.signin import SignInForm

TITLE = Words(nb="Start", en="Start")
WELCOME = Words(nb="Velkommen til studioet.", en="Welcome to the studio.")
WHO_RUNS = Words(
    nb="Hvem kjører konsollet? Logg inn med navnet ditt og koden din.",
    en="Who runs the console? Sign in with your name and your code.",
)
PRACTICE_HINT = Words(
    nb="Uten innlogging kan du øve på sangene uten artist: Ctrl+P eller knappen.",
    en="Without signing in you can practise the songs without an artist: Ctrl+P or the button.",
)
PRACTICE_BUTTON = Words(nb="Øv uten å logge inn", en="Practise without signing in")
FIRST_ACCOUNT = Words(
    nb="Ingen konto ennå? En administrator lager den første: studio staff add NAVN --role admin",
    en="No account yet? An admin makes the first one: studio staff add NAME --role admin",
)
SIGNED_IN = Words(nb="{name} ({role})", en="{name} ({role})")
WHO_IS_HERE = Words(nb="Hvem er her?", en="Who is here?")
NEW_MEMBER = Words(nb="Ny deltaker (artistnavn) + Enter",
                   en="New member (artist alias) + Enter")
NO_MEMBERS = Words(nb="Ingen deltakere ennå.", en="No members yet.")
SONGS_OF = Words(nb="Sangene til {alias}", en="{alias}'s songs")
PRACTICE_SONGS = Words(nb="Øvingssanger (uten artist)", en="Practice songs (no artist)")
NO_SONGS = Words(nb="Ingen sanger ennå. Trykk N for en ny sang, F for «Min første sang».",
                 en="No songs yet. Press N for a new song, F for \"My first song\".")
SONG_LINE = Words(nb="{name}  ·  {state}", en="{name}  ·  {state}")
ADDED = Words(nb="{alias} er lagt til og er her nå.", en="{alias} is added and is here now.")
HERE = Words(nb="{alias} er her.", en="{alias} is here.")
CONSENT_LINE = Words(nb="Samtykke: {summary}", en="Consent: {summary}")
NEW_SONG_Q = Words(nb="Hva skal sangen hete?", en="What is the song called?")
NEW_SONG_P = Words(nb="Navn på sangen", en="Name of the song")
PICK_MEMBER_FIRST = Words(nb="Velg hvem som er her først.", en="Choose who is here first.")

NEW_SONG = Words(nb="Ny sang", en="New song")
FIRST_SONG = Words(nb="Første sang", en="First song")
RECORD = Words(nb="Opptak", en="Record")
LIBRARY = Words(nb="Bibliotek", en="Library")
REVIEW = Words(nb="Gjennomgang", en="Review")
EXPORT = Words(nb="Master/eksport", en="Master/export")
CONSENT = Words(nb="Samtykke", en="Consent")
SETTINGS = Words(nb="Innstillinger", en="Settings")
SWITCH = Words(nb="Bytt person", en="Switch person")
PRACTICE = Words(nb="Øv", en="Practise")
BEAT = Words(nb="Beat", en="Beat")
MIX = Words(nb="Miks", en="Mix")

_NEEDS_ACTOR = {"new_song", "first_song", "consent", "switch", "export", "review", "mix",
                "beat"}


class StartScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    BACK_KEY = None
    DEFAULT_CSS = """
    StartScreen #people { height: 1fr; }
    StartScreen #members-pane, StartScreen #songs-pane { width: 1fr; }
    StartScreen OptionList { height: 1fr; border: none; }
    StartScreen #signed-out { padding: 1 0; }
    StartScreen #practice { margin: 0 1; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("f", "first_song", FIRST_SONG),
        Key("n", "new_song", NEW_SONG),
        Key("r", "record", RECORD),
        Key("b", "library", LIBRARY),
        Key("v", "review", REVIEW),
        Key("x", "export", EXPORT),
        Key("e", "beat", BEAT),
        Key("m", "mix", MIX),
        Key("c", "consent", CONSENT),
        Key("s", "settings", SETTINGS),
        Key("w", "switch", SWITCH),
        Key("ctrl+p", "practice", PRACTICE),
    )

    def __init__(self) -> None:
        super().__init__()
        self.members: list[Member] = []
        self.songs: list[library.LibraryEntry] = []
        self._consent: list[consent.ConsentState] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield DeviceBanner()
        with ContentSwitcher(initial="signed-out", id="switcher"):
            with Vertical(id="signed-out"):
                yield Said(WELCOME, classes="heading")
                yield Said(WHO_RUNS, classes="plain")
                yield SignInForm(id="signin")
                yield Said(PRACTICE_HINT, classes="hint")
                yield SaidButton(PRACTICE_BUTTON, id="practice")
                yield Said(FIRST_ACCOUNT, classes="hint")
            with Vertical(id="signed-in"):
                yield Said(id="who", classes="heading")
                yield Said(id="menu", classes="hint")
                with Horizontal(id="people"):
                    with Vertical(id="members-pane", classes="pane"):
                        yield Said(WHO_IS_HERE, classes="heading")
                        yield OptionList(id="members")
                        yield SaidInput(NEW_MEMBER, id="new-member")
                    with Vertical(id="songs-pane", classes="pane"):
                        yield Said(PRACTICE_SONGS, id="songs-title", classes="heading")
                        yield OptionList(id="songs")
                        yield Said(id="consent", classes="hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show_session()

    # what the screen shows --------------------------------------------------------------------
    def show_session(self) -> None:
        session = self.studio_app().session
        switcher = self.query_one("#switcher", ContentSwitcher)
        if session.actor is None:
            switcher.current = "signed-out"
            self.query_one(SignInForm).focus_name()
        else:
            switcher.current = "signed-in"
            actor = session.actor
            self.query_one("#who", Said).say(SIGNED_IN, name=actor.name,
                                             role=ROLE_WORDS[actor.role])
            self.show_menu()
            self.load_members()
        self.refresh_bindings()

    def show_menu(self) -> None:
        """Every way on from here, in words (the footer may not have room for all of them)."""
        keys = [key for key in self.KEYS if self.check_action(key.action, ()) and key.show]
        text = " · ".join(f"{(key.key_display or key.key).upper()} {key.words.say()}"
                          for key in keys)
        self.query_one("#menu", Said).say(Words(nb=text, en=text))

    def on_language(self) -> None:
        if self.studio_app().session.actor is not None:
            self.show_menu()
        self.show_members()
        self.show_songs()
        self.show_consent_state(self._consent)

    def load_members(self) -> None:
        studio = self.studio_app().studio
        actor = self.studio_app().session.actor
        if actor is None:
            return
        self.background(lambda: people.members(studio, actor), self.got_members,
                        group="members", exclusive=True)

    def got_members(self, members: list[Member]) -> None:
        self.members = members
        self.show_members()
        self.load_songs()
        self.query_one("#members", OptionList).focus()

    def show_members(self, empty: Words = NO_MEMBERS) -> None:
        listing = self.query_one("#members", OptionList)
        listing.clear_options()
        chosen = self.studio_app().session.member
        if not self.members:
            listing.add_option(Option(empty.say(), disabled=True))
            return
        for member in self.members:
            mark = "● " if chosen is not None and chosen.id == member.id else "  "
            listing.add_option(Option(mark + member.alias, id=f"member-{member.id}"))
        listing.highlighted = 0
        if chosen is not None:
            for index, member in enumerate(self.members):
                if member.id == chosen.id:
                    listing.highlighted = index

    def load_songs(self) -> None:
        app = self.studio_app()
        session = app.session
        member = session.member
        actor = session.actor

        def job() -> tuple[list[library.LibraryEntry], list[consent.ConsentState]]:
            entries = library.library(app.studio, actor,
                                      member_id=member.id if member else None)
            if member is None:
                entries = [e for e in entries if e.song.member_id is None]
            states = consent.state(app.studio, member.alias) if member else []
            return entries, states

        self.background(job, self.got_songs, group="songs", exclusive=True)

    def got_songs(self, result: tuple[list[library.LibraryEntry],
                                      list[consent.ConsentState]]) -> None:
        self.songs, states = result
        self.show_songs()
        self.show_consent_state(states)

    def show_songs(self) -> None:
        member = self.studio_app().session.member
        title = self.query_one("#songs-title", Said)
        if member is None:
            title.say(PRACTICE_SONGS)
        else:
            title.say(SONGS_OF, alias=member.alias)
        listing = self.query_one("#songs", OptionList)
        listing.clear_options()
        if not self.songs:
            listing.add_option(Option(NO_SONGS.say(), disabled=True))
        for entry in self.songs:
            listing.add_option(Option(SONG_LINE.say(name=entry.song.name,
                                                    state=entry.state_words()),
                                      id=f"song-{entry.song.id}"))
        if self.songs:
            listing.highlighted = 0

    def show_consent_state(self, states: list[consent.ConsentState]) -> None:
        self._consent = states
        line = self.query_one("#consent", Said)
        if not states:
            line.say(None)
            return
        summary = "; ".join(s.describe() for s in states if s.record is not None) or \
            "; ".join(s.describe() for s in states[:1])
        line.say(CONSENT_LINE, summary=summary)

    # what people do ---------------------------------------------------------------------------
    def on_sign_in_form_submitted(self, message: SignInForm.Submitted) -> None:
        app = self.studio_app()
        form = message.form

        def done(actor: Actor) -> None:
            form.clear()
            app.signed_in(actor)
            self.show_session()

        def refused(error: BaseException) -> None:
            if isinstance(error, StudioError):
                form.show_error(error)
            else:
                self.fail(error)

        self.background(lambda: sign_in(app.studio, message.name, message.secret), done,
                        failed=refused, group="sign-in", exclusive=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "practice":
            self.action_practice()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if option_id.startswith("member-"):
            member = next(m for m in self.members if f"member-{m.id}" == option_id)
            self.choose_member(member)
        elif option_id.startswith("song-"):
            entry = next(e for e in self.songs if f"song-{e.song.id}" == option_id)
            self.open_song(entry.song)

    def choose_member(self, member: Member) -> None:
        app = self.studio_app()
        app.session.member = member
        app.session.song = None
        actor = app.session.actor
        self.show_members()
        self.load_songs()
        self.query_one("#songs", OptionList).focus()
        if actor is not None:
            self.tell(HERE, alias=member.alias)
            self.background(lambda: people.check_in(app.studio, actor, member.alias),
                            group="visit")

    def open_song(self, song: Song) -> None:
        from studio.tui.screens.record import RecordScreen

        self.studio_app().session.song = song
        self.app.push_screen(RecordScreen())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "new-member":
            return
        event.stop()
        alias = event.value.strip()
        app = self.studio_app()
        actor = app.session.actor
        if not alias or actor is None:
            return

        def added(member: Member) -> None:
            event.input.value = ""
            self.members = [*self.members, member]
            self.choose_member(member)
            self.tell(ADDED, alias=member.alias)

        self.background(lambda: people.add_member(app.studio, actor, alias), added,
                        group="add-member")

    # keys -------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        session = self.studio_app().session
        if action in _NEEDS_ACTOR and session.actor is None:
            return False
        if action == "practice" and session.actor is not None:
            return False
        if action == "review":
            return session.actor is not None and may(session.actor.role, Action.REVIEW)
        return True

    def action_first_song(self) -> None:
        from studio.tui.screens.first_song import FirstSongScreen

        if self.studio_app().session.member is None:
            self.tell(PICK_MEMBER_FIRST, "warning")
            return
        self.app.push_screen(FirstSongScreen())

    def action_new_song(self) -> None:
        from studio.tui.screens.dialogs import Ask

        app = self.studio_app()

        def named(name: str | None) -> None:
            if not name or not name.strip():
                return
            member, actor = app.session.member, app.session.actor

            def make() -> Song:
                song = app.studio.new_song(name.strip(), samplerate=app.prefs.samplerate)
                if member is not None and actor is not None:
                    song = people.set_artist(app.studio, actor, song, member.alias)
                return song

            self.background(make, self.open_song, group="new-song")

        self.app.push_screen(Ask(NEW_SONG_Q, NEW_SONG_P), named)

    def _with_song(self) -> bool:
        if self.studio_app().session.song is None:
            highlighted = self.query_one("#songs", OptionList).highlighted
            if highlighted is not None and highlighted < len(self.songs):
                self.studio_app().session.song = self.songs[highlighted].song
        if self.studio_app().session.song is None:
            self.tell(NO_SONG, "warning")
            return False
        return True

    def action_record(self) -> None:
        from studio.tui.screens.record import RecordScreen

        if self._with_song():
            self.app.push_screen(RecordScreen())

    def action_library(self) -> None:
        from studio.tui.screens.library import LibraryScreen

        self.app.push_screen(LibraryScreen())

    def action_practice(self) -> None:
        self.action_library()

    def action_review(self) -> None:
        from studio.tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen())

    def action_export(self) -> None:
        from studio.tui.screens.export import ExportScreen

        if self._with_song():
            self.app.push_screen(ExportScreen())

    def action_mix(self) -> None:
        from studio.tui.screens.mix import MixScreen

        if self._with_song():
            self.app.push_screen(MixScreen())

    def action_beat(self) -> None:
        from studio.tui.screens.beat import BeatScreen

        if self._with_song():
            self.app.push_screen(BeatScreen())

    def action_consent(self) -> None:
        from studio.tui.screens.consent import ConsentScreen

        if self.studio_app().session.member is None:
            self.tell(PICK_MEMBER_FIRST, "warning")
            return
        self.app.push_screen(ConsentScreen(), lambda _: self.load_songs())

    def action_settings(self) -> None:
        from studio.tui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())

    def action_switch(self) -> None:
        """Sign out now: the next person signs in (nothing of this one's stays on screen)."""
        app = self.studio_app()
        app.close_sound()
        app.session.sign_out()
        self.members, self.songs = [], []
        self.show_members()
        self.show_songs()
        self.show_session()

    def on_screen_resume(self) -> None:
        if self.studio_app().session.actor is not None:
            self.load_songs()
