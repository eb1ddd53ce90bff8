"""The engine: a conversation in, a stream of events out. Knows nothing of the TUI.

    engine = load_engine("smollm2-135m-instruct")   # from assistant.inference: picks the backend
    for event in engine.generate([{"role": "user", "content": "Hi"}], GenerationParams(seed=1)):
        if isinstance(event, TextChunk):
            print(event.text, end="", flush=True)

`generate` runs a plain KV-cached decode loop, so it can stop between any two tokens: on EOS, at
`max_new_tokens`, or when another thread sets the `cancel` event. A conversation longer than the
context window loses its oldest turns first; the system prompt always stays.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from assistant.chat_context import DEFAULT_SYSTEM_PROMPT, chat_context
from assistant.errors import ParleyError, ToolCallRefused, UsageError
from assistant.tools.base import ToolResult  # the tools' own result is the engine's event too

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

Message = dict[str, str]


PENALTY_LAST_N = 64  # the repetition penalty looks this many answer tokens back (both backends)


@dataclass
class GenerationParams:
    """Sampling settings. temperature 0 means greedy; seed None draws one (and reports it).
    `repetition_penalty` > 1 makes tokens already in the answer's last `PENALTY_LAST_N` less
    likely (positive logits divided by it, negative ones multiplied, as llama.cpp and
    transformers do); 1 turns it off. The defaults were chosen on the dev split of
    `parley eval chat` (`bench/choose_defaults.py`)."""

    temperature: float = 0.2
    top_p: float = 0.9
    max_new_tokens: int = 512
    seed: int | None = None
    repetition_penalty: float = 1.1  # chosen on the dev split (README, "Parley's defaults")

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise UsageError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise UsageError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise UsageError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.repetition_penalty <= 0:
            raise UsageError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- events ---


@dataclass(frozen=True)
class Started:
    """Generation began: the prompt as the model sees it (after any truncation)."""

    model: str
    prompt_tokens: int
    dropped_messages: int
    seed: int
    cut_tokens: int = 0  # tokens cut from the start of the newest message (longer than the window)


@dataclass(frozen=True)
class TextChunk:
    """New text of the answer, in order; concatenated they are the answer."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """The model asked for a tool; the engine runs it and reports a ToolResult."""

    name: str
    arguments: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """As the chat keeps it with the answer (and a rating with its response)."""
        return {"kind": "call", "name": self.name, "arguments": self.arguments}


@dataclass(frozen=True)
class Done:
    """The last event of every generation."""

    text: str
    finish_reason: str  # "eos" | "length" | "cancelled" | "tool_call"
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    first_token_seconds: float | None
    seed: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens_per_second(self) -> float:
        decode = self.seconds - (self.first_token_seconds or 0.0)
        return (self.completion_tokens - 1) / decode if self.completion_tokens > 1 else 0.0


Event = Started | TextChunk | ToolCall | ToolResult | Done


class Fitted(NamedTuple):
    """A conversation cut to the context window: the prompt's ids, how many of the oldest
    messages were left out, and how many tokens were cut from the start of the newest one."""

    ids: list[int]
    dropped: int
    cut: int


class Prepared(NamedTuple):
    """Everything one answer starts from, for every backend."""

    ids: list[int]
    dropped: int
    cut: int
    max_new: int
    seed: int


# --- tool calls: the model writes `<tool_call>{...}</tool_call>` (assistant.toolcall); the engine
# stops decoding there, runs the call and shows its result as the rest of the answer ---

ToolRunner = Callable[[str, dict[str, Any]], Any]
"""(tool name, arguments) -> an `assistant.tools.ToolResult`; raises ParleyError on bad input."""


def run_tool_call(name: str, arguments: dict[str, Any]) -> Any:
    """The default runner: the tool registry (imported only when a model calls a tool). The call
    must fit `toolcall.SCHEMAS` first: a tool it does not list (restore, whose arguments are all
    files) or an argument it lacks (a file, a backend) is refused before any tool sees it, since
    model output is data, never authority."""
    from assistant import toolcall, tools

    if error := toolcall.validate(name, arguments):
        raise UsageError(error)
    return tools.run_call(name, arguments)


class _EitherSet(threading.Event):
    """Set when set itself or when the caller's cancel event is: stops decoding at a tool call
    without touching the caller's event."""

    def __init__(self, other: threading.Event | None) -> None:
        super().__init__()
        self.other = other

    def is_set(self) -> bool:
        return super().is_set() or (self.other is not None and self.other.is_set())


def runs_tools(generate: Callable[..., Iterator[Event]]) -> Callable[..., Iterator[Event]]:
    """Wrap a backend's `generate` so a tool call in the answer is run (`tools=False`: left as
    text). Events: Started, TextChunk... (the call's own text held back), ToolCall, ToolResult,
    TextChunk (the result), Done (its text is what the user saw; finish_reason "tool_call")."""
    if getattr(generate, "runs_tools", False):
        return generate

    @functools.wraps(generate)
    def wrapper(self, messages, params=None, cancel=None, *, tools: bool = True):
        if not tools or not self.run_tools:
            yield from generate(self, messages, params, cancel)
            return
        from assistant import toolcall

        stop = _EitherSet(cancel)
        text = shown = ""
        call = None
        for event in generate(self, messages, params, stop):
            if isinstance(event, TextChunk):
                text += event.text
                if call is None and (calls := toolcall.parse(text)):
                    call = calls[0]
                    stop.set()  # what follows a call is not the model's business
                held = toolcall.find_partial_start(text)
                end = call.start if call else len(text) if held is None else held
                visible = text[:end].rstrip()  # trailing space waits: a call may follow it
                if len(visible) > len(shown) and visible.startswith(shown):
                    yield TextChunk(visible[len(shown) :])
                    shown = visible
            elif isinstance(event, Done):
                if call is None or (cancel is not None and cancel.is_set()):
                    rest = text[len(shown) :] if call is None and text.startswith(shown) else ""
                    if rest:  # an unfinished tag at the end is plain text after all
                        yield TextChunk(rest)
                    yield replace(event, text=shown + rest)
                    return
                yield ToolCall(call.name, dict(call.arguments))
                result, display = _run_call(self.tool_runner or run_tool_call, call)
                yield result
                display = ("\n\n" if shown.strip() else "") + display
                yield TextChunk(display)
                yield replace(event, text=shown + display, finish_reason="tool_call")
                return
            else:
                yield event

    wrapper.runs_tools = True  # type: ignore[attr-defined]
    return wrapper


