"""Chunk: sentence-aware splitting (llama-index) with every chunk placed exactly in its source,
beginning and ending between words."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from index.load import SourceDoc


@dataclass(frozen=True)
class Chunk:
    """``text == source_text[start:end]``: the text is sliced, never rebuilt."""

    source: str
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        key = f"{self.source}\x00{self.start}\x00{self.end}\x00{self.text}"
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def chunk_document(doc: SourceDoc, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    from llama_index.core.node_parser import SentenceSplitter  # 0.6 s: only when indexing

    splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    chunks: list[Chunk] = []
    cursor = 0
    for piece in splitter.split_text(doc.text):
        if not piece.strip():
            continue
        start, end = locate(doc.text, piece, cursor)
        cursor = start + 1
        start, end = whole_lines(doc.text, *whole_words(doc.text, start, end))
        start = with_line_before(doc.text, start)
        if chunks and chunks[-1].start <= start and end <= chunks[-1].end:
            continue  # pieces of one long word widen to the chunk that already holds it
        chunks.append(Chunk(doc.path, start, end, doc.text[start:end]))
    return chunks


#: How far a chunk's edge moves to reach white space; a longer run without any (minified
#: code, an encoded blob) is no word a reader answers with, and stays cut.
WORD_REACH = 100


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` widened until both edges are :func:`between_words`. The splitter's
    last resorts cut at punctuation and then between characters, inside ``1.2.4-beta.0`` or
    a run of code lines without spaces, and a reader given half a token answers with half a
    token."""
    begin, stop = start, end
    while not between_words(text, begin) and start - begin < WORD_REACH:
        begin -= 1
    while not between_words(text, stop) and stop - end < WORD_REACH:
        stop += 1
    return (
        begin if between_words(text, begin) else start,
        stop if between_words(text, stop) else end,
    )


#: How far a chunk's edge moves to the start or end of its line (about a dozen words).
LINE_REACH = 80


def whole_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` widened to the start and end of its first and last lines when they
    are near and the edge is not between sentences. When a run of lines holds no sentence's
    end (settings, code, a list of names) the splitter cuts between words, "SUB_UID_MIN" in
    one chunk and its value in the next, and neither chunk says what the value is."""
    first = text.rfind("\n", 0, start) + 1
    if start - first <= LINE_REACH and not _ends_sentence(text, start):
        start = first
    last = text.find("\n", end)
    last = len(text) if last < 0 else last
    if last - end <= LINE_REACH and not _ends_sentence(text, end):
        end = last
    return start, end


def with_line_before(text: str, start: int) -> int:
    """A chunk that begins a line goes back to the start of the line before it (blank lines
    between) when that line is short and ends no sentence: a heading ("Changes in release
    1.9"), a command over its output. The splitter puts such a line at the end of the chunk
    before, away from the text it heads, and neither chunk then says what that text is
    about."""
    if start <= 0 or text[start - 1] != "\n":
        return start
    end = start - 1
    while end > 0 and text[end - 1] == "\n":
        end -= 1
    first = text.rfind("\n", 0, end) + 1
    last = _before_closing_marks(text, end - 1)
    if first == end or end - first > LINE_REACH or (last >= first and text[last] in ".!?"):
        return start
    return first


def _ends_sentence(text: str, at: int) -> bool:
    """Whether the text before ``at`` ends a sentence, or a clause at a line's end ("Example:"
    over what it introduces; "name: value" goes on). Stepped back over, not sliced: a chunk's
    edges are looked at in every chunk of a long file."""
    end, broke = at - 1, False
    while end >= 0 and text[end].isspace():
        broke, end = broke or text[end] == "\n", end - 1
    end = _before_closing_marks(text, end)
    return end >= 0 and (text[end] in ".!?" or (broke and text[end] in ":;"))


def between_words(text: str, at: int) -> bool:
    """Whether position ``at`` of ``text`` is at its edge, beside white space, or between a
    sentence's end and a bracket opening right after it (a footnote: "Crown.[12]",
    "tonnes).[d]", 'said."[4]', but not jq's ``'.[0]'`` nor ``if(!(x))``)."""
    if at <= 0 or at >= len(text):
        return True
    if text[at - 1].isspace() or text[at].isspace():
        return True
    end = _before_closing_marks(text, at - 1)
    if text[at] not in "([{" or end < 0 or text[end] not in ".!?":
        return False
    word = _before_closing_marks(text, end - 1)
    return word >= 0 and text[word].isalnum()


def _before_closing_marks(text: str, at: int) -> int:
    """The last position at or before ``at`` that is not a closing bracket or quote."""
    while at >= 0 and text[at] in CLOSING_MARKS:
        at -= 1
    return at


#: What may close a sentence's last word before its period: a bracket or a quote.
CLOSING_MARKS = ")]}\"'”’"


def locate(text: str, piece: str, cursor: int) -> tuple[int, int]:
    """Where ``piece`` stands in ``text`` at or after ``cursor``.

    The splitter may fold the white space between sentences, so when the piece
    is not a verbatim substring it is matched word by word with any white space
    between the words.
    """
    found = text.find(piece, cursor)
    if found >= 0:
        return found, found + len(piece)
    words = piece.split()
    pattern = re.compile(r"\s*".join(re.escape(w) for w in words))
    match = pattern.search(text, cursor) or pattern.search(text)
    if match is None:
        raise ValueError(f"chunk text not found in its source: {piece[:60]!r}")
    return match.start(), match.end()
