"""The errors this project raises on purpose (the tree is drawn in :mod:`index.errors`)."""

from __future__ import annotations

from index.errors import (
    ConfigError,
    IndexBusy,
    IndexCorrupt,
    MissingDependency,
    QAError,
    SourceFileError,
    SourcesError,
)


class InvalidQuestion(QAError):
    """An empty, too long or unprintable question."""


__all__ = [
    "ConfigError",
    "IndexBusy",
    "IndexCorrupt",
    "InvalidQuestion",
    "MissingDependency",
    "QAError",
    "SourceFileError",
    "SourcesError",
]
