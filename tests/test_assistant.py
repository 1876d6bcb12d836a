"""The public contract, answered over the real seeds with the real model and Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.embed import OnnxEmbedder
from qa import Answer, Assistant, Citation, InvalidQuestion, Settings
from qa.answer import MAX_QUOTE_CHARS, NOT_FOUND, ReaderAnswerer
from qa.errors import SourceFileError
from qa.read import shared_reader
from qa.text import names_a_day, sentence_spans, writes_a_date
from qa.types import Passage, spoken
from tests.conftest import ANSWER_MORE, SEEDS


@pytest.fixture(scope="module")
def reading(seeds_assistant: Assistant) -> Assistant:
    """For tests of what follows the decision to answer (citations, agreement): the seeds
    assistant answering wherever the reader finds any span, whatever its tier."""
    settings = seeds_assistant.settings.replace(abstain_below=ANSWER_MORE)
    return Assistant.open(SEEDS, settings, embedder=seeds_assistant.embedder)


def assert_grounded(assistant: Assistant, answer: Answer) -> None:
    for c in answer.citations:
        assert assistant.source_text(c.source)[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("How long do the mines stay active?", "hours"),
        ("Who criticised the decision?", "Donald Trump Jr."),
        ("How many North Korean soldiers joined Russia's forces?", "10,000"),
        ("How many North Korean soldiers were sent?", "10,000"),
        ("In which region are the North Korean troops deployed?", "Kursk"),
        ("Which missiles did Britain and France allow Ukraine to fire?", "Storm Shadow"),
    ],
)
def test_factual_questions_are_answered_by_a_span_cited_in_its_sentence(
    seeds_assistant: Assistant, question: str, fact: str
) -> None:
    """At the shipped decision: each is answered, confidently or tentatively."""
    answer = seeds_assistant.ask(question)
    assert answer.tier in ("confident", "tentative")
    assert fact in answer.text
    assert_grounded(seeds_assistant, answer)
    first = answer.citations[0]
    assert answer.text.split("; ")[0] in first.quote, "the answer is a span of its citation"
    text = seeds_assistant.source_text(first.source)
    assert (first.start, first.end) in sentence_spans(text), "and that citation is a sentence"
    assert len(answer.text.split()) <= 12


def test_a_tentative_answer_is_hedged_and_cited_like_a_confident_one(
    seeds_assistant: Assistant,
) -> None:
    answer = seeds_assistant.ask("How many North Korean soldiers were sent?")
    assert answer.tier == "tentative" and not answer.abstained
    assert seeds_assistant.floor.confidence <= answer.confidence < 0.5
    assert spoken(answer) == f"Possibly: {answer.text}"
    assert answer.to_dict()["tier"] == "tentative"
    assert_grounded(seeds_assistant, answer)


def test_a_small_confidence_is_reported_as_itself_not_as_zero() -> None:
    """A tentative answer over a folder with a low floor is 3e-05 sure: not 0, as "not
    found" is."""
    answer = Answer("1,000", (), "tentative", "How many?", "How many?", confidence=3.14159e-05)
    assert answer.to_dict()["confidence"] == 3.142e-05


def test_a_fact_both_sources_state_cites_both(reading: Assistant) -> None:
    answer = reading.ask("How long do the mines stay active?")
    assert {c.source for c in answer.citations} == {
        "seeds/000_68eca9a7738f22f0.txt",
        "seeds/001_8c109d270abcdae8.txt",
    }
    assert all("hours" in c.quote for c in answer.citations)
    assert answer.agreement == "agree"


