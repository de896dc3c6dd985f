"""The column names of a Parquet file, read from its footer with the standard library alone.

Loading a spec checks every column a KPI names against its source's columns. For a Parquet
source that needs only the schema in the file's footer, yet ``pyarrow.parquet.read_schema`` costs
its import first (pyarrow and numpy, ~0.1 s), which ``kpikit lint`` and a DuckDB or Polars
``kpikit compute`` would otherwise pay for nothing. The footer is a Thrift structure in the
*compact protocol* (https://github.com/apache/parquet-format, ``FileMetaData``); this module
reads its ``schema`` list and skips everything else without decoding it.

Anything unexpected (an encrypted footer, a truncated file, a layout this reader does not know)
falls back to pyarrow, so the answer, and the error for a broken file, stay pyarrow's.

Example:
    >>> column_names("data/events.parquet")  # doctest: +SKIP
    ('date', 'channel', 'clicks')
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["column_names"]

_MAGIC = b"PAR1"
# Compact-protocol type ids (thrift/doc/specs/thrift-compact-protocol.md).
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY = 1, 2, 3, 4, 5, 6, 7, 8
_LIST, _SET, _MAP, _STRUCT = 9, 10, 11, 12
_SCHEMA = 2  # FileMetaData.schema: list<SchemaElement>
_NAME, _NUM_CHILDREN = 4, 5  # SchemaElement.name: string, SchemaElement.num_children: i32


class _Unknown(Exception):
    """The footer is not what this reader understands: let pyarrow read it."""


def column_names(path: str | Path) -> tuple[str, ...]:
    """The top-level column names of a Parquet file, as ``pyarrow.parquet.read_schema`` names them.

    Example:
        >>> import pyarrow as pa, pyarrow.parquet as pq  # doctest: +SKIP
        >>> pq.write_table(pa.table({"day": [1], "clicks": [2]}), "t.parquet")  # doctest: +SKIP
        >>> column_names("t.parquet")  # doctest: +SKIP
        ('day', 'clicks')
    """
    try:
        return _top_level_names(_schema(_footer(Path(path))))
    except (_Unknown, OSError, IndexError, ValueError, struct.error, UnicodeDecodeError):
        import pyarrow.parquet as pq

        return tuple(pq.read_schema(path).names)


def _footer(path: Path) -> bytes:
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        if size < 12:
            raise _Unknown
        handle.seek(size - 8)
        tail = handle.read(8)
        if tail[4:] != _MAGIC:  # "PARE": an encrypted footer
            raise _Unknown
        length = struct.unpack("<i", tail[:4])[0]
        if not 0 < length <= size - 12:
            raise _Unknown
        handle.seek(size - 8 - length)
        return handle.read(length)


class _Reader:
    """Just enough of the Thrift compact protocol to walk a struct and skip what is not needed."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def byte(self) -> int:
        value = self.data[self.at]
        self.at += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise _Unknown

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def binary(self) -> bytes:
        length = self.varint()
        if self.at + length > len(self.data):
            raise _Unknown
        value = self.data[self.at : self.at + length]
        self.at += length
        return value

    def field(self, last: int) -> tuple[int, int]:
        """The next field header of a struct as ``(field id, type)``; type 0 ends the struct."""
        header = self.byte()
        kind = header & 0x0F
        if kind == 0:
            return 0, 0
        delta = header >> 4
        return (last + delta if delta else self.zigzag()), kind

    def list_header(self) -> tuple[int, int]:
        header = self.byte()
        size = header >> 4
        return (self.varint() if size == 15 else size), header & 0x0F

    def skip(self, kind: int) -> None:
        if kind in (_TRUE, _FALSE):
            return  # in a struct the value is the type; in a list it takes a byte (see below)
        if kind == _BYTE:
            self.at += 1
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _DOUBLE:
            self.at += 8
        elif kind == _BINARY:
            self.binary()
        elif kind in (_LIST, _SET):
            size, item = self.list_header()
            for _ in range(size):
                self.skip_item(item)
        elif kind == _MAP:
            size = self.varint()
            if size:
                kinds = self.byte()
                for _ in range(size):
                    self.skip_item(kinds >> 4)
                    self.skip_item(kinds & 0x0F)
        elif kind == _STRUCT:
            last = 0
            while True:
                last, inner = self.field(last)
                if inner == 0:
                    return
                self.skip(inner)
        else:
            raise _Unknown

    def skip_item(self, kind: int) -> None:
        """Skip one element of a list, set or map (booleans there take a byte each)."""
        if kind in (_TRUE, _FALSE):
            self.at += 1
        else:
            self.skip(kind)


def _schema(footer: bytes) -> list[tuple[str, int]]:
    """``FileMetaData.schema`` as ``(name, num_children)`` pairs, in file order."""
    reader, last = _Reader(footer), 0
    while True:
        last, kind = reader.field(last)
        if kind == 0:
            raise _Unknown  # no schema
        if last != _SCHEMA:
            reader.skip(kind)
            continue
        if kind != _LIST:
            raise _Unknown
        size, item = reader.list_header()
        if item != _STRUCT:
            raise _Unknown
        elements = []
        for _ in range(size):
            name, children, inner_last = None, 0, 0
            while True:
                inner_last, inner = reader.field(inner_last)
                if inner == 0:
                    break
                if inner_last == _NAME and inner == _BINARY:
                    name = reader.binary().decode("utf-8")
                elif inner_last == _NUM_CHILDREN and inner == _I32:
                    children = reader.zigzag()
                else:
                    reader.skip(inner)
            if name is None or children < 0:
                raise _Unknown
            elements.append((name, children))
        return elements


def _top_level_names(elements: list[tuple[str, int]]) -> tuple[str, ...]:
    """The names of the root's children; nested groups' own children are skipped."""
    if not elements:
        raise _Unknown
    names, at = [], 1
    for _ in range(elements[0][1]):
        names.append(elements[at][0])
        pending = 1
        while pending:  # this column and every element nested under it
            pending += elements[at][1] - 1
            at += 1
    if at != len(elements):
        raise _Unknown
    return tuple(names)
