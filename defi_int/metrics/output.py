"""Rendering and writing helpers shared by the metrics tables and the report.

Every metrics file goes through here: exact integers become decimal strings (``fixed`` for 1e18
sizes and prices, ``units`` for collateral), basis-point floats become ``f"{x:.4f}"``, rows become
CSV text with ``\\n`` line endings (a table of every fill or order in pieces, ``csv_file``, never
whole in memory), and ``write_atomic`` puts the bytes on disk under a temporary name in the target
directory before ``os.replace`` swaps them in, so a reader never sees half a file.
No locale, no timestamps: the same records always give the same bytes.

A whole directory of files (the report) goes through ``write_directory``: ``check_directory``
first says whether the target can take it (one ``OutputError`` naming the path), then every file
is written into a temporary directory beside the target, which is renamed into place; an existing
target that holds only files of the same names (an earlier report) is replaced whole (exchanged
with the new one in one rename where Linux allows, else moved aside first), anything else in the
way is refused, never deleted. A reader never finds a half-written report at the target.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from defi_int.exceptions import OutputError


def fixed(value: int, decimals: int = 18) -> str:
    """An exact fixed-point integer as a plain decimal, trailing zeros stripped: 2001.5e18 -> "2001.5"."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**decimals)
    digits = str(frac).rjust(decimals, "0").rstrip("0") if decimals else ""
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


def units(value: int, decimals: int) -> str:
    """An exact token amount with exactly ``decimals`` places: 12_500_000 (6 decimals) -> "12.500000"."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**decimals)
    return f"{sign}{whole}.{str(frac).rjust(decimals, '0')}" if decimals else f"{sign}{whole}"


def bps(value: float | None) -> str:
    """A basis-point statistic with four places; ``None`` (undefined) is an empty cell."""
    if value is None:
        return ""
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


def ratio_bps(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` in bps, from exact integers (one correctly rounded division)."""
    if denominator == 0:
        return None
    return numerator * 10_000 / denominator


class Chunks:
    """A file's bytes made piece by piece while it is written (a table of every fill or order, of a
    million rows), never whole in memory; iterating again makes them again. ``bytes(chunks)`` joins them."""

    def __init__(self, make: Callable[[], Iterable[bytes]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._make())

    def __bytes__(self) -> bytes:
        return b"".join(self)


#: Rows per piece of a ``csv_chunks`` file.
CSV_CHUNK_ROWS = 10_000


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[bytes]:
    """``csv_text(header, rows).encode()`` in pieces of ``CSV_CHUNK_ROWS`` rows (the same bytes joined)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for index, row in enumerate(rows, 1):
        writer.writerow(row)
        if index % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def csv_file(header: Sequence[str], rows: Callable[[], Iterable[Sequence[str]]]) -> Chunks:
    """A CSV file written as ``csv_chunks`` of the rows ``rows()`` makes, each time it is written."""
    return Chunks(lambda: csv_chunks(header, rows()))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """CSV with a header, ``\\n`` line endings and minimal quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes | Chunks) -> Path:
    """Writes ``data`` (bytes, or ``Chunks`` piece by piece) to a temporary file beside ``path``, then
    renames it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # mkstemp makes 0600; reports are meant to be read
        with os.fdopen(handle, "wb") as file:
            for piece in [data] if isinstance(data, bytes) else data:
                file.write(piece)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return path


def check_directory(path: Path, names: Collection[str]) -> Path:
    """The absolute target where a directory of files ``names`` can be written; else ``OutputError``.

    Refused: a path under a file, a path that is a file, an existing directory holding anything but
    regular files named in ``names`` (it is not ours to replace), and a place this process cannot
    write in (tried by making and removing an empty directory there: nothing is left behind).
    """
    shown = str(path)
    target = Path(os.path.abspath(path))
    if target.parent == target:
        raise OutputError(shown, "is the root directory")
    for ancestor in reversed(target.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise OutputError(shown, f"{ancestor} is a file, not a directory")
    if target.exists() or target.is_symlink():
        if target.is_symlink() or not target.is_dir():
            raise OutputError(shown, "exists and is not a directory")
        for entry in sorted(os.scandir(target), key=lambda e: e.name):
            if entry.name not in names:
                raise OutputError(
                    shown, f"holds {entry.name!r}, which no report writes; choose another --out or remove it"
                )
            if not stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
                raise OutputError(shown, f"holds {entry.name!r} but not as a file; choose another --out or remove it")
    base = target.parent
    while not base.exists():
        base = base.parent
    try:
        os.rmdir(tempfile.mkdtemp(dir=base, prefix=".defi-int-probe-"))
    except OSError as err:
        raise OutputError(shown, f"cannot write in {base}: {err.strerror or err}") from None
    return target


def write_directory(
    path: Path, contents: Mapping[str, bytes | Chunks], *, also: Collection[str] = ()
) -> dict[str, Path]:
    """Writes ``contents`` (file name -> bytes, or ``Chunks`` written piece by piece) as the
    directory ``path``, all or nothing.

    See the module docstring; returns file name -> path. Raises ``OutputError`` when the target
    cannot take it (checked again here: things may have changed while the run ran). Files named in
    ``also`` (what earlier versions wrote there) may be in the old directory; it is replaced whole.
    """
    target = check_directory(path, {*contents, *also})
    made = [parent for parent in target.parents if not parent.exists()]
    temp: Path | None = None
    done = False
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
        os.chmod(temp, 0o755)  # mkdtemp makes 0700; reports are meant to be read
        for name, data in contents.items():
            _write_file(temp / name, data)
        _swap_in(temp, target)
        done = True
    except OSError as err:
        raise OutputError(str(path), f"cannot write the report: {err.strerror or err}") from None
    finally:
        if not done:
            if temp is not None:
                shutil.rmtree(temp, ignore_errors=True)
            for parent in made:  # the directories made for the report, deepest first
                with contextlib.suppress(OSError):
                    parent.rmdir()
    return {name: target / name for name in contents}


def _write_file(path: Path, data: bytes | Chunks) -> None:
    with open(path, "xb") as file:
        for piece in [data] if isinstance(data, bytes) else data:
            file.write(piece)
        file.flush()
        os.fsync(file.fileno())
    os.chmod(path, 0o644)


def _swap_in(new: Path, target: Path) -> None:
    """Renames ``new`` to ``target``; an old ``target`` is exchanged with it in one step where the
    system can (Linux ``renameat2``), else moved aside first, and removed after."""
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old report
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.rename(target, old / target.name)
    try:
        os.rename(new, target)
    except OSError:
        os.rename(old / target.name, target)  # put the old report back
        os.rmdir(old)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swaps two paths atomically (``renameat2(RENAME_EXCHANGE)``); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
    return bool(done)
