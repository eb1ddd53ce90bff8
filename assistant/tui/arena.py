"""The arena screen: two responses stream side by side and the annotator votes with one key.

    parley arena --prompts prompts.jsonl --models A,B [--annotator NAME]

Keys: 1 left is better, 2 right is better, 3 tie, 4 both bad, r reason (free text, quick tags
and an optional 1-5 score per response, attached to the next vote), s skip, u undo the last vote,
escape leave. Votes go to the database the moment they are given; leaving and coming back resumes
at the first item this annotator has not rated.

Both responses are generated at once, one thread worker per side; widgets are touched only
through `call_from_thread`. Model text is shown literally (never markup). `ArenaScreen` is pushed
by `ArenaApp` (`parley arena`) and by the chat's `/arena` (`ArenaScreen.from_spec`).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from assistant.errors import ParleyError
from assistant.rate import arena
from assistant.tui.arena_dialogs import ArenaSetupDialog, ReasonDialog

_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _literal(text: str, style: str = "") -> Text:
    """Text shown exactly as written: no markup, no terminal escapes."""
    return Text(_CONTROL.sub("", text), style=style)


class ArenaScreen(Screen[None]):
    """One annotator's arena session on screen."""

    DEFAULT_CSS = """
    ArenaScreen #arena-progress { height: 1; background: $boost; padding: 0 1; }
    ArenaScreen #arena-prompt-box { height: auto; max-height: 10; border: round $secondary;
                                    padding: 0 1; }
    ArenaScreen #arena-sides { height: 1fr; }
    ArenaScreen .side { width: 1fr; border: round $primary; padding: 0 1; }
    ArenaScreen #arena-status { height: auto; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("1", "vote('left')", "Left better"),
        Binding("2", "vote('right')", "Right better"),
        Binding("3", "vote('tie')", "Tie"),
        Binding("4", "vote('both_bad')", "Both bad"),
        Binding("r", "reason", "Reason"),
        Binding("s", "skip", "Skip"),
        Binding("u", "undo", "Undo"),
        Binding("escape", "leave", "Leave"),
    ]

    def __init__(self, session: arena.ArenaSession | None = None, backend: str = "auto") -> None:
        """With no session (the chat's `/arena`), a dialog asks for the prompts file, models and
        annotator first, and the chat's database and loaded engine are used; other models load
        on `backend` (the chat's)."""
        super().__init__()
        self.backend = backend
        self.session: arena.ArenaSession = session  # type: ignore[assignment]
        self.shown: arena.Shown | None = None
        self.texts: dict[str, str] = {"left": "", "right": ""}
        self.pending: dict[str, Any] = {}
        self.cancel = threading.Event()
        self.finished = False

    @classmethod
    def from_spec(
        cls,
        conn: Any,
        prompts: str | Path | Sequence[str | arena.Item],
        models: str | Sequence[arena.Contender],
        annotator: str,
        *,
        engine_factory: Callable[[str], Any] | None = None,
        **session_options: Any,
    ) -> ArenaScreen:
        """For `/arena` in the chat: a prompts file (or a list of prompts), `"A,B"` (or
        contenders), the annotator and the open database. `engine_factory(name)` may hand out an
        engine the chat has loaded already."""
        if isinstance(prompts, str | Path):
            items = arena.load_prompts(prompts)
        else:
            items = [
                p if isinstance(p, arena.Item) else arena.Item([{"role": "user", "content": p}])
                for p in prompts
            ]
        contenders = arena.parse_contenders(models) if isinstance(models, str) else list(models)
        if engine_factory is not None:
            session_options["engine_factory"] = engine_factory
        return cls(arena.ArenaSession(conn, items, contenders, annotator, **session_options))

    def compose(self) -> ComposeResult:
        yield Static(id="arena-progress")
        with VerticalScroll(id="arena-prompt-box"):
            yield Static(id="arena-prompt")
        with Horizontal(id="arena-sides"):
            for side in ("left", "right"):
                with VerticalScroll(classes="side", id=f"{side}-box") as box:
                    box.border_title = "1 left" if side == "left" else "2 right"
                    yield Static(id=f"{side}-text")
        yield Static(id="arena-status")
        yield Footer()

    def on_mount(self) -> None:
        if self.session is None:
            self._ask_setup({"annotator": _login_name(), "models": self._default_models()})
        else:
            self.show_item(self.session.next_index())

    def _default_models(self) -> str:
        name = getattr(self.app, "model_name", None) or "smollm2-135m-instruct"
        return f"{name}@temperature=0.2,{name}@temperature=1.0"

    def _ask_setup(self, defaults: dict[str, str]) -> None:
        def start(answer: dict | None) -> None:
            if answer is None:
                self.dismiss(None)
                return
            try:
                self.session = self._session_from(answer)
            except ParleyError as e:
                self.notify(str(e), severity="error")
                self._ask_setup(answer)
                return
            self.show_item(self.session.next_index())

        self.app.push_screen(ArenaSetupDialog(defaults), start)

    def _session_from(self, answer: dict) -> arena.ArenaSession:
        from assistant import store

        if not answer["prompts"]:
            raise ParleyError("give a prompts file: JSONL or text, one prompt a line")
        items = arena.load_prompts(Path(answer["prompts"]).expanduser())
        contenders = arena.parse_contenders(answer["models"]) if answer["models"] else []
        conn = getattr(self.app, "conn", None) or store.connect()
        loaded = getattr(self.app, "engine", None)

        def engine_factory(name: str) -> Any:
            if loaded is not None and getattr(loaded, "name", None) == name:
                return loaded  # the chat's engine: no second copy of the weights
            return arena.load_engine(name, backend=self.backend)

        return arena.ArenaSession(
            conn, items, contenders, answer["annotator"], engine_factory=engine_factory
        )

    # --- showing an item ---

    def show_item(self, index: int | None) -> None:
        self.cancel.set()  # stale generations stop and their text is ignored
        self.cancel = threading.Event()
        self.pending = {}
        self.texts = {"left": "", "right": ""}
        self._update_progress(index)
        if index is None:
            self.shown = None
            self.finished = True
            self.query_one("#arena-prompt", Static).update(
                _literal(
                    f"All {self.session.n} items are rated. u undoes the last vote; escape leaves."
                )
            )
            for side in ("left", "right"):
                self.query_one(f"#{side}-text", Static).update("")
            self._status("")
            return
        self.finished = False
        self.shown = shown = self.session.show(index)
        turns = [m for m in shown.context if m["role"] != "system"]
        prompt = "\n\n".join(
            (m["content"] if len(turns) == 1 else f"{m['role']}: {m['content']}") for m in turns
        )
        self.query_one("#arena-prompt", Static).update(_literal(prompt))
        for side in ("left", "right"):
            self.query_one(f"#{side}-text", Static).update(_literal("…", "dim"))
            self.run_worker(
                lambda side=side, cancel=self.cancel: self._generate(shown, side, cancel),
                thread=True,
                group="arena-generate",
                exit_on_error=False,
            )
        self._status("generating both answers…")

    def _update_progress(self, index: int | None) -> None:
        done = len(self.session.done())
        where = f"Item {index + 1} of {self.session.n}" if index is not None else "Finished"
        self.query_one("#arena-progress", Static).update(
            _literal(
                f"{where} · {done} of {self.session.n} rated · annotator {self.session.annotator}"
            )
        )

    def _generate(self, shown: arena.Shown, side: str, cancel: threading.Event) -> None:
        """Runs in a thread worker: stream one side's answer into its pane."""
        try:
            self.session.generate(
                shown, side, lambda text: self._from_thread(self._append, shown, side, text), cancel
            )
        except Exception as e:  # shown to the user; the item can be skipped
            self._from_thread(self._failed, shown, side, e)
            return
        self._from_thread(self._side_done, shown)

    def _from_thread(self, callback: Callable, *args: Any) -> None:
        # RuntimeError: the app is closing; the votes are saved already
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(callback, *args)

    def _append(self, shown: arena.Shown, side: str, text: str) -> None:
        if shown is not self.shown:
            return
        self.texts[side] += text
        self.query_one(f"#{side}-text", Static).update(_literal(self.texts[side]))

    def _side_done(self, shown: arena.Shown) -> None:
        if shown is self.shown:
            self._show_state()

    def _show_state(self) -> None:
        """The status line of the item on screen: its keys once both answers are complete, else
        that they are being generated. The ready line names the item, so a screen read while
        the terminal is half redrawn (tmux, a screen reader) never takes the last item's for
        this one's."""
        shown = self.shown
        if shown is not None and len(shown.responses) == 2:
            self._status(
                f"Item {shown.index + 1} ready · 1 left · 2 right · 3 tie · 4 both bad · "
                "r reason · s skip · u undo"
            )
        else:
            self._status("generating both answers…")

    def _failed(self, shown: arena.Shown, side: str, error: Exception) -> None:
        if shown is not self.shown:
            return
        message = (
            str(error) if isinstance(error, ParleyError) else f"{type(error).__name__}: {error}"
        )
        self.query_one(f"#{side}-text", Static).update(_literal(f"[failed] {message}", "red"))
        self.notify(f"{side} answer failed: {message} (s skips this item)", severity="error")

    def _status(self, text: str) -> None:
        extra = []
        if self.pending.get("reason"):
            extra.append(f"reason: {self.pending['reason']}")
        if self.pending.get("tags"):
            extra.append("tags: " + ", ".join(self.pending["tags"]))
        for side, score in (self.pending.get("scores") or {}).items():
            if score:
                extra.append(f"{side} score {score}")
        line = "  ·  ".join([text, *extra]) if extra else text
        self.query_one("#arena-status", Static).update(_literal(line))

    # --- actions ---

    def action_vote(self, vote: str) -> None:
        shown = self.shown
        if shown is None:
            self.notify("Nothing to vote on: all items are rated (u undoes the last vote).")
            return
        if len(shown.responses) < 2:
            self.notify("Wait until both answers are complete (s skips this item).")
            return
        self._record(shown, vote)

    def action_skip(self) -> None:
        if self.shown is not None:
            self._record(self.shown, "skip")

    def _record(self, shown: arena.Shown, vote: str) -> None:
        try:
            self.session.vote(
                shown,
                vote,
                reason=self.pending.get("reason", ""),
                tags=self.pending.get("tags", []),
                scores=self.pending.get("scores"),
            )
        except ParleyError as e:
            self.notify(str(e), severity="error")
            return
        except sqlite3.Error as e:  # e.g. locked past the busy timeout: say so, keep the item
            self.notify(f"vote NOT saved ({e}); press the key again", severity="error")
            return
        self.show_item(self.session.next_index())

    def action_undo(self) -> None:
        if self.session is None:
            return
        index = self.session.undo()
        if index is None:
            self.notify("Nothing to undo.")
            return
        self.notify(f"Vote on item {index + 1} undone; vote again.")
        self.show_item(index)

    def action_reason(self) -> None:
        if self.shown is None:
            return

        def keep(result: dict | None) -> None:
            if result is not None:
                self.pending = result
                self._show_state()

        self.app.push_screen(ReasonDialog(self.pending), keep)

    def action_leave(self) -> None:
        self.cancel.set()
        self.dismiss(None)


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "annotator"


class ArenaApp(App[None]):
    """`parley arena`: an app that hosts one ArenaScreen and exits when it is left."""

    TITLE = "Parley arena"

    def __init__(self, session: arena.ArenaSession | None = None) -> None:
        """With no session (the chat's `/arena`), a dialog asks for the prompts file, models and
        annotator first, and the chat's database and loaded engine are used."""
        super().__init__()
        self.session: arena.ArenaSession = session  # type: ignore[assignment]

    def on_mount(self) -> None:
        self.push_screen(ArenaScreen(self.session), lambda _: self.exit())
