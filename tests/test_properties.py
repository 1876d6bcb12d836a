"""Property tests: whatever the text, every chunk, sentence and citation is a slice."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunk import WORD_REACH, between_words, chunk_document
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


@settings(max_examples=100, deadline=None)
@given(documents, st.sampled_from([(32, 0), (48, 8), (128, 24)]))
def test_every_chunk_is_a_slice_of_its_document(text: str, size: tuple[int, int]) -> None:
    for chunk in chunk_document(SourceDoc("doc.txt", text), *size):
        assert text[chunk.start : chunk.end] == chunk.text


@settings(max_examples=100, deadline=None)
@given(documents, st.sampled_from([(32, 0), (48, 8)]))
def test_chunks_begin_and_end_between_words(text: str, size: tuple[int, int]) -> None:
    """Unless the word is a run without white space longer than a chunk edge may move."""
    for chunk in chunk_document(SourceDoc("doc.txt", text), *size):
        for edge, reach in (
            (chunk.start, text[max(0, chunk.start - WORD_REACH) : chunk.start]),
            (chunk.end, text[chunk.end : chunk.end + WORD_REACH]),
        ):
            assert between_words(text, edge) or not any(c.isspace() for c in reach)


@settings(max_examples=100, deadline=None)
@given(documents)
def test_sentences_and_citations_are_slices(text: str) -> None:
    for start, end in sentence_spans(text):
        assert 0 <= start < end <= len(text)
        citation = Citation.from_text("doc.txt", text, start, end)
        assert text[citation.start : citation.end] == citation.quote
