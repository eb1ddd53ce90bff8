"""What every training stage shares, written once: the shape `parse()` -> typed `train(...)`.

    run, args = sft.parse(["--config", "sft-cpu-tiny"])    # the recipe, then flags, checked
    run.name, args.max_steps = "sft-x", 4                  # typed: the pipeline and the tests
    sft.train(run, args)                                   # call the stage directly

Each stage module (`rlhf.sft`, `rlhf.reward`, `rlhf.ppo`, `rlhf.rloo`, `rlhf.dpo`) has a `parse`
that turns argv (a recipe and `--key value` flags) into its own settings dataclass and TRL's
config, a `train(run, args)` that trains and returns the model's directory, and `main(argv)` =
`train(*parse(argv))` for `python -m rlhf.STAGE` and torchrun; `entry_points` makes the two from
one declaration. The preamble (refuse FSDP where accelerate would silently run DDP, the
distributed defaults), the trainer defaults every stage shares, the settings several stages
share (resuming, LoRA), the output-directory rule, the starting model, the trainer's
construction and the figures every `run.json` records live here, once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

# Under every stage's own `TRAINER_DEFAULTS`. TRL defaults to bf16 + gradient checkpointing (GPU
# habits); recipes opt in. Only the newest two checkpoints stay (the newest is the one a resume
# reads; the one before it covers a kill while the newest is written): a PPO checkpoint of the
# 135M model holds policy, value model and both optimizer states, 3.1 GB, and a 32-step run
# saving every 4 steps filled 25 GB of disk before this.
TRAINER_DEFAULTS: dict[str, Any] = {
    "report_to": ["tensorboard"],
    "bf16": False,
    "gradient_checkpointing": False,
    "save_strategy": "steps",
    "save_total_limit": 2,
}

# What a stage says when an input it cannot run without is missing, by the setting's name.
MISSING = {
    "data": "no preference data: pass --data prefs.jsonl (`parley prefs export`)",
    "reward_model": "no reward model: pass --reward_model DIR (`parley train reward`)",
    "length_slope": "--length_neutral needs the reward model's length slope: pass --length_slope "
    "X, its `length_slope` in the eval.json beside the reward model",
}


def setting(default: Any, help: str, group: str = "") -> Any:
    """A settings dataclass field whose help text `--help` shows (after the ungrouped ones,
    under `group`'s heading, when it has one)."""
    return field(default=default, metadata={"help": help, "group": group})


@dataclass
class Resumable:
    """What `fit` reads in every stage: whether to go on from the newest checkpoint, and (tests)
    the step to stop at as if killed."""

    resume: bool = setting(False, "continue from the newest checkpoint", "resume")
    interrupt_at_step: int = setting(0, "testing: stop as if killed here", "resume")


@dataclass
class LoraSettings:
    """The LoRA settings of the stages that can train adapters instead of all weights (SFT,
    reward, DPO), inherited by their settings classes; a stage redeclares one to change its
    default (SFT's dropout 0.05, DPO's alpha 0: twice the rank). `--help` lists them under LoRA."""

    use_lora: bool = setting(True, "train LoRA adapters (else all weights)", "LoRA")
    lora_r: int = setting(16, "LoRA rank", "LoRA")
    lora_alpha: int = setting(32, "LoRA scaling numerator (0: twice the rank)", "LoRA")
    lora_dropout: float = setting(0.0, "LoRA dropout", "LoRA")
    lora_target_modules: str = setting("all-linear", "or q_proj,v_proj,...", "LoRA")
    lora_top_layers: int = setting(
        0, "LoRA in the last N layers only (0: all); cheaper backward", "LoRA"
    )

    def peft(self, start: Path, task_type: str = "CAUSAL_LM") -> Any:
        """The peft `LoraConfig` for the model at `start`, or None when training all weights."""
        from rlhf import models

        if not self.use_lora:
            return None
        return models.lora_config(
            self.lora_r,
            self.lora_alpha or 2 * self.lora_r,
            self.lora_dropout,
            self.lora_target_modules,
            task_type,
            self.lora_top_layers,
            start,
        )


@dataclass
class AgainstRewardModel:
    """The inputs of the stages that train a policy against the reward model (PPO, RLOO); their
    own settings follow these."""

    policy: str = setting("sft-small", "SFT model: name, dir or 'tiny'")
    reward_model: str = setting("", "reward model directory")
    prompts: str = setting("data/rl/prompts.jsonl", "prompt file (.txt lines or .jsonl)")


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


def entry_points(
    module: str, stage: str, run_class: type, config: str, defaults: dict[str, Any]
) -> tuple[Callable[..., tuple[Any, Any]], Callable[..., Path]]:
    """Stage module `module`'s `parse(argv)` and `main(argv)`. `parse` turns argv (default
    `sys.argv[1:]`) into (`run_class`, TRL's `config` class), `config` given as "module:Class"
    so that TRL (and torch) load only when a stage parses; `main` is `train(*parse(argv))`, the
    module's `train`, for `python -m rlhf.STAGE`, torchrun and `parley train STAGE`."""

    def parse_stage(argv: list[str] | None = None) -> tuple[Any, Any]:
        import importlib

        config_module, config_class = config.split(":")
        config_type = getattr(importlib.import_module(config_module), config_class)
        doc = sys.modules[module].__doc__ or ""
        return parse(stage, run_class, config_type, doc, defaults, argv)

    def main(argv: list[str] | None = None) -> Path:
        return sys.modules[module].train(*parse_stage(argv))

    config_name = config.partition(":")[2]
    parse_stage.__doc__ = (
        f"argv (a recipe and flags) -> the run's settings and TRL's `{config_name}`."
    )
    main.__doc__ = f"`python -m rlhf.{stage}` and `parley train {stage}`: `train(*parse(argv))`."
    return parse_stage, main


def require(run: Any, name: str) -> None:
    """A `UsageError` saying how to give it when the stage's input `name` (a key of `MISSING`)
    is empty."""
    from assistant.errors import UsageError

    if not getattr(run, name):
        raise UsageError(MISSING[name])


def output_dir(run: Any, args: Any) -> Path:
    """The run's directory: `--output_dir` when given, else `$PARLEY_HOME/runs/NAME`; made, and
    written back to `args` so TRL saves there."""
    from rlhf import models

    given = args.output_dir and args.output_dir != "trainer_output"
    out = Path(args.output_dir) if given else models.runs_dir() / run.name
    args.output_dir = str(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def starting_model(args: Any, name: str, out: Path) -> Path:
    """The directory of the model the stage starts from (`name`: a registered name, a directory
    or 'tiny'); one rank converts or builds it while the others wait."""
    from rlhf import distributed, models

    with distributed.main_first(args):
        return models.model_dir(name, out)


def trainer(
    trainer_class: type, args: Any, start: Path, tokenizer: Any, out: Path, **inputs: Any
) -> Any:
    """TRL's `trainer_class` on the model at `start` (float32, from safetensors), built under the
    FSDP-on-CPU rules, logging to `out/metrics.jsonl`; `inputs`: its datasets, peft config, ..."""
    from rlhf import callbacks, distributed

    args.model_init_kwargs = {"dtype": "float32", "use_safetensors": True}
    with distributed.fsdp_on_cpu():
        return trainer_class(
            model=str(start),
            args=args,
            processing_class=tokenizer,
            callbacks=[callbacks.MetricsJsonl(out / "metrics.jsonl")],
            **inputs,
        )


def counts(trainer: Any, args: Any) -> dict[str, int]:
    """The figures every `run.json` records: optimizer steps, processes, sequences per step."""
    from rlhf import models

    world = trainer.accelerator.num_processes
    return {
        "steps": trainer.state.global_step,
        "world_size": world,
        "global_batch": models.global_batch(args, world),
    }


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
