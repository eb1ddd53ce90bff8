"""The engine on a tiny random Llama with the real tokenizer: events, seeds, stops, truncation."""

from __future__ import annotations

import queue
import threading

import pytest
import torch

from assistant.chat_context import DEFAULT_SYSTEM_PROMPT
from assistant.errors import UsageError
from assistant.inference import Done, Engine, GenerationParams, Started, TextChunk
from assistant.inference.transformers_backend import TransformersBackend, _sample

HELLO = [{"role": "user", "content": "Hello there, who are you?"}]


def test_events_come_in_order_and_chunks_make_the_answer(tiny_engine):
    events = list(tiny_engine.generate(HELLO, GenerationParams(max_new_tokens=12, seed=0)))
    assert isinstance(events[0], Started)
    assert isinstance(events[-1], Done)
    assert all(isinstance(e, TextChunk) for e in events[1:-1])
    done = events[-1]
    assert "".join(e.text for e in events[1:-1]) == done.text
    assert done.completion_tokens == 12
    assert done.finish_reason == "length"
    assert done.prompt_tokens == events[0].prompt_tokens > 10


def test_same_seed_same_answer_other_seed_other_answer(tiny_engine):
    hot = dict(temperature=1.0, top_p=1.0, max_new_tokens=10)
    first = tiny_engine.reply(HELLO, GenerationParams(seed=7, **hot))
    again = tiny_engine.reply(HELLO, GenerationParams(seed=7, **hot))
    other = tiny_engine.reply(HELLO, GenerationParams(seed=8, **hot))
    assert first.text == again.text
    assert first.text != other.text
    assert first.seed == 7


def test_no_seed_draws_one_and_reports_it(tiny_engine):
    done = tiny_engine.reply(HELLO, GenerationParams(temperature=1.0, max_new_tokens=6))
    replay = tiny_engine.reply(
        HELLO, GenerationParams(temperature=1.0, max_new_tokens=6, seed=done.seed)
    )
    assert replay.text == done.text


def test_greedy_ignores_the_seed(tiny_engine):
    a = tiny_engine.reply(HELLO, GenerationParams(temperature=0, seed=1, max_new_tokens=8))
    b = tiny_engine.reply(HELLO, GenerationParams(temperature=0, seed=2, max_new_tokens=8))
    assert a.text == b.text


class EosAfter(torch.nn.Module):
    """Wraps a model so that EOS wins from the k-th generated token on."""

    def __init__(self, model, eos_id: int, k: int):
        super().__init__()
        self.inner, self.eos_id, self.k, self.calls = model, eos_id, k, 0
        self.config = model.config
        self.generation_config = model.generation_config

    def forward(self, **kwargs):
        out = self.inner(**kwargs)
        self.calls += 1
        if self.calls > self.k:
            out.logits[..., self.eos_id] = 1e4
        return out


def test_stops_on_eos(tiny_engine):
    eos = tiny_engine.tokenizer.eos_token_id
    model = EosAfter(tiny_engine.backend.model, eos, k=3)
    engine = Engine(TransformersBackend(model, tiny_engine.tokenizer), name="eos")
    done = engine.reply(HELLO, GenerationParams(temperature=0, max_new_tokens=50))
    assert done.finish_reason == "eos"
    assert done.completion_tokens == 3


def test_cancel_from_another_thread_keeps_the_partial_answer(tiny_engine):
    cancel = threading.Event()
    events: queue.Queue = queue.Queue()

    def consume():
        for event in tiny_engine.generate(HELLO, GenerationParams(max_new_tokens=100), cancel):
            events.put(event)

    worker = threading.Thread(target=consume)
    worker.start()
    while not isinstance(events.get(timeout=30), TextChunk):
        pass
    cancel.set()
    worker.join(timeout=30)
    assert not worker.is_alive()
    seen = []
    while not events.empty():
        seen.append(events.get())
    done = seen[-1]
    assert isinstance(done, Done)
    assert done.finish_reason == "cancelled"
    assert 1 <= done.completion_tokens < 100
    assert done.text  # the partial answer is kept


class CountsPrompt(torch.nn.Module):
    """Wraps a model: counts the tokens it evaluates, and sets `cancel` during its first call
    (Esc pressed while the prompt is being read)."""

    def __init__(self, model, cancel: threading.Event | None = None):
        super().__init__()
        self.inner, self.cancel, self.tokens = model, cancel, 0
        self.config = model.config
        self.generation_config = model.generation_config

    def forward(self, **kwargs):
        if self.cancel is not None:
            self.cancel.set()
        self.tokens += kwargs["input_ids"].shape[1]
        return self.inner(**kwargs)


def test_esc_while_a_long_prompt_is_read_stops_after_one_chunk(tiny_engine):
    cancel = threading.Event()
    model = CountsPrompt(tiny_engine.backend.model, cancel)
    backend = TransformersBackend(model, tiny_engine.tokenizer)
    backend.prefill_chunk = 16
    engine = Engine(backend, name="counted")
    long_prompt = [{"role": "user", "content": " ".join(f"word{i}" for i in range(40))}]
    *_, done = engine.generate(long_prompt, GenerationParams(max_new_tokens=8), cancel)
    assert done.prompt_tokens > 4 * backend.prefill_chunk
    assert (done.finish_reason, done.completion_tokens, done.text) == ("cancelled", 0, "")
    assert model.tokens == backend.prefill_chunk  # one chunk read, not the whole prompt


