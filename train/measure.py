"""The no-answer threshold and the held-out figures, scored as SQuAD 2.0 scores them.

Per example the span is scored by ``eval.metrics`` (exact match, token F1); abstaining is
right exactly on an unanswerable question, as in ``eval.metrics.score_row``. What is
computed here is only what a threshold sweep needs on top: each example scored once, then
every threshold over the same scores.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from eval.metrics import exact_match, load_gold, token_f1
from eval.squad import load_squad, write_squad_set
from index.files import replace_atomically
from qa.answer import ReaderAnswerer
from qa.assistant import Assistant
from qa.read import Reader, Reading
from qa.settings import Settings
from train.data import DEV_FILE, Example, dev_articles, examples

ReadFn = Callable[[str, Sequence[str]], list[Reading]]
#: Per example: the text of its best span ("" for none) and its margin over no-answer.
Prediction = tuple[str, float]


@dataclass(frozen=True, slots=True)
class Scores:
    """SQuAD 2.0 figures of one set when answering above ``threshold`` (on the margin)."""

    f1: float
    exact: float
    has_ans_f1: float
    no_ans_accuracy: float
    threshold: float


def predictions(read: ReadFn, items: Sequence[Example]) -> list[Prediction]:
    """Per example: the best span of its own paragraph and its margin over no-answer."""
    out = []
    for example in items:
        best = read(example.question, [example.context])[:1]
        out.append(
            (example.context[best[0].start : best[0].end], best[0].margin)
            if best
            else ("", float("-inf"))
        )
    return out


def per_example(
    metric: Callable[[str, list[str]], float],
    items: Sequence[Example],
    preds: Sequence[Prediction],
) -> npt.NDArray[np.float64]:
    """``metric`` of each predicted span against its example's answers, answered or not."""
    return np.array(
        [metric(t, [a for a, _ in e.answers]) for e, (t, _) in zip(items, preds, strict=True)]
    )


def squad_scores(
    items: Sequence[Example], preds: Sequence[Prediction], threshold: float | None = None
) -> Scores:
    """SQuAD 2.0 figures when answering above ``threshold``; with None, above the threshold
    that gives the best F1 (which is how the reader is calibrated)."""
    impossible = np.array([e.impossible for e in items])
    margins = np.array([m for _, m in preds])
    f1 = per_example(token_f1, items, preds)
    em = per_example(exact_match, items, preds)

    def at(threshold: float) -> tuple[float, float, float, float]:
        answered = margins > threshold
        f1s = np.where(answered, np.where(impossible, 0.0, f1), impossible.astype(float))
        ems = np.where(answered, np.where(impossible, 0.0, em), impossible.astype(float))
        has = f1s[~impossible].mean() if (~impossible).any() else float("nan")
        no = f1s[impossible].mean() if impossible.any() else float("nan")
        return float(f1s.mean()), float(ems.mean()), float(has), float(no)

    if threshold is None:
        grid = sorted({round(float(m), 2) for m in margins if np.isfinite(m)} | {0.0})
        threshold = max(grid, key=lambda t: at(t)[0])
    return Scores(*at(threshold), threshold)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Where F1 is lost: in finding the span or in deciding whether to answer."""

    has_ans_f1_always_answering: float  # F1 on answerable questions were it never to abstain
    answerability_auc: float  # P(an answerable question's margin > an unanswerable one's)
    f1_if_deciding_perfectly: float  # F1 with its spans, abstaining exactly when it should


def diagnose(items: Sequence[Example], preds: Sequence[Prediction]) -> Diagnosis:
    impossible = np.array([e.impossible for e in items])
    margins = np.array([m for _, m in preds])
    forced = per_example(token_f1, items, preds)[~impossible]
    above = margins[~impossible][:, None] - margins[impossible][None, :]
    auc = float(((above > 0) + 0.5 * (above == 0)).mean())
    return Diagnosis(
        float(forced.mean()), auc, float((forced.sum() + impossible.sum()) / len(items))
    )


def pipeline_predictions(
    reader: Reader, squad_dir: Path, titles: Sequence[str], per_article: int | None = None
) -> tuple[list[Example], list[Prediction]]:
    """Per question of these dev articles: the best span and its margin, read as the app
    reads (open retrieval over the articles, the reader over the passages retrieved)."""
    dev = squad_dir / DEV_FILE
    others = {a["title"] for a in load_squad(dev)} - set(titles)
    items, preds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        sources, gold = write_squad_set(dev, tmp, exclude=others, per_article=per_article)
        # The folder's floor (tentative answers) plays no part here: set, not measured.
        settings = Settings(index_dir=Path(tmp) / "index", floor=1.0)
        assistant = Assistant.open(sources, settings)
        answerer = ReaderAnswerer(assistant.texts, reader, 0.5, 1.0)
        for item in load_gold(gold):
            found = answerer.find(item.question, assistant.retrieve(item.question))[:1]
            answers = tuple((g, 0) for g in item.golds) if item.answerable else ()
            items.append(Example(item.id, "", item.question, "", answers))
            preds.append(
                (
                    assistant.texts[found[0].source][found[0].span[0] : found[0].span[1]],
                    found[0].margin,
                )
                if found
                else ("", float("-inf"))
            )
    return items, preds


def update_card(model_dir: Path, changes: dict[str, Any]) -> dict[str, Any]:
    """Merge ``changes`` into the model's ``reader.json``, created if absent with a threshold
    of 0 until it is calibrated (the runtime needs one to load it); the new card."""
    path = model_dir / "reader.json"
    card: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    card.update(changes)
    card.setdefault("threshold", 0.0)
    replace_atomically(path, lambda tmp: tmp.write_text(json.dumps(card, indent=1) + "\n"))
    return card


def calibrate(model_dir: Path, squad_dir: Path, per_article: int | None = None) -> dict[str, Any]:
    """Set the no-answer threshold where SQuAD 2.0 F1 peaks on the calibration articles, read
    through the whole pipeline as the app reads: open retrieval over those articles."""
    reader = Reader(model_dir)
    titles = reader.card["split"]["calibrate"]
    items, preds = pipeline_predictions(reader, squad_dir, titles, per_article)
    scores = squad_scores(items, preds)
    calibration = {"questions": len(items), **asdict(scores)}
    update_card(model_dir, {"threshold": scores.threshold, "calibration": calibration})
    return calibration


def measure(model_dir: Path, squad_dir: Path) -> dict[str, Any]:
    """The reader on the held-out articles, through the whole pipeline and given each
    question's own paragraph (the oracle passage), so that retrieval, span finding and
    deciding to answer are told apart."""
    reader = Reader(model_dir)
    titles = reader.card["split"]["held_out"]
    items, preds = pipeline_predictions(reader, squad_dir, titles)
    figures: dict[str, Any] = {
        "held_out": {
            "questions": len(items),
            "at_calibrated_threshold": asdict(squad_scores(items, preds, reader.threshold)),
            "diagnosis": asdict(diagnose(items, preds)),
        }
    }
    items = examples(dev_articles(squad_dir, titles))
    preds = predictions(reader.read, items)
    figures["oracle_held_out"] = {
        "questions": len(items),
        "at_calibrated_threshold": asdict(squad_scores(items, preds, reader.threshold)),
        "at_best_threshold": asdict(squad_scores(items, preds)),
        "diagnosis": asdict(diagnose(items, preds)),
    }
    update_card(model_dir, figures)
    return figures
