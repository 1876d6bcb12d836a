"""One typed settings object: offline defaults, overridden by ``QA_*`` variables and CLI flags."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from index.config import chroma_server
from index.files import replace_atomically
from qa.errors import ConfigError

DEFAULT_SOURCES = Path("seeds")
#: Beside the index: the folder ``qa index`` last indexed, which the other commands answer from.
_CURRENT = "sources.json"


@dataclass(frozen=True)
class Settings:
    sources: str = ""
    """The sources folder; empty means the folder ``qa index`` last indexed (see
    :meth:`source_folder`), else ``seeds``."""
    index_dir: Path = Path(".qa-index")
    """Where the embedded Chroma store lives (one collection per sources folder)."""
    embed_model: str = ""
    """A local sentence-transformers folder; empty means the packaged all-MiniLM-L6-v2."""
    chroma_url: str = ""
    """``http://host:port`` of a Chroma server; empty means the embedded store."""
    chunk_size: int = 128
    """Tokens per chunk; small chunks keep retrieval precise on news-length text."""
    chunk_overlap: int = 24
    top_k: int = 4
    """Passages retrieved per question, after fusing the dense and lexical rankings, and read
    for the answer. On the reader's calibration articles reading the best 4 scored as well as
    reading 8 (SQuAD 2.0 F1 0.651 against 0.650, best of 3 to 8) in 60% of the time; the
    reader's threshold is calibrated for 4."""
    abstain_below: float = 0.5
    """Where confident answers begin: 0.5 is the reader's calibrated threshold; higher is
    stricter. Below it an answer is tentative, down to ``floor``."""
    floor: float = -1.0
    """The confidence where tentative answers begin; negative (the default): measured on the
    folder when it is indexed (:mod:`qa.floor`). At or above ``abstain_below``: none."""
    max_question_chars: int = 2000
    max_file_mb: float = 20.0
    llm: str = "none"
    """``none`` (extractive), ``gguf:/path/model.gguf`` or ``openai-like:http://host:port/v1``."""
    llm_model: str = ""
    """Model name sent to an OpenAI-compatible server; empty lets the server choose."""
    llm_api_key: str = field(default="", repr=False)
    llm_context: int = 0
    """Tokens of context prompts are sized for; 0: a server's own (else 2,048), a GGUF 2,048."""
    llm_max_tokens: int = 0
    """Tokens an LLM answer may take; 0: from the context (96 per 2,048, at most 512)."""
    llm_passages: int = 0
    """Numbered passages in the LLM's prompt at most; 0: from the context (5 per 2,048)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        if self.chunk_size < 32:
            raise ConfigError(f"chunk_size must be at least 32 tokens, got {self.chunk_size}")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError(f"chunk_overlap must be in [0, chunk_size), got {self.chunk_overlap}")
        if not 1 <= self.top_k <= 100:
            raise ConfigError(f"top_k must be between 1 and 100, got {self.top_k}")
        if not 0.0 <= self.abstain_below <= 1.0:
            raise ConfigError(f"abstain_below must be between 0 and 1, got {self.abstain_below}")
        if not self.floor <= 1.0:  # nor NaN
            raise ConfigError(f"floor must be at most 1 (negative: measured), got {self.floor}")
        if self.max_question_chars < 1:
            raise ConfigError(f"max_question_chars must be positive, got {self.max_question_chars}")
        if not 0 < self.max_file_mb < math.inf:
            raise ConfigError(f"max_file_mb must be a positive number, got {self.max_file_mb}")
        llm_prefixes = ("gguf:", "openai-like:http://", "openai-like:https://")
        if self.llm != "none" and (
            self.llm in llm_prefixes or not self.llm.startswith(llm_prefixes)
        ):
            raise ConfigError(
                "llm must be none, gguf:/path/model.gguf or openai-like:http://host:port/v1, "
                f"got {self.llm!r}"
            )
        if self.llm_context and self.llm_context < 512:
            raise ConfigError(
                f"llm_context must be 0 (from the backend) or at least 512, got {self.llm_context}"
            )
        if self.llm_max_tokens < 0:
            raise ConfigError(
                f"llm_max_tokens must be 0 (from the context) or more, got {self.llm_max_tokens}"
            )
        if not 0 <= self.llm_passages <= 100:
            raise ConfigError(f"llm_passages must be between 0 and 100, got {self.llm_passages}")
        if self.chroma_url:
            chroma_server(self.chroma_url)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``QA_<FIELD>`` variables, then explicit overrides (None is ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"QA_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, raw, f.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def source_folder(self) -> Path:
        """The folder to answer from: ``sources`` when set, else the one last indexed into
        this index (:meth:`remember_folder`), else ``seeds``."""
        if self.sources:
            return Path(self.sources)
        try:
            folder = json.loads((self.index_dir / _CURRENT).read_text(encoding="utf-8"))
            return Path(folder["folder"])
        except (OSError, ValueError, KeyError, TypeError):  # none recorded, or damaged
            return DEFAULT_SOURCES

    def remember_folder(self, folder: Path) -> None:
        """Make ``folder`` the one later commands answer from, until another is indexed."""
        record = json.dumps({"folder": str(folder.resolve())})
        self.index_dir.mkdir(parents=True, exist_ok=True)
        replace_atomically(self.index_dir / _CURRENT, lambda tmp: tmp.write_text(record, "utf-8"))


def _convert(name: str, raw: str, default: Any) -> Any:
    kind = type(default)
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"QA_{name.upper()} must be a {kind.__name__}, got {raw!r}") from None
