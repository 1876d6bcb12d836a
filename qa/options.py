"""What every ``qa`` subcommand shares: its flags, the settings they give, the assistant.

Below the command line (:mod:`qa.cli`) and the subcommands it mounts from other packages
(``eval``, ``serve``): they import this, and it imports none of them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from qa.settings import Settings

if TYPE_CHECKING:
    from qa.assistant import Assistant


def common_options() -> argparse.ArgumentParser:
    """The flags every subcommand shares: sources, index, store, models."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--sources",
        help="folder of sources (default: $QA_SOURCES, else the folder last indexed with "
        "`qa index`, else seeds)",
    )
    common.add_argument(
        "--index-dir", type=Path, help="index folder (default: $QA_INDEX_DIR or .qa-index)"
    )
    common.add_argument(
        "--chroma-url", help="Chroma server URL (default: $QA_CHROMA_URL; empty: embedded)"
    )
    common.add_argument(
        "--embed-model", help="local sentence-transformers folder (default: packaged MiniLM)"
    )
    common.add_argument(
        "--llm",
        help="none, gguf:/path/model.gguf or openai-like:http://host:port/v1 "
        "(default: $QA_LLM or none: extractive answers; API key from $QA_LLM_API_KEY)",
    )
    common.add_argument("--llm-model", help="model name for an OpenAI-compatible server")
    return common


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags every subcommand shares."""
    return Settings.from_env(
        sources=getattr(args, "sources", None),
        index_dir=args.index_dir,
        chroma_url=args.chroma_url,
        embed_model=args.embed_model,
        top_k=getattr(args, "top_k", None),
        llm=args.llm,
        llm_model=args.llm_model,
    )


def assistant_from_args(args: argparse.Namespace, progress: bool = False) -> Assistant:
    """The assistant the shared flags describe, its index brought up to date.

    Its two models start loading in threads before the rest of the stack (chromadb above
    all) is imported: the two halves of a cold start overlap.
    """
    from index.embed import OnnxEmbedder, default_embedder
    from qa.read import shared_reader

    settings = settings_from_args(args)
    embedder = default_embedder(settings.embed_model)
    if isinstance(embedder, OnnxEmbedder):
        embedder.preload()
    shared_reader().preload()

    from qa.assistant import Assistant

    return Assistant.open(settings=settings, embedder=embedder, progress=progress)
