"""The details of PPO for language models that need no trainer (`rlhf.ppo` uses them): reward
whitening, Ziegler's adaptive KL controller, the windows the early stops read, per-step rollout
facts, the policy's queries, grouped rollouts, and the exception that stops a collapsing run.
"""

from __future__ import annotations


class Collapse(Exception):
    """KL blew up, entropy collapsed or the reward ran past what the reward model can tell
    apart: PPO stops with this message and keeps the policy."""


class Whitener:
    """Running mean and variance of the reward model's scores (Welford); `__call__` returns the
    scores normalised by everything seen so far, these included, so the KL penalty and the
    missing-EOS penalty keep their scale whatever the reward model's offset and spread.
    `centred`: values already centred another way (`leave_one_out`), divided by the same
    running std of the raw scores (dividing by their own, smaller std would magnify the reward
    model's noise between near-identical answers beyond the KL leash).

    >>> w = Whitener()
    >>> [round(x, 3) for x in w([1.0, 3.0])], [round(x, 3) for x in w([2.0, 2.0])]
    ([-1.0, 1.0], [0.0, 0.0])
    >>> [round(x, 3) for x in w([2.0, 2.0], centred=[-0.5, 0.5])]
    [-0.866, 0.866]
    """

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def __call__(self, scores: list[float], centred: list[float] | None = None) -> list[float]:
        for x in scores:
            self.n += 1
            delta = x - self.mean
            self.mean += delta / self.n
            self.m2 += delta * (x - self.mean)
        std = (self.m2 / self.n) ** 0.5 if self.n > 1 else 1.0
        if centred is not None:
            return [c / (std + 1e-8) for c in centred]
        return [(x - self.mean) / (std + 1e-8) for x in scores]


def reward_gain(scores: list[float], window: int) -> float:
    """How far the mean reward-model score rose: the mean of the last `window` steps' scores less
    the first `window` steps' (0 until there are 2 x `window` steps). One step's batch is a few
    prompts, and prompts differ in score more than PPO moves them, so single steps would stop a
    run on noise.

    >>> reward_gain([1.0, 0.0, 5.0], 2), reward_gain([1.0, 0.0, 5.0, 2.0], 1)
    (0.0, 1.0)
    >>> reward_gain([0.0, 1.0, 0.5, 2.0, 2.5, 3.0], 2)
    2.25
    """
    if len(scores) < 2 * window:
        return 0.0
    return sum(scores[-window:]) / window - sum(scores[:window]) / window


def without_length(raw: list[float], chars: list[int], slope: float) -> list[float]:
    """The reward model's scores with its taste for length taken out: `slope` is its score per
    character of answer between two answers to the same prompt (`reward.length_slope`), so an
    answer n characters shorter no longer gains -slope x n. (A reward model fitted to raters who
    like brief answers otherwise pays PPO to cut "The largest planet is Jupiter." to "Jupiter.")

    >>> without_length([1.0, 1.2], [50, 10], -0.005)
    [1.25, 1.25]
    """
    return [r - slope * n for r, n in zip(raw, chars, strict=True)]


def recent_mean(values: list[float], window: int) -> float:
    """The mean of the last `window` values (all of them while there are fewer): what the KL stop
    reads, since one batch's KL swings several-fold from step to step.

    >>> recent_mean([1.0, 2.0, 13.0], 2), recent_mean([4.0], 3)
    (7.5, 4.0)
    """
    last = values[-window:]
    return sum(last) / len(last)


def adapt_kl(kl_coef: float, kl: float, target: float, batch: int, horizon: int) -> float:
    """Ziegler et al.'s adaptive KL controller: raise `kl_coef` when KL is above `target`, lower
    it when below, by at most 20% of the gap per `horizon` samples.

    >>> round(adapt_kl(0.1, 12.0, 6.0, 100, 1000), 4), round(adapt_kl(0.1, 3.0, 6.0, 100, 1000), 4)
    (0.102, 0.098)
    """
    error = max(-0.2, min(0.2, kl / target - 1))
    return kl_coef * (1 + error * batch / horizon)


