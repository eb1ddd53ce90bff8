"""`summarize`: a shorter text that keeps what matters.

    parley tool summarize @README.md
    parley tool summarize --backend extractive --sentences 3 @notes.txt
    parley tool summarize --backend hf --model ./bart-large-cnn "long text ..."
    /summarize TEXT   or   /summarize @FILE     (in `parley chat` / `parley ask`)

- `llm` (default): abstractive, by the chat model (`--model`, default the embedded one) through
  `assistant.inference`. A text longer than the model's window is first cut down extractively to
  the sentences that fit (in their original order), then summarised.
- `extractive`: the sentences closest to the whole text's meaning (MiniLM sentence embeddings,
  centrality with a redundancy penalty), in their original order. No NLTK data is needed.
- `hf`: any local BART/T5 encoder-decoder (`--model DIR` or PARLEY_SUMMARIZE_MODEL).

Text up to 100,000 characters (or a UTF-8 file) is accepted; binary files are refused.
"""

from __future__ import annotations

import re

from assistant.errors import UsageError
from assistant.tools import embeddings, hf
from assistant.tools.base import BackendInfo, Output, Progress
from assistant.tools.llm import _engines as _engines  # shared cache; tests clear it
from assistant.tools.llm import chat_engine
from assistant.tools.llm import use_engine as use_engine  # tests hand it a tiny engine
from assistant.tools.params import Param, params
from assistant.tools.text import TextTool, split_sentences

MAX_CHARS = 100_000
HF_ENV = "PARLEY_SUMMARIZE_MODEL"
LLM_INPUT_CHARS = 3_000  # about 700 tokens: room for the answer in a 2k window
PROMPT = (
    "Summarize the following text in two or three sentences. Reply with the summary only.\n\n"
    "Text:\n{text}"
)


class SummarizeTool(TextTool):
    name = "summarize"
    description = "Summarize a text (or a file: @PATH) in a few sentences."
    usage = "/summarize [--backend llm|extractive|hf] [--sentences N] [--model M] TEXT|@FILE"
    parameters = params(
        Param(
            "text",
            "the text to summarize, or @PATH of a text file",
            nargs="*",
            metavar="TEXT|@FILE",
            model="required",
        ),
        Param(
            "sentences",
            "extractive only: how many sentences to keep",
            type=int,
            flags=("--sentences", "-n"),
            metavar="N",
        ),
        Param(
            "model",
            "llm: a chat model name/dir; hf: a BART/T5 directory",
            flags=("--model",),
            metavar="M",
        ),
    )

    def backends(self) -> list[BackendInfo]:
        return self.backend_table(
            ("llm", "decoder-only transformer (the chat model)", _llm_present()),
            ("extractive", "sentence embeddings (MiniLM-L6 encoder)", embeddings.available()),
            ("hf", "transformer encoder-decoder (BART/T5)", hf.model_dir(None, HF_ENV) is not None),
        )

    max_chars = MAX_CHARS

    def answer(
        self, backend: str, text: str, progress: Progress | None, sentences=None, model=None
    ) -> Output:
        text = prose(text) or text
        if sentences is not None and int(sentences) < 1:
            raise UsageError(f"--sentences must be at least 1, got {sentences}")
        if backend == "extractive":
            summary = extract(text, int(sentences) if sentences else None)
        elif backend == "llm":
            summary = _llm(text, model, progress)
        else:
            summary = _hf(text, model, progress)
        summary = summary.strip()
        return Output(
            summary,
            data={"input_chars": len(text), "compression": round(len(summary) / len(text), 3)},
        )


def prose(text: str) -> str:
    r"""The running text of a Markdown document: without code blocks, tables, headings and
    HTML comments (a summary of README.md should not quote its shell commands).

    >>> prose("# Title\n\nSome text.\n\n```sh\nmake\n```\n| a | b |\n- a point")
    'Some text.\n\n\n- a point'
    """
    text = re.sub(r"(?ms)^(```|~~~).*?^\1[^\n]*$", "", text)
    text = re.sub(r"(?s)<!--.*?-->", "", text)
    lines = [
        line
        for line in text.splitlines()
        if not re.match(r"\s*(\||#{1,6}\s)", line) and not re.fullmatch(r"[\s=-]+", line)
    ]
    return "\n".join(lines).strip()


def extract(text: str, keep: int | None = None, redundancy: float = 0.5) -> str:
    """The `keep` most central sentences (default: a fifth, 1 to 5), in the text's order.

    Centrality is cosine similarity to the mean of all sentence embeddings; each pick lowers the
    score of sentences similar to it (maximal marginal relevance), so the summary does not repeat.
    """
    sents = split_sentences(text)
    if keep is None:
        keep = min(5, max(1, round(len(sents) / 5)))
    if len(sents) <= keep:
        return " ".join(sents)
    import torch

    vectors = embeddings.embed(sents)
    centre = torch.nn.functional.normalize(vectors.mean(0), dim=0)
    relevance = vectors @ centre
    chosen: list[int] = []
    for _ in range(keep):
        if chosen:
            overlap = (vectors @ vectors[chosen].t()).max(dim=1).values
            score = relevance - redundancy * overlap
        else:
            score = relevance.clone()
        score[chosen] = float("-inf")
        chosen.append(int(score.argmax()))
    return " ".join(sents[i] for i in sorted(chosen))


def _llm(text: str, model: str | None, progress: Progress | None) -> str:
    from assistant.inference import GenerationParams

    engine = chat_engine(model, progress)
    if len(text) > LLM_INPUT_CHARS:  # documented chunking: cut down extractively first
        sents = split_sentences(text)
        average = max(len(text) / max(len(sents), 1), 1)
        text = extract(text, max(1, int(LLM_INPUT_CHARS / average)))[: LLM_INPUT_CHARS * 2]
    messages = [{"role": "user", "content": PROMPT.format(text=text)}]
    # mild sampling with a fixed seed: greedy decoding sends a 135M model into loops
    params = GenerationParams(temperature=0.3, top_p=0.9, max_new_tokens=160, seed=0)
    # tools=False: a summary that spells a tool call stays text (no tool runs inside a tool)
    extra = {"tools": False} if hasattr(engine, "run_tools") else {}
    *_, done = engine.generate(messages, params, **extra)
    return _without_repeats(done.text)


def _without_repeats(text: str) -> str:
    """The summary up to the first sentence it repeats (a small model's loop), and no unfinished
    last sentence when there are finished ones.

    >>> _without_repeats("A is big. B is small. A is big. B is")
    'A is big. B is small.'
    """
    kept: list[str] = []
    for sentence in split_sentences(text):
        if sentence.lower() in {k.lower() for k in kept}:
            break
        kept.append(sentence)
    if len(kept) > 1 and not kept[-1].endswith((".", "!", "?", "…", '"')):
        kept.pop()
    return " ".join(kept)


def _llm_present() -> bool:
    import importlib.util

    from assistant import models

    return importlib.util.find_spec(models.EMBEDDED_PACKAGE) is not None


def _hf(text: str, model: str | None, progress: Progress | None) -> str:
    seq2seq, tokenizer = hf.load(model, HF_ENV, "BART/T5", "AutoModelForSeq2SeqLM", progress)
    prefix = "summarize: " if seq2seq.config.model_type == "t5" else ""
    limit = min(getattr(tokenizer, "model_max_length", 1024) or 1024, 1024)
    return hf.generate(seq2seq, tokenizer, [prefix + text], limit, max_new_tokens=142)[0]
