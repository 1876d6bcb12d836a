"""The reader: a span extractor trained in this repo (qa/models/reader/), run by onnxruntime.

It reads a question against passages and returns, per passage, the best answer span (exact
character offsets into the passage) and how far that span's score beats the no-answer score
at [CLS]. Only onnxruntime, tokenizers and numpy are imported here: no torch on the question
path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.sessions import Loader, cpu_session

MODEL_DIR = Path(__file__).with_name("models") / "reader"
MAX_ANSWER_TOKENS = 30
MAX_QUESTION_TOKENS = 64
MAX_LENGTH = 192
STRIDE = 64

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Reading:
    """The reader's best span of one passage: ``passage[start:end]`` is the answer."""

    passage: int
    start: int
    end: int
    margin: float  # best span score minus the no-answer score; > threshold means "answer"


def best_spans(
    start_logits: Floats,
    end_logits: Floats,
    in_context: npt.NDArray[np.bool_],
    max_tokens: int = MAX_ANSWER_TOKENS,
) -> list[tuple[int, int, float]]:
    """Per row of a batch: the highest start+end score over context spans of at most
    ``max_tokens`` tokens, as (start token, end token, score); (0, 0, -inf) for a row that
    holds no context. All three arrays are (windows, tokens)."""
    n = start_logits.shape[1]
    i, j = np.indices((n, n))
    band = (j >= i) & (j - i < max_tokens)
    valid = band & in_context[:, :, None] & in_context[:, None, :]
    scores = np.where(valid, start_logits[:, :, None] + end_logits[:, None, :], -np.inf)
    flat = scores.reshape(len(scores), -1).argmax(axis=1)
    out = []
    for row, at in enumerate(flat):
        s, e = divmod(int(at), n)
        score = float(scores[row, s, e])
        out.append((s, e, score) if score > float("-inf") else (0, 0, score))
    return out


@dataclass(frozen=True, slots=True)
class Window:
    """One tokenized (question, passage piece) pair, as the model sees it."""

    passage: int
    ids: list[int]
    type_ids: list[int]
    offsets: list[tuple[int, int]]
    in_context: list[bool]


