"""The reading view: a file's text as its reader sees it, with a map back into the file.

Markdown, HTML and hard-wrapped plain text carry layout a reader never sees: link targets,
badges, tags, emphasis markers, bullets, lines broken only to fit a width. Chunking,
embedding, the reader and every citation work on the view, where that syntax is gone and
each heading, paragraph, list item, table row and code line is a unit of its own, one per
line (table cells split by a tab), so no sentence and no answer runs from one into the next.
Every character of the view maps to the characters of the file it came from.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from html import unescape
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any

#: What separates units in the view, weakest first: table cells, lines of one block, blocks.
CELL, LINE, BLOCK = "\t", "\n", "\n\n"
_STRENGTH = {CELL: 1, LINE: 2, BLOCK: 3}

_WORDS = re.compile(r"\S+")
_FULL = 0.85
#: A bullet, dropped: a reader sees a dot; or an outline's stars ("** Bug fixes" under "*
#: Noteworthy changes" of GNU NEWS files, Org mode), which a reader sees as a heading's level.
_BULLET = re.compile(r"(?:[+\-•]|\*+)[ \t]+(?=\S)")
#: Stars that end a line begun by stars: with those, a frame ("*** Tests failed ***", a
#: box's sides), dropped at both ends; a reader sees a border, not words.
_FRAME_END = re.compile(r"(?<=[ \t])\*+[ \t]*$")
#: A list item's label, which the view keeps: "1.2.", "(a)", "iv.", "XII)"; a roman numeral
#: by its grammar.
LABEL = re.compile(
    r"\(?(?:\d{1,3}(?:\.\d{1,3})*|[A-Za-z]|(?=[ivxlc]{2})c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
    r"|(?=[IVXLC]{2})C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))[.)]"
)
_LABEL = re.compile(rf"{LABEL.pattern}[ \t]+(?=\S)")
#: A label that may be a word wrapped onto a line: a roman numeral of two letters or more
#: ("CI."), or one letter and a stop, an initial ("P.").
_WORD_LABEL = re.compile(r"\(?[ivxlcIVXLC]{2,}[.)]|(?P<letter>[A-Za-z]\.)")
#: What goes on after an initial that is no label: another initial ("P. J. Plauger", "e. g.").
_AFTER_INITIAL = re.compile(r"[A-Za-z]\.(?!\S)")
#: A line drawn under or between, or a table's border ("====  ======"): decoration.
_RULE = re.compile(r"([=\-_*~#+.])\1{2,}(?:[ \t]+\1{3,})*")
#: A page number: arabic, or a roman numeral by its grammar (so "civil" or "ill" is a word).
PAGE_NUMBER = re.compile(
    r"(?:page\s+)?(?:\d+|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))"
    r"(?:\s*(?:of|/)\s*\d+)?",
    re.IGNORECASE,
)
#: What the pages a table of contents' or an index's line points to are written with, at its
#: end ("7", "3, 7", "xii"); in lower case only: "… I" ends a sentence.
_PAGE_CHARS = "0123456789ivxlc, \t"
_PAGE = re.compile(PAGE_NUMBER.pattern)
#: A table's border drawn with box-drawing characters or "+---+": decoration too, when it
#: begins at a corner or a bar and draws a line (:func:`_border`).
_BORDER = re.compile(r"[+|\u2500-\u257f][-=+|:\u2500-\u257f]*")
_BORDER_LINE = re.compile(r"[-=\u2500\u2501\u2550]")
#: A table's row drawn between bars: "| ssh | 2222 |", "│http │8080 │".
_BARRED = re.compile(r"[|\u2502\u2503\u2551](?:[^|\u2502\u2503\u2551]*[|\u2502\u2503\u2551])+")
_BAR = re.compile(r"[|\u2502\u2503\u2551]")
#: A field's key, capitalised, of one to three words: "Upstream: http://…", "Bug reports:".
FIELD = re.compile(r"[A-Z][^\s:]*(?: [^\s:]+){0,2}:(?:[ \t]|$)")


@dataclass(frozen=True)
class FileSpan:
    """A span of a file's own text (markup and all): offsets, and the 1-based line it starts
    on, as an editor opening the file counts them."""

    start: int
    end: int
    line: int


@dataclass(frozen=True, eq=False)
class ReadingView:
    """``text`` is what is read and cited; its character i came from
    ``origin[starts[i]:ends[i]]`` (a separator the view adds: the gap it stands for)."""

    text: str
    origin: str
    starts: array[int]
    ends: array[int]

    def to_origin(self, start: int, end: int) -> tuple[int, int]:
        """The span of the file's own text that ``text[start:end]`` was read from."""
        if start >= end:
            at = self.starts[start] if start < len(self.text) else len(self.origin)
            return at, at
        return self.starts[start], max(self.ends[start:end])

    def file_span(self, start: int, end: int) -> FileSpan:
        begin, stop = self.to_origin(start, end)
        return FileSpan(begin, stop, self.origin.count("\n", 0, begin) + 1)


def identity_view(text: str) -> ReadingView:
    """A text that is already what its reader sees (a Word file's paragraphs, say)."""
    n = len(text)
    return ReadingView(text, text, array("q", range(n)), array("q", range(1, n + 1)))


class _Builder:
    """Collects view text with its map: white space in a unit folds to one space, units are
    joined by the strongest separator asked for between them."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.parts: list[str] = []
        self.starts: array[int] = array("q")
        self.ends: array[int] = array("q")
        self._space: int | None = None  # where a pending space came from
        self._sep = ""  # a pending separator
        self._last_end = 0  # where the last character added came from (its end)
        self._gap: tuple[str, int] | None = None  # white space of a code line, until its words

    def brk(self, sep: str) -> None:
        """End the unit: what comes next begins a new one, after ``sep`` (or a stronger)."""
        self._space, self._gap = None, None
        if _STRENGTH[sep] > _STRENGTH.get(self._sep, 0):
            self._sep = sep

    def space(self, at: int) -> None:
        if self._space is None and not self._sep:
            self._space = at

    def _emit(self, text: str, start: int, end: int, spread: bool = False) -> None:
        if self.parts:
            if self._sep:
                self._put(self._sep, self._last_end, start, spread=True)
            elif self._space is not None:
                self._put(" ", self._space, self._space + 1)
        self._sep, self._space = "", None
        self._put(text, start, end, spread)

    def _put(self, text: str, start: int, end: int, spread: bool = False) -> None:
        self.parts.append(text)
        if spread or len(text) == 1:
            self.starts.extend([start] * len(text))
            self.ends.extend([end] * len(text))
        else:
            self.starts.extend(range(start, start + len(text)))
            self.ends.extend(range(start + 1, start + len(text) + 1))
        self._last_end = end

    def words(self, text: str, at: int) -> None:
        """``text``, found at ``origin[at:]``, white space folded."""
        cursor = 0
        for word in _WORDS.finditer(text):
            if word.start() > cursor:
                self.space(at + cursor)
            self._emit(word.group(), at + word.start(), at + word.end())
            cursor = word.end()
        if cursor < len(text):
            self.space(at + cursor)

    def char(self, text: str, start: int, end: int) -> None:
        """One character the file writes as ``origin[start:end]`` (an entity, an escape)."""
        if text.isspace():
            self.space(start)
        elif text:
            self._emit_gap()
            self._emit(text, start, end)

    def drawn(self, text: str, start: int, end: int) -> None:
        """What a renderer shows that the file writes other than shown, from
        ``origin[start:end]``: a list item's number ("1." for every item; an HTML list's, its
        tag), a reST substitution's text (its ``|name|``)."""
        self._emit(text, start, end, spread=True)

    def glue(self, drop_hyphen: bool) -> None:
        """Go on with the last word, which the line broke at its hyphen; without that hyphen
        when ``drop_hyphen``."""
        self._space = None
        if drop_hyphen and self.parts and self.parts[-1].endswith(_HYPHENS):
            self.parts[-1] = self.parts[-1][:-1]
            self.starts.pop()
            self.ends.pop()
            self._last_end = self.ends[-1] if self.ends else 0

    def verbatim(self, text: str, at: int) -> None:
        """A line of code, or a piece of one: kept as written, white space and all, also
        where a highlighter wrote it apart ("<span>    </span><span>return</span>"), but at
        the line's end."""
        if not text.strip():
            if text:
                gap, begin = self._gap or ("", at)
                self._gap = (gap + text, begin) if begin + len(gap) == at else (text, at)
            return
        self._emit_gap()
        self._emit(text, at, at + len(text))

    def _emit_gap(self) -> None:
        if self._gap is not None:
            gap, begin = self._gap
            self._emit(gap, begin, begin + len(gap))
            self._gap = None

    def build(self) -> ReadingView:
        return ReadingView("".join(self.parts), self.origin, self.starts, self.ends)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Each line's offset and text, without its line break."""
    at = 0
    for line in text.splitlines(keepends=True):
        yield at, line.rstrip("\r\n")
        at += len(line)


#: Line breaks as markdown-it and html.parser count lines (str.splitlines, which docutils
#: uses, also breaks at a form feed, "\x85" and "\u2028").
_MARKDOWN_LINES = re.compile(r"\r\n?|\n")
_HTML_LINES = re.compile(r"\n")


def _line_starts(text: str, breaks: re.Pattern[str] | None = None) -> list[int]:
    """Where each line begins, and the text's end after the last: a parser's (line, column)
    positions as offsets, its lines broken where ``breaks`` match (by default where
    str.splitlines breaks them)."""
    if breaks is not None:
        return [0, *(m.end() for m in breaks.finditer(text)), len(text)]
    return [at for at, _ in _lines(text)] + [len(text)]


# -- plain text ----------------------------------------------------------------------------


