"""The llama.cpp backend on the embedded model's own Q4_1 GGUF: the events a user sees, seeds,
cancellation, batched concurrent answers, conversation caching, and backend choice."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (`make install`)")

from assistant.inference import (  # noqa: E402
    Done,
    GenerationParams,
    Started,
    TextChunk,
    choose_backend,
    generate_pair,
    gguf_engine,
    load_engine,
)
from assistant.inference.llamacpp_backend import N_BATCH, LlamaCppBackend  # noqa: E402
from assistant.inference.transformers_backend import TransformersBackend  # noqa: E402
from assistant.models import embedded_gguf, embedded_spec  # noqa: E402

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=24)
QUESTIONS = ["What is the capital of France?", "Name three colours.", "Say hello in Portuguese."]


@pytest.fixture(scope="module")
def engine():
    engine = gguf_engine(embedded_gguf(), name="smollm2-135m-instruct")
    yield engine
    engine.close()


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_events_stream_the_answer_and_report_counts(engine):
    events = list(engine.generate(ask("What is the capital of France?"), GREEDY))
    assert isinstance(events[0], Started) and isinstance(events[-1], Done)
    done = events[-1]
    chunks = [e.text for e in events if isinstance(e, TextChunk)]
    assert "".join(chunks) == done.text and len(chunks) > 1
    assert "Paris" in done.text
    assert done.prompt_tokens == events[0].prompt_tokens > 10
    assert 0 < done.completion_tokens <= 24
    assert done.finish_reason in ("eos", "length")
    assert done.first_token_seconds is not None and done.first_token_seconds <= done.seconds


def test_prompt_ids_match_the_transformers_tokenizer(engine, tokenizer_dir):
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(tokenizer_dir)
    for text in [*QUESTIONS, "Olá! ☕ 日本語 — “quotes” \t tabs", "x <|im_end|> y"]:
        messages = engine.with_system(ask(text))
        expected = hf.apply_chat_template(messages, add_generation_prompt=True, return_dict=False)
        assert engine.encode(messages) == list(expected)
        ids = hf.encode(text, add_special_tokens=False)
        assert engine.tokenizer.encode(text) == ids
        assert engine.tokenizer.decode(ids) == hf.decode(ids)


def test_length_limit_seed_and_sampling(engine):
    story = ask("Tell me a long story about a dragon.")
    done = engine.reply(story, GenerationParams(temperature=0.0, max_new_tokens=5))
    assert (done.completion_tokens, done.finish_reason) == (5, "length")
    hot = GenerationParams(temperature=1.0, top_p=0.95, max_new_tokens=16, seed=7)
    first, again = engine.reply(story, hot), engine.reply(story, hot)
    assert first.text == again.text and first.seed == 7
    others = {
        engine.reply(
            story, GenerationParams(temperature=1.0, top_p=0.95, max_new_tokens=16, seed=s)
        ).text
        for s in (1, 2, 3)
    }
    assert len(others | {first.text}) > 1


def test_a_repetition_penalty_breaks_a_loop(engine):
    def repeats(penalty: float) -> int:
        params = GenerationParams(temperature=0.0, max_new_tokens=80, repetition_penalty=penalty)
        lines = engine.reply(ask("Write a poem about the sea."), params).text.splitlines()
        return max(lines.count(line) for line in lines if line.strip())

    assert repeats(1.0) >= 2  # greedy, this model repeats whole lines
    assert repeats(1.3) == 1


def test_cancel_stops_between_tokens_and_keeps_the_partial_answer(engine):
    cancel = threading.Event()
    seen = []
    for event in engine.generate(
        ask("Tell me a long story."), GenerationParams(temperature=0.0), cancel
    ):
        if isinstance(event, TextChunk):
            seen.append(event.text)
            if len(seen) == 3:
                cancel.set()
        done = event
    assert done.finish_reason == "cancelled"
    assert done.text.startswith("".join(seen)) and 3 <= done.completion_tokens < 10
    assert engine.reply(ask("What is the capital of France?"), GREEDY).finish_reason != "cancelled"


def test_esc_during_a_long_prompt_stops_reading_it_within_one_chunk(engine):
    cancel = threading.Event()
    before = engine.backend.evaluated_tokens
    events = engine.generate(ask("The cat sat on the mat. " * 700), GREEDY, cancel)
    started = next(events)
    cancel.set()  # Esc right after sending a long paste
    *_, done = events
    assert started.prompt_tokens > 8 * N_BATCH and done.finish_reason == "cancelled"
    after = engine.reply(ask("What is the capital of France?"), GREEDY)  # the worker's next job
    assert "Paris" in after.text
    read = engine.backend.evaluated_tokens - before - after.prompt_tokens - after.completion_tokens
    assert read <= N_BATCH  # at most the chunk under way when Esc came, not the whole prompt


def test_concurrent_answers_are_batched_and_equal_to_one_at_a_time(engine):
    alone = [engine.reply(ask(q), GREEDY).text for q in QUESTIONS[:2]]
    pair = generate_pair(engine, ask(QUESTIONS[0]), GREEDY, engine, ask(QUESTIONS[1]), GREEDY)
    assert [d.text for d in pair] == alone
    same = generate_pair(engine, ask(QUESTIONS[2]), GREEDY, engine, ask(QUESTIONS[2]), GREEDY)
    assert same[0].text == same[1].text == engine.reply(ask(QUESTIONS[2]), GREEDY).text
    assert (
        engine.backend.max_batch_seen == 2
    )  # the two sequences went through llama_decode together


def test_a_second_turn_reuses_the_cache_and_answers_as_a_fresh_engine_would(engine):
    first = engine.reply(ask("What is the capital of France?"), GREEDY)
    turn2 = [*ask("What is the capital of France?"), {"role": "assistant", "content": first.text}]
    turn2.append({"role": "user", "content": "And of Italy?"})
    before = engine.backend.evaluated_tokens
    second = engine.reply(turn2, GREEDY)
    evaluated = engine.backend.evaluated_tokens - before - second.completion_tokens
    assert evaluated < second.prompt_tokens - first.prompt_tokens  # the old turns were cached
    fresh = gguf_engine(embedded_gguf(), name="fresh")
    try:
        assert fresh.reply(turn2, GREEDY).text == second.text
    finally:
        fresh.close()


def test_backend_choice(monkeypatch, tiny_model_dir):
    from assistant.models import ModelSpec

    assert choose_backend(embedded_spec()) == "llamacpp"
    assert choose_backend(embedded_spec(), "transformers") == "transformers"
    assert choose_backend(embedded_spec(), "llamacpp") == "llamacpp"
    assert choose_backend(ModelSpec("tiny", "local", str(tiny_model_dir))) == "llamacpp"
    assert choose_backend(ModelSpec("x", "hub", "org/x")) == "transformers"
    from assistant.errors import UsageError

    with pytest.raises(UsageError, match="cannot run x"):
        choose_backend(ModelSpec("x", "hub", "org/x"), "llamacpp")
    with pytest.raises(UsageError, match="unknown backend"):
        choose_backend(embedded_spec(), "onnx")


def test_engine_load_picks_llamacpp_and_exports_a_checkpoint(monkeypatch, tiny_model_dir):
    engine = load_engine(str(tiny_model_dir), progress=lambda m: None)
    try:
        assert isinstance(engine.backend, LlamaCppBackend)
        assert engine.backend.gguf_path.parent == tiny_model_dir / ".parley-gguf"
        assert engine.context_window == 128
        assert engine.reply(ask("Hi"), GREEDY).completion_tokens > 0
    finally:
        engine.close()
    reference = load_engine(str(tiny_model_dir), backend="transformers")
    assert isinstance(reference.backend, TransformersBackend)
