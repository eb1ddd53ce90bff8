"""Photo restoration: Parley's diffusion restorer against classical methods, PSNR / SSIM / seconds.

    python bench/restore.py [--images camera,astronaut,coffee] [--out bench/results/restore.json]
    python bench/restore.py --quick          # one image, for a smoke run
    python bench/restore.py --show bench/results/restore.json     # the table of a past run

Test photos are scikit-image photographs that training never saw (`restore/train.py: TEST_IMAGES`),
in grey (luminance), scaled so the short side is 256 and centre-cropped to 256x256, pixels in
[0, 1]. Tasks:
- denoising: white Gaussian noise of std 15, 25, 50 (of 255), the same noise for every method;
  every method is told the true noise level. Diffusion: the reverse process from that level
  (Euler, `--denoise-steps`, each listed); baselines: scikit-image non-local means and TV
  (Chambolle), their strength tuned per noise level on the validation photo (`chelsea`) over a
  small grid, the same way the diffusion step count was chosen.
- inpainting (clean photo, known mask): scratches (random thin polylines, 1-3 px), 10% and 30%
  holes (random squares of side 4 to 16 px until that fraction is covered). Diffusion: RePaint,
  one fill and the mean of `--samples` fills drawn together (the tool uses the mean);
  baselines: scikit-image biharmonic, OpenCV Telea (radius 3).
PSNR and SSIM are over the whole image (all methods keep the known pixels, so the holes decide);
seconds are per 256x256 image on this machine, one torch thread. Noise and masks are seeded.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOISE_LEVELS = (15, 25, 50)
MASKS = ("scratches", "holes 10%", "holes 30%")
TV_WEIGHTS = (0.02, 0.04, 0.06, 0.08, 0.1, 0.14, 0.2)
NLM_H = (0.6, 0.8, 1.0, 1.2)


def test_photo(name: str):
    import numpy as np
    from skimage.color import rgb2gray
    from skimage.transform import rescale

    from assistant.tools.restore.train import load_photo

    image = load_photo(name)
    grey = rgb2gray(image) if image.ndim == 3 else image
    grey = rescale(grey, 256 / min(grey.shape), anti_aliasing=True)
    y0, x0 = (grey.shape[0] - 256) // 2, (grey.shape[1] - 256) // 2
    return np.clip(grey[y0 : y0 + 256, x0 : x0 + 256], 0, 1).astype(np.float32)


def make_mask(kind: str, shape: tuple[int, int], seed: int):
    import numpy as np
    from skimage.draw import line

    rng = np.random.default_rng(seed)
    mask = np.zeros(shape, dtype=bool)
    h, w = shape
    if kind == "scratches":
        for _ in range(8):
            y, x = rng.integers(h), rng.integers(w)
            width = int(rng.integers(1, 4))
            for _ in range(4):  # a polyline of 4 segments
                y2 = int(np.clip(y + rng.integers(-60, 61), 0, h - 1))
                x2 = int(np.clip(x + rng.integers(-60, 61), 0, w - 1))
                rr, cc = line(y, x, y2, x2)
                for d in range(width):
                    mask[np.clip(rr + d, 0, h - 1), cc] = True
                y, x = y2, x2
        return mask
    target = float(kind.split()[1].rstrip("%")) / 100
    while mask.mean() < target:
        s = int(rng.integers(4, 17))
        y, x = rng.integers(h - s), rng.integers(w - s)
        mask[y : y + s, x : x + s] = True
    return mask


def scores(clean, out) -> dict:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    out = out.clip(0, 1).astype("float32")
    return {
        "psnr": round(float(peak_signal_noise_ratio(clean, out, data_range=1.0)), 3),
        "ssim": round(float(structural_similarity(clean, out, data_range=1.0)), 4),
    }


def tune(validation, noise: int, rng_seed: int) -> tuple[float, float]:
    """Best TV weight and NLM h factor for this noise level, on the validation photo."""
    import numpy as np
    from skimage.restoration import denoise_nl_means, denoise_tv_chambolle

    s = noise / 255
    noisy = validation + np.random.default_rng(rng_seed).normal(0, s, validation.shape)
    noisy = noisy.astype(np.float32)
    tv = max(
        TV_WEIGHTS,
        key=lambda wt: scores(validation, denoise_tv_chambolle(noisy, weight=wt))["psnr"],
    )

    def nlm_psnr(k: float) -> float:
        out = denoise_nl_means(noisy, h=k * s, sigma=s, patch_size=5, patch_distance=6,
                               fast_mode=True)  # fmt: skip
        return scores(validation, out)["psnr"]

    nlm = max(NLM_H, key=nlm_psnr)
    return tv, nlm


def timed(fn, *args, **kwargs):
    """fn(*args, **kwargs), its wall seconds and its CPU seconds (the CPU is shared here)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0, time.process_time() - c0


