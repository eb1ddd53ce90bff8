"""What every tool trainer shares: one entry shape, its flags, where it writes, how it runs.

Each tool that trains a model of its own keeps the trainer beside it, in
`assistant/tools/<tool>/train.py`, with the same two functions:

    parse(argv, prog) -> Config                      flags from the Config dataclass's fields
    train(config, progress=True, log=print) -> Path  train (or resume); where the weights went

`parley train <tool> ...` (`assistant/cli/train_tools.py`) and
`python -m assistant.tools.<tool>.train ...` both run them through `run()`: progress bars and
`log` lines go to stderr, the weights' path to stdout, a bad setting is one line. Without
`--output-dir` a trainer writes to `trained.output_dir()`, the one `$PARLEY_HOME` layout the tools
read (`assistant/tools/trained.py`). The settings every trainer has are declared here once
(`output_dir_field`, `seed_field` and `threads_field` for `start()`, `budget_field` for a
`Stopwatch`), and so is the optimizer step they all take (`optimizer_step`, the one function
here that imports torch).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import field, fields
from pathlib import Path
from typing import Any


def _yes(text: str) -> bool:
    return text.lower() in ("1", "true", "yes")


# a field's annotation (a string under `from __future__ import annotations`) -> its flag's type
_KINDS: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str, "bool": _yes}


def output_dir_field(tool: str, backend: str, what: str = "where the model goes") -> Any:
    """The `output_dir` setting every trainer has, with its default place in its help."""
    where = f"$PARLEY_HOME/tools/{tool}/{backend}"
    return field(default=None, metadata={"help": f"{what} (default {where})"})


def seed_field(what: str) -> Any:
    """The `seed` setting `start()` gives torch (default 0); `what` it seeds besides the init."""
    return field(default=0, metadata={"help": f"{what} and init seed"})


def threads_field(default: int, hint: str = "") -> Any:
    """The `threads` setting `start()` gives torch, 0 leaving torch's own default."""
    return field(default=default, metadata={"help": f"torch CPU threads (0: default{hint})"})


def budget_field(default: float | None, cpu: bool = False, hint: str = "") -> Any:
    """A trainer's time budget in minutes, checked against a `Stopwatch(cpu=cpu)`: wall-clock,
    or this process's CPU time (all its threads), so that on a shared machine it means the same
    work."""
    kind = "this much CPU time (this process)" if cpu else "this long"
    return field(default=default, metadata={"help": f"stop after {kind}{hint}"})


def parser(config_class: type, doc: str | None, default_prog: str) -> Callable[..., Any]:
    """A trainer's `parse(argv=None, prog=default_prog) -> config_class`: one `--flag` per field
    of the config dataclass, its help and `choices` from the field's metadata; `--help` prints
    the trainer's docstring first."""

    def parse(argv: list[str] | None = None, prog: str = default_prog) -> Any:
        parser = argparse.ArgumentParser(
            prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        for f in fields(config_class):
            parser.add_argument(
                f"--{f.name.replace('_', '-')}",
                type=_KINDS[str(f.type).removesuffix(" | None")],
                default=f.default,
                choices=f.metadata.get("choices"),
                help=f.metadata.get("help"),
            )
        return config_class(**vars(parser.parse_args(argv)))

    return parse


def start(config: Any) -> None:
    """What every training run does first: seed torch with `config.seed` and give it
    `config.threads` CPU threads (0: torch's own default)."""
    import torch

    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)


class Stopwatch:
    """Minutes a training run has taken: wall-clock, or with `cpu` this process's CPU time (on
    a shared machine a budget then means the same work); `before`: minutes that earlier runs of
    a resumed model took; `budget`: the minutes the run may take (None or 0: no limit)."""

    def __init__(self, cpu: bool = False, before: float = 0.0, budget: float | None = None) -> None:
        self._clock = time.process_time if cpu else time.monotonic
        self._start = self._clock()
        self.before = before
        self.cpu = cpu
        self.budget = budget

    def minutes(self) -> float:
        return self.before + (self._clock() - self._start) / 60

    def over(self) -> bool:
        """The budget is spent."""
        return bool(self.budget) and self.minutes() > self.budget

    def stopped(self) -> str:
        """The log line of a run the budget stopped."""
        return f"stopped after {self.budget} {'CPU minutes' if self.cpu else 'minutes'}"


def optimizer_step(
    loss: Any, optimizer: Any, parameters: Any, scheduler: Any = None, clip: float = 1.0
) -> None:
    """One optimizer step as the tool trainers take it: fresh gradients of `loss`, their norm
    clipped to `clip` (0: not clipped), the optimizer's step, then the schedule's (if any)."""
    import torch

    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip:
        torch.nn.utils.clip_grad_norm_(parameters, clip)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()


def length_buckets(
    items: Iterable[Any], length: Callable[[Any], int], batch_size: int, rng: Any
) -> list[list[Any]]:
    """Length-bucketed batches: shuffle, sort within windows of 50 batches, shuffle batches, so a
    batch holds items of about one `length` (little padding) and still changes every epoch."""
    order = list(items)
    rng.shuffle(order)
    window, out = batch_size * 50, []
    for i in range(0, len(order), window):
        chunk = sorted(order[i : i + window], key=length)
        out += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def finished(out_dir: Path, load: Any) -> Path:
    """A run's last step: forget what the tool's cached `load` holds, so that this process (a chat,
    a test) reads the new weights from `out_dir`; `out_dir` is what `train` returns."""
    load.cache_clear()
    return out_dir


def settings(config: Any, skip: tuple[str, ...] = ("output_dir",)) -> dict[str, Any]:
    """The settings a run used, for the weights' metadata (without where the files went)."""
    return {f.name: getattr(config, f.name) for f in fields(config) if f.name not in skip}


def run(parse: Callable, train: Callable, argv: list[str] | None = None, prog: str = "") -> Path:
    """Parse, train, print where the weights went. SIGTERM stops a run as Ctrl-C does (a
    background run ignores SIGINT), so a trainer that checkpoints can do so and resume later."""
    from assistant.errors import UsageError

    config = parse(argv, prog) if prog else parse(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        out = train(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    except ValueError as e:  # a setting the trainer refused (`--epochs 0`, a held-out photo)
        raise UsageError(str(e)) from None
    print(out)
    return out


def script(parse: Callable, train: Callable) -> None:
    """`python -m assistant.tools.<tool>.train ...`: `run()`, errors as one line on stderr."""
    from assistant.errors import ParleyError

    try:
        run(parse, train)
    except ParleyError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
