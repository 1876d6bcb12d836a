"""The reader: a span extractor trained in this repo (qa/models/reader/), run by onnxruntime.

It reads a question against passages and returns, per passage, the best answer span (exact
character offsets into the passage) and how far that span's score beats the no-answer score
at [CLS]. Only onnxruntime, tokenizers and numpy are imported here: no torch on the question
path.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.sessions import Loader, cpu_session, int8_where_exact
from index.view import LABEL
from qa.text import OPENING_MARKS

MODEL_DIR = Path(__file__).with_name("models") / "reader"
MAX_ANSWER_TOKENS = 30
MAX_QUESTION_TOKENS = 64
MAX_LENGTH = 192
STRIDE = 64
#: A reader trained without a mark between units also reads each passage with this one
#: there, and the two readings' scores are averaged (:func:`averaged`): the mark shows it a
#: list's items and a table's cells apart, which it otherwise reads as one run-on sentence,
#: and the plain reading keeps it from cutting prose short at a line's end.
SECOND_MARK = ";"

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
    may_start: npt.NDArray[np.bool_],
    may_end: npt.NDArray[np.bool_],
    unit: npt.NDArray[np.int64],
    mark: npt.NDArray[np.int64],
    max_tokens: int = MAX_ANSWER_TOKENS,
) -> list[tuple[int, int, float]]:
    """Per row of a batch: the highest start+end score over the spans of at most
    ``max_tokens`` tokens that begin where ``may_start`` and end where ``may_end`` (both False
    outside the passage), within one ``unit``, with their brackets and quotes paired (see
    :func:`passage_tokens` for ``mark``), as (start token, end token, score); (0, 0, -inf) for
    a row without such a span. All arrays are (windows, tokens)."""
    n = start_logits.shape[1]
    i, j = np.indices((n, n))
    valid = (
        (j >= i)
        & (j - i < max_tokens)
        & may_start[:, :, None]
        & may_end[:, None, :]
        & (unit[:, :, None] == unit[:, None, :])
    )
    for kind in range(1, _STRAIGHT + 1):
        step = np.sign(mark) * (np.abs(mark) == kind)
        if kind == _STRAIGHT:  # a straight quote opens and closes alike: count them
            step = np.abs(step)
        if not step.any():
            continue
        count = np.concatenate([np.zeros((len(mark), 1), np.int64), step.cumsum(axis=1)], axis=1)
        inside = count[:, None, 1:] - count[:, :-1, None]  # [row, s, e]: marks in tokens s..e
        if kind == _STRAIGHT:
            valid &= inside % 2 == 0
            continue
        valid &= inside == 0
        # and none closed before it opened (never "a) or (b"): along each diagonal of spans
        # of d + 1 tokens, the lowest count from their start on may not go below it
        lowest = count[:, 1:].copy()
        for d in range(min(max_tokens, n)):
            starts = np.arange(n - d)
            if d:
                lowest[:, : n - d] = np.minimum(lowest[:, : n - d], count[:, 1 + d :])
            valid[:, starts, starts + d] &= lowest[:, : n - d] >= count[:, : n - d]
    scores = np.where(valid, start_logits[:, :, None] + end_logits[:, None, :], -np.inf)
    flat = scores.reshape(len(scores), -1).argmax(axis=1)
    out = []
    for row, at in enumerate(flat):
        s, e = divmod(int(at), n)
        score = float(scores[row, s, e])
        out.append((s, e, score) if score > float("-inf") else (0, 0, score))
    return out


#: What may stand outside an answer within its whitespace-delimited token: opening marks
#: before it (a backquote too: "`shopt'"), closing marks, sentence punctuation and a
#: possessive after it ("(10,000)." gives "10,000", "Ada's" gives "Ada").
_OPENERS = frozenset(OPENING_MARKS + "`")
_CLOSERS = frozenset(")]}\"'”’`»>.,;:!?")
_POSSESSIVE = ("'s", "’s")
#: Before or after "=", what makes it part of an operator ("==", ">=", "+=", "=>", "=~"), not
#: a setting's: a value may begin with a path's "/" or a sign ("--prefix=/usr", "--nice=-5").
_OPERATOR_BEFORE, _OPERATOR_AFTER = frozenset("=<>!~:+-*/%&|^"), frozenset("=>~")
#: Marks an answer holds in pairs or not at all: never ``$(.SHELLSTATUS`` nor ``:" token``.
_PAIRS = ("()", "[]", "{}", "“”")
_MARKS = {pair[0]: k for k, pair in enumerate(_PAIRS, 1)} | {
    pair[1]: -k for k, pair in enumerate(_PAIRS, 1)
}
#: A single quote is an apostrophe too ("don't", "students'"), so only the two that open and
#: close one word are a pair: never ``'1.2.4-beta`` of ``'1.2.4-beta'``. A backquote opens
#: one as GNU and TeX write it (`` `shopt' ``), or as Markdown's code in plain text. Angle
#: brackets that open and close one word pair so too (a placeholder, ``<remote-ref>``); a
#: comparison's (``a < b``, ``<1.3.0-0``) opens none.
_QUOTED_WORD = len(_PAIRS) + 1
_SINGLE_OPENING, _SINGLE_CLOSING = frozenset("'‘`"), frozenset("'’`")
_STRAIGHT = len(_PAIRS) + 2
_MARKS['"'] = _STRAIGHT


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage as the reader splits it: WordPiece tokens with their character offsets, and
    where an answer may begin and end. An answer is made of whole whitespace-delimited tokens
    (never ``auth`` of ``--jobserver-auth``), or of a setting's key or value
    (``FLIT_USERNAME=__token__``), is never a list item's label alone (``2.9.``), and
    stays within one unit of the reading view: a line, or a table cell. ``mark`` codes a
    bracket, or the single quotes or angle brackets around a word (+k opens pair k, -k
    closes it), or a straight double quote."""

    ids: list[int]
    offsets: list[tuple[int, int]]
    may_start: list[bool]
    may_end: list[bool]
    unit: list[int]
    mark: list[int]


