"""The baseline of bench/core.py: llama-index as its docs show it, same folder and model.

    python -m bench.plain_llama_index index FOLDER DB   # embed FOLDER into a Chroma store
    python -m bench.plain_llama_index ask DB QUESTION   # the top passages, as JSON

VectorStoreIndex over a ChromaVectorStore, HuggingFaceEmbedding on the packaged
all-MiniLM-L6-v2 folder, the chunking ``qa`` uses (SentenceSplitter, 128 tokens, 24
overlap). It retrieves only: with no LLM, llama-index has no answer stage.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

TOP_K = 4  # as many passages as qa retrieves (Settings.top_k)


@cache
def embed_model() -> Any:
    """Loaded once per process, as an application holding it would."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from index.embed import packaged_model_path

    return HuggingFaceEmbedding(model_name=str(packaged_model_path()), device="cpu")


def vector_store(db: str) -> Any:
    import chromadb
    from chromadb.config import Settings
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(path=db, settings=Settings(anonymized_telemetry=False))
    return ChromaVectorStore(chroma_collection=client.get_or_create_collection("plain"))


def nodes(folder: str) -> list[Any]:
    """The chunks of every file of ``folder``, as llama-index reads and splits them."""
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.node_parser import SentenceSplitter

    docs = SimpleDirectoryReader(folder).load_data()
    return SentenceSplitter(chunk_size=128, chunk_overlap=24).get_nodes_from_documents(docs)


def embedded_texts(folder: str) -> list[str]:
    """What the model is given for each chunk: its text and the file metadata llama-index adds."""
    from llama_index.core.schema import MetadataMode

    return [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes(folder)]


def build(folder: str, db: str) -> int:
    """Index every file of ``folder``; returns the number of chunks."""
    from llama_index.core import StorageContext, VectorStoreIndex

    chunks = nodes(folder)
    storage = StorageContext.from_defaults(vector_store=vector_store(db))
    VectorStoreIndex(chunks, storage_context=storage, embed_model=embed_model())
    return len(chunks)


def retriever(db: str) -> Any:
    from llama_index.core import VectorStoreIndex

    index = VectorStoreIndex.from_vector_store(vector_store(db), embed_model=embed_model())
    return index.as_retriever(similarity_top_k=TOP_K)


def main(argv: list[str]) -> None:
    if argv[:1] == ["index"] and len(argv) == 3:
        print(json.dumps({"chunks": build(argv[1], argv[2])}))
    elif argv[:1] == ["ask"] and len(argv) == 3:
        hits = retriever(argv[1]).retrieve(argv[2])
        print(json.dumps([{"text": h.node.get_content(), "score": h.score} for h in hits]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