@pytest.mark.parametrize(
    "question",
    ["On what date will Trump be inaugurated?", "In which year did the war in Ukraine begin?"],
)
def test_a_question_for_a_date_gets_a_date_or_no_answer(reading: Assistant, question: str) -> None:
    """Even where the reader finds any span at all: the seeds write no such date, and a span
    such as "weeks before" is not one."""
    answer = reading.ask(question)
    assert answer.abstained or writes_a_date(answer.text, "date"), answer.text


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Peru?",
        "Who won the football World Cup?",
        "How do I bake bread?",
    ],
)
def test_questions_the_folder_knows_nothing_of_get_no_answer(
    seeds_assistant: Assistant, question: str
) -> None:
    answer = seeds_assistant.ask(question)
    assert answer.tier == "not_found" and answer.abstained
    assert answer.citations == ()
    assert answer.text == NOT_FOUND and "don't say" not in spoken(answer)
    assert answer.passages, "an abstention still shows the closest passages"
    assert spoken(answer).endswith("The closest passages:")


def test_a_question_naming_a_number_no_source_writes_is_declined_saying_so(
    seeds_assistant: Assistant,
) -> None:
    answer = seeds_assistant.ask("Who won the 2022 football World Cup?")
    assert answer.tier == "not_found" and answer.citations == ()
    assert answer.text == "No answer: 2022 appears nowhere in the sources."
    assert answer.passages and spoken(answer).endswith("The closest passages:")
    # A number the sources write, however the question writes it, leaves it to the reader.
    answer = seeds_assistant.ask("Which country sent 10000 soldiers to help Russia?")
    assert "nowhere" not in answer.text and answer.tier != "not_found"


def one_file_assistant(folder: Path, name: str, text: str, embedder: OnnxEmbedder) -> Assistant:
    """An assistant over a folder of one file, with a floor set (1e-4) rather than measured."""
    folder.mkdir()
    (folder / name).write_text(text)
    settings = Settings(index_dir=folder.parent / "index", floor=1e-4)
    return Assistant.open(folder, settings, embedder=embedder)


