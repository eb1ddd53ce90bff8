"""`parley train restore [--steps N] [--max-minutes M] [--output-dir DIR] ...`: train the restorer.

Trains the `restore` tool's diffusion denoiser on patches of bundled photographs (some held
out) with a progress bar and a checkpoint every `--checkpoint-every` steps; running it again
resumes from the checkpoint. Without `--output-dir` the weights go to
`$PARLEY_HOME/models/restore/`, where the tool prefers them to the shipped ones. `parley train
restore --help` lists every setting; the same
training runs as `python -m rlhf.restore ...`.
"""

from __future__ import annotations

import click

_RAW = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.command("restore", context_settings=_RAW, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def restore(args: tuple[str, ...]) -> None:
    """Train the restore tool's diffusion denoiser on bundled photos."""
    from assistant.errors import UsageError
    from rlhf import restore as stage

    config = stage.parse_args(list(args), prog="parley train restore")
    try:
        weights = stage.main(config, log=lambda line: click.echo(line, err=True))
    except ValueError as e:
        raise UsageError(str(e)) from None
    click.echo(str(weights))
