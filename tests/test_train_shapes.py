"""Training on documents (train/shapes.py, train/recover.py): SQuAD paragraphs laid out as
the reading view lays out users' documents, and the shipped reader recovered from its int8
file as the point a stage begins from."""

from __future__ import annotations

import random
import string
from dataclasses import asdict, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.read import MODEL_DIR
from train.data import Example
from train.recipe import RECIPE, Pool, Schedule, load_recipe, recorded
from train.shapes import BLOCK, CELL, LINE, Articles, index_articles, reshaped, shape

WORDS = st.text(string.ascii_letters + "0123456789'-", min_size=1, max_size=9)


@st.composite
def sentence(draw: st.DrawFn) -> str:
    """Words, some followed by a comma, perhaps an "is" or "was" among the first few."""
    words = draw(st.lists(WORDS, min_size=1, max_size=14))
    commas = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    words = [w + ("," if c else "") for w, c in zip(words, commas, strict=True)]
    copula = draw(st.sampled_from(["", "is", "was"]))
    if copula:
        words.insert(draw(st.integers(1, 3)), copula)
    body = " ".join(words).rstrip(",")
    return body[0].upper() + body[1:] + draw(st.sampled_from(".!?"))


@st.composite
def example(draw: st.DrawFn) -> tuple[Example, Articles]:
    """A paragraph of random sentences, a question whose answer is a run of its words (or
    none), and an article of a few such paragraphs."""
    paragraphs = draw(
        st.lists(st.lists(sentence(), min_size=1, max_size=6), min_size=1, max_size=4)
    )
    contexts = [" ".join(p) for p in paragraphs]
    context = contexts[0]
    words = [(m, m + len(w)) for m, w in _word_spans(context)]
    answers: tuple[tuple[str, int], ...] = ()
    if draw(st.booleans()):
        first = draw(st.integers(0, len(words) - 1))
        last = draw(st.integers(first, min(first + 8, len(words) - 1)))
        begin, end = words[first][0], words[last][1]
        answers = ((context[begin:end], begin),)
    title = draw(st.sampled_from(["Some_Article", "Topic", "A_Long_Title_With_Words"]))
    article = {
        "title": title,
        "paragraphs": [
            {"context": c, "qas": [{"id": f"q{n}", "question": "What is it?", "answers": []}]}
            for n, c in enumerate(contexts)
        ],
    }
    found = Example("q0", title, "What is it?", context, answers)
    return found, index_articles([article])


def _word_spans(text: str) -> list[tuple[int, str]]:
    out, at = [], 0
    for word in text.split(" "):
        out.append((at, word))
        at += len(word) + 1
    return out


@given(example(), st.integers(0, 2**32))
@settings(max_examples=300, deadline=None)
def test_a_shaped_example_keeps_its_answer_exactly_where_it_says(
    case: tuple[Example, Articles], seed: int
) -> None:
    item, articles = case
    for shaped in (shape(item, articles, random.Random(seed + n)) for n in range(10)):
        check_shaped(item, shaped)


def check_shaped(item: Example, shaped: Example | None) -> None:
    assert shaped is not None  # an answer of whole words always comes out whole
    assert len(shaped.answers) == len(item.answers)
    for (text, _), (new_text, at) in zip(item.answers, shaped.answers, strict=True):
        assert new_text == text
        assert shaped.context[at : at + len(text)] == text
    # Every word of the paragraph is still there (but a field's "is"), units on lines.
    words = set(item.context.replace(",", " ").split()) - {"is", "was"}
    assert words <= set(shaped.context.replace(",", " ").replace(":", " ").split())
    assert "\n\n\n" not in shaped.context and not shaped.context.startswith(LINE)


def squad_article(title: str, contexts: list[str]) -> dict[str, Any]:
    paragraphs = []
    for n, context in enumerate(contexts):
        answer = context.split()[-1].rstrip(".")
        qa = {
            "id": f"{title}_{n}_0",
            "question": f"What is paragraph {n} about?",
            "answers": [{"text": answer, "answer_start": context.rindex(answer)}],
        }
        paragraphs.append({"context": context, "qas": [qa]})
    return {"title": title, "paragraphs": paragraphs}


