"""The abstention threshold curve: what each threshold would trade between answering and abstaining.

An extractive answer does not depend on the threshold, only whether it is shown
does, so one run with the threshold at 0 gives every point of the curve.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.metrics import OFF_TOPIC, ON_TOPIC, ItemScore, nanmean, share

GRID = tuple(round(0.20 + 0.01 * i, 2) for i in range(51))


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    abstention_precision: float
    abstention_recall_on_topic: float
    abstention_recall_off_topic: float
    answer_containment: float


def abstention_curve(scores: Sequence[ItemScore], grid: Sequence[float] = GRID) -> list[CurvePoint]:
    """Metrics at each threshold, from scores of a run that never abstained on confidence."""
    points = []
    for t in grid:
        withheld = [s.answer.abstained or s.answer.confidence < t for s in scores]
        pairs = list(zip(scores, withheld, strict=True))
        points.append(
            CurvePoint(
                threshold=t,
                abstention_precision=share([not s.item.answerable for s, w in pairs if w]),
                abstention_recall_on_topic=share(
                    [w for s, w in pairs if s.item.category == ON_TOPIC]
                ),
                abstention_recall_off_topic=share(
                    [w for s, w in pairs if s.item.category == OFF_TOPIC]
                ),
                answer_containment=nanmean(
                    0.0 if w else s.containment for s, w in pairs if s.item.answerable
                ),
            )
        )
    return points


def write_curve(points: Sequence[CurvePoint], current: float, out_dir: Path) -> list[Path]:
    """threshold.json and threshold.png, with the configured threshold marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data_path, png_path = out_dir / "threshold.json", out_dir / "threshold.png"
    data_path.write_text(
        json.dumps({"current": current, "points": [asdict(p) for p in points]}, indent=1),
        encoding="utf-8",
    )
    fig = Figure(figsize=(8.0, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = [p.threshold for p in points]
    for name in (
        "abstention_precision",
        "abstention_recall_on_topic",
        "abstention_recall_off_topic",
        "answer_containment",
    ):
        ax.plot(xs, [getattr(p, name) for p in points], label=name)
    ax.axvline(current, color="grey", linestyle="--", label=f"abstain_below = {current:g}")
    ax.set_xlabel("abstention threshold (answer confidence)")
    ax.set_ylim(0, 1.02)
    ax.set_title("Abstention against the threshold")
    ax.legend(fontsize=8, loc="lower left")
    fig.savefig(png_path, dpi=120)
    return [data_path, png_path]
