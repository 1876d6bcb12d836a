"""The page on a folder that is not the seeds: a fictional tool's README, release notes and
FAQ, with a gold file of its own in the simple format.

A real Chromium checks that nothing of the seeds shows: the header names this folder, its
files and the answer mode; the examples come from its gold file; the Evaluation tab runs
that file and shows its figures. Default settings, the floor measured on this folder, as
``qa serve`` does. With ``QA_SCREENSHOTS=1`` the pages are saved as
docs/screenshots/other-folder-*.png.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from eval.metrics import containment, load_gold
from eval.report import fmt
from index.embed import Embedder
from qa import Assistant, Settings
from qa.types import spoken
from tests.conftest_ui import (
    OTHER_DOCS,
    SEED_QUESTION,
    SEEDS_GOLD,
    Server,
    chromium,
    expect_highlight,
    flat,
    open_page,
    replies,
    serving,
    shot,
    write_other_folder,
)
from ui import folder

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> tuple[Assistant, Path]:
    """The assistant over the Tidewell folder, and that folder's gold file."""
    parent = tmp_path_factory.mktemp("other")
    root, gold = write_other_folder(parent)
    settings = Settings(index_dir=parent / "index")
    return Assistant.open(root, settings, embedder=embedder), gold


@pytest.fixture(scope="module")
def server(
    other: tuple[Assistant, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    assistant, gold = other
    with serving(assistant, tmp_path_factory.mktemp("runs"), gold) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


def good_questions(assistant: Assistant, gold: Path) -> list[str]:
    """The gold file's answerable questions the library answers confidently and right."""
    good = []
    for item in load_gold(gold):
        answer = assistant.ask(item.question)
        if item.answerable and answer.tier == "confident" and containment(answer.text, item.golds):
            good.append(item.question)
    return good


def test_header_examples_and_answers_are_this_folders(
    server: Server, other: tuple[Assistant, Path], browser: Browser
) -> None:
    assistant, gold = other
    want = good_questions(assistant, gold)[: folder.EXAMPLES]
    assert want, "no gold question is answered confidently: the examples would be empty"
    root = assistant.root.resolve()
    with open_page(browser, server.url) as page:
        header = page.locator("#qa-header")
        expect(header.locator(".qa-folder")).to_have_text("tidewell")
        expect(header.locator(".qa-path")).to_have_text(str(root))
        expect(header.locator(".qa-files")).to_have_text(f"{len(OTHER_DOCS)} files")
        expect(header.locator(".qa-mode")).to_have_text("answers: extractive")
        examples = page.locator("#qa-chat button").filter(has_text="?")
        expect(examples).to_have_count(len(want))
        assert [flat(t) for t in examples.all_inner_texts()] == want
        seeds = [json.loads(line)["question"] for line in SEEDS_GOLD.read_text().splitlines()]
        body = page.locator("body").inner_text()
        assert SEED_QUESTION not in body and not any(q in body for q in seeds)

        shot(page, "other-folder-examples")
        examples.first.click()
        answer = assistant.ask(want[0])
        expect(replies(page)).to_have_count(1)
        reply = replies(page).first
        assert flat(reply.locator(".qa-text").inner_text()).startswith(spoken(answer))
        reply.locator(".qa-marker").first.click()
        cited = answer.citations[0]
        assert cited.source.startswith("tidewell/")
        expect_highlight(page, cited.source, cited.start, cited.end, cited.quote)
        shot(page, "other-folder-ask")


def test_the_evaluation_tab_runs_this_folders_gold_file(server: Server, browser: Browser) -> None:
    with open_page(browser, server.url) as page:
        page.get_by_role("tab", name="Evaluation").click()
        intro = page.locator("#qa-eval-intro")
        expect(intro).to_contain_text("tidewell-gold.jsonl")
        expect(intro).to_contain_text("tidewell")
        status = page.locator("#qa-eval-status")
        expect(status).to_contain_text("No evaluation report for this folder yet")
        page.locator("#qa-run-eval").click()
        expect(status).to_contain_text("eval: 6 items (5 answerable)", timeout=120_000)
        expect(status).to_contain_text("No thresholds set.")
        report = json.loads((server.runs_dir / "latest" / "report.json").read_text())
        assert report["info"]["gold"].endswith("tidewell-gold.jsonl")
        containment = fmt("answer_containment", report["overall"]["answer_containment"])
        expect(status).to_contain_text(f"containment={containment}")
        markdown = (server.runs_dir / "latest" / "report.md").read_text()
        title = markdown.splitlines()[0].removeprefix("# ")
        expect(page.locator("#qa-eval-report h1")).to_have_text(title)
        expect(page.locator("#qa-eval-chart img")).to_be_visible()
        shot(page, "other-folder-eval")


def test_without_a_gold_file_no_examples_and_the_tab_says_how_to_write_one(
    other: tuple[Assistant, Path], browser: Browser, tmp_path: Path
) -> None:
    assistant, gold = other
    with serving(assistant, tmp_path / "runs") as bare, open_page(browser, bare.url) as page:
        expect(page.locator("#qa-header .qa-folder")).to_have_text("tidewell")
        expect(page.locator("#qa-chat button").filter(has_text="?")).to_have_count(0)
        page.get_by_role("tab", name="Evaluation").click()
        intro = page.locator("#qa-eval-intro")
        expect(intro).to_contain_text("No gold file for tidewell yet")
        expect(intro).to_contain_text("qa serve --gold FILE")
        expect(intro.locator("code").last).to_contain_text('"answerable": false')
        page.locator("#qa-run-eval").click()
        status = page.locator("#qa-eval-status")
        expect(status).to_contain_text("No gold file for this folder: see above how to write one.")
        shot(page, "other-folder-no-gold", full_page=True)

        page.locator("#qa-gold-upload input[type=file]").set_input_files(gold)
        expect(status).to_have_text("Gold file tidewell-gold.jsonl: 6 questions (5 answerable).")
        expect(intro).to_contain_text("tidewell-gold.jsonl")
        assert not (tmp_path / "runs").exists()
