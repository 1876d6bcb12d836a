"""Load: find the supported files under a folder and decode each to text, once.

Every offset in this project points into the text this module returns, so a
file is always decoded the same way: BOMs honoured, no newline translation.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.errors import SourceFileError, SourcesError
from index.view import PAGE_NUMBER, FileSpan, ReadingView, reading_view
from index.word import docx_text

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".rst"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}

#: How long ago a file must have changed for its stamp to vouch for it. File systems keep
#: modification times in ticks (a kernel tick; a second on some, two on FAT): a file written
#: again within the tick it was read in would keep its stamp, and the new text go unseen.
_SETTLED_NS = 2 * 10**9


@dataclass(frozen=True)
class Stamp:
    """A file's size, modification time and status change time: while all three are the
    same, its text is taken to be. The last, which no one can set back (``touch -r``,
    ``cp -p`` and ``rsync -t`` set the modification time), tells an edit of the same size
    that kept the modification time, as git does."""

    size: int
    mtime_ns: int
    ctime_ns: int


def file_stamp(path: Path) -> Stamp | None:
    """The stamp of ``path``, taken before it is read (a change while reading then shows next
    time), or None when it cannot vouch for the text: the file cannot be stat'ed, or changed
    too recently to tell a second change within the same tick (it is read again next time)."""
    now = time.time_ns()
    try:
        stat = path.stat()
    except OSError:
        return None
    if now - stat.st_mtime_ns < _SETTLED_NS:
        return None
    return Stamp(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def text_sha256(text: str) -> str:
    """The content hash the index keeps of a source's decoded text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SourceDoc:
    """A decoded source: ``path`` is relative to the sources root, in POSIX form; ``stamp``
    is its file's as it was just before it was read (None: none that can be trusted)."""

    path: str
    text: str
    stamp: Stamp | None = None

    @property
    def sha256(self) -> str:
        return text_sha256(self.text)


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str
    """Why, naming the file ("a.docx: not a readable .docx …"): it may be shown alone."""

    def __str__(self) -> str:
        """The file's path and why, its name said once: "docs/a.docx: not a readable …"."""
        return f"{self.path}: {self.reason.removeprefix(f'{Path(self.path).name}: ')}"


def unread_kinds(root: Path) -> Counter[str]:
    """How many files under ``root`` are of a kind no reader here reads, by suffix ("" for
    none), hidden folders left out: what a user should learn is not indexed."""
    kinds: Counter[str] = Counter()
    for _, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        suffixes = (Path(name).suffix.lower() for name in files if not name.startswith("."))
        kinds.update(printable(s) for s in suffixes if s not in SUPPORTED_SUFFIXES)
    return kinds


def find_sources(root: Path) -> list[Path]:
    """Supported files under ``root`` (hidden folders and links leaving ``root`` left out)."""
    return [path for path, reason in _candidates(root) if reason is None]


def _candidates(root: Path) -> list[tuple[Path, str | None]]:
    """Every supported file under ``root``, with why it must be skipped (None: keep it).

    A link that leads out of ``root``, or to nothing, is never read, nor is a pipe, but
    each is reported, so a user learns why a file they can see in the folder is not
    indexed.
    """
    if not root.exists():
        raise SourcesError(f"sources folder not found: {root}")
    if not root.is_dir():
        raise SourcesError(f"sources path is not a folder: {root}")
    real_root = root.resolve()
    found: list[tuple[Path, str | None]] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES or path.is_dir():
            continue
        if not path.is_file():  # a user sees its name in the folder: say why it is not read
            why = "a link to no file" if path.is_symlink() else "not a file (a pipe, a device)"
            found.append((path, f"{printable(path.name)}: {why}"))
            continue
        if not path.resolve().is_relative_to(real_root):
            found.append(
                (path, f"{printable(path.name)}: a link to a file outside the sources folder")
            )
            continue
        if not _utf8(str(rel)):  # the index, and every citation, names a source in UTF-8
            found.append((path, f"{printable(path.name)}: its name is not UTF-8; rename it"))
            continue
        found.append((path, None))
    return found


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes the file system's encoding could not decode
        return False
    return True


