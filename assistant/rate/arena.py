"""The arena's session logic (no Textual): prompts file, contenders, side shuffling, votes, resume.

    session = ArenaSession(conn, load_prompts("prompts.jsonl"), parse_contenders("a,b"), "ana")
    index = session.next_index()            # resume: the first item this annotator has not rated
    shown = session.show(index)             # sides decided here (recorded seed)
    left = session.generate(shown, "left")  # or stream: on_text=..., in a thread per side
    session.vote(shown, "left", reason="", tags=[])
    session.undo()                          # retracts the latest vote, returns its item index

Prompts file: JSONL (one object a line, `prompt` as a string or a list of messages, or `messages`;
optional `system`) or plain text, one prompt a line. A line may bring its own two responses
(`"responses": [{"model": "m", "text": "..."}, ...]`, or `"chosen"`/`"rejected"` strings); with
`"gold": 0|1` (or chosen/rejected) the better one is known and stats report annotators' accuracy.

Contenders (`--models A,B`): two model names, or one model under two settings, each entry
`NAME[@key=value,...]` with keys temperature, top_p, max_new_tokens, seed, e.g.
`smollm2-135m-instruct@temperature=0.2,smollm2-135m-instruct@temperature=1.0,seed=3`. Without a
seed, each item's seed is derived from its text, so a repeated item gets the same responses again
(what the self-consistency statistic needs) and a rerun reproduces them.

Sides: per item, a seeded coin (`shuffle_seed`, recorded with every vote) decides whether the
first contender is shown left or right.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.chat_context import chat_context
from assistant.errors import UsageError
from assistant.rate.arena_inputs import (  # noqa: F401  (re-exported: the arena's whole API here)
    Contender,
    Item,
    Message,
    Prepared,
    load_prompts,
    parse_contenders,
    parse_item,
    session_key,
)
from assistant.store import ratings


@dataclass
class Shown:
    """An item as put on screen: which contender/response is on which side."""

    index: int
    context: list[Message]
    sides: dict[str, Contender | Prepared]
    swapped: bool
    shuffle_seed: int
    gold_side: str | None = None
    shown_at: float = field(default_factory=time.time)
    ready_at: float | None = None
    responses: dict[str, ratings.Response] = field(default_factory=dict)


# --- prepared pairs for human evaluation (`parley eval winrate --judge human`) ---


def enqueue_pairs(path: str | Path, pairs: Iterable[dict[str, Any]]) -> str:
    """Write pairs as an arena prompts file and return its session key.

    Each pair: {"prompt": str | messages, "responses": [{"model": m, "text": t}, {...}]}. Run
    `parley arena --prompts PATH` (no --models) to rate them; `session_votes(conn, key)` reads
    the outcome.
    """
    path = Path(path)
    lines = []
    for pair in pairs:
        obj = {"prompt": pair["prompt"], "responses": pair["responses"]}
        parse_item(obj, 0)  # validate now rather than when the annotator reaches it
        lines.append(json.dumps(obj, ensure_ascii=False))
    tmp = path.with_name(path.name + ".tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return session_key(load_prompts(path), [])


def session_votes(conn: Any, key: str) -> list[dict[str, Any]]:
    """The standing votes of a session: item, annotator, vote, and the winning model (None for
    tie, both_bad and skip)."""
    out = []
    for r in ratings.standing_ratings(conn, session_key=key):
        winner = {"left": r.left.model, "right": r.right.model}.get(r.vote)
        out.append(
            {
                "item_index": r.item_index,
                "annotator": r.annotator,
                "vote": r.vote,
                "winner": winner,
                "models": [r.left.model, r.right.model],
            }
        )
    return out


# --- the session ---

EngineFactory = Callable[[str], Any]


def load_engine(name: str) -> Any:
    from assistant.inference import load_engine

    return load_engine(name)


class ArenaSession:
    """One annotator rating a list of items with two contenders, against one database."""

    def __init__(
        self,
        conn: Any,
        items: Sequence[Item],
        contenders: Sequence[Contender],
        annotator: str,
        *,
        system_prompt: str | None = None,
        base_params: dict[str, Any] | None = None,
        shuffle_seed: int | None = None,
        engine_factory: EngineFactory = load_engine,
    ) -> None:
        if not annotator.strip():
            raise UsageError("an annotator name is needed (--annotator NAME)")
        if not contenders and any(it.responses is None for it in items):
            missing = next(it for it in items if it.responses is None)
            raise UsageError(
                f"item on line {missing.line} has no responses of its own: give --models A,B"
            )
        self.conn = conn
        self.items = list(items)
        self.contenders = list(contenders)
        self.annotator = annotator.strip()
        self.system_prompt = system_prompt
        self.base_params = {"temperature": 0.7, "max_new_tokens": 256, **(base_params or {})}
        self.shuffle_seed = random.randrange(2**31) if shuffle_seed is None else shuffle_seed
        self.key = session_key(self.items, self.contenders)
        self._factory = engine_factory
        self._engines: dict[str, Any] = {}
        self._engine_lock = threading.Lock()
        self._revisit: dict[int, Shown] = {}  # items brought back by undo, as they were voted on

    @property
    def n(self) -> int:
        return len(self.items)

    def done(self) -> set[int]:
        return ratings.done_items(self.conn, self.annotator, self.key)

    def next_index(self) -> int | None:
        """The first item this annotator has no standing vote or skip on; None when all are."""
        done = self.done()
        return next((i for i in range(self.n) if i not in done), None)

    def engine(self, model: str) -> Any:
        with self._engine_lock:  # both sides may ask for the same model at once: load it once
            if model not in self._engines:
                self._engines[model] = self._factory(model)
            return self._engines[model]

    def show(self, index: int) -> Shown:
        """Put item `index` on screen: decide the sides (or reuse those of an undone vote)."""
        if index in self._revisit:
            shown = self._revisit.pop(index)
            shown.shown_at = time.time()
            shown.ready_at = None
            return shown
        item = self.items[index]
        context = chat_context(item.messages, self.system_prompt)
        swapped = random.Random(f"{self.shuffle_seed}:{index}").random() < 0.5
        first, second = item.responses or self.contenders
        left, right = (second, first) if swapped else (first, second)
        gold_side = None
        if item.gold is not None:
            gold_side = "left" if (item.gold == 1) == swapped else "right"
        return Shown(index, context, {"left": left, "right": right}, swapped, self.shuffle_seed,
                     gold_side)  # fmt: skip

    def params_for(self, shown: Shown, contender: Contender) -> dict[str, Any]:
        params = {**self.base_params, **dict(contender.overrides)}
        if params.get("seed") is None:
            digest = hashlib.sha256(json.dumps(shown.context).encode()).digest()
            params["seed"] = int.from_bytes(digest[:4], "big") % 2**31
        return params

    def generate(
        self,
        shown: Shown,
        side: str,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> ratings.Response:
        """Produce one side's response (streaming its text to `on_text`) and keep it on `shown`."""
        if side in shown.responses:  # an undone vote brought back: show what was voted on
            if on_text:
                on_text(shown.responses[side].text)
            return shown.responses[side]
        source = shown.sides[side]
        if isinstance(source, Prepared):
            response = ratings.Response(source.text, source.model)
            if on_text:
                on_text(source.text)
        else:
            response = self._generate(shown, source, on_text, cancel)
        shown.responses[side] = response
        if len(shown.responses) == 2:
            shown.ready_at = time.time()
        return response

    def _generate(self, shown, contender, on_text, cancel) -> ratings.Response:
        from assistant.inference import Done, GenerationParams, TextChunk, ToolCall, ToolResult

        engine = self.engine(contender.model)
        params = GenerationParams(**self.params_for(shown, contender))
        tool_calls: list[dict[str, Any]] = []
        done = None
        for event in engine.generate(shown.context, params, cancel):
            if isinstance(event, TextChunk) and on_text:
                on_text(event.text)
            elif isinstance(event, ToolCall | ToolResult):  # as the chat keeps them
                tool_calls.append(event.to_dict())
            elif isinstance(event, Done):
                done = event
        if done is None:
            raise RuntimeError(f"{contender.model} stopped without finishing its answer")
        return ratings.Response(
            done.text,
            contender.label,
            checkpoint=getattr(engine, "checkpoint", None) or _checkpoint(contender.model),
            params={**done.params, "finish_reason": done.finish_reason},
            tool_calls=tool_calls,
        )

    def generate_pair(self, shown: Shown, on_text: Callable[[str, str], None] | None = None):
        """Both sides at once, one thread each; returns (left, right) responses."""
        errors: list[BaseException] = []

        def run(side: str) -> None:
            try:
                self.generate(shown, side, (lambda t: on_text(side, t)) if on_text else None)
            except BaseException as e:  # re-raised in the caller's thread
                errors.append(e)

        threads = [threading.Thread(target=run, args=(s,)) for s in ("left", "right")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return shown.responses["left"], shown.responses["right"]

    def vote(
        self,
        shown: Shown,
        vote: str,
        *,
        reason: str = "",
        tags: Sequence[str] = (),
        scores: dict[str, int | None] | None = None,
    ) -> int:
        """Store the annotator's decision on a shown item (one transaction); returns its id."""
        if vote != "skip" and len(shown.responses) < 2:
            raise UsageError("wait until both responses are complete before voting")
        scores = scores or {}
        sides = {}
        for side in ("left", "right"):
            resp = shown.responses.get(side)
            if resp is None:  # skipped before it finished: record what was there to compare
                src = shown.sides[side]
                label = src.label if isinstance(src, Contender) else src.model
                resp = ratings.Response("", label)
            resp.score = scores.get(side)
            sides[side] = resp
        return ratings.record(
            self.conn,
            ratings.Rating(
                source="arena",
                annotator=self.annotator,
                context=shown.context,
                left=sides["left"],
                right=sides["right"],
                vote=vote,
                reason=reason,
                tags=list(tags),
                session_key=self.key,
                item_index=shown.index,
                swapped=shown.swapped,
                shuffle_seed=shown.shuffle_seed,
                gold_side=shown.gold_side,
                shown_at=shown.shown_at,
                ready_at=shown.ready_at,
            ),
        )

    def undo(self) -> int | None:
        """Retract this annotator's latest vote in this session; returns its item index (to show
        again, with the same responses on the same sides), or None if there is none."""
        row = ratings.retract_last(self.conn, self.annotator, self.key)
        if row is None:
            return None
        r = ratings.Rating.from_row(row)
        shown = Shown(r.item_index, r.context, {}, bool(r.swapped), r.shuffle_seed, r.gold_side)
        if r.vote != "skip":
            for side in ("left", "right"):
                was = r.response(side)
                shown.responses[side] = ratings.Response(
                    was.text, was.model, was.checkpoint, was.params, was.tool_calls
                )
                shown.sides[side] = Prepared(was.model, was.text)
            self._revisit[shown.index] = shown
        return shown.index


def _checkpoint(model: str) -> str | None:
    from assistant import models

    try:
        return models.resolve(model).path
    except Exception:  # provenance is best effort; the vote matters more
        return None
