"""The public contract, answered over the real seeds with the real model and Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import Answer, Assistant, Citation, InvalidQuestion, Settings
from qa.errors import SourceFileError


def assert_grounded(assistant: Assistant, answer: Answer) -> None:
    for c in answer.citations:
        assert assistant.source_text(c.source)[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("How long do the mines stay active?", "hours"),
        ("Who criticised the decision?", "Donald Trump Jr."),
        ("How many North Korean soldiers joined Russia's forces?", "10,000"),
        ("In which region are the North Korean troops deployed?", "Kursk"),
        ("Which missiles did Britain and France allow Ukraine to fire?", "SCALP/Storm Shadow"),
        ("What did Putin update in response?", "nuclear"),
        ("Which outlet confirmed the authorizations align with Western strategy?", "Le Figaro"),
    ],
)
def test_factual_questions_are_answered_with_a_citation_holding_the_fact(
    seeds_assistant: Assistant, question: str, fact: str
) -> None:
    answer = seeds_assistant.ask(question)
    assert not answer.abstained
    assert answer.citations
    assert fact in answer.text
    assert any(fact in c.quote for c in answer.citations)
    assert_grounded(seeds_assistant, answer)
    assert len(answer.text.split()) <= 60


def test_a_fact_both_sources_state_cites_both(seeds_assistant: Assistant) -> None:
    answer = seeds_assistant.ask("How long do the mines stay active?")
    assert {c.source for c in answer.citations} == {
        "seeds/000_68eca9a7738f22f0.txt",
        "seeds/001_8c109d270abcdae8.txt",
    }
    assert all("hours" in c.quote for c in answer.citations)
    assert answer.agreement == "agree"


def test_a_second_source_is_cited_only_when_it_holds_the_answer(
    seeds_assistant: Assistant,
) -> None:
    answer = seeds_assistant.ask(
        "Why had the U.S. long been reluctant to supply anti-personnel mines?"
    )
    assert "enduring dangers" in answer.text
    assert all("danger" in c.quote for c in answer.citations)


def test_sources_that_differ_are_each_quoted_with_their_own_citation(
    seeds_assistant: Assistant,
) -> None:
    answer = seeds_assistant.ask("How did the NSC react to Russia's nuclear moves?")
    assert answer.agreement == "differ"
    assert len({c.source for c in answer.citations}) == 2
    assert all(c.quote in answer.text for c in answer.citations)


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        ("Who criticised the decision?", "Donald Trump Jr."),
        (
            "Who said the mine authorization was prompted by the North Korean deployment?",
            "Senior U.S. officials",
        ),
        ("Which news network reported the approval of the mines?", "Fox News"),
        ("What kind of phase has the conflict entered?", "dangerous new phase"),
        ("What kind of fuse do the mines use?", "electric fuse"),
        # An outlet must be named where the sentence speaks of reporting, not just any name
        # ("Great Britain", "Storm Shadow" were given before).
        ("Which newspaper confirmed the missile authorizations?", "Le Figaro"),
        # Other "what" questions: what the source says past the question's words.
        (
            "What did the Biden administration approve the transfer of?",
            "anti-personnel mines to Ukraine",
        ),
        ("What did Putin lower?", "threshold for using nuclear weapons"),
        (
            "What do allies fear Biden's escalation leaves the incoming administration with?",
            "fewer options for diplomacy",
        ),
        # "where": only a run naming a place after "in", "on"... counts.
        ("Where is Russia's offensive that the West wants to counter?", "Eastern Europe"),
    ],
)
def test_answers_are_the_phrase_alone_with_the_citation_narrowed_to_it(
    seeds_assistant: Assistant, question: str, phrase: str
) -> None:
    answer = seeds_assistant.ask(question)
    assert answer.text == phrase
    assert answer.citations[0].quote == phrase
    assert_grounded(seeds_assistant, answer)


def test_a_yes_no_question_keeps_its_clause(seeds_assistant: Assistant) -> None:
    answer = seeds_assistant.ask("Does the U.S. plan to adjust its nuclear posture?")
    assert "no need to adjust" in answer.text
    assert "nuclear posture" in answer.text


def test_which_gets_the_sentence_when_no_phrase_is_clearly_of_the_kind(
    seeds_assistant: Assistant,
) -> None:
    # "military alliance" is about as close to "Western missile strikes" as to "NATO".
    answer = seeds_assistant.ask("Which military alliance does Putin say joined the war?")
    assert "NATO" in answer.text
    assert len(answer.text.split()) > 5


def test_a_source_differs_only_with_its_own_answer_of_the_asked_kind(
    seeds_assistant: Assistant,
) -> None:
    history = [
        {"role": "user", "content": "Which missiles did Britain and France allow Ukraine to fire?"},
        {"role": "assistant", "content": "SCALP/Storm Shadow missiles."},
    ]
    answer = seeds_assistant.ask("Which outlet confirmed it?", history=history)
    # The other article names no outlet for this; its "Storm Shadow" is no other account.
    assert answer.text == "Le Figaro"
    assert answer.agreement == "single"


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of Peru?",
        "Who won the 2022 football World Cup?",
        "How do I bake sourdough bread?",
        "How many mines will the US send?",
        "What did Zelensky say about the mines?",
        "How much do the mines cost?",
    ],
)
def test_unanswerable_questions_abstain(seeds_assistant: Assistant, question: str) -> None:
    answer = seeds_assistant.ask(question)
    assert answer.abstained
    assert answer.citations == ()
    assert "sources don't say" in answer.text
    assert answer.passages, "an abstention still shows the closest passages"


def test_non_ascii_citations_keep_exact_offsets(seeds_assistant: Assistant) -> None:
    answer = seeds_assistant.ask("What did the NSC call Putin's updates?")
    assert any("’" in c.quote or "“" in c.quote for c in answer.citations) or not answer.abstained
    assert_grounded(seeds_assistant, answer)


def test_follow_up_is_rewritten_and_answered(seeds_assistant: Assistant) -> None:
    first = seeds_assistant.ask("Who criticised the decision?")
    history = [
        {"role": "user", "content": first.question},
        {"role": "assistant", "content": first.text},
    ]
    follow = seeds_assistant.ask("What did he say?", history)
    assert "Donald Trump Jr." in follow.searched
    assert "World War 3" in follow.text
    assert_grounded(seeds_assistant, follow)


def test_answer_json_shape(seeds_assistant: Assistant) -> None:
    data = seeds_assistant.ask("How long do the mines stay active?").to_dict()
    assert set(data) >= {"answer", "abstained", "citations", "timings_ms"}
    assert set(data["citations"][0]) == {"source", "start", "end", "quote", "score"}
    assert set(data["timings_ms"]) == {"retrieve", "answer"}


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
