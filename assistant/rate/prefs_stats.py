"""Quality control and a leaderboard from the ratings in force. Run as `parley prefs stats`.

- counts per annotator (by vote) and per model (wins, losses, ties);
- position bias: the share of decisive side-by-side votes that went to the LEFT side, with a
  Wilson 95% interval (0.5 means no bias; sides are shuffled, so a fair annotator sits near 0.5);
- self-consistency: an annotator's repeated ratings of the same pair (same context, same two
  responses) that agree, over all pairs of repeats;
- agreement between annotators on shared pairs: raw agreement and Cohen's kappa per pair of
  annotators, on the outcome "first response better / second better / tie / both bad" (responses
  ordered by text, so sides do not matter; each annotator's latest rating of a pair counts);
- gold accuracy: on items whose better response is known, the share of votes that picked it
  (a tie or both-bad counts as a miss);
- a Bradley-Terry leaderboard of the models (gold items left out; a tie or both-bad counts as
  half a win each), fitted by minorization-maximization with a weak prior (one virtual tie against
  a reference), scores on the Elo scale (400 log10 strength + 1000), with bootstrap 95% intervals
  (votes resampled with replacement).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations
from typing import Any

from assistant.stats import wilson
from assistant.store import ratings
from assistant.store.ratings import Rating

VOTE_KINDS = ("left", "right", "tie", "both_bad", "skip")


def outcome(rating: Rating) -> str:
    """The vote as "first"/"second"/"tie"/"both_bad", responses ordered by their text."""
    vote = rating.vote
    if vote in ("tie", "both_bad"):
        return vote
    chosen, other = (rating.left, rating.right) if vote == "left" else (rating.right, rating.left)
    return "first" if chosen.text <= other.text else "second"


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items (None when undefined).

    >>> cohen_kappa(["x", "y", "x", "y"], ["x", "y", "x", "y"])
    1.0
    """
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return None if pe >= 1 else (po - pe) / (1 - pe)


def bradley_terry(matches: list[tuple[str, str, float]], iterations: int = 500) -> dict[str, float]:
    """Strengths (geometric mean 1) from (model_a, model_b, score of a in [0, 1]) matches."""
    names = sorted({m for a, b, _ in matches for m in (a, b)})
    wins: dict[str, float] = {n: 0.5 for n in names}  # prior: a virtual tie vs a reference of 1
    games: dict[tuple[str, str], float] = defaultdict(float)
    for a, b, s in matches:
        wins[a] += s
        wins[b] += 1 - s
        games[a, b] += 1
        games[b, a] += 1
    opponents: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (a, b), g in games.items():
        opponents[a].append((b, g))
    p = {n: 1.0 for n in names}
    for _ in range(iterations):
        new = {}
        for n in names:
            denom = 1.0 / (p[n] + 1.0) + sum(g / (p[n] + p[o]) for o, g in opponents[n])
            new[n] = wins[n] / denom
        log_mean = sum(math.log(v) for v in new.values()) / len(new)
        new = {n: v / math.exp(log_mean) for n, v in new.items()}
        delta = max(abs(math.log(new[n] / p[n])) for n in names)
        p = new
        if delta < 1e-9:
            break
    return p


def elo(strength: float) -> float:
    return 400 * math.log10(strength) + 1000


def leaderboard(
    matches: list[tuple[str, str, float]], bootstrap: int = 200, seed: int = 0
) -> list[dict[str, Any]]:
    """Models best first: score, 95% bootstrap interval, games, win rate."""
    if not matches:
        return []
    point = bradley_terry(matches)
    rng = random.Random(seed)
    samples: dict[str, list[float]] = defaultdict(list)
    for _ in range(bootstrap):
        resample = [matches[rng.randrange(len(matches))] for _ in matches]
        fitted = bradley_terry(resample, iterations=200)
        for name in point:
            # a model absent from a resample has no score there: count it at the prior
            samples[name].append(elo(fitted.get(name, 1.0)))
    games: Counter[str] = Counter()
    score: Counter[str] = Counter()
    for a, b, s in matches:
        games[a] += 1
        games[b] += 1
        score[a] += s
        score[b] += 1 - s
    rows = []
    for name, strength in point.items():
        values = sorted(samples[name])
        lo = values[int(0.025 * (len(values) - 1))] if values else float("nan")
        hi = values[int(math.ceil(0.975 * (len(values) - 1)))] if values else float("nan")
        rows.append(
            {
                "model": name,
                "score": elo(strength),
                "low": lo,
                "high": hi,
                "games": games[name],
                "win_rate": score[name] / games[name],
            }
        )
    return sorted(rows, key=lambda r: -r["score"])


