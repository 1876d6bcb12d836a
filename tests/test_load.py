import io
import zipfile
from pathlib import Path

import docx
import pytest

from index.load import (
    find_sources,
    load_changed,
    load_folder,
    pages_text,
    read_text,
    read_view,
    scan_folder,
)
from index.view import html_view
from qa.errors import SourceFileError, SourcesError
from qa.text import numbered_headings

MB = 2**20


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_utf8_bom_and_curly_quotes_decode_without_newline_translation(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "\ufeffHe said “yes”.\r\nNext line.".encode())
    view = read_view(path, MB)
    assert view.origin == "He said “yes”.\r\nNext line."
    # The view reads the line break as one; "Next" maps back past the \r\n.
    assert view.text == "He said “yes”.\nNext line."
    assert view.to_origin(15, 19) == (16, 20)


def test_utf16_with_bom_decodes(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "Café in Kyiv.".encode("utf-16"))
    assert read_text(path, MB) == "Café in Kyiv."


def test_latin1_falls_back_to_cp1252(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "Café crème, déjà vu.".encode("latin-1"))
    assert read_text(path, MB) == "Café crème, déjà vu."


def test_a_stray_byte_in_utf8_garbles_only_itself(tmp_path: Path) -> None:
    # one Windows-1252 byte ("©") in a UTF-8 file, which has curly quotes enough for a
    # whole-file fallback to read as replacement characters, or the file as binary
    text = "“Renée” costs 2€, “Zoë” costs 3€. " * 20
    path = write(tmp_path, "a.md", text.encode() + "© 2024".encode("cp1252"))
    assert read_text(path, MB) == text + "© 2024"


