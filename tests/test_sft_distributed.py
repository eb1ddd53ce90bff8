"""SFT in two CPU processes: `torchrun --nproc_per_node 2 -m rlhf.sft` runs as MULTI_CPU over gloo
with no extra flag (`accelerate launch --cpu --num_processes 2` would start only one process here).
The other stages, the match with one process, resume and FSDP2: tests/test_distributed.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_two_process_sft_reports_world_size_two(tiny_model_dir, tmp_path):
    chat = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello there!"}]
    rows = [{"messages": chat}] * 8
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "run"
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [
        str(torchrun),
        "--nproc_per_node",
        "2",
        "--master_port",
        "29533",
        "-m",
        "rlhf.sft",
        "--model",
        str(tiny_model_dir),
        "--data",
        str(data),
        "--output_dir",
        str(out),
        "--use_lora",
        "false",
        "--max_steps",
        "2",
        "--per_device_train_batch_size",
        "2",
        "--eval_fraction",
        "0",
        "--max_length",
        "96",
        "--save_steps",
        "2",
        "--register",
        "false",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # no --use_cpu: a CPU machine needs none
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    info = json.loads((out / "run.json").read_text())
    assert info["world_size"] == 2 and info["steps"] == 2
