"""The reader: its windows and span decoding (pure), and the shipped int8 model itself."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest

from qa.read import (
    MAX_ANSWER_TOKENS,
    MAX_LENGTH,
    MODEL_DIR,
    STRIDE,
    Reader,
    averaged,
    best_spans,
    encode,
    shared_reader,
    windows,
)
from tests.conftest import REPO


@pytest.fixture(scope="module")
def tokenizer() -> object:
    return shared_reader().tokenizer


def test_windows_cover_every_token_of_a_long_passage_with_overlap(tokenizer: object) -> None:
    passage = " ".join(f"word{i} is here." for i in range(400))
    pieces = windows(tokenizer, "Which word is here?", encode(tokenizer, [passage]))
    assert len(pieces) > 3
    covered: set[tuple[int, int]] = set()
    for w in pieces:
        assert len(w.ids) <= MAX_LENGTH
        assert len(w.ids) == len(w.type_ids) == len(w.offsets) == len(w.in_context)
        inside = [w.offsets[i] for i, flag in enumerate(w.in_context) if flag]
        covered.update(inside)
        assert all(passage[a:b].strip() for a, b in inside)
    total = tokenizer.encode(passage, add_special_tokens=False).offsets  # type: ignore[attr-defined]
    assert covered == set(total)
    first, second = (
        [o for o, f in zip(w.offsets, w.in_context, strict=True) if f] for w in pieces[:2]
    )
    assert len(set(first) & set(second)) == STRIDE


def test_windows_keep_to_their_own_passage(tokenizer: object) -> None:
    pieces = windows(tokenizer, "Who?", encode(tokenizer, ["Ada wrote it.", "Bo read it."]))
    assert [w.passage for w in pieces] == [0, 1]
    assert pieces[0].type_ids[0] == 0 and pieces[0].type_ids[-1] == 1


def test_a_unit_break_stands_between_units_and_never_in_an_answer(tokenizer: object) -> None:
    """A model trained with a unit break reads one between every two lines or cells of the
    reading view, a mark of no width on which no answer begins or ends; the text's own
    tokens are read as without it."""
    text = "Dependencies\nidna - Internationalized domain names.\tsniffio - Async detection"
    plain = encode(tokenizer, [text])[0]
    marked = encode(tokenizer, [text], ";")[0]
    mark = tokenizer.token_to_id(";")  # type: ignore[attr-defined]
    breaks = [i for i, (a, b) in enumerate(marked.offsets) if a == b]
    assert len(breaks) == 2 and all(marked.ids[i] == mark for i in breaks)
    for i in breaks:
        assert not marked.may_start[i] and not marked.may_end[i]
        assert text[marked.offsets[i - 1][1] : marked.offsets[i + 1][0]] in ("\n", "\t")
    kept = [i for i in range(len(marked.ids)) if i not in breaks]
    for column in ("ids", "offsets", "may_start", "may_end", "unit", "mark"):
        assert [getattr(marked, column)[i] for i in kept] == getattr(plain, column)
    with pytest.raises(ValueError, match="not a token of the vocabulary"):
        encode(tokenizer, [text], "¶¶")


def logits(**peaks: float) -> np.ndarray:
    """64 token scores of -10, but for the peaks (``i5=9.0`` scores token 5 at 9)."""
    out = np.full(64, -10.0, dtype=np.float32)
    for at, value in peaks.items():
        out[int(at[1:])] = value
    return out


def best_span(
    start: np.ndarray,
    end: np.ndarray,
    context: np.ndarray,
    may_start: np.ndarray | None = None,
    may_end: np.ndarray | None = None,
    unit: np.ndarray | None = None,
) -> tuple[int, int, float]:
    """The best span of one row; every context token a word of one unit unless told."""
    begins = context if may_start is None else context & may_start
    ends = context if may_end is None else context & may_end
    units = np.zeros(len(context), dtype=np.int64) if unit is None else unit
    marks = np.zeros(len(context), dtype=np.int64)
    return best_spans(start[None], end[None], begins[None], ends[None], units[None], marks[None])[0]


def test_best_span_respects_context_order_and_length() -> None:
    context = np.array([False] * 2 + [True] * 62)
    assert best_span(logits(i10=5.0), logits(i12=5.0), context) == (10, 12, 10.0)
    # A pair that ends before it starts is no span.
    assert best_span(logits(i20=9.0), logits(i18=9.0), context)[2] == -1.0
    # [CLS] (outside the context) is never a span: its score is the no-answer score.
    both = {"i0": 20.0, "i4": 1.0}
    assert best_span(logits(**both), logits(i0=20.0, i6=1.0), context) == (4, 6, 2.0)
    # A span of MAX_ANSWER_TOKENS tokens or more does not count.
    last = {f"i{10 + MAX_ANSWER_TOKENS}": 9.0}
    assert best_span(logits(i10=9.0), logits(**last), context)[2] == -1.0
    assert best_span(logits(i10=9.0), logits(i39=9.0), context) == (10, 39, 18.0)
    assert best_span(logits(), logits(), np.zeros(64, dtype=bool))[2] == float("-inf")


def test_best_span_begins_and_ends_where_allowed_within_one_unit() -> None:
    context = np.array([False] * 2 + [True] * 62)
    may_start, may_end = context.copy(), context.copy()
    may_start[11], may_end[13] = False, False
    # The peaks sit inside words: the best allowed span is the next best pair.
    best = best_span(
        logits(i11=9.0, i10=5.0), logits(i13=9.0, i14=4.0), context, may_start, may_end
    )
    assert best == (10, 14, 9.0)
    unit = np.array([0] * 12 + [1] * 52)
    # A span never runs from one unit (a line, a cell) into the next.
    assert best_span(logits(i10=9.0, i12=1.0), logits(i14=9.0), context, unit=unit) == (
        12,
        14,
        10.0,
    )


def test_the_shipped_model_is_small_and_is_the_file_its_card_names() -> None:
    card = json.loads((MODEL_DIR / "reader.json").read_text())
    model = (MODEL_DIR / "reader.int8.onnx").read_bytes()
    assert len(model) < 30 * 2**20
    assert hashlib.sha256(model).hexdigest() == card["sha256"]
    assert isinstance(card["threshold"], float)
    assert not set(card["split"]["held_out"]) & set(card["split"]["train"])


def test_it_finds_the_answer_span_and_declines_what_the_passage_does_not_say() -> None:
    passage = (
        "The lighthouse on Gull Rock was kept by Ilse Varga from 1921 until 1957. "
        "It was automated in 1960, and its lamp can be seen 18 miles out to sea."
    )
    reader = shared_reader()
    cases = {"Who kept the lighthouse?": "Ilse Varga", "When was it automated?": "1960"}
    for question, expected in cases.items():
        best = reader.read(question, [passage])[0]
        assert passage[best.start : best.end] == expected
        assert best.margin > reader.threshold
    off = reader.read("What is the population of the island's main town?", [passage])[0]
    assert off.margin < reader.threshold


def test_reading_imports_neither_torch_nor_transformers() -> None:
    code = (
        "import sys\n"
        "from qa.read import shared_reader\n"
        "shared_reader().read('Who wrote it?', ['Ada Lovelace wrote it.'])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"


def test_a_passage_of_one_line_reads_the_same_with_the_second_reading() -> None:
    """Without a unit break there is no mark to add: both readings are the same, and so is
    their average, to the last bit of the margin."""
    passage = "The lighthouse on Gull Rock was kept by Ilse Varga from 1921 until 1957."
    both = shared_reader().read("Who kept the lighthouse?", [passage])
    plain = Reader(second_reading=False).read("Who kept the lighthouse?", [passage])
    assert both == plain


def test_the_second_reading_averages_each_token_s_scores_without_the_marks() -> None:
    reader = shared_reader()
    question = "Which package adds SOCKS proxy support?"
    lists = ["Extras\nh2 - HTTP/2 support\nsocksio - SOCKS proxy support", "socksio\tSOCKS"]
    long = " ".join(["A sentence of filler words that runs on."] * 40) + "\nsocksio - SOCKS"
    passages = [*lists, long]
    plain = windows(reader.tokenizer, question, encode(reader.tokenizer, passages))
    marked = windows(reader.tokenizer, question, encode(reader.tokenizer, passages, ";"))
    assert [w.passage for w in plain[:2]] == [0, 1] and len(plain) > 3  # the long one: 2+
    scores = [(np.arange(len(w.ids), dtype=np.float32),) * 2 for w in plain]
    other = [(np.arange(len(w.ids), dtype=np.float32) + 100,) * 2 for w in marked]
    mean = averaged(plain, scores, marked, other)
    mark = reader.tokenizer.token_to_id(";")
    for p in (0, 1):  # one window each way: each token's score averaged with its own
        kept = [
            k for k, i in enumerate(marked[p].ids) if not (marked[p].in_context[k] and i == mark)
        ]
        assert len(kept) == len(plain[p].ids) < len(marked[p].ids)  # the marks, dropped
        start, end = mean[p]
        assert (start == (np.arange(len(kept)) + np.array(kept) + 100) / 2).all()
        assert (end == start).all()
    for w, (start, _) in zip(plain[2:], mean[2:], strict=True):  # several windows: plain
        assert (start == np.arange(len(w.ids))).all()
