"""The chat context: the one function that decides which messages a model sees.

The engine, the store (a rating's saved context), the arena, the annotators and every training
stage (SFT conversations, preference pairs, reward scoring, PPO/RLOO queries) build their
messages with `chat_context`, so a model is trained under the same context it is used under.
A conversation that brings no system message gets Parley's; without that, the chat template
would put in the base model's own ("You are a helpful AI assistant named SmolLM, ...").

    >>> [m["role"] for m in chat_context("What is 2+2?")]
    ['system', 'user']
    >>> own = [{"role": "system", "content": "Pirate."}, {"role": "user", "content": "Hi"}]
    >>> chat_context(own)[0]
    {'role': 'system', 'content': 'Pirate.'}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Chosen on the dev split of `parley eval chat` (see the README's "Defaults" section).
DEFAULT_SYSTEM_PROMPT = (
    "You are Parley, a helpful assistant that runs on the user's own computer. "
    "Answer clearly and briefly."
)

Message = dict[str, Any]


def chat_context(conversation: str | Sequence[Message], system: str | None = None) -> list[Message]:
    """`conversation` (one user question, or a list of messages) as the model sees it: a system
    message first, the conversation's own if it starts with one, else `system`, else Parley's
    default. The input is not changed; the messages are copies.

    >>> chat_context("Hi", system="Be brief.")[0]["content"]
    'Be brief.'
    """
    if isinstance(conversation, str):
        messages = [{"role": "user", "content": conversation}]
    else:
        messages = [dict(m) for m in conversation]
    if not messages or messages[0].get("role") != "system":
        messages.insert(0, {"role": "system", "content": system or DEFAULT_SYSTEM_PROMPT})
    return messages


def preference_record(
    prompt: str | Sequence[Message], chosen: str, rejected: str, **extra: Any
) -> dict[str, Any]:
    """A TRL conversational preference record whose prompt is the chat context.

    >>> r = preference_record("Hi", "Hello!", "Go away.")
    >>> [m["role"] for m in r["prompt"]], r["chosen"]
    (['system', 'user'], [{'role': 'assistant', 'content': 'Hello!'}])
    """
    return {
        "prompt": chat_context(prompt),
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        **extra,
    }
