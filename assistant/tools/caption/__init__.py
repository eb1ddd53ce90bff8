"""`caption`: say in words what an image shows.

    parley tool caption smiley.png
    parley tool caption --beam 5 scene.png
    /caption @smiley.png                       (in `parley chat`: the image shows with its caption)

- `rnn` (default): Parley's captioner, a small CNN encoder and a GRU decoder with attention over
  its 8x8 feature grid, decoded by beam search (`model.py`); trained by `parley train caption`
  (`train.py`) on rendered Noto colour emoji named by their Unicode names and on scenes of
  one to three Fashion-MNIST items. Weights ship in `weights/`.

What it knows: emoji-style pictures (faces, hands, animals, food, plants, vehicles, objects, signs
and symbols: the Noto emoji set) and scenes of clothing items on black (t-shirt, trousers,
pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot). It has never seen a photograph:
a photo gets the caption of whatever emoji it looks most like.

Who may ask: only a person's slash command (or `parley tool caption FILE`) names the image file;
the file is opened while the command is parsed. A tool call the chat model writes cannot open
files, so it is refused with the command the person can type instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import CommandUsageError, UsageError
from assistant.tools import trained
from assistant.tools.base import BackendInfo, Output, Progress, Tool
from assistant.tools.files import NamedFile, named_path, open_image
from assistant.tools.params import Param, params

ARCHITECTURE = "CNN encoder + GRU decoder with attention (beam search)"
MAX_PIXELS = 40_000_000
MAX_BEAM = 10
KNOWS = (
    "It knows emoji-style pictures (faces, animals, food, objects, symbols: the Noto emoji set) "
    "and Fashion-MNIST clothing scenes; it has never seen a photo."
)

SHIPPED_DIR = Path(__file__).with_name("weights")
WEIGHTS = ("model.safetensors", "config.json")  # the files a weights directory must hold


def read_image(value: str) -> NamedFile:
    """Open `@image.png` (or `image.png`); anything that is not a readable image is one line."""
    path = named_path(value)

    def too_big(width: int, height: int) -> str | None:
        if width * height > MAX_PIXELS:
            return f"{path.name} is {width}x{height}; the limit is 40 MP"
        return None

    return NamedFile(path, open_image(path, "image", too_big))


class CaptionTool(Tool):
    name = "caption"
    description = "Caption an image (@FILE). " + KNOWS
    usage = "/caption @IMAGE [--beam N] [--backend rnn]"
    parameters = params(
        Param(
            "image",
            "the image: a person's /caption @FILE only (a model's call cannot open files)",
            nargs="?",
            metavar="IMAGE",
            model="required",
        ),
        Param(
            "beam",
            f"beam width, 1 (greedy, the default: it measured best) to {MAX_BEAM}",
            type=int,
            flags=("--beam",),
            metavar="N",
        ),
    )

    def backends(self) -> list[BackendInfo]:
        return self.backend_table(("rnn", ARCHITECTURE, weights_dir() is not None))

    def parse(self, argv: list[str]) -> dict[str, Any]:
        args = self.parser().parse(argv)
        if not args.get("image"):
            raise CommandUsageError("give an image to caption", self.usage)
        args["image"] = read_image(args["image"])  # only a person's command reaches here
        return args

    def execute(
        self,
        backend: str,
        progress: Progress | None = None,
        image: Any = None,
        beam: int | None = None,
    ) -> Output:
        if not isinstance(image, NamedFile):
            named = str(image or "").strip().lstrip("@") or "IMAGE"
            raise UsageError(
                f"caption reads only an image a person attaches: type /caption @{named}"
            )
        beam = 1 if beam is None else int(beam)
        if not 1 <= beam <= MAX_BEAM:
            raise UsageError(f"--beam must be 1 to {MAX_BEAM}; got {beam}")
        directory = weights_dir()
        if directory is None:
            raise UsageError("the captioner has no weights; run `parley train caption`")
        from assistant.tools.caption import model

        text, confidence = model.caption(image.content, directory, beam=beam)
        return Output(
            text,
            confidence=confidence,
            images=[image.path],
            data={"image": str(image.path), "size": list(image.content.size), "beam": beam},
        )


def weights_dir() -> Path | None:
    """The trained weights (`$PARLEY_HOME/tools/caption/rnn/`), else the shipped ones."""
    return trained.find("caption", "rnn", WEIGHTS, SHIPPED_DIR)
