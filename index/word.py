"""Word files: the body's text as Word shows it, with the numbers Word draws itself.

python-docx gives a paragraph's own text only. A numbered list or a numbered heading made
with Word's automatic numbering stores no number in its text: Word counts the paragraphs of
each list and draws "2.", "3.1" or "b)" in front of them. A policy's "section 3.2" or a
manual's "step 4" would be nowhere in the text, so the numbers are counted here as Word
counts them (ECMA-376 part 1, 17.9) and written before each paragraph.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from index.errors import SourceFileError
from index.view import list_number

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from docx.table import Table
    from docx.text.paragraph import Paragraph

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: A level's text names the counters it shows by level, 1-based: "%1.%2." shows two.
_COUNTER = re.compile(r"%([1-9])")
_LEVELS = 9


def docx_text(name: str, data: bytes) -> str:
    """The body of a Word file: each paragraph one line, each heading a block of one line,
    each table row one line with its cells separated by tabs, in document order; a numbered
    paragraph begins with its number."""
    from docx import Document
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    try:
        document = Document(io.BytesIO(data))
        lines = _lines(document, Numbering.of(document))
        return "\n".join(line for line in lines if line.strip()).strip("\n")
    except zipfile.BadZipFile:
        raise SourceFileError(f"{name}: not a readable .docx (not a zip archive)") from None
    # A damaged package fails wherever python-docx first trips on it: a missing part, bad
    # XML, a part of the wrong kind, a corrupt member.
    except (
        KeyError,
        ValueError,
        AttributeError,
        SyntaxError,
        LxmlError,
        OpcError,
        zlib.error,
        EOFError,
    ) as exc:
        reason = " ".join(str(exc).strip('"').split()) or type(exc).__name__
        raise SourceFileError(f"{name}: not a readable .docx ({reason})") from None


class _Blocks(Protocol):
    """A document body or a table cell: paragraphs and tables in document order."""

    def iter_inner_content(self) -> Iterator[Paragraph | Table]: ...


def _lines(container: _Blocks, numbering: Numbering) -> Iterator[str]:
    """One line per paragraph and per table row, and per line a paragraph breaks into
    (:func:`_broken_lines`). A cell's own paragraphs (and any table inside
    it) are joined by spaces, so a cell never spans lines; a cell merged across columns is
    read once, one merged down rows is repeated on each, so every row reads on its own."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = row.cells
                distinct = [c for i, c in enumerate(cells) if i == 0 or c is not cells[i - 1]]
                yield "\t".join(" ".join(" ".join(_lines(c, numbering)).split()) for c in distinct)
            continue
        text = _broken_lines(block.text)
        label = numbering.label(block)
        line = f"{label} {text}" if label and text else text
        yield f"\n{line}\n" if _is_heading(block) else line  # a heading: a block, as in Markdown


def _broken_lines(text: str) -> str:
    """A paragraph's text, white space folded, on the lines its line breaks (Word's
    Shift+Enter) set apart: an address's, a block of code's, a list's. A break inside a
    sentence, before a word in lower case after no stop (and not a field's "key: value"),
    is a space: laid out by hand."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out = lines[0]
    for line in lines[1:]:
        runs_on = out[-1:] not in ("", *".;:!?") and line[:1].islower() and not _KEY.match(line)
        out += " " + line if runs_on else "\n" + line
    return out.strip()


_KEY = re.compile(r"[\w.-]+:(?:\s|$)")


def _is_heading(paragraph: Paragraph) -> bool:
    """Whether Word styles the paragraph as a title or a heading, or as a style built on one."""
    return any(
        style.name and style.name.lower().startswith(("heading", "title", "subtitle"))
        for style in _style_chain(paragraph)
    )


def _style_chain(paragraph: Paragraph) -> Iterator[Any]:
    """The paragraph's style, then the styles it is built on."""
    style, seen = paragraph.style, set()
    while style is not None and style.style_id not in seen:  # a damaged file's styles loop
        yield style
        seen.add(style.style_id)
        style = style.base_style


@dataclass(frozen=True)
class _Level:
    start: int
    format: str
    text: str
    legal: bool
    """Shows every counter in Arabic numerals ("1.2" under "I."): a legal numbering."""


@dataclass
class _List:
    """A list (``w:num``): the definition it follows, the levels it restarts (each when
    first used) and the levels it defines anew."""

    definition: str
    restarts: dict[int, int]
    levels: dict[int, _Level]


