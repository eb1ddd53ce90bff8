"""Inference: a conversation in, a stream of events out, on llama.cpp or transformers.

    from assistant.inference import GenerationParams, TextChunk, load_engine
    engine = load_engine("smollm2-135m-instruct", backend="auto")
    for event in engine.generate([{"role": "user", "content": "Hi"}], GenerationParams(seed=1)):
        if isinstance(event, TextChunk):
            print(event.text, end="")

The modules, from the bottom up:
- `params`: `GenerationParams`, from the sampling settings declared once (`assistant.sampling`);
  `events`: what `generate` yields. Neither has dependencies.
- `engine`: `Engine` (the chat context, prompt fitting, the answer stream, the tool loop of
  `tool_loop`) over a `Backend` that takes prompt ids and gives sampled ids.
- `transformers_backend`, `llamacpp_backend` (+ `chat_template`, `gguf_export`): the backends.
- `loader`: `load_engine(model, backend=, dtype=)`, the one place that chooses a backend.

Nothing here imports the TUI, the CLI, the store or training; torch and llama_cpp load only when
a model is built.
"""

from assistant.inference.engine import Backend, Engine, generate_pair
from assistant.inference.events import (
    Done,
    Event,
    Message,
    Started,
    TextChunk,
    ToolCall,
    ToolResult,
)
from assistant.inference.loader import BACKENDS, DTYPES, choose_backend, gguf_engine, load_engine
from assistant.inference.params import GenerationParams
from assistant.sampling import PER_CHAT, SETTINGS, Setting

__all__ = [
    "BACKENDS",
    "DTYPES",
    "PER_CHAT",
    "SETTINGS",
    "Backend",
    "Done",
    "Engine",
    "Event",
    "GenerationParams",
    "Message",
    "Setting",
    "Started",
    "TextChunk",
    "ToolCall",
    "ToolResult",
    "choose_backend",
    "generate_pair",
    "gguf_engine",
    "load_engine",
]
