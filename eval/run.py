"""Run the suite: ask every gold question, score the answers, write the report, check thresholds."""

from __future__ import annotations

import shutil
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.curve import abstention_curve, write_curve
from eval.metrics import (
    RETRIEVAL_DEPTH,
    EvalReport,
    EvalRow,
    GoldItem,
    aggregate,
    check_thresholds,
    load_gold,
    score_row,
    threshold_metric,
)
from eval.report import write_report
from qa.assistant import Assistant
from qa.errors import ConfigError, SourcesError
from qa.settings import Settings

DEFAULT_GOLD = Path(__file__).with_name("gold.jsonl")
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
MODES = ("extractive", "llm")


def open_assistant(sources: str | Path, settings: Settings, mode: str) -> Assistant:
    """The one place a mode becomes an answerer: the LLM answerer plugs in here."""
    if mode == "llm" and settings.llm == "none":
        raise ConfigError(
            "llm mode needs QA_LLM (or --llm): gguf:/path/model.gguf or "
            "openai-like:http://host:port/v1"
        )
    return Assistant.open(sources, settings if mode == "llm" else settings.replace(llm="none"))


def default_out_dir(now: datetime | None = None) -> Path:
    return Path("runs") / (now or datetime.now(UTC)).strftime("eval-%Y%m%dT%H%M%SZ")


def load_thresholds(pyproject: str | Path | None = None, table: str = "eval") -> dict[str, float]:
    """``[tool.qa.<table>]`` of the repo's pyproject.toml (``eval`` for the gold sets,
    ``eval-squad`` for SQuAD articles); no file or no table means no thresholds."""
    path = Path(pyproject) if pyproject is not None else PYPROJECT
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    found: Any = config.get("tool", {}).get("qa", {}).get(table, {})
    if not isinstance(found, dict):
        raise ConfigError(f"[tool.qa.{table}] in {path} must be a table")
    for key, value in found.items():
        threshold_metric(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"[tool.qa.{table}] {key} in {path} must be a number, got {value!r}")
    return {key: float(value) for key, value in found.items()}


def ask_all(
    assistant: Assistant, items: Sequence[GoldItem], progress: bool = False
) -> list[EvalRow]:
    rows = []
    for item in tqdm(items, desc="eval", unit="q", disable=not progress):
        t0 = time.perf_counter()
        answer = assistant.ask(item.question, history=item.history)
        latency_ms = (time.perf_counter() - t0) * 1000
        retrieved = assistant.retrieve(answer.searched, RETRIEVAL_DEPTH)
        rows.append(EvalRow(item, answer, latency_ms, tuple(retrieved)))
    return rows


def threshold_curve(
    assistant: Assistant, items: Sequence[GoldItem], out: Path, progress: bool = False
) -> list[Path]:
    """Ask again with abstention off, and draw what each threshold would do."""
    current = assistant.settings.abstain_below
    unthresholded = Assistant.open(
        assistant.root, assistant.settings.replace(abstain_below=0.0), embedder=assistant.embedder
    )
    scores = [score_row(row) for row in ask_all(unthresholded, items, progress)]
    return write_curve(abstention_curve(scores), current, out)


def run_eval(
    gold_path: str | Path = DEFAULT_GOLD,
    sources: str | Path = "seeds",
    mode: str = "extractive",
    out_dir: str | Path | None = None,
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    *,
    thresholds: Mapping[str, float] | None = None,
    progress: bool = False,
    curve: bool = True,
) -> EvalReport:
    """Score the assistant on a gold set and write report.json, report.md and metrics.png.

    ``out_dir`` defaults to ``runs/eval-<UTC time>``; the files are also copied to a
    ``latest`` folder next to it. ``thresholds`` default to ``[tool.qa.eval]``.
    ``assistant``, when given, is used as is (``sources`` and ``settings`` are then unused).
    ``curve`` adds the abstention threshold curve (extractive mode; a second pass).
    """
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    started = datetime.now(UTC)
    items = load_gold(gold_path)
    if assistant is None:
        assistant = open_assistant(sources, settings or Settings.from_env(), mode)
    unknown = sorted({e.source for i in items for e in i.evidence} - set(assistant.texts))
    if unknown:
        raise SourcesError(
            f"{gold_path} cites sources {assistant.root} does not hold: {', '.join(unknown[:3])}"
        )
    rows = ask_all(assistant, items, progress)
    thresholds = load_thresholds() if thresholds is None else dict(thresholds)
    report = aggregate([score_row(row) for row in rows])
    report = replace(
        report,
        thresholds=thresholds,
        shortfalls=check_thresholds(report.overall, thresholds),
        info={
            "gold": str(gold_path),
            "sources": str(assistant.root),
            "mode": mode,
            "started": started.isoformat(timespec="seconds"),
        },
    )
    out = Path(out_dir) if out_dir is not None else default_out_dir(started)
    written = write_report(report, out)
    if curve and mode == "extractive":
        written += threshold_curve(assistant, items, out, progress)
    latest = out.parent / "latest"
    if out.resolve() != latest.resolve():
        latest.mkdir(parents=True, exist_ok=True)
        for path in written:
            shutil.copyfile(path, latest / path.name)
    return report