def _without_reimports(rows: list[Rating]) -> list[Rating]:
    """One line of one file imported twice (before imports were deduplicated) counts once: its
    copies would read as perfectly self-consistent repeats."""
    seen: set[tuple] = set()
    out = []
    for r in rows:
        if r.source == "import" and r.meta.get("file"):
            key = (r.meta["file"], r.meta.get("line"), r.pair_key, r.vote, r.left.text)
            if key in seen:
                continue
            seen.add(key)
        out.append(r)
    return out


def compute(conn: Any, bootstrap: int = 200) -> dict[str, Any]:
    """Every statistic above, as plain data."""
    rows = _without_reimports(ratings.standing_ratings(conn))
    per_annotator: dict[str, Counter] = defaultdict(Counter)
    per_model: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        per_annotator[r.annotator][r.vote] += 1
        if r.vote == "skip":
            continue
        for side, other in (("left", "right"), ("right", "left")):
            m = r.response(side).model
            per_model[m]["rated"] += 1
            if r.vote == side:
                per_model[m]["wins"] += 1
            elif r.vote == other:
                per_model[m]["losses"] += 1
            else:
                per_model[m][r.vote] += 1
    decided = [r for r in rows if r.vote != "skip"]

    bias = {}
    shown = [r for r in decided if r.sides_shown and r.vote in ("left", "right")]
    for who in sorted({r.annotator for r in shown}) + [None]:
        mine = [r for r in shown if who is None or r.annotator == who]
        if not mine:
            continue
        k = sum(r.vote == "left" for r in mine)
        lo, hi = wilson(k, len(mine))
        bias[who or "(all)"] = {
            "left": k,
            "n": len(mine),
            "share": k / len(mine),
            "low": lo,
            "high": hi,
        }

    by_pair: dict[tuple[str, str], list[Rating]] = defaultdict(list)
    for r in decided:
        by_pair[r.annotator, r.pair_key].append(r)
    consistency: dict[str, dict[str, Any]] = {}
    for (who, _), rs in by_pair.items():
        if len(rs) < 2:
            continue
        c = consistency.setdefault(who, {"items": 0, "agree": 0, "comparisons": 0})
        c["items"] += 1
        for x, y in combinations(rs, 2):
            c["comparisons"] += 1
            c["agree"] += outcome(x) == outcome(y)
    for c in consistency.values():
        c["rate"] = c["agree"] / c["comparisons"]

    latest: dict[str, dict[str, str]] = defaultdict(dict)  # pair -> annotator -> outcome
    for (who, key), rs in by_pair.items():
        latest[key][who] = outcome(rs[-1])
    agreement = []
    for a, b in combinations(sorted(per_annotator), 2):
        shared = [k for k, v in latest.items() if a in v and b in v]
        if not shared:
            continue
        la, lb = [latest[k][a] for k in shared], [latest[k][b] for k in shared]
        raw = sum(x == y for x, y in zip(la, lb, strict=True)) / len(shared)
        agreement.append(
            {
                "annotators": [a, b],
                "shared": len(shared),
                "agreement": raw,
                "kappa": cohen_kappa(la, lb),
            }
        )

    gold: dict[str, dict[str, Any]] = {}
    for r in decided:
        if r.gold_side:
            g = gold.setdefault(r.annotator, {"items": 0, "correct": 0})
            g["items"] += 1
            g["correct"] += r.vote == r.gold_side
    for g in gold.values():
        g["accuracy"] = g["correct"] / g["items"]

    matches = [
        (r.left.model, r.right.model, {"left": 1.0, "right": 0.0}.get(r.vote, 0.5))
        for r in decided
        if not r.gold_side and r.left.model != r.right.model
    ]
    return {
        "annotators": {k: dict(v) for k, v in sorted(per_annotator.items())},
        "models": {k: dict(v) for k, v in sorted(per_model.items())},
        "position_bias": bias,
        "self_consistency": consistency,
        "agreement": agreement,
        "gold": gold,
        "leaderboard": leaderboard(matches, bootstrap=bootstrap),
    }


