"""Core figures of ``qa`` beside a plain llama-index pipeline on the same folder and model.

    .venv/bin/python -m bench.core            # seeds/: writes bench/results/core.md
    .venv/bin/python -m bench.core --scale    # 442 SQuAD articles: bench/results/core-scale.md

- cold ask: wall time of a fresh ``qa ask --json`` process on a built index, median of 5;
- peak memory: the largest max-RSS of those processes (GNU time), and of the indexing one;
- warm ask: ``Assistant.ask`` p50/p95 over the gold questions (with their chat history),
  in one process, after one question to warm it up; and again in two fresh processes, one
  on one thread and one on every CPU (``qa``'s default), for the ratio between them;
- indexing: BERT tokens of the chunks per second of a whole ``qa index`` process on a
  fresh index (start-up included), and as a share of the embedding model alone on the
  same chunks in a warm process; on seeds/ (two files: mostly fixed costs) and on the
  first 20 articles of SQuAD 1.1 train, enough text for a rate to mean something.

The plain pipeline (bench/plain_llama_index.py) gets the same figures; it only
retrieves, as llama-index does without an LLM. ``--scale`` indexes the 442 articles of
SQuAD 1.1 train (about ten minutes) and reports how ``qa`` itself holds up.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.embed import Embedder
    from qa import Answer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
SQUAD = REPO.parent / "shared" / "data" / "squad" / "train-v1.1.json.gz"
SCALE_DIR = REPO / ".cache" / "bench-squad"
QUESTION = "How long do the mines stay active?"
GNU_TIME = "/usr/bin/time"
COLD_RUNS = 5
THROUGHPUT_ARTICLES = 20


@dataclass(frozen=True)
class Child:
    seconds: float
    peak_mb: float
    stdout: str


def run_child(argv: Sequence[str | Path], env: dict[str, str] | None = None) -> Child:
    """Run a fresh Python process from the repo: its wall time and its own peak RSS.

    GNU time reads the peak: a process spawned straight from this one would count this
    one's memory as its own, as Linux carries the high-water mark across exec.
    """
    if not Path(GNU_TIME).is_file():
        raise SystemExit(f"{GNU_TIME} is missing: apt-get install time")
    with tempfile.NamedTemporaryFile("r") as peak:
        t0 = time.perf_counter()
        done = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", peak.name, sys.executable, *map(str, argv)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"{argv} failed: {done.stderr}")
        return Child(seconds, int(peak.read().split()[-1]) / 1024, done.stdout)


def cold(argv: Sequence[str | Path]) -> tuple[float, float]:
    """Median wall time and largest peak RSS of ``COLD_RUNS`` fresh processes."""
    runs = [run_child(argv) for _ in range(COLD_RUNS)]
    return statistics.median(r.seconds for r in runs), max(r.peak_mb for r in runs)


def percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49], cuts[94]


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Seconds of each call, after one extra call to warm caches up."""
    calls[0]()
    out = []
    for call in calls:
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def tokens(texts: Sequence[str]) -> int:
    """BERT tokens the model sees: each text cut at 256, as both pipelines cut it."""
    from tokenizers import Tokenizer

    from index.embed import packaged_model_path

    tokenizer = Tokenizer.from_file(str(packaged_model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=256)
    return sum(len(e.ids) for e in tokenizer.encode_batch(list(texts)))


def model_alone(embed: Callable[[list[str]], object], texts: list[str]) -> float:
    """Seconds the embedding model alone takes on ``texts``, 64 at a time, warm."""
    embed(texts[:8])
    t0 = time.perf_counter()
    for i in range(0, len(texts), 64):
        embed(texts[i : i + 64])
    return time.perf_counter() - t0


def chunk_texts(folder: Path) -> list[str]:
    """The chunks ``qa index`` embeds for ``folder``."""
    from index.chunk import chunk_document
    from index.load import load_folder
    from qa.settings import Settings

    settings = Settings()
    docs, _ = load_folder(folder, int(settings.max_file_mb * 2**20))
    return [
        c.text for d in docs for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap)
    ]


