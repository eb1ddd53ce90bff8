"""The restore tool: denoising and inpainting with the shipped diffusion weights, its answers to bad
input, and its trainer (a few steps on a tiny network).

    .venv/bin/pytest -q tests/test_restore.py
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from assistant import tools
from assistant.errors import DataError, UsageError
from assistant.tools.restore import image as restore_image
from assistant.tools.restore import restorer

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def heldout_crop(size: int = 64) -> np.ndarray:
    """A crop of `camera`, which training never saw (assistant.tools.restore.train.TEST_IMAGES)."""
    import skimage.data

    from assistant.tools.restore.train import TEST_IMAGES

    assert "camera" in TEST_IMAGES
    return skimage.data.camera()[200 : 200 + size, 200 : 200 + size].astype(np.float32) / 255


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / np.mean((a - b) ** 2)))


def save(path, array, mode=None):
    Image.fromarray(array, mode=mode).save(path)
    return path


def test_denoising_with_shipped_weights_raises_psnr_on_a_heldout_photo():
    clean = heldout_crop()
    noisy = clean + np.random.default_rng(0).normal(0, 25 / 255, clean.shape).astype(np.float32)
    out, info = restorer.restore(noisy, noise=25)
    assert out.shape == clean.shape
    assert psnr(out, clean) > psnr(noisy, clean) + 4  # ~20.2 dB noisy -> ~27 dB
    # the noise level the tool finds by itself is close to the truth
    assert 21 < restorer.estimate_noise(noisy) < 29


def test_cli_restore_with_mask_writes_png_and_keeps_known_pixels(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import main

    clean = (heldout_crop(48) * 255).astype(np.uint8)
    mask = np.zeros_like(clean)
    mask[16:28, 10:30] = 255
    photo = save(tmp_path / "photo.png", np.where(mask > 0, 255, clean).astype(np.uint8))
    save(tmp_path / "mask.png", mask)
    out = tmp_path / "fixed.png"
    args = ["tool", "restore", str(photo), "--mask", str(tmp_path / "mask.png"), "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--steps", "4"])
    assert result.exit_code == 0, result.output
    restored = np.asarray(Image.open(out))
    assert restored.shape == clean.shape and Image.open(out).format == "PNG"
    assert (restored[mask == 0] == clean[mask == 0]).all()
    hole = mask > 0
    assert np.abs(restored[hole].astype(int) - 255).mean() > 40  # the white hole was filled


def test_inpainting_keeps_known_pixels_exactly_in_colour(tmp_path):
    import skimage.data

    rgb = skimage.data.astronaut()[100:148:1, 200:248].copy()
    mask = np.zeros(rgb.shape[:2], np.uint8)
    mask[20:30, 5:40] = 255
    damaged = rgb.copy()
    damaged[mask > 0] = 255
    photo = save(tmp_path / "a.png", damaged)
    save(tmp_path / "m.png", mask)
    result = tools.run_slash(
        "restore", [f"@{photo}", "--mask", f"@{tmp_path / 'm.png'}", "--steps", "3", "--noise", "0"]
    )
    before, after = result.images
    assert before == photo and after == tmp_path / "a-restored.png"
    restored = np.asarray(Image.open(after))
    assert restored.shape == rgb.shape
    assert (restored[mask == 0] == damaged[mask == 0]).all()
    assert (restored[mask > 0] != 255).any(axis=-1).mean() > 0.9
    assert "mask covers" in result.text and result.tool == "restore"


def test_the_mean_of_several_fills_is_closer_to_the_truth_than_one():
    """What `--samples` buys: holes in a held-out crop, filled once and as the mean of 4 fills
    drawn together; the mean is nearer the real pixels (PSNR), and known pixels stay exact."""
    import torch

    from assistant.tools.restore import model, sampler

    clean = heldout_crop(64)
    mask = np.zeros(clean.shape, bool)
    for y, x in ((6, 8), (30, 40), (44, 12), (20, 24)):
        mask[y : y + 8, x : x + 8] = True
    y = torch.from_numpy(clean)[None, None] * 2 - 1
    known = torch.from_numpy(~mask)[None, None]
    net = model.load()
    one = sampler.inpaint(net, y, known, steps=6, resample=2, seed=0)
    mean = sampler.inpaint(net, y, known, steps=6, resample=2, seed=0, samples=4)
    assert mean.shape == one.shape == y.shape
    assert torch.equal(mean[known], y[known])
    holes = [(t[0, 0].numpy()[mask] + 1) / 2 for t in (one, mean)]
    error_one, error_mean = (float(np.mean((h - clean[mask]) ** 2)) for h in holes)
    assert error_mean < 0.9 * error_one, (error_mean, error_one)  # 0.0037 vs 0.0074 (shipped)


def test_colour_holes_cost_the_diffusion_model_no_more_calls_than_grey():
    """Only the luminance is filled by RePaint; the chroma planes by interpolation."""
    from assistant.tools.restore import model, restorer

    net, calls = model.load(), []

    def counting(x, sigma):
        calls.append(x.shape[0])
        return net(x, sigma)

    grey = heldout_crop(48)
    rgb = np.stack([grey, grey * 0.8, grey * 0.6], axis=-1)
    mask = np.zeros(grey.shape, bool)
    mask[10:20, 10:20] = True
    counts = []
    for pixels in (grey, rgb):
        calls.clear()
        out, _ = restorer.restore(pixels, mask, noise=0, steps=3, net=counting, samples=2)
        assert out.shape == pixels.shape and np.isfinite(out).all()
        counts.append(len(calls))
    assert counts[0] == counts[1] > 0, counts
    holes = out[mask]  # the colour fill: brown-ish like its surroundings, not white
    assert np.all(holes[:, 0] >= holes[:, 2] - 0.02) and holes.max() < 0.99


def test_scratch_is_found_without_a_mask():
    clean = heldout_crop(64)
    damaged = clean.copy()
    damaged[30:32, 5:60] = 1.0  # a saturated white scratch, 2 px wide
    mask, line = restore_image.detect_damage(damaged)
    assert mask[30:32, 5:60].all()
    assert mask.mean() < 0.08 and "found damage" in line
    _, line = restore_image.detect_damage(clean)
    assert "no damage" in line


def test_grey_stays_grey_and_rgba_keeps_alpha(tmp_path):
    grey = (heldout_crop(32) * 255).astype(np.uint8)
    photo = save(tmp_path / "g.png", grey)
    result = tools.run_slash("restore", [str(photo), "--noise", "10"])
    assert Image.open(result.images[1]).mode == "L"
    assert "grey" in result.text

    rgba = np.dstack([grey, grey // 2, 255 - grey, np.linspace(0, 255, 32 * 32).reshape(32, 32)])
    photo = save(tmp_path / "t.png", rgba.astype(np.uint8), "RGBA")
    result = tools.run_slash("restore", [str(photo), "--noise", "10"])
    out = Image.open(result.images[1])
    assert out.mode == "RGBA"
    assert (np.asarray(out)[..., 3] == rgba[..., 3].astype(np.uint8)).all()
    assert "alpha channel kept unchanged" in result.text


def test_bad_inputs_get_one_clear_line(tmp_path):
    def one_line(error: type[Exception], match: str, args: list[str]) -> None:
        with pytest.raises(error, match=match) as raised:
            tools.run_slash("restore", args)
        assert "\n" not in str(raised.value), str(raised.value)

    text = tmp_path / "notes.png"
    text.write_text("this is not a picture")
    one_line(DataError, "not an image", [str(text)])

    photo = save(tmp_path / "p.png", (heldout_crop(32) * 255).astype(np.uint8))
    save(tmp_path / "small.png", np.zeros((16, 16), np.uint8))
    one_line(
        UsageError,
        "the mask is 16x16 but the photo is 32x32",
        [str(photo), "--mask", str(tmp_path / "small.png")],
    )

    huge = tmp_path / "huge.png"
    Image.new("L", (2049, 2049), 128).save(huge)
    one_line(UsageError, r"2049x2049 .*the limit is 4.2 MP", [str(huge)])

    one_line(UsageError, "no such photo", [str(tmp_path / "missing.jpg")])
    one_line(UsageError, "give a photo", [])
    one_line(UsageError, "must end in .png", [str(photo), "--out", str(tmp_path / "x.jpg")])
    for bad in ("0", "99"):
        one_line(
            UsageError, f"--samples must be 1 to 16; got {bad}", [str(photo), "--samples", bad]
        )


def test_tiles_blend_back_to_the_whole():
    plane = np.random.default_rng(0).random((300, 530)).astype(np.float32)
    mask = np.zeros(plane.shape, bool)
    out = restorer.by_tiles(plane, mask, lambda tile, m: tile * 2, tile=128)
    np.testing.assert_allclose(out, plane * 2, rtol=1e-5)


def test_a_few_training_steps_lower_the_loss_and_resume(tmp_path):
    import torch

    from assistant.tools.restore import model
    from assistant.tools.restore import train as stage

    torch.manual_seed(0)
    net = model.build(model.NetConfig(channels=(8, 16, 16), emb_dim=32, groups=4))
    data = stage.Patches(["coins"], patch=16, seed=0)
    fixed = data.batch(32)
    sigma = torch.tensor([0.05, 0.1, 0.2, 0.4, 0.8, 1.6] * 5 + [0.3, 0.3])

    def held_loss() -> float:
        with torch.no_grad():
            return float(stage.training_loss(net, fixed, torch.Generator().manual_seed(1), sigma))

    before = held_loss()
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(40):
        loss = stage.training_loss(net, data.batch(16))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert held_loss() < 0.8 * before

    # the real entry point: checkpoint, then resume where it stopped
    config = stage.RestoreConfig(output_dir=str(tmp_path), steps=2, patch=16, batch_size=4,
                                 channels="8,16,16", checkpoint_every=2,
                                 images="coins")  # fmt: skip
    lines: list[str] = []
    weights = stage.train(config, progress=False, log=lines.append)
    assert weights.is_file() and (tmp_path / "checkpoint.safetensors").is_file()
    from click.testing import CliRunner

    from assistant.cli import main as parley

    args = ["train", "restore", "--output-dir", str(tmp_path), "--steps", "3", "--patch", "16",
            "--batch-size", "4", "--channels", "8,16,16", "--checkpoint-every", "2",
            "--images", "coins"]  # fmt: skip
    result = CliRunner().invoke(parley, args)
    assert result.exit_code == 0, result.output
    assert "resuming from" in result.output and "at step 2" in result.output
    assert str(weights) in result.output
    result = CliRunner().invoke(parley, [*args, "--images", "camera"])
    assert result.exit_code == 2 and "held out: camera" in result.output
    assert model.read_metadata(weights)["step"] == 3
    assert model.load(weights)(torch.zeros(1, 1, 8, 8), torch.tensor([0.5])).shape == (1, 1, 8, 8)

    # fine-tuning: a new run that starts from those weights instead of random ones
    warm = stage.RestoreConfig(output_dir=str(tmp_path / "warm"), steps=1, patch=16, batch_size=4,
                               lr=1e-12, channels="8,16,16", images="coins",
                               init_from=str(weights))  # fmt: skip
    lines.clear()
    tuned = stage.train(warm, progress=False, log=lines.append)
    assert any(f"starting from the weights in {weights}" in line for line in lines)
    start, end = model.load(weights).state_dict(), model.load(tuned).state_dict()
    assert all(torch.allclose(start[k], end[k], atol=1e-3) for k in start)
    assert model.read_metadata(tuned)["init_from"] == weights.name
    with pytest.raises(ValueError, match="has widths"):
        stage.train(stage.RestoreConfig(output_dir=str(tmp_path / "w2"), steps=1, patch=16,
                                       init_from=str(weights)), progress=False)  # fmt: skip


def test_no_file_is_overwritten_without_force(tmp_path):
    """`--out EXISTING.png` is refused in one line (the file untouched) unless `--force`; the
    default names (`-restored.png`, `-before.png`) take the next free name instead."""
    from click.testing import CliRunner

    from assistant.cli import main

    grey = (heldout_crop(32) * 255).astype(np.uint8)
    photo = save(tmp_path / "p.jpg", grey)  # a JPEG: the result shows a `-before.png` beside it
    mine = {name: tmp_path / name for name in ("p-restored.png", "new-before.png")}
    for path in mine.values():
        path.write_bytes(b"the user's own file")
    args = ["--noise", "10", "--backend", "classical"]
    result = tools.run_slash("restore", [str(photo), *args])
    assert result.images == [tmp_path / "p-restored-2-before.png", tmp_path / "p-restored-2.png"]
    result = tools.run_slash("restore", [str(photo), *args, "--out", str(tmp_path / "new.png")])
    assert result.images == [tmp_path / "new-before-2.png", tmp_path / "new.png"]
    assert all(p.read_bytes() == b"the user's own file" for p in mine.values())
    assert all(Image.open(p).size == (32, 32) for p in result.images)

    out = mine["p-restored.png"]
    command = ["tool", "restore", str(photo), *args, "--out", str(out)]
    refused = CliRunner().invoke(main, command)
    assert refused.exit_code == 2 and out.read_bytes() == b"the user's own file"
    assert f"{out} exists; add --force to overwrite it" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    forced = CliRunner().invoke(main, [*command, "--force"])
    assert forced.exit_code == 0, forced.output
    assert Image.open(out).size == (32, 32)


def test_a_noisy_photo_without_damage_is_only_denoised_and_a_scratch_is_still_found():
    """Noise alone makes bright specks of a few joined pixels; those are not damage, so the tool
    takes the denoise path (no inpainting). A scratch and a 3x3 dust speck are still found."""
    import skimage.data

    photo = skimage.data.astronaut().astype(np.float32) / 255
    rng = np.random.default_rng(0)
    noisy = np.round(np.clip(photo + rng.normal(0, 25 / 255, photo.shape), 0, 1) * 255) / 255
    level = restorer.estimate_noise(noisy)
    assert 20 < level < 30
    mask, line = restore_image.detect_damage(noisy, level)
    assert not mask.any() and line.startswith("no damage found")

    scratched = skimage.data.chelsea()[:128, :128].astype(np.float32) / 255
    scratched[60, 20:60] = 1.0  # a 1-px white scratch
    scratched[100:103, 100:103] = 1.0  # a dust speck
    mask, line = restore_image.detect_damage(scratched)
    assert mask[60, 20:60].all() and mask[100:103, 100:103].all() and "found damage" in line
    assert mask.mean() < 0.02
