"""Ratings out as TRL preference data, and TRL preference JSONL in. Run as `parley prefs ...`.

Export (TRL's conversational preference format, one object a line):
    {"prompt": [{"role": "system", ...}, {"role": "user", ...}],
     "chosen": [{"role": "assistant", "content": ...}], "rejected": [{"role": "assistant", ...}],
     "id": ..., "chosen_model": ..., "rejected_model": ..., "source": ..., "annotator": ...}
`prompt` is the full context the responses answered, system prompt first. The extra fields are
provenance; TRL's trainers ignore them. Only ratings in force count (an undone vote is not
exported), and:
- `left`/`right` votes: the voted response is chosen, the other rejected.
- ties: `--ties drop` (default) leaves them out; `--ties keep` writes each tie as two mirrored
  rows (A over B and B over A, both with `"tie": true`), which under a Bradley-Terry loss pulls the
  two rewards together instead of pushing one up.
- both-bad and skips are never exported: they say nothing about which response is better.
- a pair with an answer that was stopped or cut off at the token limit (a regenerate-pick or
  thumbs in the chat) is left out unless `include_stopped` (`--include-stopped`), as the SFT
  export does: it was never a finished answer to prefer or reject.
`--redact` leaves out the `annotator` field. The file is written to a temporary name and renamed,
so a kill mid-export leaves the old file (or none), never half a file.

Import (TRL preference JSONL in) is `assistant.rate.prefs_import`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant.errors import UsageError
from assistant.rate.export import UNFINISHED
from assistant.store import rating_queries, ratings

FORMATS = ("trl", "hf")
TIES = ("drop", "keep")


@dataclass
class LeftOut:
    """The standing ratings that become no pair, counted by why (`data/arena/README.md`)."""

    ties_dropped: int = 0
    both_bad: int = 0
    skips: int = 0
    unfinished: int = 0  # a side was stopped or cut off

    def left_out(self) -> dict[str, int]:
        """These counts alone, of a summary that keeps more."""
        return {f.name: getattr(self, f.name) for f in fields(LeftOut)}


@dataclass
class ExportSummary(LeftOut):
    rows: int = 0
    pairs: int = 0
    ties_kept: int = 0

    def line(self, out: Path) -> str:
        ties = (
            f"{self.ties_kept} ties kept (2 rows each)"
            if self.ties_kept
            else (f"{self.ties_dropped} ties dropped")
        )
        return (
            f"wrote {self.rows} rows to {out}: {self.pairs} preferences, {ties}, "
            f"{self.both_bad} both-bad and {self.skips} skips left out"
            + (
                f"; {self.unfinished} with a stopped or cut-off answer left out "
                "(--include-stopped keeps them)"
                if self.unfinished
                else ""
            )
        )


def _unfinished(conn: Any) -> set[int]:
    """The answers that did not end on their own: stopped, or cut off at the token limit."""
    marks = ", ".join("?" * len(UNFINISHED))
    query = f"SELECT id FROM messages WHERE finish_reason IN ({marks})"
    return {row[0] for row in conn.execute(query, UNFINISHED)}


def _export(
    conn: Any, ties: str, redact: bool, summary: ExportSummary, include_stopped: bool = False
) -> Iterator[dict]:
    if ties not in TIES:
        raise UsageError(f"--ties is drop or keep, not {ties!r}")
    unfinished = set() if include_stopped else _unfinished(conn)
    for r in rating_queries.standing_ratings(conn):
        vote = r.vote
        if {r.left.message_id, r.right.message_id} & unfinished:
            summary.unfinished += 1
            continue
        if vote == "skip":
            summary.skips += 1
            continue
        if vote == "both_bad":
            summary.both_bad += 1
            continue
        if vote == "tie" and ties == "drop":
            summary.ties_dropped += 1
            continue
        first, second = ("right", "left") if vote == "right" else ("left", "right")
        orders = [(first, second)] + ([(second, first)] if vote == "tie" else [])
        for chosen, rejected in orders:
            win, lose = r.response(chosen), r.response(rejected)
            out = {
                "prompt": r.context,
                "chosen": [{"role": "assistant", "content": win.text}],
                "rejected": [{"role": "assistant", "content": lose.text}],
                "id": r.uid,
                "chosen_model": win.model,
                "rejected_model": lose.model,
                # where the rating was first made: an imported rating keeps its origin
                "source": r.meta.get("source") or r.source,
            }
            if vote == "tie":
                out["tie"] = True
            if not redact:
                out["annotator"] = r.annotator
            summary.rows += 1
            yield out
        if vote == "tie":
            summary.ties_kept += 1
        else:
            summary.pairs += 1


def export(
    conn: Any,
    out: str | Path,
    *,
    fmt: str = "trl",
    ties: str = "drop",
    redact: bool = False,
    include_stopped: bool = False,
) -> ExportSummary:
    """Write the export atomically: a temporary file (or directory) beside `out`, then a rename."""
    if fmt not in FORMATS:
        raise UsageError(f"--format is trl or hf, not {fmt!r}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    rows = list(_export(conn, ties, redact, summary, include_stopped))
    if fmt == "trl":
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    else:
        _save_hf(rows, out)
    return summary


def _save_hf(rows: list[dict], out: Path) -> None:
    from datasets import Dataset

    if out.exists() and not (out / "dataset_info.json").exists() and any(out.iterdir()):
        raise UsageError(f"{out} exists and is not a saved dataset: choose another --out")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        columns = sorted({k for row in rows for k in row}) or ["prompt", "chosen", "rejected"]
        data = {k: [row.get(k) for row in rows] for k in columns}
        Dataset.from_dict(data).save_to_disk(str(tmp / "data"))
        old = out.with_name(f".{out.name}.old")
        if out.exists():
            os.replace(out, old)
        os.replace(tmp / "data", out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- training pairs straight from the database (`--prefs db`, `--data db`) ---


@dataclass
class TrainingPairs(LeftOut):
    """The user's ratings as TRL pairs: `rows` (each with its `id`), and what went in or out."""

    rows: list[dict] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0

    @property
    def rating_ids(self) -> list[str]:
        return [row["id"] for row in self.rows]