def test_a_prompt_read_in_chunks_gives_the_same_answer(tiny_engine):
    prompt = [{"role": "user", "content": " ".join(f"word{i}" for i in range(40))}]
    sampled = GenerationParams(temperature=1.0, top_p=1.0, max_new_tokens=12, seed=3)
    whole = tiny_engine.reply(prompt, sampled)
    model = CountsPrompt(tiny_engine.backend.model)
    backend = TransformersBackend(model, tiny_engine.tokenizer)
    backend.prefill_chunk = 16
    chunked = Engine(backend, name="tiny")
    again = chunked.reply(prompt, sampled)
    assert len(set(whole.text.split())) > 3  # a varied answer, not one token repeated
    assert again.text == whole.text and again.completion_tokens == whole.completion_tokens
    assert model.tokens == whole.prompt_tokens + whole.completion_tokens


def long_conversation(turns: int) -> list[dict[str, str]]:
    messages = []
    for i in range(turns):
        messages.append({"role": "user", "content": f"Question {i}: tell me about the number {i}."})
        messages.append({"role": "assistant", "content": f"The number {i} is a fine number."})
    messages.append({"role": "user", "content": "And the last question?"})
    return messages


def test_long_conversation_drops_oldest_turns_and_keeps_the_system_prompt(tiny_engine):
    assert tiny_engine.context_window == 128
    conversation = [{"role": "system", "content": "Be terse."}] + long_conversation(20)
    events = list(tiny_engine.generate(conversation, GenerationParams(max_new_tokens=16)))
    started, done = events[0], events[-1]
    assert started.dropped_messages > 0
    assert started.prompt_tokens + done.completion_tokens <= 128
    ids, dropped, cut = tiny_engine.fit(conversation, 128 - 16)
    assert (dropped, cut) == (started.dropped_messages, 0)
    prompt = tiny_engine.tokenizer.decode(ids)
    assert prompt.count("Be terse.") == 1
    assert "And the last question?" in prompt
    assert "Question 0:" not in prompt
    # what is left starts with a user turn right after the system prompt
    assert prompt.index("<|im_start|>user") < prompt.index("<|im_start|>assistant")


def test_one_message_longer_than_the_window_keeps_its_end(tiny_engine):
    huge = " ".join(f"word{i}" for i in range(400)) + " THE END"
    done = tiny_engine.reply(
        [{"role": "user", "content": huge}], GenerationParams(max_new_tokens=8)
    )
    assert done.prompt_tokens <= 128 - 8
    ids, _, _ = tiny_engine.fit([{"role": "user", "content": huge}], 120)
    assert tiny_engine.tokenizer.decode(ids).rstrip().endswith("assistant")
    assert "THE END" in tiny_engine.tokenizer.decode(ids)


def test_a_message_longer_than_the_window_says_how_much_of_it_was_cut(tiny_engine):
    huge = " ".join(f"word{i}" for i in range(400)) + " THE END"
    total = len(tiny_engine.tokenizer.encode(huge, add_special_tokens=False))
    params = GenerationParams(max_new_tokens=8)
    started = next(tiny_engine.generate([{"role": "user", "content": huge}], params))
    assert started.dropped_messages == 0 and 0 < started.cut_tokens < total
    overhead = started.prompt_tokens - (total - started.cut_tokens)
    assert 0 < overhead < 60  # what was read is the rest of the message, plus the template
    assert next(tiny_engine.generate(HELLO, params)).cut_tokens == 0


def test_max_new_tokens_larger_than_the_window_is_clamped(tiny_engine):
    done = tiny_engine.reply(HELLO, GenerationParams(max_new_tokens=10_000, temperature=0))
    assert done.prompt_tokens + done.completion_tokens <= 128


def test_default_system_prompt_is_added_unless_given(tiny_engine):
    assert tiny_engine.with_system(HELLO)[0]["content"] == DEFAULT_SYSTEM_PROMPT
    own = [{"role": "system", "content": "Pirate."}] + HELLO
    assert tiny_engine.with_system(own)[0]["content"] == "Pirate."


def test_top_p_keeps_only_the_nucleus():
    logits = torch.tensor([5.0, 4.0, 0.0, -1.0])
    gen = torch.Generator().manual_seed(0)
    picks = {_sample(logits, GenerationParams(temperature=1.0, top_p=0.5), gen) for _ in range(50)}
    assert picks == {0}
    picks = {_sample(logits, GenerationParams(temperature=1.0, top_p=0.9), gen) for _ in range(200)}
    assert picks == {0, 1}


def test_repetition_penalty_steers_away_from_the_answers_own_tokens():
    logits = torch.tensor([3.0, 2.8, -1.0, -1.1])
    before = logits.clone()
    gen = torch.Generator().manual_seed(0)
    greedy = GenerationParams(temperature=0.0, repetition_penalty=1.0)
    penalised = GenerationParams(temperature=0.0, repetition_penalty=1.2)
    assert _sample(logits, greedy, gen, [0]) == 0  # 1 turns it off
    assert _sample(logits, penalised, gen, [0]) == 1  # 3.0 / 1.2 = 2.5 < 2.8
    assert _sample(logits, penalised, gen, []) == 0  # only the answer's tokens count
    assert _sample(torch.tensor([-1.0, -1.1]), penalised, gen, [0]) == 1  # -1.2 < -1.1
    assert torch.equal(logits, before)  # the model's logits are left alone


@pytest.mark.parametrize(
    "kwargs",
    [{"temperature": -1}, {"top_p": 0}, {"top_p": 1.5}, {"max_new_tokens": 0},
     {"repetition_penalty": 0}],
)  # fmt: skip
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(UsageError):
        GenerationParams(**kwargs)
