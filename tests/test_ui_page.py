"""The page's handlers called directly, no browser: each against a real Assistant.

Answers are at the shipped decision: ``seeds_assistant`` has the default settings. The
copy of the seeds that the Sources tests change has the seeds' floor set rather than
measured again (20 s): those tests are about files, not about which answers are given.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest

from eval.metrics import containment, load_gold
from eval.run import DEFAULT_GOLD, GOLD_EXAMPLE
from index.embed import Embedder
from qa import Assistant, Settings
from qa.errors import ConfigError
from qa.types import Answer, spoken
from tests.conftest import SEEDS
from tests.conftest_ui import (
    NEW_ANSWER,
    NEW_QUESTION,
    NEW_SOURCE,
    SEED_QUESTION,
    TENTATIVE_QUESTION,
    UNANSWERABLE,
)
from ui import folder, render
from ui.page import Page

pytestmark = pytest.mark.slow  # a real index, reader and floor


@pytest.fixture(scope="module")
def page(seeds_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Page:
    """The page over the repo's own seeds: its gold file is eval/gold.jsonl."""
    return Page(seeds_assistant, runs_dir=tmp_path_factory.mktemp("runs"))


@pytest.fixture(scope="module")
def news(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, seeds_assistant: Assistant
) -> Iterator[Assistant]:
    """An assistant over a copy of the seeds in a folder named ``news``: not the repo's."""
    parent = tmp_path_factory.mktemp("copy")
    shutil.copytree(SEEDS, parent / "news")
    settings = Settings(index_dir=parent / "index", floor=seeds_assistant.floor.confidence)
    yield Assistant.open(parent / "news", settings, embedder=embedder)


@pytest.fixture
def news_page(news: Assistant, tmp_path: Path) -> Page:
    return Page(news, runs_dir=tmp_path / "runs")


def asked(page: Page, *questions: str) -> list[Answer]:
    """The chat's answers after asking ``questions`` one after the other."""
    turns: list[Answer] = []
    for question in questions:
        *_, (_, turns, _) = page.respond(question, turns, 4, True)
    return turns


def same_answer(got: Answer, want: Answer) -> bool:
    return got.to_dict() | {"timings_ms": {}} == want.to_dict() | {"timings_ms": {}}


