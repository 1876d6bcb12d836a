"""Training on identifiers (train/identifiers.py): SQuAD answers renamed as the flags,
functions and variables technical documents answer with, their offsets kept exact."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_train_shapes import example
from train.data import Example
from train.identifiers import coded, identifier, recoded, renamed
from train.shapes import Articles

CONTEXT = (
    "The compressor was written in 2015 by Ada Lovelace for the Analytical Engine. "
    "Ada Lovelace also wrote its manual, and the Analytical Engine ran it at night."
)
QUESTION = "Who wrote the compressor for the Analytical Engine?"


def _item(answers: tuple[tuple[str, int], ...]) -> Example:
    return Example("q", "Title", QUESTION, CONTEXT, answers)


def test_an_answer_is_renamed_everywhere_the_paragraph_writes_it() -> None:
    item = _item((("Ada Lovelace", CONTEXT.index("Ada Lovelace")),))
    renames = {coded(item, random.Random(seed)).answers[0][0] for seed in range(40)}
    assert len(renames) > 5  # several styles: --ada-lovelace, ada_lovelace(), ADA_LOVELACE...
    for seed in range(40):
        out = coded(item, random.Random(seed))
        ((text, at),) = out.answers
        assert out.context[at : at + len(text)] == text
        assert "Ada Lovelace" not in out.context
        assert out.context.count(text) == 2
        assert re.sub(r"[^a-z]", "", text.lower()).startswith("adalovelace")


def test_a_name_the_question_shares_with_the_paragraph_is_renamed_in_both() -> None:
    item = _item(())  # unanswerable: only a name of the paragraph is renamed
    outs = [coded(item, random.Random(seed)) for seed in range(40)]
    both = [o for o in outs if "Analytical Engine" not in o.question]
    assert both, "the shared name is never renamed"
    for out in both:
        assert "Analytical Engine" not in out.context
        assert out.answers == ()
        new = out.question.removeprefix("Who wrote the compressor for the ").removesuffix("?")
        assert out.context.count(new) == 2


def test_numbers_phrases_and_long_names_stay_as_they_are() -> None:
    rng = random.Random(0)
    assert identifier("2015", rng) is None
    assert identifier("the Analytical Engine", rng) is None
    assert identifier("her appearance", rng) is None
    assert identifier("Farrah Franklin and Michelle Williams", rng) is None
    assert identifier("Lovelace", rng) is not None
    item = _item((("2015", CONTEXT.index("2015")),))
    assert all(coded(item, random.Random(s)).answers == item.answers for s in range(20))


def test_renaming_maps_offsets_outside_the_renamed_words() -> None:
    text, moved = renamed("a Bo b Bo c Bob", "Bo", "--bo-x")
    assert text == "a --bo-x b --bo-x c Bob"
    assert moved(2) == 2 and text[moved(5) or 0] == "b" and moved(3) is None
    assert text[moved(10) or 0] == "c" and text[moved(12) or 0 :] == "Bob"


@given(example(), st.integers(0, 2**32))
@settings(max_examples=300, deadline=None)
def test_a_coded_example_keeps_its_answer_exactly_where_it_says(
    case: tuple[Example, Articles], seed: int
) -> None:
    item = case[0]
    for out in recoded([item] * 5, 1.0, seed):
        assert out.impossible == item.impossible
        assert len(out.answers) == len(item.answers)
        for text, at in out.answers:
            assert out.context[at : at + len(text)] == text
