"""Word's automatic numbers, which a Word file's text does not hold, are read before their
paragraphs as Word draws them: "section 3.2" and "step 4" must be in the text to be found."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from index.load import read_text
from qa.text import numbered_headings

MB = 2**20


def numbered(document: docx.document.Document, levels: list[tuple[str, str, str]]) -> str:
    """Define a list of ``levels`` (format, text, tied style id) and one list following it;
    its id."""
    part = document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING)
    root = part.element
    definition = str(900 + len(root.findall(f"{{{root.nsmap['w']}}}abstractNum")))
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        + (f'<w:pStyle w:val="{style}"/>' if style else "")
        + f'<w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text, style) in enumerate(levels)
    )
    root.insert(
        0,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{definition}">{lvls}</w:abstractNum>'
        ),
    )
    return add_list(document, definition)


def add_list(document: docx.document.Document, definition: str, restart: int | None = None) -> str:
    """A list (``w:num``) following ``definition``, restarting its first level if asked."""
    root = document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    num = str(800 + len(root.findall(f"{{{root.nsmap['w']}}}num")))
    override = (
        f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{restart}"/></w:lvlOverride>'
        if restart is not None
        else ""
    )
    root.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{num}"><w:abstractNumId w:val="{definition}"/>'
            f"{override}</w:num>"
        )
    )
    return num


def number(paragraph: docx.text.paragraph.Paragraph, num: str, level: int | None = None) -> None:
    """Make ``paragraph`` an item of list ``num``, at ``level`` if given."""
    ilvl = f'<w:ilvl w:val="{level}"/>' if level is not None else ""
    paragraph._p.get_or_add_pPr().insert(
        0, parse_xml(f'<w:numPr {nsdecls("w")}>{ilvl}<w:numId w:val="{num}"/></w:numPr>')
    )


def text_of(document: docx.document.Document, tmp_path: Path) -> str:
    path = tmp_path / "policy.docx"
    document.save(str(path))
    return read_text(path, MB)


def test_list_number_paragraphs_read_their_numbers_and_go_on_after_other_paragraphs(
    tmp_path: Path,
) -> None:
    # python-docx's own template numbers "List Number" by its style, as Word's does
    document = docx.Document()
    document.add_paragraph("Install the package.", style="List Number")
    document.add_paragraph("Run the tests.", style="List Number")
    document.add_paragraph("A point in passing", style="List Bullet")
    document.add_paragraph("A note between the steps.")
    document.add_paragraph("Deploy.", style="List Number")
    assert text_of(document, tmp_path).splitlines() == [
        "1. Install the package.",
        "2. Run the tests.",
        "A point in passing",
        "A note between the steps.",
        "3. Deploy.",
    ]


def test_numbered_headings_count_by_level_and_restart_below_a_new_section(
    tmp_path: Path,
) -> None:
    document = docx.Document()
    num = numbered(document, [("decimal", "%1.", "Heading1"), ("decimal", "%1.%2", "Heading2")])
    for style, level in (("Heading 1", None), ("Heading 2", 1)):
        number_properties = document.styles[style].element.get_or_add_pPr()
        ilvl = f'<w:ilvl w:val="{level}"/>' if level is not None else ""
        number_properties.insert(
            0, parse_xml(f'<w:numPr {nsdecls("w")}>{ilvl}<w:numId w:val="{num}"/></w:numPr>')
        )
    document.add_heading("Scope", level=1)
    document.add_heading("Purpose", level=2)
    document.add_heading("Audience", level=2)
    document.add_heading("Rules", level=1)
    document.add_heading("Storage", level=2)
    document.add_paragraph("Backups are kept for thirty days.")
    text = text_of(document, tmp_path)
    assert [line for line in text.splitlines() if line] == [
        "1. Scope",
        "1.1 Purpose",
        "1.2 Audience",
        "2. Rules",
        "2.1 Storage",
        "Backups are kept for thirty days.",
    ]
    assert [written for _, written in numbered_headings(text)][-1] >= {"2.1"}


def test_letters_romans_and_legal_numbers_are_written_as_word_shows_them(tmp_path: Path) -> None:
    document = docx.Document()
    num = numbered(
        document,
        [("upperRoman", "%1.", ""), ("lowerLetter", "(%2)", ""), ("lowerRoman", "%1.%2.%3", "")],
    )
    for text, level in [("First", 0), ("a", 1), ("b", 1), ("deep", 2), ("Second", 0), ("c", 1)]:
        number(document.add_paragraph(text), num, level)
    assert text_of(document, tmp_path).splitlines() == [
        "I. First",
        "(a) a",
        "(b) b",
        "I.b.i deep",
        "II. Second",
        "(a) c",
    ]


def test_a_list_that_restarts_counts_from_its_start_and_numbering_can_be_taken_off(
    tmp_path: Path,
) -> None:
    document = docx.Document()
    first = numbered(document, [("decimal", "%1)", "")])
    definition = document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    abstract = definition.find(f"{{{definition.nsmap['w']}}}abstractNum").get(
        f"{{{definition.nsmap['w']}}}abstractNumId"
    )
    again = add_list(document, abstract, restart=1)
    for text, num in [("one", first), ("two", first), ("not numbered", "0"), ("anew", again)]:
        number(document.add_paragraph(text), num)
    number(document.add_paragraph("on"), first)
    assert text_of(document, tmp_path).splitlines() == [
        "1) one",
        "2) two",
        "not numbered",
        "1) anew",
        "2) on",
    ]


def test_a_file_whose_list_definitions_are_missing_reads_its_text_without_numbers(
    tmp_path: Path,
) -> None:
    document = docx.Document()
    number(document.add_paragraph("Orphan item"), "4711")
    assert text_of(document, tmp_path) == "Orphan item"


def define(document: docx.document.Document, xml: str) -> None:
    """Add raw list definitions and lists (``w:abstractNum`` first, then ``w:num``)."""
    root = document.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    for element in parse_xml(f"<w:numbering {nsdecls('w')}>{xml}</w:numbering>"):
        if element.tag.endswith("}abstractNum"):
            root.insert(0, element)
        else:
            root.append(element)


def level(at: int, style: str = "decimal", text: str = "") -> str:
    return (
        f'<w:lvl w:ilvl="{at}"><w:start w:val="1"/><w:numFmt w:val="{style}"/>'
        f'<w:lvlText w:val="{text or f"%{at + 1}."}"/></w:lvl>'
    )


def test_what_word_files_write_in_their_lists_definitions_is_followed(tmp_path: Path) -> None:
    document = docx.Document()
    define(
        document,
        f'<w:abstractNum w:abstractNumId="901">{level(0)}{level(1, text="%1.%2")}</w:abstractNum>'
        # a list that defines its own first level, and restarts the second at 5
        '<w:num w:numId="801"><w:abstractNumId w:val="901"/>'
        f'<w:lvlOverride w:ilvl="0">{level(0, "lowerLetter", "%1)")}</w:lvlOverride>'
        '<w:lvlOverride w:ilvl="1"><w:startOverride w:val="5"/></w:lvlOverride></w:num>'
        # a definition that names a list style, numbered as that style's definition
        f'<w:abstractNum w:abstractNumId="902"><w:styleLink w:val="Steps"/>{level(0)}'
        '</w:abstractNum><w:abstractNum w:abstractNumId="903"><w:numStyleLink w:val="Steps"/>'
        '</w:abstractNum><w:num w:numId="802"><w:abstractNumId w:val="903"/></w:num>'
        # a level past Word's nine, as a damaged file may write
        f'<w:abstractNum w:abstractNumId="904">{level(9)}</w:abstractNum>'
        '<w:num w:numId="803"><w:abstractNumId w:val="904"/></w:num>',
    )
    items = [("a", "801", 0), ("b", "801", 1), ("c", "802", 0), ("d", "803", 9)]
    for text, num, at in items:
        number(document.add_paragraph(text), num, at)
    assert text_of(document, tmp_path).splitlines() == ["a) a", "a.5 b", "1. c", "d"]


def test_a_numbered_cell_merged_down_rows_is_counted_once(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Before", style="List Number")
    table = document.add_table(rows=3, cols=2)
    merged = table.cell(0, 0).merge(table.cell(2, 0))
    merged.paragraphs[0].text = "Merged step"
    merged.paragraphs[0].style = document.styles["List Number"]
    for row in range(3):
        table.cell(row, 1).text = f"row {row}"
    document.add_paragraph("After", style="List Number")
    assert text_of(document, tmp_path).splitlines() == [
        "1. Before",
        "2. Merged step\trow 0",
        "2. Merged step\trow 1",
        "2. Merged step\trow 2",
        "3. After",
    ]


def test_a_paragraph_broken_into_lines_reads_as_those_lines(tmp_path: Path) -> None:
    document = docx.Document()
    address = document.add_paragraph()
    for line in ("Data Protection Officer", "12  Harbour Road", "Leith"):
        address.add_run(line).add_break()
    document.add_paragraph("Step one,", style="List Number").add_run().add_break()
    wrapped = document.add_paragraph()  # laid out by hand: a break inside a sentence
    for line in ("Staff connect through the", "corporate VPN, before", "opening any system."):
        wrapped.add_run(line).add_break()
    settings = document.add_paragraph()
    for line in ("server:", "port: 8080", "host: localhost"):
        settings.add_run(line).add_break()
    assert text_of(document, tmp_path).splitlines() == [
        "Data Protection Officer",
        "12 Harbour Road",
        "Leith",
        "1. Step one,",
        "Staff connect through the corporate VPN, before opening any system.",
        "server:",
        "port: 8080",
        "host: localhost",
    ]