class TestAsk:
    def test_the_text_streams_in_then_the_answer_with_its_citations(
        self, page: Page, seeds_assistant: Assistant
    ) -> None:
        steps = list(page.respond(SEED_QUESTION, [], 4, True))
        replies = [chat[-1]["content"] for chat, _, _ in steps]
        assert "qa-pending" in replies[0]
        streamed = [r for r in replies if "qa-streaming" in r]
        assert len(streamed) > 1 and all("qa-ref" not in r for r in streamed)
        assert all(turns == [] and box == "" for _, turns, box in steps[:-1])
        chat, turns, box = steps[-1]
        assert box == "" and len(turns) == 1
        assert same_answer(turns[0], seeds_assistant.ask(SEED_QUESTION))
        assert chat == page.chat_view(turns, True) and "qa-marker" in replies[-1]

    def test_each_tier_is_shown_as_the_library_gives_it(
        self, page: Page, seeds_assistant: Assistant
    ) -> None:
        turns = asked(page, SEED_QUESTION, TENTATIVE_QUESTION, UNANSWERABLE)
        assert [t.tier for t in turns] == ["confident", "tentative", "not_found"]
        for turn in turns:
            assert same_answer(turn, seeds_assistant.ask(turn.question))
        chat = page.chat_view(turns, show_searched=False)
        assert [m["role"] for m in chat] == ["user", "assistant"] * 3
        confident, tentative, not_found = (chat[i]["content"] for i in (1, 3, 5))
        assert 'class="qa-msg qa-answer"' in confident and render.TENTATIVE_LABEL not in confident
        assert 'class="qa-msg qa-answer qa-tentative"' in tentative
        assert f"{render.esc(spoken(turns[1]))} " in tentative
        assert spoken(turns[1]).startswith("Possibly: ")
        assert 'class="qa-msg qa-abstain"' in not_found and "qa-2-p-0" in not_found
        assert "none of which" not in not_found

    def test_an_empty_question_changes_nothing(self, page: Page) -> None:
        turns = asked(page, SEED_QUESTION)
        assert list(page.respond("  \n", turns, 4, True)) == [
            (page.chat_view(turns, True), turns, "")
        ]

    def test_a_refused_question_is_one_line_and_no_turn(self, page: Page) -> None:
        *_, (chat, turns, _) = page.respond("x" * 2001, [], 4, True)
        assert turns == []
        assert chat[-1]["content"] == render.error_message(
            "the question is 2001 characters long; the limit is 2000"
        )

    def test_a_click_opens_the_exact_span(self, page: Page) -> None:
        turns = asked(page, SEED_QUESTION, UNANSWERABLE)
        cited = turns[0].citations[-1]
        i = len(turns[0].citations) - 1
        markup = page.show_ref(turns, gr.EventData(None, {"ref": f"#qa-0-c-{i}"}))
        assert f'<mark id="qa-cited" class="qa-cited">{html.escape(cited.quote)}</mark>' in markup
        assert f"characters {cited.start}–{cited.end} of " in markup
        # Where it is in the file itself: the seeds are plain text, read as written.
        source = page.assistant.source_text(cited.source)
        assert f"line {source.count(chr(10), 0, cited.start) + 1} of the file" in markup
        passage = turns[1].passages[0]
        markup = page.panel(turns, "#qa-1-p-0")
        text = page.assistant.source_text(passage.source)[passage.start : passage.end]
        assert f'class="qa-cited">{html.escape(text)}</mark>' in markup
        assert "Closest passage 1" in markup and "not an answer" not in markup

    @pytest.mark.parametrize(
        ("href", "says"),
        [
            ("#qa-2-c-0", "That answer is no longer in this chat."),
            ("#qa-0-c-9", "That answer has no such citation."),
            ("javascript:alert(1)", "That answer is no longer in this chat."),
        ],
    )
    def test_a_stale_or_junk_reference_is_an_error_line(
        self, page: Page, href: str, says: str
    ) -> None:
        turns = asked(page, SEED_QUESTION)
        assert page.show_ref(turns, gr.EventData(None, {"ref": href})) == render.status(
            says, ok=False
        )
        assert page.show_ref(turns, gr.EventData(None, {})) == render.status(
            "That answer is no longer in this chat.", ok=False
        )

    def test_an_example_fills_the_question_and_new_chat_empties_it(self) -> None:
        evt = gr.SelectData(None, {"index": 1, "value": {"text": "Which flag?"}})
        assert Page.pick_example(evt) == "Which flag?"
        assert Page.new_chat() == ([], [], render.PANEL_HINT)


