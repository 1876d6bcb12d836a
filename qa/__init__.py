"""Grounded question answering over a folder of sources.

from qa import Assistant
qa = Assistant.open("seeds")
ans = qa.ask("Who criticised the decision?")
ans.text, ans.abstained, ans.citations
"""

from typing import TYPE_CHECKING, Any

from qa.errors import (
    ConfigError,
    IndexBusy,
    IndexCorrupt,
    InvalidQuestion,
    MissingDependency,
    QAError,
    SourceFileError,
    SourcesError,
)
from qa.settings import Settings
from qa.types import Answer, Citation, Passage, Removed

if TYPE_CHECKING:
    from qa.assistant import Assistant


def __getattr__(name: str) -> Any:
    """``Assistant`` is imported on first use: the index package below it imports ``qa.errors``."""
    if name == "Assistant":
        from qa.assistant import Assistant

        return Assistant
    raise AttributeError(f"module 'qa' has no attribute {name!r}")


__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "ConfigError",
    "IndexBusy",
    "IndexCorrupt",
    "InvalidQuestion",
    "MissingDependency",
    "Passage",
    "QAError",
    "Removed",
    "Settings",
    "SourceFileError",
    "SourcesError",
]
