"""What the page knows about the folder it serves: how answers are made, the gold file its
Evaluation tab runs, the example questions (taken from that gold file, never from another
folder's) and which evaluation report is about it.

Pure functions of an :class:`~qa.assistant.Assistant` and files; no Gradio here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from eval.metrics import GoldFileError, GoldItem, containment, load_gold, missing_sources
from qa.assistant import Assistant
from qa.errors import ConfigError, QAError
from qa.settings import Settings

#: Example questions offered on an empty chat, at most.
EXAMPLES = 3
#: Gold questions asked at most to find them (once, when the page is built: about 50 ms each).
EXAMPLES_TRIED = 12


def answer_mode(settings: Settings) -> str:
    """How answers are made, in a few words: ``extractive``, or which LLM writes them."""
    kind, _, where = settings.llm.partition(":")
    if settings.llm == "none":
        return "extractive"
    if kind == "gguf":
        return f"LLM {Path(where).name} (local GGUF)"
    url = urlsplit(where)
    host = url.netloc.rpartition("@")[2]  # never show a user or password put in the URL
    shown = urlunsplit((url.scheme, host, url.path, "", ""))
    model = f" {settings.llm_model}" if settings.llm_model else ""
    return f"LLM{model} at {shown}"


def same_folder(a: str | Path, b: str | Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def read_gold(path: str | Path, assistant: Assistant, name: str = "") -> list[GoldItem]:
    """The items of a gold file for the assistant's folder; a :class:`ConfigError` naming the
    file (as ``name``, else its path) when it cannot be read or cites files the folder lacks."""
    shown = name or str(path)
    try:
        items = load_gold(path)
    except GoldFileError as exc:
        raise ConfigError(str(exc).replace(str(path), shown)) from None
    unknown = missing_sources(items, assistant.texts)
    if unknown:
        raise ConfigError(
            f"{shown} is for another folder: it cites {', '.join(unknown[:3])}, "
            f"which {assistant.root.name} does not hold"
        )
    return items


def examples_from_gold(
    assistant: Assistant, items: Sequence[GoldItem], count: int = EXAMPLES
) -> list[str]:
    """The first ``count`` answerable questions (no follow-ups) that the assistant answers
    confidently and right, trying at most ``EXAMPLES_TRIED``."""
    found: list[str] = []
    tried = 0
    for item in items:
        if len(found) == count or tried == EXAMPLES_TRIED:
            break
        if not item.answerable or item.history:
            continue
        tried += 1
        try:
            answer = assistant.ask(item.question)
        except QAError:  # a question the assistant refuses is no example
            continue
        if answer.tier == "confident" and containment(answer.text, item.golds):
            found.append(item.question)
    return found


def report_info(run: Path) -> dict[str, str]:
    """The ``info`` of the report a run folder holds (which gold, which folder, when), or {}."""
    try:
        info = json.loads((run / "report.json").read_text(encoding="utf-8"))["info"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {str(k): str(v) for k, v in info.items()} if isinstance(info, dict) else {}
