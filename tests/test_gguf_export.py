"""GGUF export of Llama checkpoints: the file's contents, the cache, refusals, and (with
llama-cpp-python installed) greedy tokens identical to transformers on the tiny Llama."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from assistant.inference import GenerationParams, gguf_export

PROMPTS = [
    "Hi",
    "What is the capital of France?",
    "Olá, tudo bem? ☕ 日本語",
    "Write a list:\n- one\n- two",
]


def test_export_writes_llama_metadata_and_rope_permuted_weights(tiny_model_dir, tmp_path):
    from gguf import GGUFReader
    from safetensors.numpy import load_file

    out = gguf_export.export(tiny_model_dir, tmp_path / "tiny.gguf", "f32")
    reader = GGUFReader(out)
    fields = {k: f.contents() for k, f in reader.fields.items() if "tokens" not in k}
    assert fields["general.architecture"] == "llama"
    assert fields["llama.block_count"] == 2
    assert fields["llama.attention.head_count_kv"] == 1
    assert fields["llama.context_length"] == 128
    assert fields["tokenizer.ggml.eos_token_id"] == 2  # <|im_end|>, the chat's stop token
    assert "<|im_start|>" in fields["tokenizer.chat_template"]
    tensors = {t.name: t for t in reader.tensors}
    assert "output.weight" not in tensors  # tied embeddings: llama.cpp reuses token_embd
    assert len(tensors) == 2 + 2 * 9
    hf = load_file(tiny_model_dir / "model.safetensors")
    q = np.array(tensors["blk.1.attn_q.weight"].data).reshape(16, 16)
    k = np.array(tensors["blk.1.attn_k.weight"].data).reshape(8, 16)
    assert np.array_equal(q, gguf_export.permute(hf["model.layers.1.self_attn.q_proj.weight"], 2))
    assert np.array_equal(k, gguf_export.permute(hf["model.layers.1.self_attn.k_proj.weight"], 1))
    assert not np.array_equal(q, hf["model.layers.1.self_attn.q_proj.weight"])
    v = np.array(tensors["blk.0.attn_v.weight"].data).reshape(8, 16)
    assert np.array_equal(v, hf["model.layers.0.self_attn.v_proj.weight"])


def test_q8_0_export_quantizes_whole_blocks_and_keeps_narrow_rows_f16(tiny_model_dir, tmp_path):
    from gguf import GGUFReader

    reader = GGUFReader(gguf_export.export(tiny_model_dir, tmp_path / "q.gguf", "q8_0"))
    kinds = {t.name: t.tensor_type.name for t in reader.tensors}
    assert kinds["blk.0.ffn_down.weight"] == "Q8_0"  # rows of 32 = one block
    assert kinds["blk.0.attn_q.weight"] == "F16"  # rows of 16 cannot be Q8_0 blocks
    assert kinds["blk.0.attn_norm.weight"] == "F32"


def test_ensure_gguf_exports_once_and_again_after_the_checkpoint_changes(tiny_model_dir, tmp_path):
    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny_model_dir, ckpt)
    messages: list[str] = []
    first = gguf_export.ensure_gguf(ckpt, "f16", progress=messages.append)
    assert first.parent == ckpt / ".parley-gguf" and first.exists()
    assert len(messages) == 1
    mtime = first.stat().st_mtime_ns
    assert gguf_export.ensure_gguf(ckpt, "f16", progress=messages.append) == first
    assert first.stat().st_mtime_ns == mtime and len(messages) == 1  # cached: no second export
    config = json.loads((ckpt / "config.json").read_text())
    (ckpt / "config.json").write_text(json.dumps({**config, "rms_norm_eps": 1e-5}))
    second = gguf_export.ensure_gguf(ckpt, "f16")
    assert second != first and second.exists() and not first.exists()
    assert not list((ckpt / ".parley-gguf").glob("*.tmp"))


def test_read_only_checkpoint_exports_into_parley_home(tiny_model_dir, tmp_path, parley_home):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    ckpt = tmp_path / "ro"
    shutil.copytree(tiny_model_dir, ckpt)
    ckpt.chmod(0o555)
    try:
        path = gguf_export.ensure_gguf(ckpt, "f16")
    finally:
        ckpt.chmod(0o755)
    assert parley_home in path.parents


def test_other_architectures_and_tokenizers_are_refused(tiny_model_dir, tmp_path):
    gpt2 = tmp_path / "gpt2"
    shutil.copytree(tiny_model_dir, gpt2)
    config = json.loads((gpt2 / "config.json").read_text())
    (gpt2 / "config.json").write_text(json.dumps({**config, "model_type": "gpt2"}))
    with pytest.raises(gguf_export.UnsupportedModel, match="only Llama-architecture"):
        gguf_export.ensure_gguf(gpt2)
    other = tmp_path / "other-tok"
    shutil.copytree(tiny_model_dir, other)
    tok = json.loads((other / "tokenizer.json").read_text())
    vocab = tok["model"]["vocab"]
    a, b = list(vocab)[100:102]
    vocab[a], vocab[b] = vocab[b], vocab[a]
    (other / "tokenizer.json").write_text(json.dumps(tok))
    with pytest.raises(gguf_export.UnsupportedModel, match="its own tokenizer"):
        gguf_export.ensure_gguf(other)


def test_chat_template_renders_as_transformers_does(tiny_model_dir):
    from transformers import AutoTokenizer

    from assistant.inference.chat_template import ChatTemplate

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    template = ChatTemplate(tokenizer.chat_template)
    for prompt in PROMPTS:
        for messages in (
            [{"role": "user", "content": prompt}],
            [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": prompt},
                {"role": "assistant", "content": "  ok\n"},
                {"role": "user", "content": prompt},
            ],
        ):
            expected = tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, tokenize=False
            )
            assert template.render(messages) == expected


def test_f32_export_greedy_tokens_equal_transformers(tiny_model_dir, tiny_engine, tmp_path):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (`make install`)")
    from assistant.inference import gguf_engine

    path = gguf_export.export(tiny_model_dir, tmp_path / "tiny.gguf", "f32")
    fast = gguf_engine(path, name="tiny", threads=2)
    try:
        params = GenerationParams(temperature=0.0, max_new_tokens=24)
        for prompt in PROMPTS:
            messages = [{"role": "user", "content": prompt}]
            assert fast.encode(fast.with_system(messages)) == tiny_engine.encode(
                tiny_engine.with_system(messages)
            )
            ref, got = tiny_engine.reply(messages, params), fast.reply(messages, params)
            assert got.text == ref.text
            assert (got.completion_tokens, got.finish_reason) == (
                ref.completion_tokens,
                ref.finish_reason,
            )
    finally:
        fast.close()
