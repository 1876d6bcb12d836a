"""Store: chunks and their vectors in a Chroma collection, embedded or on a Chroma server.

Each chunk row carries its source, offsets, the content hash of its file and how
many chunks that file has, so a file whose rows are incomplete (a crash mid-write)
is seen as changed and written again; and the file's size and modification time when
that hash was taken, so an unchanged file is known without being read.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.chunk import Chunk
from index.config import IndexConfig, chroma_server
from index.errors import ConfigError, IndexCorrupt
from index.files import replace_atomically
from index.load import SourceDoc, Stamp

SCHEMA = 28  # 2: offsets count in the reading view (index/view.py); 3: PDF pages read on
# without running heads, words hyphenated over two lines read whole; 4: a page's edge line
# spelt with a roman numeral's letters ("civil") is kept; 5: chunks begin and end between
# words; 6: plain text's lines of fields ("Upstream: …") are never joined; 7: a first line
# set in goes on at the margin, man pages' hyphen, HTML cells' paragraphs, <br> in Markdown,
# Word headings as blocks, a stray byte read alone, an HTML page's declared charset; 8: tabs
# indent to columns of 8, a PDF's name broken at "_" read whole, a quoted word's break; 9:
# Word's automatic numbers ("2.1", "3.") written before their paragraphs; 10: Markdown's
# footnotes where they are written, lists' numbers as Word and browsers count odd cases; 11:
# HTML code highlighted word by word keeps its spaces, menus and hidden elements are not read,
# a PDF's ligatures are spelt out; 12: a printed page's count and the line beside it are
# running feet, a labelled line goes on where its label stands (a GNU ChangeLog's entries),
# an HTML page without </head> is read; 13: plain text's tables set out in columns read as
# rows of cells, a URL too long to wrap leaves a text wrapped, Markdown's <autolinks> mapped
# back exactly, a Word paragraph's line breaks kept; 14: a PDF's heading after a sentence's
# end is a line of its own; 15: an HTML page that marks its main content is read for it alone;
# 16: a man page's description goes on under its text after a term, a Word line break inside
# a sentence is a space, an rST directive's name before its argument, an admonition's title;
# 17: plain text's tables drawn between bars read as rows of cells, their borders unread;
# 18: a page whose "<main>" opens no element read whole, Sphinx's code-block options taken,
# a short table is no justified text; 19: an outline's stars ("** Bug fixes") dropped as a
# bullet is, reST's generated table of contents and section numbers unread; 20: reST's
# substitutions unread, and a paragraph's words looked for in its own lines; 21: a PDF's
# first page keeps its running head (its title); 22: reST's substitutions read where they
# are used, drawn from their mark; the PDF title kept only when it writes no number, alone;
# 23: chunks end at a line's end, a PDF's running heads that name the page's section or
# chapter dropped, HTML form controls and navigation tables unread, contents' and index's
# lines unread, a commented file's markers, records, a field's value set in under it, an
# initial, framing stars, a short bullet's continuation (plain text); 24: a Markdown file's
# header of "Name: value" lines read a field a line; 25: an HTML table's rows that lay the page
# out (a cell holds a heading or a table) read as blocks; 26: plain text: a paragraph wrapped
# short of the text's width joined by its own width, a man page's term a cell apart from its
# description and a one-mark term kept, an aside in brackets under a list item joined to it; 27:
# a lettered list's items apart, leader lines of figures kept, figure captions kept, stars
# of a glob kept, a Markdown paragraph of fields with markup read as prose; 28: reST roles
# whose text the file does not write ("PEP 8") drawn over them, reST's escaped spaces join
# words, a line broken at a hyphen between two words of the file that make no English word
# keeps it ("update-passwd"), a name broken after its "_" or "$" read whole; a chunk that
# begins a line takes in the short line before it that ends no sentence (a heading); a list
# in an HTML table cell or definition, its items a cell each
_PAGE = 2000
_STATES = "files.json"


@dataclass(frozen=True)
class FileState:
    sha256: str
    expected: int
    stored: int
    indexed_at: float = 0.0
    size: int = -1
    mtime_ns: int = -1
    ctime_ns: int = -1
    """The file's stamp when ``sha256`` was taken; -1: none (rows written before stamps were
    kept, or from a file too fresh to be vouched for by one): the file is read next time."""

    @property
    def complete(self) -> bool:
        return self.expected == self.stored

    @property
    def stamp(self) -> Stamp | None:
        return Stamp(self.size, self.mtime_ns, self.ctime_ns) if self.size >= 0 else None


def collection_name(root: Path) -> str:
    """One collection per sources folder, named so a person can tell which."""
    resolved = str(root.resolve())
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", root.resolve().name).strip("-")[:40] or "root"
    return f"qa-{slug}-{hashlib.sha1(resolved.encode()).hexdigest()[:10]}"


def open_client(settings: IndexConfig) -> Any:
    """A Chroma client: chromadb is imported here, half a second that ``qa --help`` or a
    cold ask starting its models in threads does not wait for."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        server = chroma_server(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=server.host, port=server.port, ssl=server.ssl, settings=chroma_settings
            )
        except Exception as exc:  # chromadb says "Could not connect…" as a ValueError
            raise ConfigError(
                f"no Chroma server answers at {settings.chroma_url} ({exc}); start one "
                "(`chroma run --path DIR --port PORT`) or unset chroma_url to use the index folder"
            ) from None
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb raises many kinds here; all mean the same to a user
        raise IndexCorrupt(
            f"the index at {settings.index_dir} cannot be opened ({exc}); "
            f"delete that folder and run `qa index` again to rebuild it"
        ) from None


