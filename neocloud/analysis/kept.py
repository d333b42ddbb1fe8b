"""Results kept on disk between runs (the render's figures, the Sobol' analyses): pickles written
atomically (aside, then renamed) and read back as None when missing or unreadable. Only this
package's own cache folders are read."""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any


def read_kept(path: "str | Path") -> Any:
    """The value kept at ``path``, or None when there is none or it cannot be read (a cache from
    another version, a truncated file).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.pickle"
    >>> read_kept(p) is None
    True
    >>> write_kept(p, {"a": 1}); read_kept(p)
    {'a': 1}
    """
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)  # noqa: S301 - this package's own cache folders
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None


def write_kept(path: "str | Path", value: Any) -> None:
    """Keep ``value`` at ``path`` atomically (written aside in the same folder, then renamed, so a
    reader never sees half a file). Raises ``OSError`` when the folder cannot be written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
