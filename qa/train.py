"""Train, measure and export the span reader (qa/read.py) from SQuAD, on the CPU.

    python -m qa.train train  --squad-dir ../shared/data/squad   # resumable, checkpoints in .cache/
    python -m qa.train export                                     # ONNX int8 into qa/models/reader/

The encoder starts from the packaged all-MiniLM-L6-v2 weights; a linear start/end head is
added, and "no answer" is the span at [CLS] (SQuAD 2.0 style). SQuAD 2.0 dev articles are
split by article: some train, some calibrate the no-answer threshold, the rest are held out
for `qa eval --squad`. Needs torch and transformers (the dev install), never at run time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from eval.metrics import exact_match, token_f1
from eval.squad import load_squad
from index.embed import packaged_model_path
from qa.read import (
    MAX_LENGTH,
    MODEL_DIR,
    Reader,
    Reading,
    Window,
    batch_arrays,
    best_per_passage,
    decode,
    encode,
    load_tokenizer,
    windows,
)
from qa.text import sentence_spans

DEV_FILE = "dev-v2.0-32articles.json.gz"
TRAIN_V2_FILE = "train-v2.0-first10articles.json.gz"
TRAIN_V1_FILE = "train-v1.1.json.gz"
SPLIT_SEED = 13
HELD_OUT_ARTICLES = 8
CALIBRATION_ARTICLES = 4
WORK_DIR = Path(".cache") / "reader-train"
ReadFn = Callable[[str, Sequence[str]], list[Reading]]


@dataclass(frozen=True, slots=True)
class Example:
    """One SQuAD question with its paragraph; ``answers`` are (text, char start) pairs."""

    id: str
    title: str
    question: str
    context: str
    answers: tuple[tuple[str, int], ...]

    @property
    def impossible(self) -> bool:
        return not self.answers


def examples(articles: Sequence[dict[str, Any]]) -> list[Example]:
    out = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = () if qa.get("is_impossible") else qa["answers"]
                out.append(
                    Example(
                        id=qa["id"],
                        title=article["title"],
                        question=qa["question"],
                        context=paragraph["context"],
                        answers=tuple((a["text"], a["answer_start"]) for a in answers),
                    )
                )
    return out


@dataclass(frozen=True, slots=True)
class DevSplit:
    """SQuAD 2.0 dev articles by title: trained on, calibrated on, held out."""

    train: tuple[str, ...]
    calibrate: tuple[str, ...]
    held_out: tuple[str, ...]


def split_dev(titles: Sequence[str], seed: int = SPLIT_SEED) -> DevSplit:
    shuffled = sorted(titles)
    random.Random(seed).shuffle(shuffled)
    held = shuffled[:HELD_OUT_ARTICLES]
    calibrate = shuffled[HELD_OUT_ARTICLES : HELD_OUT_ARTICLES + CALIBRATION_ARTICLES]
    train = shuffled[HELD_OUT_ARTICLES + CALIBRATION_ARTICLES :]
    return DevSplit(tuple(sorted(train)), tuple(sorted(calibrate)), tuple(sorted(held)))


def swapped_negatives(articles: Sequence[dict[str, Any]], share: float, seed: int) -> list[Example]:
    """A question paired with another paragraph of its own article: an easy unanswerable."""
    rng = random.Random(seed)
    out = []
    for article in articles:
        paragraphs = article["paragraphs"]
        if len(paragraphs) < 2:
            continue
        for p, paragraph in enumerate(paragraphs):
            for qa in paragraph["qas"]:
                if rng.random() >= share:
                    continue
                other = rng.choice([i for i in range(len(paragraphs)) if i != p])
                out.append(
                    Example(
                        qa["id"] + "_swap",
                        article["title"],
                        qa["question"],
                        paragraphs[other]["context"],
                        (),
                    )
                )
    return out


def removed_negatives(articles: Sequence[dict[str, Any]], share: float, seed: int) -> list[Example]:
    """A question whose paragraph lost the sentence(s) holding its answer: an on-topic
    unanswerable, close to the question's words but without what it asks. Skipped when
    the answer itself still appears in what is left."""
    rng = random.Random(seed)
    out = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            sentences = sentence_spans(context)
            for qa in paragraph["qas"]:
                if not qa["answers"] or rng.random() >= share:
                    continue
                answer = qa["answers"][0]
                begin, end = answer["answer_start"], answer["answer_start"] + len(answer["text"])
                kept = [context[a:b] for a, b in sentences if b <= begin or a >= end]
                rest = " ".join(kept)
                if len(kept) < 2 or answer["text"].lower() in rest.lower():
                    continue
                question = qa["question"]
                out.append(Example(qa["id"] + "_removed", article["title"], question, rest, ()))
    return out


# A name: a run of capitalised words seen mid-sentence (so not a sentence's first word);
# a number: digits with their separators.
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][\w'-]*(?: [A-Z][\w'-]*)*")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")


def _mentions(text: str) -> set[str]:
    return {m.group() for pattern in (_NAME, _NUMBER) for m in pattern.finditer(text)}


def _shape(mention: str) -> str:
    """Names swap with names of as many words, numbers with numbers written alike."""
    return re.sub(r"\d", "0", mention) if mention[0].isdigit() else f"name{len(mention.split())}"


def entity_swapped_negatives(
    articles: Sequence[dict[str, Any]], share: float, seed: int
) -> list[Example]:
    """A question with one of its names or numbers, found in its paragraph, replaced by
    another of the same shape from elsewhere in its article that the paragraph never
    mentions: an on-topic question the paragraph cannot answer, like SQuAD 2.0's entity-
    and number-swap unanswerables."""
    rng = random.Random(seed)
    out = []
    for article in articles:
        by_shape: dict[str, list[str]] = {}
        for mention in sorted(
            set().union(*(_mentions(p["context"]) for p in article["paragraphs"]))
        ):
            by_shape.setdefault(_shape(mention), []).append(mention)
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            lowered = context.lower()
            for qa in paragraph["qas"]:
                if not qa["answers"] or rng.random() >= share:
                    continue
                question = qa["question"]
                asked = question.lower()
                found = [
                    m
                    for m in (*_NAME.finditer(question), *_NUMBER.finditer(question))
                    if re.search(rf"\b{re.escape(m.group())}\b", context)
                ]
                rng.shuffle(found)
                for match in found:
                    others = [
                        m
                        for m in by_shape.get(_shape(match.group()), [])
                        if m.lower() not in lowered and m.lower() not in asked
                    ]
                    if others:
                        swapped = (
                            question[: match.start()] + rng.choice(others) + question[match.end() :]
                        )
                        out.append(
                            Example(qa["id"] + "_entity", article["title"], swapped, context, ())
                        )
                        break
    return out


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


def featurize(tokenizer: Any, items: Sequence[Example]) -> list[Feature]:
    out = []
    for example in items:
        for window in windows(tokenizer, example.question, encode(tokenizer, [example.context])):
            start, end = token_labels(window, example)
            out.append(Feature(window, start, end))
    return out


def training_pool(
    squad_dir: Path,
    split: DevSplit,
    v2_repeat: int,
    removed_share: float,
    entity_share: float,
    seed: int,
) -> list[Example]:
    """SQuAD 1.1 train, the 2.0 train and dev-train articles (repeated: they carry the real
    unanswerable questions), paragraph-swapped, answer-removed and entity-swapped negatives,
    shuffled."""
    v1 = load_squad(squad_dir / TRAIN_V1_FILE)
    v2 = load_squad(squad_dir / TRAIN_V2_FILE)
    dev = [a for a in load_squad(squad_dir / DEV_FILE) if a["title"] in split.train]
    pool = (
        examples(v1)
        + swapped_negatives(v1, 0.1, seed)
        + removed_negatives(v1, removed_share, seed)
        + entity_swapped_negatives(v1, entity_share, seed)
        + examples(v2 + dev) * v2_repeat
    )
    random.Random(seed).shuffle(pool)
    return pool


def calibration_examples(squad_dir: Path, split: DevSplit, limit: int, seed: int) -> list[Example]:
    dev = [a for a in load_squad(squad_dir / DEV_FILE) if a["title"] in split.calibrate]
    items = examples(dev)
    random.Random(seed).shuffle(items)
    return items[:limit]


# --- the model (torch only below this line, imported lazily) -------------------------------


def span_model(source: Path, attention: str = "sdpa") -> Any:
    """The encoder with a start/end head. Export with ``attention="eager"``: torch's fused
    attention exports as a graph onnxruntime runs 1.3x slower (a NaN guard on every score)."""
    import torch
    from transformers import BertModel

    class SpanModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = BertModel.from_pretrained(
                str(source), add_pooling_layer=False, attn_implementation=attention
            )
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 2)

        def forward(
            self, input_ids: Any, attention_mask: Any, token_type_ids: Any
        ) -> tuple[Any, Any]:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            logits = self.head(hidden).float()
            start, end = logits.unbind(-1)
            pad = attention_mask == 0
            return start.masked_fill(pad, -1e4), end.masked_fill(pad, -1e4)

    return SpanModel()


def to_tensors(batch: Sequence[Window]) -> dict[str, Any]:
    import torch

    return {k: torch.from_numpy(v) for k, v in batch_arrays(batch).items()}


@dataclass(frozen=True, slots=True)
class Scores:
    """SQuAD 2.0 figures of one set when answering above ``threshold`` (on the margin)."""

    f1: float
    exact: float
    has_ans_f1: float
    no_ans_accuracy: float
    threshold: float


def torch_read(model: Any, tokenizer: Any) -> ReadFn:
    """Read with the torch model as the ONNX reader does: same windows, same decoding."""
    import torch

    def read(question: str, passages: Sequence[str]) -> list[Reading]:
        pieces = windows(tokenizer, question, encode(tokenizer, passages))
        with torch.inference_mode():
            start, end = model(**to_tensors(pieces))
        return best_per_passage(pieces, decode(pieces, start.numpy(), end.numpy()))

    return read


def predictions(read: ReadFn, items: Sequence[Example]) -> list[tuple[str, float]]:
    """Per example: the best span of its own paragraph and its margin over no-answer."""
    out = []
    for example in items:
        best = read(example.question, [example.context])[:1]
        out.append(
            (example.context[best[0].start : best[0].end], best[0].margin)
            if best
            else ("", float("-inf"))
        )
    return out


def per_example(
    metric: Callable[[str, list[str]], float],
    items: Sequence[Example],
    preds: Sequence[tuple[str, float]],
) -> npt.NDArray[np.float64]:
    """``metric`` of each predicted span against its example's answers, answered or not."""
    return np.array(
        [metric(t, [a for a, _ in e.answers]) for e, (t, _) in zip(items, preds, strict=True)]
    )


