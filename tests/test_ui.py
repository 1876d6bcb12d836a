"""The UI: HTML rendering and the serve command (fast), then the page in a real Chromium (e2e).

The browser tests drive one server (module scope) over a copy of the seeds and
compare what the page shows with what the library answers for the same question.
With ``QA_SCREENSHOTS=1`` they also refresh the pictures in docs/screenshots/.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from index.embed import Embedder
from qa.errors import ConfigError
from qa.types import Answer, Citation, Passage, Removed
from tests.conftest import REPO
from tests.conftest_ui import (
    NEW_ANSWER,
    NEW_QUESTION,
    NEW_SOURCE,
    SEED_QUESTION,
    UNANSWERABLE,
    Server,
    running_app,
)
from ui import render
from ui.serve import add_serve_command, check_port, is_loopback, parse_auth

CHROMIUM = Path(os.environ.get("QA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO / "docs" / "screenshots"
WAIT_MS = 30_000
#: A 1×1 PNG, standing in for the chart an eval run draws.
PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
HOSTILE = '<img src=x onerror="window.qaPwned=1"><script>window.qaPwned=1</script>'


def make_answer(*citations: Citation, passages: tuple[Passage, ...] = ()) -> Answer:
    return Answer(
        text=citations[0].quote if citations else "The sources don't say.",
        citations=citations,
        abstained=not citations,
        question=f"What about {HOSTILE}?",
        searched="What about it?",
        passages=passages,
    )


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
        differ = Answer("abc", (a, b), False, "q", "q", agreement="differ")
        html = render.answer_message(differ, 0, show_searched=False)
        assert "The sources differ" in html and "qa-differ" in html
        assert html.count('class="qa-ref qa-chip"') == 2

    def test_what_the_verifier_left_out_is_shown_with_why(self) -> None:
        cited = Citation("s/a.txt", 0, 3, "abc")
        removed = (
            Removed("Russia sent 50,000 <b>soldiers</b>.", "unsupported", ("sent", "50000")),
            Removed("The sky is blue.", "off the question"),
        )
        answer = Answer("abc", (cited,), False, "q", "q", removed=removed)
        html = render.answer_message(answer, 0, show_searched=False)
        assert "Left out by the verifier" in html and "<b>soldiers" not in html
        assert (
            "missing: sent, 50000" in html and "The sky is blue.”</span> off the question" in html
        )
        assert "qa-removed" not in render.answer_message(make_answer(cited), 0, False)

    def test_abstention_lists_the_closest_passages(self) -> None:
        passages = tuple(Passage(f"s/{i}.txt", 0, 5, f"text{i}") for i in range(5))
        html = render.answer_message(make_answer(passages=passages), 2, show_searched=False)
        assert "qa-abstain" in html and "The sources don&#x27;t say." in html
        assert re.findall(r'href="#qa-2-p-(\d)"', html) == ["0", "1", "2"]

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
        add_serve_command(parser.add_subparsers(dest="command"), [common])
        args = parser.parse_args(["serve"])
        assert (args.host, args.port, args.sources, args.open) == (
            "127.0.0.1",
            7860,
            "seeds",
            False,
        )
        args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "8000"])
        assert (args.host, args.port) == ("0.0.0.0", 8000)

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
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Server]:
    with running_app(tmp_path_factory.mktemp("ui"), embedder) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (or set QA_CHROMIUM)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(server: Server, browser: Browser) -> Iterator[Page]:
    """A fresh session (an empty chat) on the running app."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server.url)
    expect(page.locator("#qa-question textarea")).to_be_visible()
    yield page
    context.close()


