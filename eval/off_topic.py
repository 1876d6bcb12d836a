"""Off topic: questions about SQuAD articles a folder shares nothing with, asked over it.

The floor is set so that at most a stated share of its bank's questions would get an
answer; this measures the same on questions the floor never saw (held-out articles that
neither training, calibration nor the bank drew from), so the figure is not the floor's
own definition read back.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.squad import load_squad
from qa.assistant import Assistant
from qa.floor import bank_articles

QUESTIONS = 200


def off_topic_questions(
    squad_file: str | Path, exclude: Collection[str], n: int = QUESTIONS, seed: int = 0
) -> list[str]:
    """``n`` answerable questions, drawn with ``seed``, from the file's articles that are not
    in ``exclude`` (titles) nor in the floor's bank."""
    left_out = {*exclude, *bank_articles()}
    questions = [
        q["question"]
        for article in load_squad(squad_file)
        if article["title"] not in left_out
        for paragraph in article["paragraphs"]
        for q in paragraph["qas"]
        if not q.get("is_impossible")
    ]
    return random.Random(seed).sample(questions, min(n, len(questions)))


@dataclass(frozen=True)
class OffTopic:
    questions: int
    answered: int
    """Questions given an answer in some tier (confident or tentative)."""
    confident: int

    @property
    def share(self) -> float:
        return self.answered / self.questions if self.questions else float("nan")


def ask_off_topic(assistant: Assistant, questions: Sequence[str]) -> OffTopic:
    tiers = [assistant.ask(q).tier for q in questions]
    return OffTopic(
        len(tiers), sum(t != "not_found" for t in tiers), sum(t == "confident" for t in tiers)
    )