class TestFolder:
    def test_the_repo_seeds_run_the_repo_gold_file_and_take_examples_from_it(
        self, page: Page, seeds_assistant: Assistant
    ) -> None:
        assert page.gold == DEFAULT_GOLD
        items = [i for i in load_gold(DEFAULT_GOLD) if i.answerable and not i.history]
        questions = [i.question for i in items]
        assert len(page.examples) == folder.EXAMPLES
        positions = [questions.index(q) for q in page.examples]
        assert positions == sorted(positions)
        for item in items[: positions[-1] + 1]:  # the examples are the first good ones
            answer = seeds_assistant.ask(item.question)
            good = answer.tier == "confident" and bool(containment(answer.text, item.golds))
            assert good == (item.question in page.examples), item.question

    def test_another_folder_without_a_gold_file_has_no_examples(self, news_page: Page) -> None:
        assert news_page.gold is None and news_page.examples == ()
        intro = news_page.eval_intro("")
        assert "No gold file for news yet" in intro and "qa serve --gold FILE" in intro

    def test_the_gold_example_shown_is_a_valid_gold_file(self, tmp_path: Path) -> None:
        assert GOLD_EXAMPLE.count("\n") == 1
        (tmp_path / "gold.jsonl").write_text(GOLD_EXAMPLE)
        items = load_gold(tmp_path / "gold.jsonl")
        assert [i.answerable for i in items] == [True, False]

    def test_examples_can_be_given(self, news: Assistant, tmp_path: Path) -> None:
        assert Page(news, runs_dir=tmp_path, examples=["Q1?"]).examples == ("Q1?",)

    def test_a_served_gold_file_must_be_one_for_this_folder(
        self, news: Assistant, tmp_path: Path
    ) -> None:
        with pytest.raises(ConfigError, match=r"^cannot read the gold file .*missing\.jsonl: "):
            Page(news, runs_dir=tmp_path, gold=tmp_path / "missing.jsonl")
        with pytest.raises(
            ConfigError, match=r"gold\.jsonl is for another folder: it cites seeds/"
        ):
            Page(news, runs_dir=tmp_path, gold=DEFAULT_GOLD)

    def test_the_header_names_the_folder_its_files_and_the_mode(self, page: Page) -> None:
        root = SEEDS.resolve()
        assert page.header() == render.header("seeds", str(root), 2, "extractive")

    @pytest.mark.parametrize(
        ("llm", "model", "mode"),
        [
            ("none", "", "extractive"),
            (
                "gguf:/models/gemma-3-270m-Q4_K_M.gguf",
                "",
                "LLM gemma-3-270m-Q4_K_M.gguf (local GGUF)",
            ),
            ("openai-like:http://127.0.0.1:8080/v1", "", "LLM at http://127.0.0.1:8080/v1"),
            (
                "openai-like:https://ann:s3cret@llm.example.org/v1?x=1",
                "qwen",
                "LLM qwen at https://llm.example.org/v1",
            ),
        ],
    )
    def test_answer_mode(self, llm: str, model: str, mode: str) -> None:
        assert folder.answer_mode(Settings(llm=llm, llm_model=model)) == mode


class TestSources:
    def test_add_refuse_remove_and_reindex(self, news_page: Page, tmp_path: Path) -> None:
        upload = tmp_path / "quenmoor.md"
        upload.write_text(NEW_SOURCE)
        name = "news/quenmoor.md"

        rows, choices, status, cleared = news_page.add_files([str(upload)], False)
        assert status == render.status(f"Added and indexed {name}.") and cleared is None
        assert name in [r[0] for r in rows] and name in [c[0] for c in choices.choices]
        assert '<span class="qa-files">3 files</span>' in news_page.header()
        *_, status, kept = news_page.add_files([str(upload)], False)
        assert "already exists" in status and "qa-status-error" in status
        assert kept == gr.skip()  # the upload stays, to tick Replace
        answer = news_page.assistant.ask(NEW_QUESTION)
        assert NEW_ANSWER in answer.text and answer.citations[0].source == name

        rows, _, status = news_page.remove(name)
        assert name not in [r[0] for r in rows]
        assert '<span class="qa-files">2 files</span>' in news_page.header()
        assert f"Removed {name} from the index" in status and upload.exists()
        _, _, status = news_page.remove(None)
        assert status == render.status("Choose a source to remove first.", ok=False)
        _, _, status = news_page.reindex()
        assert "Re-indexed: 0 added, 0 updated, 0 removed, 2 unchanged" in status
        *_, status, _ = news_page.add_files(None, False)
        assert status == render.status("Choose one or more files first.", ok=False)


