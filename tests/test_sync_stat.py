"""An unchanged file is known by its stamp (size, modification and status change times), not
read: real Chroma and the real packaged model, with every read of a file counted."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

import index.load
from index.chunk import chunk_document
from index.embed import OnnxEmbedder
from index.load import SourceDoc, Stamp, read_text
from index.store import collection_name, open_client
from index.sync import sync_index
from qa import Assistant, Settings
from qa.errors import SourceFileError
from tests.conftest import ANSWER_MORE
from tests.test_index import CountingEmbedder

A, B = "000_68eca9a7738f22f0.txt", "001_8c109d270abcdae8.txt"
#: A stamp's fields in a chunk's metadata and a saved file state.
STAMP = ("size", "mtime_ns", "ctime_ns")
QUESTIONS = (
    "How long do the mines stay active?",
    "How many North Korean soldiers were sent?",
    "Who criticised the decision?",
    "What did the NSC call Putin's updates?",
    "Who is the lighthouse keeper of Tarnow Point?",
)


def set_mtime(path: Path, seconds_ago: float) -> Stamp:
    """Date ``path`` back (long enough ago for its stamp to be trusted); its new stamp."""
    when = time.time_ns() - int(seconds_ago * 1e9)
    os.utime(path, ns=(when, when))
    return Stamp(path.stat().st_size, when, path.stat().st_ctime_ns)


def swap_bytes(path: Path, data: bytes) -> None:
    """Give ``path`` other bytes of the same size, its modification time restored (as
    ``cp -p`` or ``rsync -t`` of another file can): only its status change time shows it."""
    before = path.stat()
    assert len(data) == before.st_size
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def scramble(path: Path) -> None:
    """Other text of the same size and modification time."""
    swap_bytes(path, b"x" * path.stat().st_size)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every file read from now on, in order (the real reading, counted)."""
    names: list[str] = []
    real = index.load.read_view

    def counted(path: Path, max_bytes: int) -> Any:
        names.append(path.name)
        return real(path, max_bytes)

    monkeypatch.setattr(index.load, "read_view", counted)
    return names


def rows(settings: Settings, root: Path) -> dict[str, dict[str, Any]]:
    """Every stored chunk row's metadata, by id."""
    found = open_client(settings).get_collection(collection_name(root)).get(include=["metadatas"])
    return dict(zip(found["ids"], found["metadatas"], strict=True))


@pytest.fixture
def settled(sources: Path) -> Path:
    """The seeds copy, each file last changed a minute ago."""
    for path in sources.iterdir():
        set_mtime(path, 60)
    return sources


def test_a_second_sync_reads_no_file_and_texts_are_read_on_first_use(
    settled: Path, settings: Settings, embedder: OnnxEmbedder, reads: list[str]
) -> None:
    sync_index(settled, settings, embedder)
    reads.clear()
    counting = CountingEmbedder(embedder)
    _, texts, report = sync_index(settled, settings, counting)
    assert report.unchanged == (A, B) and not report.skipped and counting.texts == 0
    assert list(texts) == [A, B] and len(texts) == 2 and A in texts  # none of these reads
    assert reads == []
    original = {name: (settled / name).read_bytes() for name in (A, B)}
    for name in original:  # changed while the texts are in use (a server running)
        scramble(settled / name)
    with pytest.raises(SourceFileError, match="changed after it was indexed"):
        texts[A]  # read now: it no longer hashes as it was indexed
    (settled / B).write_bytes(original[B])
    assert texts[B] == read_text(settled / B, 2**20)  # as read_text decodes it


def test_an_assistant_opens_without_reading_and_reads_what_an_answer_cites(
    settled: Path, settings: Settings, embedder: OnnxEmbedder, reads: list[str]
) -> None:
    Assistant.open(settled, settings, embedder=embedder)  # builds the index, saves the floor
    reads.clear()
    assistant = Assistant.open(settled, settings, embedder=embedder)
    assert len(assistant.texts) == 2 and not assistant.report.skipped and reads == []
    for name in (A, B):  # changed while the assistant is open
        scramble(settled / name)
    with pytest.raises(SourceFileError, match="changed after it was indexed"):
        assistant.ask("How long do the mines stay active?")
    assert reads and set(reads) <= {A, B}  # what the answer cites, read for it


def test_a_touched_file_is_hashed_not_embedded_and_its_new_stamp_recorded(
    settled: Path, settings: Settings, embedder: OnnxEmbedder, reads: list[str]
) -> None:
    sync_index(settled, settings, embedder)
    before = rows(settings, settled)
    touched = set_mtime(settled / A, 30)  # same bytes, a new modification time
    counting = CountingEmbedder(embedder)
    store, _, report = sync_index(settled, settings, counting)
    assert report.unchanged == (A, B) and not report.updated and counting.texts == 0
    new_stamp = {"size": touched.size, "mtime_ns": touched.mtime_ns, "ctime_ns": touched.ctime_ns}
    assert rows(settings, settled) == {  # the same chunks; only the touched file's stamp is new
        id_: {**meta, **new_stamp} if meta["source"] == A else meta for id_, meta in before.items()
    }
    assert store.file_states()[A].stamp == touched
    reads.clear()
    _, _, again = sync_index(settled, settings, counting)  # the new stamp keeps it unread
    assert again.unchanged == (A, B) and not again.skipped and counting.texts == 0
    assert reads == []


