"""The conversation list: search box on top, newest first; new, rename and delete from here."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widgets import Input, ListItem, ListView, Static

from assistant.store.conversations import Conversation
from assistant.tui.literal import literal


class ConversationItem(ListItem):
    def __init__(self, conversation: Conversation) -> None:
        super().__init__(Static(literal(conversation.title), classes="title"))
        self.conversation = conversation


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

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search chats (ctrl+f)", id="search")
        yield ListView(id="conversations")

    @property
    def query_text(self) -> str:
        return self.query_one("#search", Input).value

    async def show(self, conversations: list[Conversation], current: int | None) -> None:
        """Replace the list (unless it is unchanged); highlight the current conversation."""
        view = self.query_one("#conversations", ListView)
        items = list(self.query(ConversationItem))
        same = [(c.id, c.title) for c in conversations] == [
            (i.conversation.id, i.conversation.title) for i in items
        ]
        if not same:
            await view.clear()
            items = [ConversationItem(c) for c in conversations]
            await view.extend(items)
            view.index = 0 if items else None
        for index, item in enumerate(items):
            item.set_class(item.conversation.id == current, "current")
            if item.conversation.id == current:
                view.index = index

    def titles(self) -> list[str]:
        return [item.conversation.title for item in self.query(ConversationItem)]

    def highlighted_id(self) -> int | None:
        item = self.query_one("#conversations", ListView).highlighted_child
        return item.conversation.id if isinstance(item, ConversationItem) else None

    @on(ListView.Selected, "#conversations")
    def _selected(self, event: ListView.Selected) -> None:
        if isinstance(event.item, ConversationItem):
            self.post_message(self.Selected(event.item.conversation.id))

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.SearchChanged(event.value))

    @on(Input.Submitted, "#search")
    def _search_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#conversations", ListView).focus()
