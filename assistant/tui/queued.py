"""Messages sent while the conversation is busy wait their turn.

A question typed while an answer streams (or a tool command runs) in the same conversation is
shown as queued and sent when that work ends, after the answer: every stored path stays
user, assistant, user, assistant, and the question is answered with the answer before it in its
context. Esc stops the answer early; the queued question then follows the stopped answer. When
there is no answer to follow (it failed, or was stopped before the model was ready), the queued
text goes back to the prompt instead of being stored after an unanswered question.

A message typed when the conversation ends in such an unanswered question goes beside it (a new
branch, as an edit would), not under it: `reply_parent` says where.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from assistant.store import conversations as convs
from assistant.tui.literal import literal
from assistant.tui.message_view import UserMessageView

if TYPE_CHECKING:
    from assistant.tui.app import ChatApp


class QueuedMessage(Static):
    """A message waiting for the answer above it (not stored yet)."""

    def __init__(self, text: str) -> None:
        header = "You · queued: sent when the answer above ends (esc stops it now)"
        super().__init__(literal(f"{header}\n{text}"), classes="message user queued")
        self.text = text


class QueueMixin:
    """Mixed into ChatApp: `self` is the app."""

    def _init_queue(self: ChatApp) -> None:
        self.queued: dict[int, list[str]] = {}  # conversation id -> texts, oldest first

    def busy(self: ChatApp, conversation_id: int) -> bool:
        """An answer or a tool command still working on this conversation."""
        lives = list(self.live.values())
        tools = list(self.tool_runs.values())
        return any(live.conversation_id == conversation_id for live in lives) or (
            conversation_id in tools
        )

    def reply_parent(self: ChatApp, conversation: convs.Conversation) -> int | None:
        """The message a new one in this conversation follows: the current leaf, unless that is
        a question left without an answer (it failed, or was stopped before it began); then the
        new one becomes its sibling, so no stored path has two questions in a row."""
        leaf_id = conversation.current_leaf_id
        if leaf_id is None:
            return None
        leaf = convs.get_message(self.conn, leaf_id)
        return leaf.parent_id if leaf.role == "user" else leaf.id

    async def show_new_message(self: ChatApp, conversation: convs.Conversation, message) -> None:
        """Show a message just stored in `conversation` (as it was before the message)."""
        if message.parent_id != conversation.current_leaf_id:  # beside an unanswered question
            await self.render_branch()
            return
        siblings = [s.id for s in convs.siblings(self.conn, message.id)]
        await self.thread.mount(
            UserMessageView(message, (siblings.index(message.id) + 1, len(siblings)))
        )

    async def queue_message(self: ChatApp, conversation_id: int, text: str) -> None:
        self.queued.setdefault(conversation_id, []).append(text)
        await self.thread.mount(QueuedMessage(text))
        self.thread.scroll_end(animate=False)

    def queued_views(self: ChatApp, conversation_id: int) -> list[QueuedMessage]:
        return [QueuedMessage(text) for text in self.queued.get(conversation_id, [])]

    async def send_queued(self: ChatApp, conversation_id: int) -> None:
        """The work on this conversation ended: send the first message waiting for it (the rest
        wait for its answer). Only for the open conversation; another one sends when opened."""
        if self.closing or self.busy(conversation_id) or not self.queued.get(conversation_id):
            return
        if self.conversation is None or self.conversation.id != conversation_id:
            return
        texts = self.queued.pop(conversation_id)
        for view in list(self.thread.query(QueuedMessage)):
            await view.remove()
        branch = convs.branch(self.conn, conversation_id)
        if branch and branch[-1].role == "user":  # no answer came: do not stack two questions
            self._back_to_prompt(texts)
            return
        first, rest = texts[0], texts[1:]
        if rest:
            self.queued[conversation_id] = rest
        await self.submit(first)
        for text in rest:
            await self.thread.mount(QueuedMessage(text))

    def _back_to_prompt(self: ChatApp, texts: list[str]) -> None:
        self.notify(
            "the answer before your queued message did not finish: it is back in the prompt",
            severity="warning",
            timeout=10,
        )
        if len(texts) == 1 and not self.prompt.value and "\n" not in texts[0]:
            self.prompt.value = texts[0]
        else:
            self.compose_message("\n\n".join(t for t in [self.prompt.value, *texts] if t))
