"""Answer: pick the sentence or clause of the sources that answers, or abstain.

The extractive answerer needs no LLM. It scores each sentence near the retrieved
passages by lexical coverage of the question (IDF-weighted) and by embedding
similarity, keeps only spans that carry what the question type needs (a number
for "how many", a name for "who", ...), narrows the winner to its answering
clause, and cites every other source that states the same thing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from index.embed import Embedder
from qa.question import Kind, Question
from qa.text import (
    STOPWORDS,
    TOKEN,
    Span,
    clause_spans,
    content_terms,
    content_words,
    normalize_token,
    numbers,
    sentence_spans,
    stem,
    tokens,
)
from qa.types import Citation, Passage

NOT_IN_SOURCES = "The sources don't say."

_NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?"
    r"|thousands?|millions?|billions?|trillions?|half|twice|first|second|third)\b",
    re.I,
)
_TIME_UNITS = re.compile(r"\b(hours?|days?|weeks?|months?|years?|minutes?|decades?|period)\b", re.I)
_UNIT = r"(?:hours?|days?|weeks?|months?|years?|decades?)"
_DURATION_PHRASE = re.compile(
    rf"\b(?:(?:from|within|after|for|over|in|up to)\s+)?(?:(?:a few|several|\d[\d,.]*|one|two"
    rf"|three|four|five|six|seven|eight|nine|ten)\s+)?{_UNIT}"
    rf"(?:\s+(?:to|or|and)\s+(?:(?:\d[\d,.]*|a few|several)\s+)?{_UNIT})?",
    re.I,
)
_TIME = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow"
    r"|(19|20)\d\d|weeks?|months?|days?|years?|before|after|ahead of|during|until|since"
    r"|ago|recent(ly)?|earlier|later|previous|last|transition|inauguration|period|time|juncture"
    r"|final|upcoming|now|soon|once)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|(19|20)\d\d"
    r"|\d{1,2}/\d{1,2}(/\d{2,4})?)\b",
    re.I,
)
_PERSONAL_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+\.?)+")
_REASON = re.compile(
    r"\b(because|due to|prompted|in response|response to|linked to|to prevent|to mitigate"
    r"|designed to|so that|in order to|reason|justif\w*|as a result|driven by|following"
    r"|to counter|to address|to reduce|to bolster|amid|given|concerns?|dangers?|risks?)\b",
    re.I,
)
_STATEMENT = re.compile(
    r"\b(said|says|say|stating|stated|states|wrote|writes|posted|accused|criticism|criticized"
    r"|criticised|labeled|labelled|called|argued|argue|claimed|claim|commentary|statement"
    r"|stance|reaction|downplay|interpreted|expressed|condemn\w*|warned|confirmed)\b|[“”\"]",
    re.I,
)
#: What ends the words that answer after a question's words: a clause break.
_BREAK = re.compile(r"[,;:.!?\n]|\s[-–—]\s|—")
#: A word that ends no noun phrase ("powered" in "electric fuse powered by").
_PARTICIPLE = re.compile(r"[a-z]{2,}(?:ed|ing)")
#: A word that leaves a phrase hanging when it ends it ("the threshold for using").
_GERUND = re.compile(r"[a-z]{2,}ing")
#: How a span says that it reports what a news outlet said.
_MEDIA = re.compile(
    r"\b(news|outlet|newspaper|paper|network|media|magazine|reported|reports|according to)\b",
    re.I,
)
_PLACE_NOUNS = r"(?:territory|region|areas?|border|front|city|country)"
_PLACE_WORDS = re.compile(rf"\b{_PLACE_NOUNS}\b", re.I)
_ROLE_WORDS = re.compile(
    r"\b(officials?|spokesperson|spokesman|critics?|allies|ally|administration|president"
    r"|council|outlet|government|kremlin|white house|team)\b",
    re.I,
)

#: A role as an answer to "who": the role word (fewer than :data:`_ROLE_WORDS`, which only
#: tell that a span speaks of someone) with up to three qualifying words before it.
_ROLE_PHRASE = re.compile(
    r"(?:\b(?:[A-Z][\w.]*|senior|top|former|chief|national)\s+){0,3}"
    r"\b(?:officials?|spokesperson|spokesman|critics|allies|ally|administration|council"
    r"|government|kremlin)\b",
)

#: Weight of embedding similarity against lexical coverage in a span's score.
DENSE_WEIGHT = 0.5
#: How many words after a number may name what it counts (up to the first stop word).
NUMBER_WINDOW = 3
#: Similarity from which a word stands in for a question term it does not share.
SOFT_MATCH = 0.7
#: How much a sentence's context counts towards its coverage of the question.
CONTEXT_SHARE = 0.8
#: The question kinds answered by what a span says past the question's words, and what
#: those words must hold for that kind: a place after "in", "on"... for "where".
_REST_KINDS: dict[Kind, re.Pattern[str] | None] = {
    Kind.OTHER: None,
    Kind.PLACE: re.compile(
        r"\b(?:in|on|at|into|inside|across|near|within|throughout)\s+(?:the\s+)?"
        rf"(?:[A-Z]|(?i:\w+\s+)?(?i:{_PLACE_NOUNS})\b)"
    ),
}
#: A phrase answers a "which X" question alone when its similarity to X is at least this...
TYPED_MATCH = 0.6
#: ...and this much above any other phrase of the sentence.
TYPED_MARGIN = 0.3
#: A second source is cited when its span scores this share of the best one...
CORROBORATE_SHARE = 0.7
#: ...and says much the same (embedding similarity of the two spans).
CORROBORATE_SIMILARITY = 0.55
#: ...and holds this IDF-weighted share of the answer's own words (those not in the question).
CORROBORATE_TERMS = 0.5
#: A sentence scoring this share of the best one answers the question too.
ANSWERING_SHARE = 0.8
#: Another source's own answer is shown beside the best one when it scores this share of it
#: but says something else.
DIFFER_SHARE = 0.9


@dataclass(frozen=True)
class Draft:
    """What an answerer returns; the assistant adds timings and the question."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    confidence: float = 0.0
    agreement: str = ""
    answering: tuple[tuple[str, Span], ...] = ()
    """Sentences that answer about as well as the best (:data:`ANSWERING_SHARE` of its
    score): what an LLM's sentence must rest on to count as an answer, not just be true."""


