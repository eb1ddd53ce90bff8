"""Thread settings for the interactive commands (chat, ask, arena), set before torch loads.

A module of its own so that setting them imports no model library (only the inference
package's light modules): `parley chat` calls this before its first frame.
"""

from __future__ import annotations

import os


def quiet_torch_threads() -> None:
    """Keep torch's MKL from spinning idle workers beside llama.cpp, in this process.

    Once a tool has run torch (the sentiment encoder, the image models), MKL's worker threads
    spin between calls and halve llama.cpp's decode on 2 cores (115 -> 55 tok/s measured).
    Batch-1 decoding in transformers does not use MKL's threads (14.3 tok/s either way), so
    interactive commands set this before torch loads; training keeps MKL's default.
    """
    os.environ.setdefault("MKL_NUM_THREADS", "1")
