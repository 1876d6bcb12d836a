import itertools
from pathlib import Path

import pytest

from index.load import read_text
from index.view import reading_view
from qa.text import (
    _SENTENCE_END,
    asks_for_calendar,
    asks_for_count,
    content_terms,
    item_named,
    names_a_day,
    numbered_headings,
    numbered_items,
    numbered_rows,
    numbers,
    sentence_spans,
    with_comparison,
    with_named_word,
    with_whole_name,
    without_lone_marks,
    writes_a_date,
    written_numbers,
)

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


def test_a_numbered_part_before_its_number_does_not_end_a_sentence() -> None:
    text = (
        "See Fig. 3 and clause No. 12 of Vol. 2 here. The text ends in 2020. 15 people came. "
        "It ended in Rome. 12 delegates left."
    )
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "See Fig. 3 and clause No. 12 of Vol. 2 here.",
        "The text ends in 2020.",
        "15 people came.",
        "It ended in Rome.",
        "12 delegates left.",
    ]


def test_a_range_of_two_periods_does_not_end_a_sentence() -> None:
    text = "Values run 0 .. UINT_MAX Apply to all. He paused... Then he went home.. Then left."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Values run 0 .. UINT_MAX Apply to all.",
        "He paused...",
        "Then he went home..",
        "Then left.",
    ]


def test_a_run_of_marks_ends_a_sentence_from_its_first_mark_only() -> None:
    # A dot leader of thousands of periods: tried from each period, finding the sentences
    # took time quadratic in the run (seconds for 16,000); tried from the first, linear.
    leader = "." * 20_000
    text = f"Contents{leader}5 Wait?!.. Then go."
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences == [f"Contents{leader}5 Wait?!..", "Then go."]
    assert _SENTENCE_END.match(text, text.index("!")) is None


def test_a_list_items_label_begins_its_sentence() -> None:
    text = "2.9. The cache files are here. Then.\n10. THIS IS AS IS.\nHe was 10. Then left."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "2.9. The cache files are here.",
        "Then.",
        "10. THIS IS AS IS.",
        "He was 10.",
        "Then left.",
    ]


@pytest.mark.parametrize(
    ("span", "kept"),
    [
        ("- /var/spool/pagecache", "/var/spool/pagecache"),
        ("# Seconds", "Seconds"),
        ("Default -", "Default"),
        ("| 5MB |", "5MB"),
        ("R & D", "R & D"),  # marks inside an answer stay
        ("&&", "&&"),  # and marks alone answer too
        ("\\\\, \\'", "\\\\, \\'"),
        ("-- --", "-- --"),
        ("≥ 3.8", "≥ 3.8"),  # a sign of what follows it stays
        ("$ 5 -", "$ 5"),
    ],
)
def test_an_answer_sheds_words_of_marks_alone_at_its_edges(span: str, kept: str) -> None:
    text = f"Say {span} now"
    start, end = without_lone_marks(text, (4, 4 + len(span)))
    assert text[start:end] == kept


def test_line_breaks_and_colons_end_sentences() -> None:
    text = "He wrote on social media:\nGotta lock in those $Trillions. Life be dammed!!!"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "He wrote on social media:",
        "Gotta lock in those $Trillions.",
        "Life be dammed!!!",
    ]


def test_terms_are_stemmed_content_words_and_numbers() -> None:
    # NLTK's English stop words (what bm25s ships) drop "how" and "were", not "many".
    terms = content_terms("How many U.S. soldiers were deployed?")
    assert terms == ["mani", "u.s.", "soldier", "deploy"]
    assert numbers("10,000 North Korean soldiers and 3 ships") == {"10000", "3"}


def test_the_numbers_a_text_writes_include_the_leading_parts_of_a_version() -> None:
    assert written_numbers("Released 4.4.1 on 10,000 machines.") == {"4", "4.4", "4.4.1", "10000"}
    # a release of two parts is the one a question names with a third of 0
    written = written_numbers("Version 3.1 (2 January 2024)")
    assert written == {"3", "3.1", "3.1.0", "2", "2024"}


def test_numbers_are_compared_without_the_zeros_that_pad_them() -> None:
    # and of a date written the ISO way, only its year, which any way of writing it writes
    assert numbers("Released on 2024-01-02, build 007, 0 errors") == {"2024", "7", "0"}
    assert numbers("0,5 of it") == {"05"}  # a decimal comma is no padding