def rollout_stats(
    responses: list[list[int]], eos_id: int, pad_id: int, prompts: list | None = None
) -> dict[str, float]:
    """Per-step facts about the sampled answers (token ids, cut at the stop token): mean length
    in tokens, the share that ended with EOS, and the share that is identical to an answer to
    another prompt of the same batch (a policy that collapses says the same thing to every
    prompt; with `prompts` given, answers to the same prompt may agree: `group_size`).

    >>> list(rollout_stats([[5, 6, 2, 0], [5, 6, 2, 0], [7, 8, 9, 9]], eos_id=2, pad_id=0).values())
    [3.3333, 0.6667, 0.6667]
    >>> stats = rollout_stats([[5, 2], [5, 2], [7, 2]], 2, 0, prompts=["a", "a", "b"])
    >>> stats["rollout/identical_share"]
    0.0
    """
    answers = [tuple(t for t in r if t != pad_id) for r in responses]
    asked = prompts if prompts is not None else list(range(len(answers)))
    by_answer: dict[tuple, set] = {}
    for a, p in zip(answers, asked, strict=True):
        by_answer.setdefault(a, set()).add(p)
    n = max(len(answers), 1)
    return {
        "rollout/response_length": round(sum(map(len, answers)) / n, 4),
        "rollout/eos_rate": round(sum(eos_id in a for a in answers) / n, 4),
        "rollout/identical_share": round(sum(len(by_answer[a]) > 1 for a in answers) / n, 4),
    }


