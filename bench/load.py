"""Load: N concurrent API users against a running UI server; throughput, latency, errors.

    .venv/bin/python -m bench.load [--users 1 4 16 32] [--questions 10]

The server runs in its own process (as `qa serve` would) over a temporary copy of
the seeds; each user is a gradio_client Client in a thread asking its questions
through /ask one after another. Writes bench/results/load.md and load.png.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
SERVER = """
import shutil, sys
from pathlib import Path
from qa import Assistant, Settings
from tests.conftest_ui import free_port
from ui.app import build_app, launch
folder = Path(sys.argv[1])
shutil.copytree("seeds", folder / "seeds")
assistant = Assistant.open(folder / "seeds", Settings(index_dir=folder / "index"))
url = launch(build_app(assistant, runs_dir=folder / "runs"), "127.0.0.1", free_port(), block=False)
print(url, flush=True)
sys.stdin.read()
"""


def questions() -> list[str]:
    """The answerable, stand-alone gold questions: the seeds' own kind of question."""
    rows = [json.loads(line) for line in (REPO / "eval" / "gold.jsonl").open(encoding="utf-8")]
    return [r["question"] for r in rows if r["answerable"] and not r["history"]]


def run_users(url: str, users: int, per_user: int, pool: list[str]) -> dict[str, float]:
    """Each user asks ``per_user`` different questions; returns throughput and percentiles."""
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    clients = [Client(url, verbose=False, analytics_enabled=False) for _ in range(users)]

    def user(i: int) -> None:
        for k in range(per_user):
            question = pool[(i * per_user + k) % len(pool)]
            t0 = time.perf_counter()
            try:
                clients[i].predict(question, api_name="/ask")
            except Exception as exc:  # any failure counts; the table reports them
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "users": users,
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "throughput": len(latencies) / wall,
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
    }


def write_results(rows: list[dict[str, float]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = [
        "| users | requests | errors | throughput (q/s) | p50 (s) | p95 (s) | p99 (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['users']:.0f} | {r['requests']:.0f} | {r['errors']:.0f} | {r['throughput']:.2f} "
        f"| {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} |"
        for r in rows
    ]
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    users = [r["users"] for r in rows]
    left.plot(users, [r["throughput"] for r in rows], marker="o")
    left.set(xlabel="concurrent users", ylabel="questions / s", title="Throughput", xscale="log")
    for key in ("p50", "p95", "p99"):
        right.plot(users, [r[key] for r in rows], marker="o", label=key)
    right.set(xlabel="concurrent users", ylabel="seconds", title="Latency", xscale="log")
    right.legend()
    fig.tight_layout()
    fig.savefig(out / "load.png", dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 4, 16, 32])
    parser.add_argument("--questions", type=int, default=10, help="questions per user")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, tmp],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = ""
            for line in server.stdout:  # gradio prints its own banner first
                if line.startswith("http"):
                    url = line.strip()
                    break
            if not url:
                raise SystemExit("the server did not start")
            pool = questions()
            run_users(url, 1, 2, pool)  # warm up: first questions load lazy parts
            rows = []
            for users in args.users:
                rows.append(run_users(url, users, args.questions, pool))
                print(rows[-1], flush=True)
        finally:
            server.kill()
            server.wait()
    write_results(rows, args.out)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
