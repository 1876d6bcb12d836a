"""The reading view: no markup left, units kept apart, every character mapped back exactly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.view import ReadingView, html_view, markdown_view, plain_view, reading_view, rst_view

words = st.from_regex(r"[A-Za-z][a-z0-9]{0,7}", fullmatch=True)


@dataclass
class Doc:
    """A generated document: its source, and the words and units its reader sees."""

    source: str = ""
    seen: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # lines the view must hold whole
    drawn: dict[str, str] = field(default_factory=dict)
    """A list's number the view counts, by what the file writes in its place."""


# -- Markdown --------------------------------------------------------------------------------


@st.composite
def md_inline(draw: st.DrawFn) -> tuple[str, list[str]]:
    """One inline piece: its Markdown and the words a reader sees of it."""
    word = draw(words)
    kinds = ["plain", "em", "strong", "code", "link", "autolink", "image", "html", "amp"]
    kind = draw(st.sampled_from(kinds))
    return {
        "plain": (word, [word]),
        "em": (f"*{word}*", [word]),
        "strong": (f"**{word}**", [word]),
        "code": (f"`{word}`", [word]),
        "link": (f"[{word}](https://example.org/{word}/x.md)", [word]),
        "autolink": (f"<{word}@example.org>", [f"{word}@example.org"]),
        "image": (f"![{word}](https://img.example/{word}.svg)", []),
        "html": (f"<b>{word}</b>", [word]),
        "amp": ("&amp;", ["&"]),
    }[kind]


@st.composite
def md_text(draw: st.DrawFn, wrap: bool) -> tuple[str, list[str]]:
    """A run of inline pieces, hard-wrapped at random when ``wrap``; at least one word seen."""
    first = draw(words)
    pieces = [(first, [first]), *draw(st.lists(md_inline(), max_size=8))]
    source, seen = "", []
    for at, (text, visible) in enumerate(pieces):
        if at:
            source += "\n" if wrap and draw(st.booleans()) else " "
        source += text
        seen += visible
    return source, seen


def list_block(
    items: list[tuple[str, list[str]]], marker: str, numbered: bool
) -> tuple[str, list[str], list[str], dict[str, str]]:
    """A list of ``items`` after ``marker``, and what is read of it: its words, its lines,
    and, ``numbered``, each item's number (1, 2, 3) drawn from its marker."""
    block = "\n".join(marker + text for text, _ in items)
    labels = [f"{n}." if numbered else "" for n in range(1, len(items) + 1)]
    read = [
        [label, *item] if label else item for label, (_, item) in zip(labels, items, strict=True)
    ]
    drawn = {label: marker.strip() for label in labels if label}
    return block, [w for item in read for w in item], [" ".join(item) for item in read], drawn


@st.composite
def markdown_docs(draw: st.DrawFn) -> Doc:
    doc = Doc()
    marker = ""  # the last block's list marker: a list right after one with the same goes on
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(["heading", "paragraph", "list", "table", "code", "html", "break"])
        )
        if kind == "heading":
            text, seen = draw(md_text(wrap=False))
            block, units = f"{'#' * draw(st.integers(1, 4))} {text}", [" ".join(seen)]
        elif kind == "paragraph":
            block, seen = draw(md_text(wrap=True))
            units = []
        elif kind == "list":
            items = draw(st.lists(md_text(wrap=False), min_size=1, max_size=4))
            marker = draw(st.sampled_from([m for m in ["- ", "* ", "1. "] if m != marker]))
            block, seen, units, drawn = list_block(items, marker, numbered=marker == "1. ")
            doc.drawn |= drawn  # "1." on each: 1, 2, 3
        elif kind == "table":
            pairs = draw(st.lists(st.tuples(words, words, st.booleans()), min_size=2, max_size=4))
            cells = [[a, a if same else b] for a, b, same in pairs]  # a cell may repeat its left
            head, *rows = cells
            block = "\n".join(
                [f"| {head[0]} | {head[1]} |", "|---|---|", *(f"| {a} | `{b}` |" for a, b in rows)]
            )
            seen = [w for row in cells for w in row]
            units = ["\t".join(row) for row in cells]
        elif kind == "code":
            lines = draw(st.lists(st.lists(words, min_size=1, max_size=4), min_size=1, max_size=3))
            block = "```\n" + "\n".join(" ".join(line) for line in lines) + "\n```"
            seen = [w for line in lines for w in line]
            units = [" ".join(line) for line in lines]
        elif kind == "html":
            a, b = draw(words), draw(words)
            block = f'<p align="center"><a href="https://x.example/{a}">{a}</a> {b}</p>'
            seen, units = [a, b], []
        else:  # a line break written as HTML: two lines, however short
            a, b = draw(words), draw(words)
            block = f"{a}{draw(st.sampled_from(['<br>', '<br/>', '<BR />']))}{b}"
            seen, units = [a, b], [a, b]
        doc.source += block + "\n\n"
        doc.seen += seen
        doc.units += units
        marker = marker if kind == "list" else ""
    return doc


# -- reStructuredText ------------------------------------------------------------------------


@st.composite
def rst_inline(draw: st.DrawFn) -> tuple[str, list[str]]:
    """One inline piece of reST: its source and the words a reader sees of it."""
    word = draw(words)
    kind = draw(st.sampled_from(["plain", "em", "strong", "literal", "link", "role", "short"]))
    return {
        "plain": (word, [word]),
        "em": (f"*{word}*", [word]),
        "strong": (f"**{word}**", [word]),
        "literal": (f"``{word}``", [word]),
        "link": (f"`{word} <https://example.org/{word}/>`_", [word]),
        "role": (f":ref:`{word}`", [word]),  # a role docutils does not know (Sphinx's)
        "short": (f":func:`~pkg.mod.{word}`", [word]),
    }[kind]


@st.composite
def rst_text(draw: st.DrawFn) -> tuple[str, list[str]]:
    first = draw(words)
    pieces = [(first, [first]), *draw(st.lists(rst_inline(), max_size=6))]
    source = " ".join(text for text, _ in pieces)
    return source, [w for _, seen in pieces for w in seen]


@st.composite
def rst_docs(draw: st.DrawFn) -> Doc:
    doc = Doc()
    numbered = False  # the last block is an enumerated list: one right after it goes on
    for _ in range(draw(st.integers(1, 6))):
        numbered_before, numbered = numbered, False
        kind = draw(
            st.sampled_from(
                [
                    "title",
                    "paragraph",
                    "list",
                    "code",
                    "comment",
                    "note",
                    "contents",
                    "substitution",
                    "other",
                ]
            )
        )
        if kind == "title":
            text, seen = draw(rst_text())
            block, units = f"{text}\n{'=' * len(text)}", [" ".join(seen)]
        elif kind == "paragraph":
            block, seen = draw(rst_text())
            units = []
        elif kind == "list":
            items = draw(st.lists(rst_text(), min_size=1, max_size=4))
            numbered = draw(st.booleans()) and not numbered_before  # else one list goes on
            marker = "#. " if numbered else "- "
            block, seen, units, drawn = list_block(items, marker, numbered)
            doc.drawn |= drawn
        elif kind == "code":
            lines = draw(st.lists(st.lists(words, min_size=1, max_size=4), min_size=1, max_size=3))
            block = "::\n\n" + "\n".join("    " + " ".join(line) for line in lines)
            seen = [w for line in lines for w in line]
            units = [" ".join(line) for line in lines]
        elif kind == "comment":
            block, seen, units = f".. {draw(words)} {draw(words)}", [], []
        elif kind == "contents":  # a table of the titles, which docutils writes: not read
            block, seen, units = ".. contents::\n\n.. sectnum::", [], []
        elif kind == "substitution":  # its text drawn where it is used, from its mark
            text, seen = draw(rst_text())
            name, shown = f"sub{len(doc.source)}", f"replaced{len(doc.source)}x"  # no word
            block = f"|{name}| {text}\n\n.. |{name}| replace:: {shown}"
            seen, units = [shown, *seen], []
            doc.drawn[shown] = f"|{name}|"
        elif kind == "note":
            text, seen = draw(rst_text())
            block, units = f".. note::\n\n   {text}", ["note", " ".join(seen)]
            seen = ["note", *seen]
        else:  # a directive docutils does not know: its argument and content read
            text, seen = draw(rst_text())
            block, seen = f".. versionadded:: 3.1\n\n   {text}", ["versionadded", "3.1", *seen]
            units = []
        doc.source += block + "\n\n"
        doc.seen += seen
        doc.units += units
    return doc