def printable(name: str) -> str:
    """A file name as it can be shown whatever its bytes ("bad\\xff.txt")."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def scan_folder(root: Path) -> list[tuple[str, str | None]]:
    """Every supported file under ``root`` by its relative POSIX name, with why it must be
    skipped (None: read it); an error when there is none."""
    candidates = _candidates(root)
    if not candidates:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise SourcesError(f"no supported files ({kinds}) in {root}")
    return [(printable(path.relative_to(root).as_posix()), reason) for path, reason in candidates]


def load_folder(root: Path, max_bytes: int) -> tuple[list[SourceDoc], list[SkippedFile]]:
    """Decode every supported file; a file that cannot be read is skipped with its reason."""
    _, docs, skipped = load_changed(root, scan_folder(root), max_bytes, lambda name, stamp: None)
    return docs, skipped


def load_changed(
    root: Path,
    files: list[tuple[str, str | None]],
    max_bytes: int,
    known: Callable[[str, Stamp], str | None],
) -> tuple[SourceTexts, list[SourceDoc], list[SkippedFile]]:
    """Decode the ``files`` (from :func:`scan_folder`) whose stamps ``known`` cannot vouch for.

    ``known(name, stamp)`` is the content hash the file had when it last had that stamp, if
    that is known: such a file is not read now. Returned are the texts of every readable file
    in folder order (the unread read on first use), the docs read now, and the files skipped.
    """
    texts: dict[str, str | None] = {}
    unread: dict[str, str] = {}
    docs, skipped = [], []
    for name, reason in files:
        if reason is not None:
            skipped.append(SkippedFile(name, reason))
            continue
        stamp = file_stamp(root / name)
        # A file over the limit is read, to be skipped with its reason as it always was.
        sha = known(name, stamp) if stamp is not None and stamp.size <= max_bytes else None
        if sha is not None:
            texts[name], unread[name] = None, sha
            continue
        try:
            doc = SourceDoc(name, read_text(root / name, max_bytes), stamp)
        except SourceFileError as exc:
            skipped.append(SkippedFile(name, str(exc)))
            continue
        texts[name] = doc.text
        docs.append(doc)
    return SourceTexts(root, max_bytes, texts, unread), docs, skipped


class SourceTexts(Mapping[str, str]):
    """Source texts by name, each decoded by :func:`read_text`. A file indexing found unchanged
    by its stamp is read on first use: a question needs the few files it cites, not all of them.

    Such a file must still hash as it was indexed, since every stored offset points into that
    text: when it changed since, using it is an error until the folder is indexed again.
    """

    def __init__(
        self,
        root: Path,
        max_bytes: int,
        texts: dict[str, str | None],
        unread: dict[str, str],
        prefix: str = "",
    ) -> None:
        self._root, self._max_bytes, self._prefix = root, max_bytes, prefix
        self._texts = texts  # None: not read yet
        self._unread = unread  # name -> the content hash it was indexed with
        self._view = lru_cache(maxsize=4)(self._read_view)

    def named(self, prefix: str) -> SourceTexts:
        """The same texts, each name behind ``prefix`` (how citations name sources)."""
        return SourceTexts(
            self._root,
            self._max_bytes,
            {prefix + name: text for name, text in self._texts.items()},
            {prefix + name: sha for name, sha in self._unread.items()},
            self._prefix + prefix,
        )

    def __getitem__(self, name: str) -> str:
        text = self._texts[name]
        if text is None:
            text = read_text(self._root / name[len(self._prefix) :], self._max_bytes)
            if text_sha256(text) != self._unread[name]:
                raise _changed(name)
            self._texts[name] = text
        return text

    def __contains__(self, name: object) -> bool:
        return name in self._texts  # Mapping's own would read the file

    def in_file(self, name: str, start: int, end: int) -> FileSpan:
        """Where ``self[name][start:end]`` stands in the file's own text (raw Markdown or
        HTML, say)."""
        return self._view(name).file_span(start, end)

    def _read_view(self, name: str) -> ReadingView:
        """The file read again for its map, which must still read as it was indexed; the
        few last used are kept (a page's clicks come back to the same files, and parsing a
        large Markdown file takes seconds)."""
        view = read_view(self._root / name[len(self._prefix) :], self._max_bytes)
        if view.text != self[name]:
            raise _changed(name)
        return view

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


def _changed(name: str) -> SourceFileError:
    return SourceFileError(
        f"{name} changed after it was indexed; index the folder again to ask about it"
    )


def read_text(path: Path, max_bytes: int) -> str:
    """The text of one file as its reader sees it, as every offset into it is counted."""
    return read_view(path, max_bytes).text


def read_view(path: Path, max_bytes: int) -> ReadingView:
    """One file's reading view (:mod:`index.view`), with the map back into its own text."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceFileError(
                f"{path.name}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.1f} MB limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _pdf_text(path.name, data)
    elif suffix == ".docx":
        text = docx_text(path.name, data)
    else:
        text = _decode(path.name, data)
    view = reading_view(suffix, text)
    if not view.text.strip():
        raise SourceFileError(f"{path.name}: has no text")
    return view