def passage_tokens(text: str, encoding: Any, break_id: int | None = None) -> Passage:
    """The reader's tokens of ``text`` (``encoding``: the tokenizer's, without special tokens),
    with ``break_id``, if given, between every two units: WordPiece reads a line break as a
    space, and without a mark a list's items run on as one sentence."""
    offsets: list[tuple[int, int]] = list(encoding.offsets)
    n = len(offsets)
    unit, glued = [0] * n, [False] * (n + 1)  # glued[i]: token i-1 and i are one word
    for i in range(1, n):
        gap = text[offsets[i - 1][1] : offsets[i][0]]
        glued[i] = not any(c.isspace() for c in gap)
        unit[i] = unit[i - 1] + ("\n" in gap or "\t" in gap)
    pieces = [text[a:b] for a, b in offsets]
    may_start, may_end = [False] * n, [False] * n
    mark = [_MARKS.get(p, 0) for p in pieces]
    i = 0
    while i < n:  # one whitespace-delimited word: tokens i..j
        j = i
        while j + 1 < n and glued[j + 1]:
            j += 1
        may_start[i] = True
        first, opening, angle = i, None, None
        while first < j and pieces[first] in _OPENERS:
            opening = first if pieces[first] in _SINGLE_OPENING else opening
            angle = first if pieces[first] == "<" else angle
            first += 1
            may_start[first] = True
        last, closing, angle_closing = j, None, None
        may_end[last] = True
        while last > first:
            if pieces[last] in _CLOSERS:
                closing = last if pieces[last] in _SINGLE_CLOSING else closing
                angle_closing = last if pieces[last] == ">" else angle_closing
                last -= 1
            elif last - 1 > first and text[offsets[last - 1][0] : offsets[last][1]] in _POSSESSIVE:
                last -= 2
            else:
                break
            may_end[last] = True
        for begun, ended in ((opening, closing), (angle, angle_closing)):
            if begun is not None and ended is not None:
                mark[begun], mark[ended] = _QUOTED_WORD, -_QUOTED_WORD
        if (
            (i == 0 or unit[i] != unit[i - 1])
            and j + 1 < n
            and unit[j + 1] == unit[i]
            and LABEL.fullmatch(text, offsets[i][0], offsets[j][1])
        ):  # a list item's label ("2.9.", "(b)") begins its answer, never is all of it
            may_end[i : j + 1] = [False] * (j + 1 - i)
        if "://" not in text[offsets[i][0] : offsets[j][1]]:  # an address is never cut
            for k in range(first + 1, last):  # a setting: its key and its value are words too
                if (
                    pieces[k] == "="
                    and pieces[k - 1][-1] not in _OPERATOR_BEFORE
                    and (pieces[k + 1][0] not in _OPERATOR_AFTER)
                ):
                    key = k - 1
                    while key > first and pieces[key] in _CLOSERS:
                        key -= 1
                    may_end[key] = True
                    value = k + 1
                    while value < last and pieces[value] in _OPENERS:
                        value += 1
                    may_start[value] = True
        i = j + 1
    ids = list(encoding.ids)
    if break_id is not None:
        for i in reversed(range(1, n)):
            if unit[i] != unit[i - 1]:  # a mark of no width, where no answer begins or ends
                ids.insert(i, break_id)
                offsets.insert(i, (offsets[i - 1][1], offsets[i - 1][1]))
                may_start.insert(i, False)
                may_end.insert(i, False)
                unit.insert(i, unit[i - 1])
                mark.insert(i, 0)
    return Passage(ids, offsets, may_start, may_end, unit, mark)


