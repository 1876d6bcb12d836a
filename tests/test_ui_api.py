"""The app's Gradio API, driven with gradio_client as a script would: /ask, /sources, /add_sources.

Each answer must be the one the library gives for the same question, as JSON, at the
shipped decision (default settings, the seeds' floor: see conftest_ui).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from index.embed import Embedder
from qa import Assistant
from tests.conftest_ui import (
    NEW_ANSWER,
    NEW_QUESTION,
    NEW_SOURCE,
    SEED_QUESTION,
    TENTATIVE_QUESTION,
    UNANSWERABLE,
    Server,
    free_port,
    running_app,
)
from ui.app import build_app, launch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, seeds_assistant: Assistant
) -> Iterator[Server]:
    floor = seeds_assistant.floor.confidence
    with running_app(tmp_path_factory.mktemp("ui-api"), embedder, floor) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Server) -> Client:
    return Client(server.url, verbose=False, analytics_enabled=False)


def without_timings(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


def test_only_the_documented_endpoints_are_public(client: Client) -> None:
    info = client.view_api(print_info=False, return_format="dict")
    assert isinstance(info, dict)
    assert set(info["named_endpoints"]) == {"/ask", "/sources", "/add_sources"}
    assert not info["unnamed_endpoints"]


def test_served_on_loopback_without_analytics(server: Server) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.app.analytics_enabled is False
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert server.app.share is False


@pytest.mark.parametrize(
    ("question", "tier"),
    [(SEED_QUESTION, "confident"), (TENTATIVE_QUESTION, "tentative"), (UNANSWERABLE, "not_found")],
)
def test_ask_gives_the_library_answer(
    server: Server, client: Client, question: str, tier: str
) -> None:
    got = client.predict(question, None, None, api_name="/ask")
    want = server.assistant.ask(question).to_dict()
    assert without_timings(got) == without_timings(want)
    assert set(got["timings_ms"]) == set(want["timings_ms"])
    assert got["tier"] == tier and got["abstained"] == (tier == "not_found")


def test_follow_up_with_history(server: Server, client: Client) -> None:
    first = client.predict("Who criticised the decision?", None, None, api_name="/ask")
    history = [
        {"role": "user", "content": first["question"]},
        {"role": "assistant", "content": first["answer"]},
    ]
    got = client.predict("What did he say?", history, None, api_name="/ask")
    want = server.assistant.ask("What did he say?", history)
    assert got["searched"] == want.searched != got["question"]
    assert without_timings(got) == without_timings(want.to_dict())


def test_top_k_is_passed_on_and_checked(server: Server, client: Client) -> None:
    got = client.predict(SEED_QUESTION, None, 1, api_name="/ask")
    assert without_timings(got) == without_timings(
        server.assistant.ask(SEED_QUESTION, top_k=1).to_dict()
    )
    with pytest.raises(AppError, match="top_k must be between 1 and 100, got 0"):
        client.predict(SEED_QUESTION, None, 0, api_name="/ask")


def test_a_bad_question_is_a_one_line_error(client: Client) -> None:
    with pytest.raises(AppError, match=r"^the question is empty$"):
        client.predict("   ", None, None, api_name="/ask")


def test_sources_lists_the_indexed_files(server: Server, client: Client) -> None:
    got = client.predict(api_name="/sources")
    assert [s["name"] for s in got] == [s.name for s in server.assistant.sources()]
    assert all(s["chunks"] > 0 and s["size_bytes"] > 0 and s["indexed_at"] > 0 for s in got)


def test_add_sources_then_ask_about_it(server: Server, client: Client, tmp_path: Path) -> None:
    upload = tmp_path / "quenmoor.md"
    upload.write_text(NEW_SOURCE)
    name = f"{server.assistant.root.name}/quenmoor.md"
    _, _, status, _ = client.predict([handle_file(upload)], False, api_name="/add_sources")
    assert f"Added and indexed {name}." in status
    got = client.predict(NEW_QUESTION, None, None, api_name="/ask")
    assert NEW_ANSWER in got["answer"] and got["citations"][0]["source"] == name

    _, _, status, _ = client.predict([handle_file(upload)], False, api_name="/add_sources")
    assert "already exists" in status and "choose replace" in status
    upload.write_text(NEW_SOURCE.replace("Ilsa Vantree", "Oren Malk"))
    _, _, status, _ = client.predict([handle_file(upload)], True, api_name="/add_sources")
    assert f"Added and indexed {name}." in status
    got = client.predict(NEW_QUESTION, None, None, api_name="/ask")
    assert "Oren Malk" in got["answer"]


def test_unsupported_uploads_are_refused(client: Client, tmp_path: Path) -> None:
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    with pytest.raises(AppError, match="Invalid file type"):  # Gradio checks the suffix first
        client.predict([handle_file(exe)], False, api_name="/add_sources")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    _, _, status, _ = client.predict([handle_file(binary)], False, api_name="/add_sources")
    assert "qa-status-error" in status and "not text" in status


def test_login_when_auth_is_set(server: Server) -> None:
    app = build_app(server.assistant, runs_dir=server.runs_dir)
    url = launch(app, "127.0.0.1", free_port(), ("ann", "s3cret"), block=False)
    try:
        with pytest.raises(ValueError):
            Client(url, verbose=False, analytics_enabled=False)
        with pytest.raises(ValueError):
            Client(url, verbose=False, analytics_enabled=False, auth=("ann", "wrong"))
        signed_in = Client(url, verbose=False, analytics_enabled=False, auth=("ann", "s3cret"))
        names = [s["name"] for s in signed_in.predict(api_name="/sources")]
        assert names == [s.name for s in server.assistant.sources()] and names
    finally:
        app.close()
