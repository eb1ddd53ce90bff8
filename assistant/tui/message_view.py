"""One message in the chat thread: the user's text, a streamed answer, or a tool's result.

Text is always data: user and tool text are shown through `literal()` (no markup, no escapes);
answers are Markdown (parsed as Markdown only; Rich markup like `[bold]` stays literal), streamed
with `Markdown.get_stream`. A focused message takes the rating, copy, edit and branch keys.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widget import Widget
from textual.widgets import Static

from assistant.store.conversations import Message
from assistant.tui.literal import clean, literal

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream


def _markdown():
    """Textual's Markdown widget, imported on first use: markdown-it and Pygments cost ~0.1 s,
    which the first frame does not wait for (`warm_markdown` imports it after that frame)."""
    from textual.widgets import Markdown

    return Markdown


def warm_markdown() -> None:
    _markdown()


MESSAGE_BINDINGS = [
    Binding("c", "copy", "Copy", id="copy"),
    Binding("plus,equals_sign", "thumbs(1)", "+1", id="thumbs_up"),
    Binding("minus", "thumbs(-1)", "-1", id="thumbs_down"),
    *[Binding(str(n), f"stars({n})", f"{n}★", show=False, id=f"stars_{n}") for n in range(1, 6)],
    Binding("left,h", "sibling(-1)", "Prev branch", id="prev_sibling"),
    Binding("right,l", "sibling(1)", "Next branch", id="next_sibling"),
    Binding("r", "regenerate", "Regenerate", id="regenerate_here"),
    Binding("e", "edit", "Edit", id="edit"),
    Binding("b", "pick", "Pick best", id="pick_best"),
    Binding("up,k", "app.focus_message(-1)", "Up", show=False, id="message_up"),
    Binding("down,j", "app.focus_message(1)", "Down", show=False, id="message_down"),
    Binding("i,enter", "app.focus_prompt", "Type", show=False, id="to_prompt"),
]


class MessageView(Vertical, can_focus=True):
    """Base of every message in the thread; `message` is its stored row (None while streaming)."""

    BINDINGS = MESSAGE_BINDINGS

    def __init__(self, message: Message | None, siblings: tuple[int, int] = (1, 1)) -> None:
        super().__init__(classes=f"message {message.role if message else 'assistant'}")
        self.message = message
        self.branch_pos = siblings  # (position, count), 1-based

    @property
    def text(self) -> str:
        return self.message.content if self.message else ""

    def header_text(self) -> str:
        return ""

    def refresh_header(self) -> None:
        for header in self.query(".header"):
            header.update(literal(self.header_text()))

    def _branch_label(self) -> str:
        pos, count = self.branch_pos
        return f" · ‹{pos}/{count}›" if count > 1 else ""

    class Requested(TextualMessage):
        """The user asked for something done to this message (`action`: copy, rate, sibling,
        regenerate, edit, pick); the app does it, through the chat session."""

        def __init__(self, view: MessageView, action: str, **arguments: int) -> None:
            super().__init__()
            self.view, self.action, self.arguments = view, action, arguments

    def action_copy(self) -> None:
        self.post_message(self.Requested(self, "copy"))

    def action_thumbs(self, value: int) -> None:
        self.post_message(self.Requested(self, "rate", thumbs=value))

    def action_stars(self, value: int) -> None:
        self.post_message(self.Requested(self, "rate", stars=value))

    def action_sibling(self, step: int) -> None:
        self.post_message(self.Requested(self, "sibling", step=step))

    def action_regenerate(self) -> None:
        self.post_message(self.Requested(self, "regenerate"))

    def action_edit(self) -> None:
        self.post_message(self.Requested(self, "edit"))

    def action_pick(self) -> None:
        self.post_message(self.Requested(self, "pick"))


class UserMessageView(MessageView):
    def compose(self) -> ComposeResult:
        yield Static(literal(self.header_text()), classes="header")
        yield Static(literal(self.text), classes="body")

    def header_text(self) -> str:
        return "You" + self._branch_label()


class AssistantMessageView(MessageView):
    """An answer; created empty and streamed into, or shown from the store."""

    def __init__(
        self,
        message: Message | None,
        siblings: tuple[int, int] = (1, 1),
        model: str = "",
        streamed: str = "",
        tool_events: list[dict] | None = None,
    ) -> None:
        """`streamed`/`tool_events`: what an answer still being generated has so far."""
        super().__init__(message, siblings)
        self.model = message.model if message and message.model else model
        self.streamed = streamed
        self._initial_events = list(tool_events or [])
        self.state = "" if message else "waiting for the model…"
        meta = message.meta if message else {}
        # (oldest messages left out, tokens cut from the newest): the context window was too small
        self.context_notice = (meta.get("dropped_messages", 0), meta.get("cut_tokens", 0))
        self._stream: MarkdownStream | None = None

    def compose(self) -> ComposeResult:
        yield Static(literal(self.header_text()), classes="header")
        notice = context_notice(*self.context_notice)
        yield Static(literal(notice), classes="notice" + ("" if notice else " -empty"))
        yield Vertical(classes="tool-events")
        yield _markdown()(clean(self.text), classes="body")

    def on_mount(self) -> None:
        events = self.message.meta.get("tool_events", []) if self.message else self._initial_events
        for event in events:
            self._mount_tool_event(event)

    def header_text(self) -> str:
        bits = [self.model or "assistant"]
        msg = self.message
        if msg is not None:
            if msg.finish_reason == "stopped":
                bits.append("■ stopped")
            elif msg.finish_reason == "edited":
                bits.append("✎ edited")
            elif msg.finish_reason == "length":
                bits.append("… cut at max tokens")
            if msg.tokens_per_second:
                bits.append(f"{msg.tokens_per_second:.1f} tok/s")
            if msg.thumbs:
                bits.append("👍" if msg.thumbs > 0 else "👎")
            if msg.stars:
                bits.append("★" * msg.stars + "☆" * (5 - msg.stars))
        elif self.state:
            bits.append(self.state)
        return " · ".join(bits) + self._branch_label()

    @property
    def text(self) -> str:
        return self.message.content if self.message else self.streamed

    def set_state(self, state: str) -> None:
        self.state = state
        if self.is_attached:
            self.refresh_header()

    def set_context_notice(self, dropped: int, cut: int) -> None:
        self.context_notice = (dropped, cut)
        if self.is_attached:
            notice = self.query_one(".notice", Static)
            notice.update(literal(context_notice(dropped, cut)))
            notice.remove_class("-empty")

    class Chunk(TextualMessage):
        """A piece of the answer, posted by the generation worker (which never waits for the UI)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    async def on_assistant_message_view_chunk(self, event: Chunk) -> None:
        event.stop()
        if self.message is None:  # after `finish` the stored text is shown; late pieces are in it
            await self.append(event.text)

    async def append(self, chunk: str) -> None:
        """Stream a piece of the answer into the Markdown view."""
        chunk = clean(chunk)
        if not chunk:
            return
        if self.state:
            self.set_state("")
        self.streamed += chunk
        if not self.is_attached:  # the user switched conversations; the worker still saves it
            return
        if self._stream is None:
            markdown = _markdown()
            self._stream = markdown.get_stream(self.query_one(".body", markdown))
        await self._stream.write(chunk)

    async def finish(self, message: Message) -> None:
        """The stored answer: stop streaming and show it as saved."""
        # First of all, so that pieces still queued for this view are dropped from now on (the
        # stored text has them) instead of writing to a stopping stream.
        self.message = message
        self.model = message.model or self.model
        stream, self._stream = self._stream, None
        if stream is not None:
            # A stream stopped before its task ever ran re-raises the cancellation: harmless,
            # the whole stored text replaces what was streamed just below.
            with contextlib.suppress(asyncio.CancelledError):
                await stream.stop()
        await self.query_one(".body", _markdown()).update(clean(message.content))
        self.refresh_header()

    def add_tool_event(self, event: dict) -> None:
        self._mount_tool_event(event)

    def _mount_tool_event(self, event: dict) -> None:
        box = self.query_one(".tool-events")
        if event.get("kind") == "call":
            line = f"→ tool call {event.get('name')}({event.get('arguments', {})})"
        else:
            backend = event.get("backend") or "?"
            if event.get("architecture"):
                backend += f" ({event['architecture']})"
            sure = event.get("confidence")
            sure = f", confidence {sure:.2f}" if sure is not None else ""
            ok = "" if event.get("ok", True) else " (failed)"
            took = f"{event.get('seconds', 0.0):.2f} s{sure}{ok}"
            line = f"← {event.get('name')} via {backend}, {took}: {event.get('output', '')}"
        box.mount(Static(literal(line), classes="tool-event"))
        for path in event.get("images", []):
            box.mount(image_widget(Path(path), self.app))


