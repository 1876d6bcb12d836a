"""The UI: HTML rendering and the serve command (fast), then the page in a real Chromium (e2e).

The browser tests drive one server (module scope) over a copy of the seeds at the shipped
decision (default settings; the seeds' floor, see conftest_ui) and compare what the page
shows with what the library answers for the same question. With ``QA_SCREENSHOTS=1`` they
also refresh the pictures in docs/screenshots/.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from index.embed import Embedder
from qa import Assistant
from qa.errors import ConfigError
from qa.types import Answer, Citation, Passage, Removed, Tier, spoken
from tests.conftest_ui import (
    NEW_ANSWER,
    NEW_QUESTION,
    NEW_SOURCE,
    SEED_QUESTION,
    SEEDS_GOLD,
    TENTATIVE_QUESTION,
    UNANSWERABLE,
    Server,
    ask,
    chromium,
    expect_highlight,
    flat,
    free_port,
    open_page,
    replies,
    running_app,
    shot,
    shows_text,
)
from ui import render
from ui.serve import add_serve_options, check_port, cmd_serve, is_loopback, parse_auth

#: A 1×1 PNG, standing in for the chart an eval run draws.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
HOSTILE = '<img src=x onerror="window.qaPwned=1"><script>window.qaPwned=1</script>'
NOT_FOUND = "No answer I can stand behind."


def make_answer(
    *citations: Citation, passages: tuple[Passage, ...] = (), tier: Tier | None = None
) -> Answer:
    return Answer(
        text=citations[0].quote if citations else NOT_FOUND,
        citations=citations,
        tier=tier or ("confident" if citations else "not_found"),
        question=f"What about {HOSTILE}?",
        searched="What about it?",
        passages=passages,
    )


def text_of(markup: str) -> str:
    """What a reader sees of some HTML: the tags dropped, entities decoded, spaces folded."""
    return flat(html.unescape(re.sub(r"<[^>]+>", " ", markup)))


class TestRender:
    def test_source_and_user_text_are_escaped(self) -> None:
        text = f"Intro. {HOSTILE} Outro."
        cited = Citation.from_text("s/a.txt", text, 7, 7 + len(HOSTILE))
        answer = make_answer(cited)
        html = render.answer_message(answer, 0, show_searched=True)
        html += render.user_message(answer.question)
        html += render.citation_panel(answer, 0, 0, text)
        assert "<img" not in html and "<script" not in html
        assert "&lt;img src=x onerror=&quot;window.qaPwned=1&quot;&gt;" in html

    def test_newlines_never_end_the_chat_html_block(self) -> None:
        text = "One.\n\nTwo.\r\rThree.\r\n\r\nFour."
        answer = make_answer(Citation.from_text("s/a.txt", text, 0, len(text)))
        html = render.answer_message(answer, 0, show_searched=False)
        assert "\n" not in html and "\r" not in html and html.count("<br>") == 6

    def test_panel_marks_exactly_the_span_and_shows_a_window(self) -> None:
        text = "x" * 5000 + "the cited words" + "y" * 5000
        start = 5000
        html = render.source_panel("s/a.txt", text, start, start + 15, "Citation [1]")
        assert '<mark id="qa-cited" class="qa-cited">the cited words</mark>' in html
        assert f"characters {start}–{start + 15} of {len(text)}" in html
        assert len(html) < 2 * render.CONTEXT_CHARS + 1000

    def test_refs_round_trip_and_junk_is_refused(self) -> None:
        answer = make_answer(Citation("s/a.txt", 0, 3, "abc"))
        href = re.search(r'href="([^"]+)"', render.answer_message(answer, 4, False))
        assert href is not None
        assert render.parse_ref(href.group(1)) == render.Ref(4, "c", 0)
        for junk in ("", "#qa-1-x-0", "qa-1-c-", "#qa--1-c-0", "javascript:alert(1)"):
            assert render.parse_ref(junk) is None

    def test_agreement(self) -> None:
        a = Citation("s/a.txt", 0, 3, "abc")
        b = Citation("s/b.txt", 0, 3, "abc")
        assert render.agreement_note(make_answer(a)) == ""
        assert render.agreement_note(make_answer(a, b)) == "Both sources say this."
        differ = Answer("abc", (a, b), "confident", "q", "q", agreement="differ")
        html = render.answer_message(differ, 0, show_searched=False)
        assert "The sources differ" in html and "qa-differ" in html
        assert html.count('class="qa-ref qa-chip"') == 2

    def test_what_the_verifier_left_out_is_shown_with_why(self) -> None:
        cited = Citation("s/a.txt", 0, 3, "abc")
        removed = (
            Removed("Russia sent 50,000 <b>soldiers</b>.", "unsupported", ("sent", "50000")),
            Removed("The sky is blue.", "off the question"),
        )
        answer = Answer("abc", (cited,), "confident", "q", "q", removed=removed)
        html = render.answer_message(answer, 0, show_searched=False)
        assert "Left out by the verifier" in html and "<b>soldiers" not in html
        assert (
            "missing: sent, 50000" in html and "The sky is blue.”</span> off the question" in html
        )
        assert "qa-removed" not in render.answer_message(make_answer(cited), 0, False)

    def test_abstention_says_what_is_true_and_lists_the_closest_passages(self) -> None:
        passages = tuple(Passage(f"s/{i}.txt", 0, 5, f"text{i}") for i in range(5))
        answer = make_answer(passages=passages)
        markup = render.answer_message(answer, 2, show_searched=False)
        assert "qa-abstain" in markup and "qa-tentative" not in markup
        said = text_of(markup)
        assert said.startswith(spoken(answer)) and spoken(answer) != answer.text
        assert "don't say" not in said and "none of which" not in said
        assert re.findall(r'href="#qa-2-p-(\d)"', markup) == ["0", "1", "2"]
        alone = text_of(render.answer_message(make_answer(), 0, False))
        assert alone == f"{NOT_FOUND} Nothing in the sources came close."

    def test_tentative_is_hedged_labelled_and_cited_like_a_confident_one(self) -> None:
        a, b = Citation("s/a.txt", 0, 6, "10,000"), Citation("s/b.txt", 4, 10, "10,000")
        tentative = make_answer(a, b, tier="tentative")
        confident = make_answer(a, b, tier="confident")
        hedged = render.answer_message(tentative, 1, show_searched=False)
        plain = render.answer_message(confident, 1, show_searched=False)
        assert 'class="qa-msg qa-answer qa-tentative"' in hedged
        assert render.TENTATIVE_LABEL in hedged and render.TENTATIVE_LABEL not in plain
        assert text_of(hedged).startswith(f"{render.TENTATIVE_LABEL} Possibly: 10,000 [1] [2]")
        assert text_of(plain).startswith("10,000 [1] [2]")
        links = re.compile(r'<a class="qa-ref[^"]*" href="[^"]+"')
        assert links.findall(hedged) == links.findall(plain) and len(links.findall(plain)) == 4

    def test_header_names_the_folder_its_files_and_the_mode(self) -> None:
        markup = render.header(f"docs{HOSTILE}", "/srv/docs", 1, "LLM x.gguf (local GGUF)")
        assert "<img" not in markup
        assert text_of(markup) == (
            f"Grounded QA docs{HOSTILE} /srv/docs 1 file answers: LLM x.gguf (local GGUF)"
        )
        assert "3 files" in render.header("docs", "/srv/docs", 3, "extractive")

    def test_searched_is_shown_only_when_it_differs_and_asked_for(self) -> None:
        answer = make_answer(Citation("s/a.txt", 0, 3, "abc"))
        assert "Searched: What about it?" in render.answer_message(answer, 0, True)
        assert "qa-searched" not in render.answer_message(answer, 0, False)

    def test_history_is_plain_text(self) -> None:
        answer = make_answer(Citation("s/a.txt", 0, 3, "abc"))
        assert render.history([answer]) == [
            {"role": "user", "content": answer.question},
            {"role": "assistant", "content": "abc"},
        ]


class TestServeCommand:
    def test_defaults_bind_loopback_7860(self) -> None:
        parser = argparse.ArgumentParser()
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--sources", default="seeds")
        add_serve_options(
            parser.add_subparsers(dest="command").add_parser("serve", parents=[common])
        )
        args = parser.parse_args(["serve"])
        assert (args.host, args.port, args.sources, args.open) == (
            "127.0.0.1",
            7860,
            "seeds",
            False,
        )
        assert args.gold is None
        args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "8000"])
        assert (args.host, args.port) == ("0.0.0.0", 8000)
        args = parser.parse_args(["serve", "--gold", "mine.jsonl"])
        assert args.gold == Path("mine.jsonl")

    def test_a_missing_gold_file_fails_before_the_slow_start(self, tmp_path: Path) -> None:
        parser = argparse.ArgumentParser()
        add_serve_options(parser.add_subparsers(dest="command").add_parser("serve"))
        missing = tmp_path / "gold.jsonl"
        args = parser.parse_args(["serve", "--port", str(free_port()), "--gold", str(missing)])
        with pytest.raises(ConfigError, match=f"^--gold {re.escape(str(missing))}: no such file$"):
            cmd_serve(args)  # raised before any model or index is opened

    def test_auth(self) -> None:
        assert parse_auth("") is None
        assert parse_auth("ann:s3cr:et") == ("ann", "s3cr:et")
        for bad in ("ann", "ann:", ":pw"):
            with pytest.raises(ConfigError, match="user:password") as err:
                parse_auth(bad)
            assert "pw" not in str(err.value)

    def test_a_busy_port_fails_before_the_slow_start(self) -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            with pytest.raises(ConfigError, match=f"cannot serve on 127.0.0.1:{port}: "):
                check_port("127.0.0.1", port)

    def test_loopback(self) -> None:
        assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
        assert not is_loopback("0.0.0.0") and not is_loopback("example.org")


# --- in a real browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, seeds_assistant: Assistant
) -> Iterator[Server]:
    floor = seeds_assistant.floor.confidence
    with running_app(tmp_path_factory.mktemp("ui"), embedder, floor) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(server: Server, browser: Browser) -> Iterator[Page]:
    with open_page(browser, server.url) as fresh:
        yield fresh


def gold_questions() -> list[str]:
    lines = SEEDS_GOLD.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


@pytest.mark.e2e
@pytest.mark.slow
class TestBrowser:
    def test_header_and_examples_belong_to_the_folder(self, server: Server, page: Page) -> None:
        root = server.assistant.root.resolve()
        expect(page.locator("#qa-header .qa-folder")).to_have_text(root.name)
        expect(page.locator("#qa-header .qa-path")).to_have_text(str(root))
        expect(page.locator("#qa-header .qa-files")).to_have_text("2 files")
        expect(page.locator("#qa-header .qa-mode")).to_have_text("answers: extractive")
        examples = page.locator("#qa-chat button").filter(has_text="?")
        expect(examples.first).to_be_visible()
        shown = [flat(t) for t in examples.all_inner_texts()]
        assert shown and set(shown) <= set(gold_questions()), shown

    def test_example_answer_with_citations_one_click_from_the_source(
        self, server: Server, page: Page
    ) -> None:
        want = server.assistant.ask(SEED_QUESTION)
        assert want.tier == "confident" and want.citations
        page.get_by_role("button", name=SEED_QUESTION).click()  # an example question
        expect(replies(page)).to_have_count(1)
        reply = replies(page).first
        expect(reply.locator(".qa-tier")).to_have_count(0)
        assert flat(reply.locator(".qa-text").inner_text()).startswith(want.text)
        markers = reply.locator(".qa-marker")
        expect(markers).to_have_text([f"[{i}]" for i in range(1, len(want.citations) + 1)])
        for marker, cited in zip(markers.all(), want.citations, strict=True):
            marker.click()
            expect_highlight(page, cited.source, cited.start, cited.end, cited.quote)
        sources = {c.source for c in want.citations}
        if len(sources) > 1:
            expect(reply.locator(".qa-agree")).to_have_text("✓ Both sources say this.")
            related = page.locator("#qa-source .qa-related .qa-chip")
            expect(related).to_have_count(len(want.citations))
            related.first.click()  # back to [1] from the panel itself
            first = want.citations[0]
            expect_highlight(page, first.source, first.start, first.end, first.quote)
        shot(page, "answer")

    def test_a_tentative_answer_is_marked_and_cited(self, server: Server, page: Page) -> None:
        want = server.assistant.ask(TENTATIVE_QUESTION)
        assert want.tier == "tentative" and want.citations
        reply = ask(page, TENTATIVE_QUESTION)
        expect(reply).to_have_class(re.compile(r"\bqa-tentative\b"))
        expect(reply.locator(".qa-tier")).to_have_text(render.TENTATIVE_LABEL)
        text = flat(reply.locator(".qa-text").inner_text())
        assert text.startswith(f"Possibly: {want.text} [1]"), text
        markers = reply.locator(".qa-marker")
        expect(markers).to_have_count(len(want.citations))
        for marker, cited in zip(markers.all(), want.citations, strict=True):
            marker.click()
            expect_highlight(page, cited.source, cited.start, cited.end, cited.quote)
        bubble = page.locator('#qa-chat [data-testid="bot"]:has(.qa-tentative)')
        style = bubble.evaluate("e => getComputedStyle(e).borderTopStyle")
        assert style == "dotted", style  # set apart from confident answers and abstentions
        shot(page, "tentative")

    def test_abstention_says_what_is_true_and_shows_the_closest_passages(
        self, server: Server, page: Page
    ) -> None:
        want = server.assistant.ask(UNANSWERABLE)
        assert want.tier == "not_found" and want.passages
        reply = ask(page, UNANSWERABLE)
        expect(reply).to_have_class(re.compile(r"\bqa-abstain\b"))
        expect(reply.locator(".qa-abstain-head")).to_have_text(want.text)
        expect(reply.locator(".qa-why")).to_have_text("The closest passages:")
        said = flat(reply.inner_text())
        assert said.startswith(spoken(want)) and "none of which" not in said, said
        chips = reply.locator(".qa-passages .qa-chip")
        expect(chips).to_have_count(min(3, len(want.passages)))
        chips.first.click()
        p = want.passages[0]
        source = server.assistant.source_text(p.source)
        expect_highlight(page, p.source, p.start, p.end, source[p.start : p.end])
        shot(page, "abstention")

    def test_follow_up_and_what_was_searched(self, server: Server, page: Page) -> None:
        first = server.assistant.ask("Who criticised the decision?")
        history = [
            {"role": "user", "content": first.question},
            {"role": "assistant", "content": first.text},
        ]
        want = server.assistant.ask("What did he say?", history)
        assert want.searched != want.question and want.citations
        ask(page, "Who criticised the decision?")
        reply = ask(page, "What did he say?")
        expect(reply.locator(".qa-searched")).to_have_text(f"Searched: {want.searched}")
        assert shows_text(reply.locator(".qa-text"), spoken(want))
        reply.locator(".qa-marker").first.click()
        cited = want.citations[0]
        expect_highlight(page, cited.source, cited.start, cited.end, cited.quote)
        page.locator("#qa-settings").get_by_text("Settings").click()
        page.get_by_label("Show what was searched").uncheck()
        expect(page.locator("#qa-chat .qa-searched")).to_have_count(0)
        expect(replies(page)).to_have_count(2)
        page.locator("#qa-new-chat").click()
        expect(replies(page)).to_have_count(0)
        expect(page.locator("#qa-source mark")).to_have_count(0)
        page.get_by_label("Show what was searched").check()
        reply = ask(page, "What did he say?")  # no earlier turn to follow up on any more
        expect(reply.locator(".qa-searched")).to_have_count(0)

    def test_a_bad_question_is_one_line_in_the_chat(self, page: Page) -> None:
        reply = ask(page, "x" * 2001)
        expect(reply).to_have_text("⚠ the question is 2001 characters long; the limit is 2000")

    def test_phone_width(self, server: Server, browser: Browser) -> None:
        with open_page(browser, server.url, 390, 844) as page:
            reply = ask(page, SEED_QUESTION)
            reply.locator(".qa-marker").first.click()
            cited = server.assistant.ask(SEED_QUESTION).citations[0]
            expect_highlight(page, cited.source, cited.start, cited.end, cited.quote)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is {width}px wide on a 390px screen"
            shot(page, "phone", full_page=True)

    def test_evaluation_tab_shows_the_latest_report_only_for_this_folder(
        self, server: Server, page: Page
    ) -> None:
        page.get_by_role("tab", name="Evaluation").click()
        expect(page.locator("#qa-eval-intro")).to_contain_text("gold.jsonl")
        status = page.locator("#qa-eval-status")
        expect(status).to_contain_text("No evaluation report for this folder yet")
        latest = server.runs_dir / "latest"
        latest.mkdir(parents=True)
        (latest / "report.md").write_text("# Eval report\n\n**All 3 thresholds met.**\n")
        (latest / "metrics.png").write_bytes(PIXEL_PNG)
        info = {"gold": "eval/gold.jsonl", "started": "2025-01-02T03:04:05+00:00"}
        other = {"info": {**info, "sources": "/somewhere/else"}}
        (latest / "report.json").write_text(json.dumps(other))
        page.get_by_role("tab", name="Ask").click()
        page.get_by_role("tab", name="Evaluation").click()
        expect(status).to_contain_text("is about /somewhere/else, not this folder")
        expect(page.locator("#qa-eval-report")).not_to_contain_text("thresholds met")
        ours = {"info": {**info, "sources": str(server.assistant.root)}}
        (latest / "report.json").write_text(json.dumps(ours))
        page.get_by_role("tab", name="Ask").click()
        page.get_by_role("tab", name="Evaluation").click()
        expect(page.locator("#qa-eval-report")).to_contain_text("All 3 thresholds met.")
        expect(status).to_contain_text("Report of 2025-01-02T03:04:05+00:00, gold file gold.jsonl")
        expect(page.locator("#qa-eval-chart img")).to_be_visible()

    def test_upload_ask_and_remove_a_source(
        self, server: Server, page: Page, tmp_path: Path
    ) -> None:
        upload = tmp_path / "quenmoor festival.txt"
        upload.write_text(f"{NEW_SOURCE}Lantern makers sign their work as {HOSTILE}.\n")
        name = f"{server.assistant.root.name}/{upload.name}"
        page.get_by_role("tab", name="Sources").click()
        table = page.locator("#qa-sources-table")
        expect(table).to_contain_text("seeds/000_68eca9a7738f22f0.txt")
        status = page.locator("#qa-sources-status")
        files = page.locator("#qa-header .qa-files")
        expect(files).to_have_text("2 files")

        page.locator("#qa-upload input[type=file]").set_input_files(upload)
        page.locator("#qa-add").click()
        expect(status).to_have_text(f"Added and indexed {name}.")
        expect(table).to_contain_text(name)
        expect(files).to_have_text("3 files")
        shot(page, "sources")
        page.locator("#qa-upload input[type=file]").set_input_files(upload)
        page.locator("#qa-add").click()
        expect(status).to_contain_text("already exists")

        want = server.assistant.ask(NEW_QUESTION)
        assert NEW_ANSWER in want.text and want.citations[0].source == name
        page.get_by_role("tab", name="Ask").click()
        reply = ask(page, NEW_QUESTION)
        expect(reply.locator(".qa-text")).to_contain_text(NEW_ANSWER)
        reply.locator(".qa-marker").first.click()
        cited = want.citations[0]
        expect_highlight(page, name, cited.start, cited.end, cited.quote)
        expect(page.locator("#qa-source .qa-source-text")).to_contain_text(HOSTILE)
        assert page.evaluate("window.qaPwned") is None

        page.get_by_role("tab", name="Sources").click()
        page.locator("#qa-remove-choice input").click()
        page.get_by_role("option", name=name).click()
        page.locator("#qa-remove").click()
        expect(status).to_contain_text(f"Removed {name} from the index")
        expect(table).not_to_contain_text(name)
        expect(files).to_have_text("2 files")
        assert (server.assistant.root / upload.name).exists()
        page.locator("#qa-reindex").click()
        expect(status).to_contain_text("Re-indexed: 0 added, 0 updated, 0 removed, 2 unchanged")
