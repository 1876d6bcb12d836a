"""Bring the index in line with a sources folder: read and embed only what is new or changed."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from index.chunk import Chunk, chunk_document
from index.config import IndexConfig
from index.embed import Embedder
from index.errors import IndexBusy, IndexCorrupt, SourcesError
from index.files import replace_atomically
from index.load import SkippedFile, SourceDoc, SourceTexts, Stamp, load_changed, scan_folder
from index.store import ChunkStore, collection_name, open_client

_EMBED_BATCH = 64


@dataclass(frozen=True)
class IndexReport:
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]
    chunks: int
    excluded: tuple[str, ...] = ()
    """Files of the folder kept out because a user removed them from the index (the page's
    *Remove from index*)."""

    def summary(self) -> str:
        left_out = f", {len(self.excluded)} excluded" if self.excluded else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped{left_out}; "
            f"{self.chunks} chunks"
        )


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """One writer per index; a second one is told so at once rather than waiting."""
    path = index_dir / "index.lock"
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexCorrupt(f"the index folder {index_dir} is a file; give a folder (--index-dir)")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a file there, a read-only disk, no permission
        raise IndexCorrupt(
            f"the index folder {index_dir} cannot be written ({exc.strerror or exc}): qa keeps "
            "its lock and its updates there; give another one with --index-dir"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(
                f"another qa process is writing the index in {index_dir}; "
                "wait for it to finish and try again"
            ) from None
        yield
    finally:
        os.close(fd)


def excluded_file(settings: IndexConfig, root: Path) -> Path:
    """The list of sources a user removed from the index (the files themselves stay)."""
    return settings.index_dir / f"{collection_name(root)}.excluded.json"


def read_excluded(settings: IndexConfig, root: Path) -> frozenset[str]:
    path = excluded_file(settings, root)
    if not path.exists():
        return frozenset()
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(
            f"{path} is unreadable ({exc}); delete it to index every source"
        ) from None


def write_excluded(settings: IndexConfig, root: Path, names: frozenset[str]) -> None:
    path = excluded_file(settings, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path, lambda tmp: tmp.write_text(json.dumps(sorted(names)), "utf-8"))


def _batches(
    docs: list[SourceDoc], settings: IndexConfig
) -> Iterator[list[tuple[SourceDoc, list[Chunk]]]]:
    """Files grouped so their chunks are embedded and written together.

    One model call and one write per ~``_EMBED_BATCH`` chunks rather than per file:
    on folders of small files the per-call overhead dominated indexing time.
    """
    batch: list[tuple[SourceDoc, list[Chunk]]] = []
    size = 0
    for doc in docs:
        chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        batch.append((doc, chunks))
        size += len(chunks)
        if size >= _EMBED_BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def sync_index(
    root: Path, settings: IndexConfig, embedder: Embedder, progress: bool = False
) -> tuple[ChunkStore, SourceTexts, IndexReport]:
    """Index ``root``: unchanged files are skipped, changed ones replaced, deleted ones dropped.

    A file with the size and modification time it had when its text was last hashed is
    unchanged without being read (its text is read when first used); the others are read,
    and one whose text hashes as before is not embedded again, only its new stamp recorded.
    Files are read before anything is written, and each file's chunks are written
    together and checked for completeness on the next run, so an interrupted run
    leaves an index the next run repairs.
    """
    from tqdm import tqdm  # a tenth of a second that `qa --help` does not wait for

    excluded = read_excluded(settings, root)
    found = scan_folder(root)
    files = [(name, why) for name, why in found if name not in excluded]
    fingerprint = {
        "embed_model": embedder.name,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
    }
    with index_lock(settings.index_dir):
        name = collection_name(root)
        # A Chroma server keeps the sources' text off this machine: so does the lexical index.
        cache_dir = None if settings.chroma_url else settings.index_dir / f"{name}.cache"
        store = ChunkStore.open(open_client(settings), name, fingerprint, cache_dir)
        states = store.file_states()

        def known(path: str, stamp: Stamp) -> str | None:
            state = states.get(path)
            return state.sha256 if state and state.complete and state.stamp == stamp else None

        texts, docs, skipped = load_changed(root, files, int(settings.max_file_mb * 2**20), known)
        if not texts:
            reasons = "; ".join(s.reason for s in skipped)
            raise SourcesError(f"no readable files in {root}: {reasons}")
        current = set(texts)
        removed = sorted(set(states) - current)
        todo = [
            d
            for d in docs
            if (s := states.get(d.path)) is None or s.sha256 != d.sha256 or not s.complete
        ]
        changed = {d.path for d in todo}
        restamped = {
            d.path: d.stamp
            for d in docs
            if d.path not in changed and d.stamp and d.stamp != states[d.path].stamp
        }
        # Shown while there is work: a question over an unchanged folder prints nothing.
        shown = progress and bool(todo)
        with tqdm(total=len(todo), desc="indexing", unit="file", disable=not shown) as bar:
            for batch in _batches(todo, settings):
                vectors = embedder.embed([c.text for _, chunks in batch for c in chunks])
                store.replace_files(batch, vectors)
                bar.update(len(batch))
        store.restamp(restamped)
        store.delete_files(removed)
        report = IndexReport(
            added=tuple(d.path for d in todo if d.path not in states),
            updated=tuple(d.path for d in todo if d.path in states),
            removed=tuple(removed),
            unchanged=tuple(sorted(current - changed)),
            skipped=tuple(skipped),
            chunks=store.count(),
            excluded=tuple(sorted(name for name, _ in found if name in excluded)),
        )
    return store, texts, report
