"""Load: find the supported files under a folder and decode each to text, once.

Every offset in this project points into the text this module returns, so a
file is always decoded the same way: BOMs honoured, no newline translation.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from qa.errors import SourceFileError, SourcesError

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf"}


@dataclass(frozen=True)
class SourceDoc:
    """A decoded source: ``path`` is relative to the sources root, in POSIX form."""

    path: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


def find_sources(root: Path) -> list[Path]:
    """Supported files under ``root`` (hidden folders and links leaving ``root`` left out)."""
    return [path for path, reason in _candidates(root) if reason is None]


def _candidates(root: Path) -> list[tuple[Path, str | None]]:
    """Every supported file under ``root``, with why it must be skipped (None: keep it).

    A link that leads out of ``root`` is never read, but it is reported, so a user
    learns why a file they can see in the folder is not indexed.
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
        if path.suffix.lower() not in SUPPORTED_SUFFIXES or not path.is_file():
            continue
        if not path.resolve().is_relative_to(real_root):
            found.append((path, f"{path.name}: a link to a file outside the sources folder"))
            continue
        found.append((path, None))
    return found


def load_folder(root: Path, max_bytes: int) -> tuple[list[SourceDoc], list[SkippedFile]]:
    """Decode every supported file; a file that cannot be read is skipped with its reason."""
    candidates = _candidates(root)
    if not candidates:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise SourcesError(f"no supported files ({kinds}) in {root}")
    docs, skipped = [], []
    for path, reason in candidates:
        rel = path.relative_to(root).as_posix()
        if reason is not None:
            skipped.append(SkippedFile(rel, reason))
            continue
        try:
            docs.append(SourceDoc(rel, read_text(path, max_bytes)))
        except SourceFileError as exc:
            skipped.append(SkippedFile(rel, str(exc)))
    return docs, skipped


def read_text(path: Path, max_bytes: int) -> str:
    """The text of one file, as every offset into it is counted."""
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
    else:
        text = _decode(path.name, data)
        if suffix in HTML_SUFFIXES:
            text = html_to_text(text)
    if not text.strip():
        raise SourceFileError(f"{path.name}: has no text")
    return text


def _decode(name: str, data: bytes) -> str:
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
    text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > len(text) // 100 or text.count("\ufffd") > len(text) // 100:
        raise SourceFileError(f"{name}: looks binary, not text")
    return text


def _pdf_text(name: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    except (PdfReadError, ValueError, KeyError) as exc:
        raise SourceFileError(f"{name}: not a readable PDF ({exc})") from None


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "noscript", "template"})
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "section",
            "article",
            "blockquote",
            "pre",
            "table",
            "ul",
            "ol",
            "title",
            "header",
            "footer",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one block per line."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
