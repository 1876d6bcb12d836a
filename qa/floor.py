"""Floor: the confidence under which not even a tentative answer is given, set on the
user's own folder.

The reader's threshold is calibrated on Wikipedia, where unanswerable questions were
written to look answerable; on other text every margin is lower, answerable or not. So
the floor is measured where it is used: a fixed bank of questions the folder cannot answer
(SQuAD questions from articles the reader never saw in training or calibration, leaving
out any whose answer occurs in the folder) goes through retrieval and the reader over the
folder, and the floor sits where only ``SHARE`` of them would get any answer.

That point is read off a normal fitted to all their confidences (as log-odds), not off the
one or two highest of them: with 160 questions and a 1% share those two alone set it, and
they moved it 65-fold between resamplings of the same folder's bank.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from index.files import replace_atomically
from qa.answer import confidence
from qa.read import MODEL_DIR

BANK = MODEL_DIR / "floor-bank.jsonl"
#: The share of the bank's questions that may get an answer in some tier, by the fit...
SHARE = 0.01
#: ...and the most that may in fact get one, should their confidences not fit a normal.
MOST = 0.03
#: How the floor is set, in the key a saved floor is kept by: a floor saved by an earlier
#: way of setting it is measured again.
METHOD = "normal fit of log-odds, 1% (at most 3% of the bank)"
#: Questions asked at most (the bank is in random order): about 5 s of reading on two cores.
MAX_QUESTIONS = 160
#: Fewer bank questions left than this (the folder holds most of their answers): no floor
#: can be measured, and only confident answers are given.
MIN_QUESTIONS = 60


@dataclass(frozen=True)
class Floor:
    confidence: float
    """Answers at or above this confidence and below the calibrated threshold are tentative."""
    questions: int
    """Bank questions asked: those whose answers the folder does not hold."""
    key: str
    """The index's content key when it was measured: a changed index measures again."""
    given: bool = False
    """Set in the settings (``QA_FLOOR``), not measured."""

    def describe(self) -> str:
        if self.given:
            return f"tentative answers from confidence {self.confidence:.2g} (QA_FLOOR)"
        if self.questions < MIN_QUESTIONS:
            return (
                f"no tentative answers: only {self.questions} of the off-topic questions are "
                "foreign to this folder, too few to set a floor"
            )
        return (
            f"tentative answers from confidence {self.confidence:.2g} (fitted on "
            f"{self.questions} off-topic questions: about {SHARE:.0%} of such questions, at "
            f"most {MOST:.0%}, would get an answer)"
        )


@cache
def _bank_rows() -> tuple[dict[str, Any], ...]:
    lines = BANK.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line)


def bank() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The bank's questions, each with its answers."""
    return tuple((r["question"], tuple(r["answers"])) for r in _bank_rows())


def bank_articles() -> frozenset[str]:
    """Titles of the SQuAD articles the bank's questions come from."""
    return frozenset(r["article"] for r in _bank_rows())


def foreign_questions(texts: Iterable[str]) -> list[str]:
    """The bank's questions none of whose answers occurs in ``texts`` (case-insensitively),
    at most ``MAX_QUESTIONS``."""
    folder = "\n".join(texts).casefold()
    foreign = [q for q, answers in bank() if not any(a.casefold() in folder for a in answers)]
    return foreign[:MAX_QUESTIONS]


def floor_at(confidences: Sequence[float], share: float = SHARE, most: float = MOST) -> float:
    """The confidence that a normal fitted to the log-odds of ``confidences`` puts ``share``
    of them above, raised if need be so that at most ``most`` of them in fact reach it.

    Questions with no span read at all (confidence 0) never get an answer: they are left
    out of the fit, where one alone moved it threefold."""
    if len(confidences) < 2 or not 0 < share <= most < 1:
        raise ValueError(f"need 2 confidences or more and 0 < share <= most < 1, got {share}")
    odds = [_log_odds(c) for c in confidences if c > 0]
    fitted = 0.0
    if len(odds) >= 2:
        mean, spread = statistics.fmean(odds), statistics.stdev(odds)
        point = statistics.NormalDist(mean, spread).inv_cdf(1 - share) if spread else mean
        fitted = confidence(point, 0.0)  # log-odds are a margin over the threshold
    ranked = sorted(confidences, reverse=True)
    above = math.nextafter(ranked[int(most * len(ranked))], math.inf)
    return max(fitted, above, sys.float_info.min)  # not a denormal: flushed to 0 under torch


def _log_odds(confidence: float) -> float:
    p = min(confidence, 1 - 1e-12)
    return math.log(p / (1 - p))


#: Floors measured in this process, by key: a folder opened again (a test's fresh index of
#: the same files, a re-index that changed nothing the floor depends on) is not re-measured.
_MEASURED: dict[str, Floor] = {}


def measured_floor(key: str) -> Floor | None:
    return _MEASURED.get(key)


def measure_floor(
    texts: Mapping[str, str], best_confidences: Callable[[Sequence[str]], list[float]], key: str
) -> Floor:
    """Ask the foreign bank questions (``best_confidences`` gives each one's best answer's
    confidence over the folder) and put the floor where ``SHARE`` of them would clear it."""
    questions = foreign_questions(texts.values())
    if len(questions) < MIN_QUESTIONS:
        floor = Floor(1.0, len(questions), key)
    else:
        floor = Floor(floor_at(best_confidences(questions)), len(questions), key)
    _MEASURED[key] = floor
    return floor


def load_floor(path: Path, key: str) -> Floor | None:
    """The floor saved at ``path`` when it was measured on the index as it is (``key``)."""
    try:
        floor = Floor(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):  # none saved, or damaged: measured again
        return None
    return floor if floor.key == key else None


def save_floor(path: Path, floor: Floor) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = json.dumps(asdict(floor))
    replace_atomically(path, lambda tmp: tmp.write_text(record, encoding="utf-8"))
