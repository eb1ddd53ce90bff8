"""Trainer callbacks shared by every stage: `metrics.jsonl`, a progress bar that shows the loss
(and, from tqdm, the ETA), and a test hook that interrupts training at a given step."""

from __future__ import annotations

import json
import time
from pathlib import Path

from transformers import TrainerCallback
from transformers.trainer_callback import ProgressCallback


class MetricsJsonl(TrainerCallback):
    """Appends every log (loss, learning rate, eval loss, ...) as one JSON line, with the step,
    epoch and wall time, on the main process only. A resumed run appends to the same file;
    `step_offset`: steps done before a resume that the trainer counts from 1 again (PPO)."""

    def __init__(self, path: Path, step_offset: int = 0):
        self.path = Path(path)
        self.step_offset = step_offset

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        step = self.step_offset + state.global_step
        record = {"step": step, "epoch": state.epoch, "time": time.time(), **logs}
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def on_train_end(self, args, state, control, **kwargs):
        """The run's peak memory on rank 0: GPU memory allocated by torch, else the process's
        peak RSS (what `bench/gpu_check.sh` and `bench/scale.py` report)."""
        import resource

        import torch

        if not state.is_world_process_zero:
            return
        peak = {"peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}
        if torch.cuda.is_available():
            peak["peak_gpu_memory_gb"] = torch.cuda.max_memory_allocated() / 2**30
        step = self.step_offset + state.global_step
        with self.path.open("a") as f:
            f.write(json.dumps({"step": step, "time": time.time(), **peak}) + "\n")


class LossProgress(ProgressCallback):
    """tqdm's bar (steps, rate, ETA) with the latest loss beside it."""

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and self.training_bar is not None and logs:
            shown = {k: f"{v:.4g}" for k, v in logs.items() if "loss" in k or k == "reward"}
            if shown:
                self.training_bar.set_postfix(shown, refresh=False)


class InterruptAt(TrainerCallback):
    """Raises KeyboardInterrupt when training reaches `step` (tests: a kill mid-run)."""

    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            raise KeyboardInterrupt(f"interrupted at step {state.global_step}")


def read_metrics(path: Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def use_loss_progress(trainer) -> None:
    """Swap the trainer's plain progress bar for `LossProgress`."""
    if trainer.callback_handler.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(LossProgress())
