"""Export a Llama-architecture Hugging Face checkpoint (safetensors dir) to GGUF for llama.cpp.

    python -m assistant.inference.gguf_export CHECKPOINT_DIR [--type q8_0|q4_1|q4_0|f16|f32]
        [--out FILE]

Parley's llama.cpp backend calls `ensure_gguf(dir)` the first time it runs a checkpoint: the file is
written once into `CHECKPOINT_DIR/.parley-gguf/`, named after the weights' fingerprint (so a changed
checkpoint gets a fresh export), to a temporary name that is renamed when complete (a kill mid-way
leaves nothing half-written). No torch: safetensors are read with numpy, quantized with `gguf`.

Every checkpoint Parley trains shares the embedded model's tokenizer, so the tokenizer metadata is
copied from the embedded GGUF; the checkpoint's own chat template and special token ids win. A
checkpoint with another tokenizer or architecture raises `UnsupportedModel` (use the transformers
backend for it).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import hashlib
import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant import models, paths
from assistant.errors import ModelLoadError, UsageError

EXPORT_VERSION = 1  # bump when the export changes, so cached files are rewritten
CACHE_DIR = ".parley-gguf"
QTYPES = ("q8_0", "q4_1", "q4_0", "f16", "f32")
DEFAULT_QTYPE = "q8_0"  # near-lossless; see bench/generate.py for its speed against q4_1


class UnsupportedModel(ModelLoadError):
    """The checkpoint cannot run on llama.cpp (architecture, tokenizer); transformers can."""


# --- reading the checkpoint ---


def read_config(src: Path) -> dict[str, Any]:
    try:
        return json.loads((src / "config.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ModelLoadError(f"{src}: cannot read config.json ({e})") from e


def check_supported(src: Path) -> dict[str, Any]:
    """The config of a checkpoint llama.cpp can run as exported here, or UnsupportedModel."""
    config = read_config(src)
    if config.get("model_type") != "llama":
        raise UnsupportedModel(
            f"{src} is a {config.get('model_type')!r} model; the llama.cpp backend exports only "
            "Llama-architecture checkpoints (use --backend transformers)"
        )
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    if rope.get("rope_type", rope.get("type", "default")) not in ("default", None):
        raise UnsupportedModel(f"{src}: rope scaling {rope.get('rope_type')!r} is not exported")
    if config.get("attention_bias") or config.get("mlp_bias"):
        raise UnsupportedModel(f"{src}: attention/MLP biases are not exported")
    if not list(src.glob("*.safetensors")):
        raise ModelLoadError(f"{src} has no *.safetensors weights")
    return config


_ST_DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def read_safetensors(src: Path) -> Iterator[tuple[str, np.ndarray]]:
    """(name, float32 array) for every tensor in the directory's *.safetensors files."""
    for file in sorted(src.glob("*.safetensors")):
        data = np.memmap(file, dtype=np.uint8, mode="r")
        (header_len,) = struct.unpack("<Q", bytes(data[:8]))
        header = json.loads(bytes(data[8 : 8 + header_len]))
        base = 8 + header_len
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] not in _ST_DTYPES:
                raise UnsupportedModel(f"{file}: tensor {name} has dtype {info['dtype']}")
            start, end = info["data_offsets"]
            raw = data[base + start : base + end].view(_ST_DTYPES[info["dtype"]])
            if info["dtype"] == "BF16":  # bf16 is the top half of a float32
                array = (raw.astype(np.uint32) << 16).view(np.float32)
            else:
                array = raw.astype(np.float32)
            yield name, array.reshape(info["shape"])


def permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """HF's rotary layout for q/k rows -> llama.cpp's (convert_hf_to_gguf `LlamaModel.permute`)."""
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
_GLOBAL_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}


