"""Answer: the reader's best span across the retrieved passages, cited by the sentence holding it.

The reader (:mod:`qa.read`) proposes each passage's best span and how far it beats "no
answer". A span answers only if its section writes the numbers the question names, within
the passage or in the heading it stands under ("Version 4.3 (19 Jan 2020)"), and, for a
question asking for a date ("On what date…", "In which year…"), only if it writes one;
for one asking "how many" or "how much", only if it names no day ("19 Jan 2020"). A
bare number or a lone "not" takes in the word after it that the question names ("60
days", "not surprised"), and a span never ends inside a name ("Charles River"). The answer is
the best span of those, in a tier: confident at the reader's calibrated threshold or
above; tentative below it but above the floor calibrated on the user's folder
(:mod:`qa.floor`); else nothing found. Another source is cited beside it when the reader
finds the same answer there (``agree``), and shown with its own answer when the reader is
confident of a different one there (``differ``).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from qa.read import Reader, Reading
from qa.text import (
    Span,
    asks_for_calendar,
    asks_for_count,
    content_terms,
    item_named,
    names_a_day,
    numbered_headings,
    numbered_items,
    numbered_rows,
    numbers,
    sentence_spans,
    strip_span,
    with_comparison,
    with_named_word,
    with_whole_name,
    without_lone_marks,
    writes_a_date,
    written_numbers,
)
from qa.types import Citation, Passage, Tier

#: What is said when nothing clears the floor. Not "the sources don't say": the closest
#: passages shown with it may answer in words the reader did not recognise.
NOT_FOUND = "No answer I can stand behind."
#: Confidence at the reader's calibrated threshold: a different answer in another source is
#: shown as a differing account only when the reader would give it on its own.
CALIBRATED = 0.5


#: How passages are read (:meth:`ReaderAnswerer.find`), in what a folder's floor depends on:
#: raised when the same passages are read differently, so that a saved floor is measured again.
READING_VERSION = 10


#: The longest quote a citation shows: a "sentence" can be a whole file that writes no
#: full stop (a list of items on one line); past this, the words around the answer.
MAX_QUOTE_CHARS = 600


def around(text: str, answer: Span, sentence: Span, limit: int) -> Span:
    """``sentence``, or when it is longer than ``limit``, the whole words of it around
    ``answer`` that fit in ``limit`` (the answer whole, however long)."""
    (start, end), (begin, stop) = answer, sentence
    if stop - begin <= limit:
        return sentence
    room = max(0, limit - (end - start))
    left = max(begin, start - room // 2)
    right = min(stop, end + room - (start - left))
    left = max(begin, right - max(limit, end - start))
    if left > begin:  # from the first whole word
        space = _SPACE.search(text, left, start)
        left = space.end() if space else start
    if right < stop:  # to the last whole word
        spaces = [m.start() for m in _SPACE.finditer(text, end, right)]
        right = spaces[-1] if spaces else end
    left, right = strip_span(text, left, right)
    return min(left, start), max(right, end)


_SPACE = re.compile(r"\s")


def unwritten(numbers: Sequence[str]) -> str:
    """What is said when the question names numbers no source writes."""
    verb = "appears" if len(numbers) == 1 else "appear"
    return f"No answer: {' and '.join(numbers)} {verb} nowhere in the sources."


@dataclass(frozen=True)
class Draft:
    """What an answerer returns; the assistant adds timings and the question."""

    text: str
    citations: tuple[Citation, ...]
    tier: Tier
    confidence: float = 0.0
    agreement: str = ""
    answering: tuple[tuple[str, Span], ...] = ()
    """Sentences holding a span the reader finds answers the question, in the answer's tier:
    what an LLM's sentence must rest on to count as an answer, not just be true."""

    @property
    def abstained(self) -> bool:
        return self.tier == "not_found"


class Answerer(Protocol):
    def answer(self, question: str, passages: Sequence[Passage]) -> Draft: ...


@dataclass(frozen=True)
class Found:
    """A reader's span placed in its source: the answer and the sentence(s) that hold it."""

    source: str
    span: Span
    sentence: Span
    passage: Span
    margin: float
    confidence: float


def confidence(margin: float, threshold: float) -> float:
    """The margin over "no answer" as 0 to 1, 0.5 exactly at the calibrated threshold."""
    return 1 / (1 + math.exp(-(margin - threshold)))


