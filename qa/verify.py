"""Verify: is every sentence of an answer supported by the spans it cites?

A deterministic check shared by the eval suite (groundedness) and the LLM
answerer (which drops what fails it): every content word, number and name of a
sentence must occur in the cited text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.text import content_terms, numbers, sentence_spans


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    supported: bool
    missing: tuple[str, ...]
    """Terms of the sentence found in none of the cited spans (stemmed)."""


def answer_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def check_sentence(sentence: str, cited: Sequence[str]) -> SentenceCheck:
    evidence = " \n".join(cited)
    have_terms = set(content_terms(evidence))
    have_numbers = numbers(evidence)
    missing = [t for t in dict.fromkeys(content_terms(sentence)) if t not in have_terms]
    missing += sorted(numbers(sentence) - have_numbers - set(missing))
    return SentenceCheck(sentence, not missing, tuple(missing))


def check_answer(text: str, cited: Sequence[str]) -> list[SentenceCheck]:
    """One check per answer sentence, against all the quotes the answer cites."""
    return [check_sentence(s, cited) for s in answer_sentences(text)]
