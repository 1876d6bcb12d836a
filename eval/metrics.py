"""Metrics: pure functions over typed rows (a gold item, the answer given, its latency).

Each metric scores one row or a list of rows and returns NaN when there is nothing to
score, so an aggregate over a category with no such rows says "not measured" rather
than a misleading 0 or 1. Aggregates use :func:`nanmean`.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

from qa.errors import ConfigError
from qa.types import Answer
from qa.verify import SentenceCheck, check_answer

NAN = float("nan")
ANSWERABLE = "answerable"
ON_TOPIC = "unanswerable-on-topic"
OFF_TOPIC = "unanswerable-off-topic"
RECALL_KS = (1, 3, 5)
#: Rank within which a retrieved passage must reach gold evidence not to count as a miss.
RETRIEVAL_DEPTH = 5
ROLES = ("user", "assistant")


class GoldFileError(ConfigError, ValueError):
    """A gold file that cannot be read, or an item a metric could misread: one line for the
    CLI and the page, a ValueError for scripts."""


class Located(Protocol):
    """Anything that points at a span of a named source: citations, passages, evidence."""

    @property
    def source(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


@dataclass(frozen=True)
class Evidence:
    """A span of a source that states the gold answer."""

    source: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answerable: bool
    answer: str
    answer_aliases: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    category: str
    history: tuple[Mapping[str, str], ...] = ()
    genre: str = ""
    """The kind of document asked about (simple format's ``genre``); figures are also
    reported per genre."""
    simple: bool = False
    """Written in the simple format, whose rule is that an answer is right when it holds
    one of the answers as written, case aside (:func:`found_in`)."""

    @property
    def golds(self) -> tuple[str, ...]:
        return (self.answer, *self.answer_aliases)


@dataclass(frozen=True)
class EvalRow:
    item: GoldItem
    answer: Answer
    latency_ms: float
    retrieved: tuple[Located, ...] = ()
    """The top RETRIEVAL_DEPTH passages for the searched question, apart from the answer,
    which may read fewer: the retrieval figures measure retrieval. Empty: the answer's."""
    best: Answer | None = None
    """The answer given with every threshold off: its best span whatever the tier, the
    ceiling of what deciding better could reach. None: not asked."""


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read a gold JSONL file, refusing any item a metric could silently misread."""
    items: list[GoldItem] = []
    seen: set[str] = set()
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").split("\n")  # a BOM is no item
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise GoldFileError(f"cannot read the gold file {path}: {why}") from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldFileError(f"{path}:{lineno}: not JSON: {exc.msg}") from None
        where = f"{path}:{lineno}"
        # Simple unless it has a field of the richer format's own: a simple item with a
        # field misspelt is told which one, not about fields of a format it does not use.
        simple = isinstance(raw, dict) and ("answers" in raw or not raw.keys() & _RICH_ONLY)
        item = _simple_item(raw, where, lineno) if simple else _gold_item(raw, where)
        if item.id in seen:
            raise GoldFileError(f"{path}:{lineno}: item {item.id!r}: field 'id' is not unique")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise GoldFileError(f"{path}: no gold items")
    return items


_GOLD_FIELDS = frozenset(f.name for f in fields(GoldItem)) - {"genre", "simple"}
SIMPLE_FIELDS = frozenset({"question", "answers", "answerable"})
SIMPLE_OPTIONAL = frozenset({"id", "source", "genre"})
#: Fields only the richer format has; its "answer" is also the simple "answers" misspelt.
_RICH_ONLY = _GOLD_FIELDS - SIMPLE_FIELDS - SIMPLE_OPTIONAL - {"answer"}


def _simple_item(raw: dict[str, Any], where: str, lineno: int) -> GoldItem:
    """An item of the format anyone can write: ``question``, ``answers`` (any one of them
    in the answer makes it right; empty when the sources do not say) and ``answerable``;
    optionally ``id``, ``source`` and ``genre``."""

    def bad(name: str, why: str) -> GoldFileError:
        return GoldFileError(f"{where}: field {name!r} {why}")

    missing = sorted(SIMPLE_FIELDS - raw.keys())
    unknown = sorted(raw.keys() - SIMPLE_FIELDS - SIMPLE_OPTIONAL)
    if missing:
        hint = (
            " (a list of the answers, empty when the sources do not say)"
            if missing[0] == "answers"
            else ""
        )
        raise bad(missing[0], f"is missing{hint}")
    if unknown:
        raise bad(
            unknown[0],
            f"is not a field (fields: {', '.join(sorted(SIMPLE_FIELDS))}; optional: "
            f"{', '.join(sorted(SIMPLE_OPTIONAL))})",
        )
    question, answers, answerable = raw["question"], raw["answers"], raw["answerable"]
    if not isinstance(question, str) or not question.strip():
        raise bad("question", f"must be a non-empty string, got {question!r}")
    if not isinstance(answerable, bool):
        raise bad("answerable", f"must be true or false, got {answerable!r}")
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise bad("answers", f"must be a list of non-empty strings, got {answers!r}")
    if answerable != bool(answers):
        raise bad("answers", "must be empty exactly when the item is unanswerable")
    for name in SIMPLE_OPTIONAL & raw.keys():
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise bad(name, f"must be a non-empty string, got {raw[name]!r}")
    return GoldItem(
        id=raw.get("id", f"line-{lineno}"),
        question=question,
        answerable=answerable,
        answer=answers[0] if answers else "",
        answer_aliases=tuple(answers[1:]),
        evidence=(),
        category=ANSWERABLE if answerable else ON_TOPIC,
        genre=raw.get("genre", ""),
        simple=True,
    )


def _gold_item(raw: Any, where: str) -> GoldItem:
    if not isinstance(raw, dict):
        raise GoldFileError(f"{where}: an item must be a JSON object, got {type(raw).__name__}")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id.strip():
        raise GoldFileError(f"{where}: field 'id' must be a non-empty string, got {item_id!r}")
    where = f"{where}: item {item_id!r}"

    def bad(name: str, why: str) -> GoldFileError:
        return GoldFileError(f"{where}: field {name!r} {why}")

    missing, unknown = sorted(_GOLD_FIELDS - raw.keys()), sorted(raw.keys() - _GOLD_FIELDS)
    if missing:
        raise bad(missing[0], "is missing")
    if unknown:
        raise bad(unknown[0], "is not a gold field")
    for name in ("question", "category"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise bad(name, f"must be a non-empty string, got {raw[name]!r}")
    answerable = raw["answerable"]
    if not isinstance(answerable, bool):
        raise bad("answerable", f"must be true or false, got {answerable!r}")
    answer = raw["answer"]
    if not isinstance(answer, str):
        raise bad("answer", f"must be a string, got {answer!r}")
    if answerable != bool(normalize_answer(answer)):
        raise bad("answer", "must be empty exactly when the item is unanswerable")
    aliases = raw["answer_aliases"]
    if not isinstance(aliases, list) or not all(
        isinstance(a, str) and normalize_answer(a) for a in aliases
    ):
        raise bad("answer_aliases", f"must be a list of non-empty strings, got {aliases!r}")
    if aliases and not answerable:
        raise bad("answer_aliases", "must be empty for an unanswerable item")
    evidence = raw["evidence"]
    if not isinstance(evidence, list):
        raise bad("evidence", f"must be a list, got {evidence!r}")
    if answerable != bool(evidence):
        raise bad("evidence", "must be non-empty exactly when the item is answerable")
    history = raw["history"]
    if not isinstance(history, list):
        raise bad("history", f"must be a list, got {history!r}")
    for i, turn in enumerate(history):
        if (
            not isinstance(turn, dict)
            or turn.keys() != {"role", "content"}
            or turn["role"] not in ROLES
            or not isinstance(turn["content"], str)
        ):
            raise bad(f"history[{i}]", "must be {'role': user|assistant, 'content': str}")
    return GoldItem(
        id=item_id,
        question=raw["question"],
        answerable=answerable,
        answer=answer,
        answer_aliases=tuple(aliases),
        evidence=tuple(_evidence(e, f"evidence[{i}]", bad) for i, e in enumerate(evidence)),
        category=raw["category"],
        history=tuple(dict(turn) for turn in history),
    )


def missing_sources(items: Iterable[GoldItem], texts: Collection[str]) -> list[str]:
    """The sources the items' evidence cites that ``texts`` (a folder's, by name) lacks: a
    gold file written for another folder."""
    return sorted({e.source for item in items for e in item.evidence} - set(texts))


def _evidence(raw: Any, name: str, bad: Callable[[str, str], GoldFileError]) -> Evidence:
    if not isinstance(raw, dict) or raw.keys() != {"source", "start", "end", "quote"}:
        raise bad(name, "must hold exactly source, start, end and quote")
    source, start, end, quote = raw["source"], raw["start"], raw["end"], raw["quote"]
    if not isinstance(source, str) or not source:
        raise bad(f"{name}.source", f"must be a non-empty string, got {source!r}")
    for part, value in (("start", start), ("end", end)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise bad(f"{name}.{part}", f"must be an offset (int >= 0), got {value!r}")
    if end <= start:
        raise bad(f"{name}.end", f"must be past start {start}, got {end}")
    if not isinstance(quote, str) or len(quote) != end - start:
        raise bad(f"{name}.quote", f"must be the {end - start} characters of the span")
    return Evidence(source, start, end, quote)


# Answer correctness ---------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation, widened to Unicode punctuation and symbols (’, “, —, €)."""
    text = "".join(ch for ch in text.lower() if unicodedata.category(ch)[0] not in "PS")
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _compared(text: str) -> str:
    """The answer as scores compare it: normalised, or, where normalising leaves nothing
    (a flag "-a", an operator "&&"), as written, case and spacing aside, so that an
    abstention ("") never matches it."""
    return normalize_answer(text) or " ".join(text.casefold().split())


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    norm = _compared(prediction)
    return max((float(norm == _compared(g)) for g in golds), default=0.0)