@dataclass(frozen=True)
class Figures:
    cold_s: float
    cold_mb: float
    warm_p50_s: float
    warm_p95_s: float
    retrieve_p50_s: float
    index_tok_s: float
    warm_index_tok_s: float
    model_tok_s: float
    index_mb: float

    @property
    def index_share(self) -> float:
        return self.index_tok_s / self.model_tok_s

    @property
    def warm_index_share(self) -> float:
        return self.warm_index_tok_s / self.model_tok_s


def warm_asks(
    folder: Path, index: Path, embedder: Embedder | None = None
) -> tuple[list[float], list[Answer]]:
    """The gold questions asked in this process (the first once more before them, to warm
    up): each one's seconds, and its answer."""
    from eval.metrics import load_gold
    from qa import Assistant, Settings

    assistant = Assistant.open(folder, Settings(index_dir=index), embedder=embedder)
    gold = load_gold(REPO / "eval" / "gold.jsonl")
    answers: list[Answer] = []
    asks = [lambda g=g: answers.append(assistant.ask(g.question, g.history)) for g in gold]
    return timed(asks), answers[1:]


@dataclass(frozen=True)
class ByThreads:
    """Warm ask p50 and p95 (seconds) in a fresh process on one thread, and on every CPU."""

    one: tuple[float, float]
    every: tuple[float, float]


