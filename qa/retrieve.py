"""Retrieve: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank.

Both sides and the fusion are llama-index retrievers. The lexical index is built
from the chunks Chroma holds, so the two can never disagree about the corpus.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from index.chunk import Chunk
from index.embed import Embedder
from index.store import ChunkStore
from qa.types import Passage

_META = ["source", "start", "end"]


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


class HybridRetriever:
    def __init__(
        self, store: ChunkStore, embedder: Embedder, top_k: int, source_prefix: str = ""
    ) -> None:
        self.top_k = top_k
        self._prefix = source_prefix
        chunks = store.chunks()
        depth = max(1, min(100, len(chunks)))  # any per-question top_k up to 100 is served
        sides: list[BaseRetriever] = [ChromaRetriever(store, embedder, depth)]
        if chunks:
            sides.append(
                MatchingBM25Retriever(nodes=[_node(c) for c in chunks], similarity_top_k=depth)
            )
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
