"""The saved lexical index: loaded while the chunks are unchanged, rebuilt when they change."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from index.chunk import Chunk
from index.embed import OnnxEmbedder
from index.sync import sync_index
from qa.retrieve import (
    RRF_K,
    HybridRetriever,
    Lexical,
    fuse,
    with_best_lexical,
    with_version_named,
)
from qa.settings import Settings

QUESTIONS = ("How long do the mines stay active?", "Who criticised the decision?", "Zanzibar")


def open_retriever(
    sources: Path, settings: Settings, embedder: OnnxEmbedder, caplog: pytest.LogCaptureFixture
) -> tuple[HybridRetriever, list[str]]:
    """A retriever over ``sources`` and what it said about its BM25 index."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="qa.retrieve"):
        store, _, _ = sync_index(sources, settings, embedder)
        retriever = HybridRetriever(store, embedder, top_k=5)
    said = [r.getMessage() for r in caplog.records if r.name == "qa.retrieve"]
    return retriever, said


def saved(settings: Settings) -> list[Path]:
    return sorted(settings.index_dir.glob("*.cache/bm25-*"))


def test_an_unchanged_index_loads_its_bm25_and_a_changed_one_rebuilds_it(
    sources: Path, settings: Settings, embedder: OnnxEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    built, said = open_retriever(sources, settings, embedder, caplog)
    assert any("built" in s for s in said) and len(saved(settings)) == 1
    first = saved(settings)

    loaded, said = open_retriever(sources, settings, embedder, caplog)
    assert any("loaded" in s for s in said) and not any("built" in s for s in said)
    assert saved(settings) == first
    for q in QUESTIONS:
        assert loaded.retrieve(q) == built.retrieve(q)

    (sources / "zanzibar.txt").write_text("The ferry to Zanzibar leaves at dawn.", "utf-8")
    changed, said = open_retriever(sources, settings, embedder, caplog)
    assert any("built" in s for s in said)
    assert len(saved(settings)) == 1 and saved(settings) != first  # the old copy is gone
    assert changed.retrieve("Zanzibar")[0].source == "zanzibar.txt"


def test_a_damaged_saved_index_is_built_again(
    sources: Path, settings: Settings, embedder: OnnxEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    built, _ = open_retriever(sources, settings, embedder, caplog)
    [folder] = saved(settings)
    (folder / "params.index.json").write_text("{not json", "utf-8")
    again, said = open_retriever(sources, settings, embedder, caplog)
    assert any("unreadable" in s for s in said) and any("built" in s for s in said)
    assert saved(settings) == [folder] and (folder / "params.index.json").read_text() != "{not json"
    for q in QUESTIONS:
        assert again.retrieve(q) == built.retrieve(q)


def chunk(text: str) -> Chunk:
    return Chunk("a.txt", 0, len(text), text)


def test_fusion_rewards_a_chunk_both_rankings_hold() -> None:
    a, b, c = chunk("alpha"), chunk("beta"), chunk("gamma")
    dense = [(b, 0.2), (a, 0.9)]  # sorted by its own score: a first
    lexical = [(c, 7.0), (b, 3.0)]
    fused = fuse([dense, lexical])
    assert [x.text for x, _ in fused] == ["beta", "alpha", "gamma"]
    assert fused[0][1] == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 1))
    assert fused[1][1] == fused[2][1] == pytest.approx(1 / RRF_K)  # a tie: dense first


def test_lexical_returns_only_chunks_sharing_a_stemmed_term() -> None:
    chunks = [chunk("The bridge collapsed in the storm."), chunk("Rivers flood in spring.")]
    chunks += [chunk(f"Unrelated filler text number {i}.") for i in range(5)]
    hits = Lexical.build(chunks).query("Why did the bridges collapse?", k=10)
    assert [c.text for c, _ in hits] == ["The bridge collapsed in the storm."]
    assert Lexical.build(chunks).query("the of and", k=10) == []  # stop words only


