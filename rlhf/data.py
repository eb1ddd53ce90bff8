"""Training data in TRL's own formats, checked before any training starts.

- SFT: conversational JSONL, one `{"messages": [{"role": ..., "content": ...}, ...]}` per line.
- Preferences: `{"prompt": [...messages], "chosen": [...], "rejected": [...]}` per line, as
  `parley prefs export` writes them (plain strings for prompt/chosen/rejected work too).
- Either can also be a directory saved by `datasets` (`save_to_disk`), so any HF dataset in
  these formats works.

Conversations and conversational prompts are put in the chat context the model is used under
(`assistant.chat_context`): one that brings no system message gets Parley's, not the chat
template's stand-in.

A malformed record raises `DataError` naming the file and line: `data/x.jsonl:12: ...`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import DataError

if TYPE_CHECKING:
    from datasets import Dataset

ROLES = ("system", "user", "assistant", "tool")
DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def _check_messages(messages: Any, what: str, need_assistant: bool) -> str | None:
    if not isinstance(messages, list) or not messages:
        return f"{what} must be a non-empty list of messages"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or set(m) - {"role", "content", "name"}:
            return f"{what}[{i}] must be {{'role': ..., 'content': ...}}"
        if m.get("role") not in ROLES:
            return f"{what}[{i}] has role {m.get('role')!r}; use one of {', '.join(ROLES)}"
        if not isinstance(m.get("content"), str):
            return f"{what}[{i}] content must be a string"
    if need_assistant and not any(m["role"] == "assistant" for m in messages):
        return f"{what} has no assistant message (nothing to learn from)"
    return None


def check_conversation(record: Any) -> str | None:
    """Why a record is not a conversational SFT example, or None.

    >>> check_conversation({"messages": [{"role": "user", "content": "hi"}]})
    'messages has no assistant message (nothing to learn from)'
    """
    if not isinstance(record, dict) or "messages" not in record:
        return 'expected {"messages": [...]}'
    return _check_messages(record["messages"], "messages", need_assistant=True)


def check_preference(record: Any) -> str | None:
    """Why a record is not a preference pair, or None.

    >>> check_preference({"prompt": "hi", "chosen": "hello", "rejected": "hello"}) is None
    True
    >>> check_preference({"prompt": "hi", "chosen": "a"})
    'missing key(s): rejected'
    """
    if not isinstance(record, dict):
        return 'expected {"prompt": ..., "chosen": ..., "rejected": ...}'
    missing = [k for k in ("prompt", "chosen", "rejected") if k not in record]
    if missing:
        return f"missing key(s): {', '.join(missing)}"
    for key in ("prompt", "chosen", "rejected"):
        value = record[key]
        if isinstance(value, str):
            if key != "prompt" and not value.strip():
                return f"{key} is empty"
            continue
        problem = _check_messages(value, key, need_assistant=key != "prompt")
        if problem:
            return problem
    return None


def read_jsonl(path: str | Path, check) -> list[dict[str, Any]]:
    """Every record of a JSONL file, each checked; the first bad one raises with file:line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file")
    records = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{lineno}: not valid JSON ({e.msg})") from e
            problem = check(record)
            if problem:
                raise DataError(f"{path}:{lineno}: {problem}")
            records.append(record)
    if not records:
        raise DataError(f"{path}: no records")
    return records


def in_context(record: dict[str, Any]) -> dict[str, Any]:
    """A conversation's messages, or a pair's conversational prompt, in the chat context.

    >>> in_context({"messages": [{"role": "user", "content": "hi"}]})["messages"][0]["role"]
    'system'
    """
    from assistant.chat_context import chat_context

    if "messages" in record:
        return {**record, "messages": chat_context(record["messages"])}
    if isinstance(record.get("prompt"), list):
        return {**record, "prompt": chat_context(record["prompt"])}
    return record


def _load(sources: str | list[str], check) -> Dataset:
    from datasets import Dataset, DatasetDict, concatenate_datasets, load_from_disk

    if isinstance(sources, str):
        sources = [s for s in sources.split(",") if s.strip()]
    parts = []
    for source in sources:
        path = Path(source).expanduser()
        if not path.exists() and (DATA_DIR.parent / source).exists():
            path = DATA_DIR.parent / source  # repo-relative names work from any directory
        if path.is_dir():
            data = load_from_disk(str(path))
            data = data["train"] if isinstance(data, DatasetDict) else data
            for i, record in enumerate(data):
                problem = check(record)
                if problem:
                    raise DataError(f"{path}: row {i}: {problem}")
            parts.append(data.map(in_context))
        else:
            records = read_jsonl(path, check)
            keys = (
                ("messages",) if check is check_conversation else ("prompt", "chosen", "rejected")
            )
            parts.append(Dataset.from_list([in_context({k: r[k] for k in keys}) for r in records]))
    if not parts:
        raise DataError("no data given; set `data` to a JSONL file or dataset directory")
    return parts[0] if len(parts) == 1 else concatenate_datasets(parts)


def load_conversations(sources: str | list[str]) -> Dataset:
    return _load(sources, check_conversation)


