"""The CI gate: the whole gold set, and the held-out questions never used for tuning, in
extractive mode, against the thresholds in pyproject.toml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import load_thresholds, run_eval
from eval.run import DEFAULT_GOLD, GENRES_GOLD
from index.embed import OnnxEmbedder
from qa import Assistant, Settings

pytestmark = pytest.mark.slow


def test_extractive_answers_meet_the_thresholds(seeds_assistant: Assistant, tmp_path: Path) -> None:
    thresholds = load_thresholds()
    assert {"answer_containment", "groundedness", "abstention_recall_on_topic"} <= set(thresholds)
    report = run_eval(assistant=seeds_assistant, out_dir=tmp_path / "run", thresholds=thresholds)
    failures = "\n".join(str(s) for s in report.shortfalls)
    assert report.passed, f"answers got worse than the thresholds allow:\n{failures}"
    curve = json.loads((tmp_path / "run" / "threshold.json").read_text(encoding="utf-8"))
    assert curve["current"] == seeds_assistant.settings.abstain_below
    recalls = [p["abstention_recall_on_topic"] for p in curve["points"]]
    assert recalls == sorted(recalls), "raising the threshold can only abstain more"
    assert (tmp_path / "run" / "threshold.png").read_bytes()[:4] == b"\x89PNG"


def test_held_out_questions_meet_the_same_thresholds(
    seeds_assistant: Assistant, tmp_path: Path
) -> None:
    report = run_eval(
        DEFAULT_GOLD.with_name("heldout.jsonl"),
        assistant=seeds_assistant,
        out_dir=tmp_path / "run",
        thresholds=load_thresholds(),
        curve=False,
    )
    failures = "\n".join(str(s) for s in report.shortfalls)
    assert report.passed, f"the tuning does not carry over to unseen questions:\n{failures}"


def test_documents_of_other_genres_meet_their_thresholds(
    embedder: OnnxEmbedder, tmp_path: Path
) -> None:
    """READMEs, release notes, a man page, a manual, a specification and policies, with
    questions written before any system answered them (eval/genres/README.md)."""
    thresholds = load_thresholds(table="eval-genres")
    assert {"answered_right", "confident_right", "unanswerable_declined"} <= set(thresholds)
    settings = Settings(index_dir=tmp_path / "index")
    assistant = Assistant.open(GENRES_GOLD.with_name("sources"), settings, embedder=embedder)
    report = run_eval(GENRES_GOLD, assistant=assistant, out_dir=tmp_path / "run")
    assert report.thresholds == thresholds, "the genre set is gated by its own table"
    assert len(report.by_genre) >= 4 and report.overall.answerable >= 100
    failures = "\n".join(str(s) for s in report.shortfalls)
    assert report.passed, f"answers on other genres got worse:\n{failures}"
