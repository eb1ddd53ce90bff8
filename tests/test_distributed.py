"""Every training stage on two CPU processes, against one process with the same global batch.

One `accelerate launch --config_file rlhf/accelerate/ddp.yaml` (2 processes, MULTI_CPU over gloo)
runs SFT, reward, DPO, PPO and RLOO one after another (`-m rlhf.distributed PLAN`: one start-up
for all), SFT and PPO killed midway and resumed; one `torchrun` runs SFT and the reward model as
FSDP2 (`fully_shard` on a CPU mesh). The one-process references run in this process.

Tolerances: SFT, reward and DPO are deterministic, so two processes must give the one-process
loss curve (within 1e-4 per step) and final weights (the difference under 1% of the update
itself). PPO and RLOO sample on each rank from its own random stream and TRL's PPO whitens
advantages per rank, so their weights are not compared; what must match is the global batch (the
same episodes and tokens per step) and the first step's reward, taken before any update, within
0.01 (near-greedy rollouts, temperature 0.01; padding differs between 4 prompts and 2+2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rlhf import callbacks, distributed
from rlhf.stage import flags

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
STAGES = ("sft", "reward", "dpo", "ppo", "rloo")
GLOBAL_BATCH = 4


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """The module's runs see a hermetic Parley home (the per-test one comes after them)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARLEY_HOME", str(tmp_path_factory.mktemp("home")))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def inputs(
    home, tiny_model_dir, tiny_reward_dir, tiny_prompts, tmp_path_factory
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    chats = [
        [
            {"role": "user", "content": f"question {i} about things?"},
            {"role": "assistant", "content": "Here is an answer " + "word " * (i % 5)},
        ]
        for i in range(16)
    ]
    (root / "sft.jsonl").write_text("".join(json.dumps({"messages": c}) + "\n" for c in chats))
    pairs = [
        {
            "prompt": [{"role": "user", "content": f"question {i}?"}],
            "chosen": [{"role": "assistant", "content": "Sure, here it is."}],
            "rejected": [{"role": "assistant", "content": "no " * (3 + i % 4)}],
        }
        for i in range(16)
    ]
    (root / "prefs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    files = {p.stem: p for p in root.iterdir()}
    return {"model": tiny_model_dir, "rm": tiny_reward_dir, "prompts": tiny_prompts, **files}


def argv(stage: str, inputs: dict[str, Path], out: Path, per_device: int, *extra: str) -> list:
    """The stage's command line; `per_device` x processes = GLOBAL_BATCH sequences per step."""
    model, rm, prompts = str(inputs["model"]), str(inputs["rm"]), str(inputs["prompts"])
    on_prefs = {"model": model, "data": str(inputs["prefs"]), "max_steps": 3, "save_steps": 3}
    against_rm = {"policy": model, "reward_model": rm, "prompts": prompts}
    per_stage = {
        "sft": {
            "config": "sft-cpu-tiny",
            "model": model,
            "data": str(inputs["sft"]),
            "max_steps": 4,
            "eval_fraction": 0,
            "max_length": 96,
            "save_steps": 1,
            "logging_steps": 1,
            "register": False,
        },
        "reward": {
            "config": "reward-cpu-tiny",
            **on_prefs,
            "eval_fraction": 0.25,
            "logging_steps": 1,
            "learning_rate": 0.01,
        },
        "dpo": {"config": "dpo-cpu-tiny", **on_prefs, "name": f"dpo-{out.parent.name}"},
        "ppo": {
            "config": "ppo-cpu-tiny",
            **against_rm,
            "total_episodes": 8,
            "response_length": 8,
            "local_rollout_forward_batch_size": per_device,
            "temperature": 0.01,
            "sample_prompts": 2,
            "save_steps": 1,
            "register": False,
        },
        "rloo": {"config": "rloo-cpu-tiny", **against_rm, "max_steps": 2, "register": False},
    }
    common = {"output_dir": out, "per_device_train_batch_size": per_device, "disable_tqdm": True}
    return [*flags({**per_stage[stage], **common}), *extra]


def accelerate_launch(config: str, port: int, *more: str) -> list[str]:
    """`accelerate launch` with the shipped `rlhf/accelerate/CONFIG.yaml`, full precision, on
    `port`; `more`: launcher flags."""
    config_file = str(REPO / "rlhf" / "accelerate" / f"{config}.yaml")
    run = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", config_file]
    return [*run, *more, "--mixed_precision", "no", "--main_process_port", str(port)]


def launch(launcher: list[str], plan: list, where: Path) -> subprocess.CompletedProcess:
    (where / "plan.json").write_text(json.dumps(plan))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [*launcher, "-m", "rlhf.distributed", str(where / "plan.json")]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=800)


