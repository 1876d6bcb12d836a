"""SQuAD questions as examples, and the split of the SQuAD 2.0 dev articles.

The dev articles are split by article, seeded: some are trained on (they carry real
unanswerable questions), some calibrate the no-answer threshold, the rest are held out
for ``qa eval --squad``. The files are the ones in ``../shared/data/squad/`` here.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.squad import load_squad
from train.recipe import Split

DEV_FILE = "dev-v2.0-32articles.json.gz"
TRAIN_V2_FILE = "train-v2.0-first10articles.json.gz"
TRAIN_V1_FILE = "train-v1.1.json.gz"


@dataclass(frozen=True, slots=True)
class Example:
    """One SQuAD question with its paragraph; ``answers`` are (text, char start) pairs."""

    id: str
    title: str
    question: str
    context: str
    answers: tuple[tuple[str, int], ...]

    @property
    def impossible(self) -> bool:
        return not self.answers


def examples(articles: Sequence[dict[str, Any]]) -> list[Example]:
    out = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = () if qa.get("is_impossible") else qa["answers"]
                out.append(
                    Example(
                        id=qa["id"],
                        title=article["title"],
                        question=qa["question"],
                        context=paragraph["context"],
                        answers=tuple((a["text"], a["answer_start"]) for a in answers),
                    )
                )
    return out


@dataclass(frozen=True, slots=True)
class DevSplit:
    """SQuAD 2.0 dev articles by title: trained on, calibrated on, held out."""

    train: tuple[str, ...]
    calibrate: tuple[str, ...]
    held_out: tuple[str, ...]


def split_dev(titles: Sequence[str], sizes: Split) -> DevSplit:
    shuffled = sorted(titles)
    random.Random(sizes.seed).shuffle(shuffled)
    held = shuffled[: sizes.held_out]
    calibrate = shuffled[sizes.held_out : sizes.held_out + sizes.calibrate]
    train = shuffled[sizes.held_out + sizes.calibrate :]
    return DevSplit(tuple(sorted(train)), tuple(sorted(calibrate)), tuple(sorted(held)))


def dev_articles(squad_dir: Path, titles: Sequence[str]) -> list[dict[str, Any]]:
    return [a for a in load_squad(squad_dir / DEV_FILE) if a["title"] in titles]


def calibration_examples(squad_dir: Path, split: DevSplit, limit: int, seed: int) -> list[Example]:
    """A seeded sample of the calibration articles' questions: the learning curve's."""
    items = examples(dev_articles(squad_dir, split.calibrate))
    random.Random(seed).shuffle(items)
    return items[:limit]
