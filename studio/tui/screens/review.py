"""Review, for therapists: the versions waiting, with their lyrics and the members' consent;
listen, then approve, ask for changes, or decline with a note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, OptionList
from textual.widgets.option_list import Option

from studio.core.gate import ReviewDecision
from studio.core.i18n import StudioError, Words
from studio.services import consent, people, review
from studio.services.console import Console
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said
from studio.tui.widgets.transport import PLAYING, STOPPED, clock

TITLE = Words(nb="Gjennomgang", en="Review")
WAITING = Words(nb="Venter på gjennomgang ({count})", en="Waiting for review ({count})")
NOTHING_WAITING = Words(nb="Ingen sanger venter. Godt jobbet!",
                        en="No songs are waiting. Well done!")
QUEUE_LINE = Words(nb="{song} · {artist}", en="{song} · {artist}")
SONG_INFO = Words(nb="«{song}» av {artist}. Sendt inn {at} av {by}.",
                  en="“{song}” by {artist}. Submitted {at} by {by}.")
CHANGED = Words(nb="Obs: sangen er endret etter at den ble sendt inn; en ny versjon må sendes.",
                en="Note: the song changed after it was submitted; a new version must be sent.")
LYRICS = Words(nb="Tekst", en="Lyrics")
NO_LYRICS = Words(nb="(ingen tekst skrevet inn)", en="(no lyrics written down)")
CONSENT_OF = Words(nb="Samtykke for {alias}: {summary}", en="Consent of {alias}: {summary}")
LISTENING = Words(nb="{state}  {time}", en="{state}  {time}")
NOTE_Q = Words(nb="Skriv en kort begrunnelse til deltakeren:",
               en="Write a short note for the member:")
NOTE_P = Words(nb="Hva skal til?", en="What is needed?")
DECIDED = Words(nb="«{song}»: {decision}.", en="“{song}”: {decision}.")

LISTEN = Words(nb="Lytt/stopp", en="Listen/stop")
APPROVE = Words(nb="Godkjenn", en="Approve")
CHANGES = Words(nb="Be om endringer", en="Ask for changes")
DECLINE = Words(nb="Avslå", en="Decline")


@dataclass(frozen=True)
class Detail:
    item: review.QueueItem
    artist: str
    consents: list[tuple[str, str]]  # (alias, summary)


class ReviewScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    ReviewScreen #queue-pane { width: 32; }
    ReviewScreen #queue { height: 1fr; border: none; }
    ReviewScreen #detail { width: 1fr; padding: 0 1; }
    ReviewScreen #lyrics-box { height: 1fr; border: round $primary 50%; }
    ReviewScreen #changed { color: $warning; text-style: bold; height: auto; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("space", "listen", LISTEN, key_display="␣"),
        Key("a", "decide('approved')", APPROVE),
        Key("c", "decide('changes')", CHANGES),
        Key("d", "decide('declined')", DECLINE),
    )

    def __init__(self) -> None:
        super().__init__()
        self.items: list[review.QueueItem] = []
        self.aliases: dict[int, str] = {}
        self.detail: Detail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Said(id="refusal", classes="refusal")
        with Horizontal():
            with Vertical(id="queue-pane", classes="pane"):
                yield Said(id="waiting", classes="heading")
                yield OptionList(id="queue")
            with Vertical(id="detail"):
                yield Said(id="song-info", classes="plain")
                yield Said(id="changed")
                yield Said(LYRICS, classes="heading")
                with VerticalScroll(id="lyrics-box"):
                    yield Said(id="lyrics", classes="plain")
                yield Said(id="consent", classes="plain")
                yield Said(id="listening", classes="plain")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()
        self.set_interval(1 / 30, self.tick)

    def load(self) -> None:
        app = self.studio_app()
        actor = app.session.actor

        def job() -> tuple[list[review.QueueItem], dict[int, str]]:
            if actor is None:
                from studio.core.i18n import Refused
                from studio.tui.common import NOT_SIGNED_IN

                raise Refused(NOT_SIGNED_IN)
            items = review.queue(app.studio, actor)
            aliases = {m.id: m.alias for m in people.members(app.studio, actor)}
            return items, aliases

        def got(result: tuple[list[review.QueueItem], dict[int, str]]) -> None:
            self.items, self.aliases = result
            self.query_one("#refusal", Said).say(None)
            self.show_queue()

        self.background(job, got, failed=self.refused, group="queue", exclusive=True)

    def refused(self, error: BaseException) -> None:
        if isinstance(error, StudioError):
            self.query_one("#refusal", Said).say(error.words, **error.values)
        self.fail(error)

    def show_queue(self) -> None:
        self.query_one("#waiting", Said).say(WAITING if self.items else NOTHING_WAITING,
                                             count=len(self.items))
        listing = self.query_one("#queue", OptionList)
        listing.clear_options()
        for item in self.items:
            artist = self.aliases.get(item.song.member_id or -1, "–")
            listing.add_option(Option(QUEUE_LINE.say(song=item.song.name, artist=artist),
                                      id=f"song-{item.song.id}"))
        if self.items:
            listing.highlighted = 0
            listing.focus()
        else:
            self.detail = None
            self.show_detail()

    def on_language(self) -> None:
        if self.items:
            self.show_queue()
        self.show_detail()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        if 0 <= index < len(self.items):
            self.load_detail(self.items[index])

    def load_detail(self, item: review.QueueItem) -> None:
        app = self.studio_app()

        def job() -> Detail:
            summaries = []
            for member_id in review.performers(app.studio, item.song):
                alias = self.aliases.get(member_id, f"#{member_id}")
                states = consent.state(app.studio, alias)
                summaries.append((alias, "; ".join(s.describe() for s in states)))
            return Detail(item, self.aliases.get(item.song.member_id or -1, "–"), summaries)

        def got(detail: Detail) -> None:
            self.detail = detail
            self.show_detail()

        self.background(job, got, group="detail", exclusive=True)

    def show_detail(self) -> None:
        info, changed = self.query_one("#song-info", Said), self.query_one("#changed", Said)
        lyrics, agreed = self.query_one("#lyrics", Said), self.query_one("#consent", Said)
        detail = self.detail
        if detail is None:
            for said in (info, changed, lyrics, agreed):
                said.say(None)
            return
        item = detail.item
        info.say(SONG_INFO, song=item.song.name, artist=detail.artist,
                 at=item.submitted.at[:16].replace("T", " "), by=item.submitted.by)
        changed.say(None if item.current else CHANGED)
        text = item.lyrics.strip()
        lyrics.say(Words(nb=text, en=text) if text else NO_LYRICS)
        lines = "\n".join(CONSENT_OF.say(alias=a, summary=s) for a, s in detail.consents)
        agreed.say(Words(nb=lines, en=lines))

    # listening --------------------------------------------------------------------------------
    def tick(self) -> None:
        detail = self.detail
        said = self.query_one("#listening", Said)
        head = self.studio_app().sound.playhead(detail.item.song.name) if detail else None
        if head is None:
            said.say(None)
            return
        said.say(LISTENING, state=PLAYING if head.rolling else STOPPED, time=clock(head.seconds))

    def action_listen(self) -> None:
        app = self.studio_app()
        detail, actor, choice = self.detail, app.session.actor, app.engine_choice()
        if detail is None:
            return
        name = detail.item.song.name

        def toggle(console: Console) -> None:
            if console.rolling():
                console.stop()
            else:
                console.play()

        self.background(lambda: app.sound.run(name, actor, choice, toggle), group="listen")

    # deciding ---------------------------------------------------------------------------------
    def action_decide(self, decision: str) -> None:
        from studio.tui.screens.dialogs import Ask

        chosen = ReviewDecision(decision)
        if self.detail is None:
            return
        if chosen is ReviewDecision.APPROVED:
            self.decide(chosen, "")
            return

        def noted(note: str | None) -> None:
            if note is not None:
                self.decide(chosen, note)

        self.app.push_screen(Ask(NOTE_Q, NOTE_P), noted)

    def decide(self, decision: ReviewDecision, note: str) -> None:
        app = self.studio_app()
        detail, actor = self.detail, app.session.actor
        if detail is None or actor is None:
            return
        song = detail.item.song

        def done(_: object) -> None:
            self.tell(DECIDED, song=song.name, decision=review.DECISION_WORDS[decision])
            self.detail = None
            app.close_sound()
            self.load()

        self.background(lambda: review.decide_review(app.studio, actor, song, decision, note),
                        done)
