import itertools
from pathlib import Path

import pytest

from index.load import read_text
from qa.answer import phrases, rest_phrase
from qa.question import Question
from qa.text import clause_spans, content_terms, numbers, sentence_spans

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_sentences_of_seeds_are_exact_trimmed_slices(path: Path) -> None:
    text = read_text(path, 2**20)
    spans = sentence_spans(text)
    assert len(spans) > 20
    for a, b in spans:
        piece = text[a:b]
        assert piece == piece.strip() and piece
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans))


def test_sentences_do_not_break_at_abbreviations() -> None:
    text = "Donald Trump Jr. expressed criticism. The U.S. and NATO agreed. Mr. Smith left."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Donald Trump Jr. expressed criticism.",
        "The U.S. and NATO agreed.",
        "Mr. Smith left.",
    ]


def test_line_breaks_and_colons_end_sentences() -> None:
    text = "He wrote on social media:\nGotta lock in those $Trillions. Life be dammed!!!"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "He wrote on social media:",
        "Gotta lock in those $Trillions.",
        "Life be dammed!!!",
    ]


def test_clauses_split_at_commas_and_dashes_but_not_in_numbers() -> None:
    text = "The mines feature a fuse - a battery that dies, reducing risks to 10,000 people."
    clauses = [text[a:b] for a, b in clause_spans(text, 0, len(text))]
    assert clauses == [
        "The mines feature a fuse",
        "a battery that dies",
        "reducing risks to 10,000 people.",
    ]


def test_terms_are_stemmed_content_words_and_numbers() -> None:
    assert content_terms("How many U.S. soldiers were deployed?") == ["usa", "soldier", "deploy"]
    assert numbers("10,000 North Korean soldiers and 3 ships") == {"10000", "3"}


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("What kind of weapon has the U.S. approved?", "weapon"),
        ("Which White House body responded?", "white house body"),
        ("Which country's troops were sent?", "country"),
        ("Through what medium did he voice it?", "medium"),
        ("What did Russia update?", ""),
        ("What makes the trigger work?", ""),
        ("Who criticised the decision?", ""),
    ],
)
def test_a_question_names_what_it_asks_for(question: str, noun: str) -> None:
    assert Question.parse(question).asked_for == noun


def test_phrases_are_runs_of_content_words_without_participles_at_the_ends() -> None:
    text = "Per Fox News, an electric fuse powered by a battery, marking anti-personnel mines"
    assert [text[a:b] for a, b in phrases(text)] == [
        "Per Fox News",
        "electric fuse",
        "battery",
        "anti-personnel mines",
    ]


@pytest.mark.parametrize(
    ("question", "span", "rest"),
    [
        (
            "What did he accuse the Biden administration of?",
            "He accused the Biden administration of prioritizing profits over diplomacy.",
            "prioritizing profits over diplomacy",
        ),
        # After the last question word only "dies" is left: the fuller run wins.
        (
            "What happens to the mines once their battery runs out?",
            "the mines become inoperative once the battery dies",
            "become inoperative",
        ),
        # A clause break ends the answer, and a dangling "-ing" word is dropped.
        (
            "What did Putin update?",
            "Putin updated the doctrine to lower the bar for using, officials said",
            "doctrine to lower the bar",
        ),
        ("What did Putin update?", "Nothing here names the question's words.", None),
    ],
)
def test_rest_phrase_is_what_a_span_says_past_the_question(
    question: str, span: str, rest: str | None
) -> None:
    found = rest_phrase(Question.parse(question), span)
    assert (span[found[0] : found[1]] if found else None) == rest