class Answerer(Protocol):
    def answer(self, question: str, passages: Sequence[Passage]) -> Draft: ...


@dataclass(frozen=True)
class _Scored:
    source: str
    span: Span
    sentence: Span
    score: float


class ExtractiveAnswerer:
    def __init__(self, texts: Mapping[str, str], embedder: Embedder, abstain_below: float) -> None:
        self._abstain_below = abstain_below
        self._texts = texts
        self._embedder = embedder
        self._sentences = {src: sentence_spans(text) for src, text in texts.items()}
        df: Counter[str] = Counter()
        self._terms: dict[str, set[str]] = {src: set() for src in texts}
        for src, spans in self._sentences.items():
            for a, b in spans:
                terms = set(content_terms(texts[src][a:b]))
                df.update(terms)
                self._terms[src] |= terms
        n = sum(len(s) for s in self._sentences.values()) or 1
        self._idf = {t: math.log(1 + n / (c + 0.5)) for t, c in df.items()}
        self._idf_unknown = math.log(1 + n / 0.5)
        self._vectors: dict[str, np.ndarray] = {}
        self._similar: tuple[str, dict[tuple[str, str], float]] = ("", {})

    def answer(self, question: str, passages: Sequence[Passage]) -> Draft:
        q = Question.parse(question)
        scored = self._score(q, self._candidates(passages))
        qualified = [s for s in scored if self._qualifies(q, s)]
        if not qualified:
            return Draft(NOT_IN_SOURCES, (), True)
        if qualified[0].score < self._abstain_below:
            return Draft(NOT_IN_SOURCES, (), True, qualified[0].score)
        best = qualified[0]
        first = self._cite(q, best)
        agreeing, differing = self._other_sources(q, best, first.quote, qualified)
        cited = [first, *(self._cite(q, s) for s in [*agreeing, *differing])]
        if differing:
            text, agreement = (
                _accounts([first.quote, *(c.quote for c in cited[-len(differing) :])]),
                "differ",
            )
        else:
            text, agreement = first.quote, "agree" if agreeing else "single"
        answering = tuple(
            (s.source, s.span) for s in qualified if s.score >= ANSWERING_SHARE * best.score
        )
        return Draft(text, tuple(cited), False, best.score, agreement, answering)

    def _cite(self, q: Question, s: _Scored) -> Citation:
        return Citation.from_text(s.source, self._texts[s.source], *self._narrow(q, s), s.score)

    def _candidates(self, passages: Sequence[Passage]) -> list[tuple[str, Span]]:
        seen: dict[tuple[str, Span], None] = {}
        for p in passages:
            for a, b in self._sentences.get(p.source, ()):
                if a < p.end and p.start < b:
                    seen[(p.source, self._with_quote((p.source, (a, b))))] = None
        return list(seen)

    def _with_quote(self, place: tuple[str, Span]) -> Span:
        """A sentence that introduces a quotation (ends with a colon) takes the quotation along."""
        source, (a, b) = place
        text = self._texts[source]
        if text[a:b].rstrip().endswith(":"):
            following = [s for s in self._sentences[source] if s[0] >= b]
            if following:
                return a, following[0][1]
        return a, b

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for t, v in zip(missing, self._embedder.embed(missing), strict=True):
                self._vectors[t] = v
        return np.stack([self._vectors[t] for t in texts])

    def _coverage(self, q: Question, text: str) -> float:
        """IDF-weighted share of the question's terms in ``text``; a term that is missing
        still counts, by its similarity, when a word of ``text`` is close to it ("promised"
        ~ "pledged", :data:`SOFT_MATCH`)."""
        if not q.terms:
            return 0.0
        have = content_words(text)
        stems = {t for t, _ in have}
        credit = {t: float(_matches(t, stems)) for t in q.terms}
        missing = [t for t, found in credit.items() if not found]
        words = [w for _, w in dict.fromkeys(have) if not w[:1].isdigit()]
        if missing and words:
            for t in missing:
                closest = max(self._similarity(q.text, q.words[t], words))
                if closest >= SOFT_MATCH:
                    credit[t] = closest
        return self._weighted(credit)

    def _similarity(self, question: str, word: str, words: Sequence[str]) -> list[float]:
        """Embedding similarity of a question's word to each of ``words``, remembered for the
        question being answered: its terms meet the same words in many candidate spans."""
        if self._similar[0] != question:
            self._similar = (question, {})
        known = self._similar[1]
        new = [w for w in dict.fromkeys(words) if (word, w) not in known]
        if new:
            for w, sim in zip(new, self._embed(new) @ self._embed([word])[0], strict=True):
                known[(word, w)] = float(sim)
        return [known[(word, w)] for w in words]

    def _share(self, terms: Sequence[str], text: str) -> float:
        """IDF-weighted share of ``terms`` that ``text`` contains; 1 for no terms."""
        have = set(content_terms(text))
        return self._weighted({t: float(_matches(t, have)) for t in terms}) if terms else 1.0

    def _weighted(self, credit: Mapping[str, float]) -> float:
        """Credits of terms (0 to 1), averaged with rarer terms counting more."""
        weights = {t: self._idf.get(t, self._idf_unknown) for t in credit}
        return sum(weights[t] * c for t, c in credit.items()) / sum(weights.values())

    def _score(self, q: Question, places: list[tuple[str, Span]]) -> list[_Scored]:
        if not places:
            return []
        texts = [self._texts[src][a:b] for src, (a, b) in places]
        qvec = self._embed([q.text])[0]
        dense = self._embed(texts) @ qvec
        scored = []
        for (src, span), text, d in zip(places, texts, dense, strict=True):
            cover = max(
                self._coverage(q, text),
                CONTEXT_SHARE * self._coverage(q, self._context(src, span) + " " + text),
            )
            scored.append(
                _Scored(src, span, span, DENSE_WEIGHT * float(d) + (1 - DENSE_WEIGHT) * cover)
            )
        return sorted(scored, key=lambda s: -s.score)

    def _context(self, source: str, span: Span) -> str:
        """What a sentence leans on: the sentence before it in its paragraph, and the line
        that introduces it when it is a quotation ("…, stating through social media:")."""
        text = self._texts[source]
        before = [s for s in self._sentences[source] if s[1] <= span[0]]
        if not before:
            return ""
        parts = []
        line_start = text.rfind("\n", 0, span[0]) + 1
        if before[-1][0] >= line_start:
            parts.append(text[before[-1][0] : before[-1][1]])
        intro = [s for s in before if s[1] <= line_start]
        if intro and text[intro[-1][0] : intro[-1][1]].endswith(":"):
            parts.insert(0, text[intro[-1][0] : intro[-1][1]])
        return " ".join(parts)

    def _qualifies(self, q: Question, s: _Scored) -> bool:
        if not all(_matches(name, self._terms[s.source]) for name in q.names):
            return False
        return _has_kind(q, self._texts[s.source][s.span[0] : s.span[1]])

    def _narrow(self, q: Question, s: _Scored) -> Span:
        """The shortest span that answers: a typed phrase, else the best run of clauses, cut
        down to what it says past the question's own words for "what" and "where"."""
        phrase = self._answer_phrase(q, s)
        if phrase is not None:
            return phrase
        a, b = self._clause_run(q, s)
        if q.kind in _REST_KINDS and not q.asked_for:
            rest = rest_phrase(q, self._texts[s.source][a:b], _REST_KINDS[q.kind])
            if rest is not None:
                return a + rest[0], a + rest[1]
        return a, b

    def _clause_run(self, q: Question, s: _Scored) -> Span:
        """The shortest run of clauses that still answers; the whole sentence if none does."""
        text = self._texts[s.source]
        clauses = clause_spans(text, *s.sentence)
        if len(clauses) < 2 or q.kind is Kind.STATEMENT:
            return s.sentence
        runs = [
            (clauses[i][0], clauses[j][1])
            for i in range(len(clauses))
            for j in range(i, min(i + 3, len(clauses)))
            if (i, j) != (0, len(clauses) - 1)
        ]
        runs = [
            r
            for r in runs
            if len(tokens(text[r[0] : r[1]])) >= 5 and _has_kind(q, text[r[0] : r[1]])
        ]
        if not runs:
            return s.sentence
        whole = self._coverage(q, text[s.sentence[0] : s.sentence[1]])
        qvec = self._embed([q.text])[0]
        dense = self._embed([text[a:b] for a, b in runs]) @ qvec
        best_run, best_score = s.sentence, -1.0
        for run, d in zip(runs, dense, strict=True):
            cover = self._coverage(q, text[run[0] : run[1]])
            if q.kind in (Kind.OTHER, Kind.YES_NO, Kind.REASON) and cover < whole:
                continue
            score = float(d) + cover - 0.002 * (run[1] - run[0])
            if score > best_score:
                best_run, best_score = run, score
        return best_run

    def _answer_phrase(self, q: Question, s: _Scored) -> Span | None:
        """The words of a sentence that alone answer a question of a typed kind: the X of
        "which X", the count, the length of time, the person."""
        a, b = s.sentence
        span = self._texts[s.source][a:b]
        phrase = self._typed_phrase(q, span) if q.asked_for else None
        phrase = phrase or (
            count_phrase(q, span)
            if q.kind is Kind.NUMBER
            else duration_phrase(span)
            if q.kind is Kind.DURATION
            else person_phrase(q, span)
            if q.kind in (Kind.PERSON, Kind.OUTLET)
            else None
        )
        return None if phrase is None else (a + phrase[0], a + phrase[1])

    def _answers_otherwise(self, q: Question, s: _Scored) -> bool:
        """Whether another source's sentence gives its own answer of the asked type, as a
        source must to be shown as differing from a typed answer: a clear X for "which X"
        (not just any name), else a count, a length of time or a person."""
        if q.asked_for:
            a, b = s.sentence
            return self._typed_phrase(q, self._texts[s.source][a:b]) is not None
        return self._answer_phrase(q, s) is not None

    def _typed_phrase(self, q: Question, span: str) -> Span | None:
        """The phrase of a span that is clearly a kind of what the question names ("NATO" for
        "which military alliance"): much closer to it than any other phrase there that says
        more than the question."""
        terms = set(q.terms)
        found = [
            p
            for p in phrases(span)
            if not all(_matches(t, terms) for t in content_terms(span[p[0] : p[1]]))
        ]
        if not found:
            return None
        sims = self._similarity(q.text, q.asked_for, [span[x:y] for x, y in found])
        ranked = sorted(zip(sims, found, strict=True), reverse=True)
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        best_sim, best = ranked[0]
        return best if best_sim >= TYPED_MATCH and best_sim - runner_up >= TYPED_MARGIN else None

    def _other_sources(
        self, q: Question, best: _Scored, answer: str, qualified: list[_Scored]
    ) -> tuple[list[_Scored], list[_Scored]]:
        """Per other source, its span that states the same answer (agreeing), or else its own
        strong answer to the question when that says something else (differing)."""
        best_text = self._texts[best.source][best.span[0] : best.span[1]]
        best_vec = self._embed([best_text])[0]
        answer_terms = [t for t in dict.fromkeys(content_terms(answer)) if t not in q.terms]
        agreeing: dict[str, _Scored] = {}
        top: dict[str, _Scored] = {}
        for s in qualified:
            if s.source == best.source or s.source in agreeing:
                continue
            if s.score < CORROBORATE_SHARE * best.score:
                break
            top.setdefault(s.source, s)
            text = self._texts[s.source][s.span[0] : s.span[1]]
            similar = float(best_vec @ self._embed([text])[0])
            if (
                similar >= CORROBORATE_SIMILARITY
                and _same_facts(q, best_text, text)
                and self._share(answer_terms, text) >= CORROBORATE_TERMS
            ):
                agreeing[s.source] = s
        typed = self._answer_phrase(q, best) is not None
        differing = [
            s
            for src, s in top.items()
            if src not in agreeing
            and s.score >= DIFFER_SHARE * best.score
            and (not typed or self._answers_otherwise(q, s))
        ]
        return list(agreeing.values()), differing


