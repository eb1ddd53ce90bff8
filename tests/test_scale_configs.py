"""What scaling out rests on, checked without launching anything: every shipped recipe (the GPU
ones too) builds its stage's settings, every accelerate config loads as the launcher reads it,
the stages run torchrun ranks on CPU as one gloo group, accelerate-FSDP on CPU is refused, and
`parley pipeline --nproc N` launches its stages under torchrun."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.errors import ParleyError, UsageError
from rlhf import distributed, recipe

CONFIGS = Path(__file__).resolve().parents[1] / "rlhf" / "accelerate"


@pytest.mark.parametrize(
    "stage, classes",
    [
        ("sft", ("SFTRun", "SFTConfig")),
        ("reward", ("RewardRun", "RewardConfig")),
        ("ppo", ("PPORun", "PPOConfig")),
        ("rloo", ("RLOORun", "RLOOConfig")),
        ("dpo", ("DPORun", "DPOConfig")),
    ],
)
def test_every_shipped_recipe_builds_its_stage(stage, classes):
    module = importlib.import_module(f"rlhf.{stage}")
    trl = importlib.import_module("trl.experimental.ppo" if stage == "ppo" else "trl")
    types = (getattr(module, classes[0]), getattr(trl, classes[1]))
    names = sorted(p.stem for p in recipe.RECIPES_DIR.glob(f"{stage}-*.yaml"))
    assert names
    for name in names:
        settings = {**module.TRAINER_DEFAULTS, **recipe.read_recipe(name), "use_cpu": True}
        run, args = recipe.build(types, settings, name)
        assert args.per_device_train_batch_size >= 1
        if name.endswith(("-gpu", "-gpu-lora")):
            assert args.bf16, name


def test_gpu_recipes_cover_sft_reward_ppo_on_360m_to_17b_lora_and_full():
    gpu = {p.stem: recipe.read_recipe(p.stem) for p in recipe.RECIPES_DIR.glob("*-gpu*.yaml")}
    assert {"sft-gpu", "sft-gpu-lora", "reward-gpu", "ppo-gpu"} <= set(gpu)
    assert (
        gpu["sft-gpu"]["model"].endswith("SmolLM2-360M-Instruct") and not gpu["sft-gpu"]["use_lora"]
    )
    assert gpu["sft-gpu-lora"]["model"].endswith("SmolLM2-1.7B-Instruct")
    assert gpu["sft-gpu-lora"]["use_lora"]


@pytest.mark.parametrize(
    "name, kind",
    [
        ("single", "NO"),
        ("ddp", "MULTI_GPU"),
        ("fsdp", "FSDP"),
        ("zero2", "DEEPSPEED"),
        ("zero3", "DEEPSPEED"),
    ],
)
def test_accelerate_configs_load_as_the_launcher_reads_them(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(CONFIGS / f"{name}.yaml"))
    assert str(config.distributed_type).rsplit(".", 1)[-1] == kind
    assert config.mixed_precision == "bf16"
    if name == "fsdp":
        assert config.fsdp_config["fsdp_version"] == 2
        assert config.fsdp_config["fsdp_state_dict_type"] == "FULL_STATE_DICT"
    if name == "zero3":
        assert config.deepspeed_config["zero_stage"] == 3
        assert config.deepspeed_config["zero3_save_16bit_model"]  # model/ gets whole weights


def test_torchrun_ranks_on_a_cpu_machine_join_one_gloo_group(monkeypatch):
    monkeypatch.setattr(distributed, "has_accelerator", lambda: False)
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert distributed.trainer_defaults() == {"ddp_timeout": 600, "use_cpu": True}
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert distributed.trainer_defaults() == {"ddp_timeout": 600}


def test_accelerate_fsdp_on_cpu_is_refused_with_the_torchrun_command(monkeypatch):
    monkeypatch.setattr(distributed, "has_accelerator", lambda: False)
    distributed.refuse_accelerate_fsdp_on_cpu("reward")  # no FSDP asked: nothing to refuse
    monkeypatch.setattr(distributed, "LAUNCHED_WITH_FSDP", True)  # as accelerate launch sets it
    with pytest.raises(
        UsageError, match=r"use torchrun: torchrun --nproc_per_node N -m rlhf.reward"
    ):
        distributed.refuse_accelerate_fsdp_on_cpu("reward")
    monkeypatch.setattr(distributed, "has_accelerator", lambda: True)
    distributed.refuse_accelerate_fsdp_on_cpu("reward")  # on GPUs accelerate does FSDP itself


def test_stages_launch_under_torchrun_and_a_failed_stage_is_one_error(monkeypatch):
    launched = []

    def fake_run(cmd, env):
        launched.append(cmd)
        return subprocess.CompletedProcess(cmd, 1 if "rlhf.ppo" in cmd else 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    distributed.run_stage("rlhf.sft", ["--config", "sft-cpu-tiny"], nproc=2)
    assert launched[0][1:] == [
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "rlhf.sft",
        "--config",
        "sft-cpu-tiny",
    ]
    with pytest.raises(ParleyError, match=r"rlhf.ppo on 2 processes failed \(exit 1\)"):
        distributed.run_stage("rlhf.ppo", [], nproc=2)


def test_pipeline_nproc_reaches_every_training_stage(monkeypatch, tmp_path):
    from assistant.cli import main
    from rlhf import pipeline

    seen = {}
    monkeypatch.setattr(pipeline, "run", lambda *a, **kw: seen.update(kw) or _report(tmp_path))
    result = CliRunner().invoke(main, ["pipeline", "--preset", "cpu-tiny", "--nproc", "2"])
    assert result.exit_code == 0, result.output
    assert seen["nproc"] == 2
    result = CliRunner().invoke(main, ["pipeline", "--preset", "cpu-tiny", "--nproc", "0"])
    assert result.exit_code == 2 and "--nproc" in result.output


def _report(tmp_path: Path) -> Path:
    path = tmp_path / "report.md"
    path.write_text("# report\n")
    return path


@pytest.mark.parametrize("error", [RuntimeError("boom"), UsageError("bad flag")])
def test_a_failing_stage_leaves_its_process_group(error, monkeypatch, capsys):
    """On any error a rank destroys its process group, so its peers are not left waiting on it;
    a usage error, the same on every rank, is said once (by rank 0)."""
    import torch.distributed as dist

    from rlhf.models import script

    def stage():
        raise error

    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        monkeypatch.setenv("WORLD_SIZE", "2")
        dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
        with pytest.raises(type(error) if isinstance(error, RuntimeError) else SystemExit):
            script(stage)
        assert not dist.is_initialized()
        said = capsys.readouterr().err
        if isinstance(error, UsageError):
            assert said == ("parley: error: bad flag\n" if rank == "0" else "")
