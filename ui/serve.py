"""The ``qa serve`` subcommand: ``qa/cli.py`` makes it, :func:`add_serve_options` fills it.

Gradio is imported only when the command runs, so the rest of ``qa`` starts fast.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
from pathlib import Path

from qa.errors import ConfigError
from qa.options import assistant_from_args

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def add_serve_options(p: argparse.ArgumentParser) -> None:
    """``serve``'s own options, on the subcommand ``qa`` made with the shared flags."""
    p.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST})"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default: {DEFAULT_PORT}")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.add_argument(
        "--gold",
        type=Path,
        metavar="FILE",
        help="gold questions for this folder (JSON Lines: question, answers, answerable): the "
        "Evaluation tab runs them and the example questions come from them (default: "
        "eval/gold.jsonl for the repo's seeds, else none)",
    )
    p.set_defaults(func=cmd_serve)


def parse_auth(value: str) -> tuple[str, str] | None:
    """``user:password`` from ``QA_AUTH``; empty means no login."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not (sep and user and password):
        raise ConfigError("QA_AUTH must look like user:password, both parts non-empty")
    return user, password


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """Fail before the slow start (model, index) when the address cannot be served on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            probe.bind((host, port))
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import build_app, launch

    auth = parse_auth(os.environ.get("QA_AUTH", ""))
    if auth is None and not is_loopback(args.host):
        print(
            f"qa: warning: serving on {args.host} without a login; "
            "set QA_AUTH=user:password to require one",
            file=sys.stderr,
        )
    check_port(args.host, args.port)
    if args.gold is not None and not args.gold.is_file():
        raise ConfigError(f"--gold {args.gold}: no such file")
    assistant = assistant_from_args(args, progress=True)
    app = build_app(assistant, gold=args.gold)
    launch(app, args.host, args.port, auth, open_browser=args.open)
    return 0