# -- HTML ------------------------------------------------------------------------------------


@st.composite
def html_docs(draw: st.DrawFn) -> Doc:
    doc = Doc(source="<html><head><title>hidden</title><style>p {}</style></head><body>")
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(
                [
                    *("h", "p", "ul", "ol", "table", "bare table", "dl", "dl list", "pre"),
                    *("script", "menu"),
                ]
            )
        )
        a, b, c = draw(words), draw(words), draw(words)
        if kind == "h":  # with a permalink, whose mark is no word of the text
            mark = draw(st.sampled_from(["", "¶", "&para;", "&#182;", " # "]))
            link = f'<a class="headerlink" href="#{a}">{mark}</a>' if mark else ""
            block, seen, units = f"<h2>{a} <em>{b}</em>{link}</h2>", [a, b], [f"{a} {b}"]
        elif kind == "p":
            block = (  # an operator linked to its page is text; a permalink's mark is not
                f'<p>{a}\n  <a href="/{b}.html">{b}</a> <a href="/and">&amp;</a> <code>{c}</code>'
                f'<img alt="{a}"><a class="headerlink" href="#{a}">&#182;</a></p>'
            )
            seen, units = [a, b, "&", c], []
        elif kind == "ul":
            block, seen, units = (
                f"<ul><li>{a} {b}</li><li>{c}</li></ul>",
                [a, b, c],
                [f"{a} {b}", c],
            )
        elif kind == "ol":  # the browser draws the numbers, from the list's start
            start = draw(st.integers(1, 12))
            p, q = draw(st.sampled_from([("<p>", "</p>"), ("<div><p>", "</p></div>")]))
            block, seen, units = (
                f'<ol start="{start}"><li>{a} {b}</li><li>{p}{c}{q}</li></ol>',
                [f"{start}.", a, b, f"{start + 1}.", c],
                [f"{start}. {a} {b}", f"{start + 1}. {c}"],
            )
            doc.drawn |= {f"{start}.": "<li>", f"{start + 1}.": "<li>"}
        elif kind == "table":  # a cell's paragraphs (as Sphinx writes them) stay in its row
            p, q = draw(st.sampled_from([("", ""), ("<p>", "</p>"), ("<div><p>", "</p></div>")]))
            block = (
                f"<table><tr><th>{a}</th><th>{b}</th></tr>"
                f"<tr><td>{p}{c}{q}</td><td>{p}{a}{q} {p}{b}{q}</td></tr></table>"
            )
            seen, units = [a, b, c, a, b], [f"{a}\t{b}", f"{c}\t{a} {b}"]
        elif kind == "bare table":  # the end tags HTML lets a page leave out, left out
            block = f"<table><tr><td>{a}<td><p>{b}<tr><td>{c}</table><dl><dt>{a}<dd>{b}</dl>"
            seen, units = [a, b, c, a, b], [f"{a}\t{b}", c, f"{a}\t{b}"]
        elif kind == "dl":  # a term and its definition (Sphinx, Debian's guides): one line
            block = f"<dl><dt>{a}</dt><dd><p>{b}</p><p>{c}</p></dd></dl>"
            seen, units = [a, b, c], [f"{a}\t{b} {c}"]
        elif kind == "dl list":  # a definition that lists: its items apart, a cell each
            block = f"<dl><dt>{a}</dt><dd><ul><li>{b}</li><li>{c}</li></ul></dd></dl>"
            seen, units = [a, b, c], [f"{a}\t{b}\t{c}"]
        elif kind == "pre":
            block, seen, units = (  # a highlighter's tags around each word, or none
                f"<pre>{a}  {b}\n{c}</pre>"
                f"<pre><span>{a}</span> <span>{b}</span>\n<i>  </i><b>{c}</b></pre>",
                [a, b, c, a, b, c],
                [f"{a}  {b}", c, f"{a} {b}", f"  {c}"],
            )
        elif kind == "menu":  # a sidebar's contents, a menu, what is not shown: unread
            block = (
                f'<div role="navigation"><div><ul><li>{a}</li></ul></div><div>{b}</div></div>'
                f"<nav><ol><li>{c}</li></ol></nav><p><span hidden>{b}</span></p>"
                f'<ul role="menu"><li><button role="menuitem">{a}</button></li></ul>'
                f'<p><a href="#{c}" aria-hidden="true">{c}</a></p>'
            )
            seen, units = [], []
        else:
            block, seen, units = f"<script>var {a} = '{b}';</script>", [], []
        doc.source += block + "\n"
        doc.seen += seen
        doc.units += units
    doc.source += "</body></html>"
    return doc


# -- the properties --------------------------------------------------------------------------


def assert_read_as_seen(view: ReadingView, doc: Doc) -> None:
    assert view.text.split() == doc.seen
    lines = view.text.split("\n")
    for unit in doc.units:
        assert unit in lines, f"{unit!r} is not a line of its own"
    # No markup: the generated words are letters and digits, "&" is the one entity, "@" is
    # an autolink's address.
    assert set(view.text) <= set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789&@. \n\t"
    )
    # Every word maps back to where the file writes it, a list's number to its marker, in
    # the file's order: not to the same word written earlier.
    at = written = 0
    for word in view.text.split():
        start = view.text.index(word, at)
        at = start + len(word)
        begin, end = view.to_origin(start, at)
        assert view.origin[begin:end] == doc.drawn.get(word, word if word != "&" else "&amp;")
        assert begin >= written, f"{word!r} is mapped back before the word read ahead of it"
        written = end


def assert_in_file_order(view: ReadingView) -> None:
    """Each word maps back after the one read ahead of it, inside the file."""
    written = 0
    for word in re.finditer(r"\S+", view.text):
        begin, end = view.to_origin(word.start(), word.end())
        assert written <= begin <= end <= len(view.origin), word.group()
        written = end


def assert_maps_back(view: ReadingView, origin: str, text: str) -> None:
    """The first ``text`` of the view comes from the same text in the file."""
    start = view.text.index(text)
    assert origin[slice(*view.to_origin(start, start + len(text)))] == text


@settings(max_examples=150, deadline=None)
@given(markdown_docs())
def test_markdown_reads_as_rendered_and_maps_back(doc: Doc) -> None:
    assert_read_as_seen(markdown_view(doc.source), doc)


@settings(max_examples=150, deadline=None)
@given(rst_docs())
def test_rst_reads_as_rendered_and_maps_back(doc: Doc) -> None:
    assert_read_as_seen(rst_view(doc.source), doc)


@settings(max_examples=150, deadline=None)
@given(html_docs())
def test_html_reads_as_rendered_and_maps_back(doc: Doc) -> None:
    assert_read_as_seen(html_view(doc.source), doc)


RST = """\
=======
Widgets
=======

.. |ver| replace:: 2.4
.. image:: https://ci.example/badge.svg
   :target: https://ci.example/job

.. A comment the page never shows.

Install with ``pip install widgets[cli]`` and read `the guide <https://example.org/guide>`_
or :ref:`quickstart`; the entry point is :func:`~widgets.core.run`.

Options
-------

#. Copy ``widgets.toml``.
#. Run the checks.

:Author: Ada Lovelace
:Version: 2.4

timeout
   Seconds to wait, 30 by default.

+---------+---------+
| Option  | Default |
+=========+=========+
| retries | 3       |
+---------+---------+

.. note::
   Widgets need Python 3.9.

.. versionadded:: 2.1
   The ``--dry-run`` flag.

.. code-block:: python

   import widgets
   widgets.run()
"""


def test_rst_reads_as_sphinx_renders_it_without_its_markup() -> None:
    view = reading_view(".rst", RST)
    lines = view.text.split("\n")
    assert lines[0] == "Widgets" and "A comment" not in view.text and "badge" not in view.text
    assert (
        "Install with pip install widgets[cli] and read the guide or quickstart; the entry"
        " point is run." in lines
    )
    for line in [
        "1. Copy widgets.toml.",
        "2. Run the checks.",
        "Author\tAda Lovelace",
        "timeout\tSeconds to wait, 30 by default.",
        "Option\tDefault",
        "retries\t3",
        "note",
        "Widgets need Python 3.9.",
        "versionadded 2.1 The --dry-run flag.",
        "   widgets.run()".strip(),
    ]:
        assert line in lines
    for word in ("widgets[cli]", "quickstart", "run", "--dry-run", "Lovelace"):
        assert_maps_back(view, RST, word)


