"""Answers are whole whitespace-delimited tokens, whatever the text: never half an option,
a path, a version or an address."""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.read import best_spans, encode, load_tokenizer, shared_reader

OPENERS, CLOSERS = "([{\"'“‘«<`", ")]}\"'”’`»>.,;:!?"


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return load_tokenizer()


def allowed_spans(tokenizer: Any, text: str) -> list[str]:
    """Every span the reader may answer with in ``text`` (of at most 30 tokens): each pair of
    tokens scored highest in turn, kept when the reader's decoding takes exactly that pair."""
    passage = encode(tokenizer, [text])[0]
    n = len(passage.ids)
    pairs = list(itertools.combinations_with_replacement(range(n), 2))
    start, end = np.full((len(pairs), n), -10.0), np.full((len(pairs), n), -10.0)
    for row, (s, e) in enumerate(pairs):
        start[row, s], end[row, e] = 10.0, 10.0

    def each(values: list[Any]) -> np.ndarray:
        return np.array([values] * len(pairs))

    best = best_spans(
        start,
        end,
        each(passage.may_start),
        each(passage.may_end),
        each(passage.unit),
        each(passage.mark),
    )
    return [
        text[passage.offsets[s][0] : passage.offsets[e][1]]
        for (s, e), found in zip(pairs, best, strict=True)
        if found == (s, e, 20.0)
    ]


#: A lone "=" inside a word, not part of an operator ("==", ">=", "=>"), outside an address.
SETTING = re.compile(r"(?<=[^=<>!~:+*/%&|^-])=(?=[^=>~])")


def is_whole(text: str, span: str, at: int) -> bool:
    """Whether ``text[at:at+len(span)]`` begins and ends at word edges, give or take opening
    marks before it and closing marks, sentence punctuation or a possessive after it; a lone
    "=" between two words' characters is an edge too (a setting's key and value)."""
    begin = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at)) + 1
    stop = min(
        [i for i in (text.find(" ", at + len(span)), text.find("\n", at + len(span))) if i >= 0]
        or [len(text)]
    )
    word = text[begin:stop]
    cuts = [] if "://" in word else [m.start() + begin for m in SETTING.finditer(word)]
    before = text[max([begin - 1, *(c for c in cuts if c < at)]) + 1 : at]
    after = text[at + len(span) : min([stop, *(c for c in cuts if c >= at + len(span))])]
    closing = re.escape(CLOSERS)
    return all(c in OPENERS for c in before) and bool(
        re.fullmatch(f"(?:[{closing}]|'s|’s)*", after)
    )


CASES = {
    "Pass --jobserver-auth to each sub-make.": ("--jobserver-auth", ["auth", "jobserver-auth"]),
    "Read $(.SHELLSTATUS) after the call.": ("$(.SHELLSTATUS)", ["SHELLSTATUS", "$(.SHELLSTATUS"]),
    "Install python-dotenv[cli] first.": ("python-dotenv[cli]", ["dotenv", "python-dotenv[cli"]),
    "It needs Python 3.8+ to run.": ("3.8+", ["3.8", "8+"]),
    "Tagged v2.0.1, then v2.1.": ("v2.0.1", ["v2.0", "2.0.1"]),
    "Logs go to /var/log/quill/run.log daily.": ("/var/log/quill/run.log", ["run.log", "quill"]),
    "Write to ops-team@quill.example today.": ("ops-team@quill.example", ["quill.example", "ops"]),
    "The limit is (10,000).": ("10,000", ["10", "000", "10,000)"]),
    "inc('1.2.3', 'beta') // '1.2.4-beta'": ("1.2.4-beta", ["'1.2.4-beta", "// '1.2.4-beta"]),
    "A ‘quoted’ word, the students' union.": ("students' union", ["‘quoted", "quoted’ word"]),
    "Pick 'one' or 'two', (a) or (b).": ("'one' or 'two'", ["one' or 'two", "a) or (b"]),
    "Set FLIT_USERNAME=__token__ or a==b.": ("__token__", ["token__", "b", "a="]),
    'Pass limits="openmp_blas" or >=1.2 on.': ("openmp_blas", ["openmp", '"openmp_blas', "1.2"]),
    "Use --memlimit=LIMIT on.": ("--memlimit", ["memlimit", "--memlimit="]),
    "Use --prefix=/usr/local or --nice=-5 on.": ("/usr/local", ["usr/local", "local", "5"]),
    "Set 'key'='value' now.": ("key", ["key'", "'key'="]),
    "See https://x.org/?id=42&lang=en now.": ("https://x.org/?id=42&lang=en", ["42", "en"]),
    "2.9. The cache\n(b) Its size is 10.": ("2.9. The cache", ["2.9", "(b)", "b"]),
    "Use the new `shopt' builtin.": ("shopt", ["`shopt", "shopt'", "new `shopt"]),
    "Run pull <repository> <remote-ref> now.": ("<remote-ref>", ["<remote-ref", "remote-ref>"]),
}


@pytest.mark.parametrize("text", list(CASES))
def test_technical_tokens_are_answered_whole_or_not_at_all(tokenizer: Any, text: str) -> None:
    whole, cut = CASES[text]
    spans = allowed_spans(tokenizer, text)
    assert whole in spans
    for piece in cut:
        assert piece not in spans


def test_an_answer_stays_on_its_line_and_in_its_cell(tokenizer: Any) -> None:
    spans = allowed_spans(tokenizer, "Installation\nRun the setup.\nname\tvalue")
    assert "Installation" in spans and "Run the setup" in spans and "value" in spans
    assert not [s for s in spans if "\n" in s or "\t" in s]


technical = st.from_regex(r"[A-Za-z0-9$(){}\[\]./@:_+\-\"',;!?<>=“”‘’`]{1,14}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(technical, min_size=1, max_size=8))
def test_every_allowed_span_is_made_of_whole_tokens(words: list[str]) -> None:
    text = " ".join(words)
    tokenizer = load_tokenizer()
    for span in allowed_spans(tokenizer, text):
        positions = [i for i in range(len(text)) if text.startswith(span, i)]
        assert any(is_whole(text, span, i) for i in positions), (text, span)


def test_the_reader_answers_with_whole_tokens() -> None:
    passage = (
        "Quill 3.2 release notes. The --cache-dir flag is gone: to keep downloaded wheels "
        "between runs, pass --persist-cache-dir=PATH instead. Builds now need cmake 3.21+. "
        "Logs are written to /var/log/quill/run.log."
    )
    reader = shared_reader()
    expected = {
        "Which cmake version do builds need?": "3.21+",
        "Where are logs written?": "/var/log/quill/run.log",
        "Which option keeps downloaded wheels between runs?": None,
        "Which flag is gone?": None,
    }
    for question, answer in expected.items():
        best = reader.read(question, [passage])[0]
        span = passage[best.start : best.end]
        assert is_whole(passage, span, best.start), span
        assert answer is None or span == answer
