"""The Gradio page: a chat whose every claim is one click from its source.

:func:`build_app` is handed an open :class:`~qa.assistant.Assistant` and returns the page:
its handlers are the methods of a :class:`~ui.page.Page`, and :func:`layout` builds the
components and wires the handlers to them. :func:`launch` starts a server for it.
Questions and index changes run in one concurrency group, so a re-index never races a
question; an evaluation (minutes long, read-only) runs on its own so the chat stays usable
meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.events import api as gradio_api  # not in gradio's __all__

from index.load import SUPPORTED_SUFFIXES
from qa.assistant import Assistant
from ui import render
from ui.page import Page
from ui.style import CSS, PANEL_JS

#: Events that touch the assistant share this concurrency group, one at a time.
QUEUE_MAX_SIZE = 64
ASSISTANT: dict[str, Any] = {"concurrency_id": "assistant", "concurrency_limit": 1}
PRIVATE: dict[str, Any] = {"api_visibility": "private"}


def build_app(
    assistant: Assistant,
    *,
    runs_dir: Path = Path("runs"),
    gold: str | Path | None = None,
    examples: Sequence[str] | None = None,
) -> gr.Blocks:
    """The whole page for one assistant.

    ``runs_dir`` holds the evaluation runs (``latest/``); ``gold`` is the folder's gold
    file (``qa serve --gold``), which the Evaluation tab runs and the example questions
    come from (``examples`` overrides them; see :class:`~ui.page.Page`).
    """
    return layout(Page(assistant, runs_dir=runs_dir, gold=gold, examples=examples))


def layout(page: Page) -> gr.Blocks:
    """The components of the page, and which handler of ``page`` each event runs."""
    settings = page.assistant.settings
    served_gold = str(page.gold) if page.gold is not None else ""
    app = gr.Blocks(
        title=f"Grounded QA: {page.assistant.root.resolve().name}", analytics_enabled=False
    )
    with app:
        turns = gr.State([])
        gold = gr.State(served_gold)  # this session's gold file; "" for none
        header = gr.HTML(page.header(), elem_id="qa-header", js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    chatbot = gr.Chatbot(
                        elem_id="qa-chat",
                        show_label=False,
                        height=520,
                        examples=[{"text": q} for q in page.examples] or None,
                        placeholder="Ask about the files of this folder; every answer cites "
                        "the exact words it rests on.",
                        feedback_options=None,
                        latex_delimiters=[],
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            elem_id="qa-question",
                            show_label=False,
                            placeholder="Ask a question about the sources",
                            scale=5,
                            min_width=200,
                            max_lines=4,
                        )
                        ask = gr.Button(
                            "Ask", variant="primary", scale=1, min_width=70, elem_id="qa-ask"
                        )
                    with gr.Accordion("Settings", open=False, elem_id="qa-settings"):
                        gr.Textbox(
                            page.mode,
                            label="Answer mode",
                            info="How answers are made; set when the server starts (--llm).",
                            interactive=False,
                            elem_id="qa-mode",
                        )
                        top_k = gr.Slider(
                            1,
                            50,
                            value=settings.top_k,
                            step=1,
                            label="Passages to use",
                            info="How many retrieved passages the answer is chosen from.",
                        )
                        show_searched = gr.Checkbox(
                            value=True,
                            label="Show what was searched",
                            info="The standalone question a follow-up was turned into.",
                        )
                        gr.Markdown(
                            f"Answers below the reader's threshold are marked *tentative*: "
                            f"{page.assistant.floor.describe()}.",
                            elem_id="qa-floor",
                        )
                    new_chat = gr.Button("New chat", size="sm", elem_id="qa-new-chat")
                with gr.Column(scale=2, min_width=300):
                    panel = gr.HTML(
                        render.PANEL_HINT,
                        elem_id="qa-source",
                        container=True,
                        js_on_load=PANEL_JS,
                    )
            with gr.Tab("Sources", id="sources") as sources_tab:
                table = gr.Dataframe(
                    headers=["Source", "Size", "Chunks", "Indexed"],
                    interactive=False,
                    elem_id="qa-sources-table",
                    wrap=True,
                )
                with gr.Row():
                    upload = gr.File(
                        label="Add files",
                        file_count="multiple",
                        file_types=sorted(SUPPORTED_SUFFIXES),
                        type="filepath",
                        elem_id="qa-upload",
                        scale=2,
                    )
                    with gr.Column(scale=1, min_width=220):
                        replace = gr.Checkbox(
                            label="Replace existing files of the same name", value=False
                        )
                        add = gr.Button("Add to index", variant="primary", elem_id="qa-add")
                with gr.Row():
                    to_remove = gr.Dropdown(
                        label="Source to take out of the index (the file stays)",
                        elem_id="qa-remove-choice",
                        scale=2,
                    )
                    with gr.Column(scale=1, min_width=220):
                        remove_btn = gr.Button(
                            "Remove from index", variant="stop", elem_id="qa-remove"
                        )
                        reindex_btn = gr.Button("Re-index folder", elem_id="qa-reindex")
                sources_status = gr.HTML(elem_id="qa-sources-status", js_on_load=None)
            with gr.Tab("Evaluation", id="eval") as eval_tab:
                with gr.Row():
                    eval_intro = gr.Markdown(page.eval_intro(served_gold), elem_id="qa-eval-intro")
                    run_eval_btn = gr.Button("Run evaluation", elem_id="qa-run-eval", scale=0)
                with gr.Accordion("Upload a gold file", open=page.gold is None, elem_id="qa-gold"):
                    gold_upload = gr.File(
                        label="Gold file (.jsonl) for this folder",
                        file_types=[".jsonl"],
                        type="filepath",
                        elem_id="qa-gold-upload",
                    )
                eval_status = gr.HTML(elem_id="qa-eval-status", js_on_load=None)
                eval_chart = gr.Image(
                    label="Metrics",
                    type="filepath",
                    interactive=False,
                    visible=False,
                    elem_id="qa-eval-chart",
                )
                eval_report = gr.Markdown(elem_id="qa-eval-report")

        chat_io: dict[str, Any] = {
            "fn": page.respond,
            "inputs": [question, turns, top_k, show_searched],
            "outputs": [chatbot, turns, question],
            **ASSISTANT,
            **PRIVATE,
        }
        gr.on([question.submit, ask.click], **chat_io)
        chatbot.example_select(page.pick_example, None, question, **PRIVATE).then(**chat_io)
        show_searched.change(page.chat_view, [turns, show_searched], chatbot, **PRIVATE)
        new_chat.click(page.new_chat, None, [chatbot, turns, panel], **PRIVATE)
        panel.select(page.show_ref, turns, panel, **PRIVATE)

        sources_out = [table, to_remove, sources_status]
        add.click(
            page.add_files,
            [upload, replace],
            [*sources_out, upload],
            **ASSISTANT,
            api_name="add_sources",
        ).then(page.header, None, header, **PRIVATE)
        reindex_btn.click(page.reindex, None, sources_out, **ASSISTANT, **PRIVATE).then(
            page.header, None, header, **PRIVATE
        )
        remove_btn.click(page.remove, to_remove, sources_out, **ASSISTANT, **PRIVATE).then(
            page.header, None, header, **PRIVATE
        )
        sources_tab.select(page.sources_view, None, sources_out, **ASSISTANT, **PRIVATE)
        app.load(page.sources_view, None, sources_out, **ASSISTANT, **PRIVATE)

        eval_out = [eval_report, eval_chart, eval_status]
        run_eval_btn.click(page.run_evaluation, gold, eval_out, **PRIVATE)
        gold_upload.upload(
            page.use_gold, [gold_upload, gold], [gold, eval_intro, eval_status], **PRIVATE
        )
        eval_tab.select(page.eval_view, None, eval_out, **PRIVATE)
        app.load(page.eval_view, None, eval_out, **PRIVATE)

        gradio_api(page.api_ask, api_name="ask", **ASSISTANT)
        gradio_api(page.api_sources, api_name="sources", **ASSISTANT)
    # Answers are CPU-bound and run one at a time (ASSISTANT); 6-8 a second is the ceiling on
    # two cores (bench/results/load.md), so past 64 waiting a request fails fast, not in 9 s.
    app.queue(max_size=QUEUE_MAX_SIZE)
    return app


def launch(
    app: gr.Blocks,
    host: str,
    port: int,
    auth: tuple[str, str] | None = None,
    *,
    block: bool = True,
    open_browser: bool = False,
) -> str:
    """Serve ``app`` and return its URL; no share link, no analytics, no MCP server.

    ``block=False`` returns once the server is up (tests run it in their own process).
    """
    _, url, _ = app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="Sign in with the user and password set in QA_AUTH.",
        share=False,
        inbrowser=open_browser,
        prevent_thread_lock=not block,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        footer_links=["api"],
        css=CSS,
    )
    return str(url)
