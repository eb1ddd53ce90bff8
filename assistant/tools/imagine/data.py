"""Image datasets for `parley train image`, and the Fashion-MNIST classifier that judges samples.

    python -m assistant.tools.imagine.data --classifier /tmp/clf.safetensors   # train + test it

- Fashion-MNIST (Zalando, MIT): 60,000 training and 10,000 test images, 28x28 grey, ten classes,
  read from Debian's `dataset-fashion-mnist` files (`/usr/share/datasets/fashion-mnist/*.gz`, or
  `$PARLEY_FASHION_MNIST`). Missing files raise `DataError` saying how to install them.
- digits: scikit-learn's bundled 8x8 handwritten digits (1,797 images), for fast tests.

Images come as float32 tensors (n, 1, s, s) in [-1, 1] with int64 labels. The classifier (a small
CNN, 128 penultimate features) gives the conditional accuracy and the FID features of
`bench/images.py`; it is trained here, never on generated images.
"""

from __future__ import annotations

import argparse
import gzip
import os
from pathlib import Path

import numpy as np

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # fmt: skip
DIGIT_CLASSES = [str(i) for i in range(10)]
DATASETS = ("fashion-mnist", "digits")


def fashion_dir() -> Path:
    return Path(os.environ.get("PARLEY_FASHION_MNIST", FASHION_DIR))


def _idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format): big-endian header, then uint8 data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(dataset: str, split: str = "train"):
    """(images, labels, class names): images float32 (n, 1, s, s) in [-1, 1]."""
    import torch

    from assistant.errors import DataError

    if dataset == "fashion-mnist":
        prefix = "train" if split == "train" else "t10k"
        images_gz = fashion_dir() / f"{prefix}-images-idx3-ubyte.gz"
        labels_gz = fashion_dir() / f"{prefix}-labels-idx1-ubyte.gz"
        if not images_gz.is_file() or not labels_gz.is_file():
            raise DataError(
                f"Fashion-MNIST is not in {fashion_dir()}: install it with `sudo apt-get install "
                "dataset-fashion-mnist` (or set PARLEY_FASHION_MNIST to a dir with the four "
                "*-ubyte.gz files), or use --dataset digits"
            )
        x = torch.from_numpy(_idx(images_gz).astype(np.float32) / 127.5 - 1)[:, None]
        y = torch.from_numpy(_idx(labels_gz).astype(np.int64))
        return x, y, list(FASHION_CLASSES)
    if dataset == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        x = torch.from_numpy(d.images.astype(np.float32) / 8 - 1)[:, None]
        y = torch.from_numpy(d.target.astype(np.int64))
        # a fixed 80/20 split (every fifth image is test)
        keep = (
            (torch.arange(len(y)) % 5 != 0) if split == "train" else (torch.arange(len(y)) % 5 == 0)
        )
        return x[keep], y[keep], list(DIGIT_CLASSES)
    raise DataError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")


def train_classifier(path: Path, epochs: int = 3, seed: int = 0, log=print) -> dict:
    """Train the judge on Fashion-MNIST's training set; save it (fp32 safetensors); test it."""
    import json

    import torch
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    x, y, _ = load("fashion-mnist", "train")
    from assistant.tools.imagine.models import classifier

    net = classifier()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), 128):
            idx = order[i : i + 128]
            batch = x[idx]
            flip = (
                torch.rand(len(idx), generator=gen) < 0.5
            )  # left-right flips: clothes are symmetric
            batch = torch.where(flip[:, None, None, None], batch.flip(3), batch)
            loss = torch.nn.functional.cross_entropy(net(batch), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        log(f"classifier epoch {epoch + 1}/{epochs}: last loss {loss.item():.3f}")
    xt, yt, _ = load("fashion-mnist", "test")
    accuracy = float((predict(net, xt) == yt).float().mean())
    info = {"test_accuracy": round(accuracy, 4), "epochs": epochs, "seed": seed}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path),
              metadata={"parley": json.dumps(info)})  # fmt: skip
    log(f"classifier test accuracy {accuracy:.4f} -> {path}")
    return info


def load_classifier(path: Path):
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file

    from assistant.tools.imagine.models import classifier

    net = classifier()
    net.load_state_dict(load_file(str(path)))
    with safe_open(str(path), framework="pt") as f:
        info = json.loads(f.metadata()["parley"])
    return net.eval(), info


def predict(net, x, batch: int = 1000):
    """Class predictions of images (n, 1, 28, 28) in [-1, 1]."""
    import torch

    net.eval()
    with torch.no_grad():
        return torch.cat([net(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])


def features(net, x, batch: int = 1000):
    """Penultimate (128-d) features, float64 numpy, for the FID."""
    import torch

    net.eval()
    with torch.no_grad():
        return (
            torch.cat([net.features(x[i : i + batch]) for i in range(0, len(x), batch)])
            .double()
            .numpy()
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Train the Fashion-MNIST judge classifier.")
    parser.add_argument("--classifier", type=Path, required=True, help="where to save it")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    train_classifier(args.classifier, args.epochs)
