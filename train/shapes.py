"""SQuAD paragraphs laid out as users' documents are read: the reading view.

The reader sees a Markdown, HTML or plain document one unit a line: a paragraph, a heading
(its text alone), a list item, a table row (cells joined by a tab); blocks apart by a blank
line, the items of one list by a line break. SQuAD is all Wikipedia paragraphs, so a
stage can lay some of its examples out that way: under the article's title or a section
heading, as list items or fields, or among other paragraphs of the article. Answers keep
their exact offsets (an example whose answer does not survive is dropped), and
unanswerable examples are shaped alike, so that the layout tells nothing of answerability.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from index.view import BLOCK, CELL, LINE
from qa.text import sentence_spans
from train.data import Example

# Each shape's share of the examples shaped.
SHAPES = {"title": 0.2, "section": 0.15, "list": 0.25, "fields": 0.1, "blocks": 0.3}
SHORT = 12  # words: a sentence this short may become a field or a table row
_COPULA = re.compile(r" (?:is|was|are|were) ")  # "Key is value" -> "Key: value"
_NAME_OR_NUMBER = re.compile(r"\b(?:[A-Z][\w'-]*|\d[\d,.]*)")


@dataclass(frozen=True, slots=True)
class Articles:
    """What a shape may put beside an example: the paragraphs of each article by title, and
    each question's own paragraph by question id."""

    paragraphs: dict[str, tuple[str, ...]]
    own: dict[str, str]


def index_articles(articles: Sequence[dict[str, Any]]) -> Articles:
    paragraphs: dict[str, tuple[str, ...]] = {}
    own: dict[str, str] = {}
    for article in articles:
        contexts = [p["context"] for p in article["paragraphs"]]
        paragraphs[article["title"]] = (*paragraphs.get(article["title"], ()), *contexts)
        for paragraph in article["paragraphs"]:
            own.update((qa["id"], paragraph["context"]) for qa in paragraph["qas"])
    return Articles(paragraphs, own)


def reshaped(
    items: Sequence[Example], articles: Articles, share: float, seed: int
) -> list[Example]:
    """The items, a seeded ``share`` of them laid out as documents (:func:`shape`); one whose
    answer the layout would not keep whole is dropped."""
    rng = random.Random(seed)
    out = []
    for example in items:
        if rng.random() >= share:
            out.append(example)
        elif (shaped := shape(example, articles, rng)) is not None:
            out.append(shaped)
    return out


class Layout:
    """Text written from literal pieces and slices of one source paragraph, remembering where
    each slice went, so that a source offset can be followed into the new text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.placed: list[tuple[int, int, int]] = []  # (source begin, source end, new begin)
        self.length = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def unit(self, text: str) -> None:
        """One unit's text, its line breaks and tabs made spaces: one unit, one line."""
        self.write(text.replace(LINE, " ").replace(CELL, " "))

    def copy(self, begin: int, end: int) -> None:
        self.placed.append((begin, end, self.length))
        self.unit(self.source[begin:end])

    def text(self) -> str:
        return "".join(self.parts)

    def moved(self, offset: int) -> int | None:
        return next((new + offset - a for a, b, new in self.placed if a <= offset < b), None)


def shape(example: Example, articles: Articles, rng: random.Random) -> Example | None:
    """``example`` in one of the :data:`SHAPES`, drawn with their shares; None when an answer
    would not come out whole (the answer text is checked at its new offset)."""
    context = example.context
    answers = [(begin, begin + len(text)) for text, begin in example.answers]
    layout = Layout(context)
    kind = rng.choices(list(SHAPES), weights=list(SHAPES.values()))[0]
    title = example.title.replace("_", " ").strip()
    if kind == "title":
        _heading(layout, title)
        layout.copy(0, len(context))
    elif kind == "section":
        _heading(layout, section_heading(context, example.answers) or title)
        layout.copy(0, len(context))
    elif kind in ("list", "fields"):
        if rng.random() < 0.5:
            _heading(layout, title)
        lines = sentence_lines(context, answers)
        if len(lines) > 1 and rng.random() < 0.5:  # a lead-in paragraph, then the list
            layout.copy(*lines.pop(0))
            layout.write(BLOCK)
        for n, (begin, end) in enumerate(lines):
            if n:
                layout.write(LINE)
            if kind == "fields" and len(context[begin:end].split()) <= SHORT:
                _field(layout, begin, end, answers)
            else:
                layout.copy(begin, end)
    else:
        _blocks(layout, example, articles, title, rng)
    new = layout.text()
    kept = []
    for text, begin in example.answers:
        at = layout.moved(begin)
        if at is not None and new[at : at + len(text)] == text:
            kept.append((text, at))
    if len(kept) < len(example.answers):
        return None
    return Example(example.id, example.title, example.question, new, tuple(kept))


