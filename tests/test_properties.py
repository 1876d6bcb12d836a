"""Property tests: whatever the text, every chunk, sentence and citation is a slice."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunk import CLOSING_MARKS, WORD_REACH, chunk_document
from index.load import SourceDoc
from qa.text import sentence_spans
from qa.types import Citation

#: Words, punctuation that ends sentences and clauses, and odd white space and letters.
pieces = st.one_of(
    st.sampled_from(["The", "mines", "U.S.", "Dr.", "3,000", "Kyiv", "é", "地雷", "\U0001f600"]),
    st.sampled_from([". ", "? ", "! ", ", ", "; ", ": ", " - ", "—", "\n", "\n\n", "  ", "\t"]),
    st.text(min_size=1, max_size=12),
)
documents = st.lists(pieces, min_size=1, max_size=120).map("".join)
#: Runs without white space around a chunk edge's reach (URLs, paths, minified code).
long_words = st.lists(
    st.one_of(st.text(alphabet="abc/.-_:()[]", min_size=60, max_size=240), st.just("word")),
    min_size=1,
    max_size=12,
).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(documents, st.sampled_from([(32, 0), (48, 8), (128, 24)]))
def test_every_chunk_is_a_slice_of_its_document(text: str, size: tuple[int, int]) -> None:
    for chunk in chunk_document(SourceDoc("doc.txt", text), *size):
        assert text[chunk.start : chunk.end] == chunk.text


@settings(max_examples=100, deadline=None)
@given(documents | long_words, st.sampled_from([(32, 0), (32, 8), (48, 8)]))
def test_chunks_begin_and_end_between_words(text: str, size: tuple[int, int]) -> None:
    """Beside white space, after a footnote's sentence ("Crown.[12]"), or inside a run
    without white space longer than a chunk edge may move; never the same chunk twice."""
    chunks = chunk_document(SourceDoc("doc.txt", text), *size)
    assert len({c.id for c in chunks}) == len(chunks)
    for chunk in chunks:
        for edge, reach in (
            (chunk.start, text[max(0, chunk.start - WORD_REACH) : chunk.start]),
            (chunk.end, text[chunk.end : chunk.end + WORD_REACH]),
        ):
            outer = edge in (0, len(text)) or text[edge - 1].isspace() or text[edge].isspace()
            ended = text[:edge].rstrip(CLOSING_MARKS)
            footnote = (
                0 < edge < len(text)
                and text[edge] in "([{"
                and ended[-1:] in (".", "!", "?")
                and ended[:-1].rstrip(CLOSING_MARKS)[-1:].isalnum()
            )
            assert outer or footnote or not any(c.isspace() for c in reach)


@settings(max_examples=100, deadline=None)
@given(documents)
def test_sentences_and_citations_are_slices(text: str) -> None:
    for start, end in sentence_spans(text):
        assert 0 <= start < end <= len(text)
        citation = Citation.from_text("doc.txt", text, start, end)
        assert text[citation.start : citation.end] == citation.quote
