"""``python -m eval.sweep [ROOT ...]``: ``qa eval`` over each folder of documents under ROOT
(default ``eval/folders``), each folder holding ``docs/`` and ``questions.jsonl``, on a fresh
index each, and one table of them with their totals: what a change does to documents of
many kinds at once, not to one set."""

from __future__ import annotations

import argparse
import math
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eval.metrics import Metrics
from eval.run import run_eval
from qa.settings import Settings

DEFAULT_ROOT = Path(__file__).resolve().parent / "folders"


def folders(root: Path) -> list[Path]:
    """The folders under ``root`` that hold ``docs/`` and ``questions.jsonl``, by name."""
    return sorted(
        d for d in root.iterdir() if (d / "docs").is_dir() and (d / "questions.jsonl").is_file()
    )


@dataclass(frozen=True)
class Row:
    """One folder's figures as counts: answerable questions answered right in any tier, with
    the best span right whatever the tier, confident answers and the right ones among them,
    unanswerable questions declined."""

    name: str
    answerable: int
    right: int
    best_right: int
    confident: int
    confident_right: int
    unanswerable: int
    declined: int

    @classmethod
    def of(cls, name: str, m: Metrics) -> Row:
        def count(share: float, n: int) -> int:
            return 0 if math.isnan(share) else round(share * n)

        right_confident = count(m.answered_right_confident, m.answerable)
        unanswerable = m.items - m.answerable
        return cls(
            name,
            m.answerable,
            count(m.answered_right, m.answerable),
            count(m.best_span_right, m.answerable),
            right_confident + count(m.confident_wrong, m.items),
            right_confident,
            unanswerable,
            count(m.unanswerable_declined, unanswerable),
        )


def table(rows: list[Row]) -> str:
    """The rows and their total as a Markdown table of counts and shares."""

    def share(k: int, n: int) -> str:
        return f"{k}/{n} ({k / n:.3f})" if n else "–"

    lines = [
        "| folder | answered right | best span right | confident right | declined |",
        "|---|---:|---:|---:|---:|",
    ]
    total = Row("**total**", *(sum(getattr(r, f) for r in rows) for f in _COUNTS))
    for r in [*rows, total]:
        lines.append(
            f"| {r.name} | {share(r.right, r.answerable)} | {share(r.best_right, r.answerable)} "
            f"| {share(r.confident_right, r.confident)} | {share(r.declined, r.unanswerable)} |"
        )
    return "\n".join(lines)


_COUNTS = (
    "answerable",
    "right",
    "best_right",
    "confident",
    "confident_right",
    "unanswerable",
    "declined",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("roots", nargs="*", type=Path, default=[DEFAULT_ROOT])
    parser.add_argument("--out", type=Path, help="run folder (default: runs/sweep-<UTC time>)")
    args = parser.parse_args(argv)
    out = args.out or Path("runs") / datetime.now(UTC).strftime("sweep-%Y%m%dT%H%M%SZ")
    rows = []
    with tempfile.TemporaryDirectory() as indexes:
        for root in args.roots:
            for folder in folders(root):
                name = folder.name if len(args.roots) == 1 else f"{root.name}/{folder.name}"
                report = run_eval(
                    folder / "questions.jsonl",
                    folder / "docs",
                    out_dir=out / name,
                    settings=Settings.from_env(index_dir=Path(indexes) / name),
                )
                rows.append(Row.of(name, report.overall))
                print(f"{name}: {report.overall.answered_right:.3f} answered right")
    summary = table(rows)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(summary + "\n", encoding="utf-8")
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