def _accounts(quotes: Sequence[str]) -> str:
    """Each source's own answer in turn, set apart where a quote does not end a sentence
    ("defensive capabilities; fully committed")."""
    text = quotes[0]
    for quote in quotes[1:]:
        text += (" " if text.rstrip('”"’)').endswith((".", "!", "?")) else "; ") + quote
    return text


def _matches(term: str, have: set[str]) -> bool:
    if term in have:
        return True
    return len(term) >= 4 and any(
        len(h) >= 4 and (h.startswith(term) or term.startswith(h)) for h in have
    )


def _names_in(text: str) -> set[str]:
    return {
        stem(normalize_token(t))
        for t in tokens(text)
        if t[:1].isupper() and normalize_token(t) not in STOPWORDS
    }


def _has_kind(q: Question, span: str) -> bool:
    """Whether a span carries what the question type asks for, beyond the question's own words."""
    if q.kind is Kind.NUMBER:
        return count_phrase(q, span) is not None
    if q.kind is Kind.DURATION:
        return bool(_TIME_UNITS.search(span))
    if q.kind is Kind.TIME:
        return bool(_TIME.search(span))
    if q.kind is Kind.DATE:
        return bool(_DATE.search(span))
    if q.kind is Kind.NAME:
        known = set(q.terms) | q.names
        return any(
            not any(_matches(stem(normalize_token(w)), known) for w in tokens(m.group(0)))
            for m in _PERSONAL_NAME.finditer(span)
        )
    if q.kind is Kind.REASON:
        return bool(_REASON.search(span))
    if q.kind is Kind.STATEMENT:
        return bool(_STATEMENT.search(span))
    if q.kind is Kind.OUTLET:
        return bool(_MEDIA.search(span)) and _names_someone(q, span)
    if q.kind is Kind.PERSON:
        return _names_someone(q, span)
    if q.kind is Kind.PLACE:
        return _has_new_name(q, span) or bool(_PLACE_WORDS.search(span))
    return True


