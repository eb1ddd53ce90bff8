"""The imagine tool and its trainers: each architecture learns on scikit-learn's 8x8 digits,
samples have the right shape and range, words map to classes, bad input gets one clear line,
PNGs are written, and the shipped Fashion-MNIST weights draw the class asked for.

    .venv/bin/pytest -q tests/test_images.py
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from assistant import tools
from assistant.errors import UsageError
from assistant.tools.imagine import WEIGHTS_DIR, models, sampling
from assistant.tools.imagine.classes import FASHION_CLASSES, match
from assistant.tools.imagine.data import load_classifier, predict

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def digits():
    from assistant.tools.imagine.data import load

    x, y, classes = load("digits", "train")
    return x[:32], y[:32], classes


@pytest.mark.parametrize("arch", ["gan", "vae", "diffusion"])
def test_each_architecture_learns_on_digits(arch, digits):
    from assistant.tools.imagine.train import Trainer

    x, y, classes = digits
    torch.manual_seed(0)
    lr = 2e-3 if arch == "gan" else None  # the discriminator pulls ahead within a few steps
    trainer = Trainer(arch, models.default_config(arch, size=8, num_classes=10), lr=lr)
    gen = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(9):
        loss = trainer.step(x, y, gen)
        # the GAN's own loss is a two-player game; its discriminator's loss must fall
        losses.append(trainer.last["d"] if arch == "gan" else loss)
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < 0.9 * first, losses


@pytest.mark.parametrize("arch", ["gan", "vae", "diffusion"])
def test_samples_have_the_right_shape_and_range(arch):
    config = models.default_config(arch, size=8, num_classes=10)
    model = models.build(arch, config).eval()
    steps = []
    out = sampling.sample(model, {"arch": arch, "config": config}, [1, 2, 3], seed=0, steps=3,
                          progress=lambda i, n: steps.append((i, n)))  # fmt: skip
    assert out.shape == (3, 1, 8, 8)
    assert out.min() >= -1 and out.max() <= 1 and out.std() > 0
    assert steps == ([(1, 3), (2, 3), (3, 3)] if arch == "diffusion" else [])
    again = sampling.sample(model, {"arch": arch, "config": config}, [1, 2, 3], seed=0, steps=3)
    assert torch.equal(out, again)  # a seed gives the same images


def test_training_command_checkpoints_resumes_and_draws_grids(tmp_path):
    from assistant.tools.imagine.train import ImageConfig, train

    lines = []
    config = ImageConfig(arch="vae", dataset="digits", epochs=1, batch_size=16, limit=32,
                         output_dir=str(tmp_path), threads=1)  # fmt: skip
    weights = train(config, progress=False, log=lines.append)
    assert weights == tmp_path / "vae.safetensors"
    assert (tmp_path / "checkpoint-vae.safetensors").is_file()
    assert Image.open(tmp_path / "samples-vae-epoch-1.png").size == (2 * 82, 2 * 102)
    config.epochs = 2
    train(config, progress=False, log=lines.append)
    assert any(line.startswith("resuming from") and "after epoch 1" in line for line in lines)
    info = models.read_info(weights)
    assert info["epochs"] == 2 and info["steps"] == 4 and info["classes"][3] == "3"


def test_words_map_to_classes():
    assert FASHION_CLASSES[match("a sneaker", FASHION_CLASSES)] == "Sneaker"
    assert FASHION_CLASSES[match("Ankle boots", FASHION_CLASSES)] == "Ankle boot"
    assert FASHION_CLASSES[match("a red T-shirt", FASHION_CLASSES)] == "T-shirt/top"
    assert FASHION_CLASSES[match("a shirt", FASHION_CLASSES)] == "Shirt"
    assert FASHION_CLASSES[match("blue jeans", FASHION_CLASSES)] == "Trouser"


def test_unknown_class_lists_the_ten():
    with pytest.raises(UsageError) as e:
        tools.run_slash("imagine", ["a", "giraffe"])
    message = str(e.value)
    assert "giraffe" in message
    assert all(name in message for name in FASHION_CLASSES)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["sneaker", "--n", "0"], "--n must be 1 to 64; got 0"),
        (["sneaker", "--n", "100000"], "--n must be 1 to 64; got 100000"),
        (["sneaker", "--steps", "-5"], "--steps must be 1 to 1000; got -5"),
        (["sneaker", "--n", "many"], "invalid int value"),
        (["sneaker", "--arch", "pixelcnn"], "backends: diffusion, gan, vae"),
        (["sneaker", "--out", "x.jpg"], "--out must end in .png"),
        ([], "say what to draw"),
        (["--interpolate", "sneaker"], "two classes"),
        (["--interpolate", "sneaker,boot", "--arch", "gan"], "needs the vae backend"),
    ],
)
def test_bad_input_gets_a_clear_error(argv, expected):
    with pytest.raises(UsageError, match=expected.replace("-", r"\-")):
        tools.run_slash("imagine", argv)


def test_tool_writes_pngs_of_the_asked_class(tmp_path):
    out = tmp_path / "bags.png"
    result = tools.run_slash(
        "imagine", ["a", "bag", "--arch", "gan", "--n", "3", "--out", str(out)]
    )
    assert result.backend == "gan" and result.architecture.startswith("GAN")
    assert result.images == [out]
    assert Image.open(out).mode == "L"
    singles = [tmp_path / f"bags-{i}.png" for i in (1, 2, 3)]
    assert [Image.open(p).size for p in singles] == [(112, 112)] * 3
    assert result.data["class"] == "Bag" and "3 images of Bag by gan" in result.text
    assert 0 <= result.confidence <= 1


def test_vae_interpolates_between_two_classes(tmp_path):
    out = tmp_path / "morph.png"
    result = tools.run_slash(
        "imagine", ["--interpolate", "sneaker,boot", "--n", "5", "--out", str(out)]
    )
    assert result.backend == "vae" and result.data["class"] == "Sneaker -> Ankle boot"
    frames = [np.asarray(Image.open(tmp_path / f"morph-{i}.png")) for i in (1, 5)]
    assert frames[0].shape == (112, 112) and (frames[0] != frames[1]).any()  # the ends differ


def test_diffusion_reports_step_progress(tmp_path):
    seen = []
    tools.run_slash("imagine", ["dress", "--steps", "4", "--out", str(tmp_path / "d.png")],
                    progress=seen.append)  # fmt: skip
    assert seen == [f"denoising step {i}/4" for i in (1, 2, 3, 4)]
    assert (tmp_path / "d.png").is_file()


@pytest.mark.parametrize("arch", ["gan", "vae", "diffusion"])
def test_shipped_weights_draw_the_asked_class(arch):
    """The judge (a classifier trained apart, on real images) names the asked class far more
    often than chance (10%)."""
    from safetensors.torch import load_file

    judge = models.classifier()
    judge.load_state_dict(load_file(str(WEIGHTS_DIR / "classifier.safetensors")))
    model, info = models.load(WEIGHTS_DIR / f"{arch}.safetensors")
    assert info["classes"] == FASHION_CLASSES and info["dataset"] == "fashion-mnist"
    labels = [c for c in range(10) for _ in range(2)]
    with torch.no_grad():
        images = sampling.sample(model, info, labels, seed=1, steps=10)
        predicted = judge.eval()(images).argmax(1)
    accuracy = float((predicted == torch.tensor(labels)).float().mean())
    assert accuracy >= 0.4, accuracy


def test_done_when_the_cli_draws_a_sneaker_the_judge_recognises(tmp_path):
    """Issue 8's done-when as a user runs it: `parley tool imagine sneaker --arch diffusion --out
    x.png` writes a PNG that the separately trained classifier labels as a sneaker, read back from
    the file (4x nearest-neighbour upscaled, so every 4th pixel is the 28x28 sample). The default
    seed is 0, so the command draws the same sneaker each time."""
    out = tmp_path / "x.png"
    command = [sys.executable, "-m", "assistant.cli", "tool", "imagine", "sneaker",
               "--arch", "diffusion", "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "1 image of Sneaker by diffusion" in done.stdout
    pixels = np.asarray(Image.open(out), dtype=np.float32)[::4, ::4]
    assert pixels.shape == (28, 28)
    judge, _ = load_classifier(WEIGHTS_DIR / "classifier.safetensors")
    label = int(predict(judge, torch.from_numpy(pixels / 127.5 - 1)[None, None])[0])
    assert FASHION_CLASSES[label] == "Sneaker"


def test_out_is_never_overwritten_without_force(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import main

    out = tmp_path / "bags.png"
    single = tmp_path / "bags-2.png"  # one of the singles `--n 3` would write
    single.write_bytes(b"the user's own file")
    args = ["tool", "imagine", "bag", "--arch", "gan", "--n", "3", "--out", str(out)]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and f"{single} exists; add --force" in refused.output
    assert not out.exists() and single.read_bytes() == b"the user's own file"
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert Image.open(single).size == (112, 112)


def test_default_names_never_collide(monkeypatch):
    import time

    monkeypatch.setattr(time, "strftime", lambda fmt: "20261128-100000")  # the same second
    first = tools.run_slash("imagine", ["bag", "--arch", "gan", "--seed", "3"])
    second = tools.run_slash("imagine", ["bag", "--arch", "gan", "--seed", "3"])
    assert first.images[0] != second.images[0]
    assert first.images[0].is_file() and second.images[0].is_file()
