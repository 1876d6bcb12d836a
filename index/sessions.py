"""onnxruntime sessions for the CPU, and the loader that makes one ahead of its first use.

Both models (the embedder here, the reader in :mod:`qa.read`) run this way; the quantized
reader with its integer weights as int8 where this CPU multiplies those exactly.
"""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Callable
from concurrent.futures import Future
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx


def cpu_threads() -> int:
    """``OMP_NUM_THREADS`` when set (torch honours it too), else the CPUs this process may use."""
    return int(os.environ.get("OMP_NUM_THREADS") or 0) or len(os.sched_getaffinity(0))


def cpu_session(model: Path | bytes, threads: int = 0, spin: bool = True) -> Any:
    """An onnxruntime CPU session (``threads`` 0: one per core) that flushes denormal floats
    to zero. Attention's masked and far-below-maximum scores underflow into denormals, and
    x86 computes on those many times slower: the reader runs 1.3x faster with the flush,
    its outputs unchanged."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.set_denormal_as_zero", "1")
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def integer_weights(graph: onnx.GraphProto) -> set[str]:
    """The names of the integer MatMul weights of a quantized graph and of their zero points."""
    return {
        name
        for node in graph.node
        if node.op_type == "MatMulInteger"
        for name in node.input[1::2]  # the weight and its zero point
    }


def set_weight_sign(graph: onnx.GraphProto, signed: bool) -> bool:
    """Store the graph's integer MatMul weights as int8 (``signed``) or uint8, each with its
    zero point 128 lower or higher: the same numbers. Whether any changed."""
    from onnx import TensorProto, numpy_helper

    stored = {t.name for t in graph.initializer}
    for node in (n for n in graph.node if n.op_type == "MatMulInteger"):
        if len(node.input) < 4:
            raise ValueError(f"{node.name}: its weights have no zero point to shift with them")
        if not {*node.input[1::2]} <= stored:
            raise ValueError(f"{node.name}: its weights or their zero point are not stored")
    wanted, shift, as_type = (
        (TensorProto.INT8, -128, np.int8) if signed else (TensorProto.UINT8, 128, np.uint8)
    )
    names = integer_weights(graph)
    changed = [t for t in graph.initializer if t.name in names and t.data_type != wanted]
    for tensor in changed:
        value = numpy_helper.to_array(tensor).astype(np.int16) + shift
        tensor.CopyFrom(numpy_helper.from_array(value.astype(as_type), tensor.name))
    return bool(changed)


@cache
def multiplies_int8_exactly() -> bool:
    """Whether onnxruntime multiplies uint8 activations by int8 weights without saturating
    here: on an x86 CPU with AVX2 alone its VPMADDUBSW adds two products into 16 bits and
    saturates there; with VNNI or AMX the sums are exact. Asked of onnxruntime itself:
    activations at 255 against weights at 127, whose pairs of products (64,770) are past 16
    bits. A probe that fails answers no: it only ever buys speed."""
    try:
        from onnx import TensorProto, helper, numpy_helper

        depth = 64
        graph = helper.make_graph(
            [helper.make_node("MatMulInteger", ["a", "b"], ["y"])],
            "probe",
            [helper.make_tensor_value_info("a", TensorProto.UINT8, [None, depth])],
            [helper.make_tensor_value_info("y", TensorProto.INT32, [None, 16])],
            [numpy_helper.from_array(np.full((depth, 16), 127, np.int8), "b")],
        )
        opset = [helper.make_opsetid("", 17)]
        model = helper.make_model(graph, opset_imports=opset, ir_version=8)
        session = cpu_session(model.SerializeToString(), threads=1)
        product = session.run(None, {"a": np.full((256, depth), 255, np.uint8)})[0]
    except Exception:  # no probe, no int8: the file as stored is exact anyway
        return False
    return bool((product == depth * 255 * 127).all())


def int8_where_exact(model: Path) -> Path | bytes:
    """The quantized model at ``model`` with its weights as int8 on an x86 CPU that multiplies
    those exactly, else as the file stores them (uint8, exact everywhere).

    Since onnxruntime 1.25 uint8 weights take a kernel that widens them to 16 bits even on
    a CPU with VNNI or AMX, whose int8 kernels are expected to be faster (the model card
    says what is measured). Only x86: on Arm with SME, int8 weights with zero points of 0
    take a path that quantizes activations differently, which would change the numbers."""
    if platform.machine().lower() not in {"x86_64", "amd64"} or not multiplies_int8_exactly():
        return model
    import onnx

    loaded = onnx.load(str(model))
    return loaded.SerializeToString() if set_weight_sign(loaded.graph, True) else model


class Loader:
    """One slow thing (an onnxruntime session, an export), made once: on first use, or
    ahead of it in a thread (:meth:`start`).

    onnxruntime builds a session mostly without holding the GIL, so a cold ``qa ask``
    imports chromadb (half a second) while its two models load. The thread is not a
    daemon: a process that ends early waits for it rather than kill it inside onnxruntime.
    A load that failed is tried again by the next :meth:`get`.
    """

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._future: Future[Any] | None = None

    def start(self) -> None:
        """Begin loading in a thread, unless loading has begun."""
        future, mine = self._claim()
        if mine:
            try:
                threading.Thread(target=self._build, args=(future,), name="preload").start()
            except BaseException as exc:
                self._fail(future, exc)
                raise

    def get(self) -> Any:
        """The thing, made here unless a thread has it under way."""
        future, mine = self._claim()
        if mine:
            self._build(future)
        return future.result()

    def _claim(self) -> tuple[Future[Any], bool]:
        """The load's future, and whether the caller is the one to run it."""
        with self._lock:
            if self._future is not None:
                return self._future, False
            self._future = Future()
            return self._future, True

    def _build(self, future: Future[Any]) -> None:
        try:
            session = self._make()
        except BaseException as exc:  # handed to whoever waits in get()
            self._fail(future, exc)
        else:
            future.set_result(session)

    def _fail(self, future: Future[Any], exc: BaseException) -> None:
        with self._lock:
            self._future = None
        future.set_exception(exc)