def main(argv: list[str] | None = None) -> dict:
    import cv2
    import numpy as np
    import torch
    from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, inpaint_biharmonic

    from assistant.tools.restore import restorer, sampler
    from assistant.tools.restore.model import load, sigma_of
    from assistant.tools.restore.train import TEST_IMAGES, VALIDATION_IMAGES

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", default=",".join(TEST_IMAGES))
    parser.add_argument("--denoise-steps", default="1,2,4")
    parser.add_argument("--inpaint-steps", type=int, default=restorer.INPAINT_STEPS)
    parser.add_argument("--resample", type=int, default=restorer.RESAMPLE)
    parser.add_argument("--samples", default=f"1,{restorer.INPAINT_SAMPLES}",
                        help="RePaint fills averaged, each listed (the tool uses "
                        f"{restorer.INPAINT_SAMPLES})")  # fmt: skip
    parser.add_argument("--weights", default=None, help="weights file (default: shipped)")
    parser.add_argument("--quick", action="store_true", help="one image")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "restore.json"))
    parser.add_argument("--show", metavar="JSON", help="print the table of an earlier run; no run")
    args = parser.parse_args(argv)
    if args.show:
        result = json.loads(Path(args.show).read_text())
        print(render(result["summary"]))
        return result
    torch.set_num_threads(1)
    names = args.images.split(",")[: 1 if args.quick else None]
    net = load(Path(args.weights) if args.weights else None)
    validation = test_photo(VALIDATION_IMAGES[0])
    photos = {n: test_photo(n) for n in names}
    rows: list[dict] = []

    def record(task, method, image, clean, out, seconds=0.0, cpu=0.0):
        rows.append({"task": task, "method": method, "image": image, **scores(clean, out),
                     "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3)})  # fmt: skip

    def diffusion_denoise(noisy, noise, steps):
        y = torch.from_numpy(noisy)[None, None] * 2 - 1
        return (sampler.denoise(net, y, sigma_of(noise), steps=steps)[0, 0].numpy() + 1) / 2

    for noise in NOISE_LEVELS:
        tv_w, nlm_k = tune(validation, noise, 99)
        s = noise / 255
        for i, (name, clean) in enumerate(photos.items()):
            rng = np.random.default_rng(1000 * noise + i)
            noisy = (clean + rng.normal(0, s, clean.shape)).astype(np.float32)
            task = f"denoise σ={noise}"
            record(task, "noisy input", name, clean, noisy)
            for steps in (int(k) for k in args.denoise_steps.split(",")):
                out, sec, cpu = timed(diffusion_denoise, noisy, noise, steps)
                label = f"diffusion ({steps} step{'s' * (steps > 1)})"
                record(task, label, name, clean, out, sec, cpu)
            out, sec, cpu = timed(restorer.restore, noisy, None, None, net=net)
            record(task, "diffusion (σ estimated: the tool)", name, clean, out[0], sec, cpu)
            out, sec, cpu = timed(denoise_nl_means, noisy, h=nlm_k * s, sigma=s, patch_size=5,
                                  patch_distance=6, fast_mode=True)  # fmt: skip
            record(task, f"non-local means (h={nlm_k}σ)", name, clean, out, sec, cpu)
            out, sec, cpu = timed(denoise_tv_chambolle, noisy, weight=tv_w)
            record(task, f"TV Chambolle (w={tv_w})", name, clean, out, sec, cpu)
            print(f"{task} {name}: done", file=sys.stderr, flush=True)

    for j, kind in enumerate(MASKS):
        for i, (name, clean) in enumerate(photos.items()):
            mask = make_mask(kind, clean.shape, 100 * j + i)
            task = f"inpaint {kind}"
            damaged = np.where(mask, 1.0, clean).astype(np.float32)
            record(task, "damaged input (white)", name, clean, damaged)
            y = torch.from_numpy(clean)[None, None] * 2 - 1
            known = torch.from_numpy(~mask)[None, None]
            for k in (int(k) for k in args.samples.split(",")):
                out, sec, cpu = timed(sampler.inpaint, net, y, known, steps=args.inpaint_steps,
                                      resample=args.resample, seed=0, samples=k)  # fmt: skip
                label = f"diffusion RePaint ({args.inpaint_steps}×{args.resample}" + (
                    f", mean of {k})" if k > 1 else ")"
                )
                record(task, label, name, clean, (out[0, 0].numpy() + 1) / 2, sec, cpu)
            out, sec, cpu = timed(inpaint_biharmonic, clean, mask)
            record(task, "biharmonic (skimage)", name, clean, out, sec, cpu)
            u8 = (clean * 255 + 0.5).astype(np.uint8)
            out, sec, cpu = timed(
                cv2.inpaint, u8, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA
            )
            record(task, "Telea (OpenCV)", name, clean, out.astype(np.float32) / 255, sec, cpu)
            print(f"{task} {name} ({mask.mean():.1%} masked): done", file=sys.stderr, flush=True)

    table = summarize(rows)
    print(render(table))
    result = {
        "benchmark": "restore",
        "images": names,
        "validation_image": VALIDATION_IMAGES[0],
        "machine": platform.platform(),
        "torch_threads": 1,
        "weights": str(args.weights or "shipped"),
        "summary": table,
        "rows": rows,
    }
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out_path}", file=sys.stderr)
    return result


def summarize(rows: list[dict]) -> list[dict]:
    """Mean PSNR / SSIM / seconds per task and method, in first-seen order."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["task"], r["method"]), []).append(r)
    return [
        {"task": t, "method": m, "images": len(rs),
         "psnr": round(sum(r["psnr"] for r in rs) / len(rs), 2),
         "ssim": round(sum(r["ssim"] for r in rs) / len(rs), 3),
         "seconds": round(sum(r["seconds"] for r in rs) / len(rs), 2),
         "cpu_seconds": round(sum(r["cpu_seconds"] for r in rs) / len(rs), 2)}
        for (t, m), rs in groups.items()
    ]  # fmt: skip


def render(table: list[dict]) -> str:
    lines = [
        "| task | method | PSNR dB | SSIM | s / 256² image | CPU s |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in table:
        psnr = "inf" if math.isinf(r["psnr"]) else f"{r['psnr']:.2f}"
        lines.append(
            f"| {r['task']} | {r['method']} | {psnr} | {r['ssim']:.3f} | {r['seconds']:.2f} "
            f"| {r.get('cpu_seconds', 0.0):.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