def test_a_quote_in_a_text_that_writes_no_full_stop_is_the_words_around_the_answer(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    """One line of 40 KB, items and commas, no sentence's end: the citation quotes the words
    around the answer, not the whole file."""
    items = ", ".join(f"shelf {i} holds {i % 7 + 2} crates of tinned fruit" for i in range(900))
    text = f"Inventory: {items}, and the warehouse manager is Ada Park, {items}.\n"
    assistant = one_file_assistant(tmp_path / "stock", "stock.txt", text, embedder)
    answer = assistant.ask("Who is the warehouse manager?")
    assert answer.text == "Ada Park", answer.text
    for cited in answer.citations:
        assert "Ada Park" in cited.quote and len(cited.quote) <= MAX_QUOTE_CHARS
        assert cited.quote.split()[0] in text.split() and cited.quote.split()[-1] in text.split()


RELEASE_NOTES = """\
Widget release notes

Version 2.0 (3 March 2021)

The configuration file is now read from the home folder when no path is given.
Start-up is about twice as fast on large projects, because plug-ins are loaded only when first used.
The old XML export has been removed; use the JSON export instead, which keeps every field.
Error messages now name the file and the line where a problem was found.
The installer no longer asks for administrator rights on a single-user machine.
Logs are rotated every week and kept for a month.
Network requests are retried three times before an error is reported.
The documentation has moved to a new site and is searchable.
The new streaming parser was contributed by Maria Alvarez.
It reads files of any size in constant memory.

Version 1.0 (5 May 2019)

This is the first stable release.
Projects can be opened from the command line or from the start page.
Every project keeps its settings in a single configuration file beside it.
Exports are written as XML, one file for each project.
Plug-ins are loaded when the program starts.
The command-line client was written by Tom Becker.
It runs on Linux, macOS and Windows.
"""


def test_an_answer_about_one_release_comes_from_that_release_s_section(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    """A passage deep in 2.0's notes does not write "2.0" (its heading does), and one may run
    on past 1.0's heading: neither makes an answer about 2.0 one about 1.0."""
    assistant = one_file_assistant(tmp_path / "notes", "NEWS.txt", RELEASE_NOTES, embedder)
    text = assistant.source_text("notes/NEWS.txt")
    second = text.index("Version 1.0")
    answer = assistant.ask("Who contributed the streaming parser in version 2.0?")
    cited = answer.citations[0]
    assert answer.text == "Maria Alvarez" and cited.end < second
    holding = [p for p in answer.passages if p.start <= cited.start and cited.end <= p.end]
    assert holding and not any("2.0" in p.text for p in holding)
    for question in (
        "Who contributed the streaming parser in version 1.0?",
        "How often are logs rotated in version 1.0?",
    ):
        answer = assistant.ask(question)
        assert all(c.start > second for c in answer.citations), answer.text
    # Read under its section's heading, a passage deep in 2.0's notes tells when 2.0 came out.
    reader = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 1e-4)
    draft = reader.answer("When was version 2.0 released?", holding[:1])
    assert draft.text == "3 March 2021"
    assert [c.quote for c in draft.citations] == ["Version 2.0 (3 March 2021)"]


def test_a_count_is_not_answered_with_the_date_of_a_release(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    """Read under "Version 2.0 (3 March 2021)", the reader's best span for a count the notes
    never give is that date; at any tier, the answer is not."""
    assistant = one_file_assistant(tmp_path / "notes", "NEWS.txt", RELEASE_NOTES, embedder)
    question = "How many bugs were fixed in version 2.0?"
    passages = assistant.retrieve(question)
    anywhere = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 0.0)
    best = anywhere.find(question, passages)[0]
    assert names_a_day(assistant.texts[best.source][best.span[0] : best.span[1]])
    assert not names_a_day(anywhere.answer(question, passages).text)


def test_a_count_is_not_answered_from_the_heading_the_question_names(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    """ "Version 2.0 (build 4471)": the question names the release by its heading, whose
    numbers count nothing the question asks about."""
    notes = "Version 2.0 (build 4471)\n\nThe parser is faster.\n"
    assistant = one_file_assistant(tmp_path / "notes", "NEWS.txt", notes, embedder)
    source, text = "notes/NEWS.txt", assistant.source_text("notes/NEWS.txt")
    whole = [Passage(source, 0, len(text), text)]
    anywhere = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 0.0)
    question = "How many bugs were fixed in version 2.0?"
    best = anywhere.find(question, whole)[0]
    assert best.span[1] <= text.index("\n")  # the reader's best span is in the heading
    assert anywhere.answer(question, whole).abstained


CHANGELOG = """\
# Changelog

All notable changes to this project are documented in this file.

## [2.1.0] - 2024-03-10

### Added

- A `--watch` option that rebuilds the site whenever a source file changes.
- Support for TOML front matter in pages.
- A dark theme, selected with `theme = "dark"` in the configuration.

### Fixed

- Links to headings with non-ASCII titles no longer break.
- The development server now honours the `--port` option on Windows.

## [2.0.1] - 2024-01-02

### Fixed

- The parser no longer stops at files larger than 3 MB.
- Dates in page metadata are read in the site's time zone, not the machine's.

### Security

- Updated the bundled Markdown parser to fix a denial-of-service issue reported by Lena Okafor.

## [2.0.0] - 2023-11-20

### Changed

- The configuration file is now `site.toml`; `config.yaml` is no longer read.
- Python 3.9 or later is required.
"""


def test_a_changelog_release_is_answered_from_its_own_section(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    """Markdown in keep-a-changelog's layout ("## [2.0.1] - 2024-01-02"). A passage that
    begins in 2.1.0's notes and runs on into 2.0.1's writes 2.0.1 itself: it is read as it
    is, not under 2.1.0's heading and date."""
    assistant = one_file_assistant(tmp_path / "site", "CHANGELOG.md", CHANGELOG, embedder)
    answer = assistant.ask("When was version 2.0.1 released?")
    assert answer.text == "2024-01-02"
    assert [c.quote for c in answer.citations] == ["[2.0.1] - 2024-01-02"]
    answer = assistant.ask("Who reported the denial-of-service issue fixed in 2.0.1?")
    assert answer.text == "Lena Okafor"
    assert assistant.ask("Who reported the issue fixed in 2.1.0?").abstained


def test_the_heading_a_question_names_is_not_its_answer(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    """ "~1.2.3" names the section; the heading that writes it says what the section is
    about, not what the question asks of it."""
    notes = "# Ranges\n\n## Tilde Ranges ~1.2.3\n\nIt allows changes of the patch level.\n"
    assistant = one_file_assistant(tmp_path / "docs", "ranges.md", notes, embedder)
    source, text = "docs/ranges.md", assistant.source_text("docs/ranges.md")
    heading = text.index("Tilde")
    only = [Passage(source, heading, heading + 19, text[heading : heading + 19])]
    anywhere = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 0.0)
    question = "What are the comparators the tilde range ~1.2.3 is the same as?"
    assert anywhere.find(question, only)[0].span == (heading, heading + 19)
    assert anywhere.answer(question, only).abstained


SECTIONS = """\
## 2.1.1 (2023-06-22)

- Add --quiet flag to the sync command
- Reduce startup time by lazy imports

## 2.1.0 (2023-05-21)

- Fix timezone handling in logs
- Speed up parsing of large manifests
"""


def test_a_passage_over_two_releases_is_read_as_the_one_the_question_names(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    """Read whole, the passage's best span for 2.1.0's date is 2.1.1's, which is not 2.1.0's
    section: read as 2.1.0's section, it is 2.1.0's date."""
    assistant = one_file_assistant(tmp_path / "notes", "CHANGES.md", SECTIONS, embedder)
    source = "notes/CHANGES.md"
    text = assistant.source_text(source)
    whole = [Passage(source, 0, len(text), text)]
    reader = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 0.0)
    draft = reader.answer("When was version 2.1.0 released?", whole)
    assert draft.text == "2023-05-21" and draft.citations[0].start >= text.index("2.1.0")
    assert reader.answer("When was version 2.1.1 released?", whole).text == "2023-06-22"
    # a heading that writes the release as named comes before one of a release it begins
    (tmp_path / "notes" / "CHANGES.md").write_text(
        "## 4.3.1 (2 February 2020)\n\nFixed a typo.\n\n## 4.3 (19 January 2020)\n\nAdded export.\n"
    )
    assistant.reindex()
    text = assistant.source_text(source)
    whole = [Passage(source, 0, len(text), text)]
    reader = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 0.0)
    assert reader.answer("When was version 4.3 released?", whole).text == "19 January 2020"


def test_a_release_s_date_written_as_a_field_under_its_heading_is_its_section_s(
    tmp_path: Path, embedder: OnnxEmbedder
) -> None:
    """reST and plain-text changelogs date a release in a field under its heading: the field
    is no heading of its own, so the date is read in 0.7.1's section, not as a section
    that does not write 0.7.1."""
    notes = (
        "Changelog\n=========\n\n"
        "widget 0.7.1\n------------\n\nRelease date: 08-Mar-2021\n\n"
        "- Fix a regression in the parser error class.\n\n"
        "widget 0.7.0\n------------\n\nRelease date: 4-Mar-2021\n\n- No changes.\n"
    )
    assistant = one_file_assistant(tmp_path / "docs", "CHANGES.rst", notes, embedder)
    source = "docs/CHANGES.rst"
    text = assistant.source_text(source)
    whole = [Passage(source, 0, len(text), text)]
    reader = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 0.0)
    assert reader.answer("When did widget 0.7.1 come out?", whole).text == "08-Mar-2021"
    assert reader.answer("When did widget 0.7.0 come out?", whole).text == "4-Mar-2021"