def test_a_dotted_number_is_a_term_whole() -> None:
    # its one-digit parts are no words of two characters: before, only "released" matched
    chunks = [chunk(f"Noteworthy changes in release 4.{n}: sed released.") for n in range(9)]
    chunks += [chunk("Version 3.5.1 released."), chunk("Released in 1.4.8.2 too")]
    hits = Lexical.build(chunks).query("When was sed 4.8 released?", k=3)
    assert hits[0][0].text == "Noteworthy changes in release 4.8: sed released."
    assert hits[0][1] > hits[1][1]
    # a version's "v" is no part of it, in the text or in the question
    tagged = [chunk(f"Tagged v4.{n}, sed released.") for n in range(9)]
    for question, text in (("When was sed 4.8 released?", "v4.8"), ("Is V4.3 out?", "v4.3")):
        hits = Lexical.build([*tagged, *chunks]).query(question, k=3)
        assert text in hits[0][0].text and hits[0][1] > hits[1][1]


def test_the_chunk_bm25_puts_first_is_read_whatever_fusion_ranks_it() -> None:
    # meaning ranks the one chunk naming the option last; fusion counts ranks, so chunks
    # halfway up both rankings come before it
    alike = [chunk(f"The parser reads nested objects, case {n}.") for n in range(12)]
    names = chunk("strictDepth throws when nesting goes past depth.")
    dense = [(c, 0.9 - n / 100) for n, c in enumerate(alike)] + [(names, 0.1)]
    lexical = [(names, 9.0)] + [(c, 1.0 - n / 100) for n, c in enumerate(alike)]
    fused = fuse([dense, lexical])
    assert names.id not in {c.id for c, _ in fused[:4]}
    read = with_best_lexical(fused[:4], fused, lexical)
    assert [c.text for c, _ in read] == [*(c.text for c, _ in fused[:3]), names.text]
    assert with_best_lexical(read, fused, lexical) == read  # read already: as it is
    assert with_best_lexical(fused[:1], fused, lexical) == fused[:1]  # one passage: fusion's


def test_a_version_no_passage_writes_is_read_from_the_chunk_bm25_puts_first() -> None:
    found = [(chunk("Release 4.9 adds --debug."), 0.03), (chunk("Release 4.7 fixes -i."), 0.02)]
    writes = chunk("Noteworthy changes in release 4.8 (2020-01-14)")
    other = chunk("Release 4.8.1 is planned.")
    fused = [*found, (other, 0.015), (writes, 0.012)]
    lexical = [(found[0][0], 4.0), (writes, 3.5), (other, 2.0)]  # best first
    replaced = with_version_named("When was 4.8 released?", found, fused, lexical)
    assert replaced == [*found, (writes, 0.012)]
    # a passage found writes it, or the question names no dotted number: as found
    assert with_version_named("When was 4.7 released?", found, fused, lexical) == found
    assert with_version_named("When was release 4 out?", found, fused, lexical) == found
    assert with_version_named("Is 5.0 out?", found, fused, lexical) == found  # none writes it


def test_the_numbers_a_question_names_that_no_source_writes(
    sources: Path, settings: Settings, embedder: OnnxEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    (sources / "notes.txt").write_text("Release 4.4.1 fixed 1,024 bugs.", "utf-8")
    built, _ = open_retriever(sources, settings, embedder, caplog)
    loaded, said = open_retriever(sources, settings, embedder, caplog)
    assert any("loaded" in s for s in said)  # the numbers are saved with the BM25 index
    for retriever in (built, loaded):
        # As the question writes them; written however the source writes them (1,024), or
        # as the leading part of a longer version number (4.4 of 4.4.1).
        assert retriever.unwritten_numbers("Did 4.4 fix 1024 bugs, or 2,031 in v4.5?") == [
            "2,031",
            "4.5",
        ]
        assert retriever.unwritten_numbers("Were 10000 soldiers sent in 3 waves?") == []
        assert retriever.unwritten_numbers("Who sent the soldiers?") == []
