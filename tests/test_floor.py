"""The floor under tentative answers: measured on the user's folder, saved with its index."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from eval.off_topic import ask_off_topic, off_topic_questions
from index.embed import OnnxEmbedder
from qa import Assistant, Settings
from qa.floor import BANK, MIN_QUESTIONS, SHARE, bank, floor_at, foreign_questions
from qa.read import shared_reader
from tests.test_squad import DEV


def test_the_floor_lets_through_at_most_the_stated_share() -> None:
    confidences = [i / 1000 for i in range(1000)]
    floor = floor_at(confidences, share=0.01)
    assert sum(c >= floor for c in confidences) == 10
    assert floor_at([0.3, 0.2, 0.1], share=0.0) > 0.3
    assert floor_at([], share=0.01) == 0.0


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
    # Of the bank questions asked, at most the stated share clears it.
    asked = foreign_questions(first.texts.values())
    cleared = [q for q in asked if first.ask(q).tier != "not_found"]
    assert len(cleared) <= SHARE * len(asked)

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
