"""The details of PPO for language models that need no trainer (`rlhf.ppo` uses them): reward
whitening, Ziegler's adaptive KL controller, per-step rollout facts, the policy's queries, and the
exception that stops a collapsing run.
"""

from __future__ import annotations


class Collapse(Exception):
    """KL blew up, entropy collapsed or the reward ran past what the reward model can tell
    apart: PPO stops with this message and keeps the policy."""


class Whitener:
    """Running mean and variance of the reward model's scores (Welford); `__call__` returns the
    scores normalised by everything seen so far, these included, so the KL penalty and the
    missing-EOS penalty keep their scale whatever the reward model's offset and spread.

    >>> w = Whitener()
    >>> [round(x, 3) for x in w([1.0, 3.0])], [round(x, 3) for x in w([2.0, 2.0])]
    ([-1.0, 1.0], [0.0, 0.0])
    """

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def __call__(self, scores: list[float]) -> list[float]:
        for x in scores:
            self.n += 1
            delta = x - self.mean
            self.mean += delta / self.n
            self.m2 += delta * (x - self.mean)
        std = (self.m2 / self.n) ** 0.5 if self.n > 1 else 1.0
        return [(x - self.mean) / (std + 1e-8) for x in scores]


def adapt_kl(kl_coef: float, kl: float, target: float, batch: int, horizon: int) -> float:
    """Ziegler et al.'s adaptive KL controller: raise `kl_coef` when KL is above `target`, lower
    it when below, by at most 20% of the gap per `horizon` samples.

    >>> round(adapt_kl(0.1, 12.0, 6.0, 100, 1000), 4), round(adapt_kl(0.1, 3.0, 6.0, 100, 1000), 4)
    (0.102, 0.098)
    """
    error = max(-0.2, min(0.2, kl / target - 1))
    return kl_coef * (1 + error * batch / horizon)


def rollout_stats(responses: list[list[int]], eos_id: int, pad_id: int) -> dict[str, float]:
    """Per-step facts about the sampled answers (token ids, cut at the stop token): mean length
    in tokens, the share that ended with EOS, and the share that is identical to another answer
    of the same batch (a policy that collapses says the same thing to every prompt).

    >>> list(rollout_stats([[5, 6, 2, 0], [5, 6, 2, 0], [7, 8, 9, 9]], eos_id=2, pad_id=0).values())
    [3.3333, 0.6667, 0.6667]
    """
    answers = [tuple(t for t in r if t != pad_id) for r in responses]
    counts: dict[tuple, int] = {}
    for a in answers:
        counts[a] = counts.get(a, 0) + 1
    n = max(len(answers), 1)
    return {
        "rollout/response_length": round(sum(map(len, answers)) / n, 4),
        "rollout/eos_rate": round(sum(eos_id in a for a in answers) / n, 4),
        "rollout/identical_share": round(sum(counts[a] > 1 for a in answers) / n, 4),
    }


def query_ids(tokenizer, prompts: list[list[dict]]) -> list[list[int]]:
    """Each prompt as the policy sees it: the chat context (`assistant.chat_context`, the same the
    reward model's pairs were written under) and the assistant's turn opened."""
    from assistant.chat_context import chat_context

    return [
        tokenizer.apply_chat_template(
            chat_context(p), add_generation_prompt=True, return_dict=False
        )
        for p in prompts
    ]