def warm_by_threads(folder: Path, index: Path) -> ByThreads:
    """The warm ask in two fresh processes, ``OMP_NUM_THREADS=1`` and unset (the reader and
    the embedding model then take one thread per CPU)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}

    def p50_p95(extra: dict[str, str]) -> tuple[float, float]:
        child = run_child(["-m", "bench.core", "--warm-child", folder, index], env | extra)
        p50, p95 = json.loads(child.stdout)
        return p50, p95

    return ByThreads(p50_p95({"OMP_NUM_THREADS": "1"}), p50_p95({}))


def measure_qa(folder: Path, work: Path) -> Figures:
    from index.embed import OnnxEmbedder
    from index.sync import sync_index
    from qa import Settings

    embedder = OnnxEmbedder()
    print(f"embedding model export: {embedder.folder}", file=sys.stderr)  # made now if missing
    index = work / "qa-index"
    indexed = run_child(["-m", "qa.cli", "index", folder, "--quiet", "--index-dir", index])
    cold_s, cold_mb = cold(
        ["-m", "qa.cli", "ask", "--json", QUESTION, "--sources", folder, "--index-dir", index]
    )
    warm, answers = warm_asks(folder, index, embedder)
    retrieve = [a.timings_ms["retrieve"] / 1000 for a in answers]
    texts = chunk_texts(folder)
    n = tokens(texts)
    t0 = time.perf_counter()
    sync_index(folder, Settings(index_dir=work / "qa-index-warm"), embedder)
    warm_index_s = time.perf_counter() - t0
    return Figures(
        cold_s,
        cold_mb,
        *percentiles(warm),
        percentiles(retrieve)[0],
        n / indexed.seconds,
        n / warm_index_s,
        n / model_alone(embedder.embed, texts),
        indexed.peak_mb,
    )


def measure_plain(folder: Path, work: Path) -> Figures:
    from bench import plain_llama_index as plain
    from eval.metrics import load_gold

    db = work / "plain-db"
    indexed = run_child(["-m", "bench.plain_llama_index", "index", folder, db])
    cold_s, cold_mb = cold(["-m", "bench.plain_llama_index", "ask", db, QUESTION])
    retriever = plain.retriever(str(db))
    gold = load_gold(REPO / "eval" / "gold.jsonl")
    warm = timed([lambda g=g: retriever.retrieve(g.question) for g in gold])
    texts = plain.embedded_texts(str(folder))
    model = plain.embed_model()
    n = tokens(texts)
    plain.build(str(folder), str(work / "plain-db-warm"))  # a first run warms up: not timed
    t0 = time.perf_counter()
    plain.build(str(folder), str(work / "plain-db-warm-2"))
    warm_index_s = time.perf_counter() - t0
    return Figures(
        cold_s,
        cold_mb,
        *percentiles(warm),
        percentiles(warm)[0],
        n / indexed.seconds,
        n / warm_index_s,
        n / model_alone(model.get_text_embedding_batch, texts),
        indexed.peak_mb,
    )


@dataclass(frozen=True)
class Throughput:
    chunks: int
    tokens: int
    index_tok_s: float
    model_tok_s: float

    @property
    def share(self) -> float:
        return self.index_tok_s / self.model_tok_s


def throughput_qa(folder: Path, work: Path) -> Throughput:
    from index.embed import OnnxEmbedder

    indexed = run_child(["-m", "qa.cli", "index", folder, "--quiet", "--index-dir", work / "tp"])
    texts = chunk_texts(folder)
    n = tokens(texts)
    return Throughput(
        len(texts), n, n / indexed.seconds, n / model_alone(OnnxEmbedder().embed, texts)
    )


def throughput_plain(folder: Path, work: Path) -> Throughput:
    from bench import plain_llama_index as plain

    indexed = run_child(["-m", "bench.plain_llama_index", "index", folder, work / "tp-plain"])
    texts = plain.embedded_texts(str(folder))
    n = tokens(texts)
    embed = plain.embed_model().get_text_embedding_batch
    return Throughput(len(texts), n, n / indexed.seconds, n / model_alone(embed, texts))


def row(name: str, a: float, b: float, unit: str = "", fmt: str = ".2f") -> str:
    """A table row: ``qa``'s figure, plain llama-index's, and their ratio."""
    unit = f" {unit}" if unit else ""
    return f"| {name} | {a:{fmt}}{unit} | {b:{fmt}}{unit} | {a / b:.2f} |"


def throughput_report(qa: Throughput, plain: Throughput) -> list[str]:
    return [
        f"## Indexing throughput: the first {THROUGHPUT_ARTICLES} articles of SQuAD 1.1 train",
        "",
        "| figure | qa | plain llama-index | qa ÷ plain |",
        "|---|---:|---:|---:|",
        row("chunks", qa.chunks, plain.chunks, fmt="d"),
        row("tokens the model reads", qa.tokens, plain.tokens, fmt="d"),
        row(
            "`index` process, start-up included (tok/s)",
            qa.index_tok_s,
            plain.index_tok_s,
            fmt=".0f",
        ),
        row("embedding model alone, warm (tok/s)", qa.model_tok_s, plain.model_tok_s, fmt=".0f"),
        row("indexing ÷ model alone", qa.share, plain.share, fmt=".3f"),
        "",
    ]


def header(title: str) -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    threads = os.environ.get("OMP_NUM_THREADS", "all CPUs")
    return [
        f"# {title}",
        "",
        f"Written by `python -m bench.core` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: "
        f"{os.cpu_count()} CPUs ({cpu_model()}), load average {load} at the end, "
        f"threads: {threads}.",
        "",
    ]


def cpu_model() -> str:
    """The CPU's name and its widest integer dot-product instructions: the reader is int8
    matrix products, and runs twice as fast where AVX-512 VNNI does them as with AVX2."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "CPU unknown"
    name = re.search(r"^model name\s*:\s*(.+)$", info, re.M)
    listed = re.search(r"^flags\s*:(.*)$", info, re.M)
    flags = set(listed.group(1).split()) if listed else set()
    widest = next((f for f in ("avx512_vnni", "avx_vnni", "avx2") if f in flags), "no AVX2")
    return f"{name.group(1).strip() if name else 'CPU unknown'}, {widest.upper()}"


def threads_report(by: ByThreads) -> list[str]:
    cpus = len(os.sched_getaffinity(0))
    one, every = by.one, by.every
    return [
        "## Warm ask by threads: `qa` alone, each in a fresh process",
        "",
        f"| figure | 1 thread | {cpus} threads (the default: one per CPU) | ratio |",
        "|---|---:|---:|---:|",
        f"| warm ask p50 | {one[0] * 1000:.1f} ms | {every[0] * 1000:.1f} ms "
        f"| {every[0] / one[0]:.2f} |",
        f"| warm ask p95 | {one[1] * 1000:.1f} ms | {every[1] * 1000:.1f} ms "
        f"| {every[1] / one[1]:.2f} |",
        "",
        "The table above measures on one thread (`make bench` sets `OMP_NUM_THREADS=1`), "
        "beside a plain pipeline that does too; a user's `qa` reads with one thread per CPU.",
        "",
    ]


