"""How a tool's trained weights lie on disk: fp16 safetensors (half the size of fp32, and the repo
ships them) read back as fp32, beside a JSON record of the model's config and how it was trained.

The small models built from a config dataclass (the caption, translate and transcribe RNNs) go
whole through `save_model` / `load_model`; the readers that keep part of a pretrained encoder
(qa, sentiment) write their own record and use `save` / `load` for the tensors. torch and
safetensors are imported inside the functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

WEIGHTS = "model.safetensors"
RECORD = "config.json"


def save(tensors: Mapping[str, Any], path: Path) -> None:
    """`tensors` as fp16 safetensors at `path` (its directory made if missing)."""
    import torch
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    half = {k: v.detach().to(torch.float16).contiguous() for k, v in tensors.items()}
    save_file(half, str(path))


def load(path: Path) -> dict[str, Any]:
    """The tensors saved at `path`, as fp32."""
    from safetensors.torch import load_file

    return {k: v.float() for k, v in load_file(str(path)).items()}


def write_record(path: Path, record: dict, indent: int = 2) -> None:
    path.write_text(json.dumps(record, indent=indent) + "\n")


def save_model(
    model: Any, directory: Path, record: dict, indent: int = 2, skip: str | None = None
) -> None:
    """`model`'s weights and `{"config": asdict(model.config), **record}` in `directory`;
    `skip`: leave out the tensors whose names end so (not weights, e.g. BatchNorm's counters)."""
    state = model.state_dict()
    save({k: v for k, v in state.items() if not (skip and k.endswith(skip))}, directory / WEIGHTS)
    write_record(directory / RECORD, {"config": asdict(model.config), **record}, indent)


def load_model(
    build: Callable[[Any], Any], config_class: type, directory: Path, strict: bool = True
) -> tuple[Any, dict]:
    """The model `save_model` wrote in `directory`, in eval mode, and its record."""
    record = json.loads((directory / RECORD).read_text())
    model = build(config_class(**record["config"]))
    model.load_state_dict(load(directory / WEIGHTS), strict=strict)
    model.eval()
    return model, record