def shot(page: Page, name: str, full_page: bool = False) -> None:
    if os.environ.get("QA_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


def replies(page: Page) -> Locator:
    """Finished assistant turns: answers, abstentions, errors (not the one still streaming)."""
    return page.locator(
        "#qa-chat .qa-msg.qa-answer:not(.qa-streaming), #qa-chat .qa-abstain, #qa-chat .qa-error"
    )


def ask(page: Page, question: str) -> Locator:
    before = replies(page).count()
    page.locator("#qa-question textarea").fill(question)
    page.locator("#qa-ask").click()
    expect(replies(page)).to_have_count(before + 1)
    return replies(page).nth(before)


def shows_text(locator: Locator, text: str) -> bool:
    """Whether the rendered text (``<br>`` read as a line break) holds ``text``, spaces aside."""
    return " ".join(text.split()) in " ".join(locator.inner_text().split())


def expect_highlight(page: Page, source: str, start: int, end: int, quote: str) -> None:
    """The source panel shows ``source`` with exactly ``quote`` marked, and in view."""
    panel = page.locator("#qa-source")
    expect(panel.locator(".qa-offsets")).to_contain_text(f"characters {start}–{end} of ")
    expect(panel.locator(".qa-source-name")).to_have_text(source)
    mark = panel.locator("mark.qa-cited")
    expect(mark).to_have_count(1)
    assert mark.text_content() == quote
    expect(mark).to_be_in_viewport()


@pytest.mark.e2e
@pytest.mark.slow
class TestBrowser:
    def test_example_answer_with_citations_one_click_from_the_source(
        self, server: Server, page: Page
    ) -> None:
        want = server.assistant.ask(SEED_QUESTION)
        assert not want.abstained and want.citations
        page.get_by_role("button", name=SEED_QUESTION).click()  # an example question
        expect(replies(page)).to_have_count(1)
        reply = replies(page).first
        assert shows_text(reply.locator(".qa-text"), want.text)
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

    def test_abstention_looks_different_and_shows_the_closest_passages(
        self, server: Server, page: Page
    ) -> None:
        want = server.assistant.ask(UNANSWERABLE)
        assert want.abstained and want.passages
        reply = ask(page, UNANSWERABLE)
        expect(reply).to_have_class(re.compile(r"\bqa-abstain\b"))
        expect(reply.locator(".qa-abstain-head")).to_have_text(want.text)
        assert want.text.startswith("The sources don't say")
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
        assert shows_text(reply.locator(".qa-text"), want.text)
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

    def test_the_answer_streams_in_before_its_citations(self, server: Server) -> None:
        respond = next(f.fn for f in server.app.fns.values() if f.name == "respond")
        assert respond is not None
        steps = [chat[-1]["content"] for chat, _, _ in respond(SEED_QUESTION, [], 8, True)]
        assert "qa-pending" in steps[0]
        streamed = [s for s in steps if "qa-streaming" in s]
        assert len(streamed) > 1 and all("qa-ref" not in s for s in streamed)
        assert "qa-marker" in steps[-1] and "qa-streaming" not in steps[-1]

    def test_a_bad_question_is_one_line_in_the_chat(self, page: Page) -> None:
        reply = ask(page, "x" * 2001)
        expect(reply).to_have_text("⚠ the question is 2001 characters long; the limit is 2000")

    def test_phone_width(self, server: Server, browser: Browser) -> None:
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(server.url)
        reply = ask(page, SEED_QUESTION)
        reply.locator(".qa-marker").first.click()
        cited = server.assistant.ask(SEED_QUESTION).citations[0]
        expect_highlight(page, cited.source, cited.start, cited.end, cited.quote)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px screen"
        shot(page, "phone", full_page=True)
        context.close()

    def test_evaluation_tab_reads_the_latest_report(self, server: Server, page: Page) -> None:
        page.get_by_role("tab", name="Evaluation").click()
        expect(page.locator("#qa-eval-status")).to_contain_text("No evaluation report yet")
        latest = server.runs_dir / "latest"
        latest.mkdir(parents=True)
        (latest / "report.md").write_text("# Eval report\n\n**All 3 thresholds met.**\n")
        (latest / "metrics.png").write_bytes(PIXEL_PNG)
        page.get_by_role("tab", name="Ask").click()
        page.get_by_role("tab", name="Evaluation").click()
        expect(page.locator("#qa-eval-report")).to_contain_text("All 3 thresholds met.")
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

        page.locator("#qa-upload input[type=file]").set_input_files(upload)
        page.locator("#qa-add").click()
        expect(status).to_have_text(f"Added and indexed {name}.")
        expect(table).to_contain_text(name)
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
        assert (server.assistant.root / upload.name).exists()
        page.locator("#qa-reindex").click()
        expect(status).to_contain_text("Re-indexed: 0 added, 0 updated, 0 removed, 2 unchanged")
