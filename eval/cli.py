"""The ``qa eval`` subcommand; ``qa/cli.py`` mounts it with :func:`add_eval_command`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.report import compare_runs, load_overall, summary
from eval.run import DEFAULT_GOLD, MODES, default_out_dir, load_thresholds, run_eval
from eval.squad import write_squad_set
from qa.cli import settings_from_args
from qa.errors import ConfigError
from qa.read import shared_reader

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
    p.add_argument(
        "--squad",
        type=Path,
        metavar="FILE",
        help="score on the articles of a SQuAD-format file (.json or .json.gz) instead, as a "
        "sources folder; articles the reader was trained or calibrated on are left out",
    )
    p.add_argument("--articles", type=int, metavar="N", help="with --squad: the first N articles")
    p.add_argument("--per-article", type=int, metavar="K", help="with --squad: K questions each")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    if args.compare is not None:
        load_overall(args.compare)  # a bad baseline fails now, not after the whole run
    settings = settings_from_args(args)
    out = args.out or default_out_dir()
    gold, sources, thresholds = args.gold, args.sources, None
    if args.squad is not None:
        for name in ("articles", "per_article"):
            value = getattr(args, name)
            if value is not None and value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        sources, gold = write_squad_set(
            args.squad,
            out / "squad",
            articles=args.articles,
            per_article=args.per_article,
            exclude=shared_reader().trained_on,
        )
        settings = settings.replace(index_dir=out / "squad" / "index")
        thresholds = load_thresholds(table="eval-squad")
    elif args.articles is not None or args.per_article is not None:
        raise ConfigError("--articles and --per-article go with --squad FILE")
    report = run_eval(
        gold_path=gold,
        sources=sources,
        mode=args.mode,
        out_dir=out,
        settings=settings,
        thresholds=thresholds,
        progress=True,
        curve=args.squad is None,
    )
    print(summary(report, out))
    if args.compare is not None:
        print()
        print(compare_runs(report, args.compare))
    return 0 if report.passed else EXIT_THRESHOLD_MISSED
