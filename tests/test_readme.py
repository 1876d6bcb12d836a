"""The README works as written: its `qa` commands are real, and the quick ones run."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from index.load import SUPPORTED_SUFFIXES
from qa.cli import build_parser
from tests.conftest import REPO, run_qa

README = REPO / "README.md"


def readme_commands() -> list[list[str]]:
    """Every `qa …` line of the README's shell blocks, comments and `$(…)` cut off."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    found = []
    for line in (line for block in blocks for line in block.splitlines()):
        command = line.split("  #", 1)[0].strip().removeprefix(".venv/bin/")
        if command.startswith("qa "):
            command = re.sub(r"\$\(qa llm-model\)", "/path/model.gguf", command)
            found.append(shlex.split(command)[1:])
    return found


def test_the_readme_lists_the_kinds_of_file_read() -> None:
    listed = re.search(r"\*\*Files read:\*\* `([^`]*)`", README.read_text(encoding="utf-8"))
    assert listed is not None and set(listed.group(1).split()) == SUPPORTED_SUFFIXES


def test_the_readme_shows_each_subcommand() -> None:
    shown = {argv[0] for argv in readme_commands()}
    assert {"index", "ask", "chat", "serve", "eval", "llm-model"} <= shown


@pytest.mark.parametrize("argv", readme_commands(), ids=" ".join)
def test_every_qa_command_in_the_readme_is_one_qa_accepts(argv: list[str]) -> None:
    parser = build_parser(mount_eval=True)
    args = parser.parse_args(argv)
    assert args.command == argv[0]


@pytest.mark.slow
def test_the_readme_use_block_runs_as_written(tmp_path: Path) -> None:
    """`qa index seeds/` then the README's `qa ask … --json`, in a clone's layout."""
    env = {"PATH": str(Path(sys.executable).parent)}  # nothing but what a new shell has

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return run_qa(*argv, index=tmp_path / "index", env=env)

    commands = readme_commands()
    index = next(a for a in commands if a[0] == "index")
    ask = next(a for a in commands if a[0] == "ask" and "--json" in a)
    assert run(index).returncode == 0
    answer = json.loads(run(ask).stdout)
    shown = re.search(r'```json\n(\{"answer".*?)```', README.read_text(encoding="utf-8"), re.S)
    assert shown is not None
    example = json.loads(shown.group(1))
    assert (answer["answer"], answer["tier"]) == (example["answer"], example["tier"])
    assert [c["quote"] for c in answer["citations"]] == [c["quote"] for c in example["citations"]]
