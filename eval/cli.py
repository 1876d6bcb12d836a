"""The ``qa eval`` subcommand: ``qa/cli.py`` makes it, :func:`add_eval_options` fills it."""

from __future__ import annotations

import argparse
from pathlib import Path

from eval.off_topic import ask_off_topic, off_topic_questions
from eval.report import compare_runs, load_overall, summary
from eval.run import (
    GOLD_EXAMPLE,
    GOLD_HOWTO,
    MODES,
    default_gold,
    default_out_dir,
    load_thresholds,
    run_eval,
)
from eval.squad import write_squad_set
from qa.errors import ConfigError
from qa.options import settings_from_args
from qa.read import shared_reader

EXIT_THRESHOLD_MISSED = 1


def gold_for(sources: Path) -> Path:
    """The folder's default gold file, or an error saying how to write one."""
    gold = default_gold(sources)
    if gold is None:
        raise ConfigError(
            f"no gold file for {sources}: give one with --gold FILE. {GOLD_HOWTO}\n{GOLD_EXAMPLE}"
        )
    return gold


def add_eval_options(p: argparse.ArgumentParser) -> None:
    """``eval``'s own options, on the subcommand ``qa`` made with the shared flags."""
    p.add_argument(
        "--gold",
        type=Path,
        help="gold JSONL file: one {question, answers, answerable} object per line (or the "
        "project's richer format); default: eval/gold.jsonl for seeds",
    )
    p.add_argument(
        "--gate",
        metavar="TABLE",
        help="fail below the thresholds of [tool.qa.TABLE] in pyproject.toml (default: the "
        "project's own sets are gated, other gold files only reported on)",
    )
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
    p.add_argument(
        "--off-topic",
        type=Path,
        metavar="FILE",
        help="instead, ask 200 questions about articles of a SQuAD-format file that the reader "
        "and the floor never saw, over the sources, and print how many get any answer",
    )
    p.add_argument("--articles", type=int, metavar="N", help="with --squad: the first N articles")
    p.add_argument("--per-article", type=int, metavar="K", help="with --squad: K questions each")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    if args.off_topic is not None:
        return cmd_off_topic(args)
    if args.compare is not None:
        load_overall(args.compare)  # a bad baseline fails now, not after the whole run
    settings = settings_from_args(args)
    out = args.out or default_out_dir()
    sources: Path = settings.source_folder()
    thresholds = None if args.gate is None else load_thresholds(table=args.gate)
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
        if args.gate is None:
            thresholds = load_thresholds(table="eval-squad")
    elif args.articles is not None or args.per_article is not None:
        raise ConfigError("--articles and --per-article go with --squad FILE")
    else:
        gold = args.gold or gold_for(sources)
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
    print(f"eval of {gold} over {sources}")
    print(summary(report, out))
    if args.compare is not None:
        print()
        print(compare_runs(report, args.compare))
    return 0 if report.passed else EXIT_THRESHOLD_MISSED


def cmd_off_topic(args: argparse.Namespace) -> int:
    """How many off-topic questions the current folder answers, in any tier."""
    from qa.assistant import Assistant

    questions = off_topic_questions(args.off_topic, shared_reader().trained_on)
    assistant = Assistant.open(settings=settings_from_args(args), progress=True)
    found = ask_off_topic(assistant, questions)
    print(
        f"off topic over {assistant.root}: {found.answered} of {found.questions} questions "
        f"answered ({found.share:.1%}; {found.confident} confidently); "
        f"{assistant.floor.describe()}"
    )
    return 0
