"""HTML for the chat and the source panel: pure functions of an Answer, so they are easy to test.

Everything taken from a source or typed by a user passes through :func:`esc`;
sources are untrusted. A clickable reference is an ``<a class="qa-ref">`` whose
``href`` names an answer's citation or passage (``#qa-<turn>-c-<i>`` or
``#qa-<turn>-p-<i>``): the chat's HTML sanitizer keeps ``href`` and ``class``
but drops ``data-*`` attributes.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from qa.types import Answer, spoken

#: Characters of source text shown on each side of a highlighted span.
CONTEXT_CHARS = 1500
ABSTAINED_PASSAGES = 3
SNIPPET_CHARS = 180

#: The label over a tentative answer: below the reader's threshold, above the folder's floor.
TENTATIVE_LABEL = "tentative — check the cited sentence"

PANEL_HINT = (
    '<div class="qa-panel-hint"><b>Source</b><br>Click a citation such as [1] under an answer '
    "to see the exact words it rests on, highlighted in its source.</div>"
)

_REF = re.compile(r"#?qa-(\d+)-([cp])-(\d+)")
_NEWLINE = re.compile(r"\r\n?|\n")


@dataclass(frozen=True)
class Ref:
    """One clickable thing in the chat: citation (``c``) or passage (``p``) ``index`` of a turn."""

    turn: int
    kind: Literal["c", "p"]
    index: int


def parse_ref(value: str) -> Ref | None:
    match = _REF.fullmatch(value.strip())
    if match is None:
        return None
    kind: Literal["c", "p"] = "c" if match[2] == "c" else "p"
    return Ref(int(match[1]), kind, int(match[3]))


def esc(text: str) -> str:
    """Escaped for HTML, newlines as ``<br>``: a blank line would end the chat's HTML block."""
    return _NEWLINE.sub("<br>", html.escape(text))


def _link(ref: Ref, label: str, css: str, title: str = "") -> str:
    title_attr = f' title="{html.escape(title)}"' if title else ""
    return (
        f'<a class="qa-ref {css}" href="#qa-{ref.turn}-{ref.kind}-{ref.index}"{title_attr}>'
        f"{label}</a>"
    )


def _chip(
    ref: Ref, source: str, start: int, end: int, number: str = "", current: bool = False
) -> str:
    label = f"{number} " if number else ""
    css = "qa-chip qa-current" if current else "qa-chip"
    return _link(ref, f"{label}{esc(source)} · {start}–{end}", css, source)


def agreement_note(answer: Answer) -> str:
    """How the cited sources relate: "both sources say this", or that they differ."""
    sources = list(dict.fromkeys(c.source for c in answer.citations))
    if answer.agreement == "differ":
        return "The sources differ: each says something else."
    if len(sources) < 2:
        return ""
    return (
        "Both sources say this." if len(sources) == 2 else f"All {len(sources)} sources say this."
    )


def user_message(question: str) -> str:
    return f'<div class="qa-msg qa-question">{esc(question)}</div>'


def pending_message() -> str:
    return '<div class="qa-msg qa-pending">Searching the sources…</div>'


def streaming_message(text: str) -> str:
    return f'<div class="qa-msg qa-answer qa-streaming">{esc(text)}</div>'


def error_message(message: str) -> str:
    return f'<div class="qa-msg qa-error">⚠ {esc(message)}</div>'


def answer_message(answer: Answer, turn: int, show_searched: bool) -> str:
    """The assistant's turn, by tier: the answer with its markers and chips (a tentative one
    hedged and labelled), or the abstention with the closest passages."""
    searched = ""
    if show_searched and answer.searched != answer.question:
        searched = f'<div class="qa-searched">Searched: {esc(answer.searched)}</div>'
    if answer.abstained:
        return f'<div class="qa-msg qa-abstain">{searched}{_abstention(answer, turn)}</div>'
    if answer.tier == "tentative":
        label = f'<div class="qa-tier">{TENTATIVE_LABEL}</div>'
        body = _cited_answer(answer, turn)
        return f'<div class="qa-msg qa-answer qa-tentative">{searched}{label}{body}</div>'
    return f'<div class="qa-msg qa-answer">{searched}{_cited_answer(answer, turn)}</div>'


def _cited_answer(answer: Answer, turn: int) -> str:
    """The answer as said (:func:`qa.types.spoken`), then its markers, chips and notes."""
    markers = "".join(
        _link(Ref(turn, "c", i), f"[{i + 1}]", "qa-marker", c.source)
        for i, c in enumerate(answer.citations)
    )
    body = f'<p class="qa-text">{esc(spoken(answer))} {markers}</p>'
    note = agreement_note(answer)
    if answer.agreement == "differ":
        sides = "".join(
            f"<li>{_chip(Ref(turn, 'c', i), c.source, c.start, c.end, f'[{i + 1}]')} "
            f'<span class="qa-quote">“{esc(c.quote)}”</span></li>'
            for i, c in enumerate(answer.citations)
        )
        return f'{body}<div class="qa-differ"><b>{note}</b><ul>{sides}</ul></div>'
    chips = "".join(
        _chip(Ref(turn, "c", i), c.source, c.start, c.end, f"[{i + 1}]")
        for i, c in enumerate(answer.citations)
    )
    agree = f'<span class="qa-agree">✓ {note}</span>' if note else ""
    return f'{body}<div class="qa-chips">{chips}{agree}</div>{_removed(answer)}'