def report(stats: dict[str, Any]) -> str:
    """The statistics as the text `parley prefs stats` prints."""
    out = []
    for key, (heading, line, empty) in _SECTIONS.items():
        entries = stats[key]
        pairs = entries.items() if isinstance(entries, dict) else enumerate(entries, 1)
        out.append(heading)
        out += [f"  {line(k, v)}" for k, v in pairs] or [f"  ({empty})"]
    return "\n".join(out)


def _kappa(a: dict[str, Any]) -> str:
    return "n/a" if a["kappa"] is None else f"{a['kappa']:.2f}"


# stats key: (heading, one entry's line from (name or rank, entry), what it says with none)
_SECTIONS: dict[str, tuple[str, Callable[[Any, Any], str], str]] = {
    "annotators": (
        "Votes per annotator (standing, undone votes left out):",
        lambda who, c: f"{who:<20} " + "  ".join(f"{k} {c.get(k, 0)}" for k in VOTE_KINDS),
        "no votes yet: `parley arena` or `parley prefs import`",
    ),
    "models": (
        "Per model:",
        lambda m, c: (
            f"{m:<32} rated {c.get('rated', 0)}  wins {c.get('wins', 0)}  losses "
            f"{c.get('losses', 0)}  ties {c.get('tie', 0)}  both bad {c.get('both_bad', 0)}"
        ),
        "none",
    ),
    "position_bias": (
        "Position bias (share of decisive side-by-side votes for the LEFT side, 95% CI):",
        lambda who, b: (
            f"{who:<20} {b['share']:.2f} [{b['low']:.2f}, {b['high']:.2f}] of {b['n']}"
            + ("  <- biased" if b["low"] > 0.5 or b["high"] < 0.5 else "")
        ),
        "no decisive side-by-side votes",
    ),
    "self_consistency": (
        "Self-consistency on repeated pairs:",
        lambda who, c: (
            f"{who:<20} {c['rate']:.2f} ({c['agree']}/{c['comparisons']} agree, "
            f"{c['items']} repeated pairs)"
        ),
        "no pair rated twice by the same annotator",
    ),
    "agreement": (
        "Agreement between annotators on shared pairs (raw agreement, Cohen's kappa):",
        lambda _, a: (
            f"{a['annotators'][0]} ~ {a['annotators'][1]}: {a['agreement']:.2f}, "
            f"kappa {_kappa(a)} on {a['shared']} pairs"
        ),
        "no pair rated by two annotators",
    ),
    "gold": (
        "Gold items (accuracy):",
        lambda who, g: f"{who:<20} {g['accuracy']:.2f} ({g['correct']}/{g['items']})",
        "no gold items rated",
    ),
    "leaderboard": (
        "Leaderboard (Bradley-Terry, Elo scale, bootstrap 95% interval):",
        lambda i, r: (
            f"{i}. {r['model']:<32} {r['score']:7.1f} [{r['low']:.1f}, {r['high']:.1f}]"
            f"  {r['games']} games, win rate {r['win_rate']:.2f}"
        ),
        "no votes between two different models yet",
    ),
}


def plot(stats: dict[str, Any], path: str) -> None:
    """The leaderboard with its intervals, and position bias, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    board = list(reversed(stats["leaderboard"]))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 1.5 + 0.5 * max(len(board), 2)))
    ys = range(len(board))
    ax1.errorbar(
        [r["score"] for r in board],
        ys,
        fmt="o",
        xerr=[[r["score"] - r["low"] for r in board], [r["high"] - r["score"] for r in board]],
    )
    ax1.set_yticks(list(ys), [r["model"] for r in board])
    ax1.set_xlabel("Bradley-Terry score (Elo scale), 95% bootstrap interval")
    bias = stats["position_bias"]
    names = list(bias)
    ax2.barh(names, [bias[n]["share"] for n in names])
    ax2.axvline(0.5, color="grey", linestyle="--")
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("share of decisive votes for the left side")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
