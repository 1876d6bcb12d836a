"""The assistant: one object that owns an indexed sources folder and answers over it."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from index.embed import Embedder, SentenceTransformerEmbedder
from index.load import SourceDoc
from index.sync import IndexReport, sync_index
from qa.answer import Answerer, ExtractiveAnswerer
from qa.errors import InvalidQuestion, SourcesError
from qa.retrieve import HybridRetriever
from qa.rewrite import standalone_question
from qa.settings import Settings
from qa.types import Answer

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def source_name(root: Path, relative: str) -> str:
    """How citations name a file: the sources folder's own name, then the path inside it."""
    return f"{root.resolve().name}/{relative}"


class Assistant:
    """Answers questions over one sources folder, citing exact spans of it.

    Build it with :meth:`open`, which indexes what is new or changed first.
    """

    def __init__(
        self,
        root: Path,
        settings: Settings,
        embedder: Embedder,
        docs: list[SourceDoc],
        report: IndexReport,
        retriever: HybridRetriever,
    ) -> None:
        self.root = root
        self.settings = settings
        self.report = report
        self._embedder = embedder
        self._texts: dict[str, str] = {source_name(root, d.path): d.text for d in docs}
        self._retriever = retriever
        self._answerer: Answerer = ExtractiveAnswerer(self._texts, embedder)

    @classmethod
    def open(
        cls,
        sources: str | Path = "seeds",
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        progress: bool = False,
    ) -> Assistant:
        """Open (building or refreshing as needed) the index of ``sources``."""
        settings = settings or Settings.from_env()
        root = Path(sources)
        embedder = embedder or SentenceTransformerEmbedder(settings.embed_model)
        store, docs, report = sync_index(root, settings, embedder, progress=progress)
        retriever = HybridRetriever(store, embedder, settings.top_k, source_name(root, ""))
        return cls(root, settings, embedder, docs, report, retriever)

    def reindex(self, progress: bool = False) -> IndexReport:
        """Pick up files added, changed or removed since the index was opened."""
        fresh = Assistant.open(self.root, self.settings, embedder=self._embedder, progress=progress)
        self.__dict__.update(fresh.__dict__)
        return self.report

    @property
    def texts(self) -> Mapping[str, str]:
        """Decoded text of every indexed source: the text every citation points into."""
        return self._texts

    def source_text(self, source: str) -> str:
        try:
            return self._texts[source]
        except KeyError:
            raise SourcesError(f"no indexed source named {source!r}") from None

    def ask(self, question: str, history: Sequence[Mapping[str, str]] = ()) -> Answer:
        """Answer one question; ``history`` holds earlier chat turns for a follow-up."""
        question = self.check_question(question)
        t0 = time.perf_counter()
        searched = standalone_question(question, history)
        passages = self._retriever.retrieve(searched)
        t1 = time.perf_counter()
        draft = self._answerer.answer(searched, passages)
        t2 = time.perf_counter()
        return Answer(
            text=draft.text,
            citations=draft.citations,
            abstained=draft.abstained,
            question=question,
            searched=searched,
            passages=tuple(passages),
            timings_ms={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000},
        )

    def check_question(self, question: str) -> str:
        """The question cleaned of control characters, or an error saying what is wrong."""
        if not isinstance(question, str):
            raise InvalidQuestion(f"the question must be text, got {type(question).__name__}")
        cleaned = " ".join(_CONTROL.sub(" ", question).split())
        if not cleaned:
            raise InvalidQuestion("the question is empty")
        limit = self.settings.max_question_chars
        if len(cleaned) > limit:
            raise InvalidQuestion(
                f"the question is {len(cleaned)} characters long; the limit is {limit}"
            )
        return cleaned
