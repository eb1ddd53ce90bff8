#!/usr/bin/env bash
# Parley's GPU recipes on this machine's GPUs, a few steps each under every accelerate config in
# rlhf/accelerate/ (one GPU, DDP, FSDP2, DeepSpeed ZeRO-2 and ZeRO-3): SFT (full and LoRA), the
# reward model and PPO. Prints one row per run: tokens/s (PPO: seconds per step, after the first)
# and rank 0's peak GPU memory, and writes the table to $OUT/gpu_check.md.
#
#   make setup && bash bench/gpu_check.sh                 # SmolLM2-360M shape, random weights
#   SIZE=1.7b STEPS=8 bash bench/gpu_check.sh             # SmolLM2-1.7B shape
#   MODEL=HuggingFaceTB/SmolLM2-360M-Instruct PARLEY_ALLOW_DOWNLOAD=1 bash bench/gpu_check.sh
#
# Without MODEL the model is built from SmolLM2's config with random weights and the embedded
# model's tokenizer: nothing is downloaded (speed and memory do not depend on the weights).
# DDP, FSDP2 and ZeRO need 2+ GPUs (skipped on one); ZeRO needs `pip install deepspeed`
# (skipped without it). PPO does not run under FSDP (TRL's PPO trainer does not support it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PY:-.venv/bin/python}
STEPS=${STEPS:-5}
SIZE=${SIZE:-360m}
OUT=${OUT:-runs/gpu-check}
export PARLEY_HOME=${PARLEY_HOME:-$OUT/home}
mkdir -p "$OUT"

NGPU=$("$PY" -c "import torch; print(torch.cuda.device_count())")
if [ "$NGPU" -lt 1 ]; then
  echo "gpu_check: no CUDA GPU (torch.cuda.device_count() is 0); on CPU use bench/scale.py" >&2
  exit 1
fi
HAS_DS=$("$PY" -c "import importlib.util as u; print(int(u.find_spec('deepspeed') is not None))")

if [ -z "${MODEL:-}" ]; then
  MODEL="$OUT/smollm2-$SIZE-random"
  "$PY" - "$MODEL" "$SIZE" <<'EOF'
import sys
from pathlib import Path

import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

from rlhf.models import _tokenizer_source

out, size = Path(sys.argv[1]), sys.argv[2]
if not (out / "config.json").exists():
    shapes = {  # SmolLM2-360M / -1.7B (HF config.json)
        "360m": dict(hidden_size=960, intermediate_size=2560, num_hidden_layers=32,
                     num_attention_heads=15, num_key_value_heads=5),
        "1.7b": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=24,
                     num_attention_heads=32, num_key_value_heads=32),
    }
    tokenizer = AutoTokenizer.from_pretrained(_tokenizer_source())
    config = LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=8192,
                         rope_theta=100000.0, tie_word_embeddings=True,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, **shapes[size])
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
EOF
fi

PREFS="$OUT/prefs.jsonl"
"$PY" - "$PREFS" <<'EOF'
import json, sys
rows = [{"prompt": [{"role": "user", "content": f"Tell me about topic {i}."}],
         "chosen": [{"role": "assistant", "content": "A short, clear and correct answer. " * 4}],
         "rejected": [{"role": "assistant", "content": "no " * (10 + i % 40)}]} for i in range(512)]
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in rows))
EOF

summarize() {  # RUN_DIR LABEL -> one table row from metrics.jsonl
  "$PY" - "$1" "$2" <<'EOF'
import json, sys
from pathlib import Path
rows = [json.loads(l) for l in (Path(sys.argv[1]) / "metrics.jsonl").read_text().splitlines() if l]
peak = next((r["peak_gpu_memory_gb"] for r in rows if "peak_gpu_memory_gb" in r), float("nan"))
steps = [r for r in rows if "num_tokens" in r]
if steps and len(steps) > 1:
    rate = (steps[-1]["num_tokens"] - steps[0]["num_tokens"]) / (steps[-1]["time"] - steps[0]["time"])
    figure = f"{rate:,.0f} tokens/s"
else:
    ppo = [r for r in rows if "objective/kl" in r]
    figure = f"{(ppo[-1]['time'] - ppo[0]['time']) / max(len(ppo) - 1, 1):.2f} s/step"
print(f"| {sys.argv[2]} | {figure} | {peak:.1f} GB |")
EOF
}

TABLE="$OUT/gpu_check.md"
echo "| run | speed | peak GPU memory (rank 0) |" > "$TABLE"
echo "| --- | ---: | ---: |" >> "$TABLE"
COMMON=(--max_steps "$STEPS" --logging_steps 1 --save_steps 100000 --report_to none --disable_tqdm true)

for config in single ddp fsdp zero2 zero3; do
  nproc=1
  if [ "$config" != single ]; then
    [ "$NGPU" -ge 2 ] || { echo "gpu_check: $config skipped (needs 2+ GPUs)" >&2; continue; }
    nproc=$NGPU
  fi
  if [[ $config == zero* && $HAS_DS == 0 ]]; then
    echo "gpu_check: $config skipped (pip install deepspeed)" >&2; continue
  fi
  launch=(accelerate.commands.launch --config_file "rlhf/accelerate/$config.yaml" --num_processes "$nproc")
  dir="$OUT/$config"
  rm -rf "$dir"
  "$PY" -m "${launch[@]}" -m rlhf.sft --config sft-gpu --model "$MODEL" --output_dir "$dir/sft" \
    --register false "${COMMON[@]}"
  summarize "$dir/sft" "$config: SFT full ($SIZE, bf16, $nproc GPU)" | tee -a "$TABLE"
  "$PY" -m "${launch[@]}" -m rlhf.sft --config sft-gpu-lora --model "$MODEL" \
    --output_dir "$dir/sft-lora" --register false "${COMMON[@]}"
  summarize "$dir/sft-lora" "$config: SFT LoRA ($SIZE, bf16, $nproc GPU)" | tee -a "$TABLE"
  "$PY" -m "${launch[@]}" -m rlhf.reward --config reward-gpu --model "$MODEL" --data "$PREFS" \
    --output_dir "$dir/reward" "${COMMON[@]}"
  summarize "$dir/reward" "$config: reward full ($SIZE, bf16, $nproc GPU)" | tee -a "$TABLE"
  if [ "$config" != fsdp ]; then
    episodes=$((STEPS * 16 * nproc))  # ppo-gpu: 16 rollouts a GPU a step
    "$PY" -m "${launch[@]}" -m rlhf.ppo --config ppo-gpu --policy "$MODEL" \
      --reward_model "$dir/reward/model" --output_dir "$dir/ppo" --total_episodes "$episodes" \
      --sample_prompts 0 --register false --save_steps 100000 --report_to none
    summarize "$dir/ppo" "$config: PPO full ($SIZE, bf16, $nproc GPU)" | tee -a "$TABLE"
  fi
done
echo
cat "$TABLE"