def load_preferences(sources: str | list[str]) -> Dataset:
    return _load(sources, check_preference)


def read_prompt_rows(path: str | Path) -> list[dict[str, Any]]:
    """A prompt file's rows: JSONL records with a `prompt` (a string or messages) and any facts
    beside it (`data/rl/prompts.jsonl`), or a text file's lines as `{"prompt": line}`; a path
    relative to the repository works from anywhere."""
    p = Path(path)
    if not p.exists() and (DATA_DIR.parent / path).exists():
        p = DATA_DIR.parent / path
    if p.suffix == ".jsonl":
        return read_jsonl(p, lambda r: None if "prompt" in r else 'expected {"prompt": ...}')
    if not p.is_file():
        raise DataError(f"{p}: no such prompt file")
    return [{"prompt": line.strip()} for line in p.read_text().splitlines() if line.strip()]


def conversations(rows: list[dict[str, Any]]) -> list[list[dict]]:
    """Prompt rows' `prompt`s as conversations (a string is one user message)."""
    raw = [r["prompt"] for r in rows]
    return [r if isinstance(r, list) else [{"role": "user", "content": r}] for r in raw]


def read_prompts(path: str | Path) -> list[list[dict]]:
    """A prompt file (`read_prompt_rows`) as conversations. PPO and RLOO queries, the pipeline's
    pair and win-rate prompts all read through here."""
    return conversations(read_prompt_rows(path))


def split(
    dataset: Dataset, eval_fraction: float, seed: int, min_eval: int = 0
) -> tuple[Dataset, Dataset | None]:
    """A seeded train/eval split; at least one eval row when eval_fraction > 0, and at least
    `min_eval` rows when that still leaves 70% of the data to train on (an accuracy measured on a
    handful of pairs says little).

    >>> from datasets import Dataset
    >>> [len(split(Dataset.from_dict({"x": list(range(n))}), 0.1, 0, 200)[1]) for n in (40, 1000)]
    [12, 200]
    """
    if eval_fraction <= 0 or len(dataset) < 2:
        return dataset, None
    size = max(1, round(len(dataset) * eval_fraction), min(min_eval, len(dataset) * 3 // 10))
    parts = dataset.train_test_split(test_size=size, seed=seed)
    return parts["train"], parts["test"]


def flipped_pairs(sources: str) -> set[tuple[str, str]]:
    """(chosen, rejected) texts of the pairs a simulated rater's label noise turned round
    (`flipped` in the record, written by `rlhf.raters.label_pairs`)."""
    return marked_pairs(sources, "flipped") or set()


def marked_pairs(sources: str, key: str) -> set[tuple[str, str]] | None:
    """(chosen, rejected) texts of the records of the JSONL `sources` whose `key` is true
    (`flipped`, `tie`); None when no record has `key` (files written before it existed)."""
    from rlhf.annotators import text_of

    out, seen = set(), False
    for source in sources.split(","):
        path = Path(source.strip())
        if path.suffix != ".jsonl" or not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            if isinstance(record, dict) and key in record:
                seen = True
                if record[key]:
                    out.add((text_of(record["chosen"]), text_of(record["rejected"])))
    return out if seen else None


DB = "db"  # `--data db` / `--prefs db`: the user's stored ratings


def human_pairs_file(out_dir: Path, database: str | Path | None = None) -> tuple[Path, dict]:
    """The ratings in Parley's database (`$PARLEY_HOME`, or `database`) as a TRL pairs file in
    `out_dir`, through `assistant.rate.prefs.training_pairs`; returns it and what went in (counts by
    source and the rating ids, for the lineage)."""
    from assistant import paths, store
    from assistant.rate import prefs

    db_path = Path(database) if database else paths.database_path()
    if not db_path.exists():
        raise DataError(
            f"--prefs db: no database at {db_path}; rate answers in `parley arena` "
            "or the chat first"
        )
    conn = store.connect(db_path)
    try:
        pairs = prefs.training_pairs(conn)
    finally:
        conn.close()
    if not pairs.rows:
        raise DataError(
            f"--prefs db: {db_path} has no rating that makes a pair (votes, picks, "
            "edits, thumbs or stars on two answers to one message)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "human_pairs.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pairs.rows))
    info = {
        "database": str(db_path),
        "pairs": len(pairs.rows),
        "by_source": pairs.by_source,
        "duplicates": pairs.duplicates,
        "ties_dropped": pairs.ties_dropped,
        "both_bad": pairs.both_bad,
        "rating_ids": pairs.rating_ids,
    }
    (out_dir / "human_pairs.json").write_text(json.dumps(info, indent=2))
    return path, info


def with_database(sources: str, out_dir: Path) -> tuple[str, dict | None]:
    """`sources` with `db` replaced by the file of the user's stored ratings (see above)."""
    parts = [s for s in sources.split(",") if s.strip()]
    if DB not in parts:
        return sources, None
    path, info = human_pairs_file(out_dir)
    return ",".join(str(path) if s == DB else s for s in parts), info
