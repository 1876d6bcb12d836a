"""Export a checkpoint to the int8 ONNX file the runtime reads (qa/models/reader/).

Torch checkpoint -> fp32 ONNX (in the work folder) -> int8 ONNX beside its card
(``reader.json``), and ``expected.json``: the torch model's best spans on fixed cases of the
repo's own gold set, which the tests check the shipped int8 file against.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

from eval.metrics import load_gold
from eval.run import DEFAULT_GOLD
from index.embed import packaged_model_path
from index.files import replace_atomically
from index.sessions import set_weight_sign
from qa.read import MAX_LENGTH, Reader, encode, load_tokenizer, windows
from train.measure import ReadFn, update_card
from train.model import SpanModel, to_tensors, torch_read

REPO = DEFAULT_GOLD.parent.parent
INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUTS = ["start_logits", "end_logits"]


@dataclass(frozen=True, slots=True)
class Exported:
    path: Path
    sha256: str
    agree: int  # cases where the int8 file and torch give the same best span
    cases: int


def export(
    checkpoint: Path, work: Path, out_dir: Path, cases: int, unit_break: str = ""
) -> Exported:
    """The int8 file, its card and ``cases`` agreement cases, from a checkpoint trained to
    see ``unit_break`` between units (the card records it, and the reader reads with it)."""
    model = SpanModel(packaged_model_path(), attention="eager")
    model.load_state_dict(torch.load(checkpoint, weights_only=False)["model"])
    model.eval()
    replace_atomically(work / "reader.pt", lambda tmp: torch.save(model.state_dict(), tmp))
    fp32 = work / "reader.fp32.onnx"
    tokenizer = load_tokenizer()
    dummy = to_tensors(
        windows(tokenizer, "What is it?", encode(tokenizer, ["It is an example passage."]))
    )
    torch.onnx.export(
        model,
        tuple(dummy[n] for n in INPUTS),
        str(fp32),
        input_names=INPUTS,
        output_names=OUTPUTS,
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*INPUTS, *OUTPUTS]},
        opset_version=17,
        dynamo=False,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    int8 = out_dir / "reader.int8.onnx"
    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=True,
    )
    sha256 = unsigned_weights(int8)
    split = json.loads((work / "split.json").read_text())
    # Recorded when empty too: an export over an older card must not keep that card's break.
    card = {"sha256": sha256, "max_length": MAX_LENGTH, "split": split, "unit_break": unit_break}
    update_card(out_dir, card)
    read = torch_read(model, tokenizer, unit_break)
    expected = [
        case | dict(zip(("start", "end", "margin"), best(read, case), strict=True))
        for case in agreement_cases(cases)
    ]
    # A case names its gold question by hash: the model folder carries no text of the sources.
    stored = [{k: v for k, v in c.items() if k not in ("question", "passage")} for c in expected]
    (out_dir / "expected.json").write_text(json.dumps(stored, indent=0) + "\n")
    onnx = Reader(out_dir, second_reading=False).read  # as torch read them
    agree = sum(best(onnx, c)[:2] == (c["start"], c["end"]) for c in expected)
    return Exported(int8, sha256, agree, len(expected))


def unsigned_weights(path: Path) -> str:
    """Store the file's int8 MatMul weights as uint8, each and its zero point 128 higher: the
    same numbers, which onnxruntime multiplies exactly on every CPU; the new file's sha256.

    Against int8 weights, onnxruntime multiplies the uint8 activations, on x86 CPUs without
    VNNI, with VPMADDUBSW, whose 16-bit sums of two products saturate. Version 10's margins
    came out 0.33 lower there on average (its threshold was calibrated on a CPU with VNNI),
    and fewer of its answers were confident.
    """
    model = onnx.load(str(path))
    if set_weight_sign(model.graph, False):
        replace_atomically(path, lambda tmp: onnx.save(model, str(tmp)))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def question_key(question: str) -> str:
    return hashlib.sha1(question.encode("utf-8")).hexdigest()


def agreement_cases(limit: int) -> list[dict[str, Any]]:
    """Fixed (gold item, passage) pairs from the repo's own gold set: each gold question with
    the paragraph its evidence is in, or the source's first paragraph if none."""
    cases = []
    for item in load_gold(DEFAULT_GOLD)[:limit]:
        place = item.evidence[0] if item.evidence else None
        source = place.source if place else "seeds/000_68eca9a7738f22f0.txt"
        text = (REPO / source).read_text(encoding="utf-8")
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
                "passage": text[start:end],
            }
        )
    return cases


def best(read: ReadFn, case: dict[str, Any]) -> tuple[int, int, float]:
    """The best span of a case's passage and its margin (rounded as stored); zeros for none."""
    found = read(case["question"], [case["passage"]])[:1]
    return (found[0].start, found[0].end, round(found[0].margin, 3)) if found else (0, 0, 0.0)
