"""The ``qa`` command as a user runs it: a real process, real index, one JSON object."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, run_qa, serving
from tests.conftest_ui import free_port

pytestmark = pytest.mark.slow


def qa(*args: str, index: Path) -> subprocess.CompletedProcess[str]:
    return run_qa(*args, index=index)


def test_ask_json_prints_exactly_one_object(tmp_path: Path) -> None:
    done = qa("ask", "How long do the mines stay active?", "--json", index=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["abstained"] is False and "hours" in data["answer"]
    assert set(data["timings_ms"]) == {"retrieve", "answer"}
    for c in data["citations"]:
        assert set(c) == {"source", "start", "end", "quote", "score", "in_file"}
        text = (REPO / c["source"]).read_bytes().decode("utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]
        # plain text read as written: the file's own offsets and line are the same span's
        assert c["in_file"]["start"] == c["start"] and c["in_file"]["end"] == c["end"]
        assert c["in_file"]["line"] == text.count("\n", 0, c["start"]) + 1


def test_ask_prints_each_citation_at_its_file_and_line(tmp_path: Path) -> None:
    """The offsets of a Markdown file's reading view are not the file's: a person opening
    the file goes to the line."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text(
        "# Guide\n\n[![build](https://ci.example/badge.svg)](https://ci.example/job/1)\n\n"
        "## Limits\n\nUploads are capped at **25 megabytes** per file.\n"
    )
    done = qa("ask", "How large may an uploaded file be?", "--sources", str(docs), index=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"\[1\] \S*guide\.md:7  “Uploads are capped at 25 megabytes", done.stdout)


def test_an_ask_over_an_unchanged_index_ends_at_once_with_its_whole_answer(
    tmp_path: Path,
) -> None:
    """The first ask indexes and ends as Python ends; the next ones find the index up to
    date and skip the tear-down (no exit handler runs), their output all there."""
    question = "How long do the mines stay active?"
    code = (
        "import atexit, sys; atexit.register(print, 'TORN-DOWN', file=sys.stderr); "
        f"sys.argv = ['qa', 'ask', {question!r}, '--json']; import qa.cli; qa.cli.run()"
    )
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
        )
        for _ in range(3)
    ]
    assert [r.returncode for r in runs] == [0, 0, 0], runs[-1].stderr
    assert ["TORN-DOWN" in r.stderr for r in runs] == [True, False, False]
    # the first ask says what it waits for (on stderr): indexing; the next ones say nothing
    assert ["indexing" in r.stderr for r in runs] == [True, False, False]
    answers = [json.loads(r.stdout) for r in runs]
    assert all(a["answer"] == answers[0]["answer"] and "hours" in a["answer"] for a in answers)
    assert all(r.stdout.endswith("}\n") for r in runs)


