"""`parley models list|show`: every model Parley can use."""

from __future__ import annotations

import json

import click

from assistant import models


@click.group("models")
def models_group() -> None:
    """List and inspect the models Parley can use."""


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_cmd(as_json: bool) -> None:
    """The embedded model (the default) and every registered checkpoint."""
    for spec in models.list_models():
        if as_json:
            click.echo(json.dumps({**spec.to_dict(), "ready": _ready(spec)}))
            continue
        default = " (default)" if spec.kind == "embedded" else ""
        click.echo(f"{spec.name}{default}\t{spec.kind}\t{_ready(spec)}\t{spec.description}")


def _ready(spec: models.ModelSpec) -> str:
    if spec.kind == "embedded":
        return "converted" if models.is_converted(spec) else "converted on first use"
    return spec.path


@models_group.command("show")
@click.argument("name")
def show_cmd(name: str) -> None:
    """Details of one model: where its files are and where it came from."""
    spec = models.resolve(name)
    click.echo(json.dumps({**spec.to_dict(), "ready": _ready(spec)}, indent=2))
