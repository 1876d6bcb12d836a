"""The ``qa eval`` subcommand; ``qa/cli.py`` mounts it with :func:`add_eval_command`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.report import compare_runs, load_overall, summary
from eval.run import DEFAULT_GOLD, MODES, default_out_dir, run_eval
from qa.cli import settings_from_args

EXIT_THRESHOLD_MISSED = 1


def add_eval_command(subparsers: Any, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Add ``eval`` to ``qa``'s subcommands; ``parents`` carry the shared source/index flags."""
    p = subparsers.add_parser(
        "eval",
        parents=list(parents),
        help="score answers on the gold set; exit 1 when a threshold is missed",
    )
    p.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="gold JSONL file")
    p.add_argument("--mode", choices=MODES, default="extractive", help="answerer to evaluate")
    p.add_argument("--out", type=Path, help="run folder (default: runs/eval-<UTC time>)")
    p.add_argument("--compare", type=Path, metavar="RUN_DIR", help="earlier run to compare with")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    if args.compare is not None:
        load_overall(args.compare)  # a bad baseline fails now, not after the whole run
    settings = settings_from_args(args)
    out = args.out or default_out_dir()
    report = run_eval(
        gold_path=args.gold,
        sources=args.sources,
        mode=args.mode,
        out_dir=out,
        settings=settings,
        progress=True,
    )
    print(summary(report, out))
    if args.compare is not None:
        print()
        print(compare_runs(report, args.compare))
    return 0 if report.passed else EXIT_THRESHOLD_MISSED
