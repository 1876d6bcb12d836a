"""Views: read every supported file under some folders as indexing would; time, map defects.

    .venv/bin/python -m bench.views [FOLDER ...]   (default: /usr/share/doc and the venv)

Each file goes through ``index.load.read_view``. A file whose view maps a character outside
the file, or maps a word back before the word read ahead of it (the same words found
earlier or later in the file than where they are written), is a defect: its citations
would be highlighted in the wrong place. Prints the counts, every defect and the slowest
files, and writes bench/results/views.md.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from index.errors import SourceFileError, SourcesError
from index.load import find_sources, read_view
from index.view import ReadingView

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DEFAULT_FOLDERS = ("/usr/share/doc", sys.prefix)
MAX_BYTES = 20 * 2**20  # Settings.max_file_mb


@dataclass(frozen=True)
class Read:
    path: Path
    seconds: float
    chars: int
    outcome: str  # "ok", "skipped: why", or the defect ("crashed: …" or the map's)


def map_defect(view: ReadingView) -> str:
    """What is wrong with the view's map back into its file, or ""."""
    size = len(view.origin)
    outside = sum(not 0 <= s <= e <= size for s, e in zip(view.starts, view.ends, strict=True))
    if outside:
        return f"{outside} characters mapped outside the file"
    written = 0
    for word in re.finditer(r"\S+", view.text):
        begin, end = view.to_origin(word.start(), word.end())
        if begin < written:
            return f"{word.group()!r} at {word.start()} mapped back before the word ahead of it"
        written = max(written, end)
    return ""


def read_one(path: Path) -> Read:
    t0 = time.perf_counter()
    try:
        view = read_view(path, MAX_BYTES)
    except SourceFileError as exc:  # a clear message to the user: not a defect
        return Read(path, time.perf_counter() - t0, 0, f"skipped: {exc}")
    except Exception as exc:  # any other error is a defect, reported with the rest
        return Read(path, time.perf_counter() - t0, 0, f"crashed: {exc!r}")
    seconds = time.perf_counter() - t0
    return Read(path, seconds, len(view.text), map_defect(view) or "ok")


def supported_files(folders: list[str]) -> list[Path]:
    """The files indexing would read under ``folders`` (``index.load.find_sources``: hidden
    ones and links out of a folder left out); a folder that does not exist is an error."""
    try:
        return [path for folder in folders for path in find_sources(Path(folder))]
    except SourcesError as exc:
        raise SystemExit(f"bench.views: {exc}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="*", default=list(DEFAULT_FOLDERS))
    args = parser.parse_args()
    reads = [read_one(p) for p in supported_files(args.folders)]
    skipped = [r for r in reads if r.outcome.startswith("skipped")]
    why = Counter(r.outcome.split(": ", 2)[-1] if ": " in r.outcome else r.outcome for r in skipped)
    defects = [r for r in reads if r.outcome != "ok" and not r.outcome.startswith("skipped")]
    by_suffix = Counter(r.path.suffix.lower() for r in reads if r.outcome == "ok")
    slowest = sorted(reads, key=lambda r: -r.seconds)[:10]
    lines = [
        "# Reading views of every supported file (`python -m bench.views`)",
        "",
        f"Folders: {', '.join(f'`{f}`' for f in args.folders)}. {len(reads)} files: "
        f"{by_suffix.total()} read ({', '.join(f'{n} {s}' for s, n in by_suffix.most_common())}), "
        f"{len(skipped)} skipped, {len(defects)} with a defect (a map or a crash).",
        "",
        *(f"- skipped {n}: {reason}" for reason, n in why.most_common()),
        "",
        *(f"- defect: `{r.path}`: {r.outcome}" for r in defects),
        "",
        "| slowest | characters read | seconds |",
        "|---|---:|---:|",
        *(f"| `{r.path}` | {r.chars:,} | {r.seconds:.2f} |" for r in slowest),
        "",
        f"All {len(reads)} files: {sum(r.seconds for r in reads):.1f} s, "
        f"{sum(r.chars for r in reads):,} characters.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "views.md").write_text(report, encoding="utf-8")
    if defects:
        sys.exit(1)


if __name__ == "__main__":
    main()