def load_tokenizer() -> Any:
    """The packaged encoder's WordPiece tokenizer (the reader was fine-tuned from that
    encoder, so its vocabulary is the reader's), without the fixed 128-token padding and
    truncation it ships with."""
    from tokenizers import Tokenizer

    from index.embed import packaged_model_path

    tokenizer = Tokenizer.from_file(str(packaged_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def encode(tokenizer: Any, passages: Sequence[str]) -> list[Any]:
    """The passages as ``tokenizer`` splits them, without special tokens: what
    :func:`windows` cuts up."""
    encodings: list[Any] = tokenizer.encode_batch(list(passages), add_special_tokens=False)
    return encodings


def windows(tokenizer: Any, question: str, encodings: Sequence[Any]) -> list[Window]:
    """Question + passage pieces of at most MAX_LENGTH tokens, overlapping by STRIDE.

    ``tokenizer`` is a ``tokenizers.Tokenizer`` of the reader's WordPiece vocabulary;
    ``encodings``, the passages tokenized by :func:`encode`.
    """
    q = tokenizer.encode(question, add_special_tokens=False)
    q_ids = q.ids[:MAX_QUESTION_TOKENS]
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    room = MAX_LENGTH - len(q_ids) - 3
    out: list[Window] = []
    for p, encoding in enumerate(encodings):
        ids, offsets = encoding.ids, encoding.offsets
        begin = 0
        while True:
            piece = slice(begin, begin + room)
            body, body_offsets = ids[piece], offsets[piece]
            out.append(
                Window(
                    passage=p,
                    ids=[cls_id, *q_ids, sep_id, *body, sep_id],
                    type_ids=[0] * (len(q_ids) + 2) + [1] * (len(body) + 1),
                    offsets=[(0, 0)] * (len(q_ids) + 2) + list(body_offsets) + [(0, 0)],
                    in_context=[False] * (len(q_ids) + 2) + [True] * len(body) + [False],
                )
            )
            if begin + room >= len(ids):
                break
            begin += room - STRIDE
    return out


def batch_arrays(batch: Sequence[Window]) -> dict[str, npt.NDArray[np.int64]]:
    """Pad a batch of windows into the model's three int64 inputs."""
    width = max(len(w.ids) for w in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, w in enumerate(batch):
        ids[row, : len(w.ids)] = w.ids
        types[row, : len(w.ids)] = w.type_ids
        mask[row, : len(w.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def decode(
    batch: Sequence[Window], start_logits: Floats, end_logits: Floats
) -> list[tuple[int, int, float]]:
    """Per window: the best span as (char start, char end, margin over no-answer)."""
    in_context = np.zeros(start_logits.shape, dtype=bool)
    for row, w in enumerate(batch):
        in_context[row, : len(w.in_context)] = w.in_context
    null = start_logits[:, 0] + end_logits[:, 0]
    return [
        (w.offsets[s][0], w.offsets[e][1], score - float(null[row]))
        for row, (w, (s, e, score)) in enumerate(
            zip(batch, best_spans(start_logits, end_logits, in_context), strict=True)
        )
    ]


def best_per_passage(
    batch: Sequence[Window], spans: Sequence[tuple[int, int, float]]
) -> list[Reading]:
    """Keep each passage's highest-margin span, best passages first."""
    best: dict[int, Reading] = {}
    for w, (start, end, margin) in zip(batch, spans, strict=True):
        seen = best.get(w.passage)
        if start < end and (seen is None or margin > seen.margin):
            best[w.passage] = Reading(w.passage, start, end, margin)
    return sorted(best.values(), key=lambda r: -r.margin)


class Reader:
    """The int8 ONNX reader and its tokenizer, loaded on first use or by :meth:`preload`."""

    def __init__(self, model_dir: Path = MODEL_DIR, batch_size: int = 16) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._session = Loader(lambda: cpu_session(model_dir / "reader.int8.onnx"))

    @cached_property
    def card(self) -> dict[str, Any]:
        """The model's settings, among them the calibrated no-answer threshold."""
        loaded: dict[str, Any] = json.loads((self.model_dir / "reader.json").read_text())
        return loaded

    @property
    def sha(self) -> str:
        """The sha256 of the model file, as its card records it: which reader this is."""
        return str(self.card["sha256"])

    @property
    def threshold(self) -> float:
        return float(self.card["threshold"])

    @property
    def trained_on(self) -> frozenset[str]:
        """Titles of the SQuAD articles it was trained or calibrated on: never scored on."""
        split = self.card.get("split", {})
        return frozenset([*split.get("train", ()), *split.get("calibrate", ())])

    def preload(self) -> None:
        """Start loading the model in a thread."""
        self._session.start()

    @cached_property
    def tokenizer(self) -> Any:
        return load_tokenizer()

    @cached_property
    def _encode(self) -> Callable[[str], Any]:
        """A passage's tokens, computed once: retrieval brings the same chunks back for
        follow-ups and related questions."""
        tokenizer = self.tokenizer
        return lru_cache(maxsize=4096)(lambda text: encode(tokenizer, [text])[0])

    def read(self, question: str, passages: Sequence[str]) -> list[Reading]:
        """Each passage's best span, highest margin first."""
        if not passages:
            return []
        pieces = windows(self.tokenizer, question, [self._encode(p) for p in passages])
        spans: list[tuple[int, int, float]] = []
        for at in range(0, len(pieces), self.batch_size):
            batch = pieces[at : at + self.batch_size]
            start_logits, end_logits = self._session.get().run(None, batch_arrays(batch))
            spans.extend(decode(batch, start_logits, end_logits))
        return best_per_passage(pieces, spans)


@cache
def shared_reader() -> Reader:
    """One reader per process: every assistant (and every re-index) reads with the same model."""
    return Reader()