def test_numbered_headings_are_short_one_line_blocks_in_any_layout() -> None:
    text = (
        "Release notes\n\n"  # a heading, but no number
        "Version 2.0 (3 March 2021)\n\n"
        "A complete list is at https://example.org/bugs/index.php?report_id=111&release=108\n\n"
        "https://example.org/bugs/index.php?report_id=111&release=108\n\n"
        "This release fixes 12 bugs.\n\n"
        "Fixes since v1.9\n\n"
        "$ pip install widget[http2]\n\n"
        "Faster parser.\nLine 2 of this block: 3 more.\n\n"
        "v1.9.1\n\n"
        "Release date: 08-Mar-2021\n\n"  # a field under the heading, in a block of its own
        "Version 1.9: the rewrite\n\n"
        "Release: 1.8.2"  # a heading shaped as a field, naming its version
    )
    found = numbered_headings(text)
    assert [text[a:b] for (a, b), _ in found] == [
        "Version 2.0 (3 March 2021)",
        "Fixes since v1.9",
        "v1.9.1",
        "Version 1.9: the rewrite",
        "Release: 1.8.2",
    ]
    assert found[0][1] == {"2", "2.0", "2.0.0", "3", "2021"}
    assert found[2][1] == {"1", "1.9", "1.9.1"}
    # As the reading view lays out Markdown and HTML: "## [2.0.1] - 2024-01-02", "<h2>".
    markdown = reading_view(".md", "# Changes\n\n## [2.0.1] - 2024-01-02\n\n- Fixed 3 bugs.\n")
    html = reading_view(".html", "<h1>Changes</h1><h2>Release 3.1</h2><p>Fixed 3 bugs.</p>")
    for view, heading in ((markdown, "[2.0.1] - 2024-01-02"), (html, "Release 3.1")):
        assert [view.text[a:b] for (a, b), _ in numbered_headings(view.text)] == [heading]


@pytest.mark.parametrize(
    ("text", "answer", "question", "widened"),
    [
        # the word a bare number counts, when the question names it and it ends its phrase
        (
            "Up to 256 characters of the string are read.",
            "256",
            "How many characters are read?",
            "256 characters",
        ),
        (
            "The server restarts after 3 attempts, then stops.",
            "3",
            "After how many attempts does the server restart?",
            "3 attempts",
        ),
        (
            "Reports are answered within 5 days\nEscalate after that.",
            "5",
            "Within how many days are reports answered?",
            "5 days",
        ),
        # not named by the question, not ending its phrase, not a bare number, not beside it
        ("The server restarts after 3 attempts.", "3", "When does the server restart?", "3"),
        (
            "They sent 10,000 North Korean soldiers.",
            "10,000",
            "How many North Korean soldiers?",
            "10,000",
        ),
        (
            "They want to get World War 3 going.",
            "World War 3",
            "What do they want to get going?",
            "World War 3",
        ),
        ("The format is specified in RFC 8878.", "8878", "Which RFC specifies the format?", "8878"),
        ("Level\t3\tattempts", "3", "How many attempts?", "3"),
        ("It waits 3\nattempts", "3", "How many attempts?", "3"),
        ("It waits 3 attempts-long", "3", "How many attempts?", "3"),
        # a lone negation takes in what it negates, when the question names it
        (
            "We were not surprised by the announcement.",
            "not",
            "Was the council surprised by the announcement?",
            "not surprised",
        ),
        (
            "By default it will\nNot override existing variables.",
            "Not",
            "Does it override existing variables by default?",
            "Not override",
        ),
        ("It is never cached.", "never", "Is the result cached?", "never cached"),
        ("It is not a bug.", "not", "What is it?", "not"),
        ("It did not\nfail.", "not", "Did it fail?", "not"),
        ("It is nothing cached.", "nothing", "Is the result cached?", "nothing"),
    ],
)
def test_a_span_that_says_nothing_alone_takes_in_the_word_the_question_names(
    text: str, answer: str, question: str, widened: str
) -> None:
    start = text.index(answer)
    span = with_named_word(text, (start, start + len(answer)), set(content_terms(question)))
    assert text[span[0] : span[1]] == widened


