"""Report: the files a run leaves behind (JSON, Markdown, a chart) and the run-to-run comparison."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from eval.metrics import COUNTS, EvalReport, ItemScore, Metrics, metric_names
from qa.errors import ConfigError

#: What the tiers did: right answers by tier, confident mistakes, declines, and the ceiling.
TIER_FIGURES = (
    "answered_right",
    "answered_right_confident",
    "answered_right_tentative",
    "confident_right",
    "confident_wrong",
    "unanswerable_not_confident",
    "unanswerable_declined",
    "best_span_right",
    "answered_when_best_right",
)
#: The Markdown report's tables: one per metric family, a row per category.
TABLES: dict[str, tuple[str, ...]] = {
    "Answer correctness (answerable items)": ("exact_match", "token_f1", "answer_containment"),
    "SQuAD 2.0 (all items; abstaining is right on unanswerable ones)": ("squad_exact", "squad_f1"),
    "Citations (answerable items)": ("citation_precision", "citation_recall"),
    "Groundedness (answers given)": ("groundedness",),
    "Abstention": (
        "abstention_precision",
        "abstention_recall",
        "abstention_recall_on_topic",
        "abstention_recall_off_topic",
        "abstention_rate",
    ),
    "Retrieval (answerable items)": (
        "retrieval_recall_at_1",
        "retrieval_recall_at_3",
        "retrieval_recall_at_5",
        "retrieval_mrr",
    ),
    "Latency and length": ("latency_p50_ms", "latency_p95_ms", "median_answer_words"),
    "Tiers (confident, tentative, not found; the same strict or lenient)": TIER_FIGURES,
}
#: The chart's bars: the figures that say whether answers are right and grounded.
CHART_METRICS = (
    "answer_containment",
    "token_f1",
    "citation_precision",
    "citation_recall",
    "groundedness",
    "retrieval_recall_at_5",
    "abstention_recall",
)
WORST = 10


def fmt(name: str, value: float) -> str:
    if math.isnan(value):
        return "–"
    if name.endswith("_ms"):
        return f"{value:.0f}"
    if name in (*COUNTS, "median_answer_words"):
        return f"{value:g}"
    return f"{value:.3f}"


def write_report(report: EvalReport, out_dir: str | Path) -> list[Path]:
    """Write report.json, report.md and metrics.png into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md", out / "metrics.png"]
    paths[0].write_text(
        json.dumps(report.to_dict(), ensure_ascii=False, indent=1, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    paths[1].write_text(render_markdown(report), encoding="utf-8")
    draw_chart(report, paths[2])
    return paths


def render_markdown(report: EvalReport) -> str:
    info = ", ".join(f"{k}: `{v}`" for k, v in report.info.items())
    lines = ["# Eval report", "", info, "", f"**{_verdict(report)}**", "", "## Overall", ""]
    lines += [
        "Strict: a tentative answer counts as an abstention (SQuAD 2.0's way); lenient: as an "
        "answer.",
        "",
        "| metric | strict | lenient | threshold (strict) |",
        "|---|---:|---:|---:|",
    ]
    for name in (*COUNTS, *metric_names()):
        value = float(getattr(report.overall, name))
        lenient = float(getattr(report.lenient, name))
        bounds = (("≥", report.thresholds.get(name)), ("≤", report.thresholds.get(f"{name}_max")))
        limit = " ".join(f"{sign} {t:g}" for sign, t in bounds if t is not None)
        failed = any(s.metric == name for s in report.shortfalls)
        lines.append(
            f"| {name} | {fmt(name, value)} | {fmt(name, lenient)} | "
            f"{limit}{' ✗' if failed else ''} |"
        )
    if report.by_genre:
        lines += ["", "## Per genre", "", f"| genre | items | {' | '.join(TIER_FIGURES)} |"]
        lines.append("|---|---:" + "|---:" * len(TIER_FIGURES) + "|")
        for genre, m in report.by_genre.items():
            cells = [fmt(n, float(getattr(m, n))) for n in TIER_FIGURES]
            lines.append(f"| {genre} | {m.items} | {' | '.join(cells)} |")
    rows: dict[str, Metrics] = {"**overall**": report.overall, **report.by_category}
    for title, names in TABLES.items():
        columns = (*COUNTS, *names)
        lines += ["", f"## {title}", "", f"| category | {' | '.join(columns)} |"]
        lines.append("|---" + "|---:" * len(columns) + "|")
        for label, m in rows.items():
            cells = [fmt(n, float(getattr(m, n))) for n in columns]
            lines.append(f"| {label} | {' | '.join(cells)} |")
    lines += ["", f"## The {WORST} worst items", ""]
    for rank, score in enumerate(report.worst(WORST), 1):
        lines += _worst_item(rank, score)
    return "\n".join(lines) + "\n"


def _verdict(report: EvalReport) -> str:
    if not report.thresholds:
        return "No thresholds set."
    if report.passed:
        return f"All {len(report.thresholds)} thresholds met."
    return "Thresholds missed: " + "; ".join(str(s) for s in report.shortfalls)


def _worst_item(rank: int, score: ItemScore) -> list[str]:
    item, answer = score.item, score.answer
    gold = " / ".join(item.golds) if item.answerable else "(unanswerable)"
    said = _one_line(answer.text) + ("" if answer.tier == "confident" else f" *({answer.tier})*")
    lines = [f"### {rank}. `{item.id}` ({item.category}, quality {score.quality:.2f})", ""]
    lines.append(f"- **Question:** {item.question}")
    lines += [f"- **Earlier {t['role']}:** {_one_line(t['content'])}" for t in item.history]
    lines += [f"- **Gold:** {gold}", f"- **Answer:** {said}", "- **Citations:**"]
    lines += [
        f"  - `{c.source}:{c.start}-{c.end}` “{_one_line(c.quote)}”" for c in answer.citations
    ]
    if not answer.citations:
        lines[-1] += " none"
    lines.append("- **What failed:**")
    lines += [f"  - {_one_line(p)}" for p in score.problems()] or ["  - nothing: a near miss"]
    return [*lines, ""]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def draw_chart(report: EvalReport, path: str | Path) -> None:
    """Grouped bars, a group per category: where answers go wrong shows at a glance."""
    # Imported here: every `qa` command loads this module, only `qa eval` draws.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups: dict[str, Metrics] = {"overall": report.overall, **report.by_category}
    fig = Figure(figsize=(max(8.0, 1.3 * len(groups)), 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / len(CHART_METRICS)
    for i, name in enumerate(CHART_METRICS):
        values = [float(getattr(m, name)) for m in groups.values()]
        xs = [g + (i - (len(CHART_METRICS) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(xs, [0.0 if math.isnan(v) else v for v in values], width, label=name)
    ax.set_xticks(range(len(groups)), [f"{g}\n(n={m.items})" for g, m in groups.items()])
    ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (missing bar: not applicable or 0)")
    ax.set_title("Eval metrics per category")
    ax.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.25))
    fig.savefig(path, dpi=120)


def summary(report: EvalReport, out_dir: str | Path) -> str:
    """A few lines for the terminal: the headline figures, strict and lenient, the tiers per
    genre, where the report is, what failed."""
    m, lenient = report.overall, report.lenient
    shown = (
        "citation_precision",
        "citation_recall",
        "groundedness",
        "retrieval_recall_at_5",
        "latency_p95_ms",
        "median_answer_words",
    )
    figures = [f"{n}={fmt(n, float(getattr(m, n)))}" for n in shown]

    def both(name: str, label: str) -> str:
        a, b = float(getattr(m, name)), float(getattr(lenient, name))
        return f"{label}={fmt(name, a)}/{fmt(name, b)}"

    lines = [
        f"eval: {m.items} items ({m.answerable} answerable); {report.info.get('floor', '')}",
        "  strict/lenient: "
        + "  ".join(
            both(n, label)
            for n, label in (
                ("answer_containment", "containment"),
                ("token_f1", "HasAns F1"),
                ("squad_exact", "EM"),
                ("squad_f1", "F1"),
                ("abstention_recall", "NoAns"),
                ("abstention_precision", "abstention precision"),
            )
        ),
        "  " + "  ".join(figures),
        "  tiers: " + tier_line(m),
    ]
    lines += [
        f"  {genre} ({g.items} items): {tier_line(g)}" for genre, g in report.by_genre.items()
    ]
    lines.append(f"report: {Path(out_dir) / 'report.md'}")
    lines += [f"FAIL {s}" for s in report.shortfalls]
    lines.append(
        _verdict(report) if report.passed else f"{len(report.shortfalls)} thresholds missed"
    )
    return "\n".join(lines)


def tier_line(m: Metrics) -> str:
    """Right answers by tier, confident mistakes, declines and the ceiling, in one line."""
    f = {n: fmt(n, float(getattr(m, n))) for n in TIER_FIGURES}
    return (
        f"answered right {f['answered_right']} (confident {f['answered_right_confident']}, "
        f"tentative {f['answered_right_tentative']}); confident right {f['confident_right']}, "
        f"confident wrong {f['confident_wrong']}; unanswerable declined "
        f"{f['unanswerable_declined']}, not confident {f['unanswerable_not_confident']}; "
        f"best span right {f['best_span_right']}, answered when it is "
        f"{f['answered_when_best_right']}"
    )


def load_overall(run: str | Path) -> dict[str, float]:
    """The overall figures of an earlier run: its folder, or its report.json."""
    path = Path(run)
    if path.is_dir():
        path = path / "report.json"
    try:
        overall = json.loads(path.read_text(encoding="utf-8"))["overall"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{run} holds no readable eval report.json ({exc})") from None
    return {k: math.nan if v is None else float(v) for k, v in overall.items()}


def compare_runs(
    current: EvalReport | str | Path, baseline: str | Path, labels: tuple[str, str] | None = None
) -> str:
    """Overall figures of two runs side by side, with the change from ``baseline``."""
    if isinstance(current, EvalReport):
        now = {n: float(getattr(current.overall, n)) for n in (*COUNTS, *metric_names())}
        label = "this run"
    else:
        now, label = load_overall(current), str(current)
    return compare_table(now, load_overall(baseline), labels or (label, str(baseline)))


def compare_table(
    current: Mapping[str, float], baseline: Mapping[str, float], labels: tuple[str, str]
) -> str:
    names = [n for n in (*COUNTS, *metric_names()) if n in current or n in baseline]
    cells = [("metric", *labels, "delta")]
    for name in names:
        a, b = current.get(name, math.nan), baseline.get(name, math.nan)
        delta = a - b
        shown = "–" if math.isnan(delta) else ("+" if delta > 0 else "") + fmt(name, delta)
        cells.append((name, fmt(name, a), fmt(name, b), shown))
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    return "\n".join(
        "  ".join([row[0].ljust(widths[0]), *(row[i].rjust(widths[i]) for i in (1, 2, 3))])
        for row in cells
    )