class StepRecord:
    """What PPO scored this step, kept between TRL's scoring (`get_reward`) and its logging: the
    answers (token ids) and their prompts, the reward model's raw scores, and what was added to
    them (the raters' checks, the length term). `logged()` gives the step's figures and starts
    the next step.

    >>> step = StepRecord()
    >>> step.add([[5, 2], [7, 2]], ["a", "b"], [1.0, 0.0])
    >>> step.length += [0.25, 0.75]
    >>> step.logged(eos_id=2, pad_id=0)["objective/length_term"], step.raw
    (0.5, [])
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.responses: list[list[int]] = []
        self.asked: list = []
        self.raw: list[float] = []
        self.checked: list[float] = []
        self.length: list[float] = []

    def add(self, responses: list[list[int]], asked: list, raw: list[float]) -> None:
        self.responses += responses
        self.asked += asked
        self.raw += raw

    def logged(self, eos_id: int, pad_id: int) -> dict[str, float]:
        out = rollout_stats(self.responses, eos_id, pad_id, self.asked)
        out["objective/rm_score"] = sum(self.raw) / max(len(self.raw), 1)
        for name, values in (("checked", self.checked), ("length_term", self.length)):
            if values:
                out[f"objective/{name}"] = sum(values) / len(values)
        self.clear()
        return out


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


def template_end(tokenizer) -> list[int]:
    """The tokens the chat template writes after an assistant's answer (SmolLM2: `<|im_end|>` and
    a newline): the reward model was fitted on template text that ends with them
    (`rlhf.reward_head.chat_texts`), and its score is read at the last of them."""
    marker = "PARLEY-ANSWER"
    chat = [{"role": "user", "content": "q"}, {"role": "assistant", "content": marker}]
    text = tokenizer.apply_chat_template(chat, tokenize=False)
    return tokenizer(text.split(marker, 1)[1], add_special_tokens=False)["input_ids"]


def as_the_reward_model_reads(query_responses, context_length: int, end: list[int], eos_id, pad_id):
    """Each rollout (query, then answer ids, pads after) as the reward model was fitted on it:
    the answer cut at its EOS and the chat template's `end` written after it, right-padded.
    TRL's `get_reward` reads the score at the last token before the padding, which for the raw
    rollout is the EOS, not the template's newline the head was fitted at (the eighth
    measured run's reward model: the two scores correlate 0.27, and its held-out accuracy read
    at the EOS is 0.60 instead of 0.72).

    >>> import torch
    >>> rollouts = torch.tensor([[0, 5, 6, 7, 2, 0, 0], [5, 5, 6, 8, 8, 8, 8]])
    >>> as_the_reward_model_reads(rollouts, 3, end=[2, 9], eos_id=2, pad_id=0).tolist()
    [[0, 5, 6, 7, 2, 9, 0, 0, 0], [5, 5, 6, 8, 8, 8, 8, 2, 9]]
    """
    import torch

    rows = []
    for row in query_responses.tolist():
        answer = row[context_length:]
        for stop in (pad_id, eos_id):
            if stop in answer:
                answer = answer[: answer.index(stop)]
        rows.append(row[:context_length] + answer + list(end))
    width = max(map(len, rows))
    padded = [row + [pad_id] * (width - len(row)) for row in rows]
    return torch.tensor(padded, dtype=query_responses.dtype, device=query_responses.device)


def answer_mean(token_scores, read, context_length: int, end: int, pad_id):
    """Each rollout's score as a reward model with `pooling` "mean" (`rlhf.reward_head`) reads it:
    the mean of the per-token scores over the answer (`read` is `as_the_reward_model_reads`'s
    output: the query, the answer, the template's `end` tokens, then pads); an empty answer is
    read at its last token, as in fitting.

    >>> import torch
    >>> read = torch.tensor([[1, 5, 6, 9, 0], [1, 9, 0, 0, 0]])  # query 1; end 9; pad 0
    >>> scores = torch.tensor([[0.0, 1.0, 3.0, 7.0, 0.0], [0.0, 4.0, 0.0, 0.0, 0.0]])
    >>> answer_mean(scores, read, 1, end=1, pad_id=0).tolist()
    [2.0, 4.0]
    """
    import torch

    said = (read[:, context_length:] != pad_id).sum(-1)  # the answer and the end
    n = (said - end).clamp_min(0)
    inside = torch.arange(read.shape[1] - context_length, device=read.device)[None] < n[:, None]
    tail = token_scores[:, context_length:]
    mean = (tail * inside).sum(-1) / n.clamp_min(1)
    rows = torch.arange(len(read), device=read.device)
    last = token_scores[rows, context_length + said - 1]
    return torch.where(n > 0, mean, last)


def reward_as_fitted(get_reward, model, query_response, context_length: int, end, eos_id, pad_id):
    """TRL's `get_reward` of the reward `model` on each rollout, read as its head was fitted: the
    rollout rewritten by `as_the_reward_model_reads`, and with `pooling` "mean" the score taken
    as `answer_mean` instead of the last token's. Returns `get_reward`'s (per-token scores,
    scores, sequence lengths)."""
    from rlhf.reward_head import pooling

    read = as_the_reward_model_reads(query_response, context_length, end, eos_id, pad_id)
    out = get_reward(model, read, pad_id, context_length)
    if pooling(model) != "mean":
        return out
    mean = answer_mean(out[0][..., 0], read, context_length, len(end), pad_id)
    return out[0], mean.to(out[1].dtype), out[2]


def leave_one_out(keys: list, scores: list[float]) -> list[float]:
    """Each score less the mean of the other scores with the same key: answers to one prompt
    judged against each other (RLOO's baseline), so a prompt whose answers all score high teaches
    nothing by itself; a key seen once keeps its score.

    >>> leave_one_out(["a", "a", "b"], [1.0, 3.0, 5.0])
    [-2.0, 2.0, 5.0]
    """
    groups: dict = {}
    for key, score in zip(keys, scores, strict=True):
        groups.setdefault(key, []).append(score)
    out = []
    for key, score in zip(keys, scores, strict=True):
        same = groups[key]
        out.append(score - (sum(same) - score) / (len(same) - 1) if len(same) > 1 else score)
    return out


def grouped_order(n: int, group: int, seed: int) -> list[int]:
    """Indices 0..n-1 in a shuffled order, each `group` times in a row: a batch of a multiple of
    `group` rows then holds every answer to its prompts.

    >>> grouped_order(3, 2, seed=0)
    [0, 0, 2, 2, 1, 1]
    """
    import random

    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [i for i in order for _ in range(group)]


class GroupedSampler:
    """A DataLoader sampler over `grouped_order`, a new shuffle each pass (`torch` duck-typing:
    `__iter__` and `__len__`)."""

    def __init__(self, n: int, group: int, seed: int) -> None:
        self.n, self.group, self.seed, self.passes = n, group, seed, 0

    def __iter__(self):
        self.passes += 1
        return iter(grouped_order(self.n, self.group, self.seed + self.passes))

    def __len__(self) -> int:
        return self.n * self.group


def grouped_loader(trainer, group_size: int):
    """The trainer's prompts in batches that hold `group_size` answers to each of their prompts
    (TRL's own loader shuffles rows apart); `local_rollout_forward_batch_size` must keep a group
    in one reward-model call, as the recipes' (the whole batch) do."""
    from torch.utils.data import DataLoader

    if trainer.local_dataloader_batch_size % group_size:
        from assistant.errors import UsageError

        raise UsageError(
            f"ppo: the batch ({trainer.local_dataloader_batch_size}) is not a multiple of "
            f"group_size {group_size}"
        )
    dataset = trainer.train_dataset
    return DataLoader(
        dataset,
        batch_size=trainer.local_dataloader_batch_size,
        sampler=GroupedSampler(len(dataset), group_size, trainer.args.seed),
        collate_fn=trainer.data_collator,
        drop_last=True,
    )


class CheckedReward:
    """What can be checked without a reward model, added to its score: the raters' `checks`
    (`rlhf.raters`: a right answer, a kept constraint, the right language and tool, no loop,
    no cut sentence) from each query's facts, the columns of `data/rl/prompts.jsonl`. The reward
    model reads style; a wrong tool call or a wrong number is a fact, and PPO that moves further
    than the reward model was shown to rank loses those first. Queries are matched by their token
    ids (pads stripped); a query with no facts, or a prompt file without columns, scores 0.

    >>> said = {(1,): "It is 42.", (2,): "It is 48."}
    >>> facts = {(7, 8): ("What is 6 x 7?", {"answers": ["42"]})}
    >>> checked = CheckedReward(facts, decode=lambda tokens: said[tuple(tokens)])
    >>> checked([[0, 7, 8], [7, 8], [9]], [[1, 0], [2], [1]], pad_id=0)
    [3.0, -3.0, 0.0]
    """

    def __init__(self, facts: dict[tuple, tuple], decode) -> None:
        self.facts, self.decode = facts, decode

    @classmethod
    def for_queries(cls, tokenizer, ids: list[list[int]], rows: list[dict]) -> CheckedReward:
        from rlhf.raters import facts_of

        facts = {tuple(q): (r["prompt"], facts_of(r)) for q, r in zip(ids, rows, strict=True)}
        return cls(facts, lambda tokens: tokenizer.decode(tokens, skip_special_tokens=True))

    def __call__(
        self, queries: list[list[int]], responses: list[list[int]], pad_id: int
    ) -> list[float]:
        from rlhf.raters import checks

        out = []
        for query, response in zip(queries, responses, strict=True):
            asked, facts = self.facts.get(tuple(t for t in query if t != pad_id), (None, None))
            if asked is None:
                out.append(0.0)
                continue
            answer = self.decode([t for t in response if t != pad_id])
            out.append(checks([asked], [answer], **{k: [v] for k, v in facts.items()})[0])
        return out
