"""A running UI server for the browser and API tests: a copy of the seeds, a fresh index."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from index.embed import Embedder
from qa import Assistant, Settings
from tests.conftest import ANSWER_MORE, SEEDS
from ui.app import build_app, launch

SEED_QUESTION = "What kind of weapon has the Biden administration approved sending to Ukraine?"
UNANSWERABLE = "How many mines will the US send?"
#: A fictional topic the seeds know nothing about, with one fact to ask for.
NEW_SOURCE = (
    "The Quenmoor Lantern Festival is held every spring on the island of Quenmoor.\n"
    "The festival was founded in 1893 by the glassmaker Ilsa Vantree.\n"
    "Each year the islanders float exactly 412 paper lanterns across the harbour.\n"
)
NEW_QUESTION = "Who founded the Quenmoor Lantern Festival?"
NEW_ANSWER = "Ilsa Vantree"


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
def running_app(folder: Path, embedder: Embedder) -> Iterator[Server]:
    """The app as ``qa serve`` builds it, on a free loopback port, in this process."""
    sources = folder / "seeds"  # the gold set and the examples name the seeds by folder
    shutil.copytree(SEEDS, sources)
    settings = Settings(index_dir=folder / "index", abstain_below=ANSWER_MORE)
    assistant = Assistant.open(sources, settings, embedder=embedder)
    runs_dir = folder / "runs"
    app = build_app(assistant, runs_dir=runs_dir)
    url = launch(app, "127.0.0.1", free_port(), block=False)
    try:
        yield Server(app, url, assistant, runs_dir)
    finally:
        app.close()
