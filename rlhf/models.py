"""Models in and out of training: which directory a stage starts from, the tokenizer with a
training chat template, LoRA settings, and the finished model saved and registered by name.

- `model: smollm2-135m-instruct` (or any name `parley models list` shows, an HF directory, a hub
  id) starts from that model's safetensors directory. The embedded GGUF is converted first
  (`assistant.models.ensure_embedded`): TRL refuses GGUF-loaded models.
- `model: tiny` builds a random 2-layer Llama (hidden size 16) with the embedded model's tokenizer,
  once, under the run's directory: seconds to train, for tests and the cpu-tiny pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import models as registry
from assistant import paths
from rlhf.distributed import script  # noqa: F401  (where the stage scripts import it from)

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

TINY = "tiny"
# SmolLM2's pad token is its EOS: a reward head, PPO and RLOO need a distinct pad, or every
# sequence is cut at its first pad and the stop is never seen
DISTINCT_PAD = "<|endoftext|>"

# SmolLM2's own ChatML template, unchanged in what it renders, with `{% generation %}` markers
# around each assistant reply and its `<|im_end|>`, so TRL can put the loss on those tokens only
# (TRL patches only the templates it knows; SmolLM2's is not one of them).
CHATML_TRAINING_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\\n' }}{% endif %}"
    "{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\\n' }}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}"
    "{% else %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] "
    "+ '<|im_end|>\\n' }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def runs_dir() -> Path:
    return paths.home() / "runs"


def _tokenizer_source() -> Path:
    """The embedded model's tokenizer: from the converted directory, else from the GGUF."""
    spec = registry.embedded_spec()
    if registry.is_converted(spec):
        return Path(spec.path)
    from transformers import AutoTokenizer

    gguf = registry.embedded_gguf()
    out = paths.home() / "tokenizers" / registry.EMBEDDED_NAME
    if not (out / "tokenizer.json").exists():
        AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(out)
    return out


