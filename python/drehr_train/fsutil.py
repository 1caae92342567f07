"""Crash-safe file writing: temp file or temp folder, fsync, rename."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from typing import IO, Iterator


def fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Opens a temp file beside `path` for writing; on a clean exit it is fsynced and renamed over `path` (a reader
    sees the old file or the new one, never half of one); on an exception it is removed. The one atomic writer:
    every other helper here and every streaming writer (CSV, safetensors) goes through it."""
    if "w" not in mode:
        raise ValueError("atomic_open writes a new file: mode must contain 'w'")
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(d)


def write_bytes_atomic(path: str, data: bytes) -> None:
    with atomic_open(path, "wb") as f:
        f.write(data)


def write_text_atomic(path: str, text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_json_atomic(path: str, obj, indent: int | None = 2) -> None:
    write_bytes_atomic(path, (json.dumps(obj, indent=indent, ensure_ascii=False) + "\n").encode("utf-8"))


def fsync_tree(path: str) -> None:
    for d, _, files in os.walk(path):
        for f in files:
            with open(os.path.join(d, f), "rb+") as fh:
                os.fsync(fh.fileno())
        fsync_dir(d)


def replace_dir(tmp_dir: str, final_dir: str) -> None:
    """Moves a finished temp folder into place; an existing folder is swapped out and removed afterwards."""
    os.chmod(tmp_dir, 0o755)
    fsync_tree(tmp_dir)
    old = None
    if os.path.exists(final_dir):
        old = final_dir.rstrip("/") + ".old-" + str(os.getpid())
        os.replace(final_dir, old)
    os.replace(tmp_dir, final_dir)
    fsync_dir(os.path.dirname(os.path.abspath(final_dir)))
    if old:
        shutil.rmtree(old, ignore_errors=True)
