"""`parley train image --arch gan|vae|diffusion [--dataset fashion-mnist|digits] [--epochs N]`.

Trains one of the `/imagine` tool's class-conditional image models (`rlhf/images.py`) with a
progress bar, a checkpoint and a sample grid per epoch; running it again resumes. Without
`--output-dir` the weights go to `$PARLEY_HOME/models/imagine/ARCH.safetensors`, where the tool
prefers them to the shipped ones. `parley train image --help` lists every setting; the same
training runs as `python -m rlhf.images ...`.
"""

from __future__ import annotations

import click

_RAW = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.command("image", context_settings=_RAW, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def image(args: tuple[str, ...]) -> None:
    """Train the imagine tool's GAN, VAE or diffusion model (Fashion-MNIST or digits)."""
    from assistant.errors import UsageError
    from rlhf import images as stage

    config = stage.parse_args(list(args), prog="parley train image")
    try:
        weights = stage.main(config, log=lambda line: click.echo(line, err=True))
    except ValueError as e:
        raise UsageError(str(e)) from None
    click.echo(str(weights))
