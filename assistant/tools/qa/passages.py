"""A document cut into passages, and the passages nearest a question (MiniLM sentence embeddings).

    >>> [len(p.split()) <= 70 for p in split_passages("One two. " * 100)]  # doctest: +ELLIPSIS
    [True, True, ...]

A passage is a run of whole sentences of at most `MAX_WORDS` words (a longer sentence alone);
consecutive passages share one sentence, so an answer that straddles two sentences is whole in
one of them. Imports torch only when `retrieve` runs.
"""

from __future__ import annotations

from assistant.tools.text import split_sentences

MAX_WORDS = 70


def split_passages(text: str, max_words: int = MAX_WORDS) -> list[str]:
    sentences = split_sentences(text)
    passages: list[str] = []
    i = 0
    while i < len(sentences):
        words, j = 0, i
        while j < len(sentences) and (j == i or words + len(sentences[j].split()) <= max_words):
            words += len(sentences[j].split())
            j += 1
        passages.append(" ".join(sentences[i:j]))
        if j >= len(sentences):
            break
        i = j - 1 if j - i > 1 else j  # overlap by one sentence
    return passages


def retrieve(question: str, passages: list[str], k: int = 3) -> list[tuple[int, float]]:
    """The `k` passages most similar to the question: (index, cosine), best first."""
    from assistant.tools import embeddings

    vectors = embeddings.embed([question, *passages])
    scores = (vectors[1:] @ vectors[0]).tolist()
    ranked = sorted(range(len(passages)), key=lambda i: -scores[i])
    return [(i, scores[i]) for i in ranked[:k]]