def _better(a: Any, b: Any) -> str | None:
    """ "thumbs" or "stars" when that rating puts answer `a` above answer `b`, else None."""
    if a["thumbs"] == 1 and b["thumbs"] == -1:
        return "thumbs"
    if a["stars"] and b["stars"] and a["stars"] > b["stars"]:
        return "stars"
    return None


def _rated_siblings(conn: Any, summary: ExportSummary, include_stopped: bool) -> Iterator[dict]:
    """Pairs from thumbs and stars: two answers to the same message (regenerated siblings), one
    thumbed up and the other down, or one with more stars. An answer rated alone says nothing
    about which answer is better, so it makes no pair; nor does a stopped or cut-off one, unless
    `include_stopped`."""
    rated = conn.execute(
        "SELECT id, conversation_id, parent_id, content, model, thumbs, stars, finish_reason "
        "FROM messages WHERE role = 'assistant' AND (thumbs IS NOT NULL OR stars IS NOT NULL) "
        "ORDER BY id"
    ).fetchall()
    groups: dict[tuple, list] = {}
    for m in rated:
        if m["finish_reason"] in UNFINISHED and not include_stopped:
            summary.unfinished += 1
            continue
        groups.setdefault((m["conversation_id"], m["parent_id"]), []).append(m)
    for group in groups.values():
        for a in group:
            for b in group:
                kind = _better(a, b)
                if kind is None or a["content"].strip() == b["content"].strip():
                    continue
                yield {
                    "prompt": ratings.context_of(conn, a["id"]),
                    "chosen": [{"role": "assistant", "content": a["content"]}],
                    "rejected": [{"role": "assistant", "content": b["content"]}],
                    "id": f"{kind}:{a['id']}>{b['id']}",
                    "chosen_model": a["model"],
                    "rejected_model": b["model"],
                    "source": kind,
                }


def training_pairs(conn: Any, include_stopped: bool = False) -> TrainingPairs:
    """Every standing rating as TRL pairs, through the one conversion the export uses (arena
    votes, regenerate-picks, edits, imports; ties and both-bad left out as `data/arena/README.md`
    says), plus thumbs/stars on sibling answers; a pair said twice (a pick and a thumbs on the
    same two answers, a re-imported line) is kept once, the first time it was said."""
    summary = ExportSummary()
    seen: set[str] = set()
    rows = [
        *_export(conn, "drop", False, summary, include_stopped),
        *_rated_siblings(conn, summary, include_stopped),
    ]
    out = TrainingPairs(**summary.left_out())
    for row in rows:
        key = json.dumps([row["prompt"], row["chosen"], row["rejected"]], sort_keys=True)
        if key in seen:
            out.duplicates += 1
            continue
        seen.add(key)
        out.rows.append(row)
        out.by_source[row["source"]] = out.by_source.get(row["source"], 0) + 1
    return out