@dataclass(frozen=True, slots=True)
class Window:
    """One tokenized (question, passage piece) pair, as the model sees it."""

    passage: int
    ids: list[int]
    type_ids: list[int]
    offsets: list[tuple[int, int]]
    in_context: list[bool]
    may_start: list[bool]
    may_end: list[bool]
    unit: list[int]
    mark: list[int]


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


def encode(tokenizer: Any, passages: Sequence[str], unit_break: str = "") -> list[Passage]:
    """The passages as ``tokenizer`` splits them, without special tokens: what
    :func:`windows` cuts up; ``unit_break``, a token of the vocabulary the model was trained
    to see between two units of the reading view, or none."""
    encodings = tokenizer.encode_batch(list(passages), add_special_tokens=False)
    break_id = unit_break_id(tokenizer, unit_break)
    return [passage_tokens(p, e, break_id) for p, e in zip(passages, encodings, strict=True)]


def unit_break_id(tokenizer: Any, unit_break: str) -> int | None:
    """The id of the token ``unit_break`` (none for ""); ValueError if the vocabulary has none."""
    if not unit_break:
        return None
    found: int | None = tokenizer.token_to_id(unit_break)
    if found is None:
        raise ValueError(f"the unit break {unit_break!r} is not a token of the vocabulary")
    return found


def windows(tokenizer: Any, question: str, passages: Sequence[Passage]) -> list[Window]:
    """Question + passage pieces of at most MAX_LENGTH tokens, overlapping by STRIDE.

    ``tokenizer`` is a ``tokenizers.Tokenizer`` of the reader's WordPiece vocabulary;
    ``passages``, tokenized by :func:`encode`.
    """
    q = tokenizer.encode(question, add_special_tokens=False)
    q_ids = q.ids[:MAX_QUESTION_TOKENS]
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    room = MAX_LENGTH - len(q_ids) - 3
    out: list[Window] = []
    for p, passage in enumerate(passages):
        ids, offsets = passage.ids, passage.offsets
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
                    may_start=[False] * (len(q_ids) + 2) + passage.may_start[piece] + [False],
                    may_end=[False] * (len(q_ids) + 2) + passage.may_end[piece] + [False],
                    unit=[-1] * (len(q_ids) + 2) + passage.unit[piece] + [-1],
                    mark=[0] * (len(q_ids) + 2) + passage.mark[piece] + [0],
                )
            )
            if begin + room >= len(ids):
                break
            begin += room - STRIDE
    return out