def _leader(body: str) -> tuple[str, int] | None:
    """A line of a title, a leader of 4 dots or more, spaced or not, and the pages it points
    to ("1.2 Installation ........ 7", "config file . . . 3, 7", "Preface . . . xii"): its
    title and first page (a roman one, the front matter's, counts 0). Read by stripping from
    the end, not with a pattern that backtracks: a long line costs no more than its length."""
    before = body.rstrip(_PAGE_CHARS)
    pages = body[len(before) :].split(",")
    if not before or not all(_PAGE.fullmatch(page.strip()) for page in pages):
        return None
    title = before.rstrip(". \t")
    if before[len(title) :].count(".") < 4 or not any(c.isalpha() for c in title):
        return None
    first = re.search(r"\d+", pages[0])
    return title, int(first.group()) if first else 0


#: A table of contents or an index has at least this many lines.
_CONTENTS_LINES = 3


def _contents(lines: list[str]) -> list[bool]:
    """Whether each line is a table of contents' or an index's: one of 3 leader lines or more
    in a row (blank lines, or an index's letters, between), in the order of their pages or
    of their titles (an index's: most of them): where to turn, not what is said there, and
    found before the sentence it points to. Leader lines in no such order are a report's
    figures ("Tests passed ........ 1248"), the text's own."""
    found = [_leader(line.strip()) for line in lines]
    out = [False] * len(lines)
    run: list[int] = []
    for i in [*range(len(lines)), len(lines)]:
        if i < len(lines) and (found[i] is not None or len(lines[i].strip()) < 2):
            run += [i] if found[i] is not None else []
            continue
        entries = [entry for k in run if (entry := found[k]) is not None]
        if len(run) >= _CONTENTS_LINES and (
            _in_order([page for _, page in entries], 1.0)
            or _in_order([re.sub(r"[\W_]", "", title.casefold()) for title, _ in entries], 0.8)
        ):
            for k in run:
                out[k] = True
        run = []
    return out


def _in_order(keys: list[int] | list[str], share: float) -> bool:
    """Whether ``share`` of the pairs of neighbouring ``keys`` are in order, or more: an
    index sorts its entries by their letters alone, punctuation aside, as no pattern
    spells."""
    pairs: list[tuple[Any, Any]] = list(pairwise(keys))
    return sum(bool(a <= b) for a, b in pairs) >= share * len(pairs)


def plain_view(origin: str, laid_out: bool = False) -> ReadingView:
    """Hard-wrapped lines joined into the units they were cut from; bullets dropped, and the
    stars that frame a line at both ends ("*** Tests failed ***", a box's sides); a table of
    contents' and an index's lines unread (:func:`_contents`), though, as a rule line
    does, they count towards the file's width.

    A line continues the one before when that one was full: the first word of this line
    would not have fitted within most of the file's width (the 95th percentile of its line
    lengths; wrapping tools break lines short of their limit by up to a word), and the two
    are not both fields ("Debian: <url>" over "Upstream: <url>"), however long the first;
    or full by its paragraph's own width, when that is narrower (:func:`_paragraph_widths`),
    that line runs on and this one goes on at its indent in lower case.
    It begins where the unit's text does, or, as the unit's second line, at the file's
    left margin, under a first line set in by at most 4 columns that runs on, when that
    line has a label ("  1. Backups are kept for thirty" over "days, …") or this one
    begins in lower case; or under a labelled first line that runs on, where its label
    does (a GNU ChangeLog's "* file (func): Remove" over "--enable-valgrind."); or under
    the text of a first line that sets a term apart from it by a gap (a man page's "-A"
    and its description); an outdent after that is a new unit (a man page's next option).
    Such a term is a cell apart from its description, as a table's first is (:func:`_terms`).
    A bullet's item goes on on a line set in where its text begins, after a line that runs on,
    however short, when it begins other than in upper case (a changelog's
    "* New upstream snapshot" over "(Closes: #541544)"), or after a sentence's end when it
    begins an aside in brackets ("(See also …)").
    A field's value goes on on a line set in under it, as a Debian copyright file's or a
    mail header's does, when the line above is full or ends at a comma; a line that begins
    with the same two words as a one-line unit (past a field's name) is a record of its own
    ("Copyright (C) 1999 …" under "Copyright: Copyright (C) 1997 …"), and a line of " ."
    ends a paragraph (Debian's empty line), as does a blank one.
    A roman numeral of two letters or more is a label only after a line that ends a
    sentence: "CI." is a word wrapped onto a line; one letter and a stop is none before
    another initial ("P. J. Plauger", "e. g."), and a lettered list's label otherwise.
    A text whose lines break further than 100 columns in is not wrapped: every line is a unit
    (a line made longer by a word too long to break, such as a URL, is wrapped all the same);
    unless its lines are a page layout's (``laid_out``: text taken out of a PDF), which are
    never units of their own, however long. A word broken over two lines at a hyphen is
    read whole (:func:`_typeset_break`), as is a name a page broke at its underscore.
    A commented file's markers ("# ", "; ", "// ") are not read (:func:`_comments`): a comment's
    lines join as prose does, never with a setting's; a marker alone ends a paragraph, and
    a setting set aside ("#HOME_MODE 0700") is a line of its own.
    Indents and widths count columns, a tab to the
    next multiple of 8, as a terminal shows them (``col -b`` writes a man page so).
    """
    as_written = list(_lines(origin))
    comments = _comments([line for _, line in as_written])
    lines = [(at, _unmarked(line, c)) for (at, line), c in zip(as_written, comments, strict=True)]
    shapes = [line.expandtabs() for _, line in lines]
    indents = [len(shape) - len(shape.lstrip()) if shape.strip() else -1 for shape in shapes]
    rows = _table_rows([line for _, line in lines])
    terms = _terms([line for _, line in lines], shapes, indents)
    contents = _contents([line for _, line in lines])
    ends = [len(shape.rstrip()) for shape in shapes if shape.strip()]
    breaks = [len(shape.rstrip()) - len(shape.split()[-1]) for shape in shapes if shape.strip()]
    unwrapped = not laid_out and _top(breaks) > _WIDEST
    width = _top([end for end in ends if laid_out or end <= _WIDEST])
    wrapped = width >= _NARROWEST and not unwrapped
    measures = _paragraph_widths(shapes, indents, width)
    written: tuple[set[str], Counter[str]] | None = None  # its compounds on one line; its words
    out = _Builder(origin)
    previous: str | None = None  # the line before, when it belongs to the open unit
    previous_at = 0  # where its words begin, past a bullet or a label
    column = 0  # where the open unit's text begins
    one_line = False  # whether the open unit is a single line so far
    near = labelled = False  # the open unit's first line: set in by at most 4; labelled
    opened = 0  # the open unit's first line's indent
    hanging = -1  # where the open unit's first line's text hangs, past a term and a gap
    value = -1  # where the value of the open unit's first line's field begins
    item = -1  # where the text of the open unit's first line begins, if it is a list item
    heads: list[str] = []  # the open unit's first line's first two words, past a field's name
    margin = min((indent for indent in indents if indent >= 0), default=0)
    previous_row = False  # whether the line before is a table's row
    previous_marked = False  # whether the line before is a comment's
    firsts = [shape.split()[:1] for shape in (*shapes[1:], "")][: len(shapes)]  # the next's word
    for (at, line), shape, cells, after, comment, measure, term, listed in zip(
        lines, shapes, rows, firsts, comments, measures, terms, contents, strict=True
    ):
        body = line.strip()
        if not body or line.rstrip() == " .":  # " .": a Debian control file's empty line
            out.brk(BLOCK)
            previous = None
            continue
        if _RULE.fullmatch(body) or _border(body.replace(" ", "")) or listed:
            out.brk(LINE)
            previous = None
            continue
        indent = len(shape) - len(shape.lstrip())
        bullet = _BULLET.match(shape, indent) if term is None else None  # a flag's "-": a term
        label = bullet or _LABEL.match(shape, indent)
        if label and _a_word(shape, label, previous):
            label = None
        words_at = label.end() if label else indent  # past a bullet or a label
        first_word = body.split(None, 1)[0]
        full = previous is not None and _full(previous, first_word, width)
        ragged = (  # wrapped short of the text's width, full by its paragraph's own
            previous is not None
            and indent == column
            and _runs_on(previous)
            and body[0].islower()
            and _full(previous, first_word, measure)
        )
        joins = (
            wrapped
            and previous is not None
            and cells is None
            and term is None  # a term begins a row, as a table's first cell does
            and not previous_row
            and label is None
            and (comment is not None) == previous_marked
            and not _set_aside(comment)
            and not (
                FIELD.match(shape, words_at) and (value >= 0 or FIELD.match(previous, previous_at))
            )
            and not (one_line and heads and not laid_out and _first_words(shape, words_at) == heads)
            and (
                (indent == item and (_runs_on(previous) or _aside(body)) and not body[0].isupper())
                or (0 <= value <= indent and (full or previous.rstrip().endswith(",")))
                or (
                    (
                        laid_out  # a PDF's text keeps no indents
                        or indent == column
                        or (
                            one_line
                            and indent == margin < column
                            and near
                            and (labelled or body[0].islower())
                            and _runs_on(previous)
                        )
                        or (
                            one_line
                            and labelled
                            and indent == opened < column
                            and _runs_on(previous)
                        )
                        or (one_line and indent == hanging)
                    )
                    and (full or ragged)
                    and not (
                        laid_out
                        and _ENDS_SENTENCE.search(previous)
                        and _heading(body, after, width)
                    )
                )
            )
        )
        if joins and previous is not None and _HYPHEN_BREAK.search(previous):
            if written is None:
                written = (
                    {_one_hyphen(w) for w in _COMPOUND.findall(origin)},
                    Counter(_LETTERS.findall(_BROKEN_WORD.sub("", origin).casefold())),
                )
            out.glue(drop_hyphen=_typeset_break(previous.rstrip(), first_word, *written))
        elif joins and laid_out and previous and _NAME_BREAK.search(previous + first_word[0]):
            out.glue(drop_hyphen=False)  # a page broke a name at its "_": "ASN1_" + "MAX_…"
        elif joins:
            out.space(at - 1)
        if joins:
            column, one_line = indent if indent == hanging else min(column, indent), False
        else:
            out.brk(LINE)
            column, one_line = words_at, True
            near, labelled, opened = indent - margin <= 4, label is not None, indent
            hung = _HANGING.match(shape, words_at)
            hanging = hung.end() if hung else -1
            value, heads = _value_column(shape, words_at), _first_words(shape, words_at)
            item = words_at if bullet and not bullet.group().startswith("**") else -1
        lead = len(line) - len(line.lstrip())
        marker = _BULLET.match(line, lead) if bullet else None
        begin = marker.end() if marker else lead
        stop = _frame_start(line, marker.group().strip(), begin) if marker else len(line)
        spans = cells or term or [(begin, stop)]
        for k, (start, end) in enumerate(spans):
            if k:
                out.brk(CELL)
            start = max(start, begin)
            out.words(line[start : min(end, stop)], at + start)
        previous, previous_at, previous_row = shape, words_at, cells is not None
        previous_marked = comment is not None
        if _set_aside(comment):
            previous = None  # a setting set aside: nothing runs on from it
    return out.build()


