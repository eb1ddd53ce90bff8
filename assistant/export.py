"""Export a conversation: Markdown to read, or JSONL in TRL's conversational format to train on.

    parley export 3 --format jsonl -o chat.jsonl     # or /export jsonl in the chat
    parley export --all --format jsonl -o all.jsonl  # every conversation, one line each

The JSONL line is `{"messages": [{"role": ..., "content": ...}, ...]}` (what `SFTTrainer` reads),
for the branch on screen; slash commands and tool output are left out, as the model never saw them.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import UsageError
from assistant.store import conversations as convs

FORMATS = ("md", "jsonl")


def to_markdown(conn: sqlite3.Connection, conversation_id: int) -> str:
    conv = convs.get(conn, conversation_id)
    when = datetime.fromtimestamp(conv.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {conv.title}", "", f"*{when}*", ""]
    if conv.system_prompt:
        lines += ["## System", "", conv.system_prompt, ""]
    for m in convs.branch(conn, conversation_id):
        if m.role == "user":
            lines += ["## You", "", m.content, ""]
        elif m.role == "assistant":
            bits = [m.model or "assistant"]
            if m.finish_reason == "stopped":
                bits.append("stopped")
            if m.thumbs:
                bits.append("👍" if m.thumbs > 0 else "👎")
            if m.stars:
                bits.append("★" * m.stars)
            lines += [f"## Assistant ({', '.join(bits)})", "", m.content, ""]
        elif m.role == "tool":
            tool = m.meta.get("tool", "tool")
            lines += [f"## Tool: {tool} ({m.meta.get('backend', '')})", "", m.content, ""]
            lines += [f"![{tool} image]({p})" for p in m.meta.get("images", [])]
            if m.meta.get("images"):
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_record(conn: sqlite3.Connection, conversation_id: int) -> dict | None:
    """The TRL conversational record of the current branch, or None if it has no answer yet."""
    conv = convs.get(conn, conversation_id)
    messages = convs.chat_messages(convs.branch(conn, conversation_id), conv.system_prompt)
    if not any(m["role"] == "assistant" for m in messages):
        return None
    return {"messages": messages}


def to_jsonl(conn: sqlite3.Connection, conversation_ids: list[int]) -> str:
    records = [to_record(conn, cid) for cid in conversation_ids]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records if r is not None)


def default_path(conn: sqlite3.Connection, conversation_id: int, fmt: str) -> Path:
    conv = convs.get(conn, conversation_id)
    slug = "".join(c if c.isalnum() else "-" for c in conv.title.lower()).strip("-")[:40]
    return Path.cwd() / f"parley-{conversation_id}-{slug or 'chat'}.{fmt}"


def export(
    conn: sqlite3.Connection,
    conversation_ids: list[int],
    fmt: str = "md",
    path: str | Path | None = None,
) -> Path:
    """Write the conversations to `path` (default: ./parley-ID-title.FMT); returns the path."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if not conversation_ids:
        raise UsageError("nothing to export: no conversation")
    if fmt == "md":
        text = "\n---\n\n".join(to_markdown(conn, cid) for cid in conversation_ids)
    else:
        text = to_jsonl(conn, conversation_ids)
    out = Path(path).expanduser() if path else default_path(conn, conversation_ids[0], fmt)
    if out.is_dir():
        out = out / default_path(conn, conversation_ids[0], fmt).name
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out
