"""What an arena session rates: the prompts file and the two contenders (no Textual, no torch).

Prompts file: JSONL (one object a line, `prompt` as a string or a list of messages, or `messages`;
optional `system`) or plain text, one prompt a line. A line may bring its own two responses
(`"responses": [{"model": "m", "text": "..."}, ...]`, or `"chosen"`/`"rejected"` strings); with
`"gold": 0|1` (or chosen/rejected) the better one is known and `parley prefs stats` reports each
annotator's accuracy on such gold items. A malformed line raises DataError naming `file:line`.

Contenders (`--models A,B`): two model names, or one model under two settings, each entry
`NAME[@key=value,...]` with keys temperature, top_p, max_new_tokens, seed, e.g.
`smollm2-135m-instruct@temperature=0.2,smollm2-135m-instruct@temperature=1.0,seed=3`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import DataError, UsageError
from assistant.sampling import PER_CHAT

PARAM_KEYS = {s.name: s.type for s in PER_CHAT}  # what `NAME@key=value` may set
Message = dict[str, str]
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Contender:
    """One side's generator: a model and its sampling overrides. `label` names it in ratings."""

    model: str
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        if not self.overrides:
            return self.model
        return self.model + "@" + ",".join(f"{k}={v}" for k, v in self.overrides)


@dataclass
class Prepared:
    model: str
    text: str


@dataclass
class Item:
    """One prompt: its messages (system prompt included once shown) and maybe given responses."""

    messages: list[Message]
    responses: list[Prepared] | None = None
    gold: int | None = None  # index into responses of the known better one
    line: int = 0


def parse_contenders(text: str) -> tuple[Contender, Contender]:
    """`A,B` or `A@temperature=1.0,seed=3,A@temperature=0.2` -> two contenders."""
    entries: list[tuple[str, dict[str, Any]]] = []
    for raw in text.split(","):
        token = raw.strip()
        if not token:
            continue
        key, eq, value = token.partition("=")
        if eq and "@" not in token and key.strip() in PARAM_KEYS and entries:
            entries[-1][1][key.strip()] = value.strip()  # continues the previous entry
            continue
        name, _, first = token.partition("@")
        settings: dict[str, Any] = {}
        if first:
            k, eq, v = first.partition("=")
            if not eq:
                raise UsageError(f"bad model setting {first!r} in --models: write NAME@key=value")
            settings[k.strip()] = v.strip()
        entries.append((name.strip(), settings))
    if len(entries) != 2:
        raise UsageError(
            f"--models needs exactly two entries, got {len(entries)}: e.g. --models A,B or "
            "--models M@temperature=0.2,M@temperature=1.0"
        )
    out = []
    for name, settings in entries:
        overrides = []
        for k, v in settings.items():
            if k not in PARAM_KEYS:
                raise UsageError(f"unknown model setting {k!r}; known: {', '.join(PARAM_KEYS)}")
            try:
                overrides.append((k, PARAM_KEYS[k](v)))
            except ValueError:
                raise UsageError(f"{k}={v!r} is not a {PARAM_KEYS[k].__name__}") from None
        out.append(Contender(name, tuple(overrides)))
    if out[0] == out[1]:
        raise UsageError(
            f"both contenders are {out[0].label}; compare two models or vary a setting, "
            f"e.g. {out[0].model}@temperature=0.2,{out[0].model}@temperature=1.0"
        )
    return out[0], out[1]


# --- the prompts file ---


def load_prompts(path: str | Path) -> list[Item]:
    """Read a prompts file (JSONL or plain text); a bad line raises DataError naming file:line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"no prompts file {path}") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text ({e.reason})") from None
    lines = text.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    jsonl = path.suffix in (".jsonl", ".json") or first.startswith("{")
    items = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not jsonl:
            items.append(Item([{"role": "user", "content": line.strip()}], line=lineno))
            continue
        try:
            items.append(parse_item(json.loads(line), lineno))
        except (json.JSONDecodeError, ValueError, TypeError, KeyError) as e:
            raise DataError(f"{path}:{lineno}: {e}") from None
    if not items:
        raise DataError(f"{path}: no prompts in it (JSONL with 'prompt' or 'messages', or text)")
    return items


def _messages(value: Any) -> list[Message]:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("empty prompt")
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise ValueError("'prompt'/'messages' must be a string or a non-empty list of messages")
    out = []
    for m in value:
        if (
            not isinstance(m, dict)
            or m.get("role") not in ROLES
            or not isinstance(m.get("content"), str)
        ):
            raise ValueError(f"each message needs a role ({'/'.join(ROLES)}) and text content")
        out.append({"role": m["role"], "content": m["content"]})
    if out[-1]["role"] != "user":
        raise ValueError("the conversation must end with a user message")
    return out


def parse_item(obj: Any, lineno: int) -> Item:
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object with 'prompt' or 'messages'")
    if "prompt" not in obj and "messages" not in obj:
        raise ValueError("no 'prompt' or 'messages' field")
    messages = _messages(obj.get("prompt", obj.get("messages")))
    if obj.get("system") is not None:
        if messages[0]["role"] == "system":
            raise ValueError("both 'system' and a system message")
        messages.insert(0, {"role": "system", "content": str(obj["system"])})
    responses, gold = None, obj.get("gold")
    if "chosen" in obj or "rejected" in obj:
        responses = [
            _prepared(obj.get("chosen"), "gold-chosen"),
            _prepared(obj.get("rejected"), "gold-rejected"),
        ]
        gold = 0
    elif "responses" in obj:
        given = obj["responses"]
        if not isinstance(given, list) or len(given) != 2:
            raise ValueError("'responses' must list exactly two responses")
        responses = [_prepared(r, f"response-{i + 1}") for i, r in enumerate(given)]
    if gold is not None and (responses is None or gold not in (0, 1)):
        raise ValueError("'gold' is the index (0 or 1) of the better of two given 'responses'")
    return Item(messages, responses, gold, lineno)


def _prepared(value: Any, default_model: str) -> Prepared:
    if isinstance(value, str):
        return Prepared(default_model, value)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return Prepared(str(value.get("model") or default_model), value["text"])
    raise ValueError("a response is a string or {'model': ..., 'text': ...}")


def session_key(items: Sequence[Item], contenders: Sequence[Contender]) -> str:
    """Same prompts and contenders: same session (so an annotator resumes where they stopped)."""
    payload = json.dumps(
        [[it.messages, [(p.model, p.text) for p in it.responses or []], it.gold] for it in items]
        + [c.label for c in contenders],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