def _first_words(shape: str, at: int) -> list[str]:
    """A line's first two words from ``at``, past a field's name; none of a line of one word.
    Lines that begin with the same two are records ("Copyright (C) 1999 …" under
    "Copyright: Copyright (C) 1997 …"), each a unit, however full."""
    field = FIELD.match(shape, at)
    words = shape[field.end() if field else at :].split()[:2]
    return words if len(words) == 2 else []


def _value_column(shape: str, at: int) -> int:
    """Where the value of a field at ``at`` begins, -1 if there is none: a line set in as
    far or further goes on with it, as a Debian copyright file's and a mail's header's do."""
    field = FIELD.match(shape, at)
    if field is None or not shape[field.end() :].strip():
        return -1
    return len(shape) - len(shape[field.end() :].lstrip())


#: A comment's marker at a line's start (a run of "#", ";" as INI files write, or "/"), and
#: what follows it: nothing or white space on a comment's line, a word on a setting set aside.
_COMMENT = re.compile(r"[ \t]*(#+|;+|//+)(\S?)")
#: A file is commented when it has this many comment lines in a row.
_COMMENT_RUN = 3


def _comments(lines: list[str]) -> list[re.Match[str] | None]:
    """Each line's comment marker, if the file is commented with it. A marker counts as
    one where some run of ``_COMMENT_RUN`` lines in a row each begin with it, then a space or
    nothing (a configuration file's comments); in a text of prose a line or two begin "# ",
    a heading's or a root shell prompt's, and keep it."""
    found = [_COMMENT.match(line) for line in lines]
    markers: set[str] = set()
    run, marker = 0, ""
    for match in found:
        spoken = match is not None and not match.group(2)
        mark = match.group(1)[0] if match is not None and spoken else ""
        run = run + 1 if mark and mark == marker else int(bool(mark))
        marker = mark
        if run >= _COMMENT_RUN:
            markers.add(mark)
    return [m if m is not None and m.group(1)[0] in markers else None for m in found]


def _set_aside(comment: re.Match[str] | None) -> bool:
    """Whether a comment's marker has a word right after it: a setting set aside
    ("#HOME_MODE 0700"), a line of its own, kept as written."""
    return comment is not None and bool(comment.group(2))


def _unmarked(line: str, comment: re.Match[str] | None) -> str:
    """A comment's line with its marker blanked out: not read, as markup is not, and its
    words in their own columns, so that their offsets and indents stay the file's."""
    if comment is None or _set_aside(comment) or _RULE.fullmatch(line.strip()):
        return line
    start, end = comment.span(1)
    return line[:start] + " " * (end - start) + line[end:]


#: Where a line's words stand apart by two spaces or more, or a tab: between two cells of a
#: table set out in columns, when both sides hold a letter or a digit ("0x0A  32 bytes",
#: not a box's "*  Covered") and the first does not end a sentence ("end.  Next" is how
#: some write between sentences).
_CELL_GAP = re.compile(r"(?<=[^\s.])(?: {2,}|[ ]*\t\s*)(?=\S)")
#: A text whose lines end at one column this often, and this many of them, is justified: its
#: spaces pad words out to that column, in no column of their own.
_JUSTIFIED = 0.25
_JUSTIFIED_LINES = 10


def _border(body: str) -> bool:
    return _BORDER.fullmatch(body) is not None and _BORDER_LINE.search(body) is not None


def _barred_cells(line: str) -> list[tuple[int, int]] | None:
    """The cells of a row drawn between bars, without their padding, empty ones left out;
    none if ``line`` is not one."""
    body = line.strip()
    if not _BARRED.fullmatch(body):
        return None
    start = line.index(body[0])
    bars = [start + bar.start() for bar in _BAR.finditer(body)]
    cells = []
    for left, right in pairwise(bars):
        text = line[left + 1 : right]
        if text.strip():
            lead = len(text) - len(text.lstrip())
            cells.append((left + 1 + lead, left + 1 + len(text.rstrip())))
    return cells or None


def _cells(line: str) -> list[tuple[int, int]]:
    """The cells of ``line``, as spans of it, if it were a table's row: one, the whole line,
    when its gaps are a justified line's padding."""
    start = len(line) - len(line.lstrip())
    cells = []
    for gap in _CELL_GAP.finditer(line, start):
        before = _word_before(line, gap.start())
        after = _WORDS.match(line, gap.end())
        if after and _alnum(before) and _alnum(after.group()):
            cells.append((start, gap.start()))
            start = gap.end()
    cells.append((start, len(line.rstrip())))
    return [(cells[0][0], cells[-1][1])] if _padded(line, cells) else cells


def _word_before(line: str, end: int) -> str:
    """The word ending at ``end``, read back from there: as long as that word, however long
    the line."""
    begin = end
    while begin > 0 and not line[begin - 1].isspace():
        begin -= 1
    return line[begin:end]


def _padded(line: str, cells: list[tuple[int, int]]) -> bool:
    """Whether a line's words are padded out to a width, one space more here and there, as a
    justified line's are: three gaps or more, each of two spaces."""
    gaps = [line[end:start] for (_, end), (start, _) in pairwise(cells)]
    return len(gaps) >= 3 and all(gap == "  " for gap in gaps)


def _alnum(word: str) -> bool:
    return any(c.isalnum() for c in word)


def _table_rows(lines: list[str]) -> list[list[tuple[int, int]] | None]:
    """Each line's cells, if it is a row of a table drawn between bars, or of one set out in
    columns: two cells or more,
    a column where one begins shared with a line next to it, and not a justified line,
    whose spaces line up by chance (a quarter of the lines or more end at the right margin,
    or it is padded out)."""
    ends = [len(line.expandtabs().rstrip()) for line in lines]
    written = [end for end in ends if end]
    justified = max(set(written), key=written.count, default=0)
    count = written.count(justified)
    if justified < _top(written) or count < max(_JUSTIFIED * len(written), _JUSTIFIED_LINES):
        justified = -1
    cells = [_cells(line) for line in lines]
    columns = [
        {len(line[:start].expandtabs()) for start, _ in found[1:]} if end != justified else set()
        for line, found, end in zip(lines, cells, ends, strict=True)
    ]
    rows: list[list[tuple[int, int]] | None] = []
    for i, mine in enumerate(columns):
        beside = [columns[j] for j in (i - 1, i + 1) if 0 <= j < len(columns) and columns[j]]
        aligned = any(mine & theirs for theirs in beside)
        rows.append(_barred_cells(lines[i]) or (cells[i] if mine and aligned else None))
    return rows


#: The widest lines a wrapping tool writes: a text whose lines break further in is not wrapped.
_WIDEST = 100
#: The narrowest width a text is wrapped at: lines shorter than this throughout are as written.
_NARROWEST = 40


def _full(line: str, next_word: str, width: int) -> bool:
    """Whether ``line`` was full, wrapped at ``width``: the next line's first word would not
    have fitted within most of it (wrapping tools break lines short by up to a word)."""
    return len(line.rstrip()) + 1 + len(next_word) > _FULL * width


def _paragraph_widths(shapes: list[str], indents: list[int], width: int) -> list[int]:
    """The width each line was wrapped at: that of its paragraph (a run of lines set in
    alike, which ends a sentence, as prose does, and is wrapped at ``_NARROWEST`` or wider)
    where its widest line is narrower than the text's, else the text's. A text's widest
    lines (a long heading, a paragraph or a table set out wide, a description set in by a
    tab) leave room at the end of the lines of a paragraph wrapped shorter, which were full
    all the same; code and lists of lines end no sentence, and are measured by the text's.
    ``indents``: each line's, -1 for a blank one."""
    measures = [width] * len(shapes)
    begin = 0
    for end in range(1, len(shapes) + 1):
        if end < len(shapes) and indents[end] == indents[begin]:
            continue
        run = shapes[begin:end]
        widest = max(len(shape.rstrip()) for shape in run)
        if _NARROWEST <= widest < width and _ENDS_SENTENCE.search(run[-1]):
            measures[begin:end] = [widest] * len(run)
        begin = end
    return measures


def _top(lengths: list[int]) -> int:
    """Most of ``lengths``: the 95th percentile, 0 of none."""
    ordered = sorted(lengths)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0


#: A term and the gap after it, on a line whose text goes on under that text: a man page's
#: "-A<tab>Generate host keys … and" over "ed25519) if …" set in as far.
_HANGING = re.compile(r"\S+ {2,}(?=\S)")
#: A line's end that ends a sentence: its stop, and a closing quote or bracket after it.
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*\s*$")


