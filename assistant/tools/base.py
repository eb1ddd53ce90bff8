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
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from assistant.errors import Cancelled, CommandUsageError, UsageError
from assistant.inference.events import ToolResult  # the engine's event when the model calls a tool
from assistant.tools.params import Param, as_params

Progress = Callable[[str], None]


class Reporter:
    """A running tool's `progress`: passes its messages on, and stops the tool (raises
    `Cancelled`) once `cancel` is set, at its next message or `check()`. It also carries the
    inference backend a tool's `llm` backend loads the chat model on (`engine_backend`: the
    chat's own, from `parley chat --backend`)."""

    def __init__(
        self,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        engine_backend: str = "auto",
    ):
        self.progress, self.cancel, self.engine_backend = progress, cancel, engine_backend

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
        self.add_argument(
            "--backend", "-b", default=None, metavar="NAME", help="which backend runs (see below)"
        )

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """As argparse's, with the help text taken from the tool's `parameters` (one home for
        what each argument means: the slash command, `parley tool NAME --help`, `run`)."""
        action = super().add_argument(*args, **kwargs)
        if action.help is None and action.dest in self._tool.parameters:
            action.help = self._tool.parameters[action.dest].help
        return action

    def shell_help(self, command: str, extra: list[tuple[str, str]] = ()) -> str:
        """`--help` for the shell: usage and options as `command` takes them (flags, not the
        keyword names `run` uses), then the tool's description; `extra` adds (flag, help)."""
        for flag, text in extra:
            self.add_argument(flag, action="store_true", help=text)
        self.prog = command
        self.description = self._tool.description
        self.formatter_class = argparse.RawDescriptionHelpFormatter
        return self.format_help()

    def error(self, message: str) -> NoReturn:
        raise CommandUsageError(message, self._tool.usage)

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
    # keyword arguments `run` accepts (besides backend/progress), declared once (`params(Param(...),
    # ...)`): the command's parser, its --help and the check of the model's own calls derive from
    # them. A plain string (name -> help) declares a keyword that only `run` reads.
    parameters: ClassVar[dict[str, Param]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "parameters" in cls.__dict__:
            cls.parameters = as_params(cls.__dict__["parameters"])

    def backends(self) -> list[BackendInfo]:
        raise NotImplementedError

    def backend_table(self, *rows: tuple[str, str, bool]) -> list[BackendInfo]:
        """`backends()` from (name, architecture, weights present) rows, the first one the
        default, each with the figures `bench/tools.py` measured for it."""
        return [
            BackendInfo(name, architecture, present, measured(self.name, name), default=i == 0)
            for i, (name, architecture, present) in enumerate(rows)
        ]

    def parser(self) -> ArgParser:
        """The parser of this tool's command words, derived from `parameters`: `parse` uses it,
        and `parley tool NAME --help` prints its usage and options."""
        if not self.parameters or not all(p.cli for p in self.parameters.values()):
            raise NotImplementedError(f"{self.name} declares no command-line parameters")
        parser = ArgParser(self)
        self.options(parser)
        for param in self.parameters.values():
            param.add_to(parser)
        return parser

    def options(self, parser: ArgParser) -> None:
        """Flags that are not parameters of `run`, added before them (imagine's `--arch`, its
        name for `--backend`)."""

    def parse(self, argv: list[str]) -> dict[str, Any]:
        """Keyword arguments for `run` from a slash command's words (`--backend` included)."""
        return self.parser().parse(argv)

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
        engine_backend: str = "auto",
        **arguments: Any,
    ) -> ToolResult:
        """Run the tool; `engine_backend` is the inference backend its `llm` backend loads the
        chat model on ("auto", "llamacpp", "transformers")."""
        unknown = sorted(set(arguments) - set(self.parameters))
        if self.parameters and unknown:
            raise UsageError(
                f"{self.name} takes no argument {', '.join(unknown)}; "
                f"arguments: {', '.join(self.parameters)}"
            )
        info = self.backend(backend)
        start = time.perf_counter()
        if isinstance(progress, Reporter):
            reporter = progress
        else:
            reporter = Reporter(progress, cancel, engine_backend)
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


@contextlib.contextmanager
def quiet_weights_loading() -> Iterator[None]:
    """Load transformers weights without its "Loading weights: 100%|████|" bar on stderr, which
    would otherwise print on every tool call that loads a model; the previous setting comes back
    after. Use it around `from_pretrained` (it imports transformers)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def measured(tool: str, backend: str) -> dict[str, Any]:
    """The figures `bench/tools.py` last measured for a backend (empty if never measured)."""
    try:
        table = json.loads(METRICS_FILE.read_text())
    except (OSError, ValueError):
        return {}
    return dict(table.get(tool, {}).get(backend, {}))


def refuse_overwrite(paths: list[Path], force: bool, flag: str = "--out") -> None:
    """A file the person named that exists already is refused unless they said `--force`: a
    tool never overwrites a file silently."""
    existing = [p for p in paths if p.exists()]
    if existing and not force:
        raise UsageError(
            f"{existing[0]} exists; add --force to overwrite it, or give another {flag}"
        )


def free_path(path: Path) -> Path:
    """`path`, or if a file is there already the first free `STEM-2.png`, `STEM-3.png`, ...: a
    default name never overwrites an earlier result.

    >>> free_path(Path("/no/such/dir/a.png"))
    PosixPath('/no/such/dir/a.png')
    """
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def read_file_argument(value: str) -> str:
    """A slash command's text argument: `@FILE` is the file's text (UTF-8 only), anything else
    is itself. Only the person typing a command may name a file: tools call this from `parse`
    (the slash command's words), never from `execute`, so a model's tool call, which reaches
    `run` without `parse`, cannot read a file. Binary and non-UTF-8 files are refused.
    """
    if not (value.startswith("@") and len(value) > 1):
        return value
    path = Path(value[1:]).expanduser()
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
    if b"\x00" in raw[:8192]:
        raise UsageError(f"{path} looks binary; give a UTF-8 text file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; convert it first") from None


def check_text(text: str, limit: int = 100_000) -> str:
    """A tool's text input, taken literally (no file is read here): empty text and text over
    `limit` characters are refused with one line that says what to do."""
    if not text.strip():
        raise UsageError("empty text: give some words (or @FILE to read a file)")
    if len(text) > limit:
        raise UsageError(
            f"text is {len(text):,} characters; the limit is {limit:,} — split it and run the "
            "parts separately"
        )
    return text.strip()