def _has_new_name(q: Question, span: str) -> bool:
    """Whether a span names someone or somewhere the question does not."""
    known = set(q.terms) | q.names
    return any(not _matches(n, known) for n in _names_in(span))


def _names_someone(q: Question, span: str) -> bool:
    return _has_new_name(q, span) or bool(_ROLE_WORDS.search(span))


def count_phrase(q: Question, span: str) -> Span | None:
    """Where a span counts what the question asks about: a number (not one the question
    gives) and the words right after it, one of them a word of the question, as "10,000
    North Korean soldiers" answers how many soldiers and not how many mines. Offsets are
    into ``span``."""
    words = list(TOKEN.finditer(span))
    given = numbers(q.text)
    terms = set(q.terms)
    for i, match in enumerate(words):
        word = match.group(0)
        is_number = word.lstrip("$£€")[:1].isdigit() and normalize_token(word) not in given
        if not (is_number or _NUMBER_WORDS.fullmatch(word)):
            continue
        run = []
        for follower in words[i + 1 : i + 1 + NUMBER_WINDOW]:
            if normalize_token(follower.group(0)) in STOPWORDS:
                break
            run.append(follower)
        if any(_matches(stem(normalize_token(f.group(0))), terms) for f in run):
            return match.start(), run[-1].end()
    return None


