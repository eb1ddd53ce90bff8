"""Messages sent while the conversation is busy wait their turn.

A question typed while an answer streams (or a tool command runs) in the same conversation is
shown as queued and sent when that work ends, after the answer: every stored path stays
user, assistant, user, assistant, and the question is answered with the answer before it in its
context. Esc stops the answer early; the queued question then follows the stopped answer. When
there is no answer to follow (it failed, or was stopped before the model was ready), the queued
text goes back to the prompt instead of being stored after an unanswered question.

A message typed when the conversation ends in such an unanswered question goes beside it (a new
branch, as an edit would), not under it: `ChatSession.reply_parent` says where. The queue is the
session's (`ChatSession.queue`, `take_queued`); here it is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from assistant.tui.literal import literal
from assistant.tui.message_view import UserMessageView

if TYPE_CHECKING:
    from assistant.store.conversations import Message
    from assistant.tui.host import ChatHost


class QueuedMessage(Static):
    """A message waiting for the answer above it (not stored yet)."""

    def __init__(self, text: str) -> None:
        header = "You · queued: sent when the answer above ends (esc stops it now)"
        super().__init__(literal(f"{header}\n{text}"), classes="message user queued")
        self.text = text


class QueueMixin:
    """Mixed into ChatApp: `self` is the app; the queue itself is the session's."""

    async def show_new_message(self: ChatHost, message: Message, beside: bool) -> None:
        """Show a user message just stored (`beside`: next to an unanswered question, so the
        branch on screen changed)."""
        if beside:
            await self.render_branch()
            return
        await self.thread.mount(UserMessageView(message, self.session.sibling_position(message.id)))

    async def queue_message(self: ChatHost, conversation_id: int, text: str) -> None:
        self.session.queue(conversation_id, text)
        await self.thread.mount(QueuedMessage(text))
        self.thread.scroll_end(animate=False)

    def queued_views(self: ChatHost, conversation_id: int) -> list[QueuedMessage]:
        return [QueuedMessage(text) for text in self.session.queued.get(conversation_id, [])]

    async def send_queued(self: ChatHost, conversation_id: int) -> None:
        """The work on this conversation ended: send the first message waiting for it (the rest
        wait for its answer). Only for the open conversation; another one sends when opened."""
        session = self.session
        if self.closing or session.busy(conversation_id) or not session.queued.get(conversation_id):
            return
        if self.conversation is None or self.conversation.id != conversation_id:
            return
        texts, sendable = session.take_queued(conversation_id)
        for view in list(self.thread.query(QueuedMessage)):
            await view.remove()
        if not sendable:  # no answer came: do not stack two questions
            self._back_to_prompt(texts)
            return
        first, rest = texts[0], texts[1:]
        if rest:
            session.queued[conversation_id] = rest
        await self.submit(first)
        for text in rest:
            await self.thread.mount(QueuedMessage(text))

    def _back_to_prompt(self: ChatHost, texts: list[str]) -> None:
        self.notify(
            "the answer before your queued message did not finish: it is back in the prompt",
            severity="warning",
            timeout=10,
        )
        if len(texts) == 1 and not self.prompt.value and "\n" not in texts[0]:
            self.prompt.value = texts[0]
        else:
            self.compose_message("\n\n".join(t for t in [self.prompt.value, *texts] if t))
