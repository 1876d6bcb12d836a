"""Known-answer tests for the eval metrics: each figure below is worked out by hand."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from eval.metrics import (
    EvalRow,
    Evidence,
    GoldItem,
    aggregate,
    check_thresholds,
    citation_precision,
    citation_recall,
    containment,
    exact_match,
    first_hit_rank,
    groundedness,
    load_gold,
    mean_reciprocal_rank,
    nanmean,
    normalize_answer,
    percentile,
    recall_at_k,
    score_row,
    summarize,
    token_f1,
)
from qa.answer import NOT_FOUND
from qa.errors import ConfigError
from qa.types import Answer, Citation, Passage, Tier

A, B = "seeds/a.txt", "seeds/b.txt"


def ev(start: int, end: int, source: str = A) -> Evidence:
    return Evidence(source, start, end, "x" * (end - start))


def cite(start: int, end: int, source: str = A, quote: str | None = None) -> Citation:
    return Citation(source, start, end, quote if quote is not None else "x" * (end - start))


def gold(
    id: str = "q1",
    category: str = "fact",
    answer: str = "battery",
    evidence: Sequence[Evidence] = (Evidence(A, 0, 10, "x" * 10),),
) -> GoldItem:
    return GoldItem(
        id=id,
        question="What powers the fuse?",
        answerable=bool(answer),
        answer=answer,
        answer_aliases=(),
        evidence=tuple(evidence),
        category=category,
    )


def unanswerable(id: str, category: str) -> GoldItem:
    return gold(id, category, answer="", evidence=())


def said(
    text: str,
    citations: Sequence[Citation] = (),
    tier: Tier = "confident",
    passages: Sequence[Passage] = (),
) -> Answer:
    return Answer(text, tuple(citations), tier, "q?", "q?", tuple(passages))


ABSTAIN = said(NOT_FOUND, tier="not_found")


class TestAnswerCorrectness:
    def test_normalisation_drops_case_punctuation_articles_and_spacing(self) -> None:
        assert normalize_answer("  The Anti-Personnel  MINES! ") == "antipersonnel mines"
        assert (
            normalize_answer("Biden’s “decision” — an escalation") == "bidens decision escalation"
        )
        assert normalize_answer("theatre of a war") == "theatre of war"

    def test_exact_match_takes_the_best_alias(self) -> None:
        assert exact_match("The battery.", ["battery"]) == 1.0
        assert exact_match("a battery powered fuse", ["battery"]) == 0.0
        assert exact_match("civilian areas", ["populous areas", "civilian areas"]) == 1.0

    def test_token_f1_hand_computed(self) -> None:
        # 5 predicted tokens, 9 gold tokens, 4 shared: 2 * 4 / (5 + 9) = 4/7.
        pred = "the mines only on Ukrainian territory"
        ref = "only on Ukrainian territory and away from civilian areas"
        assert token_f1(pred, [ref]) == pytest.approx(4 / 7)
        # Repeated tokens count once per match: P = 1/2, R = 1.
        assert token_f1("mines mines", ["mines"]) == pytest.approx(2 / 3)
        assert token_f1("mines", ["drones", "the mines"]) == 1.0
        assert token_f1("drones", ["mines"]) == 0.0

    def test_containment_needs_whole_words(self) -> None:
        text = "Ukraine will deploy them only on Ukrainian territory."
        assert containment(text, ["Ukrainian territory"]) == 1.0
        assert containment("the batteryless fuse", ["battery"]) == 0.0
        assert containment("an electric fuse", ["battery", "electric fuse"]) == 1.0

    def test_abstaining_is_never_a_correct_answer(self) -> None:
        abstained = said("battery", tier="not_found")
        score = score_row(EvalRow(gold(), abstained, 5.0))
        assert (score.exact_match, score.token_f1, score.containment) == (0.0, 0.0, 0.0)
        assert score.problems()[0].startswith("not found, but the sources answer it")
        answered = score_row(EvalRow(gold(), said("A battery."), 5.0))
        assert (answered.exact_match, answered.token_f1, answered.containment) == (1.0, 1.0, 1.0)

    def test_an_answer_normalising_leaves_nothing_of_is_compared_as_written(self) -> None:
        """A flag's "-a" normalises to "" (punctuation, then the article): an abstention
        must not match it, nor must "the"; "-a" itself still does."""
        for gold_answer in ("-a", "&&"):
            withheld = score_row(
                EvalRow(gold(answer=gold_answer), said(gold_answer, tier="tentative"), 1.0)
            )
            assert (withheld.exact_match, withheld.token_f1) == (0.0, 0.0)
            answered = score_row(EvalRow(gold(answer=gold_answer), said(gold_answer), 1.0))
            assert (answered.exact_match, answered.token_f1) == (1.0, 1.0)
        assert exact_match("the", ["-a"]) == token_f1("The", ["-a"]) == 0.0
        assert exact_match(" -A ", ["-a"]) == 1.0

    def test_unanswerable_items_are_not_scored_for_correctness(self) -> None:
        score = score_row(EvalRow(unanswerable("u1", "unanswerable-on-topic"), ABSTAIN, 1.0))
        assert math.isnan(score.containment) and math.isnan(score.citation_recall)
        assert score.hit_rank is None and score.quality == 1.0


class TestCitations:
    EVIDENCE = (ev(10, 20, A), ev(100, 150, B))

    def test_precision_counts_overlaps_in_the_same_source(self) -> None:
        overlapping = cite(15, 25, A)
        touching = cite(20, 30, A)  # spans are half-open: 20 is past the evidence
        wrong_source = cite(10, 20, "seeds/c.txt")
        cites = [overlapping, touching, wrong_source]
        assert citation_precision(cites, self.EVIDENCE) == pytest.approx(1 / 3)
        assert citation_precision([overlapping], self.EVIDENCE) == 1.0

    def test_recall_counts_evidence_sources(self) -> None:
        assert citation_recall([cite(15, 25, A)], self.EVIDENCE) == 0.5
        assert citation_recall([cite(0, 5, A), cite(149, 160, B)], self.EVIDENCE) == 0.5
        assert citation_recall([cite(15, 25, A), cite(140, 141, B)], self.EVIDENCE) == 1.0
        # Two spans of one source: covering either covers the source.
        assert citation_recall([cite(45, 50, A)], [ev(0, 5), ev(40, 50)]) == 1.0

    def test_nothing_to_score_is_nan(self) -> None:
        assert math.isnan(citation_precision([], self.EVIDENCE))
        assert citation_recall([], self.EVIDENCE) == 0.0
        assert math.isnan(citation_recall([cite(0, 5)], []))

    def test_problems_name_the_missed_source(self) -> None:
        item = gold(evidence=self.EVIDENCE)
        score = score_row(EvalRow(item, said("battery", [cite(15, 25), cite(0, 5)]), 1.0))
        assert score.citation_precision == 0.5
        assert "1 of 2 citations miss the gold evidence" in score.problems()
        assert f"no citation of {B}" in score.problems()


class TestGroundedness:
    QUOTE = "Biden approved the transfer of mines to Ukraine."

    def test_a_sentence_with_uncited_terms_fails(self) -> None:
        result = groundedness("Biden approved the mines. Trump paid 5 dollars.", [self.QUOTE])
        assert result.share == 0.5
        assert [c.sentence for c in result.failed] == ["Trump paid 5 dollars."]
        assert {"trump", "5"} <= set(result.failed[0].missing)

    def test_an_answer_citing_nothing_is_ungrounded(self) -> None:
        assert groundedness("Biden approved the mines.", []).share == 0.0
        assert math.isnan(groundedness("", [self.QUOTE]).share)

    def test_abstentions_are_not_scored_and_failures_are_reported(self) -> None:
        assert math.isnan(score_row(EvalRow(gold(), ABSTAIN, 1.0)).groundedness.share)
        answer = said("Biden paid 5 dollars.", [Citation(A, 0, len(self.QUOTE), self.QUOTE)])
        score = score_row(EvalRow(gold(), answer, 1.0))
        assert score.groundedness.share == 0.0
        assert any(p.startswith("unsupported sentence 'Biden paid") for p in score.problems())


class TestAbstention:
    def test_precision_overall_and_recall_per_split(self) -> None:
        rows = [
            (unanswerable("on1", "unanswerable-on-topic"), ABSTAIN),  # right abstention
            (unanswerable("on2", "unanswerable-on-topic"), said("guess")),  # missed
            (unanswerable("off1", "unanswerable-off-topic"), ABSTAIN),  # right abstention
            (gold("a1"), ABSTAIN),  # wrong abstention
            (gold("a2"), said("battery")),
        ]
        m = summarize([score_row(EvalRow(i, a, 1.0)) for i, a in rows])
        assert m.abstention_precision == pytest.approx(2 / 3)
        assert m.abstention_recall == pytest.approx(2 / 3)
        assert m.abstention_recall_on_topic == 0.5
        assert m.abstention_recall_off_topic == 1.0
        assert m.abstention_rate == pytest.approx(3 / 5)

    def test_no_abstention_leaves_precision_unmeasured(self) -> None:
        m = summarize([score_row(EvalRow(gold(), said("battery"), 1.0))])
        assert math.isnan(m.abstention_precision) and math.isnan(m.abstention_recall)


class TestRetrieval:
    def test_first_hit_rank(self) -> None:
        evidence = [ev(100, 200, A)]
        passages = [
            Passage(B, 100, 200, "other source"),
            Passage(A, 0, 100, "ends where the evidence starts"),
            Passage(A, 150, 300, "overlaps"),
        ]
        assert first_hit_rank(passages, evidence) == 3
        assert first_hit_rank(passages[:2], evidence) is None

    def test_recall_at_k_and_mrr(self) -> None:
        ranks = [1, 3, None, 6]
        assert recall_at_k(ranks, 1) == 0.25
        assert recall_at_k(ranks, 3) == 0.5
        assert recall_at_k(ranks, 5) == 0.5
        assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 6) / 4)
        assert math.isnan(recall_at_k([], 5)) and math.isnan(mean_reciprocal_rank([]))


class TestAggregation:
    def test_percentiles_match_numpy(self) -> None:
        assert percentile([1, 2, 3, 4], 50) == 2.5
        assert percentile([7], 95) == 7
        values = [float(v) for v in np.random.default_rng(0).exponential(100, 37)]
        for q in (0, 50, 95, 100):
            assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
        assert math.isnan(percentile([], 50))

    def test_nanmean_skips_nan(self) -> None:
        assert nanmean([1.0, math.nan, 0.0]) == 0.5
        assert math.isnan(nanmean([math.nan]))

    def test_overall_and_per_category(self) -> None:
        rows = [
            EvalRow(
                gold("f1", "fact"), said("A battery it is", passages=[Passage(A, 0, 9, "")]), 10
            ),
            EvalRow(gold("f2", "fact"), said("a drone"), 30),
            EvalRow(gold("w1", "who"), said("the battery"), 20),
            EvalRow(unanswerable("u1", "unanswerable-off-topic"), ABSTAIN, 40),
        ]
        report = aggregate(rows)
        assert list(report.by_category) == ["fact", "unanswerable-off-topic", "who"]
        fact, who = report.by_category["fact"], report.by_category["who"]
        assert (fact.items, fact.answerable, fact.answer_containment) == (2, 2, 0.5)
        assert (who.items, who.answer_containment) == (1, 1.0)
        assert report.overall.answer_containment == pytest.approx(2 / 3)
        assert report.overall.retrieval_recall_at_1 == pytest.approx(1 / 3)
        assert report.overall.latency_p50_ms == 25.0
        assert report.overall.median_answer_words == 2.0  # 4, 2 and 2 words; abstention skipped
        assert math.isnan(report.by_category["unanswerable-off-topic"].token_f1)
        assert [s.item.id for s in report.worst(2)] == ["f2", "w1"]

    def test_nan_becomes_null_in_json(self) -> None:
        report = aggregate([EvalRow(gold(), ABSTAIN, 1.0)])
        data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
        assert data["overall"]["citation_precision"] is None
        assert data["overall"]["citation_recall"] == 0.0
        assert data["items"][0]["scores"]["groundedness"] is None


class TestThresholds:
    METRICS = summarize([score_row(EvalRow(gold(), said("battery it is"), 1.0))])

    def test_minimums_and_maximums(self) -> None:
        ok = {"answer_containment": 1.0, "median_answer_words_max": 3}
        assert check_thresholds(self.METRICS, ok) == ()
        (short,) = check_thresholds(self.METRICS, {"median_answer_words_max": 2})
        assert (short.metric, short.value, short.threshold, short.upper) == (
            "median_answer_words",
            3.0,
            2,
            True,
        )
        assert str(short) == "median_answer_words = 3.000, above the maximum 2"
        (low,) = check_thresholds(self.METRICS, {"token_f1": 0.9})
        assert str(low) == "token_f1 = 0.500, below the minimum 0.9"

    def test_an_unmeasured_metric_misses_its_threshold(self) -> None:
        (short,) = check_thresholds(self.METRICS, {"abstention_recall_off_topic": 0.5})
        assert math.isnan(short.value) and "not measured" in str(short)

    def test_unknown_names_are_refused(self) -> None:
        with pytest.raises(ConfigError, match="'answer_f1'"):
            check_thresholds(self.METRICS, {"answer_f1": 0.5})


GOOD: dict[str, Any] = {
    "id": "g1",
    "question": "What powers the fuse?",
    "answerable": True,
    "answer": "battery",
    "answer_aliases": ["a battery"],
    "evidence": [{"source": A, "start": 3, "end": 10, "quote": "battery"}],
    "category": "fact",
    "history": [{"role": "user", "content": "Hi"}],
}


def span(start: int, end: int, quote: str) -> dict[str, Any]:
    return {"source": A, "start": start, "end": end, "quote": quote}


def write_gold(path: Path, *items: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


class TestLoadGold:
    def test_reads_typed_items(self, tmp_path: Path) -> None:
        (item,) = load_gold(write_gold(tmp_path / "g.jsonl", GOOD))
        assert item.evidence == (Evidence(A, 3, 10, "battery"),)
        assert item.golds == ("battery", "a battery")
        assert item.history == ({"role": "user", "content": "Hi"},)

    def test_an_item_without_id(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match=r"g.jsonl:1: field 'id' must be a non-empty string"):
            load_gold(write_gold(tmp_path / "g.jsonl", GOOD | {"id": " "}))

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"question": None}, "question"),
            ({"answerable": "yes"}, "answerable"),
            ({"answer": ""}, "answer"),
            ({"answer_aliases": "a battery"}, "answer_aliases"),
            ({"evidence": []}, "evidence"),
            ({"evidence": [span(10, 3, "")]}, "evidence[0].end"),
            ({"evidence": [span(0, 7, "batt")]}, "evidence[0].quote"),
            ({"evidence": [span(-1, 6, "battery")]}, "evidence[0].start"),
            ({"evidence": [GOOD["evidence"][0] | {"page": 1}]}, "evidence[0]"),
            ({"category": 3}, "category"),
            ({"history": [{"role": "system", "content": "x"}]}, "history[0]"),
            ({"extra": 1}, "extra"),
        ],
    )
    def test_bad_fields_are_named_with_the_item(
        self, tmp_path: Path, change: dict[str, Any], field: str
    ) -> None:
        path = write_gold(tmp_path / "g.jsonl", GOOD | change)
        with pytest.raises(ValueError, match=re.escape(f"g.jsonl:1: item 'g1': field '{field}' ")):
            load_gold(path)

    def test_missing_field(self, tmp_path: Path) -> None:
        path = write_gold(tmp_path / "g.jsonl", {k: v for k, v in GOOD.items() if k != "category"})
        with pytest.raises(ValueError, match=r"item 'g1': field 'category' is missing"):
            load_gold(path)

    @pytest.mark.parametrize(
        ("item", "message"),
        [
            (  # "answer" for "answers": named, not the richer format's 'id'
                {"question": "Q?", "answer": "x", "answerable": True},
                "field 'answers' is missing (a list of the answers, empty when the sources",
            ),
            (
                {"question": "Q?", "answers": ["x"], "answerable": True, "note": "n"},
                "field 'note' is not a field (fields: answerable, answers, question; "
                "optional: genre, id, source)",
            ),
        ],
    )
    def test_a_simple_item_is_told_about_its_own_fields(
        self, tmp_path: Path, item: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(ValueError, match=re.escape(f"g.jsonl:1: {message}")):
            load_gold(write_gold(tmp_path / "g.jsonl", item))

    def test_a_byte_order_mark_is_no_item(self, tmp_path: Path) -> None:
        path = tmp_path / "g.jsonl"
        line = json.dumps({"question": "Q?", "answers": ["x"], "answerable": True})
        path.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")
        assert [i.question for i in load_gold(path)] == ["Q?"]

    def test_duplicate_ids_and_bad_json(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match=r":2: item 'g1': field 'id' is not unique"):
            load_gold(write_gold(tmp_path / "dup.jsonl", GOOD, GOOD))
        (tmp_path / "bad.jsonl").write_text('{"id": \n', encoding="utf-8")
        with pytest.raises(ValueError, match=r"bad.jsonl:1: not JSON"):
            load_gold(tmp_path / "bad.jsonl")
