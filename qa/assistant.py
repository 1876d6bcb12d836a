"""The assistant: one object that owns an indexed sources folder and answers over it."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.embed import Embedder, default_embedder
from index.load import SUPPORTED_SUFFIXES, SourceTexts, read_text
from index.store import ChunkStore, collection_name
from index.sync import IndexReport, read_excluded, sync_index, write_excluded
from qa.answer import READING_VERSION, Answerer, Draft, ReaderAnswerer, unwritten
from qa.errors import ConfigError, QAError, SourceFileError, SourcesError
from qa.floor import METHOD as FLOOR_METHOD
from qa.floor import Floor, load_floor, measure_floor, measured_floor, save_floor
from qa.llm import CheckedDraft, LLMAnswerer, open_llm
from qa.read import shared_reader
from qa.retrieve import RETRIEVAL_VERSION, HybridRetriever
from qa.rewrite import standalone_question
from qa.settings import Settings
from qa.text import check_question
from qa.types import Answer, Citation, FileSpan, Passage


def source_name(root: Path, relative: str) -> str:
    """How citations name a file: the sources folder's own name, then the path inside it."""
    return f"{root.resolve().name}/{relative}"


def safe_filename(filename: str) -> str:
    """A plain base name of a supported type: no folders, no leading dot, no odd characters."""
    base = re.split(r"[\\/]", filename.strip())[-1]
    name = re.sub(r"[^\w.() -]", "_", base).strip(" .")
    if not name:
        raise SourceFileError(f"{filename!r} is not a usable file name")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise SourceFileError(
            f"{name}: {suffix or 'no'} file type is not supported (allowed: {allowed})"
        )
    return name


@dataclass(frozen=True)
class SourceInfo:
    name: str
    size_bytes: int
    chunks: int
    indexed_at: float
    """Unix time of the last indexing of this file."""


