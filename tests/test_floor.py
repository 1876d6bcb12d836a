"""The floor under tentative answers: measured on the user's folder, saved with its index."""

from __future__ import annotations

import json
import math
import os
import random
import statistics
from pathlib import Path

import pytest

from eval.off_topic import ask_off_topic, off_topic_questions
from index.embed import OnnxEmbedder
from qa import Assistant, Settings
from qa.floor import BANK, MIN_QUESTIONS, MOST, bank, floor_at, foreign_questions
from qa.read import shared_reader
from tests.test_squad import DEV


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_the_floor_is_the_stated_share_of_a_normal_fitted_to_the_log_odds() -> None:
    # Log-odds at the 1st to 399th 400-quantiles of N(-8, 2): the fit finds that normal.
    fitted = statistics.NormalDist(-8, 2)
    confidences = [_sigmoid(fitted.inv_cdf(i / 400)) for i in range(1, 400)]
    floor = floor_at(confidences, share=0.01)
    log_odds = math.log(floor / (1 - floor))
    assert math.isclose(log_odds, fitted.inv_cdf(0.99), abs_tol=0.1)
    assert sum(c >= floor for c in confidences) == 4


def test_one_or_two_high_confidences_do_not_set_the_floor() -> None:
    rng = random.Random(0)
    confidences = [_sigmoid(rng.gauss(-8, 2)) for _ in range(160)]
    floor = floor_at(confidences)
    outliers = floor_at([*confidences[:-2], 0.2, 0.3])
    assert outliers < 4 * floor  # the 2nd highest of 160, the old floor, would be 0.2


def test_the_floor_never_lets_through_more_than_the_most_allowed() -> None:
    # Long upper tails the normal underrates: questions far above the rest.
    rng = random.Random(1)
    for tail in ([0.1] * 16, [_sigmoid(rng.gauss(-2, 0.5)) for _ in range(10)]):
        confidences = [_sigmoid(rng.gauss(-9, 1.5)) for _ in range(160 - len(tail))] + tail
        floor = floor_at(confidences, share=0.01, most=0.03)
        assert sum(c >= floor for c in confidences) <= 0.03 * len(confidences)
    with pytest.raises(ValueError):
        floor_at([0.1])
    with pytest.raises(ValueError):
        floor_at(confidences, share=0.05, most=0.03)


def test_questions_without_any_span_read_do_not_stretch_the_fit() -> None:
    rng = random.Random(2)
    confidences = [_sigmoid(rng.gauss(-9, 1.5)) for _ in range(160)]
    floor = floor_at(confidences)
    assert math.isclose(floor_at([*confidences[:-2], 0.0, 0.0]), floor, rel_tol=0.2)
    assert 0.0 < floor_at([0.0] * 100) < 1e-300  # none read a span: any span clears it


def test_bank_questions_whose_answer_the_folder_holds_are_left_out() -> None:
    question, answers = bank()[0]
    text = f"A folder that happens to say {answers[0].upper()} somewhere."
    assert question not in foreign_questions([text])
    assert question in foreign_questions(["A folder about something else entirely."])


def test_the_bank_is_of_articles_the_reader_never_trained_or_calibrated_on() -> None:
    rows = [json.loads(line) for line in BANK.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200 and all(r["answers"] for r in rows)
    assert not {r["article"] for r in rows} & shared_reader().trained_on


def test_the_floor_is_measured_once_saved_with_the_index_and_again_after_a_change(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    first = Assistant.open(sources, settings, embedder=embedder)
    floor = first.floor
    assert floor.questions >= MIN_QUESTIONS and 0.0 < floor.confidence < 0.5
    saved = list(settings.index_dir.glob("*.floor.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text())["key"] == floor.key
    # Of the bank questions asked, at most the most allowed clear it.
    asked = foreign_questions(first.texts.values())
    cleared = [q for q in asked if first.ask(q).tier != "not_found"]
    assert len(cleared) <= MOST * len(asked)

    again = Assistant.open(sources, settings, embedder=embedder)
    assert again.floor == floor

    (sources / "extra.txt").write_text("The kiln at Harrowgate fires at 1,280 degrees.\n")
    changed = Assistant.open(sources, settings, embedder=embedder)
    assert changed.floor.key != floor.key
    assert json.loads(saved[0].read_text())["key"] == changed.floor.key


def test_a_floor_in_the_settings_is_used_as_it_is(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    fixed = Assistant.open(sources, settings.replace(floor=0.2), embedder=embedder)
    assert fixed.floor.confidence == 0.2 and fixed.floor.describe().endswith("(QA_FLOOR)")
    answer = fixed.ask("How many North Korean soldiers were sent?")
    assert answer.tier == ("tentative" if 0.2 <= answer.confidence < 0.5 else "not_found")


@pytest.mark.slow
def test_questions_about_articles_no_one_tuned_for_rarely_get_an_answer(
    seeds_assistant: Assistant,
) -> None:
    """Off topic: 200 questions about held-out SQuAD articles outside the floor's bank."""
    if not DEV.exists():
        assert os.environ.get("CI") != "true", f"{DEV} is missing on the CI machine"
        pytest.skip(f"{DEV} is not on this machine")
    questions = off_topic_questions(DEV, shared_reader().trained_on)
    assert len(questions) == 200
    found = ask_off_topic(seeds_assistant, questions)
    assert found.confident == 0 and found.share <= 0.03
