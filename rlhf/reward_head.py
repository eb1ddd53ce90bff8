"""How a reward model reads a pair and scores it (`chat_spans`, `score`), and the head-only
reward model, "features once": the backbone frozen, only the score head trained.

A sequence-classification reward model scores a text as `score(h)`, a linear map (no bias) of
the backbone's last hidden state at the text's last non-pad token; with `--head_pooling mean`, of
its mean over the answer's tokens (the mean of the per-token scores), which reads what is spread
over an answer (a list, lowercase, its length) rather than what its last token holds. With the
backbone frozen, `h` of every distinct (prompt, answer) is computed once, in a no-grad batched
pass, and the head is fitted on the cached features with the Bradley–Terry loss, full batch, for
many epochs: seconds instead of the minutes LoRA fine-tuning costs on a CPU, and it sees every
pair. The saved model is the backbone with the fitted `score` (AutoModelForSequenceClassification,
as before, with `parley_pooling` in its config); `score` here, PPO's reward
(`rlhf.ppo_details.answer_mean`) and RLOO's (`reward_function`) read it where it was fitted.

    features = answer_features(model, tokenizer, chat_spans(...), cache=out / "features")
    w = fit_head(features[c_idx], features[r_idx], l2=1e-2)
    model.score.weight.data[0] = w

The features cache (`features/part-*.pt`, one file per batch of texts) lets a killed run resume
where it stopped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def _key(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8") + b"\x00")
    return digest.hexdigest()[:16]


POOLINGS = ("last", "mean")


def pooling(model) -> str:
    """Where a reward model's score reads an answer, from its config (`parley_pooling`): "last",
    the last token, as a sequence classifier does, or "mean", the mean over the answer's tokens
    (a linear score of the mean is the mean of the per-token scores). A model without the key is
    "last"."""
    return getattr(model.config, "parley_pooling", None) or "last"


def chat_spans(tokenizer, prompts, completions) -> list[tuple[str, int, int]]:
    """Each (prompt, completion) as the reward model reads it, with where the answer lies in it:
    (text, start, end) in characters. A conversation goes through the chat context
    (`assistant.chat_context`) and the chat template; plain text is read as is."""
    from assistant.chat_context import chat_context

    out = []
    for prompt, completion in zip(prompts, completions, strict=True):
        if isinstance(prompt, list):
            chat = chat_context(prompt) + list(completion)
            text = tokenizer.apply_chat_template(chat, tokenize=False)
            answer = str(chat[-1].get("content", "")) if completion else ""
            start = text.rfind(answer) if answer else -1
            span = (start, start + len(answer)) if start >= 0 else (len(text), len(text))
            out.append((text, *span))
        else:
            out.append((prompt + completion, len(prompt), len(prompt) + len(completion)))
    return out


def chat_texts(tokenizer, prompts, completions) -> list[str]:
    """Each (prompt, completion) as the reward model reads it (`chat_spans` without the spans)."""
    return [text for text, _, _ in chat_spans(tokenizer, prompts, completions)]


def score(model, tokenizer, prompts, completions, batch_size: int = 16) -> list[float]:
    """The reward model's score of each (prompt, completion); conversational or plain text, read
    where the model's head was fitted (`pooling`). Scores come back in the given order."""
    import torch

    said = chat_spans(tokenizer, prompts, completions)
    with torch.no_grad():
        features = answer_features(model, tokenizer, said, batch_size)
        return model.score(features.to(model.score.weight.dtype))[:, 0].float().tolist()


