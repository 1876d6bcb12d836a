"""The page's handlers: one small class holding the assistant, one method per event.

Each method takes and returns plain values (or Gradio update objects), so a test calls it
directly against a real :class:`~qa.assistant.Assistant`, no browser. :func:`ui.app.layout`
wires them to the components. Per-session values (the chat's answers, the chosen gold
file) come in as arguments and go out as return values; the class itself keeps only what
the server was started with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr

from eval.report import summary
from eval.run import DEFAULT_GOLD, GOLD_EXAMPLE, GOLD_HOWTO, default_gold, run_eval
from qa.assistant import Assistant
from qa.errors import ConfigError, QAError
from qa.types import Answer
from ui import folder, render

#: Gradio spots a progress parameter by its default and hands each call a fresh tracker;
#: called directly (tests), it does nothing.
PROGRESS = gr.Progress()
TQDM_PROGRESS = gr.Progress(track_tqdm=True)

Chat = list[dict[str, str]]
#: The Evaluation tab's report, chart and status line.
EvalView = tuple[str, Any, str]


class Page:
    """Everything the page does, for one assistant.

    ``gold`` is the gold file the Evaluation tab runs (``qa serve --gold``); without one,
    the repo's ``eval/gold.jsonl`` when the folder is the repo's seeds, else none.
    ``examples`` default to the first few answerable questions of that file the assistant
    answers confidently and right; without a gold file there are none.
    """

    def __init__(
        self,
        assistant: Assistant,
        *,
        runs_dir: Path = Path("runs"),
        gold: str | Path | None = None,
        examples: Sequence[str] | None = None,
    ) -> None:
        self.assistant = assistant
        self.runs_dir = Path(runs_dir)
        self.gold = Path(gold) if gold is not None else default_gold(assistant.root)
        items = folder.read_gold(self.gold, assistant) if self.gold is not None else []
        if examples is None:
            examples = folder.examples_from_gold(assistant, items)
        self.examples = tuple(examples)
        self.mode = folder.answer_mode(assistant.settings)

    # --- Ask ---------------------------------------------------------------------------

    def chat_view(self, turns: list[Answer], show_searched: bool) -> Chat:
        chat: Chat = []
        for turn, answer in enumerate(turns):
            chat.append({"role": "user", "content": render.user_message(answer.question)})
            content = render.answer_message(answer, turn, show_searched)
            chat.append({"role": "assistant", "content": content})
        return chat

    def respond(
        self, question: str, turns: list[Answer], top_k: float, show_searched: bool
    ) -> Iterator[tuple[Chat, list[Answer], str]]:
        """The chat as the answer comes in: pending, the text as it streams, then the answer
        with its citations. Yields (chat, turns, the cleared question box)."""
        shown = self.chat_view(turns, show_searched)
        if not question.strip():
            yield shown, turns, ""
            return
        shown.append({"role": "user", "content": render.user_message(question)})
        yield [*shown, {"role": "assistant", "content": render.pending_message()}], turns, ""
        text = ""
        try:
            history = render.history(turns)
            for piece in self.assistant.ask_stream(question, history, int(top_k)):
                if isinstance(piece, Answer):
                    turns = [*turns, piece]
                    yield self.chat_view(turns, show_searched), turns, ""
                else:
                    text += piece
                    reply = {"role": "assistant", "content": render.streaming_message(text)}
                    yield [*shown, reply], turns, ""
        except QAError as exc:
            error = {"role": "assistant", "content": render.error_message(str(exc))}
            yield [*shown, error], turns, ""

    @staticmethod
    def pick_example(evt: gr.SelectData) -> str:
        return str(evt.value["text"])

    def show_ref(self, turns: list[Answer], evt: gr.EventData) -> str:
        """The source panel for the marker, chip or passage clicked (its ``href``)."""
        return self.panel(turns, str(getattr(evt, "ref", "")))

    def panel(self, turns: list[Answer], href: str) -> str:
        ref = render.parse_ref(href)
        if ref is None or ref.turn >= len(turns):
            return render.status("That answer is no longer in this chat.", ok=False)
        answer = turns[ref.turn]
        spans = answer.citations if ref.kind == "c" else answer.passages
        if ref.index >= len(spans):
            return render.status("That answer has no such citation.", ok=False)
        try:
            text = self.assistant.source_text(spans[ref.index].source)
            line = self.assistant.file_span(spans[ref.index]).line
        except QAError as exc:
            return render.status(str(exc), ok=False)
        if ref.kind == "c":
            return render.citation_panel(answer, ref.turn, ref.index, text, line)
        return render.passage_panel(answer, ref.index, text, line)

    @staticmethod
    def new_chat() -> tuple[Chat, list[Answer], str]:
        return [], [], render.PANEL_HINT

    # --- Sources -----------------------------------------------------------------------

    def header(self) -> str:
        root = self.assistant.root
        files = len(self.assistant.texts)
        return render.header(root.resolve().name, str(root.resolve()), files, self.mode)

    def sources_view(self, message: str = "", ok: bool = True) -> tuple[Any, ...]:
        """The Sources tab: the table of indexed files, the removal choices, a status line."""
        infos = self.assistant.sources()
        rows = [
            [s.name, render.size_text(s.size_bytes), s.chunks, render.when_text(s.indexed_at)]
            for s in infos
        ]
        names = [s.name for s in infos]
        choices = gr.Dropdown(choices=names, value=None)
        return rows, choices, render.status(message, ok)

    def add_files(
        self, paths: list[str] | None, replace: bool, progress: gr.Progress = PROGRESS
    ) -> tuple[Any, ...]:
        """Copy uploads into the folder and index them; the upload is cleared on success."""
        if not paths:
            return *self.sources_view("Choose one or more files first.", ok=False), gr.skip()
        added: list[str] = []
        try:
            for path in progress.tqdm(paths, desc="Adding"):
                data = Path(path).read_bytes()
                added.append(self.assistant.add_source(Path(path).name, data, replace=replace))
        except QAError as exc:
            done = f"Added {', '.join(added)}. " if added else ""
            return *self.sources_view(f"{done}{exc}", ok=False), gr.skip()
        return *self.sources_view(f"Added and indexed {', '.join(added)}."), None

    def reindex(self, progress: gr.Progress = TQDM_PROGRESS) -> tuple[Any, ...]:
        progress(0, desc="Re-indexing")
        try:
            report = self.assistant.reindex(progress=True)
        except QAError as exc:
            return self.sources_view(str(exc), ok=False)
        skipped = "".join(f" Skipped {s}." for s in report.skipped)
        return self.sources_view(f"Re-indexed: {report.summary()}.{skipped}", ok=not skipped)

    def remove(self, source: str | None) -> tuple[Any, ...]:
        if not source:
            return self.sources_view("Choose a source to remove first.", ok=False)
        try:
            self.assistant.remove_source(source)
        except QAError as exc:
            return self.sources_view(str(exc), ok=False)
        return self.sources_view(
            f"Removed {source} from the index; the file itself stays in {self.assistant.root}."
        )

    # --- Evaluation --------------------------------------------------------------------

    def eval_intro(self, gold: str) -> str:
        """Above the Run button: which gold file a run scores, or how to write one."""
        name = self.assistant.root.resolve().name
        if gold:
            return (
                f"*Run evaluation* asks every question of **{Path(gold).name}** and scores "
                f"the answers from **{name}**: right or not, cited, abstained where the "
                "folder does not say. Another gold file for it can be uploaded below."
            )
        return (
            f"**No gold file for {name} yet.** Start the page with `qa serve --gold FILE`, "
            f"or upload one below. {GOLD_HOWTO}\n\n```json\n{GOLD_EXAMPLE}\n```"
        )

    def eval_view(self, run: Path | None = None, message: str = "", ok: bool = True) -> EvalView:
        """A run's report and chart (``run``, else ``runs/latest`` when it is about this
        folder) and a status line."""
        shown = run if run is not None else self.runs_dir / "latest"
        info = folder.report_info(shown)
        ours = bool(info) and folder.same_folder(info.get("sources", ""), self.assistant.root)
        if not ours:
            if not message:
                other = info.get("sources")
                message = (
                    f"The latest report ({shown}) is about {other}, not this folder: "
                    "press Run evaluation."
                    if other
                    else "No evaluation report for this folder yet: press Run evaluation."
                )
            return "", gr.Image(value=None, visible=False), render.status(message, ok)
        report, chart = shown / "report.md", shown / "metrics.png"
        text = report.read_text(encoding="utf-8") if report.exists() else ""
        if not message:
            gold = Path(info.get("gold", "?")).name
            message = f"Report of {info.get('started', '?')}, gold file {gold} ({shown})."
        image = gr.Image(value=str(chart) if chart.exists() else None, visible=chart.exists())
        return text, image, render.status(message, ok)

    def use_gold(self, path: str | None, gold: str) -> tuple[str, str, str]:
        """An uploaded gold file becomes this session's, once it reads as one for this
        folder; returns (the session's gold file, the intro, a status line)."""
        if not path:
            return gold, self.eval_intro(gold), render.status("Choose a .jsonl file first.", False)
        name = Path(path).name
        try:
            items = folder.read_gold(path, self.assistant, name)
        except ConfigError as exc:
            return gold, self.eval_intro(gold), render.status(str(exc), ok=False)
        answerable = sum(item.answerable for item in items)
        message = f"Gold file {name}: {len(items)} questions ({answerable} answerable)."
        return path, self.eval_intro(path), render.status(message)

    def run_evaluation(self, gold: str, progress: gr.Progress = TQDM_PROGRESS) -> EvalView:
        """Score the assistant on the session's gold file; writes ``runs/eval-<UTC time>/``.

        The repo's thresholds (pyproject ``[tool.qa.eval]``) are for the repo's gold file;
        another folder's run reports its figures without a pass/fail verdict.
        """
        if not gold:
            message = "No gold file for this folder: see above how to write one."
            return self.eval_view(message=message, ok=False)
        progress(0, desc="Evaluating")
        out = self.runs_dir / datetime.now(UTC).strftime("eval-%Y%m%dT%H%M%SZ")
        ours = folder.same_folder(gold, DEFAULT_GOLD)
        mode = "extractive" if self.assistant.settings.llm == "none" else "llm"
        try:
            report = run_eval(
                gold_path=gold,
                assistant=self.assistant,
                out_dir=out,
                mode=mode,
                thresholds=None if ours else {},
                progress=True,
            )
        except (QAError, ValueError, OSError) as exc:
            return self.eval_view(message=str(exc), ok=False)
        return self.eval_view(out, summary(report, out), ok=report.passed)

    # --- API ---------------------------------------------------------------------------

    def api_ask(
        self, question: str, history: list[dict[str, str]] | None = None, top_k: int | None = None
    ) -> dict[str, Any]:
        """Answer one question; ``history`` holds earlier turns as {"role", "content"} dicts."""
        try:
            return self.assistant.ask(question, history or [], top_k).to_dict()
        except QAError as exc:
            raise gr.Error(str(exc)) from None

    def api_sources(self) -> list[dict[str, Any]]:
        """The indexed files: name, size in bytes, chunks, when indexed (Unix time)."""
        return [asdict(s) for s in self.assistant.sources()]