@pytest.mark.parametrize("opens, closes", [("<main>", "</main>"), ('<div role="main">', "</div>")])
def test_a_page_that_marks_its_main_content_is_read_for_it_alone(opens: str, closes: str) -> None:
    chrome = '<div class="menu-bar"><h1>The Book</h1><p>Press ? to show this help</p></div>'
    page = (
        f"<html><body>{chrome}{opens}<h1>FAQ</h1><div><p>Cargo caches crates.</p></div>"
        f"{closes}<footer>Built by a tool, 2024</footer></body></html>"
    )
    view = html_view(page)
    assert view.text == "FAQ\n\nCargo caches crates."
    assert_maps_back(view, page, "caches")
    assert "The Book" in html_view(page.replace(opens, "<div>").replace(closes, "</div>")).text
    # "<main>" where no element is (a comment, a script, words): the whole page is read
    for aside in ("<!-- <main> -->", "<script>x = '<main>'</script>", 'Write role="main".'):
        plain = page.replace(opens, "<div>").replace(closes, f"{aside}</div>")
        assert "Cargo caches crates." in html_view(plain).text


def test_rst_code_with_sphinx_options_a_tab_and_items_begun_on_their_next_line() -> None:
    source = (
        ".. code-block:: python\n   :caption: demo\n   :linenos:\n\n   import x\n\n"
        "::\n\n    a\tb\n\n"
        "1.\n   first item\n2.\n   second item\n\nFiller words.\n\n1. later list\n"
    )
    lines = rst_view(source).text.split("\n")
    assert lines[:3] == ["import x", "", "a b"]
    assert lines[4:6] == ["1. first item", "2. second item"]
    assert lines[-1] == "1. later list"


def test_rst_contents_and_section_numbers_docutils_writes_are_not_read() -> None:
    """``.. contents::`` writes every title again at the top: looked for in the file, its
    words were found at their sections and the sections' own text was passed over."""
    source = (
        "Guide\n=====\n\n.. contents:: Table of Contents\n   :local:\n\n.. sectnum::\n\n"
        "Limits\n------\n\nThe xmlrpc patch caps requests at 30 MB by default.\n\n"
        "History\n-------\n\nBillion laughs was first reported in 2003, fixed in 1.1.\n"
    )
    view = rst_view(source)
    assert view.text.split("\n\n") == [
        "Guide",
        "Limits",
        "The xmlrpc patch caps requests at 30 MB by default.",
        "History",
        "Billion laughs was first reported in 2003, fixed in 1.1.",
    ]
    assert_maps_back(view, source, "The xmlrpc patch caps requests at 30 MB by default.")


def test_rst_substitutions_read_where_they_are_used_from_their_mark() -> None:
    """A reader sees "2.1" where ``|version|`` stands; a badge's image, or today's date,
    is no text of the file's. A table docutils dates to the file's first line is read."""
    source = (
        ".. csv-table::\n   :header: Item, Cost\n\n   Apple, 3 dollars\n\n"
        "The current release is |version| |badge| built |today| on CI.\n\n"
        ".. |version| replace:: 2.1\n.. |badge| image:: https://x/b.svg\n.. |today| date::\n"
    )
    view = rst_view(source)
    assert view.text.split("\n") == [
        "Item\tCost",
        "Apple\t3 dollars",
        "",
        "The current release is 2.1 built on CI.",
    ]
    at = view.text.index("2.1")
    assert source[slice(*view.to_origin(at, at + 3))] == "|version|"
    assert "Use |pipe| here." in rst_view("Use |pipe| here.\n").text  # none defined: as written


def test_rst_roles_read_as_rendered_and_escaped_spaces_join_words() -> None:
    """``:pep:`517``` reads "PEP 517", drawn over the role: the word "PEP" is not written
    there, and looking for it further on skipped every word up to a later "PEP". An escaped
    space joins, as docutils renders it: "H2O", "pips"."""
    source = (
        "Intro mentions :rfc:`2616` and :pep:`517` briefly.\n\n"
        "Later, under PEP 517, caching rules are discussed.\n\n"
        "Water is H\\ :sub:`2`\\ O and ``pip``\\ s are tools.\n"
    )
    view = rst_view(source)
    assert view.text.split("\n\n") == [
        "Intro mentions RFC 2616 and PEP 517 briefly.",
        "Later, under PEP 517, caching rules are discussed.",
        "Water is H2O and pips are tools.",
    ]
    at = view.text.index("PEP 517")
    assert source[slice(*view.to_origin(at, at + 7))] == ":pep:`517`"
    at = view.text.index("H2O")
    assert source[slice(*view.to_origin(at, at + 3))] == "H\\ :sub:`2`\\ O"


def test_a_span_across_units_maps_to_the_file_text_between() -> None:
    source = "# Install\n\nRun `pip install x` to\nget **it**.\n"
    view = markdown_view(source)
    assert view.text == "Install\n\nRun pip install x to get it."
    begin, end = view.to_origin(view.text.index("pip"), len(view.text))
    assert source[begin:end] == "pip install x` to\nget **it**."


def test_footnotes_are_blocks_where_they_are_written_and_their_marks_are_not_read() -> None:
    source = (
        "| Name | Licence |\n|---|---|\n| cchardet[^3] | MIT[^2] |\n\n"
        "Universal[^1] detector.\n\n[^1]: Covers all encodings.\n[^2]: A licence,\n"
        "    disputed.\n[^3]: A fork.\n\nMore text here.\n"
    )
    view = markdown_view(source)
    assert "[^" not in view.text and "cchardet\tMIT" in view.text.split("\n")
    assert view.text.split("\n\n")[2:] == [
        "Covers all encodings.",
        "A licence, disputed.",
        "A fork.",
        "More text here.",
    ]
    # in the file's order, so that any span of the view maps to the text it was read from
    at = view.text.index("A licence")
    begin, end = view.to_origin(at, len(view.text))
    assert source[begin:end] == source[source.index("A licence") : source.rindex(".") + 1]
    # no inline footnotes: "^[...]" is a pattern's text, and a stray definition no crash
    assert markdown_view("Match names with ^[a-z]+$ only.").text == (
        "Match names with ^[a-z]+$ only."
    )
    assert markdown_view("Text[^a].\n\n[^a]: 1. [^b]: nested\n").text.startswith("Text.")


@pytest.mark.parametrize("depth", [10, 45, 300])
def test_lists_and_quotes_nested_deep_lose_none_of_the_file(depth: int) -> None:
    """markdown-it stops at its nesting limit and drops the rest of the file: a list 10
    deep is read as Markdown (commonmark's own limit stopped at 10), one past the limit as
    plain text, never cut short; a quote 2,000 deep neither (nor a RecursionError)."""
    nested = "".join(f"{'  ' * i}- item {i}\n" for i in range(depth)) + "\nThe end.\n"
    view = markdown_view(nested)
    assert view.text.endswith("The end.") and f"item {depth - 1}" in view.text
    assert "-" not in view.text  # bullets are not read, as Markdown or as plain text
    assert_in_file_order(view)
    quoted = markdown_view(">" * 2000 + " Deep.\n\nThe end.\n")
    assert quoted.text.endswith("Deep.\n\nThe end.")


def test_ordered_lists_are_numbered_as_rendered() -> None:
    source = "Steps:\n\n1. Stop.\n1. Copy.\n   1. Check.\n1. Start.\n\n7) Seven\n8) Eight\n"
    assert markdown_view(source).text.split("\n") == [
        "Steps:",
        "",
        "1. Stop.",
        "2. Copy.",
        "1. Check.",
        "3. Start.",
        "",
        "7) Seven",
        "8) Eight",
    ]
    html = '<ol start="4"><li>Four</li><li value="9"><p>Nine</p></li></ol><ol type="a"><li>x'
    assert html_view(html).text.split("\n") == ["4. Four", "9. Nine", "", "a. x"]
    assert markdown_view("0. zero\n1. one\n").text == "0. zero\n1. one"
    nested = markdown_view("1. 1. inner\n")  # an item nested on its parent's line
    begin = nested.text.index("1.", 2)
    assert nested.to_origin(begin, begin + 2) == (3, 5)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<ol><li value="--3">a</li></ol>', "1. a"),  # no number: counted on
        ('<ol start="³"><li>a</li></ol>', "1. a"),
        ('<ol start="5x"><li>a</li></ol>', "5. a"),  # as a browser reads it
        ('<ol type="a" start="99999999999999"><li>a</li></ol>', "a. a"),  # out of range
        ('<ol type="a" start="1000"><li>a</li></ol>', "1000. a"),  # no wall of letters
        ('<ol type="A" start="27"><li>a</li></ol>', "AA. a"),
        ("<ol><li>a</li></ul><li>b</li></ol>", "1. a\n\n2. b"),  # a stray end of a list
        ("<ul><li>a</li><ol><li>b</li></ol></ul>", "a\n\n1. b"),
    ],
)
def test_html_list_numbers_of_odd_attributes(html: str, expected: str) -> None:
    assert html_view(html).text == expected


