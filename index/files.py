"""Files written whole or not at all, and hashes of large files remembered between runs."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path


def replace_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Have ``write`` fill a temporary file or folder beside ``target``, then rename it into
    place.

    A crash leaves the old one or none, never a half-written one. A folder replaces a folder
    of the same name (removed first: a rename cannot replace a folder that holds files).
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        if tmp.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def file_sha256(path: Path, cache: Path) -> str:
    """sha256 of a file, remembered by its path, size and modification time.

    Hashing the 90 MB of weights on every start would cost a third of a second.
    """
    stat = path.stat()
    stamp = f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
    memo = cache / "sha256" / hashlib.sha1(stamp).hexdigest()
    try:
        known = memo.read_text(encoding="ascii").strip()
        if len(known) == 64:
            return known
    except OSError:
        pass
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    memo.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(memo, lambda tmp: tmp.write_text(digest, encoding="ascii"))
    return digest
