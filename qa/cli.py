"""The ``qa`` command: index, ask, chat, eval, serve. Library errors become one-line messages."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import QAError
from qa.settings import Settings
from qa.types import Answer

if TYPE_CHECKING:
    from qa.assistant import Assistant

EXIT_USAGE = 2


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags every subcommand shares."""
    return Settings.from_env(
        index_dir=args.index_dir,
        chroma_url=args.chroma_url,
        embed_model=args.embed_model,
        top_k=getattr(args, "top_k", None),
        llm=args.llm,
        llm_model=args.llm_model,
    )


def assistant_from_args(args: argparse.Namespace, progress: bool = False) -> Assistant:
    """The assistant the shared flags describe, its index brought up to date.

    Its two models start loading in threads before the rest of the stack (chromadb above
    all) is imported: the two halves of a cold start overlap.
    """
    from index.embed import OnnxEmbedder, default_embedder
    from qa.read import shared_reader

    settings = settings_from_args(args)
    embedder = default_embedder(settings.embed_model)
    if isinstance(embedder, OnnxEmbedder):
        embedder.preload()
    shared_reader().preload()

    from qa.assistant import Assistant

    return Assistant.open(args.sources, settings, embedder=embedder, progress=progress)


def cmd_index(args: argparse.Namespace) -> int:
    """A skipped file is a warning: the rest is indexed and the exit code is 0.

    Nothing readable at all, or any failure, is an error (exit 2). The lexical index is
    saved too, so the first question does not wait for it.
    """
    from index.embed import default_embedder
    from index.sync import sync_index
    from qa.retrieve import lexical_index

    settings = settings_from_args(args)
    embedder = default_embedder(settings.embed_model)
    store, _, report = sync_index(Path(args.sources), settings, embedder, progress=not args.quiet)
    if store.count():
        lexical_index(store)
    for skipped in report.skipped:
        print(f"qa: warning: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    print(f"indexed {args.sources}: {report.summary()}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.text import check_question

    check_question(args.question, settings_from_args(args).max_question_chars)  # before loading
    assistant = assistant_from_args(args)
    answer = assistant.ask(args.question)
    report = assistant.report
    # Tells run() that the index needed no change: nothing of Chroma's is left to save.
    args.index_unchanged = not (report.added or report.updated or report.removed)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    _print_answer(answer)
    return 0


def _print_answer(answer: Answer) -> None:
    if answer.searched != answer.question:
        print(f"  (searched: {answer.searched})")
    print(answer.text)
    for i, c in enumerate(answer.citations, 1):
        print(f"  [{i}] {c.source}:{c.start}-{c.end}  “{c.quote}”")


def cmd_chat(args: argparse.Namespace) -> int:
    assistant = assistant_from_args(args, progress=True)
    history: list[dict[str, str]] = []
    print(f"Ask about {args.sources} ({len(assistant.texts)} files). Empty line or Ctrl-D quits.")
    while True:
        try:
            line = input("you> ").strip()
        except EOFError:
            print()
            return 0
        if not line or line in ("exit", "quit"):
            return 0
        try:
            answer = assistant.ask(line, history)
        except QAError as exc:
            print(f"qa: error: {exc}", file=sys.stderr)
            continue
        _print_answer(answer)
        history += [
            {"role": "user", "content": line},
            {"role": "assistant", "content": answer.text},
        ]


def common_options() -> argparse.ArgumentParser:
    """The flags every subcommand shares: sources, index, store, models."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--sources",
        default=os.environ.get("QA_SOURCES", "seeds"),
        help="folder of sources (default: $QA_SOURCES or seeds)",
    )
    common.add_argument(
        "--index-dir", type=Path, help="index folder (default: $QA_INDEX_DIR or .qa-index)"
    )
    common.add_argument(
        "--chroma-url", help="Chroma server URL (default: $QA_CHROMA_URL; empty: embedded)"
    )
    common.add_argument(
        "--embed-model", help="local sentence-transformers folder (default: packaged MiniLM)"
    )
    common.add_argument(
        "--llm",
        help="none, gguf:/path/model.gguf or openai-like:http://host:port/v1 "
        "(default: $QA_LLM or none: extractive answers; API key from $QA_LLM_API_KEY)",
    )
    common.add_argument("--llm-model", help="model name for an OpenAI-compatible server")
    return common


def build_parser(mount_eval: bool = True) -> argparse.ArgumentParser:
    """``qa``'s parser; without ``mount_eval``, ``eval`` is listed but has no options.

    Importing the eval package loads the whole answering stack (over a second), which
    ``qa --help`` and the other commands must not wait for.
    """
    parser = argparse.ArgumentParser(
        prog="qa", description="Grounded answers over a folder of sources."
    )
    common = common_options()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", parents=[common], help="index new or changed files of a folder")
    p.add_argument("folder", nargs="?", help="sources folder (overrides --sources)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", parents=[common], help="ask one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--top-k", type=int, help="passages to retrieve")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", parents=[common], help="chat in the terminal, with follow-ups")
    p.set_defaults(func=cmd_chat)

    from ui.serve import add_serve_command

    if mount_eval:
        from eval.cli import add_eval_command

        add_eval_command(sub, [common])
    else:
        sub.add_parser("eval", help="score answers on the gold set (options: qa eval -h)")
    add_serve_command(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``qa`` with ``argv`` (default: the command line); the exit code."""
    return execute(parse_args(argv))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """``eval``'s options are mounted only for ``eval``: they import the answering stack."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(mount_eval=command == "eval").parse_args(argv)
    if getattr(args, "folder", None):
        args.sources = args.folder
    return args


def execute(args: argparse.Namespace) -> int:
    """Run the parsed command; library errors become one line and exit code 2."""
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except QAError as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The ``qa`` program: :func:`main`, ended at once after an ``ask`` that left the index
    unchanged.

    Python would then spend a tenth of a second tearing down the ~900 modules that
    chromadb imports, with nothing left to save.
    """
    args = parse_args(None)
    code = execute(args)
    if getattr(args, "index_unchanged", False):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a reader that went away (``| head``): nothing more to tell it
            pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