def _heading(layout: Layout, text: str) -> None:
    layout.unit(text)
    layout.write(BLOCK)


def section_heading(context: str, answers: Sequence[tuple[str, int]]) -> str | None:
    """A short heading taken from the first sentence: its longest run of capitalised words
    (a name: what the paragraph is about), else its first three words; None when it would
    give an answer away."""
    spans = sentence_spans(context)
    if not spans:
        return None
    first = context[slice(*spans[0])]
    runs = re.findall(r"[A-Z][\w'-]*(?: [A-Z][\w'-]*){0,3}", first)
    heading = max(runs, key=len) if runs else " ".join(first.split()[:3]).strip(".,;:")
    lowered = heading.lower()
    if not heading or any(text.lower() in lowered for text, _ in answers if text):
        return None
    return heading


def sentence_lines(context: str, answers: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The paragraph's sentences, one per line; sentences an answer runs across share one."""
    lines: list[tuple[int, int]] = []
    for begin, end in sentence_spans(context):
        if lines and any(a < lines[-1][1] < b for a, b in answers):
            lines[-1] = (lines[-1][0], end)
        else:
            lines.append((begin, end))
    return lines


def _field(layout: Layout, begin: int, end: int, answers: Sequence[tuple[int, int]]) -> None:
    """A short sentence as "Key: value" (at its first is/was/are/were), else as a table row
    (its commas made cells), else as it is; never cutting through an answer."""

    def clear(cut: int, length: int) -> bool:
        return not any(a < cut + length and cut < b for a, b in answers)

    sentence = layout.source[begin:end]
    copula = _COPULA.search(sentence)
    if copula and 0 < len(sentence[: copula.start()].split()) <= 4:
        cut = begin + copula.start()
        if clear(cut, copula.end() - copula.start()):
            layout.copy(begin, cut)
            layout.write(": ")
            layout.copy(begin + copula.end(), end)
            return
    cuts = [begin + m.start() for m in re.finditer(", ", sentence)]
    cuts = [c for c in cuts if clear(c, 2)]
    if not cuts:
        layout.copy(begin, end)
        return
    at = begin
    for cut in cuts:
        layout.copy(at, cut)
        layout.write(CELL)
        at = cut + 2
    layout.copy(at, end)


def _blocks(
    layout: Layout, example: Example, articles: Articles, title: str, rng: random.Random
) -> None:
    """The paragraph among one or two other paragraphs of its article, as a README's blocks,
    each perhaps under a section heading, the whole perhaps under the title. For an
    unanswerable example no paragraph that might answer it is put beside it: not its
    question's own, nor one naming what the question names and the paragraph does not."""
    context = example.context
    own = articles.own.get(example.id) or articles.own.get(example.id.rsplit("_", 1)[0])
    asked = {m.group().strip(".,") for m in _NAME_OR_NUMBER.finditer(example.question)}
    asked = {word for word in asked if word and word not in context}
    others = [
        p
        for p in dict.fromkeys(articles.paragraphs.get(example.title, ()))
        if p not in (context, own) and not (example.impossible and any(word in p for word in asked))
    ]
    picked = rng.sample(others, min(len(others), 1 if rng.random() < 0.7 else 2))
    place = rng.randint(0, len(picked))
    if rng.random() < 0.5:
        _heading(layout, title)
    for n, paragraph in enumerate([*picked[:place], None, *picked[place:]]):
        if n:
            layout.write(BLOCK)
        text = context if paragraph is None else paragraph
        heading = section_heading(text, example.answers) if rng.random() < 0.5 else None
        if heading:
            _heading(layout, heading)
        if paragraph is None:
            layout.copy(0, len(context))
        else:
            layout.unit(paragraph)
