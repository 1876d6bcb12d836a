"""Shared fixtures: the real packaged embedding model, real Chroma, copies of the seeds."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from index.embed import OnnxEmbedder
from qa import Assistant, Settings

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
#: ``abstain_below`` for tests of what follows the decision to answer (citations, agreement,
#: rendering): abstain only where the reader is sure there is no answer. The default (0.5,
#: the calibrated threshold) is tested by the abstention tests and the eval gates.
ANSWER_MORE = 0.0001


def run_qa(
    *args: str, index: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``qa`` as a user runs it: a fresh process from the repo, no stdin, its output kept.

    ``index`` is its QA_INDEX_DIR; ``env`` replaces the environment (default: this one's).
    """
    environ = dict(os.environ if env is None else env)
    if index is not None:
        environ["QA_INDEX_DIR"] = str(index)
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def tree_digest(folder: Path) -> dict[str, str]:
    """Checksums of every file under a folder: sources must come out of a test unchanged."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@contextmanager
def serving(
    command: Sequence[str | Path],
    ready_url: str,
    timeout: float,
    log: Path,
    env: dict[str, str] | None = None,
) -> Iterator[None]:
    """Run a server process until the block ends; the block starts once ``ready_url`` answers.

    The process leads a group of its own, so whatever it starts (make's children) ends too.
    """
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + timeout
        while not answers(ready_url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{command[0]} did not start: {log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="session")
def embedder() -> OnnxEmbedder:
    """The app's embedder: the packaged model run by onnxruntime."""
    return OnnxEmbedder()


@pytest.fixture(scope="session")
def seeds_assistant(
    tmp_path_factory: pytest.TempPathFactory, embedder: OnnxEmbedder
) -> Iterator[Assistant]:
    """One assistant over the real seeds folder, shared by the read-only tests."""
    before = tree_digest(SEEDS)
    settings = Settings(index_dir=tmp_path_factory.mktemp("seeds-index"))
    yield Assistant.open(SEEDS, settings, embedder=embedder)
    assert tree_digest(SEEDS) == before, "the seeds were modified"


@pytest.fixture
def sources(tmp_path: Path) -> Iterator[Path]:
    """A private copy of the seeds that a test may add to or change."""
    folder = tmp_path / "sources"
    shutil.copytree(SEEDS, folder)
    yield folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")