class ToolMessageView(MessageView):
    """A tool's result: which backend ran, how long it took, how sure it is, and any images."""

    def compose(self) -> ComposeResult:
        yield Static(literal(self.header_text()), classes="header")
        yield Static(literal(self.text), classes="body")
        for path in self.message.meta.get("images", []) if self.message else []:
            yield image_widget(Path(path), self.app)

    def header_text(self) -> str:
        meta = self.message.meta if self.message else {}
        bits = [f"/{meta.get('tool', 'tool')}", str(meta.get("backend", "?"))]
        if meta.get("architecture"):
            bits[-1] += f" ({meta['architecture']})"
        if meta.get("latency_s") is not None:
            bits.append(f"{meta['latency_s']:.2f} s")
        if meta.get("confidence") is not None:
            bits.append(f"confidence {meta['confidence']:.2f}")
        return " · ".join(bits)


def context_notice(dropped: int, cut: int) -> str:
    """What the model did not see of the conversation, in words ('' when it saw it all)."""
    lines = []
    if cut:
        lines.append(
            f"⚠ Too long for the context window: the first {cut:,} tokens of your message were "
            "cut; the model read only its end."
        )
    if dropped:
        many = f"{dropped} oldest messages" if dropped > 1 else "oldest message"
        lines.append(f"⚠ The {many} did not fit the context window; the model did not see them.")
    return "\n".join(lines)


def image_widget(path: Path, app) -> Widget:
    """The image inline (textual-image picks sixel/kitty/half-cells) above its path; just the path
    where the image cannot be shown."""
    caption = Static(literal(f"image: {path}"), classes="tool-image-path")
    try:
        from assistant.tui import load_images

        load_images(app)
        from textual_image.widget import Image

        return Vertical(Image(str(path), classes="tool-image"), caption, classes="tool-image-box")
    except Exception:  # no textual-image, or an unreadable file: still say where it is
        return caption


def view_for(message: Message, siblings: tuple[int, int] = (1, 1)) -> MessageView:
    if message.role == "assistant":
        return AssistantMessageView(message, siblings)
    if message.role == "tool":
        return ToolMessageView(message, siblings)
    return UserMessageView(message, siblings)