def _removed(answer: Answer) -> str:
    """What the verifier left out of an LLM's answer, and why, so a reader sees it was checked."""
    if not answer.removed:
        return ""
    items = "".join(
        f'<li><span class="qa-quote">“{esc(r.sentence)}”</span> '
        + (
            f"not in the cited text (missing: {esc(', '.join(r.missing))})"
            if r.missing
            else esc(r.reason)
        )
        + "</li>"
        for r in answer.removed
    )
    return f'<div class="qa-removed"><b>Left out by the verifier:</b><ul>{items}</ul></div>'


def _abstention(answer: Answer, turn: int) -> str:
    """What was said (:func:`qa.types.spoken`: "No answer I can stand behind. The closest
    passages:") and those passages. It never claims they do not answer: one may, below the
    floor."""
    head = f'<p class="qa-abstain-head">{esc(answer.text)}</p>'
    passages = answer.passages[:ABSTAINED_PASSAGES]
    if not passages:
        return f'{head}<p class="qa-why">Nothing in the sources came close.</p>'
    lead_in = spoken(answer).removeprefix(answer.text).strip()
    items = "".join(
        f"<li>{_chip(Ref(turn, 'p', i), p.source, p.start, p.end)}"
        f'<span class="qa-snippet">{esc(_snippet(p.text))}</span></li>'
        for i, p in enumerate(passages)
    )
    return f'{head}<p class="qa-why">{esc(lead_in)}</p><ol class="qa-passages">{items}</ol>'


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1].rstrip() + "…"


def source_panel(
    source: str,
    text: str,
    start: int,
    end: int,
    heading: str,
    related: str = "",
    line: int | None = None,
) -> str:
    """The source around one span, the span in a ``<mark>`` the page scrolls to; ``line``:
    where it begins in the file itself, for a reader who opens it in an editor."""
    lo = max(0, start - CONTEXT_CHARS)
    hi = min(len(text), end + CONTEXT_CHARS)
    before = ("…" if lo > 0 else "") + html.escape(text[lo:start])
    after = html.escape(text[end:hi]) + ("…" if hi < len(text) else "")
    cited = html.escape(text[start:end])
    where = f"line {line} of the file · " if line is not None else ""
    return (
        '<div class="qa-source">'
        f'<div class="qa-source-head"><span class="qa-kind">{esc(heading)}</span>'
        f'<span class="qa-source-name">{esc(source)}</span>'
        f'<span class="qa-offsets">{where}characters {start}–{end} of {len(text)}</span>'
        f"{related}</div>"
        f'<div class="qa-source-text">{before}<mark id="qa-cited" class="qa-cited">{cited}</mark>'
        f"{after}</div></div>"
    )


def citation_panel(
    answer: Answer, turn: int, index: int, text: str, line: int | None = None
) -> str:
    """The source of one citation, with every other citation of the answer one click away."""
    cited = answer.citations[index]
    related = ""
    if len(answer.citations) > 1:
        chips = "".join(
            _chip(Ref(turn, "c", i), c.source, c.start, c.end, f"[{i + 1}]", i == index)
            for i, c in enumerate(answer.citations)
        )
        related = f'<div class="qa-related"><span>{esc(agreement_note(answer))}</span>{chips}</div>'
    heading = f"Citation [{index + 1}] for “{answer.question}”"
    return source_panel(cited.source, text, cited.start, cited.end, heading, related, line)


def passage_panel(answer: Answer, index: int, text: str, line: int | None = None) -> str:
    passage = answer.passages[index]
    heading = f"Closest passage {index + 1} for “{answer.question}”"
    return source_panel(passage.source, text, passage.start, passage.end, heading, line=line)


def header(folder: str, path: str, files: int, mode: str) -> str:
    """The line at the top of the page: which folder is served, how many files, how answers
    are made."""
    return (
        '<div class="qa-header"><span class="qa-title">Grounded QA</span>'
        f'<span class="qa-folder">{esc(folder)}</span>'
        f'<span class="qa-path">{esc(path)}</span>'
        f'<span class="qa-files">{files} file{"" if files == 1 else "s"}</span>'
        f'<span class="qa-mode">answers: {esc(mode)}</span></div>'
    )


def status(message: str, ok: bool = True) -> str:
    """One line under a control: what just happened, or the error's own message."""
    css = "qa-status-ok" if ok else "qa-status-error"
    mark = "" if ok else "⚠ "
    return f'<div class="qa-status {css}">{mark}{esc(message)}</div>'


def size_text(size_bytes: int) -> str:
    if size_bytes < 1000:
        return f"{size_bytes} B"
    if size_bytes < 1_000_000:
        return f"{size_bytes / 1000:.1f} kB"
    return f"{size_bytes / 1_000_000:.1f} MB"


def when_text(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "–"


def history(turns: Sequence[Answer]) -> list[dict[str, str]]:
    """Earlier turns as the plain-text chat history the assistant reads follow-ups against."""
    messages = []
    for answer in turns:
        messages.append({"role": "user", "content": answer.question})
        messages.append({"role": "assistant", "content": answer.text})
    return messages
