"""The eval suite end to end: the gold file, run_eval, the report files, thresholds, `qa eval`."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

import eval.run
from eval import sweep
from eval.cli import add_eval_options
from eval.metrics import RETRIEVAL_DEPTH, load_gold, metric_names
from eval.report import compare_runs, compare_table, load_overall
from eval.run import DEFAULT_GOLD, load_thresholds, run_eval
from index.embed import OnnxEmbedder
from index.load import scan_folder
from qa.answer import NOT_FOUND
from qa.assistant import Assistant
from qa.errors import ConfigError, SourcesError
from qa.floor import Floor
from qa.options import common_options
from qa.settings import Settings
from qa.types import Answer, Citation, Passage

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SOURCE = "seeds/000_68eca9a7738f22f0.txt"
TEXT = "Fox News says the mines run on a battery. Nothing else."


@pytest.mark.parametrize(("name", "size"), [("gold.jsonl", 128), ("heldout.jsonl", 35)])
def test_the_gold_files_quote_their_sources_exactly(name: str, size: int) -> None:
    items = load_gold(DEFAULT_GOLD.with_name(name))
    assert len({i.id for i in items}) == len(items) == size
    texts: dict[str, str] = {}
    for item in items:
        for ev in item.evidence:
            if ev.source not in texts:
                texts[ev.source] = (REPO / ev.source).read_bytes().decode("utf-8")
            assert texts[ev.source][ev.start : ev.end] == ev.quote, f"{item.id}: {ev}"
    categories = {i.category for i in items}
    assert {"unanswerable-on-topic", "unanswerable-off-topic", "follow-up"} <= categories
    assert all(i.history for i in items if i.category == "follow-up")


def test_retrieval_figures_look_deeper_than_the_answer_reads(
    seeds_assistant: Assistant, embedder: OnnxEmbedder
) -> None:
    one = Assistant.open(SEEDS, seeds_assistant.settings.replace(top_k=1), embedder=embedder)
    items = [i for i in load_gold(DEFAULT_GOLD) if i.answerable and not i.history][:5]
    rows = eval.run.ask_all(one, items)
    assert all(len(r.answer.passages) == 1 for r in rows)
    assert all(len(r.retrieved) == RETRIEVAL_DEPTH for r in rows)
    assert [r.retrieved[0] for r in rows] == [r.answer.passages[0] for r in rows]


class StubAssistant:
    """Answers from a table: the pipeline around ask() is tested without any model."""

    root = Path("seeds")
    floor = Floor(0.0, 0, "stub")

    def __init__(self, answers: Mapping[str, Answer]) -> None:
        self.answers = answers
        self.texts = {SOURCE: TEXT}
        self.histories: list[Sequence[Mapping[str, str]]] = []

    def ask(self, question: str, history: Sequence[Mapping[str, str]] = ()) -> Answer:
        self.histories.append(history)
        return self.answers[question]

    def retrieve(self, question: str, top_k: int | None = None) -> list[Passage]:
        return []


def stub_gold(path: Path) -> Path:
    evidence = [{"source": SOURCE, "start": 0, "end": 41, "quote": TEXT[:41]}]
    items = [
        ("right", "What powers the mines?", "battery", evidence, []),
        ("wrong", "Who reported it?", "Fox News", evidence, [{"role": "user", "content": "Hi"}]),
        ("none", "How many mines?", "", [], []),
    ]
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": id_,
                    "question": question,
                    "answerable": bool(answer),
                    "answer": answer,
                    "answer_aliases": [],
                    "evidence": ev,
                    "category": "unanswerable-on-topic" if not answer else "fact",
                    "history": history,
                }
            )
            + "\n"
            for id_, question, answer, ev, history in items
        ),
        encoding="utf-8",
    )
    return path


def stub_assistant() -> StubAssistant:
    battery = Citation.from_text(SOURCE, TEXT, 14, 40)  # "the mines run on a battery"
    return StubAssistant(
        {
            "What powers the mines?": Answer(battery.quote, (battery,), "confident", "q", "q"),
            "Who reported it?": Answer("Nothing else.", (), "confident", "q", "q"),
            "How many mines?": Answer(NOT_FOUND, (), "not_found", "q", "q"),
        }
    )


def test_run_eval_scores_writes_and_gates(tmp_path: Path) -> None:
    assistant = stub_assistant()
    out = tmp_path / "runs" / "one"
    report = run_eval(
        gold_path=stub_gold(tmp_path / "gold.jsonl"),
        out_dir=out,
        assistant=cast(Assistant, assistant),
        thresholds={"answer_containment": 0.9, "abstention_recall": 1.0},
        curve=False,
    )
    assert assistant.histories[1] == ({"role": "user", "content": "Hi"},)
    assert report.overall.answer_containment == 0.5
    assert report.overall.abstention_precision == report.overall.abstention_recall == 1.0
    assert [str(s) for s in report.shortfalls] == [
        "answer_containment = 0.500, below the minimum 0.9"
    ]
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["passed"] is False
    assert data["shortfalls"][0]["metric"] == "answer_containment"
    assert data["by_category"]["fact"]["citation_recall"] == 0.5
    markdown = (out / "report.md").read_text(encoding="utf-8")
    rows = {r.split(" | ")[0]: r.split(" | ")[1:3] for r in markdown.splitlines() if "|" in r}
    assert rows["| exact_match"] == [f"{report.overall.exact_match:.3f}"] * 2  # both shown
    worst = markdown.split("## The 10 worst items")[1]
    assert worst.index("`wrong`") < worst.index("`right`") < worst.index("`none`")
    assert "the answer does not contain the gold answer 'Fox News'" in worst
    assert "unsupported sentence 'Nothing else.'" in worst
    assert "**Earlier user:** Hi" in worst
    latest = tmp_path / "runs" / "latest"
    assert (latest / "report.json").read_bytes() == (out / "report.json").read_bytes()
    assert (latest / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_eval_refuses_a_gold_set_for_other_sources(tmp_path: Path) -> None:
    assistant = stub_assistant()
    assistant.texts = {"docs/other.txt": TEXT}
    with pytest.raises(SourcesError, match=SOURCE):
        run_eval(stub_gold(tmp_path / "g.jsonl"), assistant=cast(Assistant, assistant))


def test_modes() -> None:
    with pytest.raises(ConfigError, match="llm mode needs QA_LLM"):
        run_eval(mode="llm")
    with pytest.raises(ConfigError, match="mode must be one of extractive, llm; got 'gpt'"):
        run_eval(mode="gpt")


def test_load_thresholds(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    assert load_thresholds(pyproject) == {}
    pyproject.write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    assert load_thresholds(pyproject) == {}
    pyproject.write_text(
        "[tool.qa.eval]\ncitation_recall = 0.5\nmedian_answer_words_max = 40\n", encoding="utf-8"
    )
    assert load_thresholds(pyproject) == {"citation_recall": 0.5, "median_answer_words_max": 40.0}
    pyproject.write_text('[tool.qa.eval]\ncitation_recall = "high"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"citation_recall .* must be a number, got 'high'"):
        load_thresholds(pyproject)
    pyproject.write_text("[tool.qa.eval]\nrecall = 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown eval threshold 'recall'"):
        load_thresholds(pyproject)


def test_the_repo_thresholds_name_known_metrics() -> None:
    assert set(load_thresholds()) <= {*metric_names(), *(f"{n}_max" for n in metric_names())}


def write_run(path: Path, **overall: float | None) -> Path:
    path.mkdir(parents=True)
    (path / "report.json").write_text(json.dumps({"overall": overall}), encoding="utf-8")
    return path


def test_compare_shows_both_runs_and_the_change(tmp_path: Path) -> None:
    new = write_run(tmp_path / "new", items=10, token_f1=0.5, groundedness=None)
    old = write_run(tmp_path / "old", items=10, token_f1=0.625, groundedness=1.0)
    lines = compare_runs(new, old).splitlines()
    assert lines[0].split() == ["metric", str(new), str(old), "delta"]
    assert lines[1].split() == ["items", "10", "10", "0"]
    assert lines[2].split() == ["token_f1", "0.500", "0.625", "-0.125"]
    assert lines[3].split() == ["groundedness", "–", "1.000", "–"]
    assert compare_table({"token_f1": 0.7}, {"token_f1": 0.5}, ("a", "b")).endswith("+0.200")
    with pytest.raises(ConfigError, match=r"no readable eval report\.json"):
        load_overall(tmp_path)


def eval_parser() -> argparse.ArgumentParser:
    """The parser qa/cli.py builds: the shared flags come in as parents."""
    parser = argparse.ArgumentParser(prog="qa")
    sub = parser.add_subparsers(dest="command", required=True)
    add_eval_options(sub.add_parser("eval", parents=[common_options()]))
    return parser


def test_cli_flags() -> None:
    args = eval_parser().parse_args(["eval", "--mode", "llm", "--compare", "runs/a"])
    assert (args.gold, args.mode, args.out, args.compare) == (
        None,
        "llm",
        None,
        Path("runs/a"),
    )
    with pytest.raises(SystemExit):
        eval_parser().parse_args(["eval", "--mode", "gpt"])


SUBSET_CATEGORIES = (
    "both-sources",
    "one-source",
    "conflict",
    "who",
    "number",
    "why",
    "follow-up",
    "unanswerable-on-topic",
)


def gold_subset(path: Path) -> Path:
    """One item of each of 8 categories, copied verbatim from the real gold set."""
    lines = DEFAULT_GOLD.read_text(encoding="utf-8").splitlines()
    first: dict[str, str] = {}
    for line in lines:
        first.setdefault(json.loads(line)["category"], line)
    path.write_text("".join(first[c] + "\n" for c in SUBSET_CATEGORIES), encoding="utf-8")
    return path


@pytest.mark.slow
def test_eval_against_the_real_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = gold_subset(tmp_path / "gold.jsonl")
    first = tmp_path / "runs" / "first"
    report = run_eval(
        gold_path=gold,
        sources=SEEDS,
        out_dir=first,
        settings=Settings(index_dir=tmp_path / "idx"),
        thresholds={},
    )
    data: dict[str, Any] = json.loads((first / "report.json").read_text(encoding="utf-8"))
    assert data == report.to_dict()
    assert data["passed"] is True and data["shortfalls"] == []
    assert data["info"]["mode"] == "extractive"
    assert data["overall"]["items"] == 8 and data["overall"]["answerable"] == 7
    assert set(data["overall"]) == {"items", "answerable", *metric_names()}
    assert sorted(data["by_category"]) == sorted(SUBSET_CATEGORIES)
    assert [i["id"] for i in data["items"]] == [i.id for i in load_gold(gold)]
    shares = [n for n in metric_names() if not n.endswith("_ms") and "words" not in n]
    for name in shares:
        value = data["overall"][name]
        assert value is None or 0.0 <= value <= 1.0, name
    assert data["overall"]["retrieval_recall_at_5"] >= data["overall"]["retrieval_recall_at_1"]
    assert all(i["latency_ms"] > 0 for i in data["items"])
    markdown = (first / "report.md").read_text(encoding="utf-8")
    for heading in ("## Overall", "## Citations (answerable items)", "## The 10 worst items"):
        assert heading in markdown
    assert markdown.count("\n### ") == 8
    assert (first / "metrics.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.qa.eval]\nmedian_answer_words_max = 0\n", encoding="utf-8")
    monkeypatch.setattr(eval.run, "PYPROJECT", pyproject)
    second = tmp_path / "runs" / "second"
    flags = {"--gold": gold, "--sources": SEEDS, "--index-dir": tmp_path / "idx"}
    flags |= {"--out": second, "--compare": first, "--gate": "eval"}
    args = eval_parser().parse_args(["eval", *(str(x) for kv in flags.items() for x in kv)])
    assert args.func(args) == 1
    printed = capsys.readouterr().out
    assert "FAIL median_answer_words = " in printed and "above the maximum 0" in printed
    assert f"report: {second / 'report.md'}" in printed
    compared = {line.split()[0]: line.split() for line in printed.splitlines() if line}
    # Same index, same questions: the answers, hence the scores, do not move.
    assert compared["answer_containment"][-1] == "0.000"
    assert compared["metric"] == ["metric", "this", "run", str(first), "delta"]


def test_the_folders_set_is_whole() -> None:
    """eval/folders: ten folders, each of documents the index reads and questions that
    load, 301 in all (206 answerable), as its README says."""
    found = sweep.folders(sweep.DEFAULT_ROOT)
    assert len(found) == 10
    items = [item for folder in found for item in load_gold(folder / "questions.jsonl")]
    assert (len(items), sum(i.answerable for i in items)) == (301, 206)
    for folder in found:
        assert scan_folder(folder / "docs") and all(
            why is None for _, why in scan_folder(folder / "docs")
        )


@pytest.mark.slow
def test_a_sweep_evaluates_each_folder_and_totals_them(tmp_path: Path) -> None:
    root = tmp_path / "folders"
    for name, question in (
        ("news", "How many North Korean soldiers were sent?"),
        ("again", "Where were the North Korean soldiers deployed?"),
    ):
        shutil.copytree(SEEDS, root / name / "docs")
        lines = [
            {"question": question, "answers": ["10,000", "Kursk"], "answerable": True},
            {"question": "What is the capital of Australia?", "answers": [], "answerable": False},
        ]
        (root / name / "questions.jsonl").write_text(
            "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
        )
    (root / "notes").mkdir()  # no docs/, no questions: not a folder of the set
    assert sweep.main([str(root), "--out", str(tmp_path / "out")]) == 0
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8").splitlines()
    assert [line.split(" | ")[0] for line in summary[2:]] == ["| again", "| news", "| **total**"]
    assert summary[-1].split(" | ")[1] == "2/2 (1.000)"  # both answered right, in any tier
    assert summary[-1].endswith("| 2/2 (1.000) |")  # both unanswerable ones declined
    assert (tmp_path / "out" / "news" / "report.json").is_file()