def test_index_then_reindex_reports_unchanged(tmp_path: Path) -> None:
    first = qa("index", "seeds", "--quiet", index=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 added" in first.stdout
    assert len(list(tmp_path.glob("*.cache/bm25-*"))) == 1  # the first ask will not build it
    second = qa("index", "seeds", "--quiet", index=tmp_path)
    assert "0 added, 0 updated, 0 removed, 2 unchanged" in second.stdout


#: What asking over an up-to-date index should not load: it is seconds of start-up.
#: llama-index builds the chunks and drives the LLM; retrieval does without it.
NEVER_FOR_ASKING = (
    "gradio",
    "llama_index",
    "llama_cpp",
    "matplotlib",
    "pandas",
    "torch",
    "transformers",
    "sentence_transformers",
)


def loaded_by(argv: list[str], index: Path, heavy: tuple[str, ...]) -> list[str]:
    """Which of the ``heavy`` modules (or their submodules) ``qa <argv>`` imports."""
    code = (
        "import json, sys, qa.cli\n"
        "try:\n"
        f"    code = qa.cli.main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"heavy = {heavy!r}\n"
        "found = {h for h in heavy for m in sys.modules if m == h or m.startswith(h + '.')}\n"
        "print(json.dumps([code, sorted(found)]))\n"
    )
    env = {**os.environ, "QA_INDEX_DIR": str(index)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    exit_code, found = json.loads(done.stdout.splitlines()[-1])
    assert exit_code == 0, done.stderr
    return list(found)


def test_help_loads_no_library_of_any_size(tmp_path: Path) -> None:
    """numpy aside: ``qa`` imports its public API plainly, and that API's types use it."""
    heavy = (*NEVER_FOR_ASKING, "chromadb", "onnxruntime", "eval")
    assert loaded_by(["--help"], tmp_path, heavy) == []


def test_ask_loads_neither_torch_nor_the_ui_nor_llama_index(tmp_path: Path) -> None:
    assert qa("index", "seeds", "--quiet", index=tmp_path).returncode == 0  # model exported
    question = "How long do the mines stay active?"
    assert loaded_by(["ask", "--json", question], tmp_path, NEVER_FOR_ASKING) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "   "), "the question is empty"),
        (("ask", "x" * 2500), "limit is 2000"),
        (("ask", "Who?", "--sources", "no/such/folder"), "sources folder not found"),
        (("index", "tests"), "no supported files"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = qa(*args, index=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("qa: error:") and message in lines[-1]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("QA_MAX_FILE_MB", "nan", "max_file_mb must be a positive number, got nan"),
        ("QA_MAX_FILE_MB", "inf", "max_file_mb must be a positive number, got inf"),
        ("QA_FLOOR", "nan", "floor must be at most 1"),
        ("QA_CHROMA_URL", "http://127.0.0.1:99999", "is not a URL (Port out of range"),
        ("QA_CHROMA_URL", "http://[::1", "is not a URL (Invalid IPv6 URL)"),
        ("QA_CHROMA_URL", "http://127.0.0.1:1", "no Chroma server answers at"),
        ("QA_INDEX_DIR", "{file}", "is a file; give a folder (--index-dir)"),
        ("QA_INDEX_DIR", "/proc/qa-index", "cannot be written (No such file or directory)"),
    ],
)
def test_bad_settings_and_index_folders_are_one_line_errors(
    tmp_path: Path, setting: str, value: str, message: str
) -> None:
    (tmp_path / "file").write_text("not a folder")
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index")}
    env[setting] = value.format(file=tmp_path / "file")
    done = run_qa("ask", "Who?", "--sources", "seeds", env=env)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("qa: error:") and message in lines[-1], done.stderr
    assert "Traceback" not in done.stderr


def test_the_folder_indexed_last_is_the_one_asked_until_another_is_indexed(
    tmp_path: Path,
) -> None:
    other = tmp_path / "handbook"
    other.mkdir()
    (other / "leave.md").write_text(
        "# Leave\n\nStaff at Harrowgate Works get 31 days of paid leave a year.\n",
        encoding="utf-8",
    )
    index = tmp_path / "index"
    done = qa("index", str(other), "--quiet", index=index)
    assert done.returncode == 0, done.stderr
    assert f"indexed {other}" in done.stdout and "floor:" in done.stdout
    asked = qa("ask", "How many days of paid leave do staff get?", "--json", index=index)
    data = json.loads(asked.stdout)
    assert data["sources"] == str(other.resolve())
    assert "31" in data["answer"] and data["citations"][0]["source"] == "handbook/leave.md"
    # in the file, markup and all: the span's own offsets and its line
    in_file = data["citations"][0]["in_file"]
    written = (other / "leave.md").read_text(encoding="utf-8")
    assert "31 days" in written[in_file["start"] : in_file["end"]] and in_file["line"] == 3
    # --sources overrides the remembered folder for one command, and leaves it remembered.
    seeds = qa(
        "ask", "How long do the mines stay active?", "--json", "--sources", "seeds", index=index
    )
    assert json.loads(seeds.stdout)["sources"] == str((REPO / "seeds").resolve())
    again = qa("ask", "How many days of paid leave do staff get?", index=index)
    assert f"(from {other.resolve()})" in again.stdout and "31" in again.stdout


@pytest.mark.e2e
def test_make_run_serves_the_folder_it_is_given(tmp_path: Path) -> None:
    """`make run SOURCES=DIR`, as the README gives it: DIR indexed, then served."""
    folder = tmp_path / "mydocs"
    folder.mkdir()
    (folder / "leave.md").write_text("Staff get 31 days of paid leave a year.\n", "utf-8")
    port = free_port()
    env = {**os.environ, "QA_INDEX_DIR": str(tmp_path / "index")}
    command = ["make", "-s", "run", f"SOURCES={folder}", f"PORT={port}"]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "make-run.log"
    with (
        serving(command, url, 300.0, log, env=env),
        urllib.request.urlopen(f"{url}/config", timeout=30) as response,
    ):
        config = json.loads(response.read())
    shown = [c["props"].get("value") for c in config["components"] if c["type"] == "html"]
    header = next(v for v in shown if isinstance(v, str) and "qa-header" in v)
    assert str(folder) in header and "1 file" in header and "extractive" in header
