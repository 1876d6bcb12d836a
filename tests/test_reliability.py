"""Crash-safe and concurrent-safe indexing, and hostile or broken input, through real processes.

Every folder a test indexes is checksummed before and after: the tool never
modifies, moves or deletes a source.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

import index.load
from index.chunk import chunk_document
from index.embed import OnnxEmbedder, SentenceTransformerEmbedder
from index.load import load_folder
from index.store import ChunkStore, collection_name, open_client
from index.sync import sync_index
from qa import Assistant, Settings
from qa.cli import main
from qa.errors import IndexCorrupt, SourceFileError
from tests.conftest import REPO, SEEDS, tree_digest

QA = REPO / ".venv" / "bin" / "qa"
#: One torch thread: on a busy two-core machine more threads spin against each other.
CHILD_ENV = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
WORDS = (
    "river harbour lantern council budget treaty winter station archive festival bridge "
    "glass ferry orchard tower market"
).split()


@pytest.fixture(autouse=True)
def seeds_untouched() -> Iterator[None]:
    before = tree_digest(SEEDS)
    yield
    assert tree_digest(SEEDS) == before, "the seeds were modified"


@contextmanager
def untouched(folder: Path) -> Iterator[None]:
    """The sources folder is byte for byte the same after the block."""
    before = tree_digest(folder)
    yield
    assert tree_digest(folder) == before, f"the tool modified {folder}"


def write_docs(root: Path, n: int, seed: int, version: int = 0) -> None:
    """``n`` short generated documents, one to three chunks each."""
    rng = random.Random(seed * 1000 + version)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sentences = []
        for _ in range(rng.randint(3, 8)):
            w = rng.sample(WORDS, 5)
            sentences.append(
                f"The {w[0]} of district {i} met the {w[1]} near the {w[2]} in "
                f"{1900 + rng.randint(0, 120)}, and the {w[3]} stayed with the {w[4]}."
            )
        (root / f"doc{i:03d}.txt").write_text(" ".join(sentences) + "\n", "utf-8")


def expected_ids(root: Path, settings: Settings) -> dict[str, str]:
    """Chunk id -> source of a clean index of ``root``, computed without any model."""
    docs, _ = load_folder(root, int(settings.max_file_mb * 2**20))
    return {
        c.id: c.source
        for d in docs
        for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap)
    }


# --- a process that forks indexers with the model already loaded --------------------------


def dump_index(embedder: SentenceTransformerEmbedder, root: str, index_dir: str, out: str) -> None:
    """Write every stored row and the top hits of a few questions to ``out`` as JSON."""
    settings = Settings(index_dir=Path(index_dir))
    collection = open_client(settings).get_collection(collection_name(Path(root)))
    rows = collection.get(include=["metadatas"])
    store = ChunkStore(collection)
    hits = [
        [chunk.text for chunk, _ in store.query(embedder.embed([q])[0], 5)]
        for q in ("Where did the lantern council meet?", "winter ferry in 1950", "glass tower")
    ]
    dump = {"ids": rows["ids"], "metadatas": rows["metadatas"], "hits": hits}
    Path(out).write_text(json.dumps(dump), "utf-8")


def fork_server() -> None:
    """Read ``[function, args...]`` lines and fork a child for each, printing its pid;
    a ``["wait"]`` line reaps the child and prints its exit code (negative: a signal).

    Loading torch and the model takes longer than indexing a few hundred small
    files, so the children are forked from a warm process: each kill then lands
    inside indexing rather than inside start-up. Chroma is only ever opened in a
    child, so no Chroma state crosses a fork.
    """
    embedder = SentenceTransformerEmbedder()
    embedder.embed(["warm up the model"])
    chunk_document(load_folder(SEEDS, 2**20)[0][0], 128, 24)  # warm up the sentence splitter
    print("ready", flush=True)
    pid = 0
    for line in sys.stdin:
        name, *args = json.loads(line)
        if name == "wait":
            _, status = os.waitpid(pid, 0)
            print(os.waitstatus_to_exitcode(status), flush=True)
            continue
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                if name == "index":
                    sync_index(Path(args[0]), Settings(index_dir=Path(args[1])), embedder)
                else:
                    dump_index(embedder, *args)
            except BaseException as exc:
                print(f"child error: {exc!r}", file=sys.stderr, flush=True)
                code = 1
            os._exit(code)
        print(pid, flush=True)  # not reaped until asked, so a kill never hits a reused pid


class Forker:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.stdout: IO[str] = proc.stdout  # type: ignore[assignment]

    def _send(self, *command: str) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return int(self.stdout.readline())

    def start(self, *command: str) -> int:
        return self._send(*command)

    def wait(self) -> int:
        return self._send("wait")

    def run(self, *command: str) -> int:
        self.start(*command)
        return self.wait()

    def dump(self, root: Path, index_dir: Path, out: Path) -> dict[str, Any]:
        assert self.run("dump", str(root), str(index_dir), str(out)) == 0
        data: dict[str, Any] = json.loads(out.read_text("utf-8"))
        return data


@pytest.fixture
def forker() -> Iterator[Forker]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "from tests.test_reliability import fork_server; fork_server()"],
        cwd=REPO,
        env=CHILD_ENV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield Forker(proc)
    finally:
        proc.kill()
        proc.wait()


def assert_consistent(dump: dict[str, Any], expected: dict[str, str]) -> None:
    """Every file's chunks present exactly once, nothing else, each row's count right."""
    ids = dump["ids"]
    assert len(ids) == len(set(ids)), "duplicate rows"
    assert set(ids) == set(expected), (
        f"{len(set(ids) - set(expected))} orphan rows, {len(set(expected) - set(ids))} missing"
    )
    per_file: dict[str, int] = {}
    for source in expected.values():
        per_file[source] = per_file.get(source, 0) + 1
    for meta in dump["metadatas"]:
        assert meta["n_chunks"] == per_file[meta["source"]]


def change_files(root: Path, rng: random.Random, version: int, n: int = 100) -> None:
    """Give ``n`` of the files new content, so the next run has that much work to do."""
    fresh = root.parent / "fresh"
    write_docs(fresh, 300, seed=7, version=version)
    for name in rng.sample(sorted(p.name for p in fresh.iterdir()), n):
        shutil.copyfile(fresh / name, root / name)
    shutil.rmtree(fresh)


@pytest.mark.slow
def test_sigkill_at_any_moment_then_rerun_gives_a_consistent_index(
    tmp_path: Path, forker: Forker
) -> None:
    """Ten SIGKILLs spread over most of the time a run takes; each re-run ends in a clean
    index.

    Before each run a third of the files change, so every run has work to do and
    the kills land among deletes, upserts and embedding alike.
    """
    src, index, clean = tmp_path / "src", tmp_path / "index", tmp_path / "clean"
    write_docs(src, 300, seed=7)
    settings = Settings(index_dir=index)
    rng = random.Random(11)
    with untouched(src):
        assert forker.run("index", str(src), str(index)) == 0
    durations = []
    for version in (100, 101):  # the faster of two runs: a busy machine must not stretch it
        change_files(src, rng, version=version)
        with untouched(src):
            t0 = time.monotonic()
            assert forker.run("index", str(src), str(index)) == 0
            durations.append(time.monotonic() - t0)
    spread = 0.8 * min(durations)  # the kills land in the first 80% of a run
    kills = 0
    for i in range(10):
        change_files(src, rng, version=i)
        with untouched(src):
            pid = forker.start("index", str(src), str(index))
            time.sleep(spread * (i + rng.random()) / 10)
            os.kill(pid, signal.SIGKILL)
            kills += forker.wait() == -signal.SIGKILL
            assert (index / "index.lock").exists()  # left behind; its flock died with the process
            assert forker.run("index", str(src), str(index)) == 0
            dump = forker.dump(src, index, tmp_path / "dump.json")
        assert_consistent(dump, expected_ids(src, settings))
    assert kills >= 8, f"only {kills} of 10 runs were still indexing when killed"

    with untouched(src):  # the repaired index answers as a clean index of the same folder does
        assert forker.run("index", str(src), str(clean)) == 0
        fresh = forker.dump(src, clean, tmp_path / "fresh.json")
    assert set(dump["ids"]) == set(fresh["ids"]) and dump["hits"] == fresh["hits"]


@pytest.mark.slow
def test_two_index_processes_do_not_corrupt_the_index(tmp_path: Path) -> None:
    src, index = tmp_path / "src", tmp_path / "index"
    write_docs(src, 300, seed=3)
    argv = [str(QA), "index", str(src), "--index-dir", str(index), "--quiet"]
    with untouched(src):
        first = subprocess.Popen(argv, env=CHILD_ENV, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not (index / "chroma.sqlite3").exists():  # written only under the lock
                assert first.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            second = subprocess.run(argv, env=CHILD_ENV, capture_output=True, text=True)
            assert first.poll() is None, "the first run ended before the second was refused"
            assert second.returncode == 2
            assert (
                second.stderr.strip()
                .splitlines()[-1]
                .startswith("qa: error: another qa process is writing the index")
            )
            assert "Traceback" not in second.stderr
        finally:
            first.wait(180)
        assert first.returncode == 0
        third = subprocess.run(argv, env=CHILD_ENV, capture_output=True, text=True)
    assert third.returncode == 0 and "300 unchanged" in third.stdout


# --- hostile and broken input -------------------------------------------------------------


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    "question",
    ["", "   \n\t ", "\x00\x01\x1f", "\udcff\ud800", "x" * 2**20],
    ids=["empty", "white-space", "controls", "surrogates", "1MB"],
)
def test_bad_questions_are_one_line_errors_from_the_cli(
    question: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ask", question, "--sources", str(SEEDS), "--index-dir", str(tmp_path / "i")]
    assert main(argv) == 2
    assert one_error_line(capsys).startswith("qa: error: the question is")
    assert not (tmp_path / "i").exists()  # refused before anything was opened


@pytest.mark.parametrize(
    "question",
    [
        "How long\x07 do the mines\udcff stay active?\x00",
        "Wie lange bleiben die Minen aktiv?",
        "地雷はどのくらいの期間有効ですか？",
    ],
    ids=["controls-and-surrogates-inside", "german", "japanese"],
)
def test_odd_but_real_questions_get_an_answer_or_an_abstention(
    question: str, seeds_assistant: Assistant
) -> None:
    answer = seeds_assistant.ask(question)
    assert bool(answer.citations) != answer.abstained, "an answer is cited, an abstention not"
    for c in answer.citations:
        assert seeds_assistant.source_text(c.source)[c.start : c.end] == c.quote


def test_broken_files_are_skipped_with_one_warning_each_and_good_ones_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "src"
    shutil.copytree(SEEDS, src)
    (src / "empty.txt").write_bytes(b"")
    (src / "blank.md").write_bytes(b"  \n\n ")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (src / "latin1.txt").write_bytes("Café crème à Genève, très cher.".encode("latin-1"))
    (src / "utf16.txt").write_bytes("Zürich liegt am Zürichsee.".encode("utf-16"))
    (src / "huge.txt").write_bytes(b"big text. " * 20_000)  # 200 kB, over the limit below
    (tmp_path / "secret.txt").write_text("outside the folder", "utf-8")
    (src / "link.txt").symlink_to(tmp_path / "secret.txt")
    (src / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (src / "loop.txt").symlink_to(src / "loop.txt")
    os.mkfifo(src / "pipe.txt")  # read, it would wait for a writer for ever
    (src / "folder.md").mkdir()  # a folder, whatever its name: nothing to say
    (src / "build.py").write_text("print('built')\n", "utf-8")  # no reader: said, not read
    (src / "LICENSE").write_text("Free to use.\n", "utf-8")
    (src / os.fsdecode(b"bad\xff.txt")).write_text("A name Chroma cannot store.\n", "utf-8")
    (src / os.fsdecode(b"notes.x\xff")).write_text("Of a kind no reader reads.\n", "utf-8")
    monkeypatch.setenv("QA_MAX_FILE_MB", "0.1")
    with untouched(src):
        code = main(["index", str(src), "--index-dir", str(tmp_path / "i"), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err  # skipped files are warnings, the rest indexed
    prefix = "qa: warning: skipped "
    warnings = dict(
        line.removeprefix(prefix).split(": ", 1) for line in err.splitlines() if "qa: " in line
    )
    assert all(line.startswith(prefix) for line in err.splitlines() if "qa: " in line)
    assert sorted(warnings) == [
        "bad\\xff.txt",
        "binary.txt",
        "blank.md",
        "dangling.txt",
        "empty.txt",
        "huge.txt",
        "link.txt",
        "loop.txt",
        "pipe.txt",
    ]
    assert "outside the sources folder" in warnings["link.txt"]
    assert warnings["dangling.txt"] == warnings["loop.txt"] == "a link to no file"
    assert warnings["pipe.txt"] == "not a file (a pipe, a device)"
    assert "over the 0.1 MB limit" in warnings["huge.txt"]
    assert "name is not UTF-8" in warnings["bad\\xff.txt"]
    assert "4 added" in out and "9 skipped" in out  # the two seeds, latin-1 and UTF-16
    assert "not read (no reader for their kind): 1 without a suffix, 1 .py, 1 .x\\xff" in out


def test_a_folder_with_nothing_readable_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "empty.txt").write_bytes(b"")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 8)
    code = main(["index", str(src), "--index-dir", str(tmp_path / "i"), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and not out
    assert err.startswith("qa: error: no readable files") and "empty.txt: has no text" in err


def test_a_file_that_vanishes_while_loading_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: OnnxEmbedder
) -> None:
    src = tmp_path / "src"
    shutil.copytree(SEEDS, src)
    (src / "gone.txt").write_text("Here one moment.", "utf-8")
    real_read = index.load.read_text

    def vanishing_read(path: Path, max_bytes: int) -> str:
        if path.name == "gone.txt":
            path.unlink()  # the user deletes it between listing and reading
        return real_read(path, max_bytes)

    monkeypatch.setattr(index.load, "read_text", vanishing_read)
    _, _, report = sync_index(src, Settings(index_dir=tmp_path / "i"), embedder)
    assert [s.path for s in report.skipped] == ["gone.txt"] and len(report.added) == 2
    assert "cannot be read" in report.skipped[0].reason


def test_a_corrupted_index_says_how_to_rebuild_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: OnnxEmbedder
) -> None:
    src = tmp_path / "src"
    shutil.copytree(SEEDS, src)
    sync_index(src, Settings(index_dir=tmp_path / "built"), embedder)
    broken = tmp_path / "broken"  # a copy: this process keeps the original open
    shutil.copytree(tmp_path / "built", broken)
    with (broken / "chroma.sqlite3").open("r+b") as f:
        f.write(b"this is not a database" * 200)
    with pytest.raises(IndexCorrupt, match="run `qa index` again"):
        open_client(Settings(index_dir=broken))
    assert main(["index", str(src), "--index-dir", str(broken), "--quiet"]) == 2
    assert "delete that folder and run `qa index` again" in one_error_line(capsys)


def test_uploads_cannot_escape_the_folder_or_bring_bad_files(
    sources: Path, settings: Settings, embedder: OnnxEmbedder
) -> None:
    assistant = Assistant.open(sources, settings, embedder=embedder)
    outside = tree_digest(sources.parent)
    name = assistant.add_source("../../escape.txt", b"The Quenmoor ferry sails at dawn.")
    assert name.endswith("/escape.txt") and (sources / "escape.txt").is_file()
    assert not (sources.parent.parent / "escape.txt").exists()
    with pytest.raises(SourceFileError, match="not supported"):
        assistant.add_source("payload.exe", b"MZ")
    with pytest.raises(SourceFileError, match="over the"):
        assistant.add_source("big.txt", b"x" * (int(settings.max_file_mb * 2**20) + 1))
    with pytest.raises(SourceFileError, match="binary"):
        assistant.add_source("fake.txt", b"\x00" * 100)
    grown = tree_digest(sources.parent)
    added = {k for k in set(grown) - set(outside) if not k.startswith("index/")}
    assert added == {"sources/escape.txt"}
    assert all(grown[k] == v for k, v in outside.items() if not k.startswith("index/"))
