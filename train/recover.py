"""A shipped reader back as a torch model, from its int8 ONNX file alone.

Version 6 has no fp32 checkpoint: only ``reader.int8.onnx``. Its weights are all in that
file, int8 with a scale and zero point (onnxruntime ``quantize_dynamic``: MatMul weights per
output channel, embedding tables per tensor), biases and LayerNorms in fp32; dequantized into
:class:`~train.model.SpanModel` they give a model that reads as the file does (up to the
rounding), from which a stage can go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import torch
from onnx import numpy_helper

from index.embed import packaged_model_path
from index.errors import ConfigError
from index.sessions import cpu_session, int8_where_exact
from qa.read import Reader, batch_arrays, encode, load_tokenizer, windows
from train.export import agreement_cases, best
from train.loop import save_checkpoint
from train.model import SpanModel, to_tensors, torch_read
from train.recipe import Stage

Array = npt.NDArray[np.float32]
QUANTIZED = "_quantized"


def dequantized(path: Path) -> list[tuple[str, str, Array]]:
    """Every weight of an ONNX file as fp32, in graph order, as (initializer name, name of
    the node that consumes it, value in torch's layout: a MatMul weight transposed)."""
    graph = onnx.load(str(path)).graph
    values = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    consumer = {name: node for node in graph.node for name in node.input}
    out = []
    for name, value in values.items():
        if name.endswith(("_scale", "_zero_point")):
            continue
        if not name.endswith(QUANTIZED):
            out.append((name, consumer[name].name if name in consumer else "", value))
            continue
        base = name.removesuffix(QUANTIZED)
        scale, zero = values[base + "_scale"], values[base + "_zero_point"]
        weight = (value.astype(np.float32) - zero.astype(np.float32)) * scale
        node = consumer[name]
        # A MatMul computes x @ W with W (in, out), scaled per output column; torch's Linear
        # keeps (out, in).
        out.append((base, node.name, weight.T if node.op_type == "MatMulInteger" else weight))
    return out


def torch_name(initializer: str, node: str) -> str:
    """The parameter a weight stands for, by its name ("encoder...weight") or by the module
    path its MatMul node is named after ("/encoder/.../query/MatMul_quant")."""
    if node.endswith(("/MatMul_quant", "/MatMul")):
        return node.strip("/").rsplit("/", 1)[0].replace("/", ".") + ".weight"
    return initializer


def recovered_state(model: SpanModel, path: Path) -> dict[str, torch.Tensor]:
    """The model's parameters from the ONNX file: matched by name, and what no name matches
    by shape in order (the graph's order is the modules' order); every parameter filled."""
    wanted = dict(model.named_parameters())
    state: dict[str, torch.Tensor] = {}
    unnamed = []
    for initializer, node, value in dequantized(path):
        name = torch_name(initializer, node)
        if name in wanted and name not in state and tuple(wanted[name].shape) == value.shape:
            state[name] = torch.from_numpy(np.array(value, dtype=np.float32))
        else:
            unnamed.append(value)
    for name, parameter in wanted.items():
        if name in state:
            continue
        match = next((v for v in unnamed if v.shape == tuple(parameter.shape)), None)
        if match is None:
            raise ConfigError(f"{path}: nothing in it for parameter {name!r}")
        unnamed = [v for v in unnamed if v is not match]
        state[name] = torch.from_numpy(np.array(match, dtype=np.float32))
    return state


def recovered_model(model_dir: Path) -> SpanModel:
    """The reader of ``model_dir`` as a torch model in eval mode."""
    model = SpanModel(packaged_model_path())
    model.load_state_dict(recovered_state(model, model_dir / "reader.int8.onnx"), strict=False)
    return model.eval()


@dataclass(frozen=True, slots=True)
class Agreement:
    """How the recovered model reads against the int8 file it came from, on the export's
    agreement cases."""

    same_span: int  # cases where both give the same best span
    cases: int
    max_logit_diff: float  # largest |torch - int8| over every start and end score
    median_logit_diff: float


def agreement(model: SpanModel, model_dir: Path, cases: int) -> Agreement:
    reader = Reader(model_dir, second_reading=False)  # the file's own reading, as torch's
    session = cpu_session(int8_where_exact(model_dir / "reader.int8.onnx"))
    tokenizer = load_tokenizer()
    read = torch_read(model, tokenizer, reader.unit_break)
    same, diffs = 0, []
    for case in agreement_cases(cases):
        same += best(read, case)[:2] == best(reader.read, case)[:2]
        passage = encode(tokenizer, [case["passage"]], reader.unit_break)
        pieces = windows(tokenizer, case["question"], passage)
        with torch.inference_mode():
            ours = model(**to_tensors(pieces))
        theirs = session.run(None, batch_arrays(pieces))
        mask = batch_arrays(pieces)["attention_mask"] == 1
        for a, b in zip(ours, theirs, strict=True):
            diffs.append(np.abs(a.numpy() - b)[mask])
    every = np.concatenate(diffs)
    return Agreement(same, cases, float(every.max()), float(np.median(every)))


def save_start(model: SpanModel, stage: Stage, path: Path, weight_decay: float) -> None:
    """A checkpoint the loop can begin a stage from, as if ``stage`` had ended with this
    model: its last step, and a fresh AdamW (the shipped file keeps no optimizer state)."""
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=stage.schedule.lr, weight_decay=weight_decay
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, stage, stage.schedule.steps, model, optimizer)