class Assistant:
    """Answers questions over one sources folder, citing exact spans of it.

    Build it with :meth:`open`, which indexes what is new or changed first.
    """

    def __init__(
        self,
        root: Path,
        settings: Settings,
        embedder: Embedder,
        texts: SourceTexts,
        report: IndexReport,
        store: ChunkStore,
    ) -> None:
        self.root = root
        self.settings = settings
        self.report = report
        self._embedder = embedder
        self._texts = texts.named(source_name(root, ""))  # unchanged files read on first use
        self._store = store
        self._retriever = HybridRetriever(store, embedder, settings.top_k, source_name(root, ""))
        # The floor is measured with this answerer's reading, which no threshold changes.
        extractive = ReaderAnswerer(self._texts, shared_reader(), settings.abstain_below, 1.0)
        self._extractive = extractive
        self.floor = self._floor()
        extractive.floor = self.floor.confidence
        self._answerer: Answerer = (
            extractive
            if settings.llm == "none"
            else LLMAnswerer(open_llm(settings), self._texts, extractive, settings.llm_passages)
        )

    @classmethod
    def open(
        cls,
        sources: str | Path | None = None,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        progress: bool = False,
    ) -> Assistant:
        """Open (building or refreshing as needed) the index of ``sources``; by default the
        folder the settings name (:meth:`Settings.source_folder`)."""
        settings = settings or Settings.from_env()
        root = Path(sources) if sources is not None else settings.source_folder()
        embedder = embedder or default_embedder(settings.embed_model)
        store, texts, report = sync_index(root, settings, embedder, progress=progress)
        return cls(root, settings, embedder, texts, report, store)

    def _floor(self) -> Floor:
        """The folder's floor: saved with the index, measured again when what it depends on
        changed (the chunks, the embedding model, how many passages are read and how they are
        chosen, the reader and how it reads them, the way it is set).

        A floor set in the settings is used as it is, and nothing is measured.
        """
        reader = shared_reader()
        parts = (
            self._store.content_key(),
            self._embedder.name,
            self.settings.top_k,
            reader.sha,
            READING_VERSION,
            RETRIEVAL_VERSION,
            FLOOR_METHOD,
        )
        key = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
        if self.settings.floor >= 0:
            return Floor(self.settings.floor, 0, key, given=True)
        path = self.settings.index_dir / f"{collection_name(self.root)}.floor.json"
        saved = load_floor(path, key)
        if saved is not None:
            return saved
        floor = measured_floor(key) or measure_floor(self._texts, self._best_confidences, key)
        save_floor(path, floor)
        return floor

    def _best_confidences(self, questions: Sequence[str]) -> list[float]:
        """Each question's best answer's confidence, through retrieval and the reader, read
        as questions are (:meth:`ReaderAnswerer.find`). The rules that only take answers
        away (on the numbers a question names: none of the sources writes one, the
        answer's section does not; on a date asked for and not written, a day given for a
        count) are left out, so no more than the floor's share of foreign questions gets
        an answer."""
        best = []
        for question in questions:
            found = self._extractive.find(question, self._retriever.retrieve(question))
            best.append(found[0].confidence if found else 0.0)
        return best

    def reindex(self, progress: bool = False) -> IndexReport:
        """Pick up files added, changed or removed since the index was opened."""
        fresh = Assistant.open(self.root, self.settings, embedder=self._embedder, progress=progress)
        self.__dict__.update(fresh.__dict__)
        return self.report

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def texts(self) -> Mapping[str, str]:
        """Every indexed source as its reader sees it (Markdown and HTML without their markup,
        hard-wrapped lines joined: ``index/view.py``): the text every citation points into."""
        return self._texts

    def source_text(self, source: str) -> str:
        try:
            return self._texts[source]
        except KeyError:
            raise SourcesError(f"no indexed source named {source!r}") from None

    def file_span(self, span: Citation | Passage) -> FileSpan:
        """Where a citation (or a passage) stands in its file's own text, markup and all: the
        offsets and the line an editor opening the file would use."""
        if span.source not in self._texts:
            raise SourcesError(f"no indexed source named {span.source!r}")
        return self._texts.in_file(span.source, span.start, span.end)

    def sources(self) -> list[SourceInfo]:
        """The indexed files, for a person choosing what to ask about."""
        states = self._store.file_states()
        prefix = source_name(self.root, "")
        infos = []
        for name in sorted(self._texts):
            state = states.get(name[len(prefix) :])
            path = self.root / name[len(prefix) :]
            size = path.stat().st_size if path.exists() else 0
            infos.append(
                SourceInfo(
                    name, size, state.stored if state else 0, state.indexed_at if state else 0.0
                )
            )
        return infos

    def add_source(self, filename: str, data: bytes, *, replace: bool = False) -> str:
        """Save an uploaded file into the sources folder and index it; returns its source name.

        The name is reduced to a safe base name; an existing file is replaced only
        when ``replace`` is true, and a file that cannot be read as text is refused
        before it reaches the folder.
        """
        name = safe_filename(filename)
        limit = int(self.settings.max_file_mb * 2**20)
        if len(data) > limit:
            raise SourceFileError(
                f"{name}: {len(data) / 2**20:.1f} MB is over the "
                f"{self.settings.max_file_mb:g} MB limit"
            )
        target = self.root / name
        if target.exists() and not replace:
            raise SourceFileError(
                f"{name} already exists in {self.root}; choose replace to overwrite it"
            )
        fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=target.suffix, dir=self.root)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            try:
                read_text(Path(tmp), limit)
            except SourceFileError as exc:  # name the user's file, not the temporary one
                raise SourceFileError(str(exc).replace(Path(tmp).name, name, 1)) from None
            if replace:
                os.replace(tmp, target)
            else:
                os.link(tmp, target)  # fails rather than overwrite a file that appeared meanwhile
        except FileExistsError:
            raise SourceFileError(f"{name} already exists in {self.root}") from None
        finally:
            Path(tmp).unlink(missing_ok=True)
        excluded = read_excluded(self.settings, self.root)
        if name in excluded:
            write_excluded(self.settings, self.root, excluded - {name})
        self.reindex()
        return source_name(self.root, name)

    def remove_source(self, source: str) -> None:
        """Take a source out of the index; the file itself is left where it is."""
        if source not in self._texts:  # without reading it: it may have changed meanwhile
            raise SourcesError(f"no indexed source named {source!r}")
        if len(self._texts) == 1:
            raise SourcesError(
                f"{source} is the only indexed source; add another before removing it"
            )
        relative = source[len(source_name(self.root, "")) :]
        excluded = read_excluded(self.settings, self.root)
        write_excluded(self.settings, self.root, excluded | {relative})
        try:
            self.reindex()
        except QAError:
            write_excluded(self.settings, self.root, excluded)
            raise

    def retrieve(self, question: str, top_k: int | None = None) -> list[Passage]:
        """The passages an answer to ``question`` would be read from, best first."""
        question = check_question(question, self.settings.max_question_chars)
        return self._retriever.retrieve(question, top_k)

    def ask_stream(
        self, question: str, history: Sequence[Mapping[str, str]] = (), top_k: int | None = None
    ) -> Iterator[str | Answer]:
        """Yield the answer text as it comes, then the final :class:`Answer`.

        In LLM mode the text is the model's, token by token, before verification: the
        final answer keeps only its supported sentences.
        """
        if isinstance(self._answerer, LLMAnswerer):
            yield from self._answers(question, history, top_k)
            return
        answer = self.ask(question, history, top_k)
        yield from re.findall(r"\S+\s*", answer.text)
        yield answer

    def ask(
        self, question: str, history: Sequence[Mapping[str, str]] = (), top_k: int | None = None
    ) -> Answer:
        """Answer one question; ``history`` holds earlier chat turns for a follow-up.

        ``top_k`` overrides how many passages are retrieved for this question.
        """
        *_, answer = self._answers(question, history, top_k)
        assert isinstance(answer, Answer)
        return answer

    def _answers(
        self, question: str, history: Sequence[Mapping[str, str]], top_k: int | None
    ) -> Iterator[str | Answer]:
        question = check_question(question, self.settings.max_question_chars)
        if top_k is not None and not 1 <= top_k <= 100:
            raise ConfigError(f"top_k must be between 1 and 100, got {top_k}")
        t0 = time.perf_counter()
        searched = standalone_question(question, history)
        passages = self._retriever.retrieve(searched, top_k)
        t1 = time.perf_counter()
        draft: Draft
        if numbers := self._retriever.unwritten_numbers(searched):
            draft = Draft(unwritten(numbers), (), "not_found")
        elif isinstance(self._answerer, LLMAnswerer):
            for piece in self._answerer.stream(searched, passages):
                if isinstance(piece, str):
                    yield piece
                else:
                    draft = piece
        else:
            draft = self._answerer.answer(searched, passages)
        t2 = time.perf_counter()
        checked = draft if isinstance(draft, CheckedDraft) else CheckedDraft("", (), "not_found")
        yield Answer(
            text=draft.text,
            citations=draft.citations,
            tier=draft.tier,
            question=question,
            searched=searched,
            passages=tuple(passages),
            confidence=draft.confidence,
            agreement=draft.agreement,
            timings_ms={
                "retrieve": (t1 - t0) * 1000,
                "answer": (t2 - t1) * 1000,
                **checked.timings_ms,
            },
            removed=checked.removed,
        )
