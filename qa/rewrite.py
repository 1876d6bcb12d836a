"""Follow-ups: turn "And France?" or "What did he say?" into a question that stands alone.

Deterministic, with no rule for one kind of text: the topic and names of earlier turns
are carried into the new question. The result reads ``<question> — about: <carried
topic>``, and retrieval and the reader both take all of it, so the earlier turn's terms
are searched for too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from qa.text import STOPWORDS, is_abbreviation, normalize_token, tokens

CONTEXT_SEP = " — about: "

_LEAD = re.compile(r"^(and|so|but|also|then|ok(ay)?|well)\b[\s,]*", re.I)
_ABOUT = re.compile(r"^(what|how) about\s+", re.I)
_QUESTION_WORD = re.compile(r"\b(what|who|whom|whose|when|where|why|how|which)\b", re.I)
_QUESTION_START = re.compile(
    r"^(did|does|do|is|are|was|were|has|have|had|can|could|will|would|should|tell|give|list"
    r"|name|describe|explain)\b",
    re.I,
)
_PERSON_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers)\b", re.I)
_THING_PRONOUN = re.compile(r"\b(it|its|that|this|they|them|their|those|these|there|then)\b", re.I)
#: An option, a word joined by underscores, or words joined by "::", "." or "/". Only ever
#: fullmatched: searched for, its lookaheads would take quadratic time over a long word.
_IDENTIFIER = re.compile(
    r"-{1,2}[A-Za-z][\w-]*|(?=\w*_)(?=_*[^\W_])\w+|\w{2,}(?:(?:::|\.|/)\w{2,})+"
)
_NAME_RUN = re.compile(r"(?:[A-Z][\w’'.-]*)(?:\s+(?:[A-Z][\w’'.-]*|of|the))*(?<!\sof)(?<!\sthe)")


def standalone_question(question: str, history: Sequence[Mapping[str, str]]) -> str:
    turns = [i for i, m in enumerate(history) if m.get("role") == "user"]
    if not turns:
        return question
    last = turns[-1]
    earlier = standalone_question(history[last].get("content", ""), history[:last])
    previous = main_part(earlier)
    context = _topic(earlier)
    stripped = _LEAD.sub("", question).strip()
    stripped = stripped[:1].upper() + stripped[1:]
    if _ABOUT.match(stripped) or not (
        _QUESTION_WORD.search(stripped) or _QUESTION_START.match(stripped)
    ):
        subject = _ABOUT.sub("", stripped).rstrip(" ?.!")
        names = _names(previous)
        if len(names) == 1 and subject:  # one name asked about before: this one instead
            return previous.replace(names[0], subject, 1)
        return f"{subject}{CONTEXT_SEP}{context}" if subject else previous
    replies = [m.get("content", "") for m in history if m.get("role") == "assistant"]
    people = (_names(replies[-1], skip_first=False) if replies else []) + _names(previous)
    if people and _PERSON_PRONOUN.search(stripped):
        person = people[0]
        stripped = _PERSON_PRONOUN.sub(lambda m: _possessive(m.group(0), person), stripped, count=1)
    if len(_content(stripped)) < 2 and replies:  # "How many?", "Why?": the reply is the topic
        context = " ".join(dict.fromkeys([*context.split(), *_content(replies[-1])]))
    if _THING_PRONOUN.search(stripped) or len(_content(stripped)) < 2:
        return f"{stripped}{CONTEXT_SEP}{context}"
    return stripped


def main_part(searched: str) -> str:
    return searched.split(CONTEXT_SEP, 1)[0]


def context_part(searched: str) -> str:
    parts = searched.split(CONTEXT_SEP, 1)
    return parts[1] if len(parts) == 2 else ""


def _possessive(pronoun: str, person: str) -> str:
    return f"{person}’s" if pronoun.lower() in ("his", "her", "hers") else person


def _names(text: str, skip_first: bool = True) -> list[str]:
    """Runs of capitalised words: "Great Britain", "Saint Helena", "J. R. R. Tolkien"."""
    words = text.split(None, 1)
    body = (words[1] if len(words) == 2 else "") if skip_first else text
    names = (_trim(m.group(0)) for m in _NAME_RUN.finditer(body))
    return [n for n in names if n and normalize_token(n.split()[0]) not in STOPWORDS]


def _trim(name: str) -> str:
    name = re.sub(r"^(The|A|An)\s+", "", name.rstrip("?,!"))
    name = re.sub(r"[’']s$", "", name)
    if name.endswith(".") and not is_abbreviation(name[:-1].rsplit(None, 1)[-1]):
        name = name[:-1]
    return name


def _content(text: str) -> list[str]:
    """Content words and numbers; an identifier (``get_cached_controller()``, ``--rtl``,
    ``os.path``) whole, as the sources write it, so that its words are searched together."""
    words: list[str] = []
    for written in text.split():
        word = written.strip("\"'“”‘’`,;:?!()[]{}<>").removesuffix(".")
        parts = re.split(r"::|[./]", word)
        if _IDENTIFIER.fullmatch(word) and not all(p.lower() in STOPWORDS for p in parts):
            words.append(word)
        else:
            words += [t for t in tokens(written) if normalize_token(t) not in STOPWORDS]
    return words


def _topic(searched: str) -> str:
    """The words of an earlier question worth carrying: its content words, in order."""
    words = _content(main_part(searched)) + _content(context_part(searched))
    return " ".join(dict.fromkeys(words))
