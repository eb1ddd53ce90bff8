"""The engine: a conversation in, a stream of events out. Knows nothing of the TUI.

    engine = load_engine("smollm2-135m-instruct")   # assistant.inference: picks the backend
    for event in engine.generate([{"role": "user", "content": "Hi"}], GenerationParams(seed=1)):
        if isinstance(event, TextChunk):
            print(event.text, end="", flush=True)

`Engine` owns what every backend shares: the chat context and prompt fitting (a conversation
longer than the context window loses its oldest turns first; the system prompt always stays), the
answer stream (token ids to text chunks, the closing `Done`) and the tool loop. A backend only
turns prompt ids into sampled ids (`Backend`, as nanochat's engine does): the transformers one
(`transformers_backend`) and the llama.cpp one (`llamacpp_backend`). Decoding can stop between
any two tokens: on EOS, at `max_new_tokens`, or when another thread sets the `cancel` event.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, Protocol

from assistant.chat_context import DEFAULT_SYSTEM_PROMPT, chat_context
from assistant.errors import UsageError
from assistant.inference.events import Done, Event, Message, Started, TextChunk
from assistant.inference.params import GenerationParams
from assistant.inference.tool_loop import ToolRunner, run_tool_call, tool_loop


class Tokenizer(Protocol):
    """What the engine needs of a tokenizer (a transformers one, or llama.cpp's `Vocab`)."""

    eos_token_id: int | None

    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...
    def decode(self, ids: Sequence[int], skip_special_tokens: bool = ...) -> str: ...
    def apply_chat_template(self, messages: list[Message], **kwargs: Any) -> Any: ...


class Backend(Protocol):
    """Token ids in, token ids out: all a model has to do for the engine."""

    tokenizer: Tokenizer
    context_window: int  # prompt + answer, in tokens
    eos_ids: set[int]

    def generate_ids(self, job: Prepared, cancel: threading.Event | None) -> Iterator[int]:
        """The ids sampled after `job.ids` with `job.params` and `job.seed`, in order, at most
        `job.max_new` (the engine stops reading at an EOS id). Returns early when `cancel` is
        set, and may return a finish reason of its own."""
        ...

    def close(self) -> None: ...


class Fitted(NamedTuple):
    """A conversation cut to the context window: the prompt's ids, how many of the oldest
    messages were left out, and how many tokens were cut from the start of the newest one."""

    ids: list[int]
    dropped: int
    cut: int


class Prepared(NamedTuple):
    """Everything one answer starts from: the prompt's ids (and what was cut to fit them), the
    answer's longest length, its seed and its sampling settings."""

    ids: list[int]
    dropped: int
    cut: int
    max_new: int
    seed: int
    params: GenerationParams


def _is_set(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


class AnswerStream:
    """One answer as it is generated: token ids in, text chunks out, and the closing `Done` with
    its counts and timings."""

    def __init__(self, tokenizer: Any, prompt_tokens: int, seed: int, params: GenerationParams):
        self.tokenizer = tokenizer
        self.prompt_tokens = prompt_tokens
        self.seed = seed
        self.params = params
        self.start = time.perf_counter()
        self.first_token_at: float | None = None
        self.ids: list[int] = []
        self.emitted = ""

    def sampled(self) -> None:
        """A token was sampled (EOS included): the first one sets the time to first token."""
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter() - self.start

    def push(self, token_id: int) -> str:
        """Add a generated token; returns the text it completes ('' for now, if none)."""
        self.ids.append(token_id)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        # A multi-byte character split across tokens decodes to U+FFFD until complete.
        if len(text) > len(self.emitted) and not text.endswith("\ufffd"):
            chunk, self.emitted = text[len(self.emitted) :], text
            return chunk
        return ""

    def end(self, finish_reason: str) -> Iterator[Event]:
        """The text not yet shown, if any, then `Done`."""
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text != self.emitted and text.startswith(self.emitted):
            yield TextChunk(text[len(self.emitted) :])
        yield Done(
            text=text,
            finish_reason=finish_reason,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=len(self.ids),
            seconds=time.perf_counter() - self.start,
            first_token_seconds=self.first_token_at,
            seed=self.seed,
            params={**self.params.to_dict(), "seed": self.seed},
        )


class Engine:
    """A model behind a `Backend`, turning conversations into event streams."""

    # The model's tool calls run through `tool_runner` (None: the tool registry); tests inject a
    # fake. `run_tools = False` leaves calls as text (training and evaluation want the raw text).
    tool_runner: ToolRunner | None = None
    run_tools: bool = True

    def __init__(
        self, backend: Backend, name: str = "model", system_prompt: str = DEFAULT_SYSTEM_PROMPT
    ) -> None:
        self.backend = backend
        self.name = name
        self.system_prompt = system_prompt

    @property
    def tokenizer(self) -> Tokenizer:
        return self.backend.tokenizer

    @property
    def context_window(self) -> int:
        return self.backend.context_window

    def close(self) -> None:
        """Free the backend's model (llama.cpp's memory and worker thread)."""
        self.backend.close()

    # --- prompt building ---

    def with_system(self, messages: Sequence[Message]) -> list[Message]:
        """The conversation with Parley's system prompt first, unless it brings its own."""
        return chat_context(messages, self.system_prompt)

    def encode(self, messages: Sequence[Message]) -> list[int]:
        ids = self.tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=True, tokenize=True, return_dict=False
        )
        if isinstance(ids, dict) or hasattr(ids, "keys"):  # BatchEncoding in some versions
            ids = ids["input_ids"]
        return list(ids)

    def fit(self, messages: Sequence[Message], budget: int) -> Fitted:
        """Token ids of the longest tail of the conversation that fits in `budget` tokens.

        Drops whole turns from the oldest on (the system prompt stays, the conversation still
        starts with a user turn); if the last message alone is too long, keeps its end.
        Returns the ids, how many messages were dropped and how many tokens were cut.
        """
        messages = self.with_system(messages)
        system, turns = messages[:1], messages[1:]
        if not turns:
            raise UsageError("empty conversation: nothing to answer")
        dropped = cut_tokens = 0
        ids = self.encode(system + turns)
        while len(ids) > budget and len(turns) > 1:
            turns.pop(0)
            dropped += 1
            while len(turns) > 1 and turns[0]["role"] != "user":
                turns.pop(0)
                dropped += 1
            ids = self.encode(system + turns)
        if len(ids) > budget:  # one message longer than the window: keep its end
            last = turns[-1]
            overhead = len(self.encode(system + [{**last, "content": ""}]))
            content_ids = self.tokenizer.encode(last["content"], add_special_tokens=False)
            keep = max(budget - overhead - 1, 1)
            cut_tokens = max(len(content_ids) - keep, 0)
            cut = self.tokenizer.decode(content_ids[-keep:])
            ids = self.encode(system + [{**last, "content": cut}])
            if len(ids) > budget:  # the system prompt itself is too long: keep the tail
                ids = ids[-budget:]
        return Fitted(ids, dropped, cut_tokens)

    def prepare(self, messages: Sequence[Message], params: GenerationParams) -> Prepared:
        """The prompt (cut to the window), max new tokens and seed of one answer."""
        seed = params.seed if params.seed is not None else random.randrange(2**31)
        reserve = min(params.max_new_tokens, self.context_window // 2)
        fitted = self.fit(messages, self.context_window - reserve)
        max_new = min(params.max_new_tokens, self.context_window - len(fitted.ids))
        return Prepared(*fitted, max_new, seed, params)

    # --- generation ---

    def generate(
        self,
        messages: Sequence[Message],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
        *,
        tools: bool = True,
    ) -> Iterator[Event]:
        """Stream the answer to `messages` as events: Started, TextChunk..., Done; a tool call in
        the answer is run and its result shown (`tool_loop`; `tools=False` leaves it as text)."""
        if not tools or not self.run_tools:
            yield from self.answer(messages, params, cancel)
            return
        runner = self.tool_runner or run_tool_call
        yield from tool_loop(lambda stop: self.answer(messages, params, stop), cancel, runner)

    def answer(
        self,
        messages: Sequence[Message],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[Event]:
        """The model's own answer, tool calls left as text: Started, TextChunk..., Done."""
        params = params or GenerationParams()
        prepared = self.prepare(messages, params)
        yield Started(self.name, len(prepared.ids), prepared.dropped, prepared.seed, prepared.cut)
        answer = AnswerStream(self.tokenizer, len(prepared.ids), prepared.seed, params)
        ids = self.backend.generate_ids(prepared, cancel)
        eos_ids = self.backend.eos_ids
        try:
            while True:
                try:
                    token = next(ids)
                except StopIteration as end:
                    finish = end.value or ("cancelled" if _is_set(cancel) else "length")
                    break
                answer.sampled()
                if token in eos_ids:
                    finish = "eos"
                    break
                if chunk := answer.push(token):
                    yield TextChunk(chunk)
                if _is_set(cancel):
                    finish = "cancelled"
                    break
        finally:
            ids.close()  # also when the caller stops iterating early
        yield from answer.end(finish)

    def reply(self, messages: Sequence[Message], params: GenerationParams | None = None) -> Done:
        """The whole answer at once: the last event of `generate`."""
        *_, done = self.generate(messages, params)
        assert isinstance(done, Done)
        return done


def generate_pair(
    engine_a: Engine,
    messages_a: Sequence[Message],
    params_a: GenerationParams,
    engine_b: Engine | None = None,
    messages_b: Sequence[Message] | None = None,
    params_b: GenerationParams | None = None,
    cancel: threading.Event | None = None,
    on_text: Callable[[int, str], None] | None = None,
) -> tuple[Done, Done]:
    """Two answers at once (the arena's pair): one thread each; on one llama.cpp engine their
    tokens share every forward pass. `on_text(0 or 1, chunk)` streams them."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [
        (engine_a, messages_a, params_a),
        (engine_b or engine_a, messages_b or messages_a, params_b or params_a),
    ]

    def run(i: int) -> Done:
        engine, messages, params = jobs[i]
        for event in engine.generate(messages, params, cancel):
            if isinstance(event, TextChunk) and on_text:
                on_text(i, event.text)
        assert isinstance(event, Done)  # the last event of every generation
        return event

    with ThreadPoolExecutor(2, thread_name_prefix="pair") as pool:
        first, second = pool.submit(run, 0), pool.submit(run, 1)
    return first.result(), second.result()  # a side's exception is raised here