def core_report(qa: Figures, plain: Figures, by: ByThreads, throughput: list[str]) -> str:
    from bench.plain_llama_index import TOP_K as PLAIN_TOP_K

    lines = [
        *header("Core figures: `qa` beside plain llama-index, over seeds/"),
        "| figure | qa | plain llama-index | qa ÷ plain |",
        "|---|---:|---:|---:|",
        row(f"cold `ask --json` (median of {COLD_RUNS} processes)", qa.cold_s, plain.cold_s, "s"),
        row("peak memory of a cold ask", qa.cold_mb, plain.cold_mb, "MB", ".0f"),
        row("warm ask p50", qa.warm_p50_s * 1000, plain.warm_p50_s * 1000, "ms", ".1f"),
        row("warm ask p95", qa.warm_p95_s * 1000, plain.warm_p95_s * 1000, "ms", ".1f"),
        row(
            "warm retrieval p50", qa.retrieve_p50_s * 1000, plain.retrieve_p50_s * 1000, "ms", ".1f"
        ),
        row("indexing, whole process", qa.index_tok_s, plain.index_tok_s, "tok/s", ".0f"),
        row("embedding model alone", qa.model_tok_s, plain.model_tok_s, "tok/s", ".0f"),
        row("indexing ÷ model alone", qa.index_share, plain.index_share, fmt=".3f"),
        row(
            "indexing in a warm process",
            qa.warm_index_tok_s,
            plain.warm_index_tok_s,
            "tok/s",
            ".0f",
        ),
        row("warm indexing ÷ model alone", qa.warm_index_share, plain.warm_index_share, fmt=".3f"),
        row("peak memory of indexing", qa.index_mb, plain.index_mb, "MB", ".0f"),
        "",
        "`qa` answers (retrieval, then the answer stage); the plain pipeline only retrieves "
        f"(VectorStoreIndex + ChromaVectorStore + HuggingFaceEmbedding, top {PLAIN_TOP_K}), "
        "so its warm ask is its retrieval: compare it with `qa`'s warm retrieval "
        "(`timings_ms.retrieve`: dense + BM25 + fusion). On seeds/ the whole-process "
        "indexing figures are mostly process start-up (2 files, under 20 chunks); the warm "
        "rows index the same folder again into a fresh store in a process that has the model "
        "loaded.",
        "",
        *threads_report(by),
        *throughput,
    ]
    return "\n".join(lines)


def squad_folder(
    squad: Path, folder: Path = SCALE_DIR / "articles", limit: int | None = None
) -> tuple[Path, list[str]]:
    """One .txt per SQuAD article (the first ``limit`` of them) in ``folder`` (by default
    under .cache/, never committed), and a question from every fourth article."""
    with gzip.open(squad, "rt", encoding="utf-8") as f:
        articles = json.load(f)["data"][:limit]
    folder.mkdir(parents=True, exist_ok=True)
    for i, article in enumerate(articles):
        name = re.sub(r"[^\w]+", "_", article["title"])[:60]
        text = "\n\n".join([article["title"], *(p["context"] for p in article["paragraphs"])])
        path = folder / f"{i:03d}_{name}.txt"
        if not path.exists():
            path.write_text(text + "\n", encoding="utf-8")
    questions = [a["paragraphs"][0]["qas"][0]["question"] for a in articles[::4]]
    return folder, questions