def build_tiny(out: Path, hidden_size: int = 16, layers: int = 2, context: int = 256) -> Path:
    """A random tiny Llama with the real tokenizer, saved once at `out` (seeded: reproducible)."""
    if (out / "config.json").exists():
        return out
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(_tokenizer_source())
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=context,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def model_dir(name: str, workdir: Path, progress=None) -> Path:
    """The safetensors directory a stage starts from (see the module docstring)."""
    if name == TINY:
        return build_tiny(workdir / "tiny-init")
    spec = registry.resolve(name)
    if spec.kind == "embedded":
        return registry.ensure_embedded(progress)
    return Path(registry.local_path(spec, progress))


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """The model's tokenizer; a ChatML template without generation markers gets the equivalent
    training template (it renders the same text, so inference is unchanged)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    template = tokenizer.chat_template or ""
    if "<|im_start|>" in template and "{% generation %}" not in template:
        tokenizer.chat_template = CHATML_TRAINING_TEMPLATE
    return tokenizer


def lora_config(
    r: int,
    alpha: int,
    dropout: float,
    targets: str,
    task_type: str = "CAUSAL_LM",
    top_layers: int = 0,
    model_path: str | Path | None = None,
):
    """LoRA on `targets`; with `top_layers` N > 0, only in the last N transformer layers, so
    backpropagation stops there (a CPU-time lever: the lower layers only run forward)."""
    from peft import LoraConfig

    target_modules: Any = targets if targets == "all-linear" else targets.split(",")
    layers = None
    if top_layers and model_path is not None:
        import json

        total = json.loads((Path(model_path) / "config.json").read_text())["num_hidden_layers"]
        layers = list(range(max(total - top_layers, 0), total))
        if targets == "all-linear":
            target_modules = [
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "gate_proj",
                "up_proj",
                "down_proj",
            ]
    return LoraConfig(
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=target_modules,
        task_type=task_type,
        layers_to_transform=layers,
    )


def save_final(model, tokenizer, out: Path) -> tuple[Path, Path | None]:
    """The trained model as a plain HF directory `out/model` (LoRA merged in) and, for LoRA,
    the adapter alone in `out/adapter`. Returns (model dir, adapter dir or None)."""
    adapter = None
    if hasattr(model, "peft_config"):
        adapter = out / "adapter"
        model.save_pretrained(adapter)
        model = model.merge_and_unload()
    merged = out / "model"
    model.save_pretrained(merged, safe_serialization=True)
    save_final_tokenizer(tokenizer, merged)
    return merged, adapter


def save_trained(trainer, tokenizer, out: Path, start: Path, model=None) -> Path:
    """`save_final` for a trainer on any number of processes; every rank calls it, rank 0
    writes. Sharded weights (FSDP, DeepSpeed) are gathered by the trainer's own `save_model`;
    a LoRA adapter is then merged into a fresh copy of `start` on the CPU. `model`: the trained
    module when it is not `trainer.model` itself (PPO's policy). Returns the model directory."""
    accelerator = trainer.accelerator
    sharded = getattr(trainer, "is_fsdp_enabled", False) or getattr(
        trainer, "is_deepspeed_enabled", False
    )
    if sharded:
        trainer.save_model(str(out / "gathered"))  # a collective; rank 0 writes
        if accelerator.is_main_process:
            _finish_gathered(out, tokenizer, start)
    elif accelerator.is_main_process:
        save_final(model or accelerator.unwrap_model(trainer.model), tokenizer, out)
    accelerator.wait_for_everyone()
    return out / "model"


def _finish_gathered(out: Path, tokenizer, start: Path) -> None:
    import shutil

    gathered, final = out / "gathered", out / "model"
    shutil.rmtree(final, ignore_errors=True)
    if not (gathered / "adapter_config.json").exists():
        gathered.rename(final)
        save_final_tokenizer(tokenizer, final)
        return
    from peft import PeftConfig, PeftModel
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    shutil.rmtree(out / "adapter", ignore_errors=True)
    gathered.rename(out / "adapter")
    seq_cls = str(PeftConfig.from_pretrained(out / "adapter").task_type) == "SEQ_CLS"
    auto = AutoModelForSequenceClassification if seq_cls else AutoModelForCausalLM
    base = auto.from_pretrained(
        start, dtype="float32", use_safetensors=True, **({"num_labels": 1} if seq_cls else {})
    )
    if seq_cls:
        base.config.pad_token_id = tokenizer.pad_token_id  # the reward model's distinct pad
    merged = PeftModel.from_pretrained(base, out / "adapter").merge_and_unload()
    merged.save_pretrained(final, safe_serialization=True)
    save_final_tokenizer(tokenizer, final)


def save_final_tokenizer(tokenizer, directory: Path) -> None:
    if "{% generation %}" in (tokenizer.chat_template or ""):
        # the markers serve training only; the engine's plain rendering rejects the tag
        plain = tokenizer.chat_template.replace("{% generation %}", "")
        tokenizer.chat_template = plain.replace("{% endgeneration %}", "")
    tokenizer.save_pretrained(directory)


def global_batch(args, world_size: int) -> int:
    """Sequences (pairs, rollouts) per optimizer step over all processes."""
    return args.per_device_train_batch_size * args.gradient_accumulation_steps * world_size


def register(name: str, path: Path, description: str, **meta: Any) -> None:
    registry.register_model(name, path, description, **meta)


def publish(stage: str, run: Any, out: Path, final: Path, info: dict, description: str) -> None:
    """Write `run.json` beside the model, register it when the recipe says so, and say where."""
    (out / "run.json").write_text(json.dumps(info, indent=2))
    if run.register:
        register(run.name, final, description, **info)
    what = "model" if stage == "sft" else "policy"
    print(f"{stage}: {what} saved to {final}" + (f", registered as {run.name}" * run.register))