def squad_scores(
    items: Sequence[Example], preds: Sequence[tuple[str, float]], threshold: float | None = None
) -> Scores:
    """SQuAD 2.0 figures when answering above ``threshold``; with None, above the threshold
    that gives the best F1 (which is how the reader is calibrated)."""
    impossible = np.array([e.impossible for e in items])
    margins = np.array([m for _, m in preds])
    f1 = per_example(token_f1, items, preds)
    em = per_example(exact_match, items, preds)

    def at(threshold: float) -> tuple[float, float, float, float]:
        answered = margins > threshold
        f1s = np.where(answered, np.where(impossible, 0.0, f1), impossible.astype(float))
        ems = np.where(answered, np.where(impossible, 0.0, em), impossible.astype(float))
        has = f1s[~impossible].mean() if (~impossible).any() else float("nan")
        no = f1s[impossible].mean() if impossible.any() else float("nan")
        return float(f1s.mean()), float(ems.mean()), float(has), float(no)

    if threshold is None:
        grid = sorted({round(float(m), 2) for m in margins if np.isfinite(m)} | {0.0})
        threshold = max(grid, key=lambda t: at(t)[0])
    return Scores(*at(threshold), threshold)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Where F1 is lost: in finding the span or in deciding whether to answer."""

    has_ans_f1_always_answering: float  # F1 on answerable questions were it never to abstain
    answerability_auc: float  # P(an answerable question's margin > an unanswerable one's)
    f1_if_deciding_perfectly: float  # F1 with its spans, abstaining exactly when it should


def diagnose(items: Sequence[Example], preds: Sequence[tuple[str, float]]) -> Diagnosis:
    impossible = np.array([e.impossible for e in items])
    margins = np.array([m for _, m in preds])
    forced = per_example(token_f1, items, preds)[~impossible]
    above = margins[~impossible][:, None] - margins[impossible][None, :]
    auc = float(((above > 0) + 0.5 * (above == 0)).mean())
    return Diagnosis(
        float(forced.mean()), auc, float((forced.sum() + impossible.sum()) / len(items))
    )


def batches(features: Sequence[Feature], size: int, seed: int) -> Iterator[list[Feature]]:
    order = list(range(len(features)))
    random.Random(seed).shuffle(order)
    for at in range(0, len(order) - size + 1, size):
        yield [features[i] for i in order[at : at + size]]


def save_atomic(obj: Any, path: Path) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def cmd_train(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    work: Path = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer()
    titles = [a["title"] for a in load_squad(args.squad_dir / DEV_FILE)]
    split = split_dev(titles)
    (work / "split.json").write_text(json.dumps(asdict(split), indent=1))

    # A later stage with another pool (say, more negatives) resumes the same checkpoint.
    pool_name = (
        f"v2x{args.v2_repeat}-removed{args.removed:g}-entity{args.entity:g}"
        f"-first{args.examples}-seed{args.seed}"
    )
    features_path = work / f"features-{pool_name}.pt"
    if features_path.exists():
        features = torch.load(features_path, weights_only=False)
    else:
        pool = training_pool(
            args.squad_dir, split, args.v2_repeat, args.removed, args.entity, args.seed
        )
        features = featurize(tokenizer, pool[: args.examples])
        save_atomic(features, features_path)
    calibration = calibration_examples(args.squad_dir, split, args.eval_questions, args.seed)

    model = span_model(packaged_model_path())
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    total: int = args.steps
    warmup = min(300, total // 10)

    def lr_at(step: int) -> float:
        return min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    checkpoint = work / "checkpoint.pt"
    step = 0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = state["step"]
    curve_path = work / "curve.jsonl"
    model.train()
    epoch_size = len(features) // args.batch_size
    bar = tqdm(total=total, initial=step, desc="reader", file=sys.stderr, mininterval=30)
    began = time.monotonic()
    while step < total:
        epoch, skip = divmod(step, epoch_size)
        for batch in batches(features, args.batch_size, args.seed + epoch):
            if skip:
                skip -= 1
                continue
            inputs = to_tensors([f.window for f in batch])
            starts = torch.tensor([f.start for f in batch])
            ends = torch.tensor([f.end for f in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                start_logits, end_logits = model(**inputs)
            loss = (
                torch.nn.functional.cross_entropy(start_logits, starts)
                + torch.nn.functional.cross_entropy(end_logits, ends)
            ) / 2
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
            if step % args.checkpoint_every == 0 or step == total:
                save_atomic(
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "step": step,
                    },
                    checkpoint,
                )
            if step % args.eval_every == 0 or step == total:
                model.eval()
                scores = squad_scores(
                    calibration, predictions(torch_read(model, tokenizer), calibration)
                )
                model.train()
                row = {
                    "step": step,
                    "windows_seen": step * args.batch_size,
                    "seconds": round(time.monotonic() - began, 1),
                    **asdict(scores),
                }
                with curve_path.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), file=sys.stderr, flush=True)
            if step >= total:
                break
    bar.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Torch checkpoint -> ONNX (fp32, in the work dir) -> int8 ONNX in qa/models/reader/."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    work: Path = args.work_dir
    model = span_model(packaged_model_path(), attention="eager")
    checkpoint = args.checkpoint or work / "checkpoint.pt"
    model.load_state_dict(torch.load(checkpoint, weights_only=False)["model"])
    model.eval()
    torch.save(model.state_dict(), work / "reader.pt")
    fp32 = work / "reader.fp32.onnx"
    tokenizer = load_tokenizer()
    dummy = to_tensors(
        windows(tokenizer, "What is it?", encode(tokenizer, ["It is an example passage."]))
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        model,
        tuple(dummy[n] for n in names),
        str(fp32),
        input_names=names,
        output_names=["start_logits", "end_logits"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "start_logits", "end_logits"]},
        opset_version=17,
        dynamo=False,
    )
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    int8 = out_dir / "reader.int8.onnx"
    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=True,
    )
    card_path = out_dir / "reader.json"
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    card.update(
        {
            "sha256": hashlib.sha256(int8.read_bytes()).hexdigest(),
            "max_length": MAX_LENGTH,
            "split": json.loads((work / "split.json").read_text()),
        }
    )
    card.setdefault("threshold", 0.0)
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    expected = [
        {**case, **dict(zip(("start", "end", "margin"), _best(read, case), strict=True))}
        for read in [torch_read(model, tokenizer)]
        for case in agreement_cases()
    ]
    # A case names its gold question by hash: the model folder carries no text of the sources.
    stored = [{k: v for k, v in case.items() if k != "question"} for case in expected]
    (out_dir / "expected.json").write_text(json.dumps(stored, indent=0) + "\n")
    onnx = Reader(out_dir).read
    same = sum(_best(onnx, c)[:2] == (c["start"], c["end"]) for c in expected)
    print(f"{int8}: {int8.stat().st_size / 1e6:.1f} MB, sha256 {card['sha256']}")
    print(f"int8 ONNX and torch give the same best span on {same} of {len(expected)} cases")
    return 0


def question_key(question: str) -> str:
    return hashlib.sha1(question.encode("utf-8")).hexdigest()


def agreement_cases(limit: int = 80) -> list[dict[str, Any]]:
    """Fixed (gold item, passage) pairs from the repo's own gold set: each gold question with
    the paragraph its evidence is in, or the source's first paragraph if none."""
    from eval.metrics import load_gold
    from eval.run import DEFAULT_GOLD

    root = DEFAULT_GOLD.parent.parent
    cases = []
    for item in load_gold(DEFAULT_GOLD)[:limit]:
        place = item.evidence[0] if item.evidence else None
        source = place.source if place else "seeds/000_68eca9a7738f22f0.txt"
        text = (root / source).read_text(encoding="utf-8")
        at = place.start if place else 0
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at) if "\n" in text[at:] else len(text)
        cases.append(
            {
                "question_sha1": question_key(item.question),
                "question": item.question,
                "source": source,
                "passage_start": start,
                "passage_end": end,
            }
        )
    return cases