@pytest.mark.parametrize(
    ("meta", "encoding"),
    [
        ('<meta charset="windows-1251">', "cp1251"),
        ("<META http-equiv=Content-Type content='text/html; charset=ISO-8859-15'>", "iso8859-15"),
        ('<meta charset="iso-8859-1">', "cp1252"),  # as browsers read it: € at 0x80
    ],
)
def test_an_html_page_is_read_in_the_charset_it_declares(
    tmp_path: Path, meta: str, encoding: str
) -> None:
    body = "Версия 2.4" if encoding == "cp1251" else "Prix : 5 €, déjà vu"
    page = f"<html><head>{meta}</head><body><p>{body}</p></body></html>"
    assert read_text(write(tmp_path, "a.html", page.encode(encoding)), MB) == body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02binary\x00", "looks binary"),
        (b"   \n\t ", "has no text"),
        (bytes(range(256)) * 4, "looks binary"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = write(tmp_path, "bad.txt", data)
    with pytest.raises(SourceFileError, match=message):
        read_text(path, MB)


def test_files_over_the_size_limit_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", b"word " * 1000)
    with pytest.raises(SourceFileError, match="over the"):
        read_text(path, 1000)


def test_html_gives_visible_text_only() -> None:
    html = "<html><head><title>T</title><style>p{}</style></head><body><h1>Title</h1>"
    html += "<p>First &amp; <b>bold</b>.</p><script>alert(1)</script><p>Second</p></body></html>"
    assert html_view(html).text == "Title\n\nFirst & bold.\n\nSecond"


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = write(tmp_path, "a.pdf", minimal_pdf("Mines become inert after weeks."))
    assert "Mines become inert after weeks." in read_text(path, MB)


def test_pdf_pages_read_on_without_their_running_heads_and_numbers() -> None:
    head = "Chapter 2: Handling structures {}"
    pages = [
        "Title page\nA Manual",
        f"{head.format(3)}\nThe reader keeps a paragraph that a page\nbreak cut in two.\n3",
        f"{head.format(4)}\nwhole, as its writer set it down.\nPage 4 of 9",
        f"{head.format(5)}\nThe last page ends on its own line\nv",
        "",
    ]
    assert pages_text(pages).split("\n") == [
        "Title page",
        "A Manual",
        "The reader keeps a paragraph that a page",
        "break cut in two.",
        "whole, as its writer set it down.",
        "The last page ends on its own line",
    ]
    # a first line met on only two pages is the text's own
    assert pages_text(["Install\nstep one", "Install\nstep two"]).startswith("Install\n")
    # a word spelt with a roman numeral's letters is not a page number
    assert pages_text(["Ships were\nill", "Law, both criminal and\ncivil"]).split("\n") == [
        "Ships were",
        "ill",
        "Law, both criminal and",
        "civil",
    ]
    assert pages_text(["xiv\nPreface text", "Body text\nxlii"]) == "Preface text\nBody text"
    # a head every page has, the first page's too, is the title: read there, once
    parts = ["Introduction", "Directory layout", "File format", "Glob rules"]
    titled = [f"Shared MIME-info Database\n{part}\n{n}" for n, part in enumerate(parts, 1)]
    assert pages_text(titled).split("\n") == ["Shared MIME-info Database", *parts]
    # but not a print's date, nor the line beside the title
    dated = [f"08/03/2021, 10:15 Notes\n{part}\n{n}" for n, part in enumerate(parts, 1)]
    assert pages_text(dated).split("\n") == parts
    beside = [f"Acme Manual\nPrinted 2021-03-0{n}\n{part}" for n, part in enumerate(parts, 1)]
    assert pages_text(beside).split("\n") == ["Acme Manual", *parts]


def test_running_heads_that_name_the_page_s_section_or_chapter_are_dropped() -> None:
    """A head that keeps the document's title and adds the section the page is in, or a
    chapter's head on two pages only (a short chapter), differs from page to page: read in,
    it lands in the middle of the sentence a page break cut."""
    sections = ["1.2 Overview", "1.2 Overview", "1.4 Details of the format", "2 Examples"]
    body = ["The format", "keeps a header", "and a list", "of records."]
    pages = [
        f"Widget file format - design notes {s}\n{b}" for s, b in zip(sections, body, strict=True)
    ]
    assert pages_text(pages).split("\n") == body
    chapters = ["Chapter 1: Setup", "Chapter 2: Use", "Chapter 2: Use", "Chapter 3: Limits"]
    pages = [f"{head} {n + 5}\n{b}" for n, (head, b) in enumerate(zip(chapters, body, strict=True))]
    assert pages_text(pages).split("\n") == body
    # lines that open alike on fewer pages, or end in no number that runs with the pages
    figures = ["Figure 1: Recall at 5", "Figure 2: Loss by epoch 10", "Figure 3: Runs of 2"]
    pages = [f"{figure}\n{b}" for figure, b in zip(figures, body, strict=False)]
    assert pages_text(pages).split("\n")[::2] == figures
    steps = [f"Step one: {verb} the box\nbody" for verb in ("open", "empty", "close")]
    assert pages_text(steps).count("Step one") == 3
    assert pages_text([*steps[:2], "Chapter 9: End 3\nbody"]).count("Step one") == 2


def test_a_printed_page_loses_its_date_and_count_of_pages_even_on_two_pages() -> None:
    """A browser prints the date and title over the address and "1/2" on every page; two
    pages are too few to tell a repeated line from the text's own, but a count of pages
    tells the foot, and the line beside it that every page has is part of it."""
    foot = "12/1/26, 3:33 PM units(7)\nfile:///tmp/units.html {}/2"
    pages = [f"Decimal prefixes\nk kilo\n{foot.format(1)}", f"Binary prefixes\n{foot.format(2)}"]
    assert pages_text(pages) == "Decimal prefixes\nk kilo\nBinary prefixes"
    # a count that is not this page's, and a repeated line beside no running one, stay
    assert pages_text(["Install\nstep one\nsee 3/4", "Install\nstep two\nsee 3/4"]) == (
        "Install\nstep one\nsee 3/4\nInstall\nstep two\nsee 3/4"
    )
    # a date is no count; a count only some pages write is the text's own
    assert pages_text(["Minutes\nSigned 2024/1/2", "Attendees\nAda"]).endswith(
        "2024/1/2\nAttendees\nAda"
    )
    two = ["Intro\nStep 3\nfile:///x 1/2", "Step 4\nmore text\nfile:///x 2/2"]
    assert pages_text(two) == "Intro\nStep 3\nStep 4\nmore text"  # "Step" opens one page
    # a table's rows of numbers alone are no running heads, however alike
    rows = [f"{year} 4.5 5.25" for year in range(2000, 2030)]
    assert pages_text(["\n".join(rows[at : at + 10]) for at in (0, 10, 20)]).split("\n") == rows


def test_pdf_ligatures_are_spelt_out() -> None:
    """No question, search term or WordPiece token writes "ﬁle"."""
    assert pages_text(["The conﬁguration ﬁle\nsets the ﬂag", "oﬀ, eﬃciently."]) == (
        "The configuration file\nsets the flag\noff, efficiently."
    )


def docx_bytes(heading: str, paragraph: str, rows: list[list[str]]) -> bytes:
    """A Word file made by python-docx: a heading, a paragraph, a table, a closing paragraph."""
    document = docx.Document()
    document.add_heading(heading, level=1)
    document.add_paragraph(paragraph)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Figures as of May.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_text_is_one_line_per_paragraph_and_table_row_in_document_order(
    tmp_path: Path,
) -> None:
    rows = [["Station", "Platforms"], ["Harbour Street", "6"], ["Old Mill\nannex", "2"]]
    data = docx_bytes("Northgate transit", "The line opened in 2019.", rows)
    text = read_text(write(tmp_path, "a.docx", data), MB)
    assert text == (
        "Northgate transit\n\nThe line opened in 2019.\n"
        "Station\tPlatforms\nHarbour Street\t6\nOld Mill annex\t2\nFigures as of May."
    )


def test_docx_headings_are_blocks_of_their_own(tmp_path: Path) -> None:
    # as in Markdown, so that a section's heading ("Version 3.1") is found over its text
    document = docx.Document()
    document.add_paragraph("The cache holds 256 MB.")
    document.add_heading("Version 3.1 (2 May 2024)", level=2)
    document.add_paragraph("The cache holds 128 MB.")
    document.add_paragraph("Notes", style="Title")
    path = tmp_path / "notes.docx"
    document.save(str(path))
    assert read_text(path, MB) == (
        "The cache holds 256 MB.\n\nVersion 3.1 (2 May 2024)\n\nThe cache holds 128 MB.\n\nNotes"
    )
    assert numbered_headings(read_text(path, MB))


def test_docx_cells_merged_across_columns_are_read_once(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Both years"
    table.cell(0, 2).text = "Total"
    for i, value in enumerate(["2023", "2024", "12"]):
        table.cell(1, i).text = value
    path = tmp_path / "merged.docx"
    document.save(str(path))
    assert read_text(path, MB) == "Both years\tTotal\n2023\t2024\t12"


def zip_without(data: bytes, member: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if name != member:
                dst.writestr(name, src.read(name))
    return out.getvalue()


GOOD_DOCX = docx_bytes("Title", "Some text.", [["a", "b"]])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"plain text, not a zip", "not a zip archive"),
        (GOOD_DOCX[: len(GOOD_DOCX) // 2], "not a zip archive"),
        (zip_without(GOOD_DOCX, "word/document.xml"), "no item named 'word/document.xml'"),
        (zip_without(GOOD_DOCX, "[Content_Types].xml"), "[Content_Types].xml"),
    ],
    ids=["not-a-zip", "truncated", "no-document-xml", "no-content-types"],
)
def test_a_broken_docx_is_refused_with_a_one_line_reason(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    path = write(tmp_path, "broken.docx", data)
    with pytest.raises(SourceFileError) as caught:
        read_text(path, MB)
    message = str(caught.value)
    assert message.startswith("broken.docx: not a readable .docx (") and reason in message
    assert "\n" not in message


def test_folder_loading_skips_bad_files_and_hidden_folders(tmp_path: Path) -> None:
    write(tmp_path, "good.md", b"# Title\nSome text.")
    write(tmp_path, "bad.txt", b"\x00\x00")
    write(tmp_path, "bad.docx", b"PK not really")
    write(tmp_path, "ignored.exe", b"MZ")
    (tmp_path / ".hidden").mkdir()
    write(tmp_path / ".hidden", "secret.txt", b"not a source")
    docs, skipped = load_folder(tmp_path, MB)
    assert [d.path for d in docs] == ["good.md"]
    assert [s.path for s in skipped] == ["bad.docx", "bad.txt"]
    assert "not a zip archive" in skipped[0].reason and "binary" in skipped[1].reason


def test_links_leaving_the_folder_are_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path, "outside.txt", b"outside text")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.txt").symlink_to(outside)
    write(root, "inside.txt", b"inside text")
    assert [p.name for p in find_sources(root)] == ["inside.txt"]


def test_missing_or_empty_folders_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="not found"):
        load_folder(tmp_path / "nope", MB)
    with pytest.raises(SourcesError, match="no supported files"):
        load_folder(tmp_path, MB)


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with one line of text, written by hand so no PDF writer is needed."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_a_span_maps_into_the_file_as_indexed_and_a_changed_file_is_refused(
    tmp_path: Path,
) -> None:
    write(tmp_path, "a.md", b"# Setup\n\nRun **make** first.\n")
    texts, _, _ = load_changed(tmp_path, scan_folder(tmp_path), MB, lambda name, stamp: None)
    start = texts["a.md"].index("make")
    span = texts.in_file("a.md", start, start + 4)
    assert (span.start, span.end, span.line) == (15, 19, 3)
    write(tmp_path, "b.md", b"# Setup\n\nRun **make** first.\n")
    others, _, _ = load_changed(tmp_path, scan_folder(tmp_path), MB, lambda name, stamp: None)
    write(tmp_path, "b.md", b"# Setup\n\nRun **cmake** first.\n")
    with pytest.raises(SourceFileError, match="changed after it was indexed"):
        others.in_file("b.md", start, start + 4)
