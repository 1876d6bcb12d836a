"""Retrieve: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank.

Both sides and the fusion are llama-index retrievers. The lexical index is built
from the chunks Chroma holds, so the two can never disagree about the corpus, and
saved beside the index under a digest of those chunks, so a process that opens an
unchanged index loads it rather than building it again.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import Any

# Submodules by name, though llama_index.core's own __init__ runs all the same (the
# retriever base class needs most of it): about 0.6 s of a cold ``qa ask``.
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.llms.mock import MockLLM
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES, QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from index.chunk import Chunk
from index.embed import Embedder
from index.store import ChunkStore
from qa.types import Passage

_META = ["source", "start", "end"]
#: Part of the saved lexical index's name: raise it when the index is built differently.
_BM25_VERSION = 1
log = logging.getLogger(__name__)


def _node(chunk: Chunk) -> TextNode:
    return TextNode(
        id_=chunk.id,
        text=chunk.text,
        metadata={"source": chunk.source, "start": chunk.start, "end": chunk.end},
        excluded_embed_metadata_keys=_META,
        excluded_llm_metadata_keys=_META,
    )


class ChromaRetriever(BaseRetriever):
    """The dense side: the question's embedding against the vectors in Chroma."""

    def __init__(self, store: ChunkStore, embedder: Embedder, top_k: int) -> None:
        super().__init__()
        self._store, self._embedder, self._top_k = store, embedder, top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        vector = self._embedder.embed([query_bundle.query_str])[0]
        return [
            NodeWithScore(node=_node(chunk), score=score)
            for chunk, score in self._store.query(vector, self._top_k)
        ]


class MatchingBM25Retriever(BM25Retriever):
    """BM25 that returns only chunks sharing a term with the question.

    Plain BM25 fills its top k with zero-score chunks, which reciprocal-rank
    fusion would then reward for their rank alone.
    """

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [n for n in super()._retrieve(query_bundle) if (n.score or 0.0) > 0.0]


def lexical_retriever(store: ChunkStore, depth: int) -> MatchingBM25Retriever:
    """BM25 over the chunks of ``store``: loaded when saved for the same chunks, else built.

    Building reads every chunk's text out of Chroma and tokenizes it. The saved copy
    is named by the store's content key and renamed into place whole, so it is never
    read half-written; copies for older contents are deleted.
    """
    if store.cache_dir is None:
        return _build_bm25(store, depth)
    folder = store.cache_dir / f"bm25-{_BM25_VERSION}-{store.content_key()}"
    if folder.is_dir():
        try:
            loaded = MatchingBM25Retriever.from_persist_dir(str(folder), show_progress=False)
            assert isinstance(loaded, MatchingBM25Retriever)  # it builds ``cls``
            log.debug("BM25 index loaded from %s", folder)
            return loaded
        except Exception as exc:  # a damaged cache of any kind: build it again
            log.warning("BM25 index in %s unreadable (%s); building it again", folder, exc)
    retriever = _build_bm25(store, depth)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    try:
        shutil.rmtree(tmp, ignore_errors=True)  # left by a crashed process of the same id
        tmp.mkdir(parents=True)
        retriever.persist(str(tmp), show_progress=False, raise_on_serialization_error=True)
        shutil.rmtree(folder, ignore_errors=True)  # a damaged copy
        tmp.rename(folder)
    except OSError as exc:  # no room, or another process saved it first: served all the same
        log.debug("BM25 index not saved in %s: %s", folder, exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in store.cache_dir.glob("bm25-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return retriever


def _build_bm25(store: ChunkStore, depth: int) -> MatchingBM25Retriever:
    log.debug("BM25 index built from %d chunks", store.count())
    return MatchingBM25Retriever(nodes=[_node(c) for c in store.chunks()], similarity_top_k=depth)


class HybridRetriever:
    def __init__(
        self, store: ChunkStore, embedder: Embedder, top_k: int, source_prefix: str = ""
    ) -> None:
        self.top_k = top_k
        self._prefix = source_prefix
        count = store.count()
        depth = max(1, min(100, count))  # any per-question top_k up to 100 is served
        sides: list[BaseRetriever] = [ChromaRetriever(store, embedder, depth)]
        if count:
            sides.append(lexical_retriever(store, depth))
        self._fusion = QueryFusionRetriever(
            sides,
            llm=MockLLM(),  # one query: nothing is generated, no LLM is called
            mode=FUSION_MODES.RECIPROCAL_RANK,
            similarity_top_k=depth,
            num_queries=1,
            use_async=False,
        )

    def retrieve(self, query: str, top_k: int | None = None) -> list[Passage]:
        hits = self._fusion.retrieve(query)[: top_k or self.top_k]
        return [self._passage(h.node, h.score or 0.0) for h in hits]

    def _passage(self, node: Any, score: float) -> Passage:
        meta = node.metadata
        source = self._prefix + meta["source"]
        return Passage(source, int(meta["start"]), int(meta["end"]), node.text, float(score))