@dataclass
class Numbering:
    """The document's list definitions and the counts reached so far, which go on from one
    paragraph of a list to its next, whatever lies between."""

    lists: dict[str, _List] = field(default_factory=dict)
    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    """A definition (``w:abstractNum``) by its id: its levels."""
    styled: dict[str, dict[str, int]] = field(default_factory=dict)
    """A definition's levels that a paragraph style is tied to, by the style's id."""
    counts: dict[str, list[int | None]] = field(default_factory=dict)
    labels: dict[Any, str] = field(default_factory=dict)
    """By paragraph (its XML element): a cell merged down rows is read on each row, and
    counted once."""

    @classmethod
    def of(cls, document: WordDocument) -> Numbering:
        from docx.opc.constants import RELATIONSHIP_TYPE

        numbering = cls()
        try:
            part = document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING)
        except KeyError:  # no list in the file
            return numbering
        root = getattr(part, "element", None)  # a damaged file's part may not be XML
        if root is None:
            return numbering
        defines: dict[str, str] = {}  # the definition of a list style, by the style
        uses: dict[str, str] = {}  # a definition that only names a list style: the style
        for definition in root.iterfind(f"{_W}abstractNum"):
            key = definition.get(f"{_W}abstractNumId", "")
            levels, styled = {}, {}
            for element in definition.iterfind(f"{_W}lvl"):
                at, levels[at] = _level(element)
                if style := _val(element, "pStyle"):
                    styled[style] = at
            numbering.levels[key], numbering.styled[key] = levels, styled
            if style := _val(definition, "styleLink"):
                defines[style] = key
            if style := _val(definition, "numStyleLink"):
                uses[key] = style
        for key, style in uses.items():  # numbered as the style's own definition
            numbering.levels[key] = numbering.levels.get(defines.get(style, key), {})
        for num in root.iterfind(f"{_W}num"):
            overrides = list(num.iterfind(f"{_W}lvlOverride"))
            numbering.lists[num.get(f"{_W}numId", "")] = _List(
                _val(num, "abstractNumId") or "",
                {
                    _int(o.get(f"{_W}ilvl"), 0): _int(_val(o, "startOverride"), 1)
                    for o in overrides
                    if o.find(f"{_W}startOverride") is not None
                },
                dict(_level(lvl) for o in overrides for lvl in o.iterfind(f"{_W}lvl")),
            )
        return numbering

    def label(self, paragraph: Paragraph) -> str:
        """The number Word draws before ``paragraph`` ("3.", "2.1", "b)"), counting it; ""
        for none, or a bullet, which a reader sees as a dot."""
        if paragraph._p in self.labels:
            return self.labels[paragraph._p]
        label = self.labels[paragraph._p] = self._count(paragraph)
        return label

    def _count(self, paragraph: Paragraph) -> str:
        found = self._list_of(paragraph)
        if found is None:
            return ""
        num, at = found
        listed = self.lists[num]
        levels = {**self.levels.get(listed.definition, {}), **listed.levels}
        if at not in levels or not 0 <= at < _LEVELS:
            return ""
        counts = self.counts.setdefault(listed.definition, [None] * _LEVELS)
        if at in listed.restarts:  # the list restarts its definition's count here, once
            counts[at] = listed.restarts.pop(at) - 1
        now = counts[at]
        counts[at] = levels[at].start if now is None else now + 1
        counts[at + 1 :] = [None] * (_LEVELS - at - 1)
        if levels[at].format in ("bullet", "none"):
            return ""

        def shown(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            spec = levels.get(level, levels[at])
            count = counts[level]
            style = "decimal" if levels[at].legal and level < at else spec.format
            return list_number(spec.start if count is None else count, style)

        return _COUNTER.sub(shown, levels[at].text).strip()

    def _list_of(self, paragraph: Paragraph) -> tuple[str, int] | None:
        """The list the paragraph is an item of and its level there: set on the paragraph,
        else by its style, at the level the style is tied to (else the first)."""
        num, level = _number_properties(paragraph._p.pPr) or (None, None)
        style_id = ""
        for style in _style_chain(paragraph):
            if num is not None:
                break
            if (inherited := _number_properties(style.element.pPr)) is not None:
                num, style_id = inherited[0], style.style_id
                level = inherited[1] if level is None else level
        if num is None or num not in self.lists:  # "0", never defined: numbering taken off
            return None
        if level is None:
            level = self.styled.get(self.lists[num].definition, {}).get(style_id, 0)
        return num, level


def _level(element: Any) -> tuple[int, _Level]:
    """A level of a list's definition (``w:lvl``), by its number."""
    return _int(element.get(f"{_W}ilvl"), 0), _Level(
        start=_int(_val(element, "start"), 1),
        format=_val(element, "numFmt") or "decimal",
        text=_val(element, "lvlText") or "",
        legal=element.find(f"{_W}isLgl") is not None,
    )


def _number_properties(properties: Any) -> tuple[str | None, int | None] | None:
    """A paragraph's or a style's list id and level (``w:numPr``), either possibly unset."""
    number = properties.find(f"{_W}numPr") if properties is not None else None
    if number is None:
        return None
    level = _val(number, "ilvl")
    return _val(number, "numId") or None, None if level is None else _int(level, 0)


def _val(element: Any, child: str) -> str | None:
    found = element.find(f"{_W}{child}")
    return None if found is None else found.get(f"{_W}val")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