def test_a_line_break_written_as_html_keeps_a_table_row_one_unit() -> None:
    source = "| Platform | Needs |\n|---|---|\n| Linux | glibc 2.28<br>kernel 4.19 |\n"
    assert markdown_view(source).text.split("\n") == [
        "Platform\tNeeds",
        "Linux\tglibc 2.28 kernel 4.19",
    ]


def test_a_cell_that_repeats_a_cell_before_it_maps_back_to_its_own_place() -> None:
    source = (
        "| Tool | Binaries |\n|---|---|\n| [pnpm][] | `pnpm`, `pnpx` |\n\n[pnpm]: https://pnpm.io\n"
    )
    view = markdown_view(source)
    assert view.text.split("\n")[1] == "pnpm\tpnpm, pnpx"
    second = view.text.index("\tpnpm") + 1
    begin, end = view.to_origin(second, second + len("pnpm, pnpx"))
    assert source[begin:end] == "pnpm`, `pnpx"


def test_an_escaped_pipe_and_a_footnote_mark_in_a_cell_map_back_to_their_own_place() -> None:
    source = (
        "| Flag | Means | Level |\n|---|---|---|\n| `-a\\|-b` | x \\| y[^1] | 1 |\n\n[^1]: A.\n"
    )
    view = markdown_view(source)
    assert view.text.split("\n")[1] == "-a|-b\tx | y\t1"
    assert_in_file_order(view)
    assert_maps_back(view, source, "-a")
    code = view.text.index("-a|-b")
    assert source[slice(*view.to_origin(code, code + 5))] == "-a\\|-b"
    last = view.text.index("\t1") + 1  # the cell "1", not the "1" of the mark "[^1]" before it
    cell = source.rindex("| 1 |") + 2
    assert view.to_origin(last, last + 1) == (cell, cell + 1)
    # a pipe first in its cell, two in a row: each to its own "\|", not to a cell's bar
    source = "| a | b |\n|---|---|\n| \\| x | \\|\\| |\n"
    view = markdown_view(source)
    assert view.text.split("\n")[1] == "| x\t||"
    pipes = [view.to_origin(i, i + 1) for i, char in enumerate(view.text) if char == "|"]
    escaped = [(m.start(), m.end()) for m in re.finditer(r"\\\|", source)]
    assert pipes == escaped


@pytest.mark.parametrize(
    ("source", "written"),
    [
        ("a `b\nc` d `b c`\n", "b\nc"),  # the same words on one line, in the same paragraph
        ("- a `b\nc` d\nlazy `b c`\n\n# `b c`\n", "b\nc"),
        (
            "Build from the `preferred form of\nthe work` as written.\n\n"
            "## `preferred form of the work`\n",
            "preferred form of\nthe work",
        ),
    ],
)
def test_a_wrapped_code_span_is_not_taken_for_the_same_words_further_on(
    source: str, written: str
) -> None:
    view = markdown_view(source)
    words = " ".join(written.split())
    first = view.text.index(words)
    begin, end = view.to_origin(first, first + len(words))
    assert source[begin:end] == written
    assert_in_file_order(view)


@pytest.mark.parametrize("separator", ["\x0c", "\x85", "\u2028", "\x1e"])
def test_line_separators_the_parser_does_not_count_keep_the_map(separator: str) -> None:
    """str.splitlines breaks lines where markdown-it and html.parser do not."""
    markdown = f"a{separator}b\n\nsome *para* text &amp; more\n\n| a{separator}b | c |\n|---|---|\n"
    html = f"<p>a{separator}b</p>\r<p>some\rtext</p>\n<p>c</p>"
    for view in (markdown_view(markdown), html_view(html)):
        assert_in_file_order(view)
        for word in re.finditer(r"\S+", view.text):
            begin, end = view.to_origin(word.start(), word.end())
            assert view.origin[begin:end].replace("&amp;", "&") == word.group()
    assert "some para text & more" in markdown_view(markdown).text


def test_front_matter_fields_and_alert_markers_read_as_their_words() -> None:
    source = (
        "---\ntitle: Porting the daemon\ncategory: Concepts\n---\n\n# Porting\n\n"
        "> [!WARNING]\n> Back up first.\n\n> [!TIP] Use `--dry-run`.\n\n> A [!quote].\n"
    )
    view = markdown_view(source)
    assert view.text.split("\n") == [
        "title: Porting the daemon",
        "category: Concepts",
        "",
        "Porting",
        "",
        "WARNING",
        "Back up first.",
        "",
        "TIP",
        "Use --dry-run.",
        "",
        "A [!quote].",
    ]
    for word in ("Concepts", "WARNING", "Back", "TIP"):
        begin, end = view.to_origin(view.text.index(word), view.text.index(word) + len(word))
        assert source[begin:end] == word
    # a rule at the top, then text that is no YAML, is Markdown
    assert markdown_view("---\nSome *text*.\n\n---\n").text == "Some text."


def test_a_header_of_fields_over_markdown_is_read_a_field_a_line() -> None:
    """MultiMarkdown's metadata, or a package's METADATA over its Markdown description: as
    one paragraph, "Author: Ada Lovelace Author-email: ada@…" gave the next field's name
    with the author's."""
    source = (
        "Metadata-Version: 2.4\nName: quill\nAuthor: Ada Lovelace\n"
        "Author-email: ada@quill.example\nClassifier: Typing :: Typed\n"
        "Description-Content-Type: text/markdown\n\n# Quill\n\nNote: it *writes*.\nIn ink.\n"
    )
    assert markdown_view(source).text.split("\n") == [
        "Metadata-Version: 2.4",
        "Name: quill",
        "Author: Ada Lovelace",
        "Author-email: ada@quill.example",
        "Classifier: Typing :: Typed",
        "Description-Content-Type: text/markdown",
        "",
        "Quill",
        "",
        "Note: it writes. In ink.",
    ]
    # one field over a line that is none is a paragraph, as are lines of prose or markup
    assert markdown_view("Note: it *writes*.\nIn ink.\n").text == "Note: it writes. In ink."
    prose = "This release fixes a bug: the parser no longer\ncrashes: it returns None.\n"
    assert markdown_view(prose).text == " ".join(prose.split())
    marked = "Requires: a **recent** pip\nPlatforms: [Windows](https://x.org)\n"
    assert markdown_view(marked).text == "Requires: a recent pip Platforms: Windows"


# -- plain text ------------------------------------------------------------------------------

WRAPPED = """\
Release 2.1 (4 March 2031)

* The scheduler now retries a failed upload three times before it
  gives up, and logs each attempt with its reason:
    retry: upload of part 3 failed (timeout)
  This can be turned off with --no-retry.
* Smaller installs.

(a) a clause that runs on past the width of the text it sits in, so
    it was wrapped with a hanging indent.
=========================================================
"""


def test_plain_text_joins_hard_wrapped_lines_and_keeps_short_ones() -> None:
    view = plain_view(WRAPPED)
    assert view.text.split("\n") == [
        "Release 2.1 (4 March 2031)",
        "",
        "The scheduler now retries a failed upload three times before it gives up, and logs "
        "each attempt with its reason:",
        "retry: upload of part 3 failed (timeout)",
        "This can be turned off with --no-retry.",
        "Smaller installs.",
        "",
        "(a) a clause that runs on past the width of the text it sits in, so it was wrapped "
        "with a hanging indent.",
    ]
    start = view.text.index("it gives")
    begin, end = view.to_origin(start, start + len("it gives"))
    assert WRAPPED[begin:end] == "it\n  gives"


def test_an_outline_heading_of_a_plain_text_loses_its_stars_as_a_bullet_does() -> None:
    """GNU NEWS files (and Org mode's outlines) mark a release "* Noteworthy changes …" and
    its parts "** Bug fixes": no reader sees the stars of either."""
    text = (
        "* Noteworthy changes in release 4.9 (2022-11-06) [stable]\n\n"
        "** Bug fixes\n\n"
        "  'sed --follow-symlinks -i' no longer loops forever when its operand\n"
        "  is a symbolic link cycle.\n\n"
        "*** Deep note\n"
    )
    view = plain_view(text)
    assert view.text.split("\n") == [
        "Noteworthy changes in release 4.9 (2022-11-06) [stable]",
        "",
        "Bug fixes",
        "",
        "'sed --follow-symlinks -i' no longer loops forever when its operand is a symbolic "
        "link cycle.",
        "",
        "Deep note",
    ]
    start = view.text.index("Bug")
    assert text[slice(*view.to_origin(start, start + 9))] == "Bug fixes"


