"""The library: every song with its state (draft, in review, approved, released, withdrawn),
and a search over song names and artist aliases. Enter opens a song on the record screen."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Input

from studio.core.i18n import Words
from studio.core.song import Song
from studio.services import library, review
from studio.tui.screens.base import StudioScreen
from studio.tui.speech import Key, Said, SaidInput

TITLE = Words(nb="Bibliotek", en="Library")
SEARCH = Words(nb="Søk etter sang eller artist (/)", en="Search for a song or an artist (/)")
HEADERS = (Words(nb="Sang", en="Song"), Words(nb="Artist", en="Artist"),
           Words(nb="Status", en="State"), Words(nb="Opptak", en="Takes"))
COUNT = Words(nb="{shown} av {total} sanger", en="{shown} of {total} songs")
NOTHING_FOUND = Words(nb="Ingen sang passer til «{search}».",
                      en="No song matches “{search}”.")
EMPTY = Words(nb="Ingen sanger ennå.", en="No songs yet.")
HIDDEN = Words(nb="(logg inn for å se)", en="(sign in to see)")
SUBMITTED = Words(nb="«{song}» er sendt til gjennomgang.",
                  en="“{song}” has been sent for review.")

OPEN = Words(nb="Åpne", en="Open")
FIND = Words(nb="Søk", en="Search")
SUBMIT = Words(nb="Send til gjennomgang", en="Submit for review")
EXPORT = Words(nb="Master/eksport", en="Master/export")


class LibraryScreen(StudioScreen):
    SCREEN_WORDS = TITLE
    DEFAULT_CSS = """
    LibraryScreen #songs { height: 1fr; }
    """
    KEYS: ClassVar[tuple[Key, ...]] = (
        Key("enter", "open", OPEN),
        Key("slash", "search", FIND, key_display="/"),
        Key("v", "submit", SUBMIT),
        Key("x", "export", EXPORT),
    )

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[library.LibraryEntry] = []
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield SaidInput(SEARCH, id="search")
        yield DataTable(id="songs", cursor_type="row", zebra_stripes=True)
        yield Said(id="count", classes="hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_headers()
        self.load()
        self.query_one("#songs", DataTable).focus()

    def set_headers(self) -> None:
        table = self.query_one("#songs", DataTable)
        table.clear(columns=True)
        for words, width in zip(HEADERS, (32, 16, 16, 6), strict=True):
            table.add_column(words.say(), width=width)

    def on_language(self) -> None:
        self.set_headers()
        self.show()

    def load(self) -> None:
        app = self.studio_app()
        actor = app.session.actor
        search = self.query_one("#search", Input).value

        def job() -> tuple[list[library.LibraryEntry], int]:
            found = library.library(app.studio, actor, search)
            total = len(library.library(app.studio, actor)) if search.strip() else len(found)
            return found, total

        def got(result: tuple[list[library.LibraryEntry], int]) -> None:
            self.entries, self.total = result
            self.show()

        self.background(job, got, group="library", exclusive=True)

    def show(self) -> None:
        table = self.query_one("#songs", DataTable)
        table.clear()
        signed_in = self.studio_app().session.actor is not None
        for entry in self.entries:
            artist = entry.artist or (HIDDEN.say() if entry.song.member_id and not signed_in
                                      else "–")
            table.add_row(entry.song.name, artist, entry.state_words(), str(entry.takes),
                          key=str(entry.song.id))
        count = self.query_one("#count", Said)
        search = self.query_one("#search", Input).value.strip()
        if not self.entries:
            count.say(NOTHING_FOUND if search else EMPTY, search=search)
        else:
            count.say(COUNT, shown=len(self.entries), total=self.total)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.load()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#songs", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def chosen(self) -> Song | None:
        table = self.query_one("#songs", DataTable)
        if not self.entries:
            return None
        return self.entries[min(max(table.cursor_row, 0), len(self.entries) - 1)].song

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_open(self) -> None:
        from studio.tui.screens.record import RecordScreen

        song = self.chosen()
        if song is not None:
            self.studio_app().session.song = song
            self.app.push_screen(RecordScreen())

    def action_export(self) -> None:
        from studio.tui.screens.export import ExportScreen

        song = self.chosen()
        if song is not None:
            self.studio_app().session.song = song
            self.app.push_screen(ExportScreen())

    def action_submit(self) -> None:
        app = self.studio_app()
        song, actor = self.chosen(), app.session.actor
        if song is None:
            return
        if actor is None:
            from studio.tui.common import NOT_SIGNED_IN

            self.tell(NOT_SIGNED_IN, "warning")
            return

        def done(_: object) -> None:
            self.tell(SUBMITTED, song=song.name)
            self.load()

        self.background(lambda: review.submit(app.studio, actor, song), done)

    def on_screen_resume(self) -> None:
        self.load()
