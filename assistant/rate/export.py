"""Export a conversation: Markdown to read, or JSONL in TRL's conversational format to train on.

    parley export 3 --format jsonl -o chat.jsonl     # or /export jsonl in the chat
    parley export --all --format jsonl -o all.jsonl  # every conversation, one line each

The JSONL line is `{"messages": [{"role": ..., "content": ...}, ...]}` (what `SFTTrainer` reads),
for the branch on screen; slash commands and tool output are left out, as the model never saw them.
An answer that was stopped or cut off at the token limit is not an example to learn from: the JSONL
record ends before it (at the last complete answer) unless `include_stopped` (`--include-stopped`).
A JSONL export with nothing to train on (only tool commands, say) writes no file and says why.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import UsageError
from assistant.store import conversations as convs

FORMATS = ("md", "jsonl")
UNFINISHED = ("stopped", "length")  # finish reasons of answers that did not end on their own


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
            elif m.finish_reason == "length":
                bits.append("cut off at the token limit")
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


def complete_part(branch: list[convs.Message]) -> list[convs.Message]:
    """The branch up to its first stopped or cut-off answer, ending at a complete answer."""
    for i, m in enumerate(branch):
        if m.role == "assistant" and m.finish_reason in UNFINISHED:
            branch = branch[:i]
            break
    while branch and branch[-1].role != "assistant":
        branch = branch[:-1]
    return branch


def unfinished_answers(conn: sqlite3.Connection, conversation_ids: list[int]) -> int:
    """How many answers on these branches were stopped or cut off at the token limit."""
    return sum(
        m.role == "assistant" and m.finish_reason in UNFINISHED
        for cid in conversation_ids
        for m in convs.branch(conn, cid)
    )


def to_record(
    conn: sqlite3.Connection, conversation_id: int, include_stopped: bool = False
) -> dict | None:
    """The TRL conversational record of the current branch (up to its first unfinished answer
    unless `include_stopped`), or None if it has no complete answer."""
    conv = convs.get(conn, conversation_id)
    branch = convs.branch(conn, conversation_id)
    if not include_stopped:
        branch = complete_part(branch)
    messages = convs.chat_messages(branch, conv.system_prompt)
    if not any(m["role"] == "assistant" for m in messages):
        return None
    return {"messages": messages}


def to_jsonl(
    conn: sqlite3.Connection, conversation_ids: list[int], include_stopped: bool = False
) -> str:
    records = [to_record(conn, cid, include_stopped) for cid in conversation_ids]
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
    include_stopped: bool = False,
) -> Path:
    """Write the conversations to `path` (default: ./parley-ID-title.FMT); returns the path."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if not conversation_ids:
        raise UsageError("nothing to export: no conversation")
    if fmt == "md":
        text = "\n---\n\n".join(to_markdown(conn, cid) for cid in conversation_ids)
    else:
        text = to_jsonl(conn, conversation_ids, include_stopped)
        if not text:
            raise UsageError(_nothing_to_train_on(conn, conversation_ids, include_stopped))
    out = Path(path).expanduser() if path else default_path(conn, conversation_ids[0], fmt)
    if out.is_dir():
        out = out / default_path(conn, conversation_ids[0], fmt).name
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


def _nothing_to_train_on(
    conn: sqlite3.Connection, conversation_ids: list[int], include_stopped: bool
) -> str:
    which = "this conversation has" if len(conversation_ids) == 1 else "these conversations have"
    why = f"nothing to train on: {which} no complete answer from the model"
    if not include_stopped and unfinished_answers(conn, conversation_ids):
        why += " (only stopped or cut-off ones: --include-stopped keeps them)"
    else:
        why += " (slash commands and tool output are not training data)"
    return why + "; no file written"
