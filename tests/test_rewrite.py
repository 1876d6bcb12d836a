"""Follow-ups made to stand alone (qa/rewrite.py)."""

from __future__ import annotations

from qa.rewrite import CONTEXT_SEP, standalone_question


def turns(*said: str) -> list[dict[str, str]]:
    return [{"role": ("user", "assistant")[i % 2], "content": s} for i, s in enumerate(said)]


def test_a_follow_up_carries_the_identifiers_of_earlier_turns_whole() -> None:
    history = turns("What does get_cached_controller() return?", "A cached ThreadpoolController.")
    searched = standalone_question("How do I reset it?", history)
    question, topic = searched.split(CONTEXT_SEP)
    assert question == "How do I reset it?"
    assert topic.split() == ["get_cached_controller", "return", "cached", "ThreadpoolController"]
    flag = standalone_question("Why?", turns("Which flag keeps C++ exceptions?", "-fexceptions"))
    assert flag.endswith("-fexceptions")
    searched = standalone_question("And there?", turns("Is it in os.path and/or sys.path.", "Yes."))
    assert searched.split(CONTEXT_SEP)[1].split() == ["os.path", "sys.path"]  # "and/or": none


def test_a_follow_up_that_stands_alone_is_left_as_it_is() -> None:
    history = turns("Who approved the transfer?", "The Biden administration.")
    assert standalone_question("Which outlet reported the battery detail?", history) == (
        "Which outlet reported the battery detail?"
    )
    assert standalone_question("And who takes over after him?", history) == (
        "Who takes over after Biden?"
    )
