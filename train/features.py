"""What a stage trains on: its pool of examples, cut into the reader's windows, each window
labelled with the answer's first and last token, or [CLS] when it holds no answer."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.squad import load_squad
from index.errors import ConfigError
from qa.read import Window, encode, windows
from train.data import TRAIN_V1_FILE, TRAIN_V2_FILE, DevSplit, Example, dev_articles, examples
from train.identifiers import recoded
from train.negatives import entity_swapped_negatives, removed_negatives, swapped_negatives
from train.recipe import Pool
from train.shapes import index_articles, reshaped


def training_pool(squad_dir: Path, split: DevSplit, pool: Pool, seed: int) -> list[Example]:
    """SQuAD 1.1 train, the 2.0 train and dev-train articles (repeated: they carry the real
    unanswerable questions), paragraph-swapped, answer-removed and entity-swapped negatives,
    shuffled; ``pool.examples`` of them after the first ``pool.skip``, a share
    ``pool.coded`` of them with their answers renamed as identifiers and a share
    ``pool.shaped`` laid out as documents (none with the defaults of 0: the pool is then as
    before either existed)."""
    v1 = load_squad(squad_dir / TRAIN_V1_FILE)
    v2 = load_squad(squad_dir / TRAIN_V2_FILE) + dev_articles(squad_dir, split.train)
    items = (
        examples(v1)
        + swapped_negatives(v1, pool.swapped, seed)
        + removed_negatives(v1, pool.removed, seed)
        + entity_swapped_negatives(v1, pool.entity, seed)
        + examples(v2) * pool.v2_repeat
    )
    random.Random(seed).shuffle(items)
    taken = items[pool.skip : pool.skip + pool.examples]
    if len(taken) < pool.examples:
        raise ConfigError(
            f"the pool holds {len(items)} examples: {pool.examples} after the first "
            f"{pool.skip} are more than it has"
        )
    if pool.coded:
        taken = recoded(taken, pool.coded, seed)
    if not pool.shaped:
        return taken
    return reshaped(taken, index_articles(v1 + v2), pool.shaped, seed)


def token_labels(window: Window, example: Example) -> tuple[int, int]:
    """The answer's first and last token in this window, or (0, 0) for [CLS] (no answer)."""
    if example.impossible:
        return 0, 0
    text, begin = example.answers[0]
    end = begin + len(text)
    context = [i for i, inside in enumerate(window.in_context) if inside]
    if not context:
        return 0, 0
    if window.offsets[context[0]][0] > begin or window.offsets[context[-1]][1] < end:
        return 0, 0
    first = next(i for i in context if window.offsets[i][1] > begin)
    last = max(i for i in context if window.offsets[i][0] < end)
    return (first, last) if first <= last else (0, 0)


@dataclass(frozen=True, slots=True)
class Feature:
    window: Window
    start: int
    end: int


def featurize(tokenizer: Any, items: Sequence[Example], unit_break: str = "") -> list[Feature]:
    """Every window of every example: a window of a long paragraph without the whole
    answer is a "no answer" example, as in the standard SQuAD 2.0 recipe."""
    out = []
    for example in items:
        passage = encode(tokenizer, [example.context], unit_break)
        for window in windows(tokenizer, example.question, passage):
            start, end = token_labels(window, example)
            out.append(Feature(window, start, end))
    return out
