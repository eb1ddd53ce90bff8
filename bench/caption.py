"""How well the caption tool's captioner describes images it never saw, against a baseline.

    nice python bench/caption.py                 # ~2 minutes on a busy 2-core CPU
    nice python bench/caption.py --scenes 100    # fewer Fashion-MNIST test scenes

Held-out pairs (`caption/data.py`): the 193 test emoji (every 7th Noto emoji; the model never
saw them) drawn on white with a margin, and 300 scenes of Fashion-MNIST test images. Scored per
set, one reference caption per image:
- BLEU-4 (sacrebleu, corpus level) and CIDEr-D (Vedantam et al. 2015: TF-IDF n-gram cosine,
  n = 1..4, clipped, with the length penalty; x10), and the share of captions exactly right.
- Systems: the `rnn` captioner greedy (width 1, the tool's default) and with beam search (width
  3, `--beam 3`), and the
  nearest-neighbour baseline: the caption of the training image closest in pixels (grey 32x32,
  mean-centred, cosine) — the training emoji drawn the same way, and 3,000 training scenes.

Results go to bench/results/caption.json, and the headline figures (greedy, both sets together) to
assistant/tools/metrics.json, which `parley tool list` shows.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.tools.base import METRICS_FILE  # noqa: E402
from assistant.tools.caption.model import tokenize  # noqa: E402


def cider_d(candidates: list[str], references: list[list[str]], sigma: float = 6.0) -> float:
    """CIDEr-D of candidate captions against their references (document frequencies from the
    references), as pycocoevalcap computes it.

    >>> cider_d(["a red cat"], [["a red cat"]]) == cider_d(["a blue dog"], [["a blue dog"]])
    True
    >>> refs = [["a cat"], ["a bird"]]
    >>> cider_d(["a cat", "a dog"], refs) < cider_d(["a cat", "a bird"], refs)
    True
    """

    def grams(words: list[str], n: int) -> Counter:
        return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))

    df = [Counter() for _ in range(4)]
    for refs in references:
        for n in range(4):
            df[n].update({g for r in refs for g in grams(tokenize(r), n + 1)})
    log_n = math.log(float(len(references)))

    def vectors(words: list[str]) -> list[dict]:
        return [{g: tf * (log_n - math.log(max(1.0, df[n][g])))
                 for g, tf in grams(words, n + 1).items()} for n in range(4)]  # fmt: skip

    total = 0.0
    for cand, refs in zip(candidates, references, strict=True):
        c_words = tokenize(cand)
        c_vec = vectors(c_words)
        score = 0.0
        for ref in refs:
            r_words = tokenize(ref)
            r_vec = vectors(r_words)
            penalty = math.exp(-((len(c_words) - len(r_words)) ** 2) / (2 * sigma**2))
            for n in range(4):
                dot = sum(min(v, r_vec[n].get(g, 0.0)) * r_vec[n].get(g, 0.0)
                          for g, v in c_vec[n].items())  # fmt: skip
                norms = math.sqrt(sum(v * v for v in c_vec[n].values())) * math.sqrt(
                    sum(v * v for v in r_vec[n].values())
                )
                if norms:
                    score += dot / norms * penalty
        total += score / 4 / len(refs) * 10
    return total / len(candidates)


def scores(candidates: list[str], references: list[str]) -> dict:
    import sacrebleu

    bleu = sacrebleu.corpus_bleu(candidates, [references], tokenize="13a", lowercase=True)
    exact = sum(tokenize(c) == tokenize(r) for c, r in zip(candidates, references, strict=True))
    return {"bleu4": round(bleu.score, 2),
            "cider_d": round(cider_d(candidates, [[r] for r in references]), 3),
            "exact": round(exact / len(references), 3), "n": len(references)}  # fmt: skip


def nearest_captions(train_rgb, train_captions, test_rgb) -> list[str]:
    """The caption of each test image's nearest training image (grey 32x32, centred, cosine)."""
    import torch
    import torch.nn.functional as F

    def flat(rgb):
        x = torch.from_numpy(rgb).float().mean(1, keepdim=True)
        x = F.interpolate(x, size=(32, 32), mode="area").flatten(1)
        return F.normalize(x - x.mean(1, keepdim=True), dim=1)

    nearest = (flat(test_rgb) @ flat(train_rgb).T).argmax(1).tolist()
    return [train_captions[i] for i in nearest]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", type=int, default=300, help="Fashion-MNIST test scenes")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "caption.json"))
    args = parser.parse_args()

    import torch
    from PIL import Image

    from assistant.tools.caption import data, weights_dir
    from assistant.tools.caption import model as cap

    torch.set_num_threads(1)
    directory = weights_dir()
    if directory is None:
        sys.exit("no captioner weights; run `parley train caption`")
    captioner, words = cap.load(directory)
    test = data.test_set(scene_count=args.scenes)
    train_rgba, train_caps = data.emoji_split("train")
    train = {"emoji": (data.on_white(train_rgba), train_caps),
             "scenes": data.scenes("train", 3000, seed=7)}  # fmt: skip
    results: dict = {"weights": str(directory.relative_to(ROOT) if directory.is_relative_to(ROOT)
                                    else directory), "sets": {}}  # fmt: skip
    every: dict[str, list] = {"refs": [], "beam": [], "greedy": [], "nearest": []}
    latencies = []
    for name, (rgb, refs) in test.items():
        outputs: dict[str, list[str]] = {"beam": [], "greedy": []}
        for image in rgb:
            pil = Image.fromarray(image.transpose(1, 2, 0))
            start = time.perf_counter()
            text, _ = cap.caption(pil, directory, beam=1)
            latencies.append(time.perf_counter() - start)
            outputs["greedy"].append(text)
            ids, _ = captioner.beam_search(cap.prepare(pil), beam=3)
            outputs["beam"].append(cap.detokenize([words[i] for i in ids]))
        outputs["nearest"] = nearest_captions(*train[name], rgb)
        results["sets"][name] = {k: scores(v, refs) for k, v in outputs.items()}
        results["sets"][name]["examples"] = [
            {"reference": r, "greedy": g, "beam": b, "nearest": n}
            for r, g, b, n in list(
                zip(refs, outputs["greedy"], outputs["beam"], outputs["nearest"], strict=True)
            )[:12]
        ]
        every["refs"] += refs
        for k in ("beam", "greedy", "nearest"):
            every[k] += outputs[k]
    results["all"] = {k: scores(every[k], every["refs"]) for k in ("beam", "greedy", "nearest")}
    results["latency_s"] = round(statistics.median(latencies), 4)

    print(f"{'set':<8} {'system':<9} {'BLEU-4':>7} {'CIDEr-D':>8} {'exact':>6} {'n':>5}")
    for name, table in [*results["sets"].items(), ("all", results["all"])]:
        for system in ("greedy", "beam", "nearest"):
            s = table[system]
            print(f"{name:<8} {system:<9} {s['bleu4']:>7.2f} {s['cider_d']:>8.3f} "
                  f"{s['exact']:>6.3f} {s['n']:>5}")  # fmt: skip
    print(f"median latency (greedy): {results['latency_s']:.3f} s")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    table = json.loads(METRICS_FILE.read_text()) if METRICS_FILE.exists() else {}
    best = results["all"]["greedy"]
    table["caption"] = {"rnn": {"bleu4": best["bleu4"], "cider_d": best["cider_d"],
                                "nearest_bleu4": results["all"]["nearest"]["bleu4"],
                                "latency_s": results["latency_s"]}}  # fmt: skip
    METRICS_FILE.write_text(json.dumps(table, indent=2) + "\n")
    print(f"wrote {args.out} and {METRICS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
