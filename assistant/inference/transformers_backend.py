"""The transformers backend: a KV-cached decode loop over a Hugging Face causal LM, in torch.

    Engine(TransformersBackend(model, tokenizer), name="tiny")    # load_engine builds it so

torch is imported inside the methods that run it: importing this module costs nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from assistant.inference.params import PENALTY_LAST_N, GenerationParams

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from assistant.inference.engine import Prepared


class TransformersBackend:
    """A loaded causal LM and its tokenizer: prompt ids in, sampled ids out."""

    # Prompt tokens per forward pass: a long prompt is evaluated in chunks, and `cancel` is
    # looked at between them (a 200 KB paste stops within one chunk of Esc, not after all of it).
    prefill_chunk: int = 512

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        context_window: int | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        config_window = getattr(model.config, "max_position_embeddings", None) or 2048
        self.context_window = min(context_window or config_window, config_window)
        self.eos_ids = _eos_ids(model, tokenizer)

    def close(self) -> None:
        """Nothing to free: torch releases the weights with the last reference."""

    def generate_ids(self, job: Prepared, cancel: threading.Event | None) -> Iterator[int]:
        import torch

        generator = torch.Generator().manual_seed(job.seed)
        answer: list[int] = []
        with torch.inference_mode():
            out = self._prefill(job.ids, cancel)
            for _ in range(job.max_new if out is not None else 0):
                if cancel is not None and cancel.is_set():
                    return
                next_id = _sample(out.logits[0, -1], job.params, generator, answer)
                answer.append(next_id)
                yield next_id
                out = self.model(
                    input_ids=torch.tensor([[next_id]]),
                    cache=out.cache,
                    use_cache=True,
                )

    def _prefill(self, prompt_ids: list[int], cancel: threading.Event | None) -> Any:
        """The model's output after the whole prompt, evaluated `prefill_chunk` tokens at a time
        into one cache; None when `cancel` is set first."""
        import torch

        out = None
        for start in range(0, len(prompt_ids), self.prefill_chunk):
            if cancel is not None and cancel.is_set():
                return None
            out = self.model(
                input_ids=torch.tensor([prompt_ids[start : start + self.prefill_chunk]]),
                cache=out.cache if out is not None else None,
                use_cache=True,
                logits_to_keep=1,
            )
        return out


def _sample(
    logits: torch.Tensor,
    params: GenerationParams,
    generator: torch.Generator,
    answer_ids: Sequence[int] = (),
) -> int:
    import torch

    logits = logits.float().clone()
    recent = sorted(set(answer_ids[-PENALTY_LAST_N:]))
    if params.repetition_penalty != 1.0 and recent:
        ids = torch.tensor(recent)
        seen = logits[ids]
        penalty = params.repetition_penalty
        logits[ids] = torch.where(seen > 0, seen / penalty, seen * penalty)
    if params.temperature == 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / params.temperature, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        cumulative = torch.cumsum(sorted_probs, dim=-1)
        # keep the smallest prefix whose mass reaches top_p (always at least one token)
        sorted_probs[(cumulative - sorted_probs) >= params.top_p] = 0.0
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return int(torch.multinomial(probs, 1, generator=generator))


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    for source in (getattr(model, "generation_config", None), model.config):
        value = getattr(source, "eos_token_id", None) if source is not None else None
        if isinstance(value, int):
            ids.add(value)
        elif value:
            ids.update(value)
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids
