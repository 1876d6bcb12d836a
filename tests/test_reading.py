"""Asking over Markdown, HTML and hard-wrapped text: answers and quotes carry no markup,
every citation is exact in the text the page shows, and maps back into the file itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.embed import OnnxEmbedder
from qa import Assistant, Settings

README = """\
# tidewater

[![CI](https://ci.example/tidewater/badge.svg)](https://ci.example/tidewater)
[![PyPI](https://img.example/pypi/v/tidewater.svg)](https://pypi.example/tidewater)

**tidewater** syncs a local folder to an [object store](https://docs.example/stores.html)
and keeps a journal of every upload in `~/.tidewater/journal.db`.

## Installation

```console
pip install "tidewater[s3]"
```

Python 3.10+ is required. The `s3` extra pulls in
[boto3](https://pypi.example/boto3); the `gcs` extra pulls in `google-cloud-storage`.

## Options

| Flag | Effect |
|------|--------|
| `--dry-run` | Lists what would be uploaded without uploading it |
| `--max-rate=KBPS` | Caps the upload bandwidth |

- Uploads are retried **five** times before a file is marked failed.
- Released under the <a href="LICENSE.txt">Apache-2.0</a> licence.
"""

GUIDE = """\
<html><head><title>Tidewater guide</title><style>h1 { color: red }</style></head>
<body>
<h1>Operator guide</h1>
<p>The journal is compacted every <b>seven days</b> by the
<a href="https://docs.example/compact">compactor</a>; run
<code>tidewater compact --now</code> to compact it at once.</p>
<h2>Support</h2>
<p>Security reports go to <a href="mailto:security@tidewater.example">security@tidewater.example</a>
&amp; are answered within two working days.</p>
</body></html>
"""

NEWS = """\
tidewater NEWS

Version 2.4 (8 May 2031)

* The scheduler now waits 90 seconds between two sync passes instead of
  the 30 seconds of earlier releases, to spare metered connections.
* A new option --exclude-from=FILE reads the patterns of files to leave
  out from FILE, one pattern per line.
"""

MARKUP = re.compile(r"\]\(|\*\*|`|</?[a-z]+[ >/]|!\[|^#|&amp;|\|\s*-{3}", re.MULTILINE)

#: What a file may hold between two words its reader sees: tags, entities, link targets,
#: punctuation.
BETWEEN = r"(?:<[^>]*>|&\w+;|\]\([^)]*\)|[^\w<])*"

QUESTIONS = {
    "Which Python version does tidewater require?": "3.10+",
    "How often is the journal compacted?": "seven days",
    "Which flag lists what would be uploaded without uploading it?": "--dry-run",
    "How long does the scheduler wait between two sync passes?": "90 seconds",
    "Which option reads the patterns of files to leave out?": "--exclude-from=FILE",
    "Where do security reports go?": "security@tidewater.example",
    "How many times are uploads retried?": "five",
    "Under which licence is tidewater released?": "Apache-2.0",
}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxEmbedder) -> Assistant:
    folder = tmp_path_factory.mktemp("docs")
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "guide.html").write_text(GUIDE, encoding="utf-8")
    (folder / "NEWS.txt").write_text(NEWS, encoding="utf-8")
    # Every question gets its best span, whatever its tier: the spans are what is tested.
    settings = Settings(index_dir=tmp_path_factory.mktemp("index"), floor=0.0)
    return Assistant.open(folder, settings, embedder=embedder)


@pytest.mark.slow
def test_answers_and_quotes_carry_no_markup_and_map_back_to_the_file(
    assistant: Assistant,
) -> None:
    right = 0
    for question, expected in QUESTIONS.items():
        answer = assistant.ask(question)
        assert not answer.abstained, question
        assert not MARKUP.search(answer.text), answer.text
        right += expected in answer.text
        for citation in answer.citations:
            text = assistant.texts[citation.source]
            assert text[citation.start : citation.end] == citation.quote
            assert not MARKUP.search(citation.quote), citation.quote
            span = assistant.file_span(citation)
            raw = (Path(assistant.root) / Path(citation.source).name).read_text("utf-8")
            # The file's span holds the quote's words in order, markup between them.
            pattern = BETWEEN.join(re.escape(w) for w in re.findall(r"\w+", citation.quote))
            assert re.search(pattern, raw[span.start : span.end]), (citation.quote, span)
            first_word = re.findall(r"\w+", citation.quote)[0]
            assert first_word in raw.splitlines()[span.line - 1]
    assert right >= len(QUESTIONS) - 2


def test_the_page_text_of_markdown_is_the_text_its_reader_sees(assistant: Assistant) -> None:
    readme = next(name for name in assistant.texts if name.endswith("README.md"))
    text = assistant.texts[readme]
    assert text.startswith("tidewater\n\ntidewater syncs a local folder to an object store and")
    assert "--dry-run\tLists what would be uploaded without uploading it" in text.split("\n")
    assert 'pip install "tidewater[s3]"' in text.split("\n")
    assert not MARKUP.search(text)