def _best(read: ReadFn, case: dict[str, Any]) -> tuple[int, int, float]:
    root = Path(__file__).resolve().parent.parent
    text = (root / case["source"]).read_text(encoding="utf-8")
    best = read(case["question"], [text[case["passage_start"] : case["passage_end"]]])[:1]
    return (best[0].start, best[0].end, round(best[0].margin, 3)) if best else (0, 0, 0.0)


def held_out_examples(squad_dir: Path, titles: Sequence[str]) -> list[Example]:
    return examples([a for a in load_squad(squad_dir / DEV_FILE) if a["title"] in titles])


def pipeline_predictions(
    reader: Reader, squad_dir: Path, titles: Sequence[str], per_article: int | None = None
) -> tuple[list[Example], list[tuple[str, float]]]:
    """Per question of these dev articles: the best span and its margin, read as the app
    reads (open retrieval over the articles, the reader over the passages retrieved)."""
    import tempfile

    from eval.metrics import load_gold
    from eval.squad import write_squad_set
    from qa.answer import ReaderAnswerer
    from qa.assistant import Assistant
    from qa.settings import Settings

    dev = squad_dir / DEV_FILE
    others = {a["title"] for a in load_squad(dev)} - set(titles)
    items, preds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        sources, gold = write_squad_set(dev, tmp, exclude=others, per_article=per_article)
        assistant = Assistant.open(sources, Settings(index_dir=Path(tmp) / "index"))
        answerer = ReaderAnswerer(assistant.texts, reader, 0.5)
        for item in load_gold(gold):
            found = answerer.find(item.question, assistant.retrieve(item.question))[:1]
            answers = tuple((g, 0) for g in item.golds) if item.answerable else ()
            items.append(Example(item.id, "", item.question, "", answers))
            preds.append(
                (
                    assistant.texts[found[0].source][found[0].span[0] : found[0].span[1]],
                    found[0].margin,
                )
                if found
                else ("", float("-inf"))
            )
    return items, preds


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Set the no-answer threshold where SQuAD 2.0 F1 peaks on the calibration articles, read
    through the whole pipeline as the app reads: open retrieval over those articles."""
    card_path = args.out_dir / "reader.json"
    card = json.loads(card_path.read_text())
    items, preds = pipeline_predictions(
        Reader(args.out_dir), args.squad_dir, card["split"]["calibrate"], args.per_article
    )
    scores = squad_scores(items, preds)
    card["threshold"] = scores.threshold
    card["calibration"] = {"questions": len(items), **asdict(scores)}
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps(card["calibration"]))
    return 0


def cmd_measure(args: argparse.Namespace) -> int:
    """The shipped reader on the held-out articles, through the whole pipeline and given each
    question's own paragraph (the oracle passage), so that retrieval, span finding and
    deciding to answer are told apart."""
    reader = Reader(args.out_dir)
    card_path = args.out_dir / "reader.json"
    card = json.loads(card_path.read_text())
    titles = card["split"]["held_out"]
    items, preds = pipeline_predictions(reader, args.squad_dir, titles)
    card["held_out"] = {
        "questions": len(items),
        "at_calibrated_threshold": asdict(squad_scores(items, preds, reader.threshold)),
        "diagnosis": asdict(diagnose(items, preds)),
    }
    items = held_out_examples(args.squad_dir, titles)
    preds = predictions(reader.read, items)
    card["oracle_held_out"] = {
        "questions": len(items),
        "at_calibrated_threshold": asdict(squad_scores(items, preds, reader.threshold)),
        "at_best_threshold": asdict(squad_scores(items, preds)),
        "diagnosis": asdict(diagnose(items, preds)),
    }
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps({k: card[k] for k in ("held_out", "oracle_held_out")}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa.train", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train (or resume) the reader")
    train.add_argument("--squad-dir", type=Path, default=Path("../shared/data/squad"))
    train.add_argument("--work-dir", type=Path, default=WORK_DIR)
    train.add_argument("--steps", type=int, default=8200)
    train.add_argument("--batch-size", type=int, default=16)
    train.add_argument("--lr", type=float, default=1e-4)
    train.add_argument("--examples", type=int, default=70_000, help="cap on the pool")
    train.add_argument("--v2-repeat", type=int, default=3)
    train.add_argument(
        "--removed", type=float, default=0.0, help="share of answer-removed negatives"
    )
    train.add_argument(
        "--entity", type=float, default=0.0, help="share of entity-swapped negatives"
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--threads", type=int, default=2)
    train.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True)
    train.add_argument("--checkpoint-every", type=int, default=100)
    train.add_argument("--eval-every", type=int, default=500)
    train.add_argument("--eval-questions", type=int, default=200)
    train.set_defaults(run=cmd_train)
    export = sub.add_parser("export", help="export the checkpoint to int8 ONNX")
    export.add_argument("--work-dir", type=Path, default=WORK_DIR)
    export.add_argument("--checkpoint", type=Path, help="default: checkpoint.pt in --work-dir")
    export.add_argument("--out-dir", type=Path, default=MODEL_DIR)
    export.set_defaults(run=cmd_export)
    for name, run, help_text in (
        ("calibrate", cmd_calibrate, "set the no-answer threshold on the calibration articles"),
        ("measure", cmd_measure, "oracle-paragraph F1 of the shipped reader on held-out articles"),
    ):
        sub_parser = sub.add_parser(name, help=help_text)
        sub_parser.add_argument("--squad-dir", type=Path, default=Path("../shared/data/squad"))
        sub_parser.add_argument("--out-dir", type=Path, default=MODEL_DIR)
        sub_parser.set_defaults(run=run)
    sub.choices["calibrate"].add_argument("--per-article", type=int, default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
