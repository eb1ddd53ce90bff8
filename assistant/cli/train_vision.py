"""`parley train caption` and `parley train qa`: train the caption and qa tools' own models.

    parley train caption [--steps N] [--max-cpu-minutes M] [--output-dir DIR] ...
    parley train qa [--epochs N] [--max-cpu-minutes M] [--output-dir DIR] ...

Every flag goes to the stage's own parser (`rlhf/caption.py`, `rlhf/qa.py`; `--help` lists them);
the same training runs as `python -m rlhf.caption ...` / `python -m rlhf.qa ...`. Without
`--output-dir` the model goes to `$PARLEY_HOME/tools/`, where the tool prefers it to the weights
shipped in the repo. Progress bars go to stderr; the output directory to stdout.
"""

from __future__ import annotations

import click

_RAW = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.command("caption", context_settings=_RAW, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def caption(args: tuple[str, ...]) -> None:
    """Train the captioner (CNN + GRU with attention) on rendered emoji and clothing scenes."""
    from rlhf import caption as stage

    stage.cli(list(args), prog="parley train caption")


@click.command("qa", context_settings=_RAW, add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def qa(args: tuple[str, ...]) -> None:
    """Train the qa tool's answer-span head on the MiniLM encoder (data/qa)."""
    from rlhf import qa as stage

    stage.cli(list(args), prog="parley train qa")
