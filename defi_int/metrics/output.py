"""Rendering and writing helpers shared by the metrics tables and the report.

Every metrics file goes through here: exact integers become decimal strings (``fixed`` for 1e18
sizes and prices, ``units`` for collateral), basis-point floats become ``f"{x:.4f}"``, rows become
CSV text with ``\\n`` line endings, and ``write_atomic`` puts the bytes on disk under a temporary
name in the target directory before ``os.replace`` swaps them in, so a reader never sees half a file.
No locale, no timestamps: the same records always give the same bytes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path


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


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """CSV with a header, ``\\n`` line endings and minimal quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes) -> Path:
    """Writes ``data`` to a temporary file beside ``path``, then renames it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # mkstemp makes 0600; reports are meant to be read
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return path