def averaged(
    plain: Sequence[Window],
    plain_scores: Sequence[tuple[Floats, Floats]],
    marked: Sequence[Window],
    marked_scores: Sequence[tuple[Floats, Floats]],
) -> list[tuple[Floats, Floats]]:
    """Each plain window's start and end scores, averaged with those of its passage read
    with marks (the marks' own dropped), where each reading of the passage is one window;
    a passage cut into several windows either way keeps its plain scores."""
    plain_count = Counter(w.passage for w in plain)
    marked_count = Counter(w.passage for w in marked)
    marked_at = {w.passage: j for j, w in enumerate(marked)}
    out = list(plain_scores)
    for i, w in enumerate(plain):
        if plain_count[w.passage] != 1 or marked_count[w.passage] != 1:
            continue
        m = marked[marked_at[w.passage]]
        kept = [k for k, (a, b) in enumerate(m.offsets) if not (m.in_context[k] and a == b)]
        if len(kept) == len(w.ids):
            (start, end), (m_start, m_end) = plain_scores[i], marked_scores[marked_at[w.passage]]
            half = np.float32(0.5)
            out[i] = ((start + m_start[kept]) * half, (end + m_end[kept]) * half)
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
    shape = start_logits.shape
    may_start, may_end = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    unit = np.full(shape, -1, dtype=np.int64)
    mark = np.zeros(shape, dtype=np.int64)
    for row, w in enumerate(batch):
        may_start[row, : len(w.ids)] = w.may_start
        may_end[row, : len(w.ids)] = w.may_end
        unit[row, : len(w.ids)] = w.unit
        mark[row, : len(w.ids)] = w.mark
    null = start_logits[:, 0] + end_logits[:, 0]
    spans = best_spans(start_logits, end_logits, may_start, may_end, unit, mark)
    return [
        (w.offsets[s][0], w.offsets[e][1], score - float(null[row]))
        for row, (w, (s, e, score)) in enumerate(zip(batch, spans, strict=True))
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
    """The int8 ONNX reader and its tokenizer, loaded on first use or by :meth:`preload`.

    ``second_reading``: a model trained without a unit mark also reads each passage with
    :data:`SECOND_MARK` (off: the model's own reading, as training measures it)."""

    def __init__(
        self, model_dir: Path = MODEL_DIR, batch_size: int = 16, second_reading: bool = True
    ) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.second_reading = second_reading
        self._session = Loader(
            lambda: cpu_session(int8_where_exact(model_dir / "reader.int8.onnx"))
        )

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
    def unit_break(self) -> str:
        """The token the model was trained to see between units of the reading view, if any."""
        return str(self.card.get("unit_break", ""))

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

    @property
    def second_mark(self) -> str:
        """The mark of the second reading, "" for none."""
        return SECOND_MARK if self.second_reading and not self.unit_break else ""

    @cached_property
    def _encode(self) -> Callable[[str, str], Passage]:
        """A passage's tokens with a unit mark (or none), computed once: retrieval brings the
        same chunks back for follow-ups and related questions."""
        tokenizer = self.tokenizer
        return lru_cache(maxsize=8192)(lambda text, mark: encode(tokenizer, [text], mark)[0])

    def _scores(self, pieces: Sequence[Window]) -> list[tuple[Floats, Floats]]:
        """Each window's start and end scores, over its own tokens."""
        scores: list[tuple[Floats, Floats]] = []
        for at in range(0, len(pieces), self.batch_size):
            batch = pieces[at : at + self.batch_size]
            start_logits, end_logits = self._session.get().run(None, batch_arrays(batch))
            for row, w in enumerate(batch):
                scores.append((start_logits[row, : len(w.ids)], end_logits[row, : len(w.ids)]))
        return scores

    def read(self, question: str, passages: Sequence[str]) -> list[Reading]:
        """Each passage's best span, highest margin first."""
        if not passages:
            return []
        mark = self.unit_break
        pieces = windows(self.tokenizer, question, [self._encode(p, mark) for p in passages])
        marked: list[Window] = []
        if self.second_mark:
            encoded = [self._encode(p, self.second_mark) for p in passages]
            marked = windows(self.tokenizer, question, encoded)
        # Each reading in batches of its own: activations are quantized per batch, and the
        # plain reading stays what it is without the other.
        scores = self._scores(pieces)
        if marked:
            scores = averaged(pieces, scores, marked, self._scores(marked))
        width = max(len(w.ids) for w in pieces)
        start_logits = np.zeros((len(pieces), width), dtype=np.float32)
        end_logits = np.zeros_like(start_logits)
        for row, (start, end) in enumerate(scores):
            start_logits[row, : len(start)], end_logits[row, : len(end)] = start, end
        return best_per_passage(pieces, decode(pieces, start_logits, end_logits))


@cache
def shared_reader() -> Reader:
    """One reader per process: every assistant (and every re-index) reads with the same model."""
    return Reader()
