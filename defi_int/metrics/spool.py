"""The run's growing records on disk while it runs: ``Spool`` and its append-only ``SpooledList``.

A run of a million orders keeps a million ``OrderLog``s, twice as many fill legs and desk events:
as Python objects that is gigabytes. The recorder (``defi_int.sim.recorder``) appends each record
to a ``SpooledList`` instead of a list: the last ``chunk`` records stay in memory, and every full
chunk is pickled and appended to one file per list in a temporary directory::

    append(record) ─▶ tail (a list of < chunk records) ─ full ─▶ pickle.dumps(tail) ─▶ <dir>/<name>.pkl
    iter(records)  ◀─ pickle.load(chunk) for each chunk on disk, then the tail, in append order

Why pickled chunks: the records are dataclasses of exact Python integers (prices and cash overflow
int64, so neither numpy columns nor SQLite integers hold them), pickle round-trips them exactly
and fast (the C pickler, the field names memoized once a chunk), and an append-only file needs no
schema beside ``records.py``'s. A metric reads a list in one pass (``for leg in result.fills``)
and holds one chunk at a time; ``len`` and indexing need no read (indexing loads one chunk).

A ``SpooledList`` is a ``MutableSequence`` you can only append to and clear: ``result.fills`` is
used as a list everywhere it was one. Pickled (a sweep's result sent back from a worker) it becomes
a plain list. The directory is created at the first full chunk, so a run shorter than a chunk
never touches the disk, and removed when the last list using it is garbage collected (or at exit),
by the process that made it (not by a worker forked from it).
``CHUNK`` is the records per chunk; 0 keeps every record in memory (a plain ``list``).
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator, MutableSequence
from pathlib import Path
from typing import Any, TypeVar, overload

T = TypeVar("T")

#: Records per chunk: what stays in memory of each list, and what one read loads. 0: no spool.
CHUNK = 4096


class Spool:
    """A temporary directory holding the chunk files of some ``SpooledList``s (created on first use)."""

    def __init__(self, chunk: int | None = None) -> None:
        self.chunk = CHUNK if chunk is None else chunk
        if self.chunk < 1:
            raise ValueError(f"a spool's chunk must be at least 1 record, not {self.chunk}")
        self._dir: Path | None = None

    @property
    def directory(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="defi-int-spool-"))
            weakref.finalize(self, _remove, self._dir, os.getpid())
        return self._dir

    def new_list(self, name: str) -> SpooledList[Any]:
        """A new, empty list whose chunks go to ``<dir>/<name>.pkl``."""
        return SpooledList(self, name)


def _remove(directory: Path, owner: int) -> None:
    """Removes a spool's directory, in the process that made it only (a forked worker inherits the
    finalizer, not the directory's ownership)."""
    if os.getpid() == owner:
        shutil.rmtree(directory, ignore_errors=True)


class SpooledList(MutableSequence[T]):
    """An append-only list whose full chunks live on disk; see the module docstring."""

    def __init__(self, spool: Spool, name: str) -> None:
        self._spool = spool
        self._name = name
        self._offsets: list[int] = []  # where each chunk starts in the file
        self._end = 0  # the file's length
        self._tail: list[T] = []
        self._cached: tuple[int, list[T]] | None = None  # the chunk last loaded by index

    @property
    def _path(self) -> Path:
        return self._spool.directory / f"{self._name}.pkl"

    @property
    def chunks_on_disk(self) -> int:
        return len(self._offsets)

    def append(self, value: T) -> None:
        self._tail.append(value)
        if len(self._tail) >= self._spool.chunk:
            self._write()

    def extend(self, values: Iterable[T]) -> None:
        for value in values:
            self.append(value)

    def __iadd__(self, values: Iterable[T]) -> SpooledList[T]:
        self.extend(values)
        return self

    def _write(self) -> None:
        data = pickle.dumps(self._tail, protocol=pickle.HIGHEST_PROTOCOL)
        with self._path.open("ab") as file:
            file.write(data)
        self._offsets.append(self._end)
        self._end += len(data)
        self._tail = []

    def _chunks(self) -> Iterator[list[T]]:
        if self._offsets:
            with self._path.open("rb") as file:
                for _ in self._offsets:
                    chunk: list[T] = pickle.load(file)
                    yield chunk
        yield self._tail

    def __iter__(self) -> Iterator[T]:
        for chunk in self._chunks():
            yield from chunk

    def __len__(self) -> int:
        return len(self._offsets) * self._spool.chunk + len(self._tail)

    def __bool__(self) -> bool:
        return bool(self._offsets or self._tail)

    def _chunk(self, index: int) -> list[T]:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        with self._path.open("rb") as file:
            file.seek(self._offsets[index])
            chunk: list[T] = pickle.load(file)
        self._cached = (index, chunk)
        return chunk

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        size = len(self)
        at = index + size if index < 0 else index
        if not 0 <= at < size:
            raise IndexError(f"{self._name} index {index} out of range ({size} records)")
        chunk, place = divmod(at, self._spool.chunk)
        if chunk == len(self._offsets):
            return self._tail[place]
        return self._chunk(chunk)[place]

    def clear(self) -> None:
        if self._offsets:
            self._path.unlink(missing_ok=True)
        self._offsets, self._end, self._tail, self._cached = [], 0, [], None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SpooledList | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"SpooledList({self._name!r}, {len(self)} records, {len(self._offsets)} chunks on disk)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))

    # Append-only: a record once written is not changed in place.
    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(f"{self._name} is append-only (a spooled record list)")

    def __delitem__(self, index: Any) -> None:
        raise TypeError(f"{self._name} is append-only (a spooled record list)")

    def insert(self, index: int, value: T) -> None:
        raise TypeError(f"{self._name} is append-only (a spooled record list)")
