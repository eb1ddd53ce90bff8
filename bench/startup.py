"""How fast `parley chat` starts: launch -> first frame with the prompt, and launch -> model ready.

    python bench/startup.py [--runs 3] [--model NAME] [--out bench/results/startup.json]

Types `parley chat` into a shell in a private tmux server (a real terminal); the clock starts at
Enter. "First frame" is when the prompt's placeholder reaches the terminal (read from the pane's
output stream, `tmux pipe-pane`); "model ready" is when the status line shows the model's context
window (it reads `ctx 0/?` while loading) and then the answer to "What is the capital of France?"
shows "Paris" (both by polling the screen every 20 ms). Uses $PARLEY_HOME as
it is (so the embedded model should have been converted once, e.g. by `parley ask hi`).
Timings on a shared 2-core machine are noisy; the table shows each run and the median.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What is the capital of France?"


ANSI = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|[=>78])")


class Terminal:
    """A private tmux server (a fresh one per run) with a shell in one 120x32 window."""

    def __init__(self, run: int) -> None:
        self.socket = f"parley-bench-{os.getpid()}-{run}"

    def tmux(self, *args: str) -> str:
        cmd = ["tmux", "-L", self.socket, *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "b")

    def wait(self, predicate, timeout: float, every: float = 0.02) -> float | None:
        """Poll the screen (each poll is a tmux process: kept out of the first-frame timing)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if predicate(self.screen()):
                return time.perf_counter()
            time.sleep(every)
        return None

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def wait_in_stream(path: Path, text: str, timeout: float) -> float | None:
    """When `text` first reaches the terminal: read what the program writes (tmux pipe-pane),
    escape sequences removed. Reading a file is cheap, so this does not slow the program down
    the way polling the screen with a tmux process every few ms does on 2 cores."""
    deadline = time.perf_counter() + timeout
    seen = ""
    with open(path, "rb") as f:
        while time.perf_counter() < deadline:
            chunk = f.read()
            if chunk:
                seen += chunk.decode("utf-8", "replace")
                if text in ANSI.sub("", seen):
                    return time.perf_counter()
            else:
                time.sleep(0.002)
    return None


def one_run(run: int, model: str | None, timeout: float) -> dict:
    """Start a shell in tmux, then type the command into it as a user would: the clock starts at
    Enter, so the terminal's and the shell's own start are not counted."""
    parley = Path(sys.executable).parent / "parley"
    args = f" --model {model}" if model else ""
    command = f"unset COLUMNS LINES; {parley} chat --temperature 0{args}; sleep 5"
    term = Terminal(run)
    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "pane.out"
        stream.touch()
        try:
            shell = "env PS1='bench$ ' bash --norc --noprofile"
            term.tmux("new-session", "-d", "-s", "b", "-x", "120", "-y", "32", shell)
            term.wait(lambda s: "bench$" in s, timeout)
            term.tmux("pipe-pane", "-t", "b", "-o", f"cat >> {stream}")
            time.sleep(0.3)  # the pipe's reader is up
            start = time.perf_counter()
            term.tmux("send-keys", "-t", "b", command, "Enter")
            frame = wait_in_stream(stream, "Ask anything", timeout)
            ready = term.wait(lambda s: re.search(r"ctx \d+/\d+", s) is not None, timeout)
            term.tmux("send-keys", "-t", "b", QUESTION, "Enter")
            answered = term.wait(lambda s: "Paris" in s.split(QUESTION)[-1], timeout)
            term.tmux("send-keys", "-t", "b", "C-q")
            return {
                "first_frame_s": None if frame is None else frame - start,
                "model_ready_s": None if ready is None else ready - start,
                "paris_s": None if answered is None else answered - start,
            }
        finally:
            term.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default=None)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "startup.json"))
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("bench/startup.py needs tmux (apt-get install tmux)")
    # Python caches the project's bytecode on the first run, unless PYTHONDONTWRITEBYTECODE is
    # set (as on some CI and sandbox machines): then every start compiles assistant/ again
    # (~50 ms here). Cache it explicitly, so the figures are those of every run after the first.
    compileall.compile_dir(ROOT / "assistant", quiet=1)
    runs = [one_run(i, args.model, args.timeout) for i in range(args.runs)]
    keys = ("first_frame_s", "model_ready_s", "paris_s")
    print(f"{'run':>4} {'first frame':>12} {'model ready':>12} {'Paris shown':>12}")
    for i, r in enumerate(runs, 1):
        cells = [f"{r[k]:.2f} s" if r[k] is not None else "timeout" for k in keys]
        print(f"{i:>4} " + " ".join(f"{c:>12}" for c in cells))
    medians = {}
    for k in keys:
        values = [r[k] for r in runs if r[k] is not None]
        medians[k] = statistics.median(values) if values else None
    cells = [f"{medians[k]:.2f} s" if medians[k] is not None else "-" for k in keys]
    print(f"{'med':>4} " + " ".join(f"{c:>12}" for c in cells))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "bench": "startup",
        "model": args.model or "embedded",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],  # other work on the machine slows all of it
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
        },
        "runs": runs,
        "median": medians,
    }
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}; wrote {out}")


if __name__ == "__main__":
    main()
