"""The conversation list: search box on top, newest first; new, rename and delete from here.

The list is one `OptionList` (its rows are lines, not widgets), so a history of hundreds of
conversations costs the first frame nothing: 300 conversations as one widget each took it from
0.6 to 2 s.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from assistant.store.conversations import Conversation
from assistant.tui.literal import literal


class Sidebar(Vertical):
    """Posts `Sidebar.Selected(id)` when the user opens a conversation."""

    BINDINGS = [
        Binding("delete", "app.delete_conversation", "Delete", id="delete"),
    ]

    class Selected(TextualMessage):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class SearchChanged(TextualMessage):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: list[tuple[int, str]] = []  # (id, title) of each row
        self._current: int | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search chats (ctrl+f)", id="search")
        yield OptionList(id="conversations")

    @property
    def query_text(self) -> str:
        return self.query_one("#search", Input).value

    async def show(self, conversations: list[Conversation], current: int | None) -> None:
        """Replace the list (unless it is unchanged); the current conversation is in bold and
        highlighted."""
        view = self.query_one("#conversations", OptionList)
        shown = [(c.id, c.title) for c in conversations]
        if shown == self._shown and current == self._current:
            return
        highlighted = view.highlighted
        view.clear_options()
        view.add_options(
            Option(literal(title, "bold" if id_ == current else ""), id=str(id_))
            for id_, title in shown
        )
        if shown != self._shown:
            highlighted = 0 if shown else None
        ids = [id_ for id_, _ in shown]
        view.highlighted = ids.index(current) if current in ids else highlighted
        self._shown, self._current = shown, current

    def titles(self) -> list[str]:
        return [title for _, title in self._shown]

    def highlighted_id(self) -> int | None:
        index = self.query_one("#conversations", OptionList).highlighted
        return self._shown[index][0] if index is not None and index < len(self._shown) else None

    @on(OptionList.OptionSelected, "#conversations")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Selected(int(event.option.id)))

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.SearchChanged(event.value))

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#conversations", OptionList).focus()
