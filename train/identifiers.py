"""SQuAD answers renamed as the identifiers that technical documents answer with.

READMEs, manuals, man pages and release notes answer with flags, functions, variables,
package extras, file names and versioned names: ``--no-silent``, ``lzma_lzip_decoder()``,
``httpx[cli]``. Wikipedia never does, so a reader trained on it alone takes such tokens for
noise. A stage can rename a share of its examples' answers as identifiers made from the
answer's own words, written alike wherever the paragraph writes the answer. The question
is unchanged, so what it asks is still what the paragraph says of the answer. A name the
question shares with the paragraph may be renamed in both, and an unanswerable example gets
a name of its paragraph renamed, so that an identifier tells nothing of whether, or where,
the answer is.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from train.data import Example
from train.negatives import NAME

MAX_WORDS = 3
_WORD = re.compile(r"[^\W_]+")
#: First words of a phrase, not of a name: "her appearance" is not renamed.
_DETERMINERS = frozenset("a an the this that these those his her its their our my your".split())


def _extension(rng: random.Random) -> str:
    return rng.choice(("txt", "json", "md", "h", "c", "py", "so", "exe", "cfg", "yml"))


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"


#: Ways a technical document writes a name, each from the name's lower-cased words.
STYLES: tuple[Callable[[list[str], random.Random], str], ...] = (
    lambda w, rng: "--" + "-".join(w),  # a long option
    lambda w, rng: "_".join(w),  # a variable
    lambda w, rng: "_".join(w).upper(),  # a macro or environment variable
    lambda w, rng: w[0] + "".join(x.capitalize() for x in w[1:]),  # a field or method
    lambda w, rng: "_".join(w) + "()",  # a function
    lambda w, rng: f"{'-'.join(w)}.{_extension(rng)}",  # a file
    lambda w, rng: f"{w[0]}[{'-'.join(w[1:]) or _extension(rng)}]",  # a package extra
    lambda w, rng: f"{'-'.join(w)}({rng.randint(1, 8)})",  # a man page
    lambda w, rng: f"{'-'.join(w)}-{_version(rng)}",  # a versioned name
    lambda w, rng: "-".join(w),  # a package or command
)


def identifier(name: str, rng: random.Random) -> str | None:
    """``name`` written as one drawn style of identifier; None when it is not a short name
    with letters in it (numbers, phrases and long names are left as they are)."""
    words = _WORD.findall(name.lower())
    if not 1 <= len(words) <= MAX_WORDS or not any(c.isalpha() for c in "".join(words)):
        return None
    if words[0] in _DETERMINERS or not name[-1].isalnum():
        return None
    return rng.choice(STYLES)(words, rng)


def _whole_word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)")


def _occurrences(text: str, name: str) -> list[int]:
    return [m.start() for m in _whole_word(name).finditer(text)]


def renamed(text: str, name: str, new: str) -> tuple[str, Callable[[int], int | None]]:
    """``text`` with every whole-word ``name`` written ``new``, and where an offset of a
    character outside the renamed words, or of the start of one of them, went."""
    at = _occurrences(text, name)
    grow = len(new) - len(name)

    def moved(offset: int) -> int | None:
        before = sum(1 for a in at if a < offset)
        if before and offset < at[before - 1] + len(name):
            return None  # inside a renamed word, past its start
        return offset + before * grow

    return _whole_word(name).sub(lambda m: new, text), moved


def coded(example: Example, rng: random.Random) -> Example:
    """``example`` with its answer renamed as an identifier, and half the time also a name
    the question and the paragraph share; an unanswerable one with a name of its paragraph
    renamed, one the question shares when there is one. Unchanged when nothing fits
    (answers that differ, a number, a question that writes the answer)."""
    context, question, answers = example.context, example.question, list(example.answers)
    targets: list[str] = []
    if answers:
        texts = {text for text, _ in answers}
        text = answers[0][0]
        if len(texts) > 1 or text.lower() in question.lower():
            return example
        written = _occurrences(context, text)
        if any(begin not in written for _, begin in answers):
            return example
        targets.append(text)
    names = [re.sub(r"['’]s$", "", m.group()) for m in NAME.finditer(context)]
    shared = [
        name
        for name in names
        if _occurrences(question, name) and not any(name in t or t in name for t in targets)
    ]
    if shared and (not answers or rng.random() < 0.5):
        targets.append(rng.choice(shared))
    elif not answers and names:
        targets.append(rng.choice(names))
    for name in targets:
        new = identifier(name, rng)
        if new is None or new in context:
            continue
        context, moved = renamed(context, name, new)
        question = renamed(question, name, new)[0]
        answers = [
            (new if text == name else text, at)
            for text, begin in answers
            if (at := moved(begin)) is not None
        ]
    if len(answers) < len(example.answers):
        return example
    if any(context[a : a + len(text)] != text for text, a in answers):
        return example
    return Example(example.id, example.title, question, context, tuple(answers))


def recoded(items: Sequence[Example], share: float, seed: int) -> list[Example]:
    """The items, a seeded ``share`` of them :func:`coded`."""
    rng = random.Random(seed)
    return [coded(example, rng) if rng.random() < share else example for example in items]
