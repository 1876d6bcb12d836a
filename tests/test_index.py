"""Chunk offsets and incremental indexing, through the real model and a real Chroma."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from index.chunk import chunk_document, locate, with_line_before
from index.embed import Embedder, OnnxEmbedder
from index.load import SourceDoc, read_text
from index.store import ChunkStore, collection_name, open_client
from index.sync import IndexReport, index_lock, sync_index
from qa import Settings
from qa.errors import IndexBusy, SourcesError
from tests.conftest import SEEDS, tree_digest


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.texts = inner, inner.name, 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


def stored(settings: Settings, root: Path) -> dict[str, tuple[str, int, int]]:
    client = open_client(settings)
    collection = client.get_collection(collection_name(root))
    rows = collection.get(include=["metadatas", "documents"])
    return {
        id_: (str(m["source"]), int(m["start"]), int(m["end"]))
        for id_, m in zip(rows["ids"], rows["metadatas"], strict=True)
    }


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
@pytest.mark.parametrize(("size", "overlap"), [(128, 24), (64, 16), (512, 0)])
def test_every_chunk_is_an_exact_slice_and_chunks_cover_the_text(
    path: Path, size: int, overlap: int
) -> None:
    text = read_text(path, 2**20)
    chunks = chunk_document(SourceDoc(path.name, text), size, overlap)
    assert len(chunks) >= (2 if size < 512 else 1)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_code_lines_and_versions_are_never_cut_in_half() -> None:
    """The splitter cuts a run of lines without spaces between characters, and a sentence
    at its dots: no chunk may begin or end inside ``require('pkg/lib/parse')`` or 1.2.4."""
    lines = [f"require('pkg/lib/{name}')" for name in ("parse", "valid", "clean", "coerce")]
    text = "\n".join(
        ["Modules:", *lines * 6, "", "Bump 1.2.3 with inc('1.2.3', 'prerelease', 'beta'):"]
        + [f"// '1.2.{n}-beta.0' then 1.2.{n}-rc.1 and 1.{n}.0-0" for n in range(30)]
    )
    chunks = chunk_document(SourceDoc("README.md", text), 32, 8)
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.start == 0 or text[chunk.start - 1].isspace(), chunk.text[:30]
        assert chunk.end == len(text) or text[chunk.end].isspace(), chunk.text[-30:]


def test_a_setting_and_its_value_stay_in_one_chunk() -> None:
    """Lines without a sentence's end leave the splitter only the spaces between words to cut
    at: a chunk that begins with a setting's value, or ends with its name, says neither
    what the value is nor which setting has it."""
    for sep in (" ", ": "):  # "GROUP_MIN_1 1000", "group_min_1: 1000"
        rows = [f"{k}_{n}{sep}{n * 1000}" for n in range(1, 40) for k in ("GROUP_MIN", "group_max")]
        text = "\n".join(["# Limits of the group ids", *rows, "", "Limits end here."])
        chunks = chunk_document(SourceDoc("login.conf", text), 32, 8)
        assert len(chunks) > 5
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert chunk.start == 0 or text[chunk.start - 1] == "\n", chunk.text[:30]
            assert chunk.end == len(text) or text[chunk.end] == "\n", chunk.text[-30:]


def test_a_chunk_that_begins_a_section_takes_in_its_heading() -> None:
    """The splitter ends a chunk with a release's heading and begins the next with that
    release's first subheading: the chunk that begins goes back over one short line that
    ends no sentence, blank lines between."""
    text = (
        "Intro sentence ends here.\n\nChanges in release 1.9 (2018-01-07) [stable]\n\n\n"
        "Bug fixes\n\nFixed it. " + "A line far too long to be a heading, " * 3 + "\nNext one"
    )
    at = text.index
    assert with_line_before(text, at("Bug fixes")) == at("Changes")
    assert with_line_before(text, at("Fixed it")) == at("Bug fixes")  # one line, no more
    assert with_line_before(text, at("Changes")) == at("Changes")  # after a sentence's end
    assert with_line_before(text, at("Next one")) == at("Next one")  # after a long line
    assert with_line_before(text, at("release 1.9")) == at("release 1.9")  # inside a line
    assert with_line_before(text, 0) == 0


def test_locate_finds_pieces_whose_white_space_was_folded() -> None:
    text = "First line.\n\nSecond   line here."
    assert locate(text, "First line. Second line here.", 0) == (0, len(text))


def test_repeated_text_is_placed_at_its_own_occurrence() -> None:
    text = ("Same sentence here. " * 40).strip()
    chunks = chunk_document(SourceDoc("r.txt", text), 32, 8)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_indexing_is_incremental_and_idempotent(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    counting = CountingEmbedder(embedder)
    _, _, first = sync_index(sources, settings, counting)
    assert len(first.added) == 2 and first.chunks > 4
    embedded_first = counting.texts
    rows_first = stored(settings, sources)

    _, _, second = sync_index(sources, settings, counting)
    assert second.unchanged == tuple(sorted(first.added)) and counting.texts == embedded_first
    assert stored(settings, sources) == rows_first

    target = sources / "000_68eca9a7738f22f0.txt"
    os.utime(target, (1, 1))  # touched, same content
    _, _, touched = sync_index(sources, settings, counting)
    assert not touched.updated and counting.texts == embedded_first

    target.write_text(target.read_text(encoding="utf-8") + "\nA new closing line.", "utf-8")
    _, _, edited = sync_index(sources, settings, counting)
    assert edited.updated == ("000_68eca9a7738f22f0.txt",)
    rows = stored(settings, sources)
    assert len(rows) == len(set(rows)) and set(rows) != set(rows_first)
    text = read_text(target, 2**20)
    assert all(end <= len(text) for src, _, end in rows.values() if src == target.name)
    assert any(text[s:e].endswith("A new closing line.") for _, s, e in rows.values())

    target.unlink()
    _, _, deleted = sync_index(sources, settings, counting)
    assert deleted.removed == ("000_68eca9a7738f22f0.txt",)
    assert {src for src, _, _ in stored(settings, sources).values()} == {"001_8c109d270abcdae8.txt"}


def test_a_file_with_missing_chunks_is_written_again(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    sync_index(sources, settings, embedder)
    complete = stored(settings, sources)
    client = open_client(settings)
    collection = client.get_collection(collection_name(sources))
    collection.delete(ids=sorted(complete)[:2])  # as if a run died mid-write
    _, _, report = sync_index(sources, settings, embedder)
    assert report.updated and stored(settings, sources) == complete


def test_saved_file_states_serve_only_while_the_chunks_are_the_same(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    store, _, _ = sync_index(sources, settings, embedder)
    states = store.file_states()  # read from the rows, then saved
    assert all(s.complete for s in states.values()) and len(states) == 2
    [saved] = settings.index_dir.glob("*.cache/files.json")
    record = json.loads(saved.read_text())
    assert record["key"] == store.content_key()
    record["files"]["000_68eca9a7738f22f0.txt"]["stored"] = 0  # only the saved copy says so
    saved.write_text(json.dumps(record))
    assert not store.file_states()["000_68eca9a7738f22f0.txt"].complete

    complete = stored(settings, sources)
    collection = open_client(settings).get_collection(collection_name(sources))
    collection.delete(ids=sorted(complete)[:2])  # other chunks: the saved states no longer serve
    assert sum(not s.complete for s in store.file_states().values()) >= 1
    _, _, report = sync_index(sources, settings, embedder)
    assert report.updated and stored(settings, sources) == complete
    saved.write_text("{damaged")
    assert all(s.complete for s in store.file_states().values())


def test_changing_the_chunk_size_rebuilds_the_collection(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    _, _, small = sync_index(sources, settings.replace(chunk_size=64), embedder)
    _, _, large = sync_index(sources, settings.replace(chunk_size=256), embedder)
    assert len(large.added) == 2 and large.chunks < small.chunks


def test_a_second_writer_is_told_the_index_is_busy(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    with index_lock(settings.index_dir), pytest.raises(IndexBusy, match="another qa process"):
        sync_index(sources, settings, embedder)


def test_bad_files_are_skipped_and_reported_but_good_ones_indexed(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    (sources / "broken.txt").write_bytes(b"\x00\x01\x02")
    before = tree_digest(sources)
    _, _, report = sync_index(sources, settings, embedder)
    assert [s.path for s in report.skipped] == ["broken.txt"]
    assert len(report.added) == 2
    assert tree_digest(sources) == before


def test_a_folder_of_only_unreadable_files_indexes_nothing(
    tmp_path: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"\x00\x00\x00")
    with pytest.raises(SourcesError, match="no readable files"):
        sync_index(tmp_path / "src", settings, embedder)
    # The store is opened first (its states say which files need reading), but left empty.
    assert open_client(settings).get_collection(collection_name(tmp_path / "src")).count() == 0


def test_report_summary_counts() -> None:
    report = IndexReport(("a",), (), ("b", "c"), (), (), 7)
    assert report.summary() == "1 added, 0 updated, 2 removed, 0 unchanged, 0 skipped; 7 chunks"


def test_store_query_returns_scored_chunks(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    store, _, _ = sync_index(sources, settings, embedder)
    assert isinstance(store, ChunkStore)
    hits = store.query(embedder.embed(["North Korean soldiers in Kursk"])[0], 3)
    assert len(hits) == 3
    assert hits[0][1] >= hits[1][1] >= hits[2][1]
    assert any("North Korean" in chunk.text for chunk, _ in hits)
    everything = store.query(embedder.embed(["anything"])[0], store.count() + 50)
    assert len(everything) == store.count()  # asking for more than there is gives all
    store.delete_files(list(store.file_states()))
    assert store.query(embedder.embed(["anything"])[0], 5) == []
