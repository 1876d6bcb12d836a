"""Evaluation of grounded answers against a gold set: ``run_eval`` or ``qa eval``."""

from eval.metrics import (
    EvalReport,
    EvalRow,
    Evidence,
    GoldItem,
    ItemScore,
    Metrics,
    Shortfall,
    aggregate,
    check_thresholds,
    load_gold,
    score_row,
)
from eval.report import compare_runs, write_report
from eval.run import load_thresholds, run_eval

__all__ = [
    "EvalReport",
    "EvalRow",
    "Evidence",
    "GoldItem",
    "ItemScore",
    "Metrics",
    "Shortfall",
    "aggregate",
    "check_thresholds",
    "compare_runs",
    "load_gold",
    "load_thresholds",
    "run_eval",
    "score_row",
    "write_report",
]
