"""What a question asks for: its type, its terms and the names it mentions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from qa.rewrite import main_part
from qa.text import STOPWORDS, content_words, normalize_token, proper_names, stem, tokens


class Kind(Enum):
    NUMBER = "number"
    DURATION = "duration"
    DATE = "date"
    TIME = "time"
    NAME = "name"
    PERSON = "person"
    OUTLET = "outlet"
    PLACE = "place"
    REASON = "reason"
    STATEMENT = "statement"
    YES_NO = "yes/no"
    OTHER = "other"


_AUX = r"(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should)"
_KIND_PATTERNS: list[tuple[Kind, re.Pattern[str]]] = [
    (Kind.DURATION, re.compile(r"\bhow (long|soon)\b|\bfor how long\b|\bwhat period\b")),
    (
        Kind.NUMBER,
        re.compile(r"\bhow (many|much|big|large)\b|\bwhat (number|amount|percentage|share)\b"),
    ),
    (Kind.DATE, re.compile(r"\b(what|which|on what|in what) (year|date|day|month)\b")),
    (
        Kind.TIME,
        re.compile(
            r"^when\b|\bwhen (did|does|do|will|was|were|is|are|has|had)\b"
            r"|\bwhat time\b|\bat what point\b"
        ),
    ),
    (Kind.NAME, re.compile(r"\b(the|his|her|their) (full )?name\b|\bwhat is .+ called\b")),
    (
        Kind.REASON,
        re.compile(
            r"^why\b|\bwhy\b|\bwhat (prompted|caused|led|drove|motivated)\b"
            r"|\bfor what reason\b|\bwhat was the reason\b|\bwhat reason\b"
        ),
    ),
    (
        Kind.STATEMENT,
        re.compile(
            r"\bwhat did .+ (say|write|post|state|tweet|claim|argue)\b"
            r"|\bhow did .+ (react|respond)\b|\bwhat was .+ (reaction|response)\b"
            r"|\bwhat .+ (said|wrote|posted)\b"
        ),
    ),
    (
        Kind.OUTLET,
        re.compile(
            r"\b(which|what) (\w+ )?(outlet|newspaper|paper|network|news \w+|media \w+"
            r"|magazine|broadcaster)s?\b"
        ),
    ),
    (
        Kind.PERSON,
        re.compile(
            r"^who\b|\bwho (is|was|did|has|had|said|wrote|criticized|criticised)\b"
            r"|\bwhich (person|official|outlet|newspaper|network|leader|president"
            r"|news|media|spokesperson|politician|organi[sz]ation|agency|industry|alliance"
            r"|body|group|governments?)\b|\bwhose\b"
        ),
    ),
    (
        Kind.PLACE,
        re.compile(
            r"^where\b|\bwhere (did|does|do|will|was|were|is|are|can|could)\b"
            r"|\bwhich (region|country|area|territory|city|place|countries)\b"
            r"|\bin what (region|country|area|place)\b"
        ),
    ),
    (
        Kind.YES_NO,
        re.compile(rf"^(so |and |but )?{_AUX}\b"),
    ),
]


_PHRASE = r"(?P<noun>[a-z][\w\s.'’-]*?)"
#: "What kind of weapon has...", "Which military alliance does...", "Which outlet confirmed...":
#: the noun a question names its answer by.
_ASKED_FOR = [
    re.compile(rf"\b(?:which|what)\s+(?:kinds?|types?|sorts?)\s+of\s+{_PHRASE}\s+{_AUX}\b"),
    re.compile(rf"\bwhich\s+{_PHRASE}(?:\s+{_AUX}\b|\s+\w+ed\b)"),
    re.compile(rf"\bwhat\s+{_PHRASE}\s+{_AUX}\b"),
]


@dataclass(frozen=True)
class Question:
    text: str
    kind: Kind
    terms: tuple[str, ...]
    names: frozenset[str]
    words: Mapping[str, str]
    """Each term as the question writes it (normalised, unstemmed), for embedding."""
    asked_for: str = ""
    """The noun the question names its answer by ("military alliance"), if it names one."""

    @classmethod
    def parse(cls, text: str) -> Question:
        """Kind from the question itself; terms and names also from a carried follow-up topic."""
        kind = _kind(main_part(text))
        names = proper_names(text) | {
            stem(normalize_token(t)) for t in tokens(text)[:1] if t[:1].isupper() and _is_name(t)
        }
        words = dict(content_words(text))
        return cls(text, kind, tuple(words), frozenset(names), words, _asked_for(main_part(text)))


def _kind(text: str) -> Kind:
    low = " ".join(text.lower().split())
    return next((k for k, pat in _KIND_PATTERNS if pat.search(low)), Kind.OTHER)


def _asked_for(text: str) -> str:
    low = " ".join(text.lower().split())
    for pattern in _ASKED_FOR:
        match = pattern.search(low)
        if match:
            noun = re.split(r"[’']s\b", match.group("noun"))[0]
            first = noun.split()[0]
            return "" if first in STOPWORDS | _QUESTION_OPENERS else noun
    return ""


def _is_name(word: str) -> bool:
    return normalize_token(word) not in _QUESTION_OPENERS | STOPWORDS


_QUESTION_OPENERS = frozenset(
    "what who whom whose when where why how which is are was were do does did can could "
    "will would should has have had and but so tell give list name describe explain".split()
)
