"""Where a tool finds its weights: one `$PARLEY_HOME` layout for every tool a user can retrain.

    $PARLEY_HOME/tools/<tool>/<backend>/      e.g. tools/translate/rnn/, tools/imagine/gan/

`parley train <tool>` writes there by default, and the tool prefers what it finds there to the
weights shipped beside it (`assistant/tools/<tool>/weights/`). Lookups here never import torch
(the tools call them to say which backends are present) and never write, so a read-only home
works.

Before this layout, trained weights lived in three others (`tools/translate-rnn/`,
`models/imagine/gan.safetensors`, `models/restore/`). Those places are still read, after the new
one; a training run that writes to the default place moves the old files there first, so it
resumes from their checkpoint.
"""

from __future__ import annotations

from pathlib import Path

from assistant import paths

# (tool, backend) -> (the old directory under $PARLEY_HOME, the glob of that model's files in it)
LEGACY: dict[tuple[str, str], tuple[str, str]] = {
    ("translate", "rnn"): ("tools/translate-rnn", "*"),
    ("sentiment", "encoder"): ("tools/sentiment-encoder", "*"),
    ("transcribe", "rnn"): ("tools/transcribe-rnn", "*"),
    ("caption", "rnn"): ("tools/caption-rnn", "*"),
    ("qa", "encoder"): ("tools/qa-reader", "*"),
    ("restore", "diffusion"): ("models/restore", "*"),
    ("imagine", "gan"): ("models/imagine", "*gan*"),
    ("imagine", "vae"): ("models/imagine", "*vae*"),
    ("imagine", "diffusion"): ("models/imagine", "*diffusion*"),
}


def trained_dir(tool: str, backend: str) -> Path:
    """Where `parley train <tool>` writes `backend`'s weights by default."""
    return paths.home() / "tools" / tool / backend


def find(tool: str, backend: str, files: tuple[str, ...], shipped: Path) -> Path | None:
    """The first directory holding all of `files`: the trained one, its old place, `shipped`."""
    places = [trained_dir(tool, backend)]
    if (tool, backend) in LEGACY:
        places.append(paths.home() / LEGACY[tool, backend][0])
    for directory in (*places, shipped):
        if all((directory / name).is_file() for name in files):
            return directory
    return None


def file(tool: str, backend: str, name: str, shipped: Path) -> Path:
    """`find` for a model that is one file: its path, the shipped one when nothing is trained."""
    return (find(tool, backend, (name,), shipped) or shipped) / name


def output_dir(explicit: str | None, tool: str, backend: str) -> Path:
    """A trainer's output directory: `--output-dir` if given, else the default place, created,
    with the files of an old layout moved into it (so a run resumes from their checkpoint)."""
    if explicit:
        return Path(explicit)
    directory = trained_dir(tool, backend)
    if (tool, backend) in LEGACY and not directory.exists():
        old, pattern = LEGACY[tool, backend]
        moved = sorted((paths.home() / old).glob(pattern))
        if moved:
            directory.mkdir(parents=True)
            for path in moved:
                path.rename(directory / path.name)
    return directory
