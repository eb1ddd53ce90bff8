"""Benchmark the imagine tool's three image models the same way; print a table, write JSON.

    .venv/bin/python bench/images.py                          # all three, 10,000 samples each
    .venv/bin/python bench/images.py --arch gan --n-fid 2000  # quicker, noisier FID

For each architecture (the shipped weights in `assistant/tools/imagine/weights/`):
- conditional accuracy: the Fashion-MNIST classifier Parley trained apart (`imagine/data.py`,
  its own test accuracy is reported) labels `--n-acc` samples, asked for in equal numbers per
  class; the share it labels as the class asked for;
- FID on that classifier's 128-d penultimate features: `--n-fid` samples (classes balanced) against
  the 10,000 real test images (lower is better; the 10,000 real *training* images score the floor);
- samples/s on this CPU (`--threads` torch threads), generation only, batches of `--batch`.
Diffusion samples use DDIM with `--steps` steps and the weights' guidance weight.
Results go to `bench/results/images.json` and `assistant/tools/imagine/weights/metrics.json`
(what the tool's backends report).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fid(a, b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (n, d)."""
    import numpy as np
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # ReLU features have dead units, so the covariances are singular: a tiny ridge keeps sqrtm sane
    eye = np.eye(len(s1)) * 1e-6
    covmean = linalg.sqrtm((s1 + eye) @ (s2 + eye)).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def generate(arch: str, n: int, batch: int, steps: int):
    """(images, labels, seconds): n samples, labels cycling 0..9."""
    import torch

    from assistant.tools.imagine import WEIGHTS_DIR, models, sampling

    model, info = models.load(WEIGHTS_DIR / f"{arch}.safetensors")
    labels = torch.arange(n) % info["config"]["num_classes"]
    out, seconds = [], 0.0
    for i in range(0, n, batch):
        start = time.perf_counter()
        with torch.inference_mode():
            out.append(
                sampling.sample(model, info, labels[i : i + batch].tolist(), seed=i, steps=steps)
            )
        seconds += time.perf_counter() - start
        print(f"  {arch}: {min(i + batch, n)}/{n} samples, {seconds:.0f} s", file=sys.stderr)
    return torch.cat(out), labels, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", action="append", choices=["gan", "vae", "diffusion"])
    parser.add_argument("--n-acc", type=int, default=1000)
    parser.add_argument("--n-fid", type=int, default=10000)
    parser.add_argument("--n-fid-diffusion", type=int, help="fewer diffusion samples (slow)")
    parser.add_argument("--steps", type=int, default=10, help="DDIM steps for diffusion")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/images.json")
    args = parser.parse_args()

    import torch

    from assistant.tools.imagine import WEIGHTS_DIR, models
    from assistant.tools.imagine.data import features, load, load_classifier, predict

    torch.set_num_threads(args.threads)
    judge, judge_info = load_classifier(WEIGHTS_DIR / "classifier.safetensors")
    x_test, _, classes = load("fashion-mnist", "test")
    x_train, _, _ = load("fashion-mnist", "train")
    real = features(judge, x_test)
    results = {
        "classifier": {
            "test_accuracy": judge_info["test_accuracy"],
            "params": "conv32-conv64-fc128",
        },
        "floor_fid_real_train_vs_test": round(fid(features(judge, x_train[:10000]), real), 3),
        "threads": args.threads,
        "steps_diffusion": args.steps,
        "archs": {},
    }
    for arch in args.arch or ["gan", "vae", "diffusion"]:
        n_fid = args.n_fid_diffusion if arch == "diffusion" and args.n_fid_diffusion else args.n_fid
        n = max(n_fid, args.n_acc)
        images, labels, seconds = generate(arch, n, args.batch, args.steps)
        acc = float((predict(judge, images[: args.n_acc]) == labels[: args.n_acc]).float().mean())
        info = models.read_info(WEIGHTS_DIR / f"{arch}.safetensors")
        results["archs"][arch] = {
            "conditional_accuracy": round(acc, 4),
            "n_acc": args.n_acc,
            "fid": round(fid(features(judge, images[:n_fid]), real), 3),
            "n_fid": n_fid,
            "samples_per_s": round(n / seconds, 1),
            "params": sum(p.numel() for p in models.build(arch, info["config"]).parameters()),
            "train_steps": info.get("steps"),
        }
        print(json.dumps({arch: results["archs"][arch]}), file=sys.stderr)
    print(
        f"classifier test accuracy {results['classifier']['test_accuracy']:.2%}; "
        f"FID floor (10k real train vs test) {results['floor_fid_real_train_vs_test']}"
    )
    print(f"{'arch':<10} {'cond. acc':>9} {'FID':>8} {'n FID':>6} {'samples/s':>10} {'params':>9}")
    for arch, r in results["archs"].items():
        print(f"{arch:<10} {r['conditional_accuracy']:>9.1%} {r['fid']:>8.2f} {r['n_fid']:>6} "
              f"{r['samples_per_s']:>10.1f} {r['params']:>9,}")  # fmt: skip
    args.json.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(args.json.read_text()) if args.json.is_file() else {}
    results["archs"] = {**old.get("archs", {}), **results["archs"]}
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    metrics = {
        a: {
            "conditional_accuracy": r["conditional_accuracy"],
            "fid": r["fid"],
            "samples_per_s": r["samples_per_s"],
        }
        for a, r in results["archs"].items()
    }
    (WEIGHTS_DIR / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"wrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