def gguf_name(hf_name: str) -> str:
    if hf_name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[hf_name]
    parts = hf_name.split(".", 3)  # model.layers.N.rest
    if len(parts) == 4 and parts[:2] == ["model", "layers"] and parts[3] in _LAYER_NAMES:
        return f"blk.{parts[2]}.{_LAYER_NAMES[parts[3]]}"
    raise UnsupportedModel(f"unexpected tensor {hf_name!r} in a Llama checkpoint")


# --- writing ---


def _tokenizer_overrides(src: Path, config: dict[str, Any], tokens: list[str]) -> dict[str, Any]:
    """The checkpoint's chat template and special ids, where it states them."""
    out: dict[str, Any] = {}
    tok_config: dict[str, Any] = {}
    with contextlib.suppress(OSError, json.JSONDecodeError):
        tok_config = json.loads((src / "tokenizer_config.json").read_text())
    template = src / "chat_template.jinja"
    if template.exists():
        out["tokenizer.chat_template"] = template.read_text()
    elif isinstance(tok_config.get("chat_template"), str):
        out["tokenizer.chat_template"] = tok_config["chat_template"]
    index = {t: i for i, t in enumerate(tokens)}
    for key, gguf_key in (("bos", "bos"), ("eos", "eos"), ("pad", "padding")):
        token = tok_config.get(f"{key}_token")
        token = token.get("content") if isinstance(token, dict) else token
        if isinstance(token, str) and token in index:
            out[f"tokenizer.ggml.{gguf_key}_token_id"] = index[token]
        elif isinstance(config.get(f"{key}_token_id"), int):
            out[f"tokenizer.ggml.{gguf_key}_token_id"] = config[f"{key}_token_id"]
    return out


@functools.cache
def embedded_tokens() -> tuple[str, ...]:
    import gguf

    reader = gguf.GGUFReader(models.embedded_gguf())
    return tuple(str(t) for t in reader.fields["tokenizer.ggml.tokens"].contents())


def check_tokenizer(src: Path) -> None:
    """UnsupportedModel unless the checkpoint's tokenizer is the embedded model's."""
    path = src / "tokenizer.json"
    if not path.exists():
        return  # nothing to compare: the embedded tokenizer is assumed (Parley's checkpoints)
    tokens = embedded_tokens()
    data = json.loads(path.read_text())
    mine = {**data.get("model", {}).get("vocab", {})}
    mine.update({a["content"]: a["id"] for a in data.get("added_tokens", [])})
    if len(mine) != len(tokens) or any(mine.get(t) != i for i, t in enumerate(tokens)):
        raise UnsupportedModel(
            f"{src} has its own tokenizer; the llama.cpp backend exports checkpoints that share "
            "the embedded model's tokenizer (use --backend transformers)"
        )