def _terms(
    lines: list[str], shapes: list[str], indents: list[int]
) -> list[list[tuple[int, int]] | None]:
    """Each line's term and description, as cells, if it sets a term apart by a gap (a man
    page's "-a      Show all", "%q     quarter of year") with its description at the
    column of a line next to it that does the same (blank lines between), or going on under
    it: a term reads as a table's first cell, not as its sentence's first word. A line set
    in as far as the next, which is no term's, is a justified paragraph's ("After  any
    flags  comes"). A bullet ("-", "+", "•") is a term beside a term that is none, a man
    page's flag ("-      (hyphen) do not pad" next to "_      (underscore) pad"), never
    beside another bullet, nor for its text going on under it (a list's item). ``shapes``:
    the lines with their tabs expanded; ``indents``: theirs, -1 for a blank one."""
    found = [_a_term(line, shape) for line, shape in zip(lines, shapes, strict=True)]
    columns = [term.column if term else -1 for term in found]
    nexts, next_columns = [*indents[1:], -1], [*columns[1:], -1]
    terms: list[list[tuple[int, int]] | None] = [None] * len(lines)
    for i, term in enumerate(found):
        if term is None or (nexts[i] == indents[i] and next_columns[i] != columns[i]):
            continue  # a justified paragraph's first line
        beside = [found[j] for j in (_sibling(indents, i, -1), _sibling(indents, i, 1)) if j >= 0]
        aligned = any(
            other and other.column == term.column and not (other.bullet and term.bullet)
            for other in beside
        )
        if aligned or (nexts[i] == term.column and not term.bullet):
            terms[i] = term.cells
    return terms


def _sibling(indents: list[int], i: int, step: int) -> int:
    """The line next to line ``i`` (-1 for the one before, 1 for the one after) set in as far
    as it is, past blank lines and lines set in further (a description's), and up to one set
    in less (a heading's): -1 if there is none."""
    j = i + step
    while 0 <= j < len(indents) and (indents[j] < 0 or indents[j] > indents[i]):
        j += step
    return j if 0 <= j < len(indents) and indents[j] == indents[i] else -1


@dataclass(frozen=True)
class _Term:
    """A line's term and its text, as cells; the column where its text hangs; and whether
    the term is a mark a list's items are bulleted with."""

    column: int
    cells: list[tuple[int, int]]
    bullet: bool


def _a_term(line: str, shape: str) -> _Term | None:
    """A line's term, if its text hangs past one and a gap (``_HANGING``): not a list's
    label or an outline's stars, and before a word with a letter or a digit (not a
    diagram's "│   ┌──")."""
    lead = len(line) - len(line.lstrip())
    hung = _HANGING.match(shape, len(shape) - len(shape.lstrip()))
    term = _WORDS.match(line, lead)
    text = _WORDS.search(line, term.end()) if term else None
    if hung is None or term is None or text is None or not _alnum(text.group()):
        return None
    if line.startswith("*", lead) or _LABEL.match(line, lead):
        return None
    cells = [term.span(), (text.start(), len(line.rstrip()))]
    return _Term(hung.end(), cells, _BULLET.match(line, lead) is not None)


def _heading(line: str, after: list[str], width: int) -> bool:
    """Whether a page's line after a sentence's end stands on its own as a heading does: it
    ends in no punctuation, where a paragraph's last line ends in a stop, and the next line's
    first word (``after``, none at a block's end) would have fitted on it."""
    return not _full(line, after[0] if after else "", width) and line[-1].isalnum()


def _frame_start(line: str, opening: str, begin: int) -> int:
    """Where the stars that end a line begun by the bullet ``opening`` close its frame, or
    the line's end: as many stars, and more than one or set apart ("*** failed ***", a box's
    "*  …  *"); a command's glob ("* Clean it with rm -rf *") is the text's own."""
    closing = _FRAME_END.search(line, begin) if opening.startswith("*") else None
    if closing is None:
        return len(line)
    run = closing.group().strip()
    frames = len(run) == len(opening) and (len(run) > 1 or line[: closing.start()].endswith("  "))
    return closing.start() if frames else len(line)


def _a_word(shape: str, label: re.Match[str], previous: str | None) -> bool:
    """Whether a line's label is a word after all: a roman numeral after a line that runs on,
    which a sentence wrapped there ("hosted" over "CI. They"); one letter before another
    initial ("P. J. Plauger's", "e. g."). One letter before a word is a lettered list's
    item ("a. Install it", "b. build it"), wherever it stands."""
    word = _WORD_LABEL.match(shape, label.start())
    if word is None or word.end() != len(shape[: label.end()].rstrip()):
        return False
    if word.group("letter") is None:
        return previous is not None and _runs_on(previous)
    return _AFTER_INITIAL.match(shape, label.end()) is not None


def _runs_on(line: str) -> bool:
    """Whether a line ends where no sentence or block of code does: what a first line set in
    further than the next ("  1. Backups are kept for thirty" over "days, …") ends on."""
    return line.rstrip()[-1] not in ".;:!?{}"


def _aside(line: str) -> bool:
    """Whether a line begins an aside in brackets ("(See also …)"), which goes on with what
    it is set under, after a sentence's end too: no item or paragraph begins with one."""
    return line.lstrip()[:1] in "(["


#: The hyphen, and Unicode's own (U+2010), which man pages set in UTF-8 write.
_HYPHENS = ("-", "\u2010")
#: Two words joined by a hyphen, each pair of a longer compound too ("multi-arch" of
#: "enable-multi-arch").
_COMPOUND = re.compile(r"(?<![^\W\d_])(?=([^\W\d_]+[-\u2010][^\W\d_]+))")
_HYPHEN_BREAK = re.compile(r"[^\s\-\u2010][-\u2010]\s*$")  # a word broken at its hyphen, not a dash
_NAME_BREAK = re.compile(r"[^\W_]_\s*[^\W_]$")  # a line's last two marks, and the next's first
_SPLIT_LETTERS = re.compile(r"(?:^|[\s\"“‘'(\[])([^\W\d_]+)[-\u2010]$")
#: A compound's last part, a path's, a name's after its "_" or "$" ("JQ_COL-" and "ORS").
_SPLIT_PART = re.compile(r"[-/_$]([^\W\d_]+)[-\u2010]$")
_LETTERS = re.compile(r"[^\W\d_]+")
#: A word's hyphen at a line's end, between letters: taken out, the word's parts count as
#: the one word they may be, and neither alone.
_BROKEN_WORD = re.compile(r"(?<=[^\W\d_])[-\u2010][ \t]*\r?\n[ \t]*(?=[^\W\d_])")


def _one_hyphen(word: str) -> str:
    return word.replace(_HYPHENS[1], _HYPHENS[0]).casefold()


