"""Several processes, GPUs or machines: what every training stage shares under `torchrun` and
`accelerate launch` (the engines do the work; this module only sets them up and tears them down).

    torchrun --nproc_per_node 2 -m rlhf.sft --config sft-cpu-tiny              # 2 CPU processes
    torchrun --nproc_per_node 2 -m rlhf.sft --config sft-cpu-tiny --fsdp full_shard   # FSDP2, CPU
    accelerate launch --config_file rlhf/accelerate/ddp.yaml -m rlhf.sft --config sft-gpu
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29400 \\
        -m rlhf.sft --config sft-gpu                                         # on each machine
    torchrun --nproc_per_node 2 -m rlhf.distributed PLAN.json     # several stages, one launch

- On a machine without GPUs every stage runs its torchrun processes as accelerate's MULTI_CPU over
  gloo. Left alone, accelerate would treat each process as a separate one-process run: N copies
  of the same run writing the same files.
- Process-group init and every collective give up after `ddp_timeout` (10 minutes here, not
  torch's 30), and a stage that fails destroys its process group: no rank hangs on a dead peer
  (torchrun also stops the other ranks when one exits with an error).
- Only rank 0 writes checkpoints, metrics, the registry and reports (the stages check
  `is_main_process`; TRL's trainers save on rank 0).
- FSDP2 on CPU: accelerate enables FSDP only on GPU-type devices and silently runs DDP instead,
  so under `accelerate launch` with an FSDP config on a CPU-only machine a stage refuses, and
  under torchrun `--fsdp full_shard` hands the trainer's FSDP plugin through (`fully_shard` on a
  CPU device mesh, gloo).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from assistant.errors import DataError, ParleyError, UsageError

DDP_TIMEOUT_S = 600
# `accelerate launch` with an FSDP config says so in the environment; read before any trainer
# in this process sets the same variable for itself (`--fsdp` under torchrun does)
LAUNCHED_WITH_FSDP = os.environ.get("ACCELERATE_USE_FSDP", "").lower() == "true"


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def has_accelerator() -> bool:
    """A GPU-type device (CUDA, ROCm, XPU, ...) that accelerate would train on."""
    import torch

    if torch.cuda.is_available():
        return True
    xpu = getattr(torch, "xpu", None)
    return bool(xpu is not None and xpu.is_available())


def trainer_defaults() -> dict[str, Any]:
    """Settings every stage adds to its trainer defaults (a recipe or flag still overrides them)."""
    defaults: dict[str, Any] = {"ddp_timeout": DDP_TIMEOUT_S}
    if world_size() > 1 and not has_accelerator():
        defaults["use_cpu"] = True  # MULTI_CPU over gloo, one process group for all ranks
    return defaults


def refuse_accelerate_fsdp_on_cpu(stage: str) -> None:
    """`accelerate launch` with an FSDP config on a CPU-only machine would silently run DDP."""
    if not LAUNCHED_WITH_FSDP or has_accelerator():
        return
    raise UsageError(
        f"accelerate runs FSDP only on GPUs and would silently run DDP here (no GPU found); on CPU "
        f"use torchrun: torchrun --nproc_per_node N -m rlhf.{stage} ... --fsdp full_shard"
    )


@contextmanager
def fsdp_on_cpu():
    """While a trainer is built: let its FSDP plugin through on CPU ranks (MULTI_CPU), which
    accelerate otherwise drops; `fully_shard` then shards over a CPU device mesh with gloo."""
    from accelerate.state import AcceleratorState, PartialState
    from accelerate.utils import DistributedType

    original = AcceleratorState.__init__

    def init(self, *args, fsdp_plugin=None, **kwargs):
        original(self, *args, fsdp_plugin=fsdp_plugin, **kwargs)
        if fsdp_plugin is not None and self.distributed_type == DistributedType.MULTI_CPU:
            self.fsdp_plugin = fsdp_plugin
            # what accelerate does for GPUs; every later AcceleratorState() copies PartialState's
            self.distributed_type = DistributedType.FSDP
            PartialState._shared_state["distributed_type"] = DistributedType.FSDP

    AcceleratorState.__init__ = init
    try:
        yield
    finally:
        AcceleratorState.__init__ = original


@contextmanager
def main_first(args):
    """Start the trainer's process group (TrainingArguments sets it up on first use of `device`,
    with its timeout), then run the block on each machine's main process first: it builds or
    converts the starting model, the other ranks then read it."""
    from accelerate import PartialState

    _ = args.device
    with PartialState().local_main_process_first():
        yield


def shutdown() -> None:
    """Leave the process group (if one was started); safe to call on any path."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch is a dependency
        return
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def torchrun_command(module: str, argv: list[str], nproc: int) -> list[str]:
    """`torchrun --standalone --nproc_per_node N -m MODULE ARGV` with this interpreter's torchrun
    (`--standalone`: a free local port, so two runs on one machine never collide)."""
    return [*torchrun(nproc), "-m", module, *argv]


