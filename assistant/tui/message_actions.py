"""What can be done to a message in the thread: copy, rate, flip between branches, regenerate,
edit (which branches), and pick the best of several answers (a preference for training)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.tui.message_view import AssistantMessageView, MessageView, UserMessageView

if TYPE_CHECKING:
    from assistant.tui.host import ChatHost


class MessageActionsMixin:
    """Mixed into ChatApp: `self` is the app, as `ChatHost` describes it."""

    async def on_message_view_requested(self: ChatHost, event: MessageView.Requested) -> None:
        """A message's own keys (c, +, -, 1-5, left/right, r, e, b), posted up by its view."""
        view, arguments = event.view, event.arguments
        if event.action == "copy":
            self.copy_message(view)
        elif event.action == "rate":
            self.rate_message(view, **arguments)
        elif event.action == "sibling":
            await self.show_sibling(view, arguments["step"])
        elif event.action == "regenerate":
            await self.regenerate(view)
        elif event.action == "edit":
            self.edit_message(view)
        elif event.action == "pick":
            self.pick_best(view)

    def target_message(self: ChatHost, role: str | None = "assistant") -> MessageView | None:
        """The focused message, else the last one (of `role`) in the thread."""
        focused = self.focused
        if isinstance(focused, MessageView) and focused.message is not None:
            return focused
        views = [
            v
            for v in self.message_views()
            if v.message is not None and (role is None or v.message.role == role)
        ]
        return views[-1] if views else None

    def action_focus_message(self: ChatHost, step: int) -> None:
        views = self.message_views()
        if not views:
            return
        if self.focused in views:
            index = views.index(self.focused) + step
            if index >= len(views):
                self.prompt.focus()
                return
            views[max(index, 0)].focus()
        else:
            views[-1].focus()
        self.focused.scroll_visible(animate=False)

    def copy_message(self: ChatHost, view: MessageView) -> None:
        self.copy_to_clipboard(view.text)
        self.notify(f"copied {len(view.text)} characters (OSC 52)")

    def action_copy_last(self: ChatHost) -> None:
        view = self.target_message()
        if view is not None:
            self.copy_message(view)

    def rate_message(self: ChatHost, view: MessageView, **rating: int) -> None:
        if not isinstance(view, AssistantMessageView) or view.message is None:
            self.notify("only a finished answer can be rated", severity="warning")
            return
        view.message = self.session.rate(view.message, **rating)  # the same again takes it back
        view.refresh_header()

    def action_rate(self: ChatHost, kind: str, value: int) -> None:
        view = self.target_message()
        if view is not None:
            self.rate_message(view, **{kind: value})

    async def show_sibling(self: ChatHost, view: MessageView, step: int) -> None:
        if view.message is None:
            return
        depth = self.message_views().index(view)
        if not self.session.show_sibling(view.message, step):
            self.notify("no more branches that way", severity="information", timeout=2)
            return
        await self.render_branch(focus_index=depth)

    async def regenerate(self: ChatHost, view: MessageView) -> None:
        """A new answer beside this one (or to this user message); both are kept."""
        if view.message is None:
            return
        parent = self.session.regenerate_from(view.message)
        if parent is None:
            return
        await self.render_branch()
        await self.answer(parent)

    async def action_regenerate_last(self: ChatHost) -> None:
        views = [v for v in self.message_views() if v.message is not None]
        if not views:
            self.notify("nothing to regenerate yet", severity="warning")
            return
        target = views[-1]
        if target.message.role == "tool":
            self.notify("a tool result cannot be regenerated; run the command again")
            return
        await self.regenerate(target)

    def edit_message(self: ChatHost, view: MessageView) -> None:
        from assistant.tui.text_dialog import TextDialog

        message = view.message
        if message is None or message.role == "tool" or self.conversation is None:
            return
        conversation_id = self.conversation.id

        async def done(text: str | None) -> None:
            if text is None or not text.strip() or text == message.content:
                return
            edited = self.session.edit(conversation_id, message, text)
            await self.render_branch()
            if isinstance(view, UserMessageView):
                await self.answer(edited.id)
                return
            self.notify("edited answer saved; recorded as preferred over the original")

        title = "Edit your message (a new branch)" if message.role == "user" else "Edit the answer"
        self.push_screen(TextDialog(title, message.content, multiline=True), done)

    def pick_best(self: ChatHost, view: MessageView) -> None:
        message = view.message
        if message is None or message.role != "assistant":
            return
        others = self.session.pick_best(message)
        if not others:
            self.notify("only one answer here: regenerate (r) first, then pick the best")
            return
        self.notify(f"picked as best of {others + 1}; saved as a preference")