STEPS = """\
# Deploying the service

Follow these steps in order.

1. Stop the scheduler on every node.
1. Copy the new release to /opt/app.
1. Run the database migrations.
1. Start the scheduler again.
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is step 2?", "Copy the new release to /opt/app"),
        ("What does step 3 do?", "Run the database migrations"),
    ],
)
def test_a_question_naming_a_step_is_answered_from_the_item_of_that_number(
    tmp_path: Path, embedder: OnnxEmbedder, question: str, expected: str
) -> None:
    """Markdown numbers "1." on every item 1, 2, 3, 4; the view writes them, and the
    passage is read as the item the question names: read whole, every step's best span is
    the first step."""
    assistant = one_file_assistant(tmp_path / "docs", "deploy.md", STEPS, embedder)
    source, text = "docs/deploy.md", assistant.source_text("docs/deploy.md")
    assert "\n2. Copy the new release" in text
    whole = [Passage(source, 0, len(text), text)]
    reader = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 0.0)
    assert reader.find(question, whole)[0].span[0] >= text.index(expected)
    assert expected in reader.answer(question, whole).text


CODES = """\
# Exit status

The hook tells the caller what to do with its exit status.

| Code | Meaning |
|---|---|
| 0 | the action is allowed |
| 100 | the hook does not know the action |
| 101 | the action is forbidden |
| 102 | a subsystem error occurred |
| 103 | the arguments had a syntax error |
| 104 | the action runs without a conffile |
| 105 | the behaviour is uncertain |
"""


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What does it mean when the hook exits with 103?", "syntax error"),
        ("What does exit code 101 mean?", "forbidden"),
        ("What is status 104?", "without a conffile"),
    ],
)
def test_a_question_naming_a_row_s_number_is_answered_from_that_row(
    tmp_path: Path, embedder: OnnxEmbedder, question: str, expected: str
) -> None:
    """A table of codes and what they mean: read whole, the best span of a question about
    one code can be another row's meaning; read as the row whose first cell is the number
    the question names, it is that code's."""
    assistant = one_file_assistant(tmp_path / "docs", "hook.md", CODES, embedder)
    source, text = "docs/hook.md", assistant.source_text("docs/hook.md")
    whole = [Passage(source, 0, len(text), text)]
    reader = ReaderAnswerer(assistant.texts, shared_reader(), 0.5, 0.0)
    assert expected in reader.answer(question, whole).text


