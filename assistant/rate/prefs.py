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
`--redact` leaves out the `annotator` field. The file is written to a temporary name and renamed,
so a kill mid-export leaves the old file (or none), never half a file.

Import reads TRL preference JSONL: `chosen`/`rejected` as strings or message lists, `prompt` as a
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
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import DataError, UsageError
from assistant.store import ratings

FORMATS = ("trl", "hf")
TIES = ("drop", "keep")


@dataclass
class ExportSummary:
    rows: int = 0
    pairs: int = 0
    ties_kept: int = 0
    ties_dropped: int = 0
    both_bad: int = 0
    skips: int = 0

    def line(self, out: Path) -> str:
        ties = f"{self.ties_kept} ties kept (2 rows each)" if self.ties_kept else (
            f"{self.ties_dropped} ties dropped"
        )  # fmt: skip
        return (
            f"wrote {self.rows} rows to {out}: {self.pairs} preferences, {ties}, "
            f"{self.both_bad} both-bad and {self.skips} skips left out"
        )


def export_rows(conn: Any, *, ties: str = "drop", redact: bool = False) -> Iterator[dict]:
    """The standing ratings as TRL preference rows (see the module docstring)."""
    yield from _export(conn, ties, redact, ExportSummary())


def _export(conn: Any, ties: str, redact: bool, summary: ExportSummary) -> Iterator[dict]:
    if ties not in TIES:
        raise UsageError(f"--ties is drop or keep, not {ties!r}")
    for r in ratings.standing_ratings(conn):
        vote = r.vote
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
    conn: Any, out: str | Path, *, fmt: str = "trl", ties: str = "drop", redact: bool = False
) -> ExportSummary:
    """Write the export atomically: a temporary file (or directory) beside `out`, then a rename."""
    if fmt not in FORMATS:
        raise UsageError(f"--format is trl or hf, not {fmt!r}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = ExportSummary()
    rows = list(_export(conn, ties, redact, summary))
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


# --- import ---


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


# --- training pairs straight from the database (`--prefs db`, `--data db`) ---


@dataclass
class TrainingPairs:
    """The user's ratings as TRL pairs: `rows` (each with its `id`), and what went in or out."""

    rows: list[dict] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    ties_dropped: int = 0
    both_bad: int = 0
    skips: int = 0

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


def _rated_siblings(conn: Any) -> Iterator[dict]:
    """Pairs from thumbs and stars: two answers to the same message (regenerated siblings), one
    thumbed up and the other down, or one with more stars. An answer rated alone says nothing
    about which answer is better, so it makes no pair."""
    rated = conn.execute(
        "SELECT id, conversation_id, parent_id, content, model, thumbs, stars FROM messages "
        "WHERE role = 'assistant' AND (thumbs IS NOT NULL OR stars IS NOT NULL) ORDER BY id"
    ).fetchall()
    groups: dict[tuple, list] = {}
    for m in rated:
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


def training_pairs(conn: Any) -> TrainingPairs:
    """Every standing rating as TRL pairs, through the one conversion the export uses (arena
    votes, regenerate-picks, edits, imports; ties and both-bad left out as `data/arena/README.md`
    says), plus thumbs/stars on sibling answers; a pair said twice (a pick and a thumbs on the
    same two answers, a re-imported line) is kept once, the first time it was said."""
    summary = ExportSummary()
    out = TrainingPairs()
    seen: set[str] = set()
    for row in [*_export(conn, "drop", False, summary), *_rated_siblings(conn)]:
        key = json.dumps([row["prompt"], row["chosen"], row["rejected"]], sort_keys=True)
        if key in seen:
            out.duplicates += 1
            continue
        seen.add(key)
        out.rows.append(row)
        out.by_source[row["source"]] = out.by_source.get(row["source"], 0) + 1
    out.ties_dropped, out.both_bad, out.skips = (
        summary.ties_dropped, summary.both_bad, summary.skips)  # fmt: skip
    return out
