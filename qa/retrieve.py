"""Retrieve: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank.

The question path does not import llama-index: its package ``__init__`` alone costs about
0.6 s, a third of a cold ``qa ask``. Reciprocal-rank fusion is the rule of llama-index's
``QueryFusionRetriever`` (k = 60, dense ranking first on ties) and BM25 is ``bm25s`` with the
tokenization of llama-index's ``BM25Retriever`` (English stop words, Snowball stemmer, words
of two or more characters) and dotted numbers as terms, so the rankings are theirs but for
versions; a question naming a version no passage found writes reads the chunk BM25 puts
first among those that do (:func:`with_version_named`). The lexical index is built from the
chunks Chroma holds, so the two can never disagree about the corpus, and saved beside the
index under a digest of those chunks, so a process that opens an unchanged index loads it
rather than building it again.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from index.chunk import Chunk
from index.embed import Embedder
from index.files import replace_atomically
from index.store import ChunkStore
from qa.text import normalize_token, number_tokens, written_numbers
from qa.types import Passage

#: Part of the saved lexical index's name: raise it when the index is built differently.
_BM25_VERSION = 6  # 3: the numbers the chunks write saved with it; 4: "4.4.0" of "4.4";
# 5: a dotted number ("4.8", "3.5.1") is a term; 6: also after a "v" ("v4.8")
_NUMBERS = "numbers.json"
#: How the passages read for a question are chosen, in what a folder's floor depends on:
#: raised when the same question retrieves differently. 2: the lexical ranking's first read.
RETRIEVAL_VERSION = 2
#: Reciprocal-rank fusion's damping constant, as in the original paper and llama-index.
RRF_K = 60.0
#: llama-index's words of two or more characters, and a dotted number whole ("4.8", "3.5.1"),
#: whose one-digit parts it would drop: release notes are searched by version. A version's
#: "v" is no part of it ("v4.8" is 4.8, not "v4").
_TOKEN_PATTERN = (  # bm25s lowers the text first
    r"(?u)(?:(?<![\w.])|(?<=(?<![\w.])v))\d+(?:\.\d+)+(?!\w)"
    r"|\b(?!(?<![\w.])v\d+(?:\.\d+)+(?!\w))\w\w+\b"
)
log = logging.getLogger(__name__)


@cache
def _stemmer() -> Any:
    """One per process: it remembers the words it has stemmed."""
    import Stemmer

    return Stemmer.Stemmer("english")


def _tokenize(texts: Sequence[str]) -> Any:
    import bm25s

    return bm25s.tokenize(
        list(texts),
        stopwords="en",
        stemmer=_stemmer(),
        token_pattern=_TOKEN_PATTERN,
        show_progress=False,
    )


class Lexical:
    """BM25 over a store's chunks; only chunks sharing a term with the question are returned
    (a zero-score chunk would otherwise earn a fused score for its rank alone). Saved with
    it, the numbers the chunks write (:func:`numbers_written`), so that a process opening
    the index does not read the whole text again for them."""

    def __init__(self, bm25: Any, chunks: Sequence[Chunk], written_numbers: frozenset[str]) -> None:
        self._bm25, self._chunks = bm25, chunks
        self.written_numbers = written_numbers

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> Lexical:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(_tokenize([c.text for c in chunks]), show_progress=False)
        return cls(bm25, chunks, numbers_written(chunks))

    @classmethod
    def load(cls, folder: Path) -> Lexical:
        import bm25s

        bm25 = bm25s.BM25.load(str(folder), load_corpus=True, show_progress=False)
        chunks = [Chunk(r["source"], r["start"], r["end"], r["text"]) for r in bm25.corpus]
        bm25.corpus = None  # hits then come back as row numbers into ``chunks``
        numbers = frozenset(json.loads((folder / _NUMBERS).read_text("utf-8")))
        return cls(bm25, chunks, numbers)

    def save(self, folder: Path) -> None:
        corpus = [
            {"source": c.source, "start": c.start, "end": c.end, "text": c.text}
            for c in self._chunks
        ]
        folder.mkdir(parents=True)
        self._bm25.save(
            str(folder), corpus=corpus, show_progress=False, raise_on_serialization_error=True
        )
        (folder / _NUMBERS).write_text(json.dumps(sorted(self.written_numbers)), "utf-8")

    def query(self, question: str, k: int) -> list[tuple[Chunk, float]]:
        k = min(k, len(self._chunks))
        if k == 0:
            return []
        indexes, scores = self._bm25.retrieve(_tokenize([question]), k=k, show_progress=False)
        return [
            (self._chunks[int(i)], float(s))
            for i, s in zip(indexes[0], scores[0], strict=True)
            if s > 0.0
        ]


def numbers_written(chunks: Sequence[Chunk]) -> frozenset[str]:
    """Every number the chunks write (:func:`~qa.text.written_numbers`)."""
    return frozenset().union(*(written_numbers(chunk.text) for chunk in chunks))


def lexical_index(store: ChunkStore) -> Lexical:
    """BM25 over the chunks of ``store``: loaded when saved for the same chunks, else built.

    Building reads every chunk's text out of Chroma and tokenizes it. The saved copy
    is named by the store's content key and renamed into place whole, so it is never
    read half-written; copies for older contents are deleted.
    """
    if store.cache_dir is None:
        return _build(store)
    folder = store.cache_dir / f"bm25-{_BM25_VERSION}-{store.content_key()}"
    if folder.is_dir():
        try:
            loaded = Lexical.load(folder)
            log.debug("BM25 index loaded from %s", folder)
            return loaded
        except Exception as exc:  # a damaged cache of any kind: build it again
            log.warning("BM25 index in %s unreadable (%s); building it again", folder, exc)
    lexical = _build(store)
    try:
        replace_atomically(folder, lexical.save)
    except OSError as exc:  # no room, or another process saved it first: served all the same
        log.debug("BM25 index not saved in %s: %s", folder, exc)
    for old in store.cache_dir.glob("bm25-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return lexical


def _build(store: ChunkStore) -> Lexical:
    log.debug("BM25 index built from %d chunks", store.count())
    return Lexical.build(store.chunks())


def fuse(rankings: Sequence[Sequence[tuple[Chunk, float]]]) -> list[tuple[Chunk, float]]:
    """Reciprocal-rank fusion: each chunk scores the sum of 1 / (k + rank) over the rankings
    that hold it, rank counted from 0 within each ranking sorted by its own score."""
    fused: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for ranking in rankings:
        ordered = sorted(ranking, key=lambda hit: hit[1], reverse=True)
        for rank, (chunk, _) in enumerate(ordered):
            chunks[chunk.id] = chunk
            fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0 / (rank + RRF_K)
    best = sorted(fused.items(), key=lambda item: item[1], reverse=True)
    return [(chunks[key], score) for key, score in best]


def with_best_lexical(
    hits: list[tuple[Chunk, float]],
    fused: Sequence[tuple[Chunk, float]],
    lexical: Sequence[tuple[Chunk, float]],
) -> list[tuple[Chunk, float]]:
    """The chunk the ``lexical`` ranking puts first, read in any case, in place of the last
    of two or more ``hits``: a question naming a rare term ("strictDepth", "aes256-ctr")
    finds the one chunk that writes it, which meaning alone can rank far down, and fusion,
    which counts ranks and not how far ahead it is, with it."""
    if len(hits) < 2 or not lexical:
        return hits
    best = max(lexical, key=lambda hit: hit[1])[0]
    if any(chunk.id == best.id for chunk, _ in hits):
        return hits
    return [*hits[:-1], next(hit for hit in fused if hit[0].id == best.id)]


def with_version_named(
    question: str,
    hits: list[tuple[Chunk, float]],
    fused: Sequence[tuple[Chunk, float]],
    lexical: Sequence[tuple[Chunk, float]],
) -> list[tuple[Chunk, float]]:
    """A question naming a version or a section ("4.8", "3.5.1") asks about the part of a
    text that writes it, which meaning alone rarely finds: release notes are alike from one
    release to the next. When none of the ``hits`` writes it, the chunk that the ``lexical``
    ranking (best first) puts first among those that do is read as well: in place of one of
    them, it would put out a passage of the release's section that has gone past its
    heading."""
    named = {normalize_token(t) for t in number_tokens(question) if "." in t.strip(".")}
    if not named or not hits or any(named <= written_numbers(c.text) for c, _ in hits):
        return hits
    for chunk, _ in lexical:
        if named <= written_numbers(chunk.text):
            score = next(s for c, s in fused if c.id == chunk.id)
            return [*hits, (chunk, score)]
    return hits


class HybridRetriever:
    def __init__(
        self, store: ChunkStore, embedder: Embedder, top_k: int, source_prefix: str = ""
    ) -> None:
        self.top_k = top_k
        self._store, self._embedder = store, embedder
        self._prefix = source_prefix
        count = store.count()
        self._depth = max(1, min(100, count))  # any per-question top_k up to 100 is served
        self._lexical = lexical_index(store) if count else None

    def unwritten_numbers(self, question: str) -> list[str]:
        """The numbers ``question`` names, as it writes them, that no source writes: a
        question about a release, a year or an amount the folder never mentions is one it
        cannot answer."""
        written = self._lexical.written_numbers if self._lexical is not None else frozenset()
        named = number_tokens(question)
        return list(dict.fromkeys(t for t in named if normalize_token(t) not in written))

    def retrieve(self, query: str, top_k: int | None = None) -> list[Passage]:
        vector = self._embedder.embed([query])[0]
        rankings = [self._store.query(vector, self._depth)]
        if self._lexical is not None:
            rankings.append(self._lexical.query(query, self._depth))
        fused = fuse(rankings)
        hits = fused[: top_k or self.top_k]
        if self._lexical is not None:
            hits = with_best_lexical(hits, fused, rankings[1])
            hits = with_version_named(query, hits, fused, rankings[1])
        return [
            Passage(self._prefix + c.source, c.start, c.end, c.text, score) for c, score in hits
        ]