FIELDS = """\
Report a bug where it belongs, after checking that nobody has reported it
before you, in the tracker of the part of the system that it concerns:

    Packaging:  https://bugs.example.org/package-name@lists.example.org
    Upstream: https://tracker.example.org/
    Security: write to security@example.org and do not open a public issue
  - Bug reports: https://bugs.example.org/cgi-bin/report?product=package-n
    Home page: https://www.example.org/

When you write, give the exact version you run and the command that
failed: that is, the whole command line with all of its options given.
"""


def test_lines_of_fields_are_units_even_when_they_fill_the_width() -> None:
    lines = plain_view(FIELDS).text.split("\n")
    assert "Packaging: https://bugs.example.org/package-name@lists.example.org" in lines
    assert "Upstream: https://tracker.example.org/" in lines
    assert "Home page: https://www.example.org/" in lines  # under a list item's field
    # a wrapped sentence whose next line begins "failed:" is still one unit
    assert lines[-1] == (
        "When you write, give the exact version you run and the command that failed: that "
        "is, the whole command line with all of its options given."
    )


CLAUSES = """\
  1. Nightly backups of every production database are kept for thirty
days, after which the oldest snapshot is deleted by the pruning job.
  ii. Weekly full backups are copied to the offsite vault run by Iron
Mountain and are kept for one year before they are destroyed, each one.
  The restores of a database are requested through the service desk.
A restore of a production database needs a sign-off by the data owner.
iii. Nothing else is kept: the logs of the jobs are deleted every week
after they have been read.
-q
       Quiet: do not print what was restored, nor the names of its files.
-v
"""


def test_a_first_line_set_in_goes_on_at_the_left_margin() -> None:
    assert plain_view(CLAUSES).text.split("\n") == [
        "1. Nightly backups of every production database are kept for thirty days, after "
        "which the oldest snapshot is deleted by the pruning job.",
        "ii. Weekly full backups are copied to the offsite vault run by Iron Mountain and are "
        "kept for one year before they are destroyed, each one.",
        # a sentence that ends the first line: the next line at the margin begins a unit
        "The restores of a database are requested through the service desk.",
        "A restore of a production database needs a sign-off by the data owner.",
        # a label is a unit's beginning, and the lines after the second keep its column
        "iii. Nothing else is kept: the logs of the jobs are deleted every week after they "
        "have been read.",
        # a man page's option at the margin under a full line set in: a unit of its own
        "-q",
        "Quiet: do not print what was restored, nor the names of its files.",
        "-v",
    ]
    # code set in, then a sentence at the margin that begins in upper case: two units
    code = "    result = compute_totals(alpha, beta, gamma, delta, epsilon, zeta, eta)\n"
    prose = "The function above returns the totals of all the values passed to it now.\n"
    assert plain_view(code + prose).text.split("\n") == [code.strip(), prose.strip()]
    # "CI." wrapped onto a line is a word, not a roman numeral's label
    wrapped = "Failures of every job that runs on a push are reported by the hosted\nCI. They"
    assert plain_view(wrapped + " go to the authors of the commits that caused them.\n").text == (
        wrapped.replace("\n", " ") + " go to the authors of the commits that caused them."
    )


CHANGELOG = """\
2023-02-01  Mark Wielaard  <mark@klomp.org>

\t* Makefile.am (AM_DISTCHECK_CONFIGURE_FLAGS): Remove the flags that
\t--enable-valgrind and --enable-sanitize-undefined add.
\t* configure.ac: Check for AC_PROG_CC_C11 and fall back on the older
\tAC_PROG_CC_C99 for earlier versions.
\t* libelf/elf_begin.c (file_read_elf): Handle a truncated header.
\tThe next sentence is a unit: the line above ends its own.
"""


def test_a_labelled_line_goes_on_where_its_label_stands() -> None:
    """A GNU ChangeLog sets an entry's lines under its "*", not under its text."""
    assert plain_view(CHANGELOG).text.split("\n")[2:] == [
        "Makefile.am (AM_DISTCHECK_CONFIGURE_FLAGS): Remove the flags that "
        "--enable-valgrind and --enable-sanitize-undefined add.",
        "configure.ac: Check for AC_PROG_CC_C11 and fall back on the older AC_PROG_CC_C99 for "
        "earlier versions.",
        "libelf/elf_begin.c (file_read_elf): Handle a truncated header.",
        "The next sentence is a unit: the line above ends its own.",
    ]


def test_indents_count_a_tab_as_a_terminal_shows_it() -> None:
    # a man page as `col -b` writes it: the term set in by spaces, its text by a tab
    page = (
        "       for ( [expression1] ; [expression2] ; [expression3] ) statement\n"
        "\t      The for statement controls the repeated execution of the statement.\n"
        "\t      Expression1 is evaluated before the loop begins, and only once.\n"
    )
    view = plain_view(page)
    assert view.text == plain_view(page.expandtabs()).text
    assert (
        view.text.split("\n")[0]
        == "for ( [expression1] ; [expression2] ; [expression3] ) statement"
    )
    start = view.text.index("The for")
    assert page[slice(*view.to_origin(start, start + 7))] == "The for"


def test_a_name_a_page_broke_at_its_underscore_is_read_whole() -> None:
    text = (
        "The buffer must have enough room for the output, and it must be freed by the caller.\n"
        "The maximum length this function will encode is given by the constant ASN1_\n"
        "MAX_LENGTH_SIZE of the header file that the library installs, or by __init__\n"
        "which is a method of the class.\n"
    )
    view = plain_view(text, laid_out=True)
    assert "ASN1_MAX_LENGTH_SIZE of" in view.text and "__init__ which" in view.text


def test_plain_text_with_long_lines_is_read_as_written() -> None:
    text = ("A line longer than any wrapping width, " * 4 + "\n") * 3 + "Short closing line.\n"
    assert plain_view(text).text == text.rstrip("\n").replace(" \n", "\n")


def test_a_word_too_long_to_break_leaves_the_rest_of_a_text_wrapped() -> None:
    paragraph = (
        "Reports are acknowledged within two working days, and a fix is\n"
        "usually released within thirty days of the first report that\n"
        "reached the team, whoever sent it and however it was sent.\n\n"
    )
    link = "See https://example.org/" + "a/very/long/path/" * 6 + "\n"
    view = plain_view(paragraph * 3 + link * 3)
    paragraphs = view.text.split("\n\n")
    assert len(paragraphs) == 4 and all("\n" not in p for p in paragraphs[:3])
    assert "a fix is usually released within thirty days" in paragraphs[0]


TABLE = """\
The second byte is a bit field that selects the check which is stored
after each block, as the table below says for each of them.

    ID    Size      Check name
    0x00   0 bytes  None
    0x0A  32 bytes  SHA-256
    0x0B  32 bytes  (Reserved)

Size of Filter Properties:  0 or 4 bytes
Changes size of data:       No
================  ==========
"""


def test_rows_of_a_table_set_out_in_columns_are_lines_of_cells() -> None:
    view = plain_view(TABLE)
    lines = view.text.split("\n")
    assert "ID\tSize\tCheck name" in lines and "0x0A\t32 bytes\tSHA-256" in lines
    assert "Size of Filter Properties:\t0 or 4 bytes" in lines
    assert lines[0].endswith("as the table below says for each of them.")  # prose still joins
    assert "=" not in view.text  # a table's border is decoration
    for cell in ("0x0A", "32 bytes", "SHA-256"):
        assert_maps_back(view, TABLE, cell)


BOXED = """\
The services listen on these ports:

\u250c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u252c\u2500\u2500\u2500\u2500\u2500\u2500\u2510
\u2502Service \u2502Port  \u2502
\u251c\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u253c\u2500\u2500\u2500\u2500\u2500\u2500\u2524
\u2502https   \u25028443  \u2502
\u2514\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2500\u2534\u2500\u2500\u2500\u2500\u2500\u2500\u2518

+---------+------+
| ssh     | 2222 |
+=========+======+
"""


def test_a_table_drawn_with_bars_reads_as_rows_of_cells_without_its_borders() -> None:
    view = plain_view(BOXED)
    assert view.text.split("\n")[2:] == ["Service\tPort", "https\t8443", "", "ssh\t2222"]
    assert_maps_back(view, BOXED, "8443")