@pytest.fixture(scope="module")
def two(inputs, tmp_path_factory) -> Path:
    """All five stages on two processes through `accelerate launch`; SFT and PPO are killed
    at step 2 and resumed."""
    root = tmp_path_factory.mktemp("two")
    plan = []
    for stage in STAGES:
        run = argv(stage, inputs, root / stage, GLOBAL_BATCH // 2)
        if stage in ("sft", "ppo"):
            plan.append([f"rlhf.{stage}", [*run, "--interrupt_at_step", "2"]])
            run = [*run, "--resume"]
        plan.append([f"rlhf.{stage}", run])
    accelerate = accelerate_launch("ddp", 29561, "--num_processes", "2")
    done = launch(accelerate, plan, root)
    assert done.returncode == 0, done.stderr[-3000:]
    (root / "stderr.txt").write_text(done.stderr)
    return root


@pytest.fixture(scope="module")
def one(inputs, tmp_path_factory) -> Path:
    """The same stages in one process with the same global batch."""
    import importlib

    root = tmp_path_factory.mktemp("one")
    for stage in STAGES:
        importlib.import_module(f"rlhf.{stage}").main(
            argv(stage, inputs, root / stage, GLOBAL_BATCH)
        )
    return root


@pytest.fixture(scope="module")
def fsdp(inputs, tmp_path_factory) -> Path:
    """SFT and the reward model as FSDP2 on two CPU processes, through torchrun."""
    root = tmp_path_factory.mktemp("fsdp")
    plan = [
        [f"rlhf.{s}", argv(s, inputs, root / s, GLOBAL_BATCH // 2, "--fsdp", "full_shard")]
        for s in ("sft", "reward")
    ]
    done = launch(distributed.torchrun(2), plan, root)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def info(run: Path) -> dict:
    name = "eval.json" if (run / "eval.json").exists() else "run.json"
    return json.loads((run / name).read_text())


def losses(run: Path, key: str = "loss") -> list[tuple[int, float]]:
    return [(m["step"], m[key]) for m in callbacks.read_metrics(run / "metrics.jsonl") if key in m]


def weights(run: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run / "model" / "model.safetensors"))


def assert_same_training(one_run: Path, two_run: Path, start: Path) -> None:
    from safetensors.torch import load_file

    curve_1, curve_2 = losses(one_run), losses(two_run)
    assert [s for s, _ in curve_1] == [s for s, _ in curve_2] and curve_1
    assert all(abs(a - b) < 1e-4 for (_, a), (_, b) in zip(curve_1, curve_2, strict=True))
    w0, w1, w2 = load_file(str(start / "model.safetensors")), weights(one_run), weights(two_run)
    update = max((w1[k] - w0[k]).abs().max().item() for k in w0 if k in w1)  # the shared body
    apart = max((w1[k] - w2[k]).abs().max().item() for k in w1 if k in w2)
    assert update > 1e-4 and apart < 1e-2 * update, (update, apart)  # gloo sums in another order


def test_every_stage_runs_on_two_processes_with_the_recipes_global_batch(two):
    for stage in STAGES:
        record = info(two / stage)
        assert (record["world_size"], record["global_batch"]) == (2, GLOBAL_BATCH), stage
        assert (two / stage / "model" / "model.safetensors").exists()
    ppo = callbacks.read_metrics(two / "ppo" / "metrics.jsonl")
    assert ppo[0]["episode"] == GLOBAL_BATCH  # PPO's step 1: 4 rollouts over both ranks


@pytest.mark.parametrize("stage", ["sft", "reward", "dpo"])
def test_two_processes_match_one_process(stage, one, two, inputs):
    assert_same_training(one / stage, two / stage, inputs["model"])


def test_sampling_stages_match_one_process_in_batch_and_first_reward(one, two):
    first = callbacks.read_metrics(two / "ppo" / "metrics.jsonl")[0]
    ref = callbacks.read_metrics(one / "ppo" / "metrics.jsonl")[0]
    assert first["episode"] == ref["episode"] == GLOBAL_BATCH
    assert abs(first["objective/scores"] - ref["objective/scores"]) < 0.01
    assert losses(two / "rloo", "num_tokens") == losses(one / "rloo", "num_tokens")


def test_resume_on_two_processes(two, one, inputs):
    """SFT and PPO were killed at step 2 and resumed: they finish their steps, SFT lands on the
    uninterrupted one-process weights, PPO restores policy, value model and optimizer."""
    assert info(two / "sft")["steps"] == 4
    assert [s for s, _ in losses(two / "sft")] == [1, 2, 3, 4]  # killed in 2, resumed from 1
    assert_same_training(one / "sft", two / "sft", inputs["model"])
    stderr = (two / "stderr.txt").read_text()
    assert "ppo: resuming from checkpoint-1 (policy, value model, optimizer state)" in stderr
    assert stderr.count("ppo: resuming from") == 1  # said once, by rank 0
    assert info(two / "ppo")["steps"] == 2 and (two / "ppo" / "checkpoint-2" / "value").is_dir()
    ppo_steps = [s for s, _ in losses(two / "ppo", "objective/kl")]
    assert ppo_steps == [1, 2, 2]  # the killed step 2, then step 2 again (not 1) after resuming


def test_only_rank_zero_writes(two):
    for stage in ("sft", "reward", "dpo", "rloo"):  # one metrics line a step, not one a rank
        steps = [
            m["step"]
            for m in callbacks.read_metrics(two / stage / "metrics.jsonl")
            if "loss" in m or "objective/kl" in m
        ]
        assert len(steps) == len(set(steps)) > 0, stage
    samples = [json.loads(x) for x in (two / "ppo" / "samples.jsonl").read_text().splitlines()]
    assert sorted(s["step"] for s in samples) == [1, 1, 2, 2]  # 2 sample prompts a step, once
    assert samples[0]["prompt"] != samples[1]["prompt"]


def test_fsdp2_on_cpu_shards_and_saves_a_checkpoint_that_loads(fsdp, one, inputs):
    from assistant.inference import Done, GenerationParams, load_engine

    for stage in ("sft", "reward"):
        record = info(fsdp / stage)
        held, total = record["params_per_rank"], sum(record["params_per_rank"])
        assert record["fsdp"] and len(held) == 2
        assert all(abs(n - total / 2) < 0.1 * total for n in held), held  # about half each
    for stage in ("sft", "reward"):
        assert_same_training(one / stage, fsdp / stage, inputs["model"])
    engine = load_engine(str(fsdp / "sft" / "model"))  # as `parley chat --model DIR` loads it
    greedy = GenerationParams(temperature=0, max_new_tokens=4, seed=0)
    done = list(engine.generate([{"role": "user", "content": "hi"}], greedy))[-1]
    assert isinstance(done, Done) and done.completion_tokens > 0


def test_accelerate_fsdp_on_cpu_refuses_with_one_line(tmp_path):
    cmd = [
        *accelerate_launch("fsdp", 29563),
        *["-m", "rlhf.sft", "--config", "sft-cpu-tiny", "--output_dir", str(tmp_path / "run")],
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stderr.splitlines() if line.startswith("parley: error:")]
    assert done.returncode != 0 and len(lines) == 1, done.stderr[-2000:]
    assert "use torchrun" in lines[0] and "--fsdp full_shard" in lines[0]
    assert not (tmp_path / "run").exists()  # refused before anything ran
