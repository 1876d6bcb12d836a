"""The core behaviour against a real `chroma run` server, and the same on the embedded store.

One server serves the whole session; each test indexes its own copy of the seeds,
so each gets its own collection on it. The index lock stays in ``index_dir``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eval.metrics import load_gold
from eval.run import DEFAULT_GOLD, run_eval
from index.embed import OnnxEmbedder
from index.store import collection_name, open_client
from index.sync import sync_index
from qa import Assistant, Settings
from tests.conftest import REPO, SEEDS, serving, tree_digest
from tests.conftest_ui import SEED_QUESTION, UNANSWERABLE, free_port
from tests.test_index import CountingEmbedder

CHROMA = REPO / ".venv" / "bin" / "chroma"
READY_SECONDS = 30.0


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `chroma run` server on a free loopback port, stopped when the session ends."""
    if not CHROMA.exists():
        pytest.skip(f"no chroma CLI at {CHROMA}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("chroma-server") / "server.log"
    command = [CHROMA, "run", "--path", log.parent / "db", "--host", "127.0.0.1"]
    with serving([*command, "--port", str(port)], f"{url}/api/v2/heartbeat", READY_SECONDS, log):
        yield url


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for the embedded store or the session's Chroma server."""
    settings = Settings(index_dir=tmp_path / "index")
    if request.param == "server":
        return settings.replace(chroma_url=request.getfixturevalue("chroma_url"))
    return settings


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Iterator[Path]:
    """A copy named ``seeds`` (the gold set names sources by that folder), checked unchanged."""
    folder = tmp_path / "copy" / "seeds"
    shutil.copytree(SEEDS, folder)
    before = tree_digest(folder)
    yield folder
    assert tree_digest(folder) == before, "the tool modified its sources"


def stored(settings: Settings, root: Path) -> dict[str, tuple[str, str]]:
    """Chunk id -> (source, text) of every row Chroma holds for ``root``."""
    rows = open_client(settings).get_collection(collection_name(root)).get()
    return {
        i: (str(m["source"]), str(doc))
        for i, m, doc in zip(rows["ids"], rows["metadatas"], rows["documents"], strict=True)
    }


def test_server_mode_uses_the_server_and_leaves_only_the_lock_in_index_dir(
    chroma_url: str, tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    sources = tmp_path / "src"
    shutil.copytree(SEEDS, sources)
    settings = Settings(index_dir=tmp_path / "index", chroma_url=chroma_url)
    sync_index(sources, settings, embedder)
    assert sorted(p.name for p in settings.index_dir.iterdir()) == ["index.lock"]
    assert stored(settings, sources)


def test_indexing_is_incremental(backend: Settings, tmp_path: Path, embedder: OnnxEmbedder) -> None:
    sources = tmp_path / "src"
    shutil.copytree(SEEDS, sources)
    counting = CountingEmbedder(embedder)
    _, _, first = sync_index(sources, backend, counting)
    rows = stored(backend, sources)
    assert len(first.added) == 2 and first.chunks == len(rows)
    embedded = counting.texts
    _, _, again = sync_index(sources, backend, counting)
    assert len(again.unchanged) == 2 and counting.texts == embedded
    assert stored(backend, sources) == rows

    target = sources / "000_68eca9a7738f22f0.txt"
    target.write_text(target.read_text("utf-8") + "\nA closing line.", "utf-8")
    (sources / "001_8c109d270abcdae8.txt").unlink()
    _, _, edited = sync_index(sources, backend, counting)
    assert edited.updated == (target.name,) and edited.removed == ("001_8c109d270abcdae8.txt",)
    after = stored(backend, sources)
    assert {src for src, _ in after.values()} == {target.name}
    assert any(text.endswith("A closing line.") for _, text in after.values())


def test_answers_cite_exact_spans_and_bm25_holds_what_chroma_holds(
    backend: Settings, seeds_copy: Path, embedder: OnnxEmbedder
) -> None:
    assistant = Assistant.open(seeds_copy, backend, embedder=embedder)
    answer = assistant.ask(SEED_QUESTION)
    assert answer.tier == "confident" and answer.citations
    for c in answer.citations:
        assert assistant.source_text(c.source)[c.start : c.end] == c.quote

    lexical: Any = assistant._retriever._lexical
    held = {c.id: (c.source, c.text) for c in lexical._chunks}
    assert held == stored(backend, seeds_copy)


def test_unanswerable_questions_abstain(
    backend: Settings, seeds_copy: Path, embedder: OnnxEmbedder
) -> None:
    answer = Assistant.open(seeds_copy, backend, embedder=embedder).ask(UNANSWERABLE)
    assert answer.abstained and not answer.citations


@pytest.mark.slow
def test_eval_scores_the_same_on_a_server_as_embedded(
    chroma_url: str, seeds_copy: Path, tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    gold = tmp_path / "gold.jsonl"  # every 8th item: 16 items across the categories
    lines = DEFAULT_GOLD.read_text("utf-8").splitlines(keepends=True)
    gold.write_text("".join(lines[::8]), "utf-8")
    assert len(load_gold(gold)) == 16
    overall = {}
    for name, url in (("embedded", ""), ("server", chroma_url)):
        settings = Settings(index_dir=tmp_path / f"index-{name}", chroma_url=url)
        assistant = Assistant.open(seeds_copy, settings, embedder=embedder)
        report = run_eval(
            gold, assistant=assistant, out_dir=tmp_path / name, thresholds={}, curve=False
        )
        figures = report.overall.to_dict()
        overall[name] = {k: v for k, v in figures.items() if not k.startswith("latency")}
    assert overall["server"] == overall["embedded"]
    assert overall["server"]["items"] == 16