def same_answer(a: str, b: str) -> bool:
    """Whether two answers state the same thing: one's content words all in the other's."""
    x, y = set(content_terms(a)), set(content_terms(b))
    return bool(x and y) and (x <= y or y <= x)


def accounts(answers: Sequence[str]) -> str:
    """Each source's own answer in turn, set apart ("1932; 1934")."""
    return "; ".join(answers)


class ReaderAnswerer:
    """``abstain_below`` is the confidence where confident answers begin, ``floor`` the one
    where tentative ones do (no tentative tier when it is not below ``abstain_below``)."""

    def __init__(
        self, texts: Mapping[str, str], reader: Reader, abstain_below: float, floor: float
    ) -> None:
        self._texts = texts
        self._reader = reader
        self.abstain_below = abstain_below
        self.floor = floor
        self._sentences = cache(lambda source: sentence_spans(texts[source]))
        self._headings = cache(lambda source: numbered_headings(texts[source]))

    def tier(self, confidence: float) -> Tier:
        if confidence >= self.abstain_below:
            return "confident"
        return "tentative" if confidence >= self.floor else "not_found"

    def answer(self, question: str, passages: Sequence[Passage]) -> Draft:
        found = self.find(question, passages)
        if named := numbers(question):  # from the section named, and not its name
            found = [
                f
                for f in found
                if named <= self._numbers_in_section(f)
                and not (
                    self._in_heading_naming(f, named)
                    and named <= written_numbers(self._quote(f.source, f.span))
                )
            ]
        if calendar := asks_for_calendar(question):
            found = [f for f in found if writes_a_date(self._quote(f.source, f.span), calendar)]
        elif asks_for_count(question):  # not a date, nor in the heading the question names
            found = [
                f
                for f in found
                if not names_a_day(self._quote(f.source, f.span))
                and not (named and self._in_heading_naming(f, named))
            ]
        best = found[0] if found else None
        tier = self.tier(best.confidence) if best else "not_found"
        if best is None or tier == "not_found":
            return Draft(NOT_FOUND, (), "not_found", best.confidence if best else 0.0)
        bar = self.abstain_below if tier == "confident" else self.floor
        candidates = [f for f in found if f.confidence >= bar]
        answer = self._quote(best.source, best.span)
        agreeing: dict[str, Found] = {}
        differing: dict[str, Found] = {}
        for f in candidates:
            if f.source == best.source or f.source in agreeing:
                continue
            if same_answer(answer, self._quote(f.source, f.span)):
                agreeing[f.source] = f
                differing.pop(f.source, None)
            elif f.confidence >= max(CALIBRATED, self.abstain_below):
                differing.setdefault(f.source, f)
        cited = [best, *agreeing.values(), *differing.values()]
        if differing:
            text = accounts([answer, *(self._quote(f.source, f.span) for f in differing.values())])
            agreement = "differ"
        else:
            text, agreement = answer, "agree" if agreeing else "single"
        return Draft(
            text,
            tuple(self._cite(f) for f in cited),
            tier,
            best.confidence,
            agreement,
            tuple(dict.fromkeys((f.source, f.sentence) for f in candidates)),
        )

    def find(self, question: str, passages: Sequence[Passage]) -> list[Found]:
        """Each passage's best span placed in its source, the most confident first.

        For a question that names a number, a passage that runs over the heading of the
        section that writes it is read as that section alone: the reader's best span of the
        passage could be another release's date. A passage that does not write the number
        is read under the heading of its section that writes one: "Version 4.3 (19 Jan 2020)" tells
        the reader which release a passage deep in its notes is about. A passage that writes
        the number already says which release it is about, and the heading of another
        would only offer the reader a second date.
        """
        named, item = numbers(question), item_named(question)
        if named:
            passages = [self._section_named(p, named, item) for p in passages]
        above = [
            self._heading_above(p) if named and not named <= written_numbers(p.text) else None
            for p in passages
        ]
        texts = [
            p.text if heading is None else f"{self._quote(p.source, heading)}\n{p.text}"
            for p, heading in zip(passages, above, strict=True)
        ]
        readings = self._reader.read(question, texts)
        terms = set(content_terms(question))
        return [self._place(passages[r.passage], above[r.passage], r, terms) for r in readings]

    def _section_named(self, passage: Passage, named: set[str], item: str | None) -> Passage:
        """The part of ``passage`` under the first heading in it that writes the ``named``
        numbers, up to the next heading; else its first list item numbered ``item`` ("step
        2": :func:`~qa.text.item_named`); else its first table row whose first cell is that
        number, or the one number named ("exits with 103"); else the passage as it is. A
        heading that writes them as they are ("4.3") comes before one of a release they begin
        ("4.3.1")."""
        headings, text = self._headings(passage.source), self._texts[passage.source]
        first = self._headings_before(passage.source, passage.start - 1)
        inside = [h for h in headings[first:] if h[0][0] < passage.end]
        exact = [
            i
            for i, (span, _) in enumerate(inside)
            if named <= numbers(self._quote(passage.source, span))
        ]
        begun = [i for i, (_, written) in enumerate(inside) if named <= written]
        for i in (exact or begun)[:1]:
            end = inside[i + 1][0][0] if i + 1 < len(inside) else passage.end
            start, end = strip_span(text, inside[i][0][0], min(end, passage.end))
            return Passage(passage.source, start, end, text[start:end], passage.score)
        key = item or (min(named) if len(named) == 1 else None)
        parts = [span for span, n in numbered_items(passage.text) if n == item] or [
            span for span, n in numbered_rows(passage.text) if n == key
        ]
        if not parts:
            return passage
        start, end = passage.start + parts[0][0], passage.start + parts[0][1]
        return Passage(passage.source, start, end, text[start:end], passage.score)

    def _headings_before(self, source: str, at: int) -> int:
        """How many of the numbered headings of ``source`` begin at or before ``at``: the
        last of them heads the section ``at`` is in."""
        return bisect_right(self._headings(source), at, key=lambda heading: heading[0][0])

    def _heading_above(self, passage: Passage) -> Span | None:
        """The numbered heading of the section ``passage`` begins in, if it stands above it."""
        i = self._headings_before(passage.source, passage.start)
        if not i:
            return None
        heading = self._headings(passage.source)[i - 1][0]
        return heading if heading[1] <= passage.start else None

    def _in_heading_naming(self, f: Found, named: set[str]) -> bool:
        """Whether the answer lies in a heading that writes the ``named`` numbers: "2020" of
        "Version 4.3 (19 Jan 2020)" counts nothing about release 4.3."""
        i = self._headings_before(f.source, f.span[0])
        heading, written = self._headings(f.source)[i - 1] if i else ((0, 0), set())
        return heading[0] <= f.span[0] and f.span[1] <= heading[1] and named <= written

    def _numbers_in_section(self, f: Found) -> set[str]:
        """The numbers the answer's section writes within its passage, and the section's own
        heading: release notes name their version once, over the section, and a passage
        can run on past the next version's heading."""
        text, headings = self._texts[f.source], self._headings(f.source)
        i = self._headings_before(f.source, f.span[0])
        begin = headings[i - 1][0][0] if i else 0
        end = headings[i][0][0] if i < len(headings) else len(text)
        written = written_numbers(text[max(begin, f.passage[0]) : min(end, f.passage[1])])
        return written | headings[i - 1][1] if i else written

    def _place(
        self, passage: Passage, heading: Span | None, reading: Reading, terms: set[str]
    ) -> Found:
        """``reading`` is of the passage, or of ``heading``, a line break and the passage;
        a bare number or a lone "not" it answers takes in the word after it that the
        question's ``terms`` name."""
        at = passage.start
        if heading is not None:
            lead = heading[1] - heading[0] + 1  # the heading and the line break after it
            at = heading[0] if reading.start < lead else passage.start - lead
        text = self._texts[passage.source]
        named = with_named_word(text, (at + reading.start, at + reading.end), terms)
        start, end = with_comparison(text, without_lone_marks(text, with_whole_name(text, named)))
        held = [s for s in self._sentences(passage.source) if s[0] < end and start < s[1]]
        sentence = (min(held[0][0], start), max(held[-1][1], end)) if held else (start, end)
        sentence = around(text, (start, end), sentence, MAX_QUOTE_CHARS)
        score = confidence(reading.margin, self._reader.threshold)
        return Found(
            passage.source,
            (start, end),
            sentence,
            (passage.start, passage.end),
            reading.margin,
            score,
        )

    def _quote(self, source: str, span: Span) -> str:
        return self._texts[source][span[0] : span[1]]

    def _cite(self, f: Found) -> Citation:
        return Citation.from_text(f.source, self._texts[f.source], *f.sentence, f.confidence)