def person_phrase(q: Question, span: str) -> Span | None:
    """Who a span names that the question does not: the first full name ("Donald Trump Jr.")
    or role with the words that qualify it ("Senior U.S. officials"). Offsets are into
    ``span``."""
    known = set(q.terms) | q.names
    for match in [*_PERSONAL_NAME.finditer(span), *_ROLE_PHRASE.finditer(span)]:
        words = list(TOKEN.finditer(match.group(0)))
        while words and normalize_token(words[0].group(0)) in STOPWORDS:
            words.pop(0)
        if words and not any(_matches(stem(normalize_token(w.group(0))), known) for w in words):
            return match.start() + words[0].start(), match.end()
    return None


def phrases(span: str) -> list[Span]:
    """Runs of content words, split at stop words and punctuation, less the participles at
    their ends: "anti-personnel mines", "electric fuse" (of "electric fuse powered by")."""
    runs: list[list[re.Match[str]]] = [[]]
    for word in TOKEN.finditer(span):
        run = runs[-1]
        joined = not run or span[run[-1].end() : word.start()] in (" ", "-", "/")
        if normalize_token(word.group(0)) in STOPWORDS or not joined:
            runs.append([])
        if normalize_token(word.group(0)) not in STOPWORDS:
            runs[-1].append(word)
    for run in runs:
        while run and _PARTICIPLE.fullmatch(run[-1].group(0)):
            run.pop()
        while run and _PARTICIPLE.fullmatch(run[0].group(0)):
            run.pop(0)
    return [(run[0].start(), run[-1].end()) for run in runs if run]


