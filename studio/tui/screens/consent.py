"""Consent, asked with the member: each purpose with where it stands, the exact question the
member is shown (its wording version is recorded with the answer), a witness, and one key to
record a yes or to withdraw."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input, OptionList
from textual.widgets.option_list import Option

from studio.core.consent import PURPOSE_WORDS, WORDINGS, Purpose
from studio.core.i18n import Words
from studio.core.people import Member
from studio.services import consent
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said, SaidInput

TITLE = Words(nb="Samtykke", en="Consent")
HEADING = Words(nb="Samtykke for {alias}", en="Consent of {alias}")
ASK = Words(nb="Les spørsmålet høyt for {alias}:", en="Read the question out to {alias}:")
VERSION = Words(nb="(tekstversjon {version})", en="(wording version {version})")
WITNESS = Words(nb="Vitne (en annen som er til stede)", en="Witness (someone else who is here)")
UNTIL = Words(nb="Lagres til (ÅÅÅÅ-MM-DD)", en="Kept until (YYYY-MM-DD)")
PLATFORMS = Words(nb="Hvor (f.eks. strømmetjenester, nettsiden vår)",
                  en="Where (e.g. streaming services, our website)")
AUDIENCE = Words(nb="erfaringskonsulenten, gruppen og musikkterapeuten",
                 en="the leader, the group and the therapist")
CREDIT_ALIAS = Words(nb="artistnavnet ditt", en="your artist alias")
CREDIT_ANON = Words(nb="anonymt", en="anonymously")
NO_SONG_FOR_RELEASE = Words(
    nb="Publisering gjelder én bestemt sang: velg sangen på startsiden først.",
    en="Release covers one exact song: choose the song on the start screen first.",
)
GRANTED = Words(nb="Registrert: {alias} sa ja til {purpose}.",
                en="Recorded: {alias} said yes to {purpose}.")
WITHDRAWN = Words(nb="Registrert: {alias} trakk tilbake {purpose}.",
                  en="Recorded: {alias} withdrew {purpose}.")
WITHDRAW_Q = Words(
    nb="Trekke tilbake «{purpose}» for {alias}? Det gjelder med en gang.",
    en="Withdraw “{purpose}” for {alias}? It takes effect at once.",
)
WITHDRAW_KEEP_Q = Words(
    nb="Trekke tilbake «{purpose}» for {alias}? Da slettes opptakene til {alias} (eller sperres "
       "der loven krever at de oppbevares). Det kan ikke angres.",
    en="Withdraw “{purpose}” for {alias}? Then {alias}'s recordings are deleted (or restricted "
       "where the law requires keeping them). This cannot be undone.",
)

YES_KEY = Words(nb="Ja, registrer", en="Yes, record it")
WITHDRAW_KEY = Words(nb="Trekk tilbake", en="Withdraw")
CREDIT_KEY = Words(nb="Kreditering", en="Credit")


class ConsentScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    ConsentScreen #purposes { height: 7; border: none; }
    ConsentScreen #question { padding: 1 2; height: auto; border: round $accent; }
    ConsentScreen Horizontal { height: auto; }
    ConsentScreen Input { width: 1fr; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("ctrl+y", "grant", YES_KEY),
        Key("ctrl+n", "withdraw", WITHDRAW_KEY),
        Key("ctrl+o", "credit", CREDIT_KEY),
    )

    def __init__(self) -> None:
        super().__init__()
        self.member: Member | None = None
        self.states: list[consent.ConsentState] = []
        self.anonymous = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Said(id="heading", classes="heading")
        yield OptionList(id="purposes")
        yield Said(id="ask", classes="plain")
        yield Said(id="question")
        yield Said(id="version", classes="hint")
        with Horizontal():
            yield SaidInput(WITNESS, id="witness")
            yield SaidInput(UNTIL, id="until")
            yield SaidInput(PLATFORMS, id="platforms")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        app = self.studio_app()
        self.member = app.session.member
        if self.member is None:
            self.dismiss()
            return
        self.query_one("#heading", Said).say(HEADING, alias=self.member.alias)
        self.query_one("#ask", Said).say(ASK, alias=self.member.alias)
        keep_until = app.studio.today() + timedelta(days=365)
        self.query_one("#until", Input).value = keep_until.isoformat()
        self.load()
        self.query_one("#purposes", OptionList).focus()

    def load(self) -> None:
        app = self.studio_app()
        member = self.member
        if member is None:
            return

        def got(states: list[consent.ConsentState]) -> None:
            self.states = states
            self.show_states()

        self.background(lambda: consent.state(app.studio, member.alias), got,
                        group="consent", exclusive=True)

    def show_states(self) -> None:
        listing = self.query_one("#purposes", OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        for state in self.states:
            mark = "✓" if state.granted else "✗" if state.record is not None else "?"
            listing.add_option(Option(f"{mark} {state.describe()}", id=state.purpose.value))
        listing.highlighted = highlighted if highlighted is not None else 0
        self.show_question()

    def on_language(self) -> None:
        self.show_states()

    def purpose(self) -> Purpose | None:
        listing = self.query_one("#purposes", OptionList)
        if listing.highlighted is None or not self.states:
            return None
        return self.states[listing.highlighted].purpose

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show_question()

    def show_question(self) -> None:
        purpose = self.purpose()
        question = self.query_one("#question", Said)
        if purpose is None:
            question.say(None)
            return
        wording = WORDINGS[purpose]
        song = self.studio_app().session.song
        question.say(wording.text, until=self.query_one("#until", Input).value or "…",
                     audience=AUDIENCE,
                     platforms=self.query_one("#platforms", Input).value or "…",
                     credit=CREDIT_ANON if self.anonymous else CREDIT_ALIAS)
        self.query_one("#version", Said).say(VERSION, version=wording.version)
        self.query_one("#until", Input).display = purpose is Purpose.KEEP
        self.query_one("#platforms", Input).display = purpose is Purpose.PUBLIC_RELEASE
        if purpose is Purpose.PUBLIC_RELEASE and song is None:
            question.say(NO_SONG_FOR_RELEASE)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("until", "platforms"):
            self.show_question()

    def action_credit(self) -> None:
        self.anonymous = not self.anonymous
        self.show_question()

    def action_grant(self) -> None:
        app = self.studio_app()
        member, actor, purpose = self.member, app.session.actor, self.purpose()
        if member is None or actor is None or purpose is None:
            return
        witness = self.query_one("#witness", Input).value
        until = self.query_one("#until", Input).value
        platforms = [p for p in self.query_one("#platforms", Input).value.split(",") if p]
        song = app.session.song

        def job() -> None:
            consent.grant(app.studio, actor, member.alias, purpose, witness=witness,
                          keep_until=until if purpose is Purpose.KEEP else None,
                          song=song.name if song and purpose is Purpose.PUBLIC_RELEASE
                          else None,
                          platforms=platforms,
                          credit="anonymous" if self.anonymous else "alias")

        def done(_: None) -> None:
            self.tell(GRANTED, alias=member.alias, purpose=PURPOSE_WORDS[purpose])
            self.load()

        self.background(job, done, group="grant")

    def action_withdraw(self) -> None:
        from studio.tui.screens.dialogs import Confirm

        app = self.studio_app()
        member, actor, purpose = self.member, app.session.actor, self.purpose()
        if member is None or actor is None or purpose is None:
            return
        witness = self.query_one("#witness", Input).value

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            def done(result: consent.WithdrawResult) -> None:
                self.tell(WITHDRAWN, alias=member.alias, purpose=PURPOSE_WORDS[purpose])
                if result.erasure is not None:
                    app.notify(result.erasure.say(), timeout=10)
                self.load()

            self.background(lambda: consent.withdraw(app.studio, actor, member.alias, purpose,
                                                     witness=witness), done, group="withdraw")

        question = WITHDRAW_KEEP_Q if purpose is Purpose.KEEP else WITHDRAW_Q
        self.app.push_screen(Confirm(question, purpose=PURPOSE_WORDS[purpose],
                                     alias=member.alias), answered)

