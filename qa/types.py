"""The public data contract: what an answer is and how it points into the sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from index.view import FileSpan

__all__ = ["Answer", "Citation", "FileSpan", "Passage", "Removed", "Tier"]

Tier = Literal["confident", "tentative", "not_found"]
"""How far an answer can be trusted: "confident" (the reader's calibrated threshold or
above), "tentative" (below it, but above the floor calibrated on the user's folder: shown
hedged) or "not_found" (nothing the assistant can stand behind)."""


@dataclass(frozen=True)
class Removed:
    """A sentence an LLM wrote that the final answer leaves out, and why."""

    sentence: str
    reason: str
    """"unsupported" (its cited spans do not state it: see ``missing``) or "off the question"
    (true, but the spans it rests on do not answer what was asked)."""
    missing: tuple[str, ...] = ()
    """The sentence's terms (stemmed) that none of its cited spans contains."""


@dataclass(frozen=True)
class Citation:
    """An exact span of a source: ``source_text[start:end] == quote`` always holds.

    Build citations with :meth:`from_text`, which slices the quote out of the text
    itself, so the invariant holds by construction.
    """

    source: str
    start: int
    end: int
    quote: str
    score: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span {self.start}:{self.end} in {self.source}")
        if len(self.quote) != self.end - self.start:
            raise ValueError(
                f"quote length {len(self.quote)} does not match span {self.start}:{self.end}"
            )

    @classmethod
    def from_text(
        cls, source: str, text: str, start: int, end: int, score: float = 0.0
    ) -> Citation:
        if end > len(text):
            raise ValueError(f"span {start}:{end} is past the end of {source} ({len(text)} chars)")
        return cls(source, start, end, text[start:end], round(float(score), 4))

    def overlaps(self, other: Citation) -> bool:
        return self.source == other.source and self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk of a source, with its place in the source text."""

    source: str
    start: int
    end: int
    text: str
    score: float = 0.0


@dataclass(frozen=True)
class Answer:
    """What the assistant says, and the spans it rests on.

    ``text`` is made of the cited spans (extractive mode) or checked against them
    (LLM mode). ``tier`` says how far to trust it: a tentative answer is shown hedged
    ("Possibly: ..."), and a "not_found" one lists the closest ``passages`` so a reader
    sees what was found. ``searched`` is the standalone question that was actually
    searched (it differs from ``question`` for follow-ups).
    """

    text: str
    citations: tuple[Citation, ...]
    tier: Tier
    question: str
    searched: str
    passages: tuple[Passage, ...] = ()
    agreement: str = ""
    """"single" (one source says it), "agree" (every cited source says it) or "differ" (the
    sources give different accounts: the text then holds each one's, each with its citation);
    empty when nothing was found."""
    confidence: float = 0.0
    """How sure the reader is that its best span answers (0 to 1, 0.5 at its calibrated
    threshold); ``Settings.abstain_below`` is where "confident" begins."""
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    removed: tuple[Removed, ...] = ()
    """LLM sentences left out of ``text`` (LLM mode)."""

    @property
    def abstained(self) -> bool:
        """Nothing found to stand behind: neither a confident nor a tentative answer."""
        return self.tier == "not_found"

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "tier": self.tier,
            "abstained": self.abstained,
            # four significant digits: a tentative answer's 3e-05 is not the 0 of none
            "confidence": float(f"{self.confidence:.4g}"),
            "agreement": self.agreement,
            "question": self.question,
            "searched": self.searched,
            "citations": [asdict(c) for c in self.citations],
            "passages": [asdict(p) for p in self.passages],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "removed": [asdict(r) for r in self.removed],
        }


def spoken(answer: Answer) -> str:
    """The answer as said to a person: a tentative one hedged, a missing one with what follows."""
    if answer.tier == "tentative":
        return f"Possibly: {answer.text}"
    if answer.abstained and answer.passages:
        return f"{answer.text} The closest passages:"
    return answer.text
