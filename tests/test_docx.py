"""A Word file end to end: indexed, asked about, cited exactly; a broken one skipped by
``qa index`` with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.embed import OnnxEmbedder
from qa import Assistant, Settings
from tests.conftest import run_qa
from tests.test_load import docx_bytes

pytestmark = pytest.mark.slow

ROWS = [
    ["Station", "Platforms", "Opened"],
    ["Harbour Street", "6", "2019"],
    ["Old Mill", "2", "2021"],
]
PARAGRAPH = (
    "The Northgate light rail line was built by the engineer Maria Kallas. "
    "It carries about 40,000 passengers on a weekday."
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    sources = tmp_path / "reports"
    sources.mkdir()
    (sources / "northgate.docx").write_bytes(docx_bytes("Northgate transit", PARAGRAPH, ROWS))
    return sources


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who built the Northgate light rail line?", "Maria Kallas"),
        ("How many passengers does the line carry on a weekday?", "40,000"),
    ],
)
def test_a_docx_fact_is_answered_with_exact_citations(
    folder: Path, tmp_path: Path, embedder: OnnxEmbedder, question: str, expected: str
) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    assistant = Assistant.open(folder, settings, embedder=embedder)
    answer = assistant.ask(question)
    assert not answer.abstained and expected in answer.text
    assert answer.citations
    for c in answer.citations:
        assert c.source == "reports/northgate.docx"
        assert assistant.source_text(c.source)[c.start : c.end] == c.quote
    assert any(expected in c.quote for c in answer.citations)


def test_qa_index_skips_a_broken_docx_with_its_reason(folder: Path, tmp_path: Path) -> None:
    (folder / "broken.docx").write_bytes(b"this was never a Word file")
    done = run_qa("index", str(folder), "--quiet", index=tmp_path / "index")
    assert done.returncode == 0, done.stderr
    assert (
        "qa: warning: skipped broken.docx: not a readable .docx (not a zip archive)"
        in done.stderr.splitlines()
    )
    assert "1 added" in done.stdout
