"""The Gradio page: a chat whose every claim is one click from its source.

:func:`build_app` is handed an open :class:`~qa.assistant.Assistant` and only shows
what it returns; :func:`launch` starts a server for it. Questions and index changes
run in one concurrency group, so a re-index never races a question; an evaluation
(minutes long, read-only) runs on its own so the chat stays usable meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.events import api as gradio_api  # not in gradio's __all__

from index.load import SUPPORTED_SUFFIXES
from qa.assistant import Assistant
from qa.errors import QAError
from qa.types import Answer
from ui import render
from ui.serve import DEFAULT_HOST, DEFAULT_PORT

EXAMPLES = (
    "What kind of weapon has the Biden administration approved sending to Ukraine?",
    "Which outlet reported that the mines go inoperative when the battery dies?",
    "How many mines will the US send?",
)
#: Events that touch the assistant share this concurrency group, one at a time.
QUEUE_MAX_SIZE = 64
ASSISTANT: dict[str, Any] = {"concurrency_id": "assistant", "concurrency_limit": 1}
#: Gradio spots a progress parameter by its default and hands each call a fresh tracker.
PROGRESS = gr.Progress()
TQDM_PROGRESS = gr.Progress(track_tqdm=True)

Chat = list[dict[str, str]]

#: Runs in the source panel: a click on any ``a.qa-ref`` (chat or panel) asks the server
#: for that span; after the panel re-renders, its ``<mark>`` is scrolled into view.
PANEL_JS = """
window.qaShowRef = trigger;
if (!window.qaRefListener) {
  window.qaRefListener = (event) => {
    const link = event.target.closest && event.target.closest('a.qa-ref');
    if (!link) return;
    event.preventDefault();
    window.qaShowRef('select', {ref: link.getAttribute('href')});
  };
  document.addEventListener('click', window.qaRefListener);
}
watch('value', () => {
  const mark = element.querySelector('mark.qa-cited');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'smooth'});
});
"""

CSS = """
.qa-msg { line-height: 1.5; }
.qa-text { margin: 0 0 .4em 0; }
.qa-ref { text-decoration: none; cursor: pointer; }
.qa-marker { font-weight: 600; margin-left: .2em; color: var(--color-accent); }
.qa-chips, .qa-related { display: flex; flex-wrap: wrap; gap: .35em; align-items: center; }
.qa-chip {
  display: inline-block; padding: .1em .55em; border-radius: 999px; font-size: .85em;
  border: 1px solid var(--border-color-accent); color: var(--body-text-color);
  background: var(--background-fill-secondary); overflow-wrap: anywhere;
}
.qa-chip:hover, .qa-chip.qa-current { border-color: var(--color-accent); }
.qa-chip.qa-current { font-weight: 600; }
.qa-agree { font-size: .85em; color: #15803d; }
.qa-differ { border-left: 3px solid #d97706; padding-left: .6em; }
.qa-removed { font-size: .8em; color: #6b7280; margin-top: .4em; }
.qa-searched { font-size: .8em; opacity: .75; margin-bottom: .3em; }
#qa-chat [data-testid="bot"]:has(.qa-abstain) {
  border: 1px dashed #d97706; background: rgba(217, 119, 6, .08);
}
.qa-abstain-head { font-style: italic; font-weight: 600; margin: 0 0 .3em 0; }
.qa-abstain-head::before { content: "∅ "; }
.qa-why { font-size: .85em; margin: 0 0 .2em 0; }
.qa-passages { margin: 0; padding-left: 1.3em; font-size: .85em; }
.qa-passages li { margin-bottom: .35em; }
.qa-snippet { display: block; opacity: .8; }
.qa-pending { opacity: .6; font-style: italic; }
.qa-error, .qa-status-error { color: #b91c1c; }
.qa-panel-hint { opacity: .7; padding: 1em; }
.qa-source-head { display: flex; flex-wrap: wrap; gap: .2em .8em; align-items: baseline;
  position: sticky; top: 0; z-index: 1; padding: .6em 0 .4em 0; margin-bottom: .4em;
  background: var(--block-background-fill); border-bottom: 1px solid var(--border-color-primary); }
.qa-kind { width: 100%; font-size: .85em; opacity: .75; }
.qa-source-name { font-weight: 600; overflow-wrap: anywhere; }
.qa-offsets { font-size: .85em; font-family: var(--font-mono); }
.qa-related { width: 100%; font-size: .9em; }
.qa-related .qa-chip { font-size: .95em; }
.qa-source { padding: 0 .9em .9em .9em; max-height: min(640px, 75vh); overflow-y: auto; }
.qa-source-text { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.55;
  font-size: .92em; }
mark.qa-cited { background: #fde68a; color: #111; padding: 0 .1em; border-radius: 3px;
  scroll-margin: 4em; }
.qa-status { padding: .3em 0; }
#qa-source { min-height: 200px; }
"""


def build_app(
    assistant: Assistant, *, runs_dir: Path = Path("runs"), examples: Sequence[str] = EXAMPLES
) -> gr.Blocks:
    """The whole page for one assistant; ``runs_dir`` holds the eval runs (``latest/``)."""
    mode = str(getattr(assistant.settings, "mode", "extractive"))
    modes = list(dict.fromkeys(["extractive", mode]))

    def chat_view(turns: list[Answer], show_searched: bool) -> Chat:
        chat: Chat = []
        for turn, answer in enumerate(turns):
            chat.append({"role": "user", "content": render.user_message(answer.question)})
            content = render.answer_message(answer, turn, show_searched)
            chat.append({"role": "assistant", "content": content})
        return chat

    def respond(
        question: str, turns: list[Answer], top_k: float, show_searched: bool
    ) -> Iterator[tuple[Chat, list[Answer], str]]:
        shown = chat_view(turns, show_searched)
        if not question.strip():
            yield shown, turns, ""
            return
        shown.append({"role": "user", "content": render.user_message(question)})
        yield [*shown, {"role": "assistant", "content": render.pending_message()}], turns, ""
        text = ""
        try:
            for piece in assistant.ask_stream(question, render.history(turns), int(top_k)):
                if isinstance(piece, Answer):
                    turns = [*turns, piece]
                    yield chat_view(turns, show_searched), turns, ""
                else:
                    text += piece
                    reply = {"role": "assistant", "content": render.streaming_message(text)}
                    yield [*shown, reply], turns, ""
        except QAError as exc:
            error = {"role": "assistant", "content": render.error_message(str(exc))}
            yield [*shown, error], turns, ""

    def pick_example(evt: gr.SelectData) -> str:
        return str(evt.value["text"])

    def show_ref(turns: list[Answer], evt: gr.EventData) -> str:
        ref = render.parse_ref(str(getattr(evt, "ref", "")))
        if ref is None or ref.turn >= len(turns):
            return render.status("That answer is no longer in this chat.", ok=False)
        answer = turns[ref.turn]
        spans = answer.citations if ref.kind == "c" else answer.passages
        if ref.index >= len(spans):
            return render.status("That answer has no such citation.", ok=False)
        try:
            text = assistant.source_text(spans[ref.index].source)
        except QAError as exc:
            return render.status(str(exc), ok=False)
        if ref.kind == "c":
            return render.citation_panel(answer, ref.turn, ref.index, text)
        return render.passage_panel(answer, ref.index, text)

    def sources_view(message: str = "", ok: bool = True) -> tuple[Any, ...]:
        infos = assistant.sources()
        rows = [
            [s.name, render.size_text(s.size_bytes), s.chunks, render.when_text(s.indexed_at)]
            for s in infos
        ]
        names = [s.name for s in infos]
        return rows, gr.Dropdown(choices=names, value=None), render.status(message, ok)

    def add_files(
        paths: list[str] | None, replace: bool, progress: gr.Progress = PROGRESS
    ) -> tuple[Any, ...]:
        if not paths:
            return *sources_view("Choose one or more files first.", ok=False), gr.skip()
        added: list[str] = []
        try:
            for path in progress.tqdm(paths, desc="Adding"):
                data = Path(path).read_bytes()
                added.append(assistant.add_source(Path(path).name, data, replace=replace))
        except QAError as exc:
            done = f"Added {', '.join(added)}. " if added else ""
            return *sources_view(f"{done}{exc}", ok=False), gr.skip()
        return *sources_view(f"Added and indexed {', '.join(added)}."), None

    def reindex(progress: gr.Progress = TQDM_PROGRESS) -> tuple[Any, ...]:
        progress(0, desc="Re-indexing")
        try:
            report = assistant.reindex(progress=True)
        except QAError as exc:
            return sources_view(str(exc), ok=False)
        skipped = "".join(f" Skipped {s.path}: {s.reason}." for s in report.skipped)
        return sources_view(f"Re-indexed: {report.summary()}.{skipped}", ok=not skipped)

    def remove(source: str | None) -> tuple[Any, ...]:
        if not source:
            return sources_view("Choose a source to remove first.", ok=False)
        try:
            assistant.remove_source(source)
        except QAError as exc:
            return sources_view(str(exc), ok=False)
        return sources_view(
            f"Removed {source} from the index; the file itself stays in {assistant.root}."
        )

    def eval_view(message: str = "", ok: bool = True) -> tuple[Any, ...]:
        latest = runs_dir / "latest"
        report, chart = latest / "report.md", latest / "metrics.png"
        if not message and not report.exists():
            message = (
                "No evaluation report yet: press Run evaluation, or run qa eval in a terminal."
            )
        text = report.read_text(encoding="utf-8") if report.exists() else ""
        image = gr.Image(value=str(chart) if chart.exists() else None, visible=chart.exists())
        return text, image, render.status(message, ok)

    def run_evaluation(progress: gr.Progress = TQDM_PROGRESS) -> tuple[Any, ...]:
        try:
            from eval import run_eval
            from eval.report import summary
        except ImportError as exc:
            return eval_view(f"Evaluation is not available here: {exc}", ok=False)
        progress(0, desc="Evaluating")
        out = runs_dir / datetime.now(UTC).strftime("eval-%Y%m%dT%H%M%SZ")
        try:
            report = run_eval(assistant=assistant, out_dir=out, progress=True)
        except QAError as exc:
            return eval_view(str(exc), ok=False)
        return eval_view(summary(report, out), ok=report.passed)

    def api_ask(
        question: str, history: list[dict[str, str]] | None = None, top_k: int | None = None
    ) -> dict[str, Any]:
        """Answer one question; ``history`` holds earlier turns as {"role", "content"} dicts."""
        try:
            return assistant.ask(question, history or [], top_k).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from None

    def api_sources() -> list[dict[str, Any]]:
        """The indexed files: name, size in bytes, chunks, when indexed (Unix time)."""
        return [asdict(s) for s in assistant.sources()]

    app = gr.Blocks(title="Grounded QA", analytics_enabled=False)
    with app:
        turns = gr.State([])
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    chatbot = gr.Chatbot(
                        elem_id="qa-chat",
                        show_label=False,
                        height=520,
                        examples=[{"text": q} for q in examples],
                        placeholder=f"Ask about the {len(assistant.texts)} files in "
                        f"**{assistant.root.name}**; every answer cites its source.",
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
                        gr.Dropdown(
                            modes,
                            value=mode,
                            label="Answer mode",
                            info="How answers are made; set when the server starts.",
                            interactive=False,
                        )
                        top_k = gr.Slider(
                            1,
                            50,
                            value=assistant.settings.top_k,
                            step=1,
                            label="Passages to use",
                            info="How many retrieved passages the answer is chosen from.",
                        )
                        show_searched = gr.Checkbox(
                            value=True,
                            label="Show what was searched",
                            info="The standalone question a follow-up was turned into.",
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
                    gr.Markdown(
                        "Scores this assistant on the gold questions (`eval/gold.jsonl`): "
                        "answers, citations, abstentions. A run takes a few minutes.",
                    )
                    run_eval_btn = gr.Button("Run evaluation", elem_id="qa-run-eval", scale=0)
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
            "fn": respond,
            "inputs": [question, turns, top_k, show_searched],
            "outputs": [chatbot, turns, question],
            **ASSISTANT,
            "api_visibility": "private",
        }
        gr.on([question.submit, ask.click], **chat_io)
        chatbot.example_select(
            pick_example,
            None,
            question,
            api_visibility="private",
        ).then(**chat_io)
        show_searched.change(chat_view, [turns, show_searched], chatbot, api_visibility="private")
        new_chat.click(
            lambda: ([], [], render.PANEL_HINT),
            None,
            [chatbot, turns, panel],
            api_visibility="private",
        )
        panel.select(show_ref, turns, panel, api_visibility="private")

        sources_out = [table, to_remove, sources_status]
        add.click(
            add_files,
            [upload, replace],
            [*sources_out, upload],
            **ASSISTANT,
            api_name="add_sources",
        )
        reindex_btn.click(reindex, None, sources_out, **ASSISTANT, api_visibility="private")
        remove_btn.click(remove, to_remove, sources_out, **ASSISTANT, api_visibility="private")
        eval_out = [eval_report, eval_chart, eval_status]
        run_eval_btn.click(run_evaluation, None, eval_out, api_visibility="private")
        eval_tab.select(eval_view, None, eval_out, api_visibility="private")
        sources_tab.select(sources_view, None, sources_out, **ASSISTANT, api_visibility="private")
        app.load(sources_view, None, sources_out, **ASSISTANT, api_visibility="private")
        app.load(eval_view, None, eval_out, api_visibility="private")
        gradio_api(api_ask, api_name="ask", **ASSISTANT)
        gradio_api(api_sources, api_name="sources", **ASSISTANT)
    # Answers are CPU-bound and run one at a time (ASSISTANT); 6-8 a second is the ceiling on
    # two cores (bench/results/load.md), so past 64 waiting a request fails fast, not in 9 s.
    app.queue(max_size=QUEUE_MAX_SIZE)
    return app


def launch(
    app: gr.Blocks,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
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