def _run_call(runner: ToolRunner, call: Any) -> tuple[ToolResult, str]:
    """Run one parsed call; any failure becomes a ToolResult(ok=False) and a line, never a crash.

    A call that does not validate (`toolcall.validate`: an unknown tool or argument, a value out
    of range) is refused here and never reaches the runner: model output is data, not authority.
    """
    if not call.name:
        return _failed("", call.error or "bad call"), f"(tool call not understood: {call.error})"
    if call.error:
        message = f"refused: {call.error}"
        return _failed(call.name, message), f"({call.name} call {message})"
    start = time.perf_counter()
    try:
        result = runner(call.name, dict(call.arguments))
    except ToolCallRefused as e:  # the runner's own check (the registry's `run_call`)
        message = f"refused: {e}"
        return _failed(call.name, message), f"({call.name} call {message})"
    except Exception as e:  # a tool's failure is the answer's content, not the engine's crash
        message = str(e) if isinstance(e, ParleyError) else f"{type(e).__name__}: {e}"
        seconds = time.perf_counter() - start
        return _failed(call.name, message, seconds), f"({call.name} failed: {message})"
    return result, "\n".join([result.text, *map(str, result.images)]).strip()


def _failed(name: str, message: str, seconds: float = 0.0) -> ToolResult:
    return ToolResult(name, backend="", architecture="", text=message, latency_s=seconds, ok=False)


class AnswerStream:
    """One answer as it is generated, for every backend: token ids in, text chunks out, and the
    closing `Done` with its counts and timings."""

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
    """A loaded causal LM and its tokenizer, turning conversations into event streams."""

    # The model's tool calls run through `tool_runner` (None: the tool registry); tests inject a
    # fake. `run_tools = False` leaves calls as text (training and evaluation want the raw text).
    tool_runner: ToolRunner | None = None
    run_tools: bool = True
    # Prompt tokens per forward pass: a long prompt is evaluated in chunks, and `cancel` is
    # looked at between them (a 200 KB paste stops within one chunk of Esc, not after all of it).
    prefill_chunk: int = 512

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "generate" in cls.__dict__:  # every backend's answers go through the tool loop
            cls.generate = runs_tools(cls.__dict__["generate"])

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        name: str = "model",
        context_window: int | None = None,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.system_prompt = system_prompt
        config_window = getattr(model.config, "max_position_embeddings", None) or 2048
        self.context_window = min(context_window or config_window, config_window)
        self.eos_ids = _eos_ids(model, tokenizer)

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

    # --- generation ---

    def prepare(self, messages: Sequence[Message], params: GenerationParams) -> Prepared:
        """The prompt (cut to the window), max new tokens and seed of one answer: every
        backend's."""
        seed = params.seed if params.seed is not None else random.randrange(2**31)
        reserve = min(params.max_new_tokens, self.context_window // 2)
        fitted = self.fit(messages, self.context_window - reserve)
        max_new = min(params.max_new_tokens, self.context_window - len(fitted.ids))
        return Prepared(*fitted, max_new, seed)

    def started(self, prepared: Prepared) -> Started:
        return Started(self.name, len(prepared.ids), prepared.dropped, prepared.seed, prepared.cut)

    @runs_tools
    def generate(
        self,
        messages: Sequence[Message],
        params: GenerationParams | None = None,
        cancel: threading.Event | None = None,
    ) -> Iterator[Event]:
        """Stream the answer to `messages` as events: Started, TextChunk..., Done."""
        import torch

        params = params or GenerationParams()
        prepared = self.prepare(messages, params)
        prompt_ids, max_new, seed = prepared.ids, prepared.max_new, prepared.seed
        yield self.started(prepared)

        generator = torch.Generator().manual_seed(seed)
        answer = AnswerStream(self.tokenizer, len(prompt_ids), seed, params)
        with torch.inference_mode():
            out = self._prefill(prompt_ids, cancel)
            finish = "length" if out is not None else "cancelled"
            for _ in range(max_new if out is not None else 0):
                if cancel is not None and cancel.is_set():
                    finish = "cancelled"
                    break
                next_id = _sample(out.logits[0, -1], params, generator, answer.ids)
                answer.sampled()
                if next_id in self.eos_ids:
                    finish = "eos"
                    break
                if chunk := answer.push(next_id):
                    yield TextChunk(chunk)
                if cancel is not None and cancel.is_set():
                    finish = "cancelled"
                    break
                out = self.model(
                    input_ids=torch.tensor([[next_id]]),
                    cache=out.cache,
                    use_cache=True,
                )
        yield from answer.end(finish)

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

    def reply(self, messages: Sequence[Message], params: GenerationParams | None = None) -> Done:
        """The whole answer at once: the last event of `generate`."""
        *_, done = self.generate(messages, params)
        assert isinstance(done, Done)
        return done


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