def _decode(name: str, data: bytes) -> str:
    """The file's text: UTF-16 by its byte-order mark, else UTF-8, else the charset an HTML
    page declares, else UTF-8 with each byte UTF-8 cannot read taken as Windows-1252 (a
    Latin-1 "©" in a UTF-8 file, or a whole Windows-1252 file), so that one stray byte
    does not garble every other character."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise SourceFileError(f"{name}: invalid UTF-16 text") from None
    if b"\x00" in data[:8192]:
        raise SourceFileError(f"{name}: looks binary (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data) if Path(name).suffix.lower() in HTML_SUFFIXES else None
    text = data.decode(declared or "utf-8-sig", errors="replace" if declared else _BYTE_AS_CP1252)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > len(text) // 100 or text.count("\ufffd") > len(text) // 100:
        raise SourceFileError(f"{name}: looks binary, not text")
    return text


_BYTE_AS_CP1252 = "qa-byte-as-cp1252"


def _byte_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error(_BYTE_AS_CP1252, _byte_as_cp1252)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _declared_charset(data: bytes) -> str | None:
    """The charset an HTML page's ``<meta>`` declares near its top, if Python knows it."""
    found = _CHARSET.search(data[:4096])
    if found is None:
        return None
    try:
        codec = codecs.lookup(found.group(1).decode("ascii"))
    except LookupError:
        return None
    # As browsers read them: Latin-1 and ASCII as Windows-1252. UTF-8 (and UTF-16 or -32,
    # which a page that declares it in ASCII bytes is not) as the other files.
    name = _AS_WINDOWS_1252.get(codec.name, codec.name)
    return name if name.startswith(_CHARSETS) else None


_AS_WINDOWS_1252 = {"iso8859-1": "cp1252", "ascii": "cp1252"}
#: The families of a web page's charsets Python reads: single-byte and East Asian ones, not
#: a codec of bytes to bytes ("hex", "zlib") nor of text to text ("rot13").
_CHARSETS = (
    "cp", "iso8859", "koi8", "mac-", "mac_", "latin", "tis", "big5", "gb", "hz",
    "euc", "shift_jis", "iso2022", "johab", "kz1048", "ptcp",
)  # fmt: skip


def _pdf_text(name: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf warns on stderr of every flaw it reads past ("EOF marker not found"): what it
    # cannot read past is an error, said once with the file's name.
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise SourceFileError(f"{name}: not a readable PDF ({exc})") from None
    return pages_text(pages)


#: A first or last line met on this many pages, numbers aside, is a running head or foot.
_RUNNING = 3
_LAST_NUMBER = re.compile(r"(?<![\d.])(\d{1,5})\s*$")

#: A line that ends counting the pages ("Page 3 of 12", "… 3/12"; not a date's "2024/1/2"):
#: on page 3 of 12, when every page counts so at that edge, a printed page's foot (or head).
_PAGE_COUNT = re.compile(r"(?<![\d/.\-])(\d+)\s*(?:of|/)\s*(\d+)\s*$", re.IGNORECASE)
#: The typesetter's ligatures a PDF's text keeps ("conﬁguration ﬁle"), spelt out: no
#: question, search term or tokenizer writes them.
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)