def scale_report(squad: Path, reuse_index: bool) -> str:
    """``reuse_index``: measure all but the indexing again on the index an earlier run built
    (the indexing takes over ten minutes)."""
    from qa import Assistant, Settings

    folder, questions = squad_folder(squad)
    index = SCALE_DIR / "index"
    if not reuse_index:
        if index.exists():
            raise SystemExit(f"{index} exists: delete it so the index is built afresh")
        indexed = run_child(["-m", "qa.cli", "index", folder, "--quiet", "--index-dir", index])
        index_row = f"{indexed.seconds:.1f} s"
        index_mb = f"{indexed.peak_mb:.0f} MB"
    else:
        index_row = index_mb = "not measured (index reused)"
    t0 = time.perf_counter()
    assistant = Assistant.open(folder, Settings(index_dir=index))
    reopen = time.perf_counter() - t0
    cold_s, cold_mb = cold(
        ["-m", "qa.cli", "ask", "--json", questions[0], "--sources", folder, "--index-dir", index]
    )
    p50, p95 = percentiles(timed([lambda q=q: assistant.ask(q) for q in questions]))
    edit = edit_one_article(folder, index)
    lines = [
        *header(f"`qa` at scale: {len(list(folder.glob('*.txt')))} SQuAD articles"),
        "| figure | value |",
        "|---|---:|",
        f"| chunks | {assistant.report.chunks} |",
        f"| `qa index` on a fresh index (one process) | {index_row} |",
        f"| `Assistant.open` on the built index (in a process that has imported `qa`) "
        f"| {reopen:.2f} s |",
        f"| cold `ask --json` (median of {COLD_RUNS} processes) | {cold_s:.2f} s |",
        f"| warm ask p50 / p95 ({len(questions)} questions) | {p50 * 1000:.0f} / "
        f"{p95 * 1000:.0f} ms |",
        f"| peak memory of a cold ask | {cold_mb:.0f} MB |",
        f"| peak memory of `qa index` | {index_mb} |",
        f"| one article edited: files re-embedded on the next open | {edit.updated} |",
        f"| that open, floor measured again included | {edit.open_s:.1f} s |",
        f"| answer to a question about the edit, before / after | {edit.before!r} / "
        f"{edit.after!r} |",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Edit:
    updated: str
    open_s: float
    before: str
    after: str


EDIT_QUESTION = "Who restored the observatory at Harrowgate in 2031?"
EDIT_FACT = "The observatory at Harrowgate was restored in 2031 by the engineer Ilse Varga."


def edit_one_article(folder: Path, index: Path) -> Edit:
    """Add one sentence to one article, open the index again, and ask about it; the article
    is put back as it was afterwards (the next open re-embeds it again)."""
    from qa import Assistant, Settings

    settings = Settings(index_dir=index)
    before = Assistant.open(folder, settings).ask(EDIT_QUESTION).text
    article = sorted(folder.glob("*.txt"))[0]
    original = article.read_text(encoding="utf-8")
    try:
        article.write_text(original + EDIT_FACT + "\n", encoding="utf-8")
        t0 = time.perf_counter()
        edited = Assistant.open(folder, settings)
        open_s = time.perf_counter() - t0
        after = edited.ask(EDIT_QUESTION).text
        updated = ", ".join(edited.report.updated) or "none"
    finally:
        article.write_text(original, encoding="utf-8")
    return Edit(updated, open_s, before, after)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", action="store_true", help="the 442 SQuAD articles instead")
    parser.add_argument("--squad", type=Path, default=SQUAD, help=f"default: {SQUAD}")
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="with --scale: measure on the index an earlier run built",
    )
    parser.add_argument(
        "--warm-child", nargs=2, type=Path, metavar=("FOLDER", "INDEX"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.warm_child:  # one process of warm_by_threads: its p50 and p95 on stdout
        print(json.dumps(percentiles(warm_asks(*args.warm_child)[0])))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.scale:
        report, out = scale_report(args.squad, args.reuse_index), RESULTS / "core-scale.md"
    else:
        with tempfile.TemporaryDirectory(prefix="bench-core-") as work:
            qa = measure_qa(REPO / "seeds", Path(work))
            by_threads = warm_by_threads(REPO / "seeds", Path(work) / "qa-index")
            plain = measure_plain(REPO / "seeds", Path(work))
            throughput = [f"SQuAD file {args.squad} missing: no throughput figures.", ""]
            if args.squad.is_file():
                # Not under .cache/: llama-index's reader skips hidden folders.
                folder, _ = squad_folder(args.squad, Path(work) / "articles", THROUGHPUT_ARTICLES)
                throughput = throughput_report(
                    throughput_qa(folder, Path(work)), throughput_plain(folder, Path(work))
                )
        report, out = core_report(qa, plain, by_threads, throughput), RESULTS / "core.md"
    out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