@cache
def _english_words() -> frozenset[str]:
    """Whole English words in lower case: those of the packaged encoder's WordPiece
    vocabulary (about 21,700 of its 30,522 entries), common to any English text."""
    from index.embed import packaged_model_path

    vocab = (packaged_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    return frozenset(w for w in vocab if w.isalpha() and w.islower())


def _typeset_break(line: str, first_word: str, compounds: set[str], words: Counter[str]) -> bool:
    """Whether a line ending in a word's hyphen broke a word a typesetter hyphenated
    ("manip-" and "ulation"), to be read without its hyphen: letters on both sides, of one
    case, and not a compound the file writes whole elsewhere ("well-known"), nor two words
    of the file's that do not make an English word ("update-" and "passwd", where "passwd"
    is written elsewhere and "updatepasswd" is not; "with-" and "out" make "without").
    Otherwise the hyphen is the word's own ("--jobserver-" and "auth", "10-" and "20"). The
    last part of a compound, a path or a name broken so ("initial-argu-" and "ments",
    "findu-" and "tils/", "JQ_COL-" and "ORS") is one only when the file's ``words`` hold it
    whole elsewhere, and not its ``compounds``. ``words`` counts the file's words with every
    such break taken out: the broken word itself counts once, whole."""
    tail = _LETTERS.match(first_word)
    if tail is None:
        return False
    b = tail.group()
    if head := _SPLIT_LETTERS.search(line):
        a = head.group(1)
        same_case = (a[-1].islower() and b[0].islower()) or (a[-1].isupper() and b.isupper())
        if not same_case or _one_hyphen(f"{a}-{b}") in compounds:
            return False
        joined = (a + b).casefold()
        return words[joined] > 1 or joined in _english_words() or not words[b.casefold()]
    part = _SPLIT_PART.search(line)
    if part is None or _one_hyphen(f"{part.group(1)}-{b}") in compounds:
        return False
    return words[(part.group(1) + b).casefold()] > 1


# -- Markdown ------------------------------------------------------------------------------


#: YAML front matter (Jekyll, Hugo, MkDocs): fenced by "---" lines at the file's top.
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(?:[^\r\n]*\r?\n)*?(?:---|\.\.\.)[ \t]*(?:\r?\n|$)")
_YAML_LINE = re.compile(r"\s*$|---|\.\.\.|\s*#|\s*- |\s*[\w.\-][\w.\- ]*:(?:\s|$)|\s+\S")
#: A header of fields over the text (MultiMarkdown's metadata, a package's METADATA over its
#: description): two lines or more of "Name: value", a name of one capitalised word, each
#: maybe set in further lines, then a blank line or the end; without Markdown's emphasis,
#: code or links, which a header's values do not write and a paragraph's lines do.
_FIELDS_HEADER = re.compile(
    r"(?:[A-Z][\w\-]{0,30}:(?:[ \t][^\r\n]*)?\r?\n(?:[ \t]+\S[^\r\n]*\r?\n)*){2,}"
    r"(?=[ \t]*(?:\r?\n|$))"
)
_INLINE_MARKUP = re.compile(r"\*\*|__|`|\]\(")
#: A GitHub alert's marker, first in a block quote: "> [!NOTE]".
_ALERT = re.compile(r"\[!([A-Za-z]+)\][ \t]*")
#: How deep lists and quotes may nest (markdown-it's default; commonmark's preset allows 20,
#: a list 10 deep): a file nested deeper is read as plain text, not cut where it goes past.
_MARKDOWN_NESTING = 100
#: A pipe in a table's cell, escaped as GitHub's tables must write it there (an unescaped
#: one ends the cell, inside a code span too).
_CELL_PIPE = re.compile(r"\\\|")


def markdown_view(origin: str) -> ReadingView:
    """Markdown as rendered: text of headings, paragraphs, list items and table cells,
    code blocks kept whole, raw HTML read as HTML, footnotes where they are written, each a
    block; no markup (nor a footnote's mark "[^1]"). Front matter's fields, or a header's
    of "Name: value" lines, are lines of their own; a GitHub alert's marker ("[!NOTE]") is
    its title's word; an ordered list's items are numbered."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    parser = MarkdownIt("commonmark", {"maxNesting": _MARKDOWN_NESTING})
    parser.enable("table").disable("text_join")
    parser.use(footnote_plugin, inline=False, move_to_end=False)  # "^[a-z]+$" is no footnote
    out = _Builder(origin)
    front = _FRONT_MATTER.match(origin)
    if front and not all(_YAML_LINE.match(line) for _, line in _lines(front.group())):
        front = None  # a rule, then text: not YAML
    header = _FIELDS_HEADER.match(origin)
    front = front or (header if header and not _INLINE_MARKUP.search(header.group()) else None)
    if front:  # parsed as blank lines, so that every offset stays the file's
        for at, line in _lines(front.group()):
            if line.strip() not in ("---", "..."):
                out.verbatim(line.strip(), at + len(line) - len(line.lstrip()))
                out.brk(LINE)
        out.brk(BLOCK)
    parsed = origin if not front else re.sub(r"[^\n]", " ", front.group()) + origin[front.end() :]
    tokens = parser.parse(parsed)
    if any(token.level >= _MARKDOWN_NESTING - 1 for token in tokens):
        return plain_view(origin)  # markdown-it drops the rest of the file past its limit
    line_at = _line_starts(origin, _MARKDOWN_LINES)
    inside: list[str] = []  # open containers: lists, tables, rows
    counts: list[int] = []  # per ordered list open: its next item's number
    marked = 0  # where the last item's marker ended: "1. 1. x" nests an item on its line
    quoted = False  # a block quote's first paragraph is next
    numbered = False  # an item's number is written, its paragraph goes on on its line
    row = 0  # where the row's cells read so far end: a cell's text is found after them
    for token in tokens:
        begin = line_at[min(token.map[0], len(line_at) - 1)] if token.map else None
        if numbered and token.type == "paragraph_open":
            numbered = False
            continue
        numbered = False
        if token.type == "inline" and quoted and begin is not None:
            begin = _alert_title(out, token, begin)
        quoted = token.type == "blockquote_open" or (quoted and token.type == "paragraph_open")
        if token.type in ("bullet_list_open", "ordered_list_open", "table_open"):
            out.brk(BLOCK if not inside else LINE)
            inside.append(token.type)
            if token.type == "ordered_list_open":
                start = token.attrGet("start")
                counts.append(1 if start is None else int(start))
        elif token.type in ("bullet_list_close", "ordered_list_close", "table_close"):
            if inside and inside.pop() == "ordered_list_open":
                counts.pop()
            out.brk(BLOCK if not inside else LINE)
        elif token.type in ("list_item_open", "tr_open"):
            out.brk(LINE)
            row = 0
            if inside[-1:] == ["ordered_list_open"] and token.type == "list_item_open":
                marked = _item_number(out, token, max(begin or 0, marked), counts)
                numbered = marked > 0
        elif token.type in ("th_open", "td_open"):
            out.brk(CELL)
        elif token.type in ("paragraph_open", "heading_open", "paragraph_close", "heading_close"):
            out.brk(LINE if inside else BLOCK)
        elif token.type == "inline" and begin is not None and token.map:
            end = line_at[token.map[1]] if token.map[1] < len(line_at) else len(origin)
            if "table_open" in inside:
                row = _inline(out, token.children or [], max(begin, row), end, in_table=True)
            else:
                _inline(out, token.children or [], begin, end)
        elif token.type in ("fence", "code_block") and begin is not None:
            out.brk(LINE if inside else BLOCK)
            cursor = begin
            for line in token.content.splitlines():
                found = origin.find(line, cursor) if line else -1
                if found >= 0:
                    out.verbatim(line, found)
                    cursor = found + len(line)
                    out.brk(LINE)
            out.brk(LINE if inside else BLOCK)
        elif token.type == "html_block" and begin is not None:
            found = origin.find(token.content.strip(), begin)
            if found >= 0:
                out.brk(LINE if inside else BLOCK)
                _html_into(out, token.content.strip(), found)
                out.brk(LINE if inside else BLOCK)
    return out.build()


def _item_number(out: _Builder, token: Any, begin: int, counts: list[int]) -> int:
    """Write an ordered list's item number as CommonMark renders it, counted from the list's
    first ("1." on every item reads 1, 2, 3), mapped to the item's marker, found from
    ``begin``; where the marker ends (0 if not found)."""
    number, counts[-1] = counts[-1], counts[-1] + 1
    marker = f"{token.info}{token.markup}"
    at = out.origin.find(marker, begin)
    if at < 0:
        return 0
    out.drawn(f"{number}{token.markup}", at, at + len(marker))
    out.space(at + len(marker))
    return at + len(marker)


def _alert_title(out: _Builder, token: Any, begin: int) -> int:
    """A GitHub alert's type, a line of its own, for the marker that opens ``token`` (the
    first inline run of a block quote), which is left without it; where to read on."""
    children = token.children or []
    alert = _ALERT.match(children[0].content) if children and children[0].type == "text" else None
    at = out.origin.find(alert.group(), begin) if alert else -1
    if alert is None or at < 0:
        return begin
    out.words(alert.group(1), at + 2)
    out.brk(LINE)
    rest = children[0].content[alert.end() :]
    token.children = ([children[0].copy(content=rest)] if rest else []) + children[1:]
    return at + alert.end()


def _inline(
    out: _Builder, children: list[Any], cursor: int, limit: int, in_table: bool = False
) -> int:
    """An inline run's text, each piece found in the file at or after ``cursor`` and before
    ``limit``, where its block ends (a code span wrapped over two lines is not the same words
    a later block writes on one); in a table's cell, a line break written as HTML is a space,
    as the cell is one unit. Returns where the run's last piece was found to end."""
    origin = out.origin
    for child in children:
        kind = child.type
        if kind == "image":  # its alt text is not shown
            found = origin.find("![", cursor, limit)
            if found >= 0:
                cursor = _past_target(origin, found + 2)
        elif kind == "link_close" and child.markup == "autolink":  # "<https://…>": past ">"
            found = origin.find(">", cursor, limit)
            cursor = found + 1 if found >= 0 else cursor
        elif kind == "link_close":
            cursor = _past_target(origin, cursor)
        elif kind == "softbreak":
            found = origin.find("\n", cursor, limit)
            out.space(found if found >= 0 else cursor)
        elif kind == "hardbreak":
            out.brk(LINE)
        elif kind == "html_inline":
            found = origin.find(child.content, cursor, limit)
            if found >= 0:
                cursor = found + len(child.content)
                tag = _TAG_NAME.match(child.content)
                if tag and tag.group(1).lower() in _HtmlReader.BREAKS and in_table:
                    out.space(found)
                elif tag and tag.group(1).lower() in _HtmlReader.BREAKS:  # "a<br>b": two lines
                    out.brk(LINE)
        elif kind == "text_special":
            found = origin.find(child.markup, cursor, limit)
            if found >= 0:
                out.char(child.content, found, found + len(child.markup))
                cursor = found + len(child.markup)
        elif kind == "footnote_ref":  # "[^1]": not shown, and not where a cell's "1" is
            mark = f"[^{child.meta.get('label', '')}]"
            found = origin.find(mark, cursor, limit)
            cursor = found + len(mark) if found >= 0 else cursor
        elif kind in ("text", "code_inline") and child.content:
            code = kind == "code_inline"
            # A table's cell writes its pipes escaped ("a \\| b", in code spans too).
            pieces = child.content.split("|") if in_table else [child.content]
            for i, content in enumerate(pieces):
                if i:
                    pipe = _CELL_PIPE.search(origin, cursor, limit)
                    if pipe is not None:
                        out.char("|", pipe.start(), pipe.end())
                        cursor = pipe.end()
                if content:
                    cursor = _piece(out, content, cursor, limit, code)
    return cursor


def _piece(out: _Builder, content: str, cursor: int, limit: int, code: bool) -> int:
    """A text or code run, found from ``cursor`` (before ``limit``); where it ends. A code
    span wrapped over lines reads its line breaks as spaces: it is found by its words with
    any white space between them, before the same words written on one line further on."""
    origin = out.origin
    found = origin.find(content, cursor, limit)
    words = list(_WORDS.finditer(content))
    if code and words:
        written = re.compile(r"\s+".join(re.escape(w.group()) for w in words))
        wrapped = written.search(origin, cursor, limit)
        if wrapped is not None and not 0 <= found <= wrapped.start():
            found, cursor, limit = -1, wrapped.start(), wrapped.end()
    if found >= 0:
        out.words(content, found)
        return found + len(content)
    for word in words:  # folded white space: word by word
        at = origin.find(word.group(), cursor, limit)
        at = at if at >= 0 else cursor
        out.space(at)
        out.words(word.group(), at)
        cursor = at + len(word.group())
    return cursor


def _past_target(origin: str, cursor: int) -> int:
    """Past a link's or an image's ``](target)`` or ``][label]``, when one comes next."""
    close = origin.find("]", cursor)
    if close < 0:
        return cursor
    opener = origin[close + 1 : close + 2]
    if opener not in ("(", "["):
        return close + 1
    closer, depth = {"(": ")", "[": "]"}[opener], 0
    for at in range(close + 1, len(origin)):
        if origin[at] == opener:
            depth += 1
        elif origin[at] == closer:
            depth -= 1
            if depth == 0:
                return at + 1
        elif origin[at] == "\n" and origin[at + 1 : at + 2] == "\n":
            break
    return close + 1


# -- HTML ----------------------------------------------------------------------------------


def html_view(origin: str) -> ReadingView:
    """The visible text of an HTML page, one unit per block element; of a page that marks
    its main content (``<main>``, ``role="main"``), that content alone: what is around it is
    the site's header, menus and footer."""
    out = _Builder(origin)
    if _MAIN.search(origin) and _html_into(out, origin, 0, main_only=True):
        return out.build()
    out = _Builder(origin)  # no main element after all ("<main>" in a comment, a script)
    _html_into(out, origin, 0)
    return out.build()


_MAIN = re.compile(r"<main[\s>]|\srole\s*=\s*[\"']?main[\"'\s>]", re.I)


_TAG_NAME = re.compile(r"</?([A-Za-z][\w-]*)")


