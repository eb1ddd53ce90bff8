"""TRL preference JSONL in, as ratings (source "import"). Run as `parley prefs import FILE`.

It reads TRL preference JSONL: `chosen`/`rejected` as strings or message lists, `prompt` as a
string or message list, or no `prompt` (TRL's implicit-prompt form: the shared beginning of chosen
and rejected is the prompt). A malformed line is reported as `FILE:LINE: why` and none of it is
stored; the valid lines are stored in one transaction, or with `strict` nothing is. A line is
stored once: one with an `id` is skipped when that id is already in the database, one without
when an imported rating with the same content (prompt, chosen, rejected, tie, annotator if given)
is. A pair whose chosen and rejected texts are the same says nothing about which is better: it is
reported and not stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import DataError
from assistant.store import ratings


@dataclass
class ImportReport:
    stored: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    same_text: list[str] = field(default_factory=list)  # FILE:LINE of pairs with chosen == rejected


def _messages(value: Any, what: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        return [{"role": "user" if what == "prompt" else "assistant", "content": value}]
    if not isinstance(value, list) or not value:
        raise ValueError(f"'{what}' must be a string or a non-empty list of messages")
    for m in value:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ValueError(f"'{what}': each message needs a 'role'")
        if not isinstance(m.get("content"), str):
            raise ValueError(f"'{what}': each message needs text 'content'")
    return [{"role": m["role"], "content": m["content"]} for m in value]


def _completion(messages: list[dict[str, str]], what: str) -> str:
    if len(messages) != 1 or messages[0]["role"] != "assistant":
        raise ValueError(f"'{what}' must be one assistant message")
    return messages[0]["content"]


def parse_line(obj: Any) -> tuple[list[dict[str, str]], str, str]:
    """(prompt messages, chosen text, rejected text) of one TRL preference record."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    for key in ("chosen", "rejected"):
        if key not in obj:
            raise ValueError(f"no '{key}' field")
    chosen, rejected = _messages(obj["chosen"], "chosen"), _messages(obj["rejected"], "rejected")
    if obj.get("prompt") is not None:
        prompt = _messages(obj["prompt"], "prompt")
    else:  # implicit prompt: the shared beginning of the two conversations
        n = 0
        while n < min(len(chosen), len(rejected)) - 1 and chosen[n] == rejected[n]:
            n += 1
        if n == 0:
            raise ValueError("no 'prompt' field and no shared beginning in chosen/rejected")
        prompt, chosen, rejected = chosen[:n], chosen[n:], rejected[n:]
    if prompt[-1]["role"] != "user":
        raise ValueError("the prompt must end with a user message")
    return prompt, _completion(chosen, "chosen"), _completion(rejected, "rejected")


def import_file(
    conn: Any, path: str | Path, *, strict: bool = False, annotator: str | None = None
) -> ImportReport:
    """Import TRL preference JSONL as ratings (source "import"); see the module docstring."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"no such file {path}") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text ({e.reason})") from None
    report = ImportReport()
    pending: list[ratings.Rating] = []
    seen: set[str] = set()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            prompt, chosen, rejected = parse_line(obj)
            uid = obj.get("id")
            if uid is not None and not isinstance(uid, str):
                raise ValueError("'id' must be a string")
            who = obj.get("annotator") or annotator or f"import:{path.stem}"
            if not isinstance(who, str):
                raise ValueError("'annotator' must be a string")
        except (json.JSONDecodeError, ValueError) as e:
            report.errors.append(f"{path}:{lineno}: {e}")
            continue
        if chosen == rejected:
            report.same_text.append(f"{path}:{lineno}")
            continue
        tie = obj.get("tie") is True
        # An exported tie is two mirrored rows with one id: the second is the same rating.
        # Without an id, the content is the identity (so a second import stores nothing).
        if uid is not None:
            key, present = uid, _known(conn, uid)
        else:
            content = (obj.get("annotator"), prompt, chosen, rejected, tie)
            key, present = _content_key(*content), _imported(conn, *content)
        if key in seen or present:
            report.duplicates += 1
            continue
        seen.add(key)
        pending.append(
            ratings.Rating(
                source="import",
                annotator=who,
                context=prompt,
                left=ratings.Response(chosen, str(obj.get("chosen_model") or "unknown")),
                right=ratings.Response(rejected, str(obj.get("rejected_model") or "unknown")),
                vote="tie" if tie else "left",
                sides_shown=False,
                uid=uid,
                meta={"file": str(path), "line": lineno, "source": obj.get("source")},
            )
        )
    if strict and report.errors:
        shown = "; ".join(report.errors[:3]) + (" ..." if len(report.errors) > 3 else "")
        raise DataError(f"{len(report.errors)} bad line(s), nothing imported (--strict): {shown}")
    if pending:
        ratings.record_many(conn, pending)
    report.stored = len(pending)
    return report


def _known(conn: Any, uid: str) -> bool:
    return conn.execute("SELECT 1 FROM ratings WHERE uid = ?", (uid,)).fetchone() is not None


def _content_key(annotator: Any, prompt: list[dict], chosen: str, rejected: str, tie: bool) -> str:
    texts = sorted([chosen, rejected]) if tie else [chosen, rejected]  # a tie has no order
    return json.dumps([annotator, prompt, texts, tie], sort_keys=True, ensure_ascii=False)


def _imported(
    conn: Any, annotator: Any, prompt: list[dict], chosen: str, rejected: str, tie: bool
) -> bool:
    """An imported rating with this content is already stored (the line's annotator, if it
    names one, must match too)."""
    want = _content_key(annotator, prompt, chosen, rejected, tie)
    rows = conn.execute(
        "SELECT * FROM ratings WHERE pair_key = ? AND source = 'import'",
        (ratings.pair_key(prompt, chosen, rejected),),
    )
    for row in rows:
        r = ratings.Rating.from_row(row)
        who = r.annotator if annotator is not None else None
        have = _content_key(who, r.context, r.left.text, r.right.text, r.vote == "tie")
        if have == want:
            return True
    return False