def test_a_short_table_whose_rows_end_alike_is_a_table() -> None:
    text = "Service  Port\nssh      22\nhttp     8080\nhttps    443\n"
    assert plain_view(text).text == "Service\tPort\nssh\t22\nhttp\t8080\nhttps\t443"


def test_justified_lines_are_not_rows_however_their_spaces_line_up() -> None:
    justified = (
        "       Surround  the  matched  (non-empty)  strings,  matching  lines,\n"
        "       context  lines,  file  names,  line  numbers,  byte offsets, and\n"
        "       separators  in  the  output,  so  that  a  reader  sees  them.\n"
    )
    assert "\t" not in plain_view(justified).text
    assert "\t" not in plain_view(justified, laid_out=True).text


def test_a_term_s_description_goes_on_under_its_text_after_a_gap() -> None:
    page = (
        "OPTIONS\n"
        "     -A\t     Generate host keys of all default key types (rsa, ecdsa, and\n"
        "\t     ed25519) if they do not already exist.  The host keys are made\n"
        "\t     with the default key file path and an empty passphrase.\n"
        "\n"
        "     -a rounds\n"
        "\t     When saving a private key, this option specifies the number of\n"
        "\t     KDF rounds used.\n"
    )
    lines = plain_view(page).text.split("\n")
    assert lines[1].startswith(
        "-A\tGenerate host keys of all default key types (rsa, ecdsa, and ed"
    )
    assert lines[1].endswith("file path and an empty passphrase.")
    assert lines[3:] == [
        "-a rounds",
        "When saving a private key, this option specifies the number of KDF rounds used.",
    ]


def test_a_page_s_heading_after_a_sentence_s_end_is_a_line_of_its_own() -> None:
    page = (
        "Backup Guide\n"
        "Weekly backups are kept for one full year. Restores from the\n"
        "archive tier take up to four hours as tapes are mounted.\n"
        "Encryption\n"
        "All backups are encrypted with AES-256 before they leave the\n"
        "host and keys are rotated every ninety days by security.\n"
        "Contacts and escalation for the storage team in the evening\n"
        "are listed on the wiki.\n"
    )
    lines = plain_view(page, laid_out=True).text.split("\n")
    assert lines[2] == "Encryption"  # not "… as tapes are mounted. Encryption"
    # a line that ends in no stop but is full runs on: a heading leaves room for a word
    assert len(lines) == 4 and "by security. Contacts and escalation for the" in lines[3]


HYPHENATED = """\
The library offers a whole set of functions for the manip-
ulation of the structures which are by now rather well-
known in the field, next to a well-known form of the same.
To hand over the descriptors, give make the --jobserver-
auth option, and read pages 10 to 12 of the annex, the OP-
TIONAL part of the standard, where it is all written out.
"""


def test_a_word_broken_at_a_hyphen_over_two_lines_is_read_whole() -> None:
    view = plain_view(HYPHENATED)
    # a typesetter's break loses its hyphen; a compound the file writes whole keeps it, as
    # does a technical token; an upper-case word joins like a lower-case one
    for word in ("manipulation", "well-known in", "--jobserver-auth", "OPTIONAL part"):
        assert word in view.text
    assert "- " not in view.text and "manip-" not in view.text
    # spaces left at a line's end do not come between the halves; a dash is not a word
    assert "manipulation" in plain_view(HYPHENATED.replace("manip-\n", "manip-  \n")).text
    # Unicode's hyphen, as man pages in UTF-8 set it, breaks a word the same way
    unicode_hyphens = plain_view(HYPHENATED.replace("-\n", "\u2010\n")).text
    for word in ("manipulation", "well\u2010known in", "--jobserver\u2010auth"):
        assert word in unicode_hyphens
    # so does a word broken after the quote or the bracket it opens with
    quoted = plain_view(
        HYPHENATED.replace("the manip-", '"the manip-').replace("ulation", 'ulation"')
    )
    assert '"the manipulation"' in quoted.text
    dashed = plain_view(HYPHENATED.replace("the manip-\nulation", "the -\nmanipulation")).text
    assert "the - manipulation" in dashed
    start = view.text.index("manipulation")
    begin, end = view.to_origin(start, start + len("manipulation"))
    assert HYPHENATED[begin:end] == "manip-\nulation"


TWO_WORDS = """\
The base-passwd package holds the master copies of /etc/passwd and of the group file, and
the tool that keeps a system's entries in step with them is update-
passwd, which is run when the package is upgraded; none of this is done with-
out the administrator, whose rules are said in the file. Set JQ_COL-
ORS to change the colors jq prints in its output, and give the variable named $sec-
ond to the second of the fields, as the colors and their order are listed below.
"""


def test_a_line_broken_at_a_hyphen_between_two_words_of_the_file_keeps_it() -> None:
    """ "passwd" is written elsewhere and "updatepasswd" is no word: the hyphen is the
    name's own. "with" and "out" are words too, but "without" is an English one. After a
    name's "_" or "$", the last part joins when the file writes it whole."""
    for hyphen in ("-", "\u2010"):
        view = plain_view(TWO_WORDS.replace("-\n", f"{hyphen}\n")).text
        for word in (f"update{hyphen}passwd,", "done without the", "JQ_COLORS", "$second to"):
            assert word in view


PARTS = """\
xargs reads items from the standard input and runs the command with any initial-argu-
ments followed by items read from the standard input, up to a limit that is system-de-
fined. GNU findutils online help is at <https://www.gnu.org/software/findu-
tils/#get-help>, and its defined options are said there: see the --jobserver-
auth option and the initial arguments of each command in the manual pages.
"""


def test_the_last_part_of_a_compound_or_a_path_broken_at_a_hyphen_is_read_whole() -> None:
    """After a compound's own hyphen or a path's slash, a break is a typesetter's when the
    file writes the word whole elsewhere ("arguments", "defined", "findutils")."""
    view = plain_view(PARTS.replace("-\n", "\u2010\n")).text
    for word in (
        "initial-arguments",
        "system-defined.",
        "/software/findutils/",
        "jobserver\u2010auth",
    ):
        assert word in view


def test_pdf_text_is_laid_out_lines_however_long() -> None:
    words = "a page of a report set in a small type, so that each line holds many words"
    lines = [f"{words} and runs on past a hundred characters, line {i} of" for i in range(8)]
    text = "\n".join(lines) + "\n"
    assert all(len(line) > 100 for line in lines)
    assert reading_view(".txt", text).text.count("\n") == 7  # a text file's long lines: units
    assert "\n" not in reading_view(".pdf", text).text  # a PDF's: a page layout, joined


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<html><head><title>x</title><body><p>Main</p>", "Main"),  # no </head>
        ('<section><div role="navigation"><div>menu</div></section><p>Main</p>', "Main"),
        ('<div hidden><span aria-hidden="true">x</div><p>Main</p>', "Main"),
        ("<div hidden>secret</nav> more secret</div><p>Main</p>", "Main"),
        ('<div role="tabpanel" hidden><p>Run setup.</p></div>', "Run setup."),  # a click away
        ('<div hidden="until-found">Found by a search</div>', "Found by a search"),
        ("<p hidden>One<p>Two", "One\n\nTwo"),  # an end a page may leave out: not skipped
        ('<ol><li><span aria-hidden="true">#</span><p>Install it.</p></li></ol>', "1. Install it."),
    ],
)
def test_what_a_page_does_not_show_is_skipped_to_its_end_or_its_parent_s(
    html: str, text: str
) -> None:
    assert html_view(html).text == text


def test_a_page_s_form_controls_are_not_read() -> None:
    """A copy button inside code, a picker, a text box: the page's controls, not its text;
    a button that is a heading's text (an accordion's) is read as the heading."""
    html = (
        '<pre><code>make install</code> <button class="copy">Copy</button></pre>'
        "<p>Pick <select><option>red<option>blue</select> then <input value=x>"
        "<textarea>notes</textarea> go.</p><h2><button>Billing</button></h2>"
    )
    assert html_view(html).text == "make install\n\nPick then go.\n\nBilling"


