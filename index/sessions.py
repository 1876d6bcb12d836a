"""onnxruntime sessions for the CPU, and the loader that makes one ahead of its first use.

Both models (the embedder here, the reader in :mod:`qa.read`) run this way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any


def cpu_threads() -> int:
    """``OMP_NUM_THREADS`` when set (torch honours it too), else the CPUs this process may use."""
    return int(os.environ.get("OMP_NUM_THREADS") or 0) or len(os.sched_getaffinity(0))


def cpu_session(model: Path, threads: int = 0, spin: bool = True) -> Any:
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
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


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
