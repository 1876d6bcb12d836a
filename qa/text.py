"""Text helpers shared by the answerer, the verifier and the LLM path: sentences and terms,
and the check every question passes first.

Sentences and terms come as offsets into the text they are given, so a span found here
can become a :class:`~qa.types.Citation` without any rebuilding of text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from index.view import FIELD, LABEL
from qa.errors import InvalidQuestion

Span = tuple[int, int]

#: What may close a sentence after its period: a quote, a bracket.
_CLOSING = '"”’)]'
#: A sentence's end: its marks, from the first of a run (so a run of thousands of periods,
#: a dot leader, is tried once, not from each of its periods), a closing quote or bracket,
#: and the capital or number the next sentence begins with; or a colon that ends a line.
_SENTENCE_END = re.compile(
    rf"(?<![.!?])[.!?]+[{re.escape(_CLOSING)}]*(?=\s+[\"“‘(\[]?[A-Z0-9])|:(?=\s*\n)"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: A number as written: "256", "10,000", "$5", "3.5%".
_NUMBER = r"[$£€]?\d+(?:[,.]\d+)*%?"
TOKEN = re.compile(rf"(?:[A-Za-z]\.){{2,}}|{_NUMBER}|[A-Za-z]+(?:[’'][A-Za-z]+)?")

#: NLTK's English stop words, as bm25s ships them: what a claim or a question is not about.
STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
_stemmer = Stemmer.Stemmer("english")


def sentence_spans(text: str) -> list[Span]:
    """Sentences of ``text``; a line break always ends one (headlines, quoted posts)."""
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        begin = line.start()
        for end in _SENTENCE_END.finditer(text, line.start(), line.end()):
            if end.group().rstrip(_CLOSING) == ".." and text[end.start() - 1 : end.start()] == " ":
                continue  # a range ("0 .. UINT_MAX"), not two periods after a word
            if begin == line.start() and LABEL.fullmatch(text, begin, end.end()):
                continue  # a list item's label ("2.9.", "10.") begins its sentence
            before = text[begin : end.start()].rsplit(None, 1)
            word = before[-1].lstrip('("“') if before else ""
            if text[end.start()] == "." and is_abbreviation(
                word, numbered=text[end.end() : end.end() + 4].lstrip()[:1].isdigit()
            ):
                continue
            spans.append((begin, end.end()))
            begin = end.end()
        spans.append((begin, line.end()))
    return [s for s in (strip_span(text, a, b) for a, b in spans) if s[1] > s[0]]


#: English's shortened words for the parts of a text that are numbered: before a number
#: ("No. 5", "Fig. 3", "Vol. 2"), their period does not end a sentence.
NUMBERED_PARTS = frozenset(
    "no nos fig figs vol vols ch chap sec sect art arts eq eqs tab ref refs para pt app ex".split()
)


def is_abbreviation(word: str, numbered: bool = False) -> bool:
    """Whether a word before a period is more likely shortened than ending a sentence, in any
    English text: an initial ("J."), a dotted form ("U.S", "e.g"), letters without a vowel
    ("Mr", "Dr", "St", "vs"), or, when a number follows (``numbered``), the name of a
    numbered part ("No", "Fig", "Vol")."""
    letters = word.replace(".", "")
    return letters.isalpha() and (
        len(letters) == 1
        or "." in word
        or not set(letters.lower()) & set("aeiouy")
        or (numbered and letters.casefold() in NUMBERED_PARTS)
    )


_WHITESPACE_WORD = re.compile(r"\S+")


def without_lone_marks(text: str, span: Span) -> Span:
    """``span`` past the words at its edges that are a list's, a table's or a comment's
    marks alone ("- /var/spool" is "/var/spool", "# Seconds" is "Seconds"), when it has
    other words: marks alone answer too ("&&", "--")."""
    words = [m.span() for m in _WHITESPACE_WORD.finditer(text, *span)]
    if not any(_writes_a_word(text, word) for word in words):
        return span
    while not _writes_a_word(text, words[0]):
        words.pop(0)
    while not _writes_a_word(text, words[-1]):
        words.pop()
    return words[0][0], words[-1][1]


def _writes_a_word(text: str, span: Span) -> bool:
    """Whether a word is more than a list's, a table's or a comment's mark ("-", "|", "#")."""
    return any(c not in _EDGE_MARKS for c in text[span[0] : span[1]])