@pytest.mark.parametrize(
    "question",
    [
        "How many mines will the US send?",
        "What did Zelensky say about the mines?",
        "How much do the mines cost?",
    ],
)
def test_on_topic_questions_the_sources_do_not_answer_get_no_confident_answer(
    seeds_assistant: Assistant, question: str
) -> None:
    assert seeds_assistant.ask(question).tier != "confident"


def test_non_ascii_citations_keep_exact_offsets(seeds_assistant: Assistant) -> None:
    answer = seeds_assistant.ask("What did the NSC call Putin's updates?")
    assert any("’" in c.quote or "“" in c.quote for c in answer.citations) or not answer.abstained
    assert_grounded(seeds_assistant, answer)


def test_follow_up_is_rewritten_and_answered(reading: Assistant) -> None:
    first = reading.ask("Who criticised the decision?")
    history = [
        {"role": "user", "content": first.question},
        {"role": "assistant", "content": first.text},
    ]
    follow = reading.ask("What did he say?", history)
    assert "Donald Trump Jr." in follow.searched
    assert not follow.abstained
    assert_grounded(reading, follow)


def test_answer_json_shape(reading: Assistant, seeds_assistant: Assistant) -> None:
    data = reading.ask("How long do the mines stay active?").to_dict()
    assert set(data) >= {"answer", "tier", "abstained", "citations", "timings_ms"}
    assert data["abstained"] == (data["tier"] == "not_found")
    assert set(data["citations"][0]) == {"source", "start", "end", "quote", "score"}
    assert set(data["timings_ms"]) == {"retrieve", "answer"}
    # an abstention's JSON lists the closest passages, as its text says, each exact
    missing = seeds_assistant.ask("What did the mines cost in 1066?").to_dict()
    assert missing["tier"] == "not_found" and missing["passages"]
    for passage in missing["passages"]:
        assert set(passage) == {"source", "start", "end", "text", "score"}
        assert (
            seeds_assistant.source_text(passage["source"])[passage["start"] : passage["end"]]
            == (passage["text"])
        )