@pytest.mark.parametrize(
    ("text", "answer", "widened"),
    [
        (
            "The mines become inoperative once the battery dies, says CBS News, within weeks.",
            "CBS",
            "CBS News",
        ),
        (
            "Donald Trump Jr. expressed strong criticism of the decisions on his social media.",
            "Donald Trump",
            "Donald Trump Jr.",
        ),
        (
            "The school sits on the bank of the Charles River, across from the city of Boston.",
            "Charles",
            "Charles River",
        ),
        (
            "The mines are sent with a fuse to the army, as reported by the Associated Press.",
            "Associated",
            "Associated Press",
        ),
        # a sentence's end is not a name's
        (
            "The package is maintained by Ilse Varga. Support requests go to the tracker.",
            "Ilse",
            "Ilse Varga",
        ),
        # lower case, a line break, or a comma ends a name
        (
            "The fuse is electric and powered by a battery, as the makers say.",
            "electric",
            "electric",
        ),
        (
            "The report was written by Varga\nPublished later in the year by the ministry.",
            "Varga",
            "Varga",
        ),
        (
            "The tool was written by Varga, Smith and others over many years of work.",
            "Varga",
            "Varga",
        ),
        # on a title most words are capitalised: no name is marked by capitals there
        ("How The Release Process Works In Practice", "Release", "Release"),
        ("The build ran at night, then failed:   \nAgain the next morning.", "   ", "   "),
    ],
)
def test_a_span_does_not_end_inside_a_name(text: str, answer: str, widened: str) -> None:
    start = text.index(answer)
    span = with_whole_name(text, (start, start + len(answer)))
    assert text[span[0] : span[1]] == widened


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("On what date was 4.3 released?", "date"),
        ("In which years did the survey run?", "year"),
        ("What century was it built in?", "century"),
        ("When was 4.3 released?", None),
        ("What data does the report hold?", None),
    ],
)
def test_a_question_asks_for_a_date_with_its_calendar_word(question: str, word: str | None) -> None:
    assert asks_for_calendar(question) == word


@pytest.mark.parametrize(
    ("answer", "word", "dated"),
    [
        ("19 Jan 2020", "date", True),
        ("March", "month", True),
        ("on Tuesday", "day", True),
        ("the following year", "year", True),
        ("nineteenth", "century", True),
        ("the late sixties", "decade", True),
        ("weeks before the inauguration", "date", False),
        ("the market decision", "date", False),
    ],
)
def test_an_answer_writes_a_date_or_the_word_asked_for(answer: str, word: str, dated: bool) -> None:
    assert writes_a_date(answer, word) is dated


@pytest.mark.parametrize(
    ("answer", "day"),
    [
        ("19 Jan 2020", True),
        ("released on March 3", True),
        ("Sept. 14", True),
        ("2024-01-02", True),
        ("3 attempts", False),
        ("March", False),
        ("1,200 bugs", False),
        ("version 2024.1", False),
        ("5 mayors", False),
    ],
)
def test_a_count_is_never_a_day_of_the_calendar(answer: str, day: bool) -> None:
    assert names_a_day(answer) is day
    assert asks_for_count("How many bugs were fixed in 4.3?")
    assert asks_for_count("how much memory does it need?")
    assert not asks_for_count("When was 4.3 released?")


def test_numbered_items_run_to_the_next_item_or_the_end_of_their_block() -> None:
    text = "Steps:\n1. Stop it.\n   more of one\n(2) Copy.\n3.1) Deep\n\nAfter.\n2023. A year."
    items = numbered_items(text)
    assert [(text[a:b], number) for (a, b), number in items] == [
        ("1. Stop it.\n   more of one", "1"),
        ("(2) Copy.", "2"),
        ("3.1) Deep", "3.1"),
    ]


def test_numbered_rows_are_rows_whose_first_cell_is_a_number() -> None:
    text = "Code\tMeaning\n0\tallowed\n103\tsyntax error\n2.1 is a version\n7\n1.5\tslow\tsoon"
    assert [(text[a:b], number) for (a, b), number in numbered_rows(text)] == [
        ("0\tallowed", "0"),
        ("103\tsyntax error", "103"),
        ("1.5\tslow\tsoon", "1.5"),
    ]


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        ("Python 3.5: charset-normalizer < 2.1", "2.1", "< 2.1"),
        ("requires <2.1 and", "2.1", "<2.1"),
        ("Supported: ≥ 6 cores", "6", "≥ 6"),
        ("(<= 4) at most", "4", "<= 4"),
        ("maps x -> 2 always", "2", "2"),  # an arrow's head is no bound
        ("if a<5 then", "5", "5"),  # code, not a bound written out
        ("the < sign, then version 7", "version 7", "version 7"),
    ],
)
def test_a_number_written_as_a_bound_keeps_its_comparison(
    text: str, answer: str, expected: str
) -> None:
    start = text.rindex(answer)
    begin, end = with_comparison(text, (start, start + len(answer)))
    assert text[begin:end] == expected


@pytest.mark.parametrize(
    ("question", "item"),
    [
        ("What is step 2?", "2"),
        ("What does Section 4.1 require?", "4.1"),
        ("What does clause (3) say?", "3"),
        ("When do backups run on the 3 database servers?", None),  # a count, not a label
        ("What are steps 2 and 3?", None),  # two items: neither alone
        ("What happened in step 2 in 2019?", None),
        ("Who wrote it?", None),
    ],
)
def test_the_list_item_a_question_names(question: str, item: str | None) -> None:
    assert item_named(question) == item
