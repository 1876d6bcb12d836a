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
    missing_sources,
    score_row,
    threshold_metric,
)
from eval.report import write_report
from qa.assistant import Assistant
from qa.errors import ConfigError, SourcesError
from qa.settings import Settings
from qa.types import Answer

DEFAULT_GOLD = Path(__file__).with_name("gold.jsonl")
GENRES_GOLD = Path(__file__).with_name("genres") / "questions.jsonl"
#: The project's own gold sets and the ``[tool.qa.<table>]`` that gates each; a user's gold
#: file is reported on, not gated, unless a table is named (``qa eval --gate``).
GATES = {
    DEFAULT_GOLD: "eval",
    DEFAULT_GOLD.with_name("heldout.jsonl"): "eval",
    GENRES_GOLD: "eval-genres",
}
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
#: The one folder ``eval/gold.jsonl`` was written for: for it, that file is the default.
REPO_SEEDS = PYPROJECT.with_name("seeds")
#: The simple gold format, for a person writing one for their own folder.
GOLD_EXAMPLE = (
    '{"question": "Which flag turns on verbose output?", "answers": ["--verbose", "-v"], '
    '"answerable": true}\n'
    '{"question": "Who wrote the tool?", "answers": [], "answerable": false}'
)
GOLD_HOWTO = (
    "A gold file is JSON Lines, one question per line: `question`, `answers` (any one of "
    "them found in the answer, case aside, makes it right; empty when the folder does not "
    "say) and `answerable`. For example:"
)
MODES = ("extractive", "llm")


def open_assistant(sources: str | Path | None, settings: Settings, mode: str) -> Assistant:
    """The one place a mode becomes an answerer: the LLM answerer plugs in here."""
    if mode == "llm" and settings.llm == "none":
        raise ConfigError(
            "llm mode needs QA_LLM (or --llm): gguf:/path/model.gguf or "
            "openai-like:http://host:port/v1"
        )
    return Assistant.open(sources, settings if mode == "llm" else settings.replace(llm="none"))


def default_out_dir(now: datetime | None = None) -> Path:
    return Path("runs") / (now or datetime.now(UTC)).strftime("eval-%Y%m%dT%H%M%SZ")


def default_gold(root: Path) -> Path | None:
    """The gold file a folder has without one given: the repo's own, for the repo's seeds."""
    if DEFAULT_GOLD.exists() and root.resolve() == REPO_SEEDS.resolve():
        return DEFAULT_GOLD
    return None


def gate_for(gold_path: str | Path) -> str | None:
    """The thresholds table that gates ``gold_path``, if it is one of the project's sets."""
    return GATES.get(Path(gold_path).resolve())


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
    assistant: Assistant, items: Sequence[GoldItem], progress: bool = False, retrieve: bool = True
) -> list[EvalRow]:
    """Ask every item; ``retrieve`` also records the top passages for the retrieval figures."""
    rows = []
    for item in tqdm(items, desc="eval", unit="q", disable=not progress):
        t0 = time.perf_counter()
        answer = assistant.ask(item.question, history=item.history)
        latency_ms = (time.perf_counter() - t0) * 1000
        retrieved = assistant.retrieve(answer.searched, RETRIEVAL_DEPTH) if retrieve else []
        rows.append(EvalRow(item, answer, latency_ms, tuple(retrieved)))
    return rows


def best_answers(assistant: Assistant, items: Sequence[GoldItem], progress: bool) -> list[Answer]:
    """Each item asked again with every threshold off: its best span, whatever the tier."""
    unthresholded = Assistant.open(
        assistant.root,
        assistant.settings.replace(abstain_below=0.0, floor=0.0),
        embedder=assistant.embedder,
    )
    return [row.answer for row in ask_all(unthresholded, items, progress, retrieve=False)]


def run_eval(
    gold_path: str | Path = DEFAULT_GOLD,
    sources: str | Path | None = None,
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
    ``latest`` folder next to it. ``thresholds`` default to the table that gates the gold
    file (:func:`gate_for`), none for a file that is not the project's.
    ``assistant``, when given, is used as is (``sources`` and ``settings`` are then unused;
    ``sources`` defaults to the settings' folder). ``curve`` (extractive mode) asks every
    item a second time with the thresholds off: the best span whatever the tier (the
    ``best_span_right`` ceiling) and the abstention threshold curve come from those answers.
    """
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    started = datetime.now(UTC)
    items = load_gold(gold_path)
    if assistant is None:
        assistant = open_assistant(sources, settings or Settings.from_env(), mode)
    unknown = missing_sources(items, assistant.texts)
    if unknown:
        raise SourcesError(
            f"{gold_path} cites sources {assistant.root} does not hold: {', '.join(unknown[:3])}"
        )
    rows = ask_all(assistant, items, progress)
    second_pass = curve and mode == "extractive"
    if second_pass:
        best = best_answers(assistant, items, progress)
        rows = [replace(row, best=answer) for row, answer in zip(rows, best, strict=True)]
    if thresholds is None:
        table = gate_for(gold_path)
        thresholds = load_thresholds(table=table) if table else {}
    report = aggregate(rows)
    report = replace(
        report,
        thresholds=thresholds,
        shortfalls=check_thresholds(report.overall, thresholds),
        info={
            "gold": str(gold_path),
            "sources": str(assistant.root.resolve()),
            "mode": mode,
            "floor": assistant.floor.describe(),
            "started": started.isoformat(timespec="seconds"),
        },
    )
    out = Path(out_dir) if out_dir is not None else default_out_dir(started)
    written = write_report(report, out)
    if second_pass:
        unthresholded = [score_row(replace(r, answer=r.best)) for r in rows if r.best]
        current = assistant.settings.abstain_below
        written += write_curve(abstention_curve(unthresholded), current, out)
    latest = out.parent / "latest"
    if out.resolve() != latest.resolve():
        latest.mkdir(parents=True, exist_ok=True)
        for path in written:
            shutil.copyfile(path, latest / path.name)
    return report
