"""What indexing needs to know of the settings: :class:`qa.Settings` provides it.

A protocol, so the lowest package names the fields it reads without importing the one
above it, where the settings object, its defaults and its checks live.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Protocol
from urllib.parse import urlparse

from index.errors import ConfigError


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


class ChromaServer(NamedTuple):
    host: str
    port: int
    ssl: bool


def chroma_server(url: str) -> ChromaServer:
    """Where ``url`` says a Chroma server listens (port 8000, or 443 over https, unless it
    names one); a ConfigError naming the URL when it cannot say."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"chroma_url must start with http:// or https://, got {url!r}")
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError as exc:  # "Port out of range", "Invalid IPv6 URL"
        raise ConfigError(f"chroma_url {url!r} is not a URL ({exc})") from None
    if not parsed.hostname:
        raise ConfigError(f"chroma_url has no host: {url!r}")
    https = parsed.scheme == "https"
    return ChromaServer(parsed.hostname, port or (443 if https else 8000), https)