def token_f1(prediction: str, golds: Iterable[str]) -> float:
    return max((_f1(prediction, g) for g in golds), default=0.0)


def _f1(prediction: str, gold: str) -> float:
    pred, ref = _compared(prediction).split(), _compared(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    same = sum((Counter(pred) & Counter(ref)).values())
    if not same:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def containment(prediction: str, golds: Iterable[str]) -> float:
    """Whether a gold answer appears, as whole words, in a (longer) extractive answer."""
    padded = f" {normalize_answer(prediction)} "
    return max((float(f" {g} " in padded) for g in map(normalize_answer, golds) if g), default=0.0)


def found_in(prediction: str, golds: Iterable[str]) -> float:
    """Whether a gold answer appears in the answer as written, case aside: the simple
    format's rule, which also holds for answers that are all punctuation (``\\'``)."""
    said = prediction.casefold()
    return float(any(g.casefold() in said for g in golds if g.strip()))


# Citations and retrieval ----------------------------------------------------------------


def overlaps(a: Located, b: Located) -> bool:
    return a.source == b.source and a.start < b.end and b.start < a.end


def citation_precision(citations: Sequence[Located], evidence: Sequence[Evidence]) -> float:
    """NaN without citations, or without evidence to check them against (simple gold)."""
    if not citations or not evidence:
        return NAN
    return sum(any(overlaps(c, e) for e in evidence) for c in citations) / len(citations)


def missed_sources(citations: Sequence[Located], evidence: Sequence[Evidence]) -> list[str]:
    """Gold evidence sources that no citation reaches, in evidence order."""
    covered = {e.source for e in evidence if any(overlaps(c, e) for c in citations)}
    return [s for s in dict.fromkeys(e.source for e in evidence) if s not in covered]


def citation_recall(citations: Sequence[Located], evidence: Sequence[Evidence]) -> float:
    sources = {e.source for e in evidence}
    if not sources:
        return NAN
    return 1 - len(missed_sources(citations, evidence)) / len(sources)


def first_hit_rank(passages: Sequence[Located], evidence: Sequence[Evidence]) -> int | None:
    """1-based rank of the first passage that overlaps gold evidence; None for a miss."""
    for rank, passage in enumerate(passages, 1):
        if any(overlaps(passage, e) for e in evidence):
            return rank
    return None


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    if not ranks:
        return NAN
    return sum(r is not None and r <= k for r in ranks) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float:
    if not ranks:
        return NAN
    return sum(1 / r for r in ranks if r is not None) / len(ranks)


# Groundedness ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Groundedness:
    share: float
    """Share of answer sentences supported by the cited quotes; NaN for no sentence."""
    failed: tuple[SentenceCheck, ...]


def groundedness(text: str, quotes: Sequence[str]) -> Groundedness:
    checks = check_answer(text, quotes)
    failed = tuple(c for c in checks if not c.supported)
    share = 1 - len(failed) / len(checks) if checks else NAN
    return Groundedness(share, failed)


# Aggregation helpers --------------------------------------------------------------------


def nanmean(values: Iterable[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else NAN


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN for no values."""
    if not values:
        return NAN
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else NAN


# Per-item scores ------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemScore:
    """Every per-item metric of one row; NaN where the metric does not apply to the item."""

    row: EvalRow
    exact_match: float
    token_f1: float
    containment: float
    squad_exact: float
    """SQuAD 2.0's exact match: abstaining is the right answer to an unanswerable item."""
    squad_f1: float
    citation_precision: float
    citation_recall: float
    groundedness: Groundedness
    hit_rank: int | None
    withheld: bool
    """Whether the answer counts as an abstention: strictly (SQuAD 2.0's way) anything short
    of confident; leniently, only "not_found"."""
    answered_right: float
    """Answerable items: whether the answer, in whatever tier, holds a gold answer."""
    best_right: float
    """Answerable items: whether the best span, whatever the threshold, holds a gold answer;
    NaN when it was not asked for."""

    @property
    def item(self) -> GoldItem:
        return self.row.item

    @property
    def answer(self) -> Answer:
        return self.row.answer

    @property
    def quality(self) -> float:
        """One number to rank items by, worst first: 0 is a complete failure."""
        if not self.item.answerable:
            return float(self.withheld)
        retrieved = float(self.hit_rank is not None and self.hit_rank <= RETRIEVAL_DEPTH)
        return nanmean(
            [
                self.containment,
                self.token_f1,
                self.citation_precision,
                self.citation_recall,
                self.groundedness.share,
                retrieved,
            ]
        )

    def problems(self) -> list[str]:
        """What went wrong with this item, one line each, for a reader of the report."""
        item, answer = self.item, self.answer
        found = []
        if item.answerable and self.withheld:
            found.append(
                f"{answer.tier.replace('_', ' ')}, but the sources answer it "
                f"(gold: {item.answer!r})"
            )
        elif item.answerable and not self.containment:
            found.append(f"the answer does not contain the gold answer {item.answer!r}")
        if not item.answerable and not self.withheld:
            found.append(f"answered ({answer.tier}), but the sources do not say")
        if item.evidence:
            off = sum(not any(overlaps(c, e) for e in item.evidence) for c in answer.citations)
            if off:
                found.append(f"{off} of {len(answer.citations)} citations miss the gold evidence")
            found += [
                f"no citation of {s}" for s in missed_sources(answer.citations, item.evidence)
            ]
            if self.hit_rank is None or self.hit_rank > RETRIEVAL_DEPTH:
                where = "not retrieved" if self.hit_rank is None else f"first at {self.hit_rank}"
                found.append(f"gold evidence not in the top {RETRIEVAL_DEPTH} passages ({where})")
        found += [
            f"unsupported sentence {c.sentence!r} (missing: {', '.join(c.missing)})"
            for c in self.groundedness.failed
        ]
        return found

    def to_dict(self) -> dict[str, Any]:
        item, answer = self.item, self.answer
        return {
            "id": item.id,
            "category": item.category,
            "question": item.question,
            "history": [dict(turn) for turn in item.history],
            "answerable": item.answerable,
            "gold_answer": item.answer,
            "answer": answer.text,
            "tier": answer.tier,
            "abstained": answer.abstained,
            "searched": answer.searched,
            "citations": [
                {"source": c.source, "start": c.start, "end": c.end, "quote": c.quote}
                for c in answer.citations
            ],
            "latency_ms": round(self.row.latency_ms, 2),
            "scores": _json_floats(
                {
                    "exact_match": self.exact_match,
                    "token_f1": self.token_f1,
                    "containment": self.containment,
                    "citation_precision": self.citation_precision,
                    "citation_recall": self.citation_recall,
                    "groundedness": self.groundedness.share,
                    "quality": self.quality,
                }
            )
            | {"hit_rank": self.hit_rank},
            "problems": self.problems(),
        }


def score_row(row: EvalRow, lenient: bool = False) -> ItemScore:
    """Every metric of one row; a tentative answer counts as an abstention unless ``lenient``."""
    item, answer = row.item, row.answer
    withheld = answer.abstained if lenient else answer.tier != "confident"
    grounded = (
        Groundedness(NAN, ())
        if answer.abstained
        else groundedness(answer.text, [c.quote for c in answer.citations])
    )
    if not item.answerable:
        right = float(withheld)
        return ItemScore(
            row, NAN, NAN, NAN, right, right, NAN, NAN, grounded, None, withheld, NAN, NAN
        )
    said = "" if withheld else answer.text  # an abstention is never a right answer
    exact, f1 = exact_match(said, item.golds), token_f1(said, item.golds)
    best = row.best
    holds = found_in if item.simple else containment
    cited = () if withheld else answer.citations
    return ItemScore(
        row,
        exact_match=exact,
        token_f1=f1,
        containment=holds(said, item.golds),
        squad_exact=exact,
        squad_f1=f1,
        citation_precision=citation_precision(cited, item.evidence),
        citation_recall=citation_recall(cited, item.evidence),
        groundedness=grounded,
        hit_rank=first_hit_rank(row.retrieved or answer.passages, item.evidence),
        withheld=withheld,
        answered_right=0.0 if answer.abstained else holds(answer.text, item.golds),
        best_right=NAN if best is None else holds(best.text, item.golds),
    )


# Aggregates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """The suite's figures over a set of items; field names are the threshold keys."""

    items: int
    answerable: int
    exact_match: float
    token_f1: float
    """Over answerable items: SQuAD 2.0's "HasAns F1"."""
    answer_containment: float
    squad_exact: float
    squad_f1: float
    """SQuAD 2.0's F1 over all items: an abstention scores 1 on an unanswerable item, 0 else."""
    citation_precision: float
    citation_recall: float
    groundedness: float
    abstention_precision: float
    """Share of abstentions that were right (the item is unanswerable)."""
    abstention_recall: float
    """SQuAD 2.0's "NoAns accuracy"."""
    abstention_recall_on_topic: float
    abstention_recall_off_topic: float
    abstention_rate: float
    """Share of all items abstained on: on an answerable category, the false-abstention rate."""
    retrieval_recall_at_1: float
    retrieval_recall_at_3: float
    retrieval_recall_at_5: float
    retrieval_mrr: float
    latency_p50_ms: float
    latency_p95_ms: float
    median_answer_words: float
    answered_right: float
    """Answerable items answered right in some tier (confident or tentative)."""
    answered_right_confident: float
    answered_right_tentative: float
    confident_right: float
    """Of the confident answers, the share that is right (the item answerable, a gold
    answer in the text)."""
    confident_wrong: float
    """Share of all items given a confident answer that is wrong."""
    unanswerable_not_confident: float
    """Unanswerable items given no confident answer."""
    unanswerable_declined: float
    """Unanswerable items declined outright ("not_found")."""
    best_span_right: float
    """Answerable items whose best span, whatever the tier, is right: the ceiling."""
    answered_when_best_right: float
    """Of the answerable items whose best span is right, the share answered in some tier."""

    def to_dict(self) -> dict[str, float | None]:
        return _json_floats(asdict(self))


COUNTS = ("items", "answerable")


def metric_names() -> tuple[str, ...]:
    """The figures a threshold can bound (all but the item counts)."""
    return tuple(f.name for f in fields(Metrics) if f.name not in COUNTS)


@dataclass(frozen=True)
class Abstention:
    precision: float
    recall: float
    recall_on_topic: float
    recall_off_topic: float


def abstention(scores: Sequence[ItemScore]) -> Abstention:
    """Abstaining is the right call exactly on the unanswerable items."""

    def recall(rows: Iterable[ItemScore]) -> float:
        return share([s.withheld for s in rows])

    unanswerable = [s for s in scores if not s.item.answerable]
    return Abstention(
        precision=share([not s.item.answerable for s in scores if s.withheld]),
        recall=recall(unanswerable),
        recall_on_topic=recall(s for s in unanswerable if s.item.category == ON_TOPIC),
        recall_off_topic=recall(s for s in unanswerable if s.item.category == OFF_TOPIC),
    )


def summarize(scores: Sequence[ItemScore]) -> Metrics:
    ranks = [s.hit_rank for s in scores if s.item.answerable and s.item.evidence]
    latencies = [s.row.latency_ms for s in scores]
    words = [len(s.answer.text.split()) for s in scores if not s.withheld]
    abstained = abstention(scores)
    recalls = {f"retrieval_recall_at_{k}": recall_at_k(ranks, k) for k in RECALL_KS}
    answerable = [s for s in scores if s.item.answerable]
    unanswerable = [s for s in scores if not s.item.answerable]
    confident = [s for s in scores if s.answer.tier == "confident"]

    def right_in(tier: str) -> float:
        return share([bool(s.answered_right) and s.answer.tier == tier for s in answerable])

    def right(s: ItemScore) -> bool:
        return s.item.answerable and bool(s.answered_right)

    ceiling = [s for s in answerable if not math.isnan(s.best_right)]
    return Metrics(
        items=len(scores),
        answerable=len(answerable),
        exact_match=nanmean(s.exact_match for s in scores),
        token_f1=nanmean(s.token_f1 for s in scores),
        answer_containment=nanmean(s.containment for s in scores),
        squad_exact=nanmean(s.squad_exact for s in scores),
        squad_f1=nanmean(s.squad_f1 for s in scores),
        citation_precision=nanmean(s.citation_precision for s in scores),
        citation_recall=nanmean(s.citation_recall for s in scores),
        groundedness=nanmean(s.groundedness.share for s in scores),
        abstention_precision=abstained.precision,
        abstention_recall=abstained.recall,
        abstention_recall_on_topic=abstained.recall_on_topic,
        abstention_recall_off_topic=abstained.recall_off_topic,
        abstention_rate=share([s.withheld for s in scores]),
        retrieval_mrr=mean_reciprocal_rank(ranks),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        median_answer_words=float(statistics.median(words)) if words else NAN,
        answered_right=share([bool(s.answered_right) for s in answerable]),
        answered_right_confident=right_in("confident"),
        answered_right_tentative=right_in("tentative"),
        confident_right=share([right(s) for s in confident]),
        confident_wrong=share([s.answer.tier == "confident" and not right(s) for s in scores]),
        unanswerable_not_confident=share([s.answer.tier != "confident" for s in unanswerable]),
        unanswerable_declined=share([s.answer.abstained for s in unanswerable]),
        best_span_right=share([bool(s.best_right) for s in ceiling]),
        answered_when_best_right=share([not s.answer.abstained for s in ceiling if s.best_right]),
        **recalls,
    )


# Thresholds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shortfall:
    metric: str
    value: float
    threshold: float
    upper: bool
    """True when the threshold is a maximum (a ``_max`` key)."""

    def __str__(self) -> str:
        if math.isnan(self.value):
            return f"{self.metric} was not measured (threshold {self.threshold})"
        bound = "above the maximum" if self.upper else "below the minimum"
        return f"{self.metric} = {self.value:.3f}, {bound} {self.threshold}"


def threshold_metric(key: str) -> tuple[str, bool]:
    """The metric a threshold key bounds, and whether the bound is a maximum."""
    name = key.removesuffix("_max")
    if name not in metric_names():
        raise ConfigError(
            f"unknown eval threshold {key!r}; thresholds are metric names "
            f"(add _max for an upper bound): {', '.join(metric_names())}"
        )
    return name, key != name


def check_thresholds(metrics: Metrics, thresholds: Mapping[str, float]) -> tuple[Shortfall, ...]:
    """Every bound ``metrics`` misses; a metric with no value (NaN) misses its bound."""
    found = []
    for key, threshold in thresholds.items():
        name, upper = threshold_metric(key)
        value = float(getattr(metrics, name))
        ok = value <= threshold if upper else value >= threshold
        if not ok:  # NaN compares false both ways, so it lands here too.
            found.append(Shortfall(name, value, threshold, upper))
    return tuple(found)


# The report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalReport:
    overall: Metrics
    """Strict figures: a tentative answer counts as an abstention (SQuAD 2.0's way)."""
    lenient: Metrics
    """The same figures with a tentative answer counted as an answer."""
    by_category: Mapping[str, Metrics]
    by_genre: Mapping[str, Metrics]
    """Per genre of document, for gold items that name one."""
    items: tuple[ItemScore, ...]
    thresholds: Mapping[str, float] = field(default_factory=dict)
    shortfalls: tuple[Shortfall, ...] = ()
    info: Mapping[str, str] = field(default_factory=dict)
    """Where the run came from: gold file, sources, mode, start time."""

    @property
    def passed(self) -> bool:
        return not self.shortfalls

    def worst(self, n: int = 10) -> list[ItemScore]:
        return sorted(self.items, key=lambda s: (s.quality, s.item.id))[:n]

    def to_dict(self) -> dict[str, Any]:
        return {
            "info": dict(self.info),
            "passed": self.passed,
            "overall": self.overall.to_dict(),
            "lenient": self.lenient.to_dict(),
            "by_category": {name: m.to_dict() for name, m in self.by_category.items()},
            "by_genre": {name: m.to_dict() for name, m in self.by_genre.items()},
            "thresholds": dict(self.thresholds),
            "shortfalls": [_json_floats(asdict(s)) for s in self.shortfalls],
            "items": [s.to_dict() for s in self.items],
        }


def aggregate(rows: Sequence[EvalRow]) -> EvalReport:
    """Strict and lenient figures overall; strict ones per category and per genre (sorted
    by name, so runs line up)."""
    scores = [score_row(row) for row in rows]

    def by(key: Callable[[GoldItem], str]) -> dict[str, Metrics]:
        names = sorted({key(s.item) for s in scores} - {""})
        return {n: summarize([s for s in scores if key(s.item) == n]) for n in names}

    return EvalReport(
        overall=summarize(scores),
        lenient=summarize([score_row(row, lenient=True) for row in rows]),
        by_category=by(lambda item: item.category),
        by_genre=by(lambda item: item.genre),
        items=tuple(scores),
    )


def _json_floats(values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: a metric with nothing to score becomes null."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in values.items()}