def test_stream_yields_text_then_the_answer(seeds_assistant: Assistant) -> None:
    parts = list(seeds_assistant.ask_stream("Who criticised the decision?"))
    final = parts[-1]
    assert isinstance(final, Answer)
    assert "".join(p for p in parts[:-1] if isinstance(p, str)) == final.text


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \n\t", "empty"), ("\x00\x01", "empty"), ("x" * 2001, "limit is 2000")],
)
def test_bad_questions_get_a_clear_error(
    seeds_assistant: Assistant, question: str, message: str
) -> None:
    with pytest.raises(InvalidQuestion, match=message):
        seeds_assistant.ask(question)


def test_citation_invariant_is_enforced_by_construction() -> None:
    text = "Curly “quotes” and café."
    c = Citation.from_text("s.txt", text, 6, 14)
    assert c.quote == "“quotes”" == text[c.start : c.end]
    with pytest.raises(ValueError, match="does not match"):
        Citation("s.txt", 0, 5, "abc")
    with pytest.raises(ValueError, match="past the end"):
        Citation.from_text("s.txt", text, 0, 999)
    with pytest.raises(AttributeError):
        c.start = 1  # type: ignore[misc]


def test_uploads_are_checked_saved_and_answerable(
    sources: Path, settings: Settings, embedder: object
) -> None:
    assistant = Assistant.open(sources, settings, embedder=embedder)  # type: ignore[arg-type]
    name = assistant.add_source(
        "../../notes.txt", b"The lighthouse keeper of Tarnow Point is Ilse Varga.\n"
    )
    assert name == "sources/notes.txt" and (sources / "notes.txt").exists()
    answer = assistant.ask("Who is the lighthouse keeper of Tarnow Point?")
    assert "Ilse Varga" in answer.text and answer.citations[0].source == name
    with pytest.raises(SourceFileError, match="already exists"):
        assistant.add_source("notes.txt", b"other text")
    assert (sources / "notes.txt").read_bytes().startswith(b"The lighthouse")
    with pytest.raises(SourceFileError, match="not supported"):
        assistant.add_source("tool.exe", b"MZ")
    with pytest.raises(SourceFileError, match="binary"):
        assistant.add_source("blob.txt", b"\x00\x01\x02")
    assert not (sources / "blob.txt").exists()
    assert not any(p.name.startswith(".upload-") for p in sources.iterdir())

    assistant.remove_source(name)
    assert name not in assistant.texts and (sources / "notes.txt").exists()
    assert [s.name for s in assistant.sources()] == sorted(assistant.texts)
    assert assistant.report.excluded == ("notes.txt",)
    assert "2 unchanged, 0 skipped, 1 excluded; " in assistant.report.summary()


def test_sources_that_agree_are_cited_together_and_those_that_differ_are_both_shown(
    tmp_path: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    folder = tmp_path / "bridge"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "The Harbour Bridge was designed by Ralph Freeman. It opened in March 1932, after "
        "eight years of work, and carried trams until 1958.\n",
        encoding="utf-8",
    )
    (folder / "b.txt").write_text(
        "Local papers praised the new crossing. Its designer, Ralph Freeman, was an English "
        "engineer. The bridge opened in 1934, two years late.\n",
        encoding="utf-8",
    )
    qa = Assistant.open(folder, settings.replace(abstain_below=ANSWER_MORE), embedder=embedder)
    agree = qa.ask("Who designed the bridge?")
    assert agree.text == "Ralph Freeman" and agree.agreement == "agree"
    assert {c.source for c in agree.citations} == {"bridge/a.txt", "bridge/b.txt"}
    differ = qa.ask("When did the bridge open?")
    assert differ.agreement == "differ"
    assert "1932" in differ.text and "1934" in differ.text
    assert {c.source for c in differ.citations} == {"bridge/a.txt", "bridge/b.txt"}
    assert Assistant.open(folder, settings, embedder=embedder).ask("What colour is it?").abstained