#: Marks of lists, tables, comments and separators: never an answer's first or last word
#: when it has others. A sign of what follows it ("≥ 3.8", "$ 5", "~ 2 hours") stays.
_EDGE_MARKS = frozenset("-–—*•·#|=:")


#: A comparison a bound is written with, standing alone or glued to its number: "< 2.1",
#: ">=3.8", "≤ 5"; not an arrow's head ("-> 2").
_COMPARISON = re.compile(r"(?<![^\s(\[])(?:[<>]=?|[=!~]=|[≤≥])[ \t]?")


def with_comparison(text: str, span: Span) -> Span:
    """A number written as a bound takes its comparison in: "2.1" of "charset-normalizer <
    2.1" says the opposite of what the text does."""
    start, end = span
    if not text[start : start + 1].isdigit():
        return span
    for found in _COMPARISON.finditer(text, max(0, start - 3), start):
        if found.end() == start:
            return found.start(), end
    return span


def strip_span(text: str, start: int, end: int) -> Span:
    """Narrow a span past white space and trailing commas or semicolons."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;"):
        end -= 1
    return start, end


def tokens(text: str) -> list[str]:
    """Words and numbers as written (``U.S.``, ``10,000``, ``O’Neill’s``)."""
    return TOKEN.findall(text)


def normalize_token(token: str) -> str:
    low = token.lower()
    if low.isdigit():
        return low.lstrip("0") or "0"  # "007" is 7
    if low[:1].isdigit() or low[:1] in "$£€":
        return low.replace(",", "").strip("$£€%")
    low = re.sub(r"[’']s$", "", low).replace("’", "'")
    return low


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def content_terms(text: str) -> list[str]:
    """Stemmed content words and numbers: what a claim or a question is about."""
    return [term for term, _ in content_words(text)]


def content_words(text: str) -> list[tuple[str, str]]:
    """Each content word or number as (stemmed term, normalised word)."""
    found = []
    for tok in tokens(text):
        norm = normalize_token(tok)
        if norm in STOPWORDS or (len(norm) < 2 and not norm.isdigit()):
            continue
        found.append((stem(norm), norm))
    return found


def number_tokens(text: str) -> list[str]:
    """Numbers written with digits, as written (``$10,000``); of a date written the ISO
    way, its year: a text may write 2024-01-02 as "2 January 2024"."""
    text = _ISO_DATE.sub(r"\1", text)
    return [t for t in tokens(text) if t.lstrip("$£€")[:1].isdigit()]


_ISO_DATE = re.compile(r"\b(\d{4})-\d\d-\d\d\b")


def numbers(text: str) -> set[str]:
    """Numbers written with digits, normalised (``10,000`` -> ``10000``)."""
    return {normalize_token(t) for t in number_tokens(text)}


def written_numbers(text: str) -> set[str]:
    """The numbers ``text`` writes, with the leading parts of each dotted one ("4.4" and
    "4" of "4.4.1"): a question about release 4.4 is about 4.4.1 too; and a release of two
    parts with a third of 0 ("4.4.0" of "4.4"), as a question may name it."""
    written: set[str] = set()
    for number in numbers(text):
        parts = number.split(".")
        written.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
        if len(parts) == 2:
            written.add(f"{number}.0")
    return written


#: The word after it, apart only by spaces on its line, and what ends the phrase that word
#: ends: sentence punctuation, the end of the line, or a word on (checked as a stop word).
_WORD_AFTER = re.compile(r" +([^\W\d_]+)(?=[.,;:!?)\]]*(?:$|\s))(?: +([^\W\d_]+))?", re.M)


#: Words that only negate: alone, a span of one says nothing until it takes in what it negates.
_NEGATIONS = frozenset({"no", "not", "never"})


def with_named_word(text: str, span: Span, terms: set[str]) -> Span:
    """A span that says nothing alone, a bare number or a lone "not", widened over the word
    after it when the question names that word (``terms`` are its :func:`content_terms`):
    "256 characters" for "How many characters…", "not surprised" for "Was it surprised…".
    After a number the word must also end its phrase, so "500 New York firefighters"
    stays "500": what it counts is named by more than the next word.
    """
    start, end = span
    said = text[start:end]
    number = re.fullmatch(_NUMBER, said) is not None
    if not number and said.casefold() not in _NEGATIONS:
        return span
    after = _WORD_AFTER.match(text, end)
    if after is None or stem(normalize_token(after.group(1))) not in terms:
        return span
    if number and after.group(2) is not None and after.group(2).casefold() not in STOPWORDS:
        return span
    return start, after.end(1)


#: A capitalised word right after, apart by one space on its line, and the period after it.
_NAME_AFTER = re.compile(r" (?!I\b)([A-Z][\w'’&-]*)(\.?)(?=$|[\s,;:!?)\]])", re.M)
#: How many words after it a name may take in.
_NAME_WORDS = 3


def with_whole_name(text: str, span: Span) -> Span:
    """A span ending in a capitalised word, widened over the capitalised words right after
    it on its line, so that a name is not cut ("Associated Press", "Martin Luther King
    Jr."). Not on a line most of whose words are capitalised (a title), where capitals mark
    no name."""
    start, end = span
    said = text[start:end].split()
    if not said or not said[-1][:1].isupper():
        return span
    line_end = text.find("\n", end)
    line = text[text.rfind("\n", 0, start) + 1 : line_end if line_end >= 0 else len(text)]
    words = re.findall(r"[^\W\d_]+", line)
    if 2 * sum(w[0].isupper() for w in words) > len(words):
        return span
    for _ in range(_NAME_WORDS):
        after = _NAME_AFTER.match(text, end)
        if after is None:
            break
        if after.group(2) and not is_abbreviation(after.group(1)):
            return start, after.end(1)  # the period ends the sentence
        end = after.end()
    return start, end


#: A question for a point or stretch of the calendar ("On what date…", "In which year…"),
#: and the calendar's word it asks with.
_ASKS_CALENDAR = re.compile(r"\b(?:what|which)\s+(date|day|month|year|decade|century)s?\b", re.I)
#: A month's name, in full or cut short.
_MONTHS = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)"
)
#: How English writes a date: with digits, a month's or a weekday's name, or an ordinal or
#: a decade in words ("the nineteenth", "the sixties").
_CALENDAR = re.compile(
    rf"\d|\b(?:{_MONTHS}"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
    r"|\w+teenth|\w+ieth|(?:twen|thir|for|fif|six|seven|eigh|nine)ties)\b",
    re.I,
)


def asks_for_calendar(question: str) -> str | None:
    """The calendar word a question asks for a date with ("date", "year"…), if it does."""
    asked = _ASKS_CALENDAR.search(question)
    return asked.group(1).lower() if asked else None


def writes_a_date(answer: str, word: str) -> bool:
    """Whether ``answer`` can be the date a question asked for with ``word``: it writes a
    date, or names what was asked ("the following year", "Christmas Day")."""
    return bool(_CALENDAR.search(answer)) or word in answer.lower()


#: A question for a count or an amount.
_ASKS_COUNT = re.compile(r"\bhow\s+(?:many|much)\b", re.I)
#: A day of the calendar: a month's name beside a number ("19 Jan 2020", "March 3"), or ISO.
_DAY = re.compile(rf"\d\s+{_MONTHS}\b|\b{_MONTHS}\.?\s+\d|\b\d{{4}}-\d\d-\d\d\b", re.I)


def asks_for_count(question: str) -> bool:
    """Whether a question asks "how many…" or "how much…"."""
    return _ASKS_COUNT.search(question) is not None


def names_a_day(answer: str) -> bool:
    """Whether ``answer`` names a day of the calendar, which no count or amount is: release
    notes date their headings, and a passage read under one offers its date to the reader."""
    return _DAY.search(answer) is not None


#: A block of one line: how every format's heading stands in the reading view.
_ONE_LINE_BLOCK = re.compile(r"(?:^|(?<=\n\n))[^\n]+(?=\n\n|\Z)")
_HEADING_WORDS = 10
_HEADING_WORD_CHARS = 25  # a longer "word" is a link, a path or code: not a title


def _is_field(line: str) -> bool:
    """Whether a line is a field (:data:`~index.view.FIELD`) of what a heading is about
    ("Release date: 08-Mar-2021", "Updated: 2024"), not a heading: its name writes no
    number, its value no version ("Release: 0.7.1" and "Version 2.0: the rewrite" are
    headings)."""
    name = FIELD.match(line)
    return (
        name is not None
        and not any(c.isdigit() for c in name.group())
        and not any("." in n for n in written_numbers(line[name.end() :]))
    )


#: Marks that open a bracketed or quoted stretch: they may stand before an answer's first
#: word (:mod:`qa.read`) and before a heading's ("[2.0.1] - 2024-01-02").
OPENING_MARKS = "([{\"'“‘«<"


def numbered_headings(text: str) -> list[tuple[Span, set[str]]]:
    """Each heading that writes a number, with the numbers it writes
    (:func:`written_numbers`): "Version 4.3 (19 Jan 2020)", "5.4.1", "v2.0.1" (of "## v2.0.1").

    A heading is a block of one line, of at most 10 words of at most 25 characters, that
    begins with a letter or a digit, or a bracket before one ("[2.0.1] - 2024-01-02"), not
    as a prompt, an option or code does ("$ pip install x2"), and ends without a
    sentence's punctuation: what Markdown and HTML headings and plain-text titles over
    blank lines all are in the reading view; but not a field (:func:`_is_field`), which
    release notes write under their headings, as a block of its own in the view.
    """
    found = []
    for line in _ONE_LINE_BLOCK.finditer(text):
        words = line.group().split()
        if (
            line.group().lstrip(OPENING_MARKS)[:1].isalnum()
            and len(words) <= _HEADING_WORDS
            and max(map(len, words)) <= _HEADING_WORD_CHARS
            and words[-1][-1] not in ".!?,;"
            and not _is_field(line.group())
            and (written := written_numbers(line.group()))
        ):
            found.append((strip_span(text, line.start(), line.end()), written))
    return found


#: A list item's label first on its line (:data:`~index.view.LABEL`: "2.", "(4)", "iv.").
_ITEM_LABEL = re.compile(rf"^[ \t]*({LABEL.pattern})(?=[ \t]+\S)", re.M)
_ITEM_NUMBER = re.compile(r"\(?(\d+(?:\.\d+)*)[.)]")


def numbered_items(text: str) -> list[tuple[Span, str]]:
    """Each list item that begins with a number, up to the next one or the end of its block,
    with its number ("2" of "2. Copy the release."): a question's "step 2" is the item."""
    found = [
        (item.start(), numeric.group(1))
        for item in _ITEM_LABEL.finditer(text)
        if (numeric := _ITEM_NUMBER.fullmatch(item.group(1)))
    ]
    items = []
    for i, (start, number) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        block = text.find("\n\n", start, end)
        span = strip_span(text, start, block if block >= 0 else end)
        items.append((span, normalize_token(number)))
    return items


#: A table's row whose first cell is a number: "103\tsyntax error".
_ROW_NUMBER = re.compile(r"^[ \t]*(\d+(?:\.\d+)*)\t[^\n]*", re.M)


def numbered_rows(text: str) -> list[tuple[Span, str]]:
    """Each table row whose first cell is a number, with that number: a question about exit
    code 103 is about the row that begins with it, not its neighbours' meanings."""
    return [
        (strip_span(text, *row.span()), normalize_token(row.group(1)))
        for row in _ROW_NUMBER.finditer(text)
    ]


#: A number after a word, as a label is named: "step 2", "Section 4.1", "clause (3)".
_NAMED_LABEL = re.compile(r"([^\W\d_]+)[ \t]+\(?(\d{1,3}(?:\.\d{1,3})*)\b(?![.,]\d)")


def item_named(question: str) -> str | None:
    """The number of the list item ``question`` is about: the one number it names, named
    after a word that is not a stop word ("What is step 2?"), as a label is named, not
    before what it counts ("the 3 database servers")."""
    named = numbers(question)
    for found in _NAMED_LABEL.finditer(question):
        number = normalize_token(found.group(2))
        if named == {number} and content_terms(found.group(1)):
            return number
    return None


def check_question(question: str, limit: int) -> str:
    """The question cleaned of control characters, or an error saying what is wrong."""
    if not isinstance(question, str):
        raise InvalidQuestion(f"the question must be text, got {type(question).__name__}")
    cleaned = " ".join(_CONTROL.sub(" ", question).split())
    if not cleaned:
        raise InvalidQuestion("the question is empty")
    if len(cleaned) > limit:
        raise InvalidQuestion(
            f"the question is {len(cleaned)} characters long; the limit is {limit}"
        )
    return cleaned
