"""Unanswerable questions made from answerable ones, labelled "no answer".

SQuAD 1.1 has no unanswerable questions and SQuAD 2.0 here has few, so the pool adds
three kinds: an easy one (another paragraph) and two on topic (the answer taken out of the
paragraph, or a name or number in the question swapped), like SQuAD 2.0's own.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from qa.text import sentence_spans
from train.data import Example


def swapped_negatives(articles: Sequence[dict[str, Any]], share: float, seed: int) -> list[Example]:
    """A question paired with another paragraph of its own article: an easy unanswerable."""
    rng = random.Random(seed)
    out = []
    for article in articles:
        paragraphs = article["paragraphs"]
        if len(paragraphs) < 2:
            continue
        for p, paragraph in enumerate(paragraphs):
            for qa in paragraph["qas"]:
                if rng.random() >= share:
                    continue
                other = rng.choice([i for i in range(len(paragraphs)) if i != p])
                out.append(
                    Example(
                        qa["id"] + "_swap",
                        article["title"],
                        qa["question"],
                        paragraphs[other]["context"],
                        (),
                    )
                )
    return out


def removed_negatives(articles: Sequence[dict[str, Any]], share: float, seed: int) -> list[Example]:
    """A question whose paragraph lost the sentence(s) holding its answer: an on-topic
    unanswerable, close to the question's words but without what it asks. Skipped when
    the answer itself still appears in what is left."""
    rng = random.Random(seed)
    out = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            sentences = sentence_spans(context)
            for qa in paragraph["qas"]:
                if not qa["answers"] or rng.random() >= share:
                    continue
                answer = qa["answers"][0]
                begin, end = answer["answer_start"], answer["answer_start"] + len(answer["text"])
                kept = [context[a:b] for a, b in sentences if b <= begin or a >= end]
                rest = " ".join(kept)
                if len(kept) < 2 or answer["text"].lower() in rest.lower():
                    continue
                question = qa["question"]
                out.append(Example(qa["id"] + "_removed", article["title"], question, rest, ()))
    return out


# A name: a run of capitalised words seen mid-sentence (so not a sentence's first word);
# a number: digits with their separators.
NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][\w'-]*(?: [A-Z][\w'-]*)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")


def _mentions(text: str) -> set[str]:
    return {m.group() for pattern in (NAME, _NUMBER) for m in pattern.finditer(text)}


def _shape(mention: str) -> str:
    """Names swap with names of as many words, numbers with numbers written alike."""
    return re.sub(r"\d", "0", mention) if mention[0].isdigit() else f"name{len(mention.split())}"


def entity_swapped_negatives(
    articles: Sequence[dict[str, Any]], share: float, seed: int
) -> list[Example]:
    """A question with one of its names or numbers, found in its paragraph, replaced by
    another of the same shape from elsewhere in its article that the paragraph never
    mentions: an on-topic question the paragraph cannot answer, like SQuAD 2.0's entity-
    and number-swap unanswerables."""
    rng = random.Random(seed)
    out = []
    for article in articles:
        by_shape: dict[str, list[str]] = {}
        for mention in sorted(
            set().union(*(_mentions(p["context"]) for p in article["paragraphs"]))
        ):
            by_shape.setdefault(_shape(mention), []).append(mention)
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            lowered = context.lower()
            for qa in paragraph["qas"]:
                if not qa["answers"] or rng.random() >= share:
                    continue
                question = qa["question"]
                asked = question.lower()
                found = [
                    m
                    for m in (*NAME.finditer(question), *_NUMBER.finditer(question))
                    if re.search(rf"\b{re.escape(m.group())}\b", context)
                ]
                rng.shuffle(found)
                for match in found:
                    others = [
                        m
                        for m in by_shape.get(_shape(match.group()), [])
                        if m.lower() not in lowered and m.lower() not in asked
                    ]
                    if others:
                        swapped = (
                            question[: match.start()] + rng.choice(others) + question[match.end() :]
                        )
                        out.append(
                            Example(qa["id"] + "_entity", article["title"], swapped, context, ())
                        )
                        break
    return out