class TestEvaluation:
    def test_a_report_is_shown_only_for_this_folder(self, news_page: Page) -> None:
        report, chart, status = news_page.eval_view()
        assert report == "" and chart.visible is False
        assert "No evaluation report for this folder yet" in status
        latest = news_page.runs_dir / "latest"
        latest.mkdir(parents=True)
        (latest / "report.md").write_text("# Eval report\n")
        info = {"gold": "g.jsonl", "started": "2025-01-02", "sources": str(SEEDS)}
        (latest / "report.json").write_text(json.dumps({"info": info}))
        report, chart, status = news_page.eval_view()
        assert report == "" and f"is about {SEEDS}, not this folder" in status
        info["sources"] = str(news_page.assistant.root)
        (latest / "report.json").write_text(json.dumps({"info": info}))
        report, chart, status = news_page.eval_view()
        assert report == "# Eval report\n" and chart.visible is False  # no chart drawn
        assert "Report of 2025-01-02, gold file g.jsonl" in status

    def test_a_gold_file_is_checked_before_it_is_used(
        self, news_page: Page, tmp_path: Path
    ) -> None:
        gold, intro, status = news_page.use_gold(None, "")
        assert (gold, intro) == ("", news_page.eval_intro(""))
        assert "Choose a .jsonl file first." in status
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"question": "Q?", "answers": ["a"]}\n')
        gold, _, status = news_page.use_gold(str(bad), "")
        assert gold == ""
        assert status == render.status("bad.jsonl:1: field 'answerable' is missing", ok=False)
        assert str(tmp_path) not in status
        gold, _, status = news_page.use_gold(str(DEFAULT_GOLD), "")
        assert gold == "" and re.search(
            r"gold.jsonl is for another folder: it cites seeds/", status
        )
        good = tmp_path / "news-gold.jsonl"
        good.write_text(
            '{"question": "Whose criticism has the decision drawn?", "answers": ["Trump allies"],'
            ' "answerable": true}\n'
            '{"question": "How many mines will the US send?", "answers": [], "answerable": false}\n'
        )
        gold, intro, status = news_page.use_gold(str(good), "")
        assert gold == str(good) and "**news-gold.jsonl**" in intro
        assert "Gold file news-gold.jsonl: 2 questions (1 answerable)." in status

    def test_without_a_gold_file_a_run_says_how_to_write_one(self, news_page: Page) -> None:
        _, _, status = news_page.run_evaluation("")
        assert "No gold file for this folder: see above how to write one." in status
        assert not news_page.runs_dir.exists()

    def test_a_run_scores_the_folder_on_its_gold_file(
        self, news_page: Page, tmp_path: Path
    ) -> None:
        gold = tmp_path / "news-gold.jsonl"
        gold.write_text(
            '{"question": "What kind of weapon has the Biden administration approved sending '
            'to Ukraine?", "answers": ["anti-personnel mines"], "answerable": true}\n'
            '{"question": "How many mines will the US send?", "answers": [], "answerable": false}\n'
        )
        report, chart, status = news_page.run_evaluation(str(gold))
        assert "eval: 2 items (1 answerable)" in status and "No thresholds set." in status
        assert "qa-status-ok" in status  # the repo's thresholds are not this folder's
        (run,) = news_page.runs_dir.glob("eval-*")
        assert report == (run / "report.md").read_text(encoding="utf-8") and report.strip()
        assert chart.visible is True and Path(chart.value["path"]).name == "metrics.png"
        assert folder.report_info(news_page.runs_dir / "latest")["gold"] == str(gold)
        assert news_page.eval_view()[0] == report  # runs/latest is now about this folder


class TestApi:
    def test_ask_is_the_library_answer(self, page: Page, seeds_assistant: Assistant) -> None:
        for question in (SEED_QUESTION, TENTATIVE_QUESTION, UNANSWERABLE):
            got = page.api_ask(question)
            want = seeds_assistant.ask(question).to_dict()
            assert got | {"timings_ms": {}} == want | {"timings_ms": {}}
            assert got["tier"] == want["tier"]

    def test_a_refused_question_is_a_gradio_error_with_the_message(self, page: Page) -> None:
        with pytest.raises(gr.Error) as err:
            page.api_ask("  ")
        assert err.value.message == "the question is empty"
        with pytest.raises(gr.Error) as err:
            page.api_ask(SEED_QUESTION, None, 0)
        assert err.value.message == "top_k must be between 1 and 100, got 0"

    def test_sources(self, page: Page, seeds_assistant: Assistant) -> None:
        got = page.api_sources()
        assert [s["name"] for s in got] == [
            "seeds/000_68eca9a7738f22f0.txt",
            "seeds/001_8c109d270abcdae8.txt",
        ]
        assert all(s["chunks"] > 0 and s["size_bytes"] > 0 for s in got)
