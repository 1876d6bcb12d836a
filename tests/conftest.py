"""Shared fixtures: the real packaged embedding model, real Chroma, copies of the seeds."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.embed import SentenceTransformerEmbedder
from qa import Assistant, Settings

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def tree_digest(folder: Path) -> dict[str, str]:
    """Checksums of every file under a folder: sources must come out of a test unchanged."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def seeds_assistant(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
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
