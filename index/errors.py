"""The errors this project raises on purpose; the CLI and the UI turn each into one line.

QAError
 ├── InvalidQuestion     empty, too long or unprintable question (qa.errors)
 ├── ConfigError         a bad setting, named with its value
 ├── SourcesError        the sources folder is missing or holds nothing to index
 ├── SourceFileError     one file cannot be read as text (binary, undecodable, too big)
 ├── IndexBusy           another process holds the index lock
 ├── IndexCorrupt        the index folder cannot be opened; says how to rebuild it
 └── MissingDependency   an optional extra is not installed; names the install command

All but ``InvalidQuestion`` can be raised while indexing, so they live in the lowest
package; :mod:`qa.errors` adds the question's own error and is where users import them.
"""

from __future__ import annotations


class QAError(Exception):
    """Base of every error a user can cause; its message is meant to be shown as is."""


class ConfigError(QAError):
    pass


class SourcesError(QAError):
    pass


class SourceFileError(QAError):
    pass


class IndexBusy(QAError):
    pass


class IndexCorrupt(QAError):
    pass


class MissingDependency(QAError):
    pass
