"""What indexing needs to know of the settings: :class:`qa.Settings` provides it.

A protocol, so the lowest package names the fields it reads without importing the one
above it, where the settings object, its defaults and its checks live.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class IndexConfig(Protocol):
    @property
    def index_dir(self) -> Path:
        """Where the embedded Chroma store lives."""

    @property
    def chroma_url(self) -> str:
        """``http://host:port`` of a Chroma server; empty: the embedded store."""

    @property
    def chunk_size(self) -> int:
        """Tokens per chunk; the index is rebuilt when it changes."""

    @property
    def chunk_overlap(self) -> int:
        """Tokens two neighbouring chunks share."""

    @property
    def max_file_mb(self) -> float:
        """Larger files are skipped with their reason, never read."""
