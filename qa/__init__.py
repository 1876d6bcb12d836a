"""Grounded question answering over a folder of sources.

from qa import Assistant
qa = Assistant.open("seeds")
ans = qa.ask("Who criticised the decision?")
ans.text, ans.abstained, ans.citations
"""

from qa.assistant import Assistant
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
from qa.types import Answer, Citation, FileSpan, Passage, Removed, Tier

__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "ConfigError",
    "FileSpan",
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
    "Tier",
]