class ChunkStore:
    def __init__(self, collection: Any, cache_dir: Path | None = None) -> None:
        self._collection = collection
        self._key: str | None = None  # content_key(), until the next write
        self.cache_dir = cache_dir
        """Where indexes derived from the chunks are saved; None: nowhere, built on each open."""

    @classmethod
    def open(
        cls, client: Any, name: str, fingerprint: dict[str, Any], cache_dir: Path | None = None
    ) -> ChunkStore:
        """Open the collection, recreating it when it was built with other settings."""
        metadata = {"hnsw:space": "cosine", "schema": SCHEMA, **fingerprint}
        try:
            collection = client.get_or_create_collection(
                name, metadata=metadata, embedding_function=None
            )
            stored = {k: collection.metadata.get(k) for k in metadata}
            if stored != metadata:
                client.delete_collection(name)
                collection = client.create_collection(
                    name, metadata=metadata, embedding_function=None
                )
        except Exception as exc:
            raise IndexCorrupt(
                f"the index collection {name} cannot be opened ({exc}); "
                f"delete the index folder and run `qa index` again to rebuild it"
            ) from None
        return cls(collection, cache_dir)

    def count(self) -> int:
        return int(self._collection.count())

    def _rows(self, include: list[str]) -> Iterator[tuple[str, dict[str, Any], str | None]]:
        offset = 0
        while True:
            page = self._collection.get(include=include, limit=_PAGE, offset=offset)
            ids = page["ids"]
            metas = page.get("metadatas") or [{}] * len(ids)
            docs = page.get("documents") or [None] * len(ids)
            yield from zip(ids, metas, docs, strict=True)
            if len(ids) < _PAGE:
                return
            offset += _PAGE

    def file_states(self) -> dict[str, FileState]:
        """Each stored file's state, from every row's metadata: the slow part of opening a
        large index (1 s at 30,000 chunks), so it is saved beside the index under the
        content key, and read back while the chunks are the same. A state saved wrongly
        (a write running meanwhile) heals: the file's hash then differs from the one on
        disk, and the file is written again."""
        if self.cache_dir is None:
            return self._states_from_rows()
        path, key = self.cache_dir / _STATES, self.content_key()  # the key before the rows
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if record["key"] == key:
                return {k: FileState(**v) for k, v in record["files"].items()}
        except (OSError, ValueError, KeyError, TypeError):  # none saved, or damaged
            pass
        states = self._states_from_rows()
        record = {"key": key, "files": {k: asdict(v) for k, v in states.items()}}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomically(path, lambda tmp: tmp.write_text(json.dumps(record), "utf-8"))
        except OSError:  # no room or read-only: read from the rows next time too
            pass
        return states

    def _before_write(self) -> None:
        """A saved state, or a content key read before, is never trusted across a write."""
        self._key = None
        if self.cache_dir is not None:
            (self.cache_dir / _STATES).unlink(missing_ok=True)

    def _states_from_rows(self) -> dict[str, FileState]:
        seen: dict[str, FileState] = {}
        for _, meta, _ in self._rows(["metadatas"]):
            source, sha, n = str(meta["source"]), str(meta["sha256"]), int(meta["n_chunks"])
            when = float(meta.get("indexed_at", 0.0))
            stamp = tuple(int(meta.get(key, -1)) for key in _STAMP_KEYS)
            prev = seen.get(source)
            if prev is None:
                seen[source] = FileState(sha, n, 1, when, *stamp)
            elif prev.sha256 == sha and prev.expected == n:
                if stamp != (prev.size, prev.mtime_ns, prev.ctime_ns):  # restamped in part:
                    stamp = (-1,) * len(_STAMP_KEYS)  # it vouches for nothing
                when = max(when, prev.indexed_at)
                seen[source] = FileState(sha, n, prev.stored + 1, when, *stamp)
            else:  # rows of two versions of one file: never complete
                seen[source] = FileState(sha, -1, prev.stored + 1, prev.indexed_at)
        return seen

    def content_key(self) -> str:
        """A digest of the chunks held: an index derived from them is valid while it is the same.

        A chunk's id hashes its source, offsets and text, so the same ids mean the same
        chunks; only the ids are read, in one call (paging them costs 4x as much).
        """
        if self._key is None:
            ids = sorted(self._collection.get(include=[])["ids"])
            self._key = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
        return self._key

    def chunks(self) -> list[Chunk]:
        """Every stored chunk, in source order: what the lexical index is built from."""
        rows = [
            Chunk(str(m["source"]), int(m["start"]), int(m["end"]), doc or "")
            for _, m, doc in self._rows(["metadatas", "documents"])
        ]
        return sorted(rows, key=lambda c: (c.source, c.start, c.end))

    def replace_files(
        self, files: Sequence[tuple[SourceDoc, list[Chunk]]], vectors: np.ndarray
    ) -> None:
        """Write a batch of files and their chunks, dropping their old rows first.

        ``vectors`` holds one row per chunk, in order. A crash between the delete and
        the last upsert leaves files with missing or no rows, which the next run sees
        as incomplete or new and writes again.
        """
        self.delete_files([doc.path for doc, _ in files])  # forgets the saved states
        now = time.time()
        rows = [
            (
                c,
                {
                    "source": c.source,
                    "start": c.start,
                    "end": c.end,
                    "sha256": doc.sha256,
                    "n_chunks": len(chunks),
                    "indexed_at": now,
                    **_stamp_meta(doc.stamp),
                },
            )
            for doc, chunks in files
            for c in chunks
        ]
        for i in range(0, len(rows), _PAGE):
            part = rows[i : i + _PAGE]
            self._collection.upsert(
                ids=[c.id for c, _ in part],
                documents=[c.text for c, _ in part],
                metadatas=[meta for _, meta in part],
                embeddings=vectors[i : i + _PAGE].tolist(),
            )
        self._key = None

    def restamp(self, stamps: Mapping[str, Stamp]) -> None:
        """Record new stamps of files whose text is unchanged (touched, copied, or indexed
        before stamps were kept), so their next check is a stat again: a metadata update of
        their rows, nothing embedded. The content key stays: the chunks are the same."""
        if not stamps:
            return
        self._before_write()
        sources = list(stamps)
        for i in range(0, len(sources), _PAGE):
            rows = self._collection.get(
                where={"source": {"$in": sources[i : i + _PAGE]}}, include=["metadatas"]
            )
            ids = rows["ids"]
            metas = [{**m, **_stamp_meta(stamps[str(m["source"])])} for m in rows["metadatas"]]
            for j in range(0, len(ids), _PAGE):
                self._collection.update(ids=ids[j : j + _PAGE], metadatas=metas[j : j + _PAGE])

    def delete_files(self, sources: Sequence[str]) -> None:
        if sources:
            self._before_write()
            self._collection.delete(where={"source": {"$in": list(sources)}})

    def query(self, vector: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """The ``k`` (at least 1) nearest chunks, or all when there are fewer: Chroma caps it."""
        res = self._collection.query(
            query_embeddings=[vector.tolist()],
            n_results=k,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (Chunk(str(m["source"]), int(m["start"]), int(m["end"]), doc), 1.0 - float(dist))
            for m, doc, dist in zip(
                res["metadatas"][0], res["documents"][0], res["distances"][0], strict=True
            )
        ]


#: A stamp's fields as chunk metadata; an index written before one of them was kept has
#: -1 there, and each of its files is read (and hashed, not embedded) once more.
_STAMP_KEYS = ("size", "mtime_ns", "ctime_ns")


def _stamp_meta(stamp: Stamp | None) -> dict[str, int]:
    """A file's stamp as chunk metadata (Chroma keeps no None): -1 when there is none."""
    return {key: getattr(stamp, key) if stamp else -1 for key in _STAMP_KEYS}
