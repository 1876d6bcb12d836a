"""The reader: its windows and span decoding (pure), and the shipped int8 model itself."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from eval.metrics import load_gold
from eval.run import DEFAULT_GOLD
from qa.read import (
    MAX_ANSWER_TOKENS,
    MAX_LENGTH,
    MODEL_DIR,
    STRIDE,
    best_spans,
    encode,
    shared_reader,
    windows,
)
from qa.train import (
    Example,
    diagnose,
    entity_swapped_negatives,
    question_key,
    removed_negatives,
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


def logits(**peaks: float) -> np.ndarray:
    """64 token scores of -10, but for the peaks (``i5=9.0`` scores token 5 at 9)."""
    out = np.full(64, -10.0, dtype=np.float32)
    for at, value in peaks.items():
        out[int(at[1:])] = value
    return out


def best_span(start: np.ndarray, end: np.ndarray, context: np.ndarray) -> tuple[int, int, float]:
    return best_spans(start[None], end[None], context[None])[0]


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


def squad_question(id_: str, question: str, answer: str, context: str) -> dict[str, Any]:
    """A SQuAD question whose answer is the first place ``answer`` occurs in ``context``."""
    answers = [{"text": answer, "answer_start": context.index(answer)}]
    return {"id": id_, "question": question, "answers": answers}


def test_answer_removed_negatives_lose_the_answer_and_keep_the_rest() -> None:
    context = (
        "The bridge opened in 1932. It was closed in 1990 after its cables corroded. "
        "A new bridge was built nearby. Tolls paid for it."
    )
    qas = [
        squad_question("why", "Why was the bridge closed?", "after its cables corroded", context),
        squad_question("open", "When did the bridge open?", "1932", context),
        squad_question("toll", "What paid for the new bridge?", "bridge", context),
    ]
    article = {"title": "Bridge", "paragraphs": [{"context": context, "qas": qas}]}
    made = {e.id: e for e in removed_negatives([article], share=1.0, seed=0)}
    why = made["why_removed"]
    assert why.impossible and "corroded" not in why.context
    assert why.context == (
        "The bridge opened in 1932. A new bridge was built nearby. Tolls paid for it."
    )
    assert "open_removed" in made and "1932" not in made["open_removed"].context
    assert "toll_removed" not in made  # "bridge" is still in what is left: not a negative
    assert removed_negatives([article], share=0.0, seed=0) == []


def test_entity_swapped_negatives_ask_about_what_the_paragraph_never_mentions() -> None:
    bridge = "The Harbour Bridge opened in 1932, built by Dorman Long for the city of Sydney."
    tunnel = "The Harbour Tunnel opened in 1992, built by Transfield for the city of Sydney."
    qas = [
        squad_question(
            "builder", "What firm built the bridge for Sydney in 1932?", "Dorman Long", bridge
        ),
        squad_question("plain", "What firm built the bridge?", "Dorman Long", bridge),
    ]
    article = {
        "title": "Harbour",
        "paragraphs": [{"context": bridge, "qas": qas}, {"context": tunnel, "qas": []}],
    }
    made = {e.id: e for e in entity_swapped_negatives([article], share=1.0, seed=0)}
    swapped = made["builder_entity"]
    # One name or number swapped for one of the same shape the bridge's paragraph never
    # mentions ("Sydney" may not come back: it is in both).
    assert swapped.impossible and swapped.context == bridge
    assert swapped.question in {
        "What firm built the bridge for Transfield in 1932?",
        "What firm built the bridge for Sydney in 1992?",
    }
    assert "plain_entity" not in made  # nothing in it to swap
    assert entity_swapped_negatives([article], share=0.0, seed=0) == []


def test_diagnosis_tells_span_finding_from_deciding() -> None:
    def item(*answers: str) -> Example:
        return Example("id", "", "q", "", tuple((a, 0) for a in answers))

    items = [item("Dorman Long"), item("1932"), item(), item()]
    preds = [("Dorman Long", 5.0), ("Sydney", -1.0), ("1992", 3.0), ("", -2.0)]
    found = diagnose(items, preds)
    assert found.has_ans_f1_always_answering == 0.5  # one right span of two
    assert found.answerability_auc == 0.75  # 5 beats 3 and -2; -1 beats only -2
    assert found.f1_if_deciding_perfectly == 0.75  # the right span and both abstentions


def test_the_shipped_model_is_small_and_is_the_file_its_card_names() -> None:
    card = json.loads((MODEL_DIR / "reader.json").read_text())
    model = (MODEL_DIR / "reader.int8.onnx").read_bytes()
    assert len(model) < 30 * 2**20
    assert hashlib.sha256(model).hexdigest() == card["sha256"]
    assert isinstance(card["threshold"], float)
    assert not set(card["split"]["held_out"]) & set(card["split"]["train"])


def test_the_int8_model_reads_like_the_torch_checkpoint_it_came_from() -> None:
    """The best spans the torch checkpoint gave at export (expected.json) come out again, but
    for a few that int8 rounding tips over to a near-tie; and so do its decisions to answer
    or abstain at the calibrated threshold, which is what a user sees of the margin."""
    cases = json.loads((MODEL_DIR / "expected.json").read_text())
    questions = {question_key(item.question): item.question for item in load_gold(DEFAULT_GOLD)}
    reader = shared_reader()
    same = decided_alike = 0
    for case in cases:
        text = (REPO / case["source"]).read_text(encoding="utf-8")
        passage = text[case["passage_start"] : case["passage_end"]]
        best = reader.read(questions[case["question_sha1"]], [passage])[0]
        same += (best.start, best.end) == (case["start"], case["end"])
        decided_alike += (best.margin > reader.threshold) == (case["margin"] > reader.threshold)
    assert same >= 0.85 * len(cases), f"only {same} of {len(cases)} spans agree"
    assert decided_alike >= 0.9 * len(cases), f"{decided_alike} of {len(cases)} decisions agree"


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