def rest_phrase(q: Question, span: str, needs: re.Pattern[str] | None = None) -> Span | None:
    """What a span says past the question's own words: the words right after the last
    question word, up to the next question word or clause break ("accused the Biden
    administration of [prioritizing profits…]"), or, when those hold a single content word,
    the fullest such run after any question word ("the mines [become inoperative] once the
    battery dies"). Only runs that ``needs`` finds in count. Offsets are into ``span``."""
    terms = set(q.terms)
    words = list(TOKEN.finditer(span))
    asked = [_matches(stem(normalize_token(w.group(0))), terms) for w in words]
    runs: list[list[re.Match[str]]] = []
    for i in range(len(words) - 1):
        if not asked[i] or asked[i + 1]:
            continue
        run = []
        for j in range(i + 1, len(words)):
            if asked[j] or _BREAK.search(span[words[j - 1].end() : words[j].start()]):
                break
            run.append(words[j])
        if not run or (needs and not needs.search(span[run[0].start() : run[-1].end()])):
            continue
        while run and normalize_token(run[0].group(0)) in STOPWORDS:
            run.pop(0)
        while run and (
            normalize_token(run[-1].group(0)) in STOPWORDS or _GERUND.fullmatch(run[-1].group(0))
        ):
            run.pop()
        if run:
            runs.append(run)
    if not runs:
        return None

    def said(run: list[re.Match[str]]) -> int:
        return sum(normalize_token(w.group(0)) not in STOPWORDS for w in run)

    best = runs[-1] if said(runs[-1]) >= 2 else max(reversed(runs), key=said)
    return best[0].start(), best[-1].end()


def duration_phrase(span: str) -> Span | None:
    """A length of time: "from hours to weeks", "within hours or weeks"."""
    match = _DURATION_PHRASE.search(span)
    return (match.start(), match.end()) if match else None


def _same_facts(q: Question, a: str, b: str) -> bool:
    """Two spans agree on the typed part of the answer (the number, for a count)."""
    if q.kind in (Kind.NUMBER, Kind.DURATION):
        na, nb = numbers(a), numbers(b)
        return not (na and nb) or bool(na & nb)
    return True
