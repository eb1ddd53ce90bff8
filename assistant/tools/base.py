"""The tool contract: one `Tool` per task (translate, sentiment, ...), several backends behind it.

A tool is a class with `name`, `description`, `usage` and `parameters`; `backends()` says which
backends it has, what architecture each is, whether its weights are present and how it measured;
`parse(argv)` turns a slash command's words into keyword arguments; `run(backend=None, **arguments)`
answers with a `ToolResult`. Tools register through the `parley.tools` entry-point group (see
`assistant.tools`), exactly as a third-party plugin would:

    [project.entry-points."parley.tools"]
    translate = "assistant.tools.translate:TranslateTool"

A subclass usually implements `backends()` and `execute(backend, progress, **arguments) -> Output`;
the base `run` picks the backend, times the call and fills in the `ToolResult`. A tool may override
`run` entirely as long as it returns a `ToolResult`. Nothing here imports torch.

`run(..., cancel=event)` makes the run stoppable (Esc in the chat): `execute` gets a `Reporter` as
its `progress`, which raises `Cancelled` once the event is set, at the tool's next report or at a
`checkpoint(progress)` its long loops call between steps.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from assistant.errors import Cancelled, UsageError

Progress = Callable[[str], None]


class Reporter:
    """A running tool's `progress`: passes its messages on, and stops the tool (raises
    `Cancelled`) once `cancel` is set, at its next message or `check()`."""

    def __init__(self, progress: Progress | None = None, cancel: threading.Event | None = None):
        self.progress, self.cancel = progress, cancel

    def __call__(self, message: str) -> None:
        self.check()
        if self.progress is not None:
            self.progress(message)

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("stopped")


def checkpoint(progress: Any) -> None:
    """A point where a long loop may be stopped: raises `Cancelled` if `progress` is a
    `Reporter` whose run was cancelled (any other callback, or None, never stops)."""
    if isinstance(progress, Reporter):
        progress.check()


# Figures measured by `bench/tools.py`, committed beside the code: {tool: {backend: {metric: v}}}.
METRICS_FILE = Path(__file__).with_name("metrics.json")


@dataclass(frozen=True)
class BackendInfo:
    """One way a tool can run: its name, model architecture, and what it measured."""

    name: str
    architecture: str
    weights_present: bool
    metrics: dict[str, Any] = field(default_factory=dict)
    default: bool = False


@dataclass
class ToolResult:
    """What a tool answered, and which backend answered it how fast and how sure."""

    tool: str
    backend: str
    architecture: str
    text: str
    latency_s: float
    confidence: float | None = None
    images: list[Path] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for a status bar: `translate · bergamot (transformer) · 0.12 s · 93%`."""
        parts = [self.tool, f"{self.backend} ({self.architecture})", f"{self.latency_s:.2f} s"]
        if self.confidence is not None:
            parts.append(f"confidence {self.confidence:.0%}")
        return " · ".join(parts)


@dataclass
class Output:
    """What `Tool.execute` returns; `run` wraps it into a `ToolResult`."""

    text: str
    confidence: float | None = None
    images: list[Path] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


class ArgParser(argparse.ArgumentParser):
    """argparse for slash commands: errors raise `UsageError` with the usage line, never exit."""

    def __init__(self, tool: Tool, **kwargs: Any) -> None:
        super().__init__(prog=f"/{tool.name}", add_help=False, exit_on_error=False, **kwargs)
        self._tool = tool
        self.add_argument("--backend", "-b", default=None)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; usage: {self._tool.usage}")

    def parse(self, argv: list[str]) -> dict[str, Any]:
        if any(a in ("-h", "--help") for a in argv):
            raise UsageError(f"usage: {self._tool.usage} — {self._tool.description}")
        try:
            namespace = self.parse_args(argv)
        except argparse.ArgumentError as e:
            self.error(str(e))
        return {k: v for k, v in vars(namespace).items() if v is not None or k == "backend"}


class Tool:
    """Base class of every tool. Subclasses set the class attributes and implement `backends`
    and `execute` (or `run`)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    usage: ClassVar[str] = ""
    # keyword arguments `run` accepts (besides backend/progress): name -> one-line help. The model's
    # own tool calls are checked against these.
    parameters: ClassVar[dict[str, str]] = {}

    def backends(self) -> list[BackendInfo]:
        raise NotImplementedError

    def parse(self, argv: list[str]) -> dict[str, Any]:
        """Keyword arguments for `run` from a slash command's words (`--backend` included)."""
        raise NotImplementedError

    def execute(self, backend: str, progress: Progress | None = None, **arguments: Any) -> Output:
        raise NotImplementedError

    # --- provided ---

    def backend(self, name: str | None = None) -> BackendInfo:
        """The backend called `name`, or the default; an unknown name lists the known ones."""
        infos = self.backends()
        if name is None:
            for info in infos:
                if info.default:
                    return info
            return infos[0]
        for info in infos:
            if info.name == name:
                return info
        known = ", ".join(i.name for i in infos)
        raise UsageError(f"{self.name} has no backend {name!r}; backends: {known}")

    def run(
        self,
        backend: str | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        **arguments: Any,
    ) -> ToolResult:
        unknown = sorted(set(arguments) - set(self.parameters))
        if self.parameters and unknown:
            raise UsageError(
                f"{self.name} takes no argument {', '.join(unknown)}; "
                f"arguments: {', '.join(self.parameters)}"
            )
        info = self.backend(backend)
        start = time.perf_counter()
        reporter = progress if isinstance(progress, Reporter) else Reporter(progress, cancel)
        reporter.check()
        out = self.execute(info.name, progress=reporter, **arguments)
        return ToolResult(
            tool=self.name,
            backend=info.name,
            architecture=info.architecture,
            text=out.text,
            latency_s=time.perf_counter() - start,
            confidence=out.confidence,
            images=list(out.images),
            data=dict(out.data),
        )


def measured(tool: str, backend: str) -> dict[str, Any]:
    """The figures `bench/tools.py` last measured for a backend (empty if never measured)."""
    try:
        table = json.loads(METRICS_FILE.read_text())
    except (OSError, ValueError):
        return {}
    return dict(table.get(tool, {}).get(backend, {}))


def read_text_argument(text: str, limit: int = 100_000) -> str:
    """A tool's text input: `@FILE` reads the file (UTF-8 text only), else the text itself.

    Empty text, binary files and text over `limit` characters are refused with one line that
    says what to do.
    """
    if text.startswith("@") and len(text) > 1:
        path = Path(text[1:]).expanduser()
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
        if b"\x00" in raw[:8192]:
            raise UsageError(f"{path} looks binary; give a UTF-8 text file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"{path} is not UTF-8 text; convert it first") from None
    if not text.strip():
        raise UsageError("empty text: give some words (or @FILE to read a file)")
    if len(text) > limit:
        raise UsageError(
            f"text is {len(text):,} characters; the limit is {limit:,} — split it and run the "
            "parts separately"
        )
    return text.strip()