def _openings(shape: str) -> tuple[str, str]:
    """A line's first 2 and first 4 words ("" when it has fewer): a running head keeps its
    opening words when what follows them changes from page to page."""
    words = shape.split()
    return " ".join(words[:2]) if len(words) > 2 else "", (
        " ".join(words[:4]) if len(words) > 4 else ""
    )


def _numbered(line: str, page: int, shape: str) -> tuple[str, int] | None:
    """A line that ends in a number: its first 2 words and that number less the page's, the
    same on every page whose head it is, as a printed page number runs with the pages."""
    found = _LAST_NUMBER.search(line)
    opening = _openings(shape)[0]
    return (opening, int(found[1]) - page) if found and opening else None


def pages_text(pages: list[str]) -> str:
    """A PDF's pages as one text, each page's lines following the last page's (a paragraph
    a page break cut reads on), its ligatures spelt out, without running heads and feet: a
    page's first or last line that is its number, or that opens or closes 3 pages or more,
    numbers aside (but not a table's row of numbers alone), or that counts the pages as
    every page does at that edge; and the line beside one of those that every page has
    there too (a print's date over its address and page count). The first page keeps a
    head that writes no number (a manual heads each page with its title; a print, with its
    date), without the line beside it."""

    def form(line: str) -> str:
        """The line with its numbers aside; none for a line of numbers alone (a table's row)."""
        if not any(c.isalpha() for c in line):
            return ""
        return re.sub(r"\d+", "#", " ".join(line.split()).casefold())

    split = [
        (number, page.translate(_LIGATURES).split("\n"))
        for number, page in enumerate(pages, 1)
        if page
    ]
    edge_lines = [
        (page, line, form(line)) for page, lines in split for line in {lines[0], lines[-1]}
    ]
    edges = Counter(shape for _, _, shape in edge_lines)
    openings = Counter(opening for _, _, shape in edge_lines if (opening := _openings(shape)[1]))
    numbered = Counter(_numbered(line, page, shape) for page, line, shape in edge_lines)

    def running(line: str, page: int) -> bool:
        """Met at an edge of 3 pages or more, numbers aside; or opening as the lines at the
        edges of 3 pages or more do and ending in a number that runs with the pages, as a
        chapter's head does ("Chapter 2: Structures 4"; not "Figure 2: Loss over 10
        epochs"); or opening as those of half the pages do, whatever follows (the section a
        page is in, after the document's title)."""
        shape = form(line)
        key = _numbered(line, page, shape)
        return shape != "" and (
            edges[shape] >= _RUNNING
            or (key is not None and numbered[key] >= _RUNNING)
            or openings[_openings(shape)[1]] >= max(_RUNNING, len(split) / 2)
        )

    def counts(line: str, page: int) -> bool:
        found = _PAGE_COUNT.search(line)
        return found is not None and (int(found[1]), int(found[2])) == (page, len(pages))

    def peel(sides: list[tuple[int, list[str]]]) -> list[int]:
        """How many lines of each page's side (its lines from that edge in) are running."""
        counted = all(counts(lines[0], page) for page, lines in sides)
        inner = Counter(form(lines[1]) for _, lines in sides if len(lines) > 1)
        cuts = []
        for page, lines in sides:
            line = lines[0]
            outer = (
                bool(PAGE_NUMBER.fullmatch(line.strip()))
                or running(line, page)
                or (counted and counts(line, page))
            )
            within = form(lines[1]) if len(lines) > 1 else ""
            beside = outer and within != "" and inner[within] == len(sides) > 1
            cuts.append(outer + beside)
        return cuts

    heads = peel(split)
    rests = [(page, lines[cut:]) for (page, lines), cut in zip(split, heads, strict=True)]
    if split and heads[0]:
        title = split[0][1][0]  # a manual's, read once
        if not any(c.isdigit() for c in title) and not PAGE_NUMBER.fullmatch(title.strip()):
            rests[0] = (rests[0][0], [title, *rests[0][1]])
    rests = [(page, lines) for page, lines in rests if lines]
    feet = peel([(page, lines[::-1]) for page, lines in rests])
    return "\n".join(
        line
        for (_, lines), cut in zip(rests, feet, strict=True)
        for line in lines[: len(lines) - cut]
    )