def answer_features(
    model,
    tokenizer,
    said: Sequence[tuple[str, int, int]],
    batch_size: int = 16,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
    interrupt_at: int = 0,
) -> torch.Tensor:
    """The hidden state that `model.score` reads for each (text, answer start, answer end)
    ([len(said), hidden]): the last layer's (normed) output at the last token that is not the pad,
    as the sequence-classification head picks it, or with `pooling(model)` "mean" its mean over
    the answer's tokens (the last token's when the answer has none). Batches hold texts of similar
    length; with `cache`, each batch is saved as it is done and read back instead of computed
    again (a run killed midway resumes); `interrupt_at` N > 0 stops as if killed after N batches
    were computed (tests)."""
    import torch

    base = getattr(model, model.base_model_prefix)
    pad, reading = model.config.pad_token_id, pooling(model)
    mean = reading == "mean"
    order = sorted(range(len(said)), key=lambda i: len(said[i][0]))
    out = torch.zeros(len(said), model.config.hidden_size)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    model.eval()
    done = computed = 0
    for start in range(0, len(order), batch_size):
        picked = order[start : start + batch_size]
        batch_said = [said[j] for j in picked]
        part = None
        if cache is not None:  # named by the backbone, the reading and the texts: never another's
            config = model.config
            named = [str(config.name_or_path), str(config.num_hidden_layers), reading]
            part = cache / f"part-{_key([*named, *(t for t, _, _ in batch_said)])}.pt"
        if part is not None and part.exists():
            features = torch.load(part)
        else:
            texts = [t for t, _, _ in batch_said]
            batch = tokenizer(texts, return_tensors="pt", padding=True, return_offsets_mapping=mean)
            offsets = batch.pop("offset_mapping", None)
            with torch.no_grad():
                hidden = base(**batch).last_hidden_state
            ids = batch["input_ids"]
            positions = torch.arange(ids.shape[-1])
            last = (positions * (ids != pad).int()).argmax(-1)
            features = hidden[torch.arange(len(picked)), last].float()
            if mean:
                spans = torch.tensor([(s, e) for _, s, e in batch_said])
                inside = (
                    (offsets[..., 0] >= spans[:, :1])
                    & (offsets[..., 1] <= spans[:, 1:])
                    & (offsets[..., 1] > offsets[..., 0])
                    & batch["attention_mask"].bool()
                )
                n = inside.sum(-1, keepdim=True)
                pooled = (hidden.float() * inside.unsqueeze(-1)).sum(1) / n.clamp_min(1)
                features = torch.where(n > 0, pooled, features)
            if part is not None:
                torch.save(features, part)
            computed += 1
            if computed == interrupt_at:
                raise KeyboardInterrupt(f"interrupted after {computed} batches of features")
        out[picked] = features
        done += len(picked)
        if progress is not None and (start // batch_size) % 10 == 9:
            progress(f"reward: features {done}/{len(said)}")
    return out


def reward_function(reward_model: str | Path, batch_size: int = 16):
    """The reward model at `reward_model` as a TRL reward function, `(prompts, completions, **kw)
    -> scores`, read where its head was fitted (TRL's own loading of a reward model reads the last
    token): for trainers that take reward functions, as RLOO does."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rlhf.models import DISTINCT_PAD

    model = AutoModelForSequenceClassification.from_pretrained(str(reward_model), num_labels=1)
    tokenizer = AutoTokenizer.from_pretrained(str(reward_model))
    tokenizer.pad_token = DISTINCT_PAD
    model.config.pad_token_id = tokenizer.pad_token_id

    def reward_model_score(prompts, completions, **kw) -> list[float]:
        return score(model, tokenizer, list(prompts), list(completions), batch_size)

    return reward_model_score


def cut(model, layers: int) -> None:
    """Keep the backbone's first `layers` decoder layers: the final norm and the score then read
    layer `layers`' output, and the cut model is still a plain sequence classifier (smaller, and
    faster to run in PPO, whose value model starts from it). 0, or as many as there are, keeps
    them all. `reward-cpu-small` reads layer 18 of 30 with `pooling` "mean" (chosen by CV and a
    dev split, README); read at the last token, a middle layer was a better probe by CV than the
    last (0.761 against 0.723 at layer 20) but not on held-out pairs, and PPO did worse against it.

    >>> from transformers import LlamaConfig, LlamaForSequenceClassification
    >>> config = LlamaConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=4,
    ...                      num_attention_heads=2, num_key_value_heads=2, vocab_size=32)
    >>> model = LlamaForSequenceClassification(config)
    >>> cut(model, 2)
    >>> len(model.model.layers), model.config.num_hidden_layers
    (2, 2)
    """
    if not 0 < layers < model.config.num_hidden_layers:
        return
    base = getattr(model, model.base_model_prefix)
    base.layers = base.layers[:layers]
    model.config.num_hidden_layers = layers
    if getattr(model.config, "layer_types", None):
        model.config.layer_types = model.config.layer_types[:layers]


def fit_head(
    chosen: torch.Tensor,
    rejected: torch.Tensor,
    weights: torch.Tensor | None = None,
    l2: float = 1e-2,
    epochs: int = 300,
    lr: float = 0.05,
    seed: int = 0,
) -> tuple[torch.Tensor, list[float]]:
    """A linear score `w` (no bias: a pairwise loss cannot see one) with chosen·w > rejected·w,
    by the Bradley–Terry loss `-log σ((c - r)·w)` (weighted mean) plus `l2`·|w|², full batch Adam.
    The features are whitened per dimension for the fit (a few dimensions of a transformer's
    last layer are hundreds of times larger than the rest) and `w` is mapped back, so the score of
    raw features is the same. Returns `w` and the loss per epoch.

    >>> import torch
    >>> c, r = torch.tensor([[1.0, 0.0], [2.0, 1.0]]), torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    >>> w, losses = fit_head(c, r, l2=0.0, epochs=50)
    >>> bool(((c - r) @ w > 0).all()), losses[-1] < losses[0]
    (True, True)
    """
    import torch

    torch.manual_seed(seed)
    diff = (chosen - rejected).double()
    scale = torch.cat([chosen, rejected]).double().std(0).clamp_min(1e-6)
    x = diff / scale
    weight = torch.ones(len(x), dtype=torch.double) if weights is None else weights.double()
    weight = weight / weight.sum()
    w = torch.zeros(x.shape[1], dtype=torch.double, requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = -(torch.nn.functional.logsigmoid(x @ w) * weight).sum() + l2 * (w * w).sum()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return (w.detach() / scale).float(), losses


def train(run, args, out: Path, start: Path, tokenizer, train_set, eval_set=None, progress=print):
    """The head-only reward model: features of every distinct text (training and held-out pairs)
    once, the head fitted on the training pairs, the model saved to `out/model`. Returns the
    model's directory and, when `eval_set` is given, its held-out (chosen, rejected) scores, from
    the same features (the saved model gives the same scores: checked on a few texts)."""
    import json
    import shutil

    import torch
    from transformers import AutoModelForSequenceClassification

    from rlhf import models

    cache = out / "features"
    if not run.resume:
        shutil.rmtree(cache, ignore_errors=True)
    tokenizer.pad_token = args.pad_token or models.DISTINCT_PAD
    model = AutoModelForSequenceClassification.from_pretrained(
        start, num_labels=1, dtype="float32", use_safetensors=True
    )
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.parley_pooling = run.head_pooling
    cut(model, run.head_layers)
    texts: dict[tuple[str, int, int], int] = {}

    def rows(pairs, side: str) -> list[int]:
        said = chat_spans(tokenizer, list(pairs["prompt"]), list(pairs[side]))
        return [texts.setdefault(t, len(texts)) for t in said]

    chosen, rejected = rows(train_set, "chosen"), rows(train_set, "rejected")
    held = (rows(eval_set, "chosen"), rows(eval_set, "rejected")) if eval_set is not None else None
    features = answer_features(
        model,
        tokenizer,
        list(texts),
        run.feature_batch_size,
        cache,
        progress,
        run.interrupt_at_step,
    )
    w, losses = fit_head(
        features[chosen],
        features[rejected],
        l2=run.head_l2,
        epochs=run.head_epochs,
        lr=run.head_lr,
        seed=args.seed,
    )
    with torch.no_grad():
        model.score.weight.copy_(w.unsqueeze(0))
    with (out / "metrics.jsonl").open("w") as log:
        every = max(len(losses) // 50, 1)
        for epoch in range(0, len(losses), every):
            log.write(json.dumps({"step": epoch + 1, "loss": losses[epoch]}) + "\n")
    final, _ = models.save_final(model, tokenizer, out)
    if held is None:
        return final, None
    scores = (features[held[0]] @ w).tolist(), (features[held[1]] @ w).tolist()
    probe = eval_set.select(range(min(4, len(eval_set))))
    saved = AutoModelForSequenceClassification.from_pretrained(final, num_labels=1)
    again = score(saved, tokenizer, list(probe["prompt"]), list(probe["chosen"]))
    if not torch.allclose(torch.tensor(again), torch.tensor(scores[0][: len(again)]), atol=1e-3):
        raise RuntimeError("reward: the saved model scores differently from its fitted head")
    return final, scores
