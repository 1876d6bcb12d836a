"""How steady the floor is: the fitted floor beside the plain order statistic it replaced,
each with its spread over resamplings of the bank, per folder.

    .venv/bin/python -m bench.floor   # seeds, both genre sets: bench/results/floor.md

For each folder, the bank's questions foreign to it (``qa/floor.py``) are asked through
retrieval and the reader, and their best answers' confidences give:

- the floor as shipped (``floor_at``: where a normal fitted to their log-odds puts 1% of
  them, never letting more than 3% through);
- the plain order statistic it replaced: the confidence only 1% of them reach, which for
  160 questions is the 2nd highest;
- for each, the 10th and 90th percentiles over resamplings of the bank (drawn with
  replacement), and how many fold apart they are: how far another bank of the same kind
  could move the floor.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import random
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
FOLDERS = (
    REPO / "seeds",
    REPO.parent / "shared" / "data" / "genres" / "sources",
    REPO / "eval" / "genres" / "sources",
)
RESAMPLES = 300


def order_statistic(confidences: Sequence[float], share: float) -> float:
    """The confidence that only ``share`` of ``confidences`` reach, read off the sample."""
    ranked = sorted(confidences, reverse=True)
    return math.nextafter(ranked[int(share * len(ranked))], math.inf)


def spread(
    confidences: Sequence[float], floor: Callable[[Sequence[float]], float], seed: int = 0
) -> tuple[float, float]:
    """The 10th and 90th percentiles of ``floor`` over bootstrap resamplings."""
    rng = random.Random(seed)
    values = sorted(floor(rng.choices(confidences, k=len(confidences))) for _ in range(RESAMPLES))
    return values[RESAMPLES // 10], values[RESAMPLES * 9 // 10]


def bank_confidences(folder: Path) -> list[float]:
    """The best answer's confidence of each bank question foreign to ``folder``, read as the
    floor saved with an index reads them: without the rules that only take answers away,
    which ``Assistant.ask`` applies."""
    from qa import Assistant, Settings
    from qa.floor import foreign_questions

    with tempfile.TemporaryDirectory() as index:
        settings = Settings.from_env().replace(index_dir=Path(index))
        assistant = Assistant.open(folder, settings)
        questions = foreign_questions(assistant.texts.values())
        return assistant._best_confidences(questions)


def main(argv: Sequence[str] | None = None) -> None:
    from qa.floor import SHARE, floor_at

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=list(FOLDERS))
    parser.add_argument("--out", type=Path, default=RESULTS / "floor.md")
    args = parser.parse_args(argv)
    plain = functools.partial(order_statistic, share=SHARE)
    rows = []
    for folder in args.folders:
        confidences = bank_confidences(folder)
        for name, floor in (("fitted (shipped)", floor_at), ("order statistic", plain)):
            low, high = spread(confidences, floor)
            rows.append(
                f"| {os.path.relpath(folder, REPO)} ({len(confidences)}) | {name} "
                f"| {floor(confidences):.2g} "
                f"| {low:.2g} to {high:.2g} | {high / low:.1f}x |"
            )
    report = "\n".join(
        [
            "# The floor and its spread over resamplings of the bank",
            "",
            f"`python -m bench.floor`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{RESAMPLES} resamplings.",
            "",
            "| folder (questions) | floor | on the bank | 10th to 90th percentile | apart |",
            "|---|---|---:|---:|---:|",
            *rows,
        ]
    )
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