def test_an_edited_file_alone_is_embedded_again_and_answers_cite_its_new_text(
    settled: Path, settings: Settings, embedder: OnnxEmbedder, reads: list[str]
) -> None:
    settings = settings.replace(abstain_below=ANSWER_MORE, floor=0.0)
    assistant = Assistant.open(settled, settings, embedder=embedder)
    question = "Where were the mines assembled?"
    assert "Lakeview" not in assistant.ask(question).text
    before = rows(settings, settled)
    edited = settled / B
    edited.write_text(
        edited.read_text("utf-8") + "\nThe mines were assembled at the Lakeview plant in Ohio.",
        "utf-8",
    )
    set_mtime(edited, 10)

    counting = CountingEmbedder(embedder)
    reads.clear()
    _, _, report = sync_index(settled, settings, counting)
    assert reads == [B]  # the other file is not even read
    new_text = read_text(edited, 2**20)
    chunks = chunk_document(SourceDoc(B, new_text), settings.chunk_size, settings.chunk_overlap)
    assert report.updated == (B,) and report.unchanged == (A,) and not report.skipped
    assert counting.texts == len(chunks)
    after = rows(settings, settled)
    assert {i: m for i, m in after.items() if m["source"] == A} == {
        i: m for i, m in before.items() if m["source"] == A
    }

    answer = Assistant.open(settled, settings, embedder=embedder).ask(question)
    assert "Lakeview" in answer.text and answer.citations
    for c in answer.citations:
        assert read_text(settled / c.source.split("/", 1)[1], 2**20)[c.start : c.end] == c.quote
    assert any(c.source.endswith(B) and "Lakeview plant" in c.quote for c in answer.citations)


def test_answers_are_the_same_from_a_fresh_index_and_a_reopened_one(
    settled: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    def asked(assistant: Assistant) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in assistant.ask(q).to_dict().items() if k != "timings_ms"}
            for q in QUESTIONS
        ]

    fresh = Assistant.open(settled, settings, embedder=embedder)
    assert len(fresh.report.added) == 2
    expected = asked(fresh)
    reopened = Assistant.open(settled, settings, embedder=embedder)
    assert reopened.report.unchanged == (A, B)
    assert asked(reopened) == expected
    set_mtime(settled / A, 30)  # touched: read and hashed again, the same text
    assert asked(Assistant.open(settled, settings, embedder=embedder)) == expected


@pytest.mark.parametrize("kept", [(), ("size", "mtime_ns")])
def test_an_index_built_before_stamps_is_read_once_then_vouched_for(
    settled: Path,
    settings: Settings,
    embedder: OnnxEmbedder,
    reads: list[str],
    kept: tuple[str, ...],
) -> None:
    """Written before stamps were kept, or before they held the status change time."""
    store, _, _ = sync_index(settled, settings, embedder)
    store.file_states()  # saved beside the index
    collection = open_client(settings).get_collection(collection_name(settled))
    full = collection.get(include=["metadatas", "documents", "embeddings"])
    collection.delete(ids=full["ids"])  # written again as an older version wrote them
    collection.add(
        ids=full["ids"],
        documents=full["documents"],
        embeddings=full["embeddings"],
        metadatas=[
            {k: v for k, v in m.items() if k in kept or k not in STAMP} for m in full["metadatas"]
        ],
    )
    [saved] = settings.index_dir.glob("*.cache/files.json")
    record = json.loads(saved.read_text())
    for state in record["files"].values():
        for key in set(STAMP) - set(kept):
            del state[key]
    saved.write_text(json.dumps(record))

    counting = CountingEmbedder(embedder)
    reads.clear()
    store, _, report = sync_index(settled, settings, counting)
    assert report.unchanged == (A, B) and counting.texts == 0 and sorted(reads) == [A, B]
    assert all(s.stamp is not None for s in store.file_states().values())
    reads.clear()
    _, _, again = sync_index(settled, settings, counting)
    assert again.unchanged == (A, B) and not again.skipped and reads == []


def test_rows_that_disagree_on_the_stamp_vouch_for_nothing(
    settled: Path, settings: Settings, embedder: OnnxEmbedder, reads: list[str]
) -> None:
    sync_index(settled, settings, embedder)
    collection = open_client(settings).get_collection(collection_name(settled))
    ids = [i for i, m in rows(settings, settled).items() if m["source"] == A]
    collection.update(ids=ids[:1], metadatas=[{"mtime_ns": 1}])  # as if a restamp died midway
    for saved in settings.index_dir.glob("*.cache/files.json"):
        saved.unlink()
    reads.clear()
    _, _, report = sync_index(settled, settings, embedder)
    assert reads == [A] and report.unchanged == (A, B)  # read, and found the same


def test_a_file_changed_moments_ago_is_read_again_next_time(
    settled: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    fresh = settled / "fresh.txt"
    fresh.write_text("The harbour opened in 1841.", "utf-8")
    store, _, first = sync_index(settled, settings, embedder)
    assert "fresh.txt" in first.added and store.file_states()["fresh.txt"].stamp is None
    # Written again within the same modification-time tick: only reading it shows the change.
    swap_bytes(fresh, b"The harbour opened in 1842.")
    _, texts, second = sync_index(settled, settings, embedder)
    assert second.updated == ("fresh.txt",) and texts["fresh.txt"].endswith("1842.")


def test_an_edit_of_the_same_size_that_kept_the_modification_time_is_seen(
    settled: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    """``cp -p`` or ``rsync -t`` of another file of the same size: only the status change
    time tells; the next index reads the file and indexes its new text."""
    sync_index(settled, settings, embedder)
    text = (settled / A).read_bytes()
    swap_bytes(settled / A, text.replace(b"mines", b"MINES"))
    _, texts, report = sync_index(settled, settings, embedder)
    assert report.updated == (A,) and report.unchanged == (B,)
    assert "MINES" in texts[A]
