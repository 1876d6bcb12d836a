"""`qa eval --squad`: SQuAD-format articles as a sources folder and gold set, scored end to end."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from eval import load_thresholds, run_eval
from eval.metrics import load_gold
from eval.squad import write_squad_set
from qa import Assistant, Settings
from qa.cli import main
from qa.errors import SourcesError
from qa.read import shared_reader
from tests.conftest import REPO

DEV = REPO.parent / "shared" / "data" / "squad" / "dev-v2.0-32articles.json.gz"


def qa(qid: str, question: str, context: str, *answers: str) -> dict[str, Any]:
    spans = [{"text": a, "answer_start": context.index(a)} for a in answers]
    return {"id": qid, "question": question, "answers": spans, "is_impossible": not answers}


LIGHT = "The lighthouse on Gull Rock was kept by Ilse Varga from 1921 until 1957."
LAMP = "It was automated in 1960, and its lamp can be seen 18 miles out to sea."
MILL = "The old mill by the river ground wheat for the village until the flood of 1903."
SQUAD = {
    "version": "v2.0",
    "data": [
        {
            "title": "Gull Rock",
            "paragraphs": [
                {
                    "context": LIGHT,
                    "qas": [
                        qa("q1", "Who kept the lighthouse on Gull Rock?", LIGHT, "Ilse Varga"),
                        qa("q2", "Who built the lighthouse on Gull Rock?", LIGHT),
                    ],
                },
                {
                    "context": LAMP,
                    "qas": [
                        qa("q3", "When was the lighthouse automated?", LAMP, "1960", "in 1960")
                    ],
                },
            ],
        },
        {
            "title": "Mill (village)",
            "paragraphs": [
                {
                    "context": MILL,
                    "qas": [qa("q4", "What did the old mill grind?", MILL, "wheat")],
                }
            ],
        },
    ],
}


@pytest.fixture
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(SQUAD, f)
    return path


def test_articles_become_files_and_answers_keep_exact_offsets(
    squad_file: Path, tmp_path: Path
) -> None:
    sources, gold = write_squad_set(squad_file, tmp_path / "set")
    files = sorted(p.name for p in sources.iterdir())
    assert files == ["000_Gull_Rock.txt", "001_Mill_village.txt"]
    text = (sources / files[0]).read_text(encoding="utf-8")
    assert text == LIGHT + "\n\n" + LAMP
    items = {i.id: i for i in load_gold(gold)}
    assert [i.answerable for i in items.values()] == [True, False, True, True]
    assert items["q3"].golds == ("1960", "in 1960")
    assert items["q2"].category == "unanswerable-on-topic"
    for item in items.values():
        for e in item.evidence:
            assert e.source == f"sources/{Path(e.source).name}"
            assert (sources / Path(e.source).name).read_text()[e.start : e.end] == e.quote


def test_slices_are_the_same_on_every_run_and_leave_out_excluded_articles(
    squad_file: Path, tmp_path: Path
) -> None:
    _, first = write_squad_set(squad_file, tmp_path / "a", per_article=1)
    _, again = write_squad_set(squad_file, tmp_path / "b", per_article=1)
    assert first.read_text() == again.read_text()
    assert len(load_gold(first)) == 2
    _, gold = write_squad_set(squad_file, tmp_path / "c", exclude={"Gull Rock"})
    assert [i.id for i in load_gold(gold)] == ["q4"]
    with pytest.raises(SourcesError, match="no article is left"):
        write_squad_set(squad_file, tmp_path / "d", exclude={"Gull Rock", "Mill (village)"})
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(SourcesError, match="not a readable SQuAD file"):
        write_squad_set(tmp_path / "bad.json", tmp_path / "e")


def test_qa_eval_squad_scores_the_whole_pipeline(
    squad_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["eval", "--squad", str(squad_file), "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert "strict/lenient: " in out and "NoAns=" in out
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["overall"]["items"] == report["lenient"]["items"] == 4
    items = {i["id"]: i for i in report["items"]}
    assert "Ilse Varga" in items["q1"]["answer"] and items["q1"]["tier"] != "not_found"
    strict = [i["tier"] != "confident" for i in items.values() if not i["answerable"]]
    assert report["overall"]["abstention_recall"] == sum(strict) / len(strict)
    assert code == (0 if not report["shortfalls"] else 1)
    assert main(["eval", "--articles", "2"]) == 2


@pytest.mark.slow
def test_held_out_squad_articles_meet_the_thresholds(tmp_path: Path) -> None:
    """The CI gate on documents nobody tuned for: a fixed slice of the dev articles the reader
    was neither trained nor calibrated on, retrieved openly across all of them."""
    if not DEV.exists():
        assert os.environ.get("CI") != "true", f"{DEV} is missing on the CI machine"
        pytest.skip(f"{DEV} is not on this machine")
    sources, gold = write_squad_set(
        DEV, tmp_path / "set", articles=4, per_article=40, exclude=shared_reader().trained_on
    )
    assistant = Assistant.open(sources, Settings(index_dir=tmp_path / "index"))
    thresholds = load_thresholds(table="eval-squad")
    assert {"squad_f1", "abstention_recall", "token_f1"} <= set(thresholds)
    report = run_eval(
        gold, assistant=assistant, out_dir=tmp_path / "run", thresholds=thresholds, curve=False
    )
    failures = "\n".join(str(s) for s in report.shortfalls)
    assert report.passed, f"answers on unseen articles got worse:\n{failures}"