class _HtmlReader(HTMLParser):
    """Text into the view, and a unit's end at every block, line or cell. Inside a table's
    cell or a definition, a block or a line is a space: a row reads as one unit, as a
    Markdown table's does, and a term with its definition ("adm", then what group adm is).
    A cell or a definition ends where the next begins, or its row, term or table does:
    HTML lets a page leave out ``</td>`` and ``</dd>``. A link whose text is only a
    permalink's mark ("¶", "#", "↩") is a page's furniture."""

    #: A form's controls: a code block's "Copy" button, a picker's options, a text box.
    _FORM = frozenset({"button", "select", "option", "textarea"})  # an input holds no text
    _SKIP = frozenset({"script", "style", "head", "noscript", "template", "svg", "nav"}) | _FORM
    _HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
    #: What a page's head holds: any other element begins its body, and so ends the head
    #: (HTML lets a page leave out ``</head>``).
    _HEAD = frozenset({"title", "meta", "link", "style", "script", "base", "noscript", "template"})
    _VOID = frozenset(
        {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
    )  # fmt: skip
    #: Elements whose end a page may leave out: not kept open (a page of a thousand "<p>"
    #: would nest them all), and one marked as not shown could not be told from what follows.
    _OPEN_ENDED = frozenset(
        {"p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
         "tfoot", "colgroup", "caption", "rt", "rp", "html", "body", "head"}
    )  # fmt: skip
    _BLOCKS = frozenset(
        {
            "p", "div", "section", "article", "header", "footer", "main", "nav", "aside",
            "blockquote", "ul", "ol", "dl", "table", "title", "figure", "form", "hr",
            "h1", "h2", "h3", "h4", "h5", "h6", "details", "summary", "pre",
        }
    )  # fmt: skip
    _LINES = frozenset({"li", "tr", "br", "dt", "caption"})
    _CELLS = frozenset({"td", "th", "dd"})  # a definition reads on its term's line
    _ROW_PARTS = frozenset({"tr", "td", "th"})
    BREAKS = _BLOCKS | _LINES
    _PERMALINK = frozenset("¶§#↩↑⚓🔗")

    def __init__(self, out: _Builder, text: str, base: int, main_only: bool = False) -> None:
        super().__init__(convert_charrefs=False)
        self.out, self.base = out, base
        self.main_only = main_only
        self.main_at: int | None = None  # how many are open around the main content, inside it
        self.main_found = False
        self.line_at = _line_starts(text, _HTML_LINES)
        self.open: list[str] = []  # the elements open whose end a page writes, innermost last
        self.unread_from: int | None = None  # how many are open around the one not read
        self.pre = 0
        self.frames: list[bool] = []  # per table or definition list open: a cell open in it
        self.links = 0  # links open
        self.held: list[Callable[[], None]] = []  # a link's text, until it is known
        self.marks_only = True  # whether the link's text held is permalink marks alone
        self.lists: list[tuple[str, _Count]] = []  # per list open: its tag and its count
        scan = _scan_page(text)
        self.layouts = scan.layouts  # per table row, in the page's order: laying it out
        self.rows_begun = 0
        self.bars = scan.bars  # per div, in the page's order: a bar of links to other pages
        self.divs_begun = 0
        self.laying_out: list[bool] = []  # per table open: whether its current row lays out
        self.numbered = False  # an item's number is written: its paragraph goes on its line

    @property
    def skipping(self) -> bool:
        """Inside code, styles, the head, a menu, a form's control or what is not shown: one of
        :attr:`_SKIP`, or an element marked so (:func:`_unseen`), up to its end or to the
        end of an element around it, which ends it too; on a page that marks its main
        content, anywhere outside it."""
        return self.unread_from is not None or (self.main_only and self.main_at is None)

    def _close(self, tag: str) -> None:
        """The end of the innermost ``tag`` open and of all open inside it; a stray end
        (nothing open of that name) ends nothing."""
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]
            if self.unread_from is not None and len(self.open) <= self.unread_from:
                self.unread_from = None
            if self.main_at is not None and len(self.open) <= self.main_at:
                self.main_at = None

    def _at(self) -> int:
        line, column = self.getpos()
        return self.base + self.line_at[min(line - 1, len(self.line_at) - 1)] + column

    def _boundary(self, tag: str) -> None:
        if self.numbered and tag in ("p", "div"):  # until the item's first words
            return
        if tag in self.BREAKS or tag in self._CELLS:
            self._release()
        if any(self.frames) and tag == "li":  # a list in a cell: its items a cell each
            self.out.brk(CELL)
        elif any(self.frames) and tag in self.BREAKS:
            self.out.space(self._at())
        elif tag in self._BLOCKS:
            self.out.brk(BLOCK)
        elif tag in self._LINES:
            self.out.brk(LINE)
        elif tag in self._CELLS:
            self.out.brk(CELL)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag not in self._HEAD:
            self._close("head")
        bar = tag == "div" and self.divs_begun < len(self.bars) and self.bars[self.divs_begun]
        self.divs_begun += tag == "div"
        if tag in self._SKIP or tag not in self._VOID | self._OPEN_ENDED:
            self.open.append(tag)
            if self.unread_from is None and (bar or self._unread(tag, named)):
                self.unread_from = len(self.open) - 1
            roles = (named.get("role") or "").lower().split()
            if self.main_only and self.main_at is None and (tag == "main" or "main" in roles):
                self.main_at, self.main_found = len(self.open) - 1, True
        self.pre += tag == "pre"
        if tag == "table":
            self.laying_out.append(False)
        elif tag == "tr" and self.laying_out:
            begun, self.rows_begun = self.rows_begun, self.rows_begun + 1
            self.laying_out[-1] = begun < len(self.layouts) and self.layouts[begun]
        if tag in ("tr", "dt") and self.frames:
            self.frames[-1] = False  # the cell before, left open, ends
        tag = self._role(tag)
        self._boundary(tag)
        if tag in ("table", "dl"):
            self.frames.append(False)
        elif tag in self._CELLS and self.frames:
            self.frames[-1] = True
        elif tag in ("ol", "ul"):
            self.lists.append((tag, _ordered(named)))
        elif tag == "li" and self.lists and self.lists[-1][0] == "ol" and not self.skipping:
            self._item_number(self.lists[-1][1], named)
        self.links += tag == "a"

    def _unread(self, tag: str, attrs: dict[str, str | None]) -> bool:
        """Whether an element and what it holds go unread: one of :attr:`_SKIP`, but a
        button that is a heading's text or that shows and hides a part of the page (an
        accordion's question), or one marked so (:func:`_unseen`)."""
        if tag == "button" and (_disclosure(attrs) or not self._HEADINGS.isdisjoint(self.open)):
            return _unseen(tag, attrs)
        return tag in self._SKIP or _unseen(tag, attrs)

    def _item_number(self, count: _Count, attrs: dict[str, str | None]) -> None:
        """Write the number the browser draws before an ordered list's item: counted from
        the list's ``start``, or the item's own ``value``, in the list's ``type``."""
        number = _integer(attrs.get("value"), count.next)
        count.next = number + count.step
        at, tag = self._at(), self.get_starttag_text() or ""
        self.out.drawn(f"{list_number(number, count.style)}.", at, at + len(tag))
        self.out.space(at + len(tag))
        self.numbered = True

    def _role(self, tag: str) -> str:
        """A row's parts as they read: those of a row laying the page out are blocks; a
        button read outside a heading, a block of its own, as a ``<summary>`` is."""
        laid_out = tag in self._ROW_PARTS and self.laying_out and self.laying_out[-1]
        read = tag == "button" and not self.skipping and self._HEADINGS.isdisjoint(self.open)
        return "div" if laid_out or read else tag

    def handle_endtag(self, tag: str) -> None:
        role = self._role(tag)  # before the end of what it ends: a button unread reads so
        self._close(tag)
        self.pre = max(0, self.pre - (tag == "pre"))
        if tag == "table" and self.laying_out:
            self.laying_out.pop()
        tag = role
        if tag in ("table", "dl") and self.frames:
            self.frames.pop()
        elif tag in ("ol", "ul") and self.lists and self.lists[-1][0] == tag:  # not a stray end
            self.lists.pop()
        elif tag in (*self._CELLS, "tr") and self.frames:
            self.frames[-1] = False
        self.links = max(0, self.links - (tag == "a"))
        if tag == "a":
            self._release()
        if tag != "dt":  # its definition goes on on its line
            self._boundary(tag)

    def _write(self, text: str, write: Callable[[], None]) -> None:
        """Write now, or, inside a link, once the link is known to be more than a mark."""
        if not self.links:
            write()
            return
        self.held.append(write)
        self.marks_only = self.marks_only and all(c.isspace() or c in self._PERMALINK for c in text)

    def _release(self) -> None:
        """Write the link's text held so far, unless it is permalink marks alone."""
        if not self.marks_only:
            for write in self.held:
                write()
        self.held, self.marks_only = [], True

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.numbered = self.numbered and data.isspace()
            at, pre = self._at(), self.pre
            self._write(data, lambda: self._data(data, at, pre))

    def _data(self, data: str, at: int, pre: int) -> None:
        if not pre:
            self.out.words(data, at)
            return
        for offset, line in _lines(data):
            self.out.verbatim(line, at + offset)
            if offset + len(line) < len(data):
                self.out.brk(LINE)

    def _reference(self, written: str) -> None:
        if not self.skipping:
            at, char = self._at(), unescape(written)
            self._write(char, lambda: self.out.char(char, at, at + len(written)))

    def handle_entityref(self, name: str) -> None:
        self._reference(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._reference(f"&#{name};")


#: An ordered list's ``type`` as a number format.
_LIST_TYPES = {
    "1": "decimal",
    "a": "lowerLetter",
    "A": "upperLetter",
    "i": "lowerRoman",
    "I": "upperRoman",
}


@dataclass
class _Count:
    """An ``<ol>``'s count: its next item's number, its step (a ``reversed`` list that says
    where it starts counts down), its number format."""

    next: int
    step: int
    style: str


#: ARIA roles of a page's own controls, not of what it says.
_CONTROLS = frozenset({"navigation", "menu", "menubar", "toolbar", "dialog", "search"})
#: The words a generated manual's bar of links ("Prev", "Up", "Next") is named by, in its
#: table's or div's class or summary: DocBook's "navheader" and "Navigation footer",
#: texinfo's "nav-panel".
_NAV_NAMES = frozenset({"nav", "navheader", "navfooter", "navigation", "nav-panel"})


def _unseen(tag: str, attrs: dict[str, str | None]) -> bool:
    """Whether an element is a page's menu or control (a generated manual's bar of links
    too), or is not shown: a tab's panel is a click away, and ``hidden="until-found"`` is
    found by a search of the page."""
    role = (attrs.get("role") or "").lower()
    hidden = "hidden" in attrs and (attrs["hidden"] or "").lower() != "until-found"
    concealed = hidden or (attrs.get("aria-hidden") or "").lower() == "true"
    named = f"{attrs.get('class') or ''} {attrs.get('summary') or ''}".lower().split()
    bar = tag in ("table", "div") and not _NAV_NAMES.isdisjoint(named)
    return role in _CONTROLS or bar or (concealed and role != "tabpanel")


def _disclosure(attrs: dict[str, str | None]) -> bool:
    """Whether a button shows and hides a part of the page (ARIA's disclosure pattern): its
    label names what it shows, as a ``<summary>``'s does."""
    return "aria-expanded" in attrs or "aria-controls" in attrs


def _ordered(attrs: dict[str, str | None]) -> _Count:
    return _Count(
        _integer(attrs.get("start"), 1),
        -1 if "reversed" in attrs and attrs.get("start") else 1,
        _LIST_TYPES.get(attrs.get("type") or "1", "decimal"),
    )


_INTEGER = re.compile(r"\s*([+-]?[0-9]{1,9})(?![0-9])")


def _integer(value: str | None, default: int) -> int:
    """An attribute's number as a browser reads it: its leading integer ("5x" is 5)."""
    found = _INTEGER.match(value or "")
    return int(found.group(1)) if found else default


class _PageScan(HTMLParser):
    """What a page's elements are, known only at their end, read ahead of the reader:

    - which table rows lay the page out: a row whose cells hold a heading or a table of
      their own sets the page's parts side by side (an older manual's menu beside its
      text, a title over a table of questions), where a data row's cells hold a value, a
      sentence or a list;
    - which ``<div>``s are a generated manual's bar of links to its neighbouring pages
      ("Next: Types, Previous: Sizes, Up: Index [Contents]", as Texinfo 6 writes them):
      links, one at least marked as such a link (``rel="next"``, ``"index"``…), and
      outside them nothing but labels ending in a colon and punctuation.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.layouts: list[bool] = []  # per row, in the page's order
        self.tables = 0  # tables open
        self.rows: list[tuple[int, int]] = []  # rows open: (their table's depth, index)
        self.bars: list[bool] = []  # per div, in the page's order
        self.divs: list[int] = []  # divs open: their index
        self.plain: list[bool] = []  # per div: all its text outside links is labels
        self.linked: list[bool] = []  # per div: it holds a link to a neighbouring page
        self.links = 0  # links open
        self.links_at: list[int] = []  # per div open: the links open where it began

    def _end_row(self) -> None:
        """The innermost table's row ends: at its end, the next row's start or the table's
        end (HTML lets a page leave out ``</tr>``)."""
        if self.rows and self.rows[-1][0] == self.tables:
            self.rows.pop()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        heading_or_table = tag == "table" or tag in _HtmlReader._HEADINGS
        if heading_or_table and self.rows and self.rows[-1][0] == self.tables:
            self.layouts[self.rows[-1][1]] = True
        if tag == "table":
            self.tables += 1
        elif tag == "tr" and self.tables:  # as the reader counts them: a table's rows
            self._end_row()
            self.rows.append((self.tables, len(self.layouts)))
            self.layouts.append(False)
        elif tag == "div":
            self.divs.append(len(self.bars))
            self.bars.append(False)
            self.plain.append(True)
            self.linked.append(False)
            self.links_at.append(self.links)
        elif tag == "a" and "href" in (named := dict(attrs)):  # an anchor (<a name=…>) is not
            self.links += 1
            if not _NEIGHBOURS.isdisjoint((named.get("rel") or "").lower().split()):
                for div in self.divs:
                    self.linked[div] = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("tr", "table"):
            self._end_row()
        if tag == "table":
            self.tables = max(0, self.tables - 1)
        elif tag == "a":
            self.links = max(0, self.links - 1)
        elif tag == "div" and self.divs:
            div = self.divs.pop()
            self.bars[div] = self.plain[div] and self.linked[div]
            self.links = self.links_at.pop()  # a link left open in it ends with it

    def handle_data(self, data: str) -> None:
        if not self.links and self.divs and not _LABELS.fullmatch(data):
            for div in self.divs:
                self.plain[div] = False

    def handle_entityref(self, name: str) -> None:
        self.handle_data(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.handle_data(unescape(f"&#{name};"))


#: The kinds of link (``rel``) to a document's other parts: its neighbouring pages, its
#: contents and index.
_NEIGHBOURS = frozenset(
    {"next", "prev", "previous", "up", "start", "first", "last", "contents", "toc", "index"}
)
#: Text that is only labels ("Next:", "Up:") and punctuation, between a bar's links.
_LABELS = re.compile(r"(?:[\W_]|[^\W\d_]+:)*")


def _scan_page(html: str) -> _PageScan:
    scan = _PageScan()
    scan.feed(html)
    scan.close()
    return scan


def _html_into(out: _Builder, html: str, base: int, main_only: bool = False) -> bool:
    """Read ``html`` into ``out``; whether its main content was found, when ``main_only``."""
    reader = _HtmlReader(out, html, base, main_only)
    reader.feed(html)
    reader.close()
    reader._release()  # a link the page never closes
    return reader.main_found


# -- list numbers ------------------------------------------------------------------------


_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)


_LETTERED = 26 * 20  # "tttttttttttttttttttt": past it, a list's letters would be a wall


def list_number(count: int, style: str) -> str:
    """A list's counter as shown in ``style``, by Word's names of number formats
    ("lowerRoman"); Arabic for the formats of other scripts."""
    if style in ("lowerLetter", "upperLetter") and 0 < count <= _LETTERED:
        letter = chr(ord("a") + (count - 1) % 26) * ((count - 1) // 26 + 1)  # z, aa, bb
        return letter if style == "lowerLetter" else letter.upper()
    if style in ("lowerRoman", "upperRoman") and 0 < count < 4000:
        roman, rest = "", count
        for value, digits in _ROMAN:
            while rest >= value:
                roman, rest = roman + digits, rest - value
        return roman if style == "lowerRoman" else roman.upper()
    if style == "decimalZero":
        return f"{count:02d}"
    return str(count)


# -- reStructuredText ----------------------------------------------------------------------

#: What a reader of a rendered reST page does not see written: comments, link targets,
#: substitution definitions, images, raw output, footnote marks, the parser's own messages,
#: what docutils writes itself (``sectnum``'s numbers, ``contents``' table: a topic of
#: that class), whose words, looked for in the file, lie pages on.
_RST_UNSEEN = frozenset(
    {
        "generated",
        "comment",
        "target",
        "substitution_definition",
        "image",
        "raw",
        "system_message",
        "pending",
        "footnote_reference",
        "citation_reference",
        "decoration",
        "meta",
        "label",
    }
)
#: Elements that begin a line of their own, and those that begin a cell of their line.
_RST_LINES = frozenset(
    {"list_item", "row", "field", "definition_list_item", "option_list_item", "line", "term"}
)
_RST_CELLS = frozenset({"field_body", "definition", "description"})
#: Where the paragraphs of an element are one unit: a table's cell.
_RST_CELL_TEXT = frozenset({"entry"})
#: Elements that only hold others: what they hold begins its own unit.
_RST_FLOW = frozenset({"document", "container", "tgroup", "thead", "tbody"})
#: What holds blocks on lines of its own, its first block on its own line.
_RST_HOLDERS = _RST_LINES | _RST_CELLS | _RST_CELL_TEXT
_RST_CODE = frozenset({"literal_block", "doctest_block"})
#: Admonitions docutils knows, each headed by its kind.
_RST_ADMONITIONS = frozenset(
    {"attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning"}
)
#: A role the parser does not know (Sphinx's ``:ref:`install```, ``:func:`~a.b```), which
#: it leaves as written: its text, without a target in angle brackets.
_RST_ROLE = re.compile(r":[\w.:+-]+:`(.*?)(?:\s*<[^<>]*>)?`", re.S)
#: A substitution defined as text: ``.. |version| replace:: 2.1``.
_RST_REPLACE = re.compile(r"\.\.\s+\|[^|]+\|\s+replace::")
#: A directive, as a line writes it: its name.
_RST_DIRECTIVE = re.compile(r"^[ \t]*\.\.[ \t]+([A-Za-z][\w.:+-]*)[ \t]*::", re.M)
#: How far past the last word read the next one is looked for: a link's target or a
#: role's name lies between, never a page.
_RST_REACH = 600


def rst_view(origin: str) -> ReadingView:
    """reStructuredText as rendered (docutils): titles, paragraphs, list items, table rows
    and literal blocks each a unit, a table's cells and a field's or a term's body split by
    a tab, an enumerated list's items numbered; no markup, comment, link target or image.
    A directive docutils does not know (Sphinx's ``versionadded``, ``toctree``) reads its
    name, its argument and its content as text; Sphinx's ``code-block`` is code, whatever
    its options. Files are never included, nor raw output passed through."""
    from docutils import nodes
    from docutils.core import publish_doctree

    _register_directives(origin)
    settings = {
        "report_level": 5,
        "halt_level": 5,
        "warning_stream": False,
        "file_insertion_enabled": False,
        "raw_enabled": False,
        "_disable_config": True,
        "doctitle_xform": False,
        "syntax_highlight": "none",
        "input_encoding": "unicode",
    }
    tree = publish_doctree(origin, reader=_rst_reader(), settings_overrides=settings)
    reader = _RstReader(_Builder(origin), _line_starts(origin), nodes)
    reader.walk(tree)
    return reader.out.build()


def _rst_reader() -> Any:
    """docutils' reader, but leaving substitutions as references: their text ("2.1" of
    ``|version|``) is written in their definition, not where they are used, and is drawn
    from the mark (:meth:`_RstReader.substitution`)."""
    from docutils.readers import standalone
    from docutils.transforms import references

    class Reader(standalone.Reader):  # type: ignore[misc]  # docutils ships no types
        def get_transforms(self) -> list[Any]:
            transforms: list[Any] = super().get_transforms()
            return [t for t in transforms if t is not references.Substitutions]

    return Reader()


class _RstReader:
    """Each word of a docutils tree found in the file, in order, from ``cursor``: a block
    that knows its line is looked for from there."""

    def __init__(self, out: _Builder, line_at: list[int], nodes: Any) -> None:
        self.out, self.line_at, self.nodes = out, line_at, nodes
        self.cursor = 0

    def walk(self, node: Any) -> None:
        nodes, out = self.nodes, self.out
        tag = node.tagname
        if tag in _RST_UNSEEN or (tag == "topic" and "contents" in node["classes"]):
            return
        if isinstance(node, nodes.Text):
            self.words(node.astext())  # without the escapes: "H\\ :sub:`2`" reads "H2"
            return
        self.anchor(node)
        if tag == "substitution_reference":
            self.substitution(node)
            return
        if isinstance(node, nodes.Inline) and self.drawn_role(node):
            return
        if tag == "problematic":  # a role the parser does not know, as written
            raw = node.astext()
            role = _RST_ROLE.fullmatch(raw)
            self.words(_role_text(role.group(1)) if role else raw)
            return
        if tag in _RST_CODE:
            out.brk(BLOCK)
            for line in node.astext().split("\n"):
                reach = self.cursor + _RST_REACH + len(line)
                at = self.origin.find(line, self.cursor, reach) if line.strip() else -1
                if at >= 0:
                    out.verbatim(line, at)
                    self.cursor = at + len(line)
                elif line.strip():  # not as written (a tab docutils spread): its words
                    self.words(line)
                out.brk(LINE)
            out.brk(BLOCK)
            return
        parent = node.parent.tagname if node.parent is not None else ""
        before = node.parent.children[: node.parent.index(node)] if parent else []
        first = parent in _RST_HOLDERS and all(n.tagname in _RST_UNSEEN for n in before)
        if tag == "entry":
            out.brk(CELL if node.parent.index(node) else LINE)
        elif tag in _RST_CELLS:
            out.brk(CELL)
        elif tag in _RST_LINES:
            out.brk(LINE)
        elif first or parent in _RST_CELL_TEXT:  # on its item's line, in its cell
            out.space(self.cursor)
        elif not isinstance(node, nodes.Inline) and tag not in _RST_FLOW:
            out.brk(LINE if parent in _RST_HOLDERS else BLOCK)
        if tag == "list_item" and node.parent.tagname == "enumerated_list":
            self.number(node)
        elif tag in _RST_ADMONITIONS:
            self.title(tag)
        for child in node.children:
            self.walk(child)

    @property
    def origin(self) -> str:
        return self.out.origin

    def anchor(self, node: Any) -> None:
        """Look from the line a block begins on: what lies between (a comment, a target)
        was not read. A title's line is its underline's."""
        line = getattr(node, "line", None)
        if not line or node.tagname not in ("paragraph", "list_item", "field", "term", "title"):
            return
        index = line - (2 if node.tagname == "title" else 1)
        self.cursor = max(self.cursor, self.line_at[max(0, min(index, len(self.line_at) - 1))])

    def substitution(self, node: Any) -> None:
        """A substitution's text drawn where the file writes its ``|name|``, as a reader sees
        "2.1" there (``replace::``; an image or a date, nothing); the mark as written when
        the file defines none."""
        written = f"|{node['refname']}|"
        at = self.origin.find(written, self.cursor, self.cursor + _RST_REACH)
        if at < 0:
            return
        document = node.document
        name = document.substitution_names.get(self.nodes.fully_normalize_name(node["refname"]))
        definition = document.substitution_defs.get(name)
        if definition is None:
            shown = written
        elif _RST_REPLACE.match(definition.rawsource):
            shown = " ".join(definition.astext().split())
        else:  # a badge's image; a date, which is today's: no text of the file's
            shown = ""
        if shown:
            self.out.drawn(shown, at, at + len(written))
        self.cursor = at + len(written)

    def drawn_role(self, node: Any) -> bool:
        """A role whose text the file does not write ("PEP 8" of ``:pep:`8```, "RFC 2616")
        drawn where the role is written; False for one that writes its words (``:sub:`2```),
        which are read as they are."""
        raw = node.rawsource
        if not _RST_ROLE.fullmatch(raw or ""):
            return False
        at = self.origin.find(raw, self.cursor, self.cursor + _RST_REACH)
        shown = " ".join(node.astext().split())
        if at < 0 or all(word in raw for word in shown.split()):
            return False
        self.out.drawn(shown, at, at + len(raw))
        self.cursor = at + len(raw)
        return True

    def words(self, text: str) -> None:
        for word in _WORDS.finditer(text):
            at = self.origin.find(word.group(), self.cursor, self.cursor + _RST_REACH)
            if at < 0:  # not written here (a substitution's text): not read
                continue
            if word.start():  # white space before it, not markup alone ("`docs`_.")
                self.out.space(at - 1)
            self.out.words(word.group(), at)
            self.cursor = at + len(word.group())
        if text[-1:].isspace():
            self.out.space(self.cursor)

    def title(self, kind: str) -> None:
        """An admonition's title, a line of its own: the word its directive is written with
        ("note" of ".. note::"), as Sphinx heads it "Note"."""
        found = re.compile(re.escape(kind), re.I).search(
            self.origin, self.cursor, self.cursor + _RST_REACH
        )
        if found:
            self.out.words(found.group(), found.start())
            self.out.brk(LINE)
            self.cursor = found.end()

    def number(self, item: Any) -> None:
        """An enumerated list's item number as docutils renders it, mapped to its marker."""
        found = _RST_ENUMERATOR.search(self.origin, self.cursor, self.cursor + _RST_REACH)
        if found is None:
            return
        listing = item.parent
        number = listing.get("start", 1) + listing.index(item)
        shown = list_number(number, _RST_NUMBERS.get(listing.get("enumtype", ""), ""))
        out = self.out
        out.drawn(f"{listing.get('prefix', '')}{shown}{listing.get('suffix', '.')}", *found.span(1))
        out.space(found.end(1))
        self.cursor = found.end(1)


#: An enumerated list item's marker at its line's start: "1.", "#.", "(a)", "iv)".
_RST_ENUMERATOR = re.compile(
    r"^[ \t]*(\(?(?:\d+|#|[A-Za-z]|[ivxlcdmIVXLCDM]+)[.)])(?:[ \t]|$)", re.M
)


#: docutils' names of an enumerated list's kinds of number, as Word names them.
_RST_NUMBERS = {
    "loweralpha": "lowerLetter",
    "upperalpha": "upperLetter",
    "lowerroman": "lowerRoman",
    "upperroman": "upperRoman",
}


def _role_text(inner: str) -> str:
    """What a role shows of its text: ``~a.b.c`` shows ``c``, ``!x`` shows ``x``."""
    if inner.startswith("~"):
        return inner[1:].rsplit(".", 1)[-1]
    return inner.lstrip("!")


def _register_directives(origin: str) -> None:
    """Teach docutils each directive ``origin`` uses that it does not know: Sphinx's
    ``code-block`` as code, and any other as text, whatever their options."""
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser, directives, languages
    from docutils.utils import new_document

    document = new_document("<rst>", get_default_settings(Parser))
    document.reporter.stream = False
    english = languages.get_language("en")
    code, content = _directives()
    for name in dict.fromkeys(_RST_DIRECTIVE.findall(origin)):
        if name in ("code-block", "sourcecode"):  # docutils' takes none of Sphinx's options
            directives.register_directive(name, code)
        elif directives.directive(name, english, document)[0] is None:
            directives.register_directive(name, content)


@cache
def _directives() -> tuple[type, type]:
    """The directives an unknown one is read as, any option taken and not shown: code, its
    content as written; and text: its name and argument a paragraph (a bare "3.1" would
    read as a section's number), its content reST."""
    from docutils import nodes
    from docutils.parsers.rst import Directive, directives

    shown_not: Callable[[str], Any] = directives.unchanged

    class Options(dict[str, Callable[[str], Any]]):
        def __missing__(self, key: str) -> Callable[[str], Any]:
            return shown_not

    class Content(Directive):  # type: ignore[misc]  # docutils ships no types
        optional_arguments = 1
        final_argument_whitespace = True
        has_content = True
        option_spec = Options(name=shown_not)

        def run(self) -> list[Any]:
            argument = []
            if self.arguments:  # "versionadded 2.1" of "versionadded:: 2.1", on its line
                inline, _ = self.state.inline_text(self.arguments[0], self.lineno)
                argument.append(nodes.paragraph("", "", nodes.Text(f"{self.name} "), *inline))
            box = nodes.container()
            self.state.nested_parse(self.content, self.content_offset, box)
            return [*argument, box]

    class Code(Content):
        def run(self) -> list[Any]:
            text = "\n".join(self.content)
            return [nodes.literal_block(text, text)]

    return Code, Content


# -- by kind of file -----------------------------------------------------------------------


def reading_view(suffix: str, origin: str) -> ReadingView:
    """The view of a file's decoded text, by the file's kind (``suffix``, lower case)."""
    if suffix in (".md", ".markdown"):
        return markdown_view(origin)
    if suffix == ".rst":
        return rst_view(origin)
    if suffix in (".html", ".htm"):
        return html_view(origin)
    if suffix == ".docx":
        return identity_view(origin)
    return plain_view(origin, laid_out=suffix == ".pdf")