def export(src: str | Path, out: str | Path, qtype: str = DEFAULT_QTYPE) -> Path:
    """Write `src` (an HF Llama safetensors dir) as GGUF at `out` (not atomic: see ensure_gguf)."""
    import gguf

    if qtype not in QTYPES:
        raise UsageError(f"unknown GGUF type {qtype!r}; choose one of {', '.join(QTYPES)}")
    src, out = Path(src), Path(out)
    config = check_supported(src)
    check_tokenizer(src)
    tokens = list(embedded_tokens())
    base = gguf.GGUFReader(models.embedded_gguf())

    n_head = config["num_attention_heads"]
    n_kv = config.get("num_key_value_heads") or n_head
    head_dim = config.get("head_dim") or config["hidden_size"] // n_head
    rope = config.get("rope_parameters") or {}
    writer = gguf.GGUFWriter(out, "llama")
    writer.add_name(src.name)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_dimension_count(head_dim)
    writer.add_rope_freq_base(float(rope.get("rope_theta", config.get("rope_theta", 10000.0))))
    writer.add_layer_norm_rms_eps(float(config["rms_norm_eps"]))
    writer.add_vocab_size(config["vocab_size"])
    file_type = {"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7}[qtype]
    writer.add_file_type(file_type)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

    overrides = _tokenizer_overrides(src, config, tokens)
    for key, field in base.fields.items():
        if not key.startswith("tokenizer.") or key in overrides:
            continue
        sub = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), field.types[0], sub_type=sub)
    for key, value in overrides.items():
        if isinstance(value, str):
            writer.add_string(key, value)
        else:
            writer.add_uint32(key, value)

    for hf_name, array in read_safetensors(src):
        name = gguf_name(hf_name)
        if name == "output.weight" and config.get("tie_word_embeddings"):
            continue
        if hf_name.endswith("q_proj.weight"):
            array = permute(array, n_head)
        elif hf_name.endswith("k_proj.weight"):
            array = permute(array, n_kv)
        _add_tensor(writer, gguf, name, array, qtype)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def _add_tensor(writer: Any, gguf: Any, name: str, array: np.ndarray, qtype: str) -> None:
    if array.ndim == 1 or qtype == "f32":
        writer.add_tensor(name, np.ascontiguousarray(array, dtype=np.float32))
        return
    target = qtype
    if name in ("token_embd.weight", "output.weight") and qtype in ("q4_0", "q4_1"):
        target = "q8_0"  # 4-bit embeddings/output cost quality for little speed (as llama.cpp's)
    kind = getattr(gguf.GGMLQuantizationType, target.upper())
    block = gguf.GGML_QUANT_SIZES[kind][0]
    if target == "f16" or array.shape[-1] % block:  # rows must be whole blocks
        writer.add_tensor(name, np.ascontiguousarray(array, dtype=np.float16))
        return
    data = gguf.quants.quantize(np.ascontiguousarray(array, dtype=np.float32), kind)
    writer.add_tensor(name, data, raw_shape=data.shape, raw_dtype=kind)


# --- the cache beside the checkpoint ---


def fingerprint(src: Path, qtype: str) -> str:
    """Changes when the weights, config or tokenizer files change (name, size, mtime)."""
    h = hashlib.sha256(f"v{EXPORT_VERSION}:{qtype}".encode())
    for file in sorted(src.iterdir()):
        if file.is_file() and file.suffix in (".json", ".safetensors", ".jinja"):
            st = file.stat()
            h.update(f"{file.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def cache_dir(src: Path) -> Path:
    """`src/.parley-gguf`, or a per-checkpoint dir in Parley's home if `src` is read-only."""
    if os.access(src, os.W_OK):
        return src / CACHE_DIR
    key = hashlib.sha256(str(src.resolve()).encode()).hexdigest()[:16]
    return paths.home() / "gguf-cache" / key


def cached_path(src: Path, qtype: str = DEFAULT_QTYPE) -> Path:
    """Where the export of `src` in `qtype` is (or will be) cached."""
    return cache_dir(src) / f"model-{qtype}-{fingerprint(src, qtype)}.gguf"


def ensure_gguf(
    src: str | Path, qtype: str = DEFAULT_QTYPE, progress: models.Progress | None = None
) -> Path:
    """The checkpoint's GGUF, exporting it once (a few seconds for a 135M model)."""
    src = Path(src).resolve()
    target = cached_path(src, qtype)
    if target.exists():
        return target
    check_supported(src)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():  # another process exported it while we waited
            return target
        if progress:
            progress(f"Exporting {src.name} to GGUF ({qtype}) once for llama.cpp: {target}")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            export(src, tmp, qtype)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        for stale in folder.glob(f"model-{qtype}-*.gguf"):
            if stale != target:
                stale.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path, help="an HF Llama safetensors directory")
    parser.add_argument("--type", default=DEFAULT_QTYPE, choices=QTYPES, help="weight format")
    parser.add_argument("--out", type=Path, help="write here instead of the cache beside it")
    args = parser.parse_args(argv)
    if args.out:
        path = export(args.checkpoint, args.out, args.type)
    else:
        path = ensure_gguf(args.checkpoint, args.type, progress=print)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
