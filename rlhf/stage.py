"""What every training stage shares, written once: the shape `parse()` -> typed `train(...)`.

    run, args = sft.parse(["--config", "sft-cpu-tiny"])    # the recipe, then flags, checked
    run.name, args.max_steps = "sft-x", 4                  # typed: the pipeline and the tests
    sft.train(run, args)                                   # call the stage directly

Each stage module (`rlhf.sft`, `rlhf.reward`, `rlhf.ppo`, `rlhf.rloo`, `rlhf.dpo`) has a `parse`
that turns argv (a recipe and `--key value` flags) into its own settings dataclass and TRL's
config, a `train(run, args)` that trains and returns the model's directory, and `main(argv)` =
`train(*parse(argv))` for `python -m rlhf.STAGE` and torchrun. The preamble (refuse FSDP where
accelerate would silently run DDP, the distributed defaults) and the output-directory rule live
here, once.
"""

from __future__ import annotations

import sys
from dataclasses import field, fields
from pathlib import Path
from typing import Any


def setting(default: Any, help: str) -> Any:
    """A settings dataclass field whose help text `--help` shows."""
    return field(default=default, metadata={"help": help})


def parse(
    stage: str,
    run_class: type,
    config_class: type,
    doc: str,
    defaults: dict[str, Any],
    argv: list[str] | None = None,
) -> tuple[Any, Any]:
    """argv (default `sys.argv[1:]`) -> (the stage's settings, TRL's config): the recipe first,
    then flags; the stage's `TRAINER_DEFAULTS` and the distributed ones under both."""
    from rlhf import distributed, recipe

    distributed.refuse_accelerate_fsdp_on_cpu(stage)
    run, args = recipe.parse(
        sys.argv[1:] if argv is None else argv,
        (run_class, config_class),
        prog=f"parley train {stage}",
        doc=doc,
        defaults={**defaults, **distributed.trainer_defaults()},
    )
    return run, args


def output_dir(run: Any, args: Any) -> Path:
    """The run's directory: `--output_dir` when given, else `$PARLEY_HOME/runs/NAME`; made, and
    written back to `args` so TRL saves there."""
    from rlhf import models

    given = args.output_dir and args.output_dir != "trainer_output"
    out = Path(args.output_dir) if given else models.runs_dir() / run.name
    args.output_dir = str(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def fit(trainer: Any, run: Any, out: Path) -> None:
    """Train, from the newest checkpoint under `out` when `run.resume` and there is one, with
    the loss on the progress bar; `run.interrupt_at_step` stops as if killed there (tests)."""
    from rlhf import callbacks

    callbacks.use_loss_progress(trainer)
    if run.interrupt_at_step:
        trainer.add_callback(callbacks.InterruptAt(run.interrupt_at_step))
    resume = run.resume and any(out.glob("checkpoint-*"))
    trainer.train(resume_from_checkpoint=True if resume else None)


def finish(
    trainer: Any,
    tokenizer: Any,
    run: Any,
    out: Path,
    start: Path,
    info: dict,
    description: str,
    model: Any = None,
) -> Path:
    """Save the trained model (LoRA merged) to `out/model`; on the main process write `run.json`
    (`info`, whose `stage` names the stage) and register the model when `run.register`; wait for
    every rank. Returns the model's directory."""
    from rlhf import models

    final = models.save_trained(trainer, tokenizer, out, start, model=model)
    if trainer.accelerator.is_main_process:
        models.publish(info["stage"], run, out, final, info, description)
    trainer.accelerator.wait_for_everyone()
    return final


def settle(run: Any, args: Any, settings: dict[str, Any]) -> None:
    """Set each of `settings` on whichever of the two configs has the field (the stage's first);
    a name neither has is a `UsageError`, as an unknown flag is."""
    from assistant.errors import UsageError

    for key, value in settings.items():
        if any(f.name == key for f in fields(run)):
            setattr(run, key, value)
        elif hasattr(args, key):
            setattr(args, key, value)
        else:
            raise UsageError(f"{type(run).__name__} and {type(args).__name__} have no {key!r}")


def launch(module: str, config: str, nproc: int = 1, **settings: Any) -> Path | None:
    """Run stage `module` (`rlhf.sft`, ...) on recipe `config` with `settings` over it: on one
    process, in this one, through its typed `parse()` and `train(run, args)`; on several, under
    torchrun with the settings as flags. Returns the model's directory (None under torchrun).

    >>> flags({"output_dir": "out", "register": False, "max_margins": 3.0})
    ['--output_dir', 'out', '--register', 'false', '--max_margins', '3.0']
    """
    import importlib

    from rlhf.distributed import run_stage

    if nproc > 1:
        run_stage(module, ["--config", config, *flags(settings)], nproc)
        return None
    stage = importlib.import_module(module)
    run, args = stage.parse(["--config", config])
    settle(run, args, settings)
    return stage.train(run, args)


def flags(settings: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in settings.items():
        out += [
            f"--{key}",
            ("true" if value else "false") if isinstance(value, bool) else str(value),
        ]
    return out
