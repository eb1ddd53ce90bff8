"""The arena's two small dialogs: the reason/tags/scores of a vote, and the setup of a session
started from the chat (`/arena`). Pushed by `assistant.tui.arena.ArenaScreen`."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, SelectionList, Static

from assistant.store import ratings


class ReasonDialog(ModalScreen[dict | None]):
    """Reason, quick tags and optional scores; enter saves, escape cancels."""

    DEFAULT_CSS = """
    ReasonDialog { align: center middle; }
    ReasonDialog > Vertical { width: 70; height: auto; border: round $accent; padding: 1 2;
                              background: $surface; }
    ReasonDialog SelectionList { height: 7; }
    ReasonDialog Horizontal { height: 3; }
    ReasonDialog .score { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, current: dict) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Why? (enter saves, esc cancels; space toggles a tag)")
            yield Input(self.current.get("reason", ""), placeholder="reason", id="reason")
            yield SelectionList[str](
                *[(tag, tag, tag in self.current.get("tags", [])) for tag in ratings.TAGS],
                id="tags",
            )
            with Horizontal():
                for side in ("left", "right"):
                    score = self.current.get("scores", {}).get(side)
                    yield Input(
                        str(score or ""),
                        placeholder=f"{side} score 1-5",
                        restrict=r"[1-5]?",
                        max_length=1,
                        id=f"score-{side}",
                        classes="score",
                    )

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        scores = {}
        for side in ("left", "right"):
            value = self.query_one(f"#score-{side}", Input).value
            scores[side] = int(value) if value else None
        self.dismiss(
            {
                "reason": self.query_one("#reason", Input).value.strip(),
                "tags": list(self.query_one("#tags", SelectionList).selected),
                "scores": scores,
            }
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class ArenaSetupDialog(ModalScreen[dict | None]):
    """Asks for the prompts file, the two contenders and the annotator (`/arena` in the chat)."""

    DEFAULT_CSS = """
    ArenaSetupDialog { align: center middle; }
    ArenaSetupDialog > Vertical { width: 90; height: auto; border: round $accent; padding: 1 2;
                                  background: $surface; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, defaults: dict[str, str]) -> None:
        super().__init__()
        self.defaults = defaults

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Arena: rate two models' answers (enter starts, esc cancels)")
            yield Input(
                self.defaults.get("prompts", ""),
                placeholder="prompts file (JSONL or text, one prompt a line)",
                id="setup-prompts",
            )
            yield Input(
                self.defaults.get("models", ""),
                placeholder="models: A,B or M@temperature=0.2,M@temperature=1.0",
                id="setup-models",
            )
            yield Input(
                self.defaults.get("annotator", ""), placeholder="annotator", id="setup-annotator"
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(
            {
                k: self.query_one(f"#setup-{k}", Input).value.strip()
                for k in ("prompts", "models", "annotator")
            }
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
