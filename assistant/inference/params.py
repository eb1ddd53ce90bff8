"""`GenerationParams`: the sampling settings of one answer, their fields and defaults derived from
their declaration (`assistant.sampling.SETTINGS`).

    GenerationParams(temperature=0.7, seed=3)     # by keyword; the rest are Parley's defaults

No dependencies (the standard library, `assistant.errors`, `assistant.sampling`): everything may
import it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.errors import UsageError
from assistant.sampling import SETTINGS

PENALTY_LAST_N = 64  # the repetition penalty looks this many answer tokens back (both backends)


def _default(name: str) -> Any:
    return field(default=SETTINGS[name].default)


@dataclass(kw_only=True)
class GenerationParams:
    """Sampling settings. temperature 0 means greedy; seed None draws one (and reports it).
    `repetition_penalty` > 1 makes tokens already in the answer's last `PENALTY_LAST_N` less
    likely (positive logits divided by it, negative ones multiplied, as llama.cpp and
    transformers do); 1 turns it off. The defaults (`SETTINGS`) were chosen on the dev split of
    `parley eval chat` (`bench/choose_defaults.py`). Keyword-only: a new setting cannot shift
    the others."""

    temperature: float = _default("temperature")
    top_p: float = _default("top_p")
    max_new_tokens: int = _default("max_new_tokens")
    seed: int | None = _default("seed")
    repetition_penalty: float = _default("repetition_penalty")

    def __post_init__(self) -> None:
        for setting in SETTINGS.values():
            value = getattr(self, setting.name)
            if problem := setting.problem(value):
                raise UsageError(f"{setting.name} {problem}, got {value}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
