"""A model's Jinja chat template rendered the way transformers' `apply_chat_template` renders it,
without importing transformers (the llama.cpp backend uses it; tests compare both).

    ChatTemplate(template_text).render([{"role": "user", "content": "Hi"}])
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any


class ChatTemplate:
    """A compiled chat template (sandboxed, trim_blocks/lstrip_blocks like transformers)."""

    def __init__(self, source: str, **special_tokens: str) -> None:
        import jinja2
        from jinja2.ext import loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise jinja2.exceptions.TemplateError(message)

        def tojson(x: Any, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
            return json.dumps(
                x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                sort_keys=sort_keys,
            )  # fmt: skip

        env = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]
        )
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        self.source = source
        self.special_tokens = special_tokens
        self._template = env.from_string(source)

    def render(self, messages: list[dict[str, Any]], add_generation_prompt: bool = True) -> str:
        return self._template.render(
            messages=messages, add_generation_prompt=add_generation_prompt, **self.special_tokens
        )