def test_an_accordion_s_questions_are_read_each_a_block_of_its_own() -> None:
    """A button that shows and hides a part of the page names what it shows (an FAQ's
    question over its answer); a button that does not, inside a sentence, leaves the
    sentence whole."""
    html = (
        '<div class="faq"><button class="toggle" aria-expanded="false" aria-controls="a1">'
        'How do I reset it?</button><div id="a1" class="collapse"><p>Hold the button.</p>'
        '</div><button aria-expanded="true">Is it safe?</button><p>Yes.</p></div>'
        "<p>Press <button>OK</button> to go.</p>"
    )
    view = html_view(html)
    assert view.text.split("\n\n") == [
        "How do I reset it?",
        "Hold the button.",
        "Is it safe?",
        "Yes.",
        "Press to go.",
    ]
    assert_maps_back(view, html, "How do I reset it?")
    assert_in_file_order(view)


@pytest.mark.parametrize(
    "opens",
    [
        '<table class="nav" summary="Navigation header">',
        '<table summary="Navigation footer">',
        '<table class="navheader">',
        '<table class="navfooter">',
        '<table role="navigation">',
    ],
)
def test_a_manual_s_navigation_table_is_not_read(opens: str) -> None:
    """A generated manual's bar of links ("Prev", "Up", "Next") over and under each page."""
    bar = f"{opens}<tr><td><a href=a.html>Prev</a></td><td>Up</td><td>Next</td></tr></table>"
    data = '<table class="data"><tr><td>nav</td><td>10</td></tr></table>'
    html = f"{bar}<h1>Setup</h1><p>Run make.</p>{data}{bar.replace('table', 'div')}"
    assert html_view(html).text == "Setup\n\nRun make.\n\nnav\t10"


def test_a_bar_of_links_to_a_manual_s_neighbouring_pages_is_not_read() -> None:
    """Texinfo 6 heads and foots each node with "Next: …, Previous: …, Up: … [Index]" in a
    plain ``<div>``: links (one marked as a link to the next page, or to the index), and
    labels. A link marked so among words of the page's own is read."""
    top = (
        '<div class="header"><p>Next: <a href="b.html" accesskey="n" rel="next">Types</a>, '
        'Up: <a href="index.html" rel="up">Top</a> &nbsp; [<a href="i.html" rel="index">'
        "Index</a>]</p></div>"
    )
    foot = (
        '<div class="header"><p>Next: <a href="b.html">Types</a> '
        '[<a href="i.html" rel="index">Index</a>]'
    )
    kept = (
        '<div><p>See: <a href="x.html">the guide</a></p></div>'
        '<div>Next: <a rel="next" href="b.html">Types</a> covers the rest.</div>'
    )
    anchor = '<div><a name="top"><p>Intro.</p></div>'  # an anchor left open is no link
    html = (
        f'{anchor}<div class="section">{top}<h2>Arrays</h2><p>Use a struct.</p>{foot}</p></div>'
        f"{kept}"
    )
    assert html_view(html).text.split("\n\n") == [
        "Intro.",
        "Arrays",
        "Use a struct.",
        "See: the guide",
        "Next: Types covers the rest.",
    ]


def test_a_contents_or_index_line_is_not_read() -> None:
    """A title, a leader of dots and a page number, in a run of such lines in the order of
    their pages or their titles: where to turn, not what is said there; found before the
    sentence it points to, it would be read first. A report's figures set out so are read."""
    text = (
        "Contents\n1 Introduction . . . . . . . 1\n1.2 Installation........ 7\n"
        "Appendix A Licence. . . . . 24\n\nThe tool reads files.... and waits. . . . then stops.\n"
        "See 1.2.... I\nwould.\n\nIndex\nconfig file . . . . . 3, 7\nF\nflags ....... xii\n"
        "fonts ....... 9\n\nResults\nTests passed ........ 1248\nTests failed ........ 3\n"
        "Skipped ........ 0\n"
    )
    for suffix in (".pdf", ".txt"):  # a page's text, a text file's
        assert reading_view(suffix, text).text.split("\n") == [
            "Contents",
            "",
            "The tool reads files.... and waits. . . . then stops.",
            "See 1.2.... I",  # a sentence's "I", no page
            "would.",
            "",
            "Index",
            "F",
            "",
            "Results",
            "Tests passed ........ 1248",
            "Tests failed ........ 3",
            "Skipped ........ 0",
        ]


CONFIG = """\
#
# The mode of the directories made for new users, read by the tools that
# add them; when it is not set, the mask below is used for them instead.
#
# A setting made here holds for every user that the tools add from now on
#MODE_FOR_HOMES 0700
# and a mask is read as an octal number when it begins with a zero digit,
MASK 022
"""


@pytest.mark.parametrize("marker", ["#", ";", "//"])
def test_a_comment_s_marker_is_not_read_and_its_lines_join_as_prose_does(marker: str) -> None:
    """A configuration file's comments: the marker is no word; a line of a marker alone is a
    paragraph's end; a marker with a word on it ("#MODE 0700") is a setting set aside, kept
    as written; and a comment never runs on into a setting, nor a setting into one."""
    text = CONFIG.replace("#", marker)
    view = plain_view(text)
    assert view.text.split("\n") == [
        "The mode of the directories made for new users, read by the tools that add them; "
        "when it is not set, the mask below is used for them instead.",
        "",
        "A setting made here holds for every user that the tools add from now on",
        f"{marker}MODE_FOR_HOMES 0700",
        "and a mask is read as an octal number when it begins with a zero digit,",
        "MASK 022",
    ]
    assert_maps_back(view, text, "The mode")
    start = view.text.index("that add")
    assert text[slice(*view.to_origin(start, start + 8))] == f"that\n{marker} add"  # the gap
    # a line or two beginning "# " in a text of prose is a heading or a root shell's prompt
    prose = "Install it as root:\n\n# apt install example\n\n# Usage\n"
    assert plain_view(prose).text == prose.strip()


RECORDS = """\
Files: src/*
Copyright: Copyright (C) 2001, 2002, 2003, 2005,
           2008 Example Project contributors
License: MIT

Files: doc/*
Copyright: Copyright (C) 2010 Ann Smith <ann@example.org>
           Copyright (C) 2012 Bob Jones <bob.jones@example.org>
           Copyright (C) 2015 Carol White <carol.white@example.org>
License: MIT
 Permission is hereby granted, free of charge, to any person who gets
 a copy of this software, to deal in the software without restriction.
 .
 The above notice shall be included in all copies of the software made.
"""


def test_records_that_begin_alike_are_lines_and_a_field_s_value_goes_on_under_it() -> None:
    """A Debian copyright file (and a mail's header) sets a field's value on under it; lines
    that begin with the same two words are records, however full; " ." ends a paragraph."""
    view = plain_view(RECORDS)
    assert view.text.split("\n") == [
        "Files: src/*",
        "Copyright: Copyright (C) 2001, 2002, 2003, 2005, 2008 Example Project contributors",
        "License: MIT",
        "",
        "Files: doc/*",
        "Copyright: Copyright (C) 2010 Ann Smith <ann@example.org>",
        "Copyright (C) 2012 Bob Jones <bob.jones@example.org>",
        "Copyright (C) 2015 Carol White <carol.white@example.org>",
        "License: MIT",
        "Permission is hereby granted, free of charge, to any person who gets a copy of this "
        "software, to deal in the software without restriction.",
        "",
        "The above notice shall be included in all copies of the software made.",
    ]
    assert_maps_back(view, RECORDS, "2008 Example")


def test_an_initial_that_begins_a_line_is_no_list_label() -> None:
    """A line's "P." has a label's shape; before another initial it is a name's initial, or
    an abbreviation's, wrapped there; before a word it labels a lettered list's item,
    whatever the line before ends with."""
    text = (
        "The method is set out in the book that Ann B. Smith wrote with her student\n"
        "C. D. Jones, which is still the one that most courses of the field read.\n"
        "Some of its terms are written short in the tables of the book, such as the\n"
        "e. g. that many readers take for a label, while the names are written out.\n"
        "J. R. Smith and L. Jones wrote the book's second part, in the very same year.\n"
        "\n"
        "A. Read the book.\n"
        "B. Work the exercises.\n"
    )
    assert plain_view(text).text.split("\n") == [
        " ".join(text.split("\n\n")[0].split()),
        "",
        "A. Read the book.",
        "B. Work the exercises.",
    ]
    items = "Ways to get it:\na. install the package using apt or yum\nb. build it from source\n"
    assert plain_view(items * 3).text.split("\n")[1:3] == [
        "a. install the package using apt or yum",
        "b. build it from source",
    ]


