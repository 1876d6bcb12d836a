"""What the UI tests share: a running server, a real Chromium, a folder that is not the seeds.

Answers are made at the shipped decision (default ``Settings``). The floor is the one the
default settings measure on the seeds (``seeds_assistant.floor``), set on each copy of the
seeds rather than measured again: the same files give the same floor, and measuring takes
20 s a copy on two cores.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from index.embed import Embedder
from qa import Assistant, Settings
from tests.conftest import REPO, SEEDS
from ui.app import build_app, launch

SEED_QUESTION = "What kind of weapon has the Biden administration approved sending to Ukraine?"
#: Below the reader's threshold, above the seeds' floor: "Possibly: 10,000".
TENTATIVE_QUESTION = "How many North Korean soldiers were sent?"
UNANSWERABLE = "How many mines will the US send?"
SEEDS_GOLD = REPO / "eval" / "gold.jsonl"
#: A fictional topic the seeds know nothing about, with one fact to ask for.
NEW_SOURCE = (
    "The Quenmoor Lantern Festival is held every spring on the island of Quenmoor.\n"
    "The festival was founded in 1893 by the glassmaker Ilsa Vantree.\n"
    "Each year the islanders float exactly 412 paper lanterns across the harbour.\n"
)
NEW_QUESTION = "Who founded the Quenmoor Lantern Festival?"
NEW_ANSWER = "Ilsa Vantree"

#: Another genre than news: a fictional backup tool's README, release notes and FAQ.
OTHER_DOCS = {
    "README.md": """# Tidewell

Tidewell is a command-line tool that copies a folder to a backup drive and keeps the
last seven snapshots of it.

## Installing

Install it with `pipx install tidewell`. Tidewell needs Python 3.10 or newer and runs on
Linux and macOS.

## Making a snapshot

Run `tidewell push ~/Documents /mnt/backup` to make a snapshot of a folder. The
`--dry-run` flag lists the files that would be copied without copying anything.
Snapshots are compressed with zstd at level 9.

## Configuration

Settings live in `~/.config/tidewell/tidewell.toml`. The `keep` setting changes how many
snapshots are kept, and `exclude` lists glob patterns of files to leave out.
""",
    "CHANGES.md": """# Tidewell release notes

## 2.1.0 (2024-03-18)

- New: `tidewell verify` checks every snapshot against its SHA-256 manifest.
- Fixed: symbolic links that point outside the folder are no longer followed.

## 2.0.0 (2023-11-02)

- Breaking: the configuration file moved from `~/.tidewellrc` to
  `~/.config/tidewell/tidewell.toml`.
- Snapshots are now compressed with zstd instead of gzip.
- Removed: the `tidewell mirror` command, replaced by `tidewell push --mirror`.
""",
    "FAQ.txt": """Tidewell FAQ

Can I restore a single file?
Yes. Run tidewell restore with the snapshot date and the file's path; only that file is
copied back.

Where are the logs?
Tidewell writes its log to ~/.local/state/tidewell/tidewell.log and keeps the last
five log files.
""",
}
#: Its gold questions, as the simple gold format writes them: question, answers, answerable.
OTHER_GOLD: list[dict[str, Any]] = [
    {
        "question": "Which command checks every snapshot against its manifest?",
        "answers": ["tidewell verify"],
    },
    {
        "question": "Which flag lists the files that would be copied without copying anything?",
        "answers": ["--dry-run"],
    },
    {"question": "What were snapshots compressed with before version 2.0.0?", "answers": ["gzip"]},
    {
        "question": "Where does Tidewell write its log?",
        "answers": ["~/.local/state/tidewell/tidewell.log", "tidewell.log"],
    },
    {"question": "How many snapshots does Tidewell keep?", "answers": ["seven", "7"]},
    {"question": "Which company sponsors Tidewell?", "answers": []},
]


def write_other_folder(parent: Path) -> tuple[Path, Path]:
    """The Tidewell folder and its gold file (beside it, not in it), under ``parent``."""
    folder = parent / "tidewell"
    folder.mkdir(parents=True)
    for name, text in OTHER_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    gold = parent / "tidewell-gold.jsonl"
    rows = [{**item, "answerable": bool(item["answers"])} for item in OTHER_GOLD]
    gold.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return folder, gold


@dataclass(frozen=True)
class Server:
    app: gr.Blocks
    url: str
    assistant: Assistant
    runs_dir: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(assistant: Assistant, runs_dir: Path, gold: Path | None = None) -> Iterator[Server]:
    """The app as ``qa serve`` builds it, on a free loopback port, in this process."""
    app = build_app(assistant, runs_dir=runs_dir, gold=gold)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    try:
        yield Server(app, url, assistant, runs_dir)
    finally:
        app.close()


@contextmanager
def running_app(folder: Path, embedder: Embedder, floor: float) -> Iterator[Server]:
    """The page over a fresh copy of the seeds, at the default settings with the seeds'
    ``floor``, and the repo's gold file (written for a folder named seeds)."""
    sources = folder / "seeds"  # the gold set names the seeds by folder
    shutil.copytree(SEEDS, sources)
    settings = Settings(index_dir=folder / "index", floor=floor)
    assistant = Assistant.open(sources, settings, embedder=embedder)
    with serving(assistant, folder / "runs", SEEDS_GOLD) as server:
        yield server


# --- a real browser ---------------------------------------------------------------------

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
# Playwright's assertions wait 5 s by default, whatever the page's timeout: on a loaded
# 2-core machine Gradio's first render alone can take longer (a CI run saw "Loading...").
expect.set_options(timeout=WAIT_MS)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (or set QA_CHROMIUM)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(browser: Browser, url: str, width: int = 1280, height: int = 900) -> Iterator[Page]:
    """A fresh session (an empty chat) on the page at ``url``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    expect(page.locator("#qa-question textarea")).to_be_visible()
    try:
        yield page
    finally:
        context.close()


def shot(page: Page, name: str, full_page: bool = False) -> None:
    """With ``QA_SCREENSHOTS=1``, save the page as docs/screenshots/<name>.png."""
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


def flat(text: str) -> str:
    return " ".join(text.split())


def shows_text(locator: Locator, text: str) -> bool:
    """Whether the rendered text (``<br>`` read as a line break) holds ``text``, spaces aside."""
    return flat(text) in flat(locator.inner_text())


def expect_highlight(page: Page, source: str, start: int, end: int, quote: str) -> None:
    """The source panel shows ``source`` with exactly ``quote`` marked, and in view."""
    panel = page.locator("#qa-source")
    expect(panel.locator(".qa-offsets")).to_contain_text(f"characters {start}–{end} of ")
    expect(panel.locator(".qa-source-name")).to_have_text(source)
    mark = panel.locator("mark.qa-cited")
    expect(mark).to_have_count(1)
    assert mark.text_content() == quote
    expect(mark).to_be_in_viewport()
