"""SQuAD-format files as documents nobody tuned for: a sources folder and a gold set.

Each article becomes one ``.txt`` file, its paragraphs separated by blank lines, and every
answer's offsets are moved into that file, so the whole pipeline (open retrieval over all
the articles, not the paragraph a question was written on) is scored as on any gold set.
Unanswerable questions (SQuAD 2.0) are on-topic unanswerable items.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from eval.metrics import ON_TOPIC, normalize_answer
from qa.errors import SourcesError

PARAGRAPH_BREAK = "\n\n"
ANSWERABLE = "squad-answerable"


def load_squad(path: str | Path) -> list[dict[str, Any]]:
    """The articles of a SQuAD-format file, gzip-compressed or not."""
    path = Path(path)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            articles = json.load(f)["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SourcesError(f"{path} is not a readable SQuAD file ({exc})") from None
    if not isinstance(articles, list) or not articles:
        raise SourcesError(f"{path} holds no SQuAD articles")
    return articles


def article_text(article: dict[str, Any]) -> tuple[str, list[int]]:
    """The article as one text, and where each of its paragraphs starts in it."""
    starts, pieces, at = [], [], 0
    for paragraph in article["paragraphs"]:
        starts.append(at)
        pieces.append(paragraph["context"])
        at += len(paragraph["context"]) + len(PARAGRAPH_BREAK)
    return PARAGRAPH_BREAK.join(pieces), starts


def file_name(number: int, title: str) -> str:
    return f"{number:03d}_{re.sub(r'[^A-Za-z0-9]+', '_', title).strip('_')[:60]}.txt"


def write_squad_set(
    squad_file: str | Path,
    out_dir: str | Path,
    *,
    articles: int | None = None,
    per_article: int | None = None,
    exclude: Collection[str] = (),
    seed: int = 0,
) -> tuple[Path, Path]:
    """Write ``out_dir/sources/*.txt`` and ``out_dir/gold.jsonl``; return both paths.

    ``articles`` keeps the first N articles not in ``exclude`` (titles); ``per_article``
    keeps K questions of each, drawn with ``seed`` so a slice is the same on every run.
    """
    chosen = [a for a in load_squad(squad_file) if a["title"] not in exclude][:articles]
    if not chosen:
        raise SourcesError(f"{squad_file}: no article is left to evaluate on")
    out = Path(out_dir)
    sources = out / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    for number, article in enumerate(chosen):
        name = file_name(number, article["title"])
        text, starts = article_text(article)
        (sources / name).write_text(text, encoding="utf-8", newline="")
        found = [
            item
            for start, paragraph in zip(starts, article["paragraphs"], strict=True)
            for qa in paragraph["qas"]
            if (item := gold_item(f"{sources.name}/{name}", text, start, qa)) is not None
        ]
        if per_article is not None and per_article < len(found):
            keep = sorted(rng.sample(range(len(found)), per_article))
            found = [found[i] for i in keep]
        items += found
    gold = out / "gold.jsonl"
    gold.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return sources, gold


def gold_item(source: str, text: str, offset: int, qa: dict[str, Any]) -> dict[str, Any] | None:
    """One SQuAD question as a gold item, each distinct answer span its evidence; None when
    its answers are only punctuation or articles, which no answer can match."""
    answers: Sequence[dict[str, Any]] = [] if qa.get("is_impossible") else qa["answers"]
    evidence: dict[tuple[int, int], dict[str, Any]] = {}
    for a in answers:
        start = offset + a["answer_start"]
        end = start + len(a["text"])
        if text[start:end] != a["text"]:
            raise SourcesError(f"question {qa['id']}: answer {a['text']!r} is not at its offset")
        evidence.setdefault(
            (start, end), {"source": source, "start": start, "end": end, "quote": a["text"]}
        )
    texts = list(dict.fromkeys(a["text"] for a in answers if normalize_answer(a["text"])))
    if answers and not texts:
        return None
    return {
        "id": qa["id"],
        "question": qa["question"],
        "answerable": bool(answers),
        "answer": texts[0] if texts else "",
        "answer_aliases": texts[1:],
        "evidence": list(evidence.values()),
        "category": ANSWERABLE if answers else ON_TOPIC,
        "history": [],
    }