def torchrun(nproc: int) -> list[str]:
    """The launcher part of `torchrun_command`."""
    run = [sys.executable, "-m", "torch.distributed.run"]
    return [*run, "--standalone", "--nproc_per_node", str(nproc)]


def run_stage(module: str, argv: list[str], nproc: int = 1) -> None:
    """Run `rlhf.STAGE` with `argv`: in this process for one process, else under torchrun."""
    if nproc <= 1:
        import importlib

        importlib.import_module(module).main(argv)
        return
    env = {**os.environ}
    env.setdefault("OMP_NUM_THREADS", str(max((os.cpu_count() or 1) // nproc, 1)))
    done = subprocess.run(torchrun_command(module, argv, nproc), env=env)
    if done.returncode != 0:
        raise ParleyError(
            f"{module} on {nproc} processes failed (exit {done.returncode}); its error is above"
        )


def params_per_rank(model) -> list[int]:
    """Parameter elements each rank holds: all of them under DDP, about 1/N each when FSDP has
    sharded them (a DTensor's local shard). A collective: every rank calls it."""
    import torch.distributed as dist

    local = sum(
        p.to_local().numel() if hasattr(p, "to_local") else p.numel() for p in model.parameters()
    )
    if not (dist.is_available() and dist.is_initialized()):
        return [local]
    counts: list[int] = [0] * dist.get_world_size()
    dist.all_gather_object(counts, local)
    return counts


def run_chain(plan: list) -> None:
    """Stages one after another in each process of one launch (one start-up and one process
    group for all; tests and benchmarks): `plan` is `[[module, argv], ...]`. A stage given
    `--interrupt_at_step` stops with KeyboardInterrupt, as if killed; the chain goes on."""
    import importlib

    for module, argv in plan:
        try:
            importlib.import_module(module).main(argv)
        except KeyboardInterrupt:
            if "--interrupt_at_step" not in argv:
                raise


def script(main: Callable[[], Any]) -> None:
    """`python -m rlhf.STAGE` (also under torchrun / `accelerate launch`): run `main()`, a domain
    error as one line (once, from rank 0, when every rank hit it), and leave the process group on
    every path, so no rank waits on a peer that is gone."""
    try:
        main()
    except ParleyError as e:
        same_everywhere = isinstance(e, UsageError | DataError)  # the same input on every rank
        if rank() == 0 or not same_everywhere:
            where = f"rank {rank()}: " if world_size() > 1 else ""
            print(f"parley: error: {where * (not same_everywhere)}{e}", file=sys.stderr)
        shutdown()
        sys.exit(e.exit_code)
    except BaseException:
        shutdown()
        raise
    shutdown()


if __name__ == "__main__":
    import json
    from pathlib import Path

    script(lambda: run_chain(json.loads(Path(sys.argv[1]).read_text())))