ARTICLE = squad_article(
    "Harbour_Bridge",
    [
        "The Harbour Bridge was opened in 1932. It was built by Dorman Long. It carries rail.",
        "The bridge is painted grey. Painting takes ten years. The paint is made in Sydney.",
        "Tolls are paid by drivers heading south. The toll was raised in 2009 by the state.",
        "The pylons are made of granite. Each pylon is 89 metres high above the water.",
    ],
)


def items() -> list[Example]:
    found = []
    for n, paragraph in enumerate(ARTICLE["paragraphs"]):
        qa = paragraph["qas"][0]
        answer = qa["answers"][0]
        found.append(
            Example(
                qa["id"],
                "Harbour_Bridge",
                qa["question"],
                paragraph["context"],
                ((answer["text"], answer["answer_start"]),),
            )
        )
        other = ARTICLE["paragraphs"][(n + 1) % 4]["context"]
        found.append(Example(qa["id"] + "_swap", "Harbour_Bridge", qa["question"], other, ()))
    return found


def test_shapes_are_seeded_and_lay_out_units_as_the_reading_view_does() -> None:
    articles = index_articles([ARTICLE])
    pool = items() * 20
    once, again = (reshaped(pool, articles, 0.5, seed=3) for _ in range(2))
    assert once == again
    assert reshaped(pool, articles, 0.5, seed=4) != once
    assert reshaped(pool, articles, 0.0, seed=3) == pool
    texts = [e.context for e in reshaped(pool, articles, 1.0, seed=3)]
    assert any(t.startswith("Harbour Bridge" + BLOCK) for t in texts)  # the title, a heading
    assert any(LINE in t.replace(BLOCK, "") for t in texts)  # sentences as list items
    assert any(CELL in t or ": " in t for t in texts)  # fields, table rows
    assert any(t.count(BLOCK) >= 2 for t in texts)  # blocks of the article


def test_negatives_stay_negatives_and_never_get_their_question_s_own_paragraph() -> None:
    articles = index_articles([ARTICLE])
    negatives = [e for e in items() if e.impossible]
    own = {e.id: p["context"] for e, p in zip(negatives, ARTICLE["paragraphs"], strict=True)}
    for seed in range(200):
        for shaped in reshaped(negatives, articles, 1.0, seed):
            assert shaped.impossible
            assert own[shaped.id] not in shaped.context


def test_the_shipped_stages_are_recorded_as_before_later_settings_existed() -> None:
    """Feature caches and checkpoints are named and checked by the recorded recipe: version
    6's stages, at the new settings' defaults, record as they always did."""
    for stage in load_recipe(RECIPE).stages[:2]:
        old = asdict(stage)
        del old["pool"]["shaped"], old["pool"]["skip"], old["pool"]["coded"]
        del old["schedule"]["restart"]
        assert recorded(stage) == old
    pool = Pool(examples=10, v2_repeat=1, swapped=0.1, removed=0.0, entity=0.0, shaped=0.5)
    assert recorded(pool)["shaped"] == 0.5
    assert recorded(replace(pool, skip=4))["skip"] == 4
    assert recorded(replace(pool, coded=0.3))["coded"] == 0.3


def test_a_restart_warms_up_afresh_from_its_step() -> None:
    schedule = Schedule(lr=3e-5, warmup=100, steps=12_700, restart=11_700)
    assert schedule.lr_at(11_700) == pytest.approx(3e-5 / 100)
    assert schedule.lr_at(11_799) == pytest.approx(3e-5)
    assert schedule.lr_at(12_699) == pytest.approx(3e-5 / 900)
    plain = Schedule(lr=1e-4, warmup=300, steps=11_700)
    assert replace(plain, restart=0).lr_at(8200) == plain.lr_at(8200)


def test_the_reader_recovered_from_its_int8_file_reads_as_that_file_does() -> None:
    from train.recover import agreement, recovered_model

    found = agreement(recovered_model(MODEL_DIR), MODEL_DIR, cases=12)
    assert found.same_span >= 9, found
    assert found.median_logit_diff < 0.3, found