def test_stars_that_frame_a_line_are_decoration_at_both_ends() -> None:
    """Stars at both ends of a line frame it (a banner, a program's message, a box's sides):
    neither run is read, where an outline's level only begins its line."""
    text = (
        "When a test fails, its message looks like:\n\n\t*** The test t1 failed ***\n\n"
        "**********************************\n"
        "*  1. Disclaimer of Warranty     *\n"
        "*                                *\n"
        "*  The software is provided as   *\n"
        "*  is, without warranty.         *\n"
        "**********************************\n"
    )
    view = plain_view(text)
    assert view.text.split("\n")[2:] == [
        "The test t1 failed",
        "",
        "1. Disclaimer of Warranty",
        "The software is provided as",
        "is, without warranty.",
    ]
    assert_maps_back(view, text, "The test t1 failed")
    assert plain_view("** Bug fixes\n").text == "Bug fixes"  # an outline's level
    # a command's glob is the text's own, as is a run unlike the one that opens the line
    assert plain_view("* Clean the tree with rm -rf *\n").text == "Clean the tree with rm -rf *"
    assert plain_view("** Note *\n").text == "Note *"


def test_a_line_set_in_at_a_bullet_s_text_goes_on_with_its_item_however_short() -> None:
    """A changelog's item goes on under its text, whatever the length of the line above, when
    that line runs on and this one begins in lower case or with a bracket ("(Closes: …)")."""
    text = (
        "example (1.2-1) unstable; urgency=medium, a release made for the users\n\n"
        "  * New upstream release\n"
        "    (Closes: #1234, #5678).\n"
        "  * Refresh the patches that the packaging carries against the sources.\n"
        "    - a note set in under the item\n"
        "  * New feature: grouped targets\n"
        "    Rules have always made many targets at once.\n"
    )
    assert plain_view(text).text.split("\n")[2:] == [
        "New upstream release (Closes: #1234, #5678).",
        "Refresh the patches that the packaging carries against the sources.",
        "a note set in under the item",
        # a title, then a sentence: the item's text begins on the next line
        "New feature: grouped targets",
        "Rules have always made many targets at once.",
    ]


def test_a_table_that_lays_a_page_out_is_read_as_its_blocks() -> None:
    """An older manual sets its whole page in a table's cell beside a menu: read as cells, its
    headings, paragraphs and data table ran into one line of tab-split cells. A table whose
    cell holds a heading or a table of its own lays the page out; the tables it holds that
    hold neither are data, read as rows of cells."""
    html = (
        "<table><tr><td>Menu</td><td>\n<h2>Description</h2>\n<h3>Function: checkRead</h3>"
        "<p>Check if the resource may be read.</p>\n<table><tr><td>sec:</td><td>the options"
        "</td></tr><tr><td>Returns:</td><td>1 if allowed</td></tr></table>\n"
        "<h3>Function: checkWrite</h3><p>Check if it may be written.</p></td></tr></table>"
        "<table><tr><th>Code</th><th>Meaning</th></tr><tr><td><p>0</p></td><td>ok</td></tr>"
        "</table>"
    )
    assert html_view(html).text.split("\n") == [
        "Menu",
        "",
        "Description",
        "",
        "Function: checkRead",
        "",
        "Check if the resource may be read.",
        "",
        "sec:\tthe options",
        "Returns:\t1 if allowed",
        "",
        "Function: checkWrite",
        "",
        "Check if it may be written.",
        "",
        "Code\tMeaning",
        "0\tok",
    ]
    # a row no table holds is none a reader counts
    stray = f"<tr><td>stray</td></tr>{html}"
    assert html_view(stray).text.split("\n")[2:] == html_view(html).text.split("\n")


def test_a_paragraph_wrapped_short_of_the_text_s_width_is_joined_by_its_own() -> None:
    """A text's width is that of its widest lines (a long heading, a paragraph wrapped wide);
    a paragraph wrapped shorter (its lines set in alike) is full by its own widest line, when
    it reads as prose: it ends a sentence, and each line that goes on runs on and begins in
    lower case. Code, and short lines, end no sentence or fill no width: they stay lines."""
    wide = (
        "A paragraph set out wide, as a long heading or a table's lines are, so that it\n"
        "fills the width of the text from the left margin right out to column eighty.\n"
    )
    text = (
        wide * 3 + "\n"
        "Name the folder in the repository that the tool reads\n"
        "and writes to.  The option is needed by all the commands\n"
        "that change it.\n\n"
        "    ./configure --prefix=/usr/local --enable-shared-lib\n"
        "    make install\n\n"
        "Short lines of a list that\n"
        "end a sentence each.\n"
        "Kept as they are.\n"
    )
    assert plain_view(text).text.split("\n")[2:] == [
        "Name the folder in the repository that the tool reads and writes to. "
        "The option is needed by all the commands that change it.",
        "",
        "./configure --prefix=/usr/local --enable-shared-lib",
        "make install",
        "",
        "Short lines of a list that",
        "end a sentence each.",
        "Kept as they are.",
    ]


def test_a_man_page_s_term_is_a_cell_apart_from_its_description() -> None:
    """A term set apart from its description by a gap, the description at the column of the
    terms next to it (past the lines of their descriptions) or going on under it, reads as a
    table's cells do: its term is no first word of a sentence. A justified line's first word
    is none."""
    page = (
        "       %m     month (01..12)\n"
        "\n"
        "       %q     quarter of year (1..4)\n"
        "\n"
        "       %:::z  numeric  time  zone  with  :  to necessary precision (e.g., -04,\n"
        "              +05:30)\n"
        "       %Z     alphabetic time zone abbreviation (e.g., EDT)\n"
        "\n"
        "       After  any  flags  comes  an optional field width, as a decimal number;\n"
        "       then an optional modifier.\n"
    )
    lines = plain_view(page).text.split("\n")
    assert lines == [
        "%m\tmonth (01..12)",
        "",
        "%q\tquarter of year (1..4)",
        "",
        "%:::z\tnumeric time zone with : to necessary precision (e.g., -04, +05:30)",
        "%Z\talphabetic time zone abbreviation (e.g., EDT)",
        "",
        "After any flags comes an optional field width, as a decimal number; then an optional "
        "modifier.",
    ]
    assert_maps_back(plain_view(page), page, "quarter of year")


def test_a_one_mark_term_beside_others_is_kept_not_dropped_as_a_bullet() -> None:
    """A "-" or "+" set apart by a gap, its text at the column of the terms beside it, is a
    term of theirs (a man page's flags), kept; a list's bullets, however far apart from
    their text, are dropped."""
    page = (
        "       These flags may follow the sign:\n"
        "\n"
        "       -      (hyphen) do not pad the field\n"
        "\n"
        "       _      (underscore) pad with spaces\n"
        "\n"
        "       +      pad with zeros, and put a sign before the year\n"
        "\n"
        "       0      (zero) pad with zeros\n"
        "\n"
        "-   first item of a list\n"
        "-   second item\n"
    )
    view = plain_view(page)
    assert view.text.split("\n") == [
        "These flags may follow the sign:",
        "",
        "-\t(hyphen) do not pad the field",
        "",
        "_\t(underscore) pad with spaces",
        "",
        "+\tpad with zeros, and put a sign before the year",
        "",
        "0\t(zero) pad with zeros",
        "",
        "first item of a list",
        "second item",
    ]
    start = view.text.index("+\t")
    assert page[slice(*view.to_origin(start, start + 1))] == "+"


def test_a_bracketed_aside_under_an_item_goes_on_with_it_after_a_sentence() -> None:
    """An aside in brackets set in at an item's text ("(See also …)") goes on with the item,
    even after a sentence's end; a sentence set in there after one is the item's next line."""
    text = (
        "A list of the rules that the builders keep, each an item of its own:\n\n"
        "   - Each tool will define a namespace named after itself and provide\n"
        "     a number of cases where it is needed.\n"
        "     (See also the keywords below.)\n"
        "\n"
        "   - Another item.\n"
        "     Then a sentence set in under it.\n"
    )
    assert plain_view(text).text.split("\n")[2:] == [
        "Each tool will define a namespace named after itself and provide a number of cases "
        "where it is needed. (See also the keywords below.)",
        "",
        "Another item.",
        "Then a sentence set in under it.",
    ]


def test_the_views_check_tells_a_map_that_runs_backwards() -> None:
    from array import array

    from bench.views import map_defect

    origin = "| a | a |"
    assert map_defect(markdown_view(origin + "\n|---|---|\n| b | b |\n")) == ""
    backwards = ReadingView("a\ta", origin, array("q", [2, 3, 2]), array("q", [3, 6, 3]))
    assert "mapped back before" in map_defect(backwards)
    outside = ReadingView("a", origin, array("q", [20]), array("q", [21]))
    assert "outside the file" in map_defect(outside)
