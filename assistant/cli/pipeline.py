"""`parley pipeline --preset cpu-tiny|cpu-small`: SFT -> pairs -> reward model -> PPO -> win rate
-> report.md, skipping finished stages (the chain itself is `rlhf/pipeline.py`, imported lazily)."""

from __future__ import annotations

import click

from assistant.cli.options import count_option, progress


@click.command("pipeline")
@click.option("--preset", type=click.Choice(["cpu-tiny", "cpu-small"]), required=True)
@click.option("--dir", "root", default=None, help="Pipeline directory (default in $PARLEY_HOME).")
@click.option(
    "--prefs",
    default=None,
    help="Human preference JSONL (`parley prefs export`) to add, or `db`: the stored ratings.",
)
@count_option(
    "--nproc", default=1, help="Processes per training stage (torchrun; CPU cores or GPUs)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Run PPO even when the reward model is below the accuracy threshold.",
)
@click.option(
    "--min-rm-accuracy",
    type=click.FloatRange(0, 1),
    default=None,
    help="Held-out accuracy the reward model needs before PPO (default: the preset's).",
)
@click.option(
    "--methods",
    default=None,
    help="Comma-separated methods to compare with SFT: ppo, rloo, dpo, bon (best-of-n with the "
    "reward model); PPO always runs (default: the preset's).",
)
def pipeline(
    preset: str,
    root: str | None,
    prefs: str | None,
    nproc: int,
    force: bool,
    min_rm_accuracy: float | None,
    methods: str | None,
) -> None:
    """The whole RLHF chain, end to end; a killed run picks up where it stopped."""
    from rlhf.pipeline import run

    chosen = (
        tuple(dict.fromkeys(["ppo", *(m.strip() for m in methods.split(","))])) if methods else None
    )
    report = run(
        preset,
        root,
        prefs,
        progress=progress,
        nproc=nproc,
        force=force,
        min_rm_accuracy=min_rm_accuracy,
        methods=chosen,
    )
    click.echo(report.read_text())
    click.echo(f"report: {report}")
