"""The versioned pricing store: named pricing tables, each a series of immutable versions.

SQLAlchemy Core over SQLite (the default: ``pricing.sqlite3`` in the Flask instance folder) or
PostgreSQL (``postgresql+psycopg://…``, for several app instances sharing one store).

Schema (six tables; nothing is ever updated except ``pricing_tables.active_version``, nothing is
ever deleted)::

    pricing_tables       name PK, active_version (NULL until one is activated), created_at
    pricing_versions     (table_name, number) PK, created_at (UTC), created_by (token name),
                         file_name, row_counts (JSON text, per sheet), note
    pricing_rows         (table_name, version, sheet, position) PK, data (JSON text of one row)
    pricing_activations  id PK, table_name, version, action (import/activate/rollback),
                         restores (id of the entry a rollback returns to), activated_at, activated_by
    pricing_files        (table_name, version, name) PK, data (bytes): the version's downloads
                         (``pricing.export.download_files``: ``xlsx``, ``csv:<sheet>``), built at import
                         (revision 0002; a version imported before it has none and is built on request)
    pricing_digests      (table_name, version, sheet) PK, keys, positions, rows (bytes): each row's key and
                         value digests (``SheetDigests``), stored at import so that a diff compares
                         8-byte digests, not rows (revision 0003; a version imported before it is
                         digested on request, within a row budget)

Rows are stored as JSON text rather than the dialects' JSON types: the bytes are the same on both
backends, the row's column order survives, and rows are only ever read whole.

The activation log is a stack kept in the log itself: every entry points (``restores``) at the
entry that was current before it, and a rollback writes a new entry that points where the entry
it undoes pointed. So the latest entry is always the current state, rolling back twice goes back
two activations (not back and forth), and nothing in the log is rewritten.

Concurrency:

- SQLite: WAL (readers never wait for the writer), ``busy_timeout``, foreign keys on; the driver's
  own transaction handling is switched off and SQLAlchemy emits ``BEGIN IMMEDIATE`` for writes
  (the write lock is taken up front, so two writers queue on the busy timeout instead of failing
  with "database is locked" when both try to upgrade a read lock) and plain ``BEGIN`` for reads
  (one snapshot for every SELECT of a read).
- PostgreSQL: a write locks the table's ``pricing_tables`` row (``SELECT … FOR UPDATE``, after an
  ``INSERT … ON CONFLICT DO NOTHING`` for a first import), so writes to one pricing table are
  serialised across processes and the next version number is read under the lock; the primary key
  (table_name, number) is the backstop. Reads run in REPEATABLE READ: one snapshot.
- Both: a version row, its rows and its activation are committed in one transaction, so a reader
  sees a version whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    create_engine,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from pricing.errors import (
    NoActiveVersion,
    NothingToRollBack,
    PricingStoreUnavailable,
    PricingTableError,
    UnknownPricingTable,
    UnknownVersion,
)
from pricing.tables import SEED_TABLE, TABLES

__all__ = [
    "NAME_PATTERN",
    "Diff",
    "DiffIndex",
    "DiffTooLarge",
    "PricingStore",
    "RowChange",
    "SheetDiff",
    "SheetDigests",
    "SheetIndex",
    "StoredVersion",
    "TableInfo",
    "VersionInfo",
    "parse_ref",
    "validate_name",
]

#: A pricing table name: what users type after ``pricing_table=`` and in URLs.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
FILE_NAME_MAX = 255
CREATED_BY_MAX = 100
NOTE_MAX = 2000
_MAX_VERSION = 2**31 - 1  # an INTEGER column; larger numbers cannot exist
_SCALARS = (str, int, float, bool, type(None))
_PLAIN_TYPES = frozenset(_SCALARS)
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
_SHEET_ORDER = {name: i for i, name in enumerate(TABLES)}
#: Rows of a version whose digests an anonymous diff may compute from its stored rows (a version imported
#: before revision 0003 has none stored): ~11 µs of CPU each to read, decode and digest (5,000 rows took
#: 56 ms), so ~22 ms (issue 13: at most 50 ms of CPU per anonymous request).
DIGEST_ON_REQUEST_ROWS = 2_000
_POSITIONS_PER_QUERY = 2_000  # rows read by position per SELECT (under SQLite's 32,766 bound parameters)


# --- schema -------------------------------------------------------------------------------------


class _UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both backends (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("pricing store timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

pricing_tables = Table(
    "pricing_tables", metadata,
    Column("name", String(63), primary_key=True),
    # No foreign key to pricing_versions: the two tables would reference each other. The store
    # only ever sets it to a version it has just read or written in the same transaction.
    Column("active_version", Integer, nullable=True),
    Column("created_at", _UTCDateTime, nullable=False),
)

pricing_versions = Table(
    "pricing_versions", metadata,
    Column("table_name", String(63), ForeignKey("pricing_tables.name"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("created_at", _UTCDateTime, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("row_counts", Text, nullable=False),
    Column("note", Text, nullable=True),
)

pricing_rows = Table(
    "pricing_rows", metadata,
    Column("table_name", String(63), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("sheet", String(32), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("data", Text, nullable=False),
    ForeignKeyConstraint(["table_name", "version"], ["pricing_versions.table_name", "pricing_versions.number"]),
)

pricing_activations = Table(
    "pricing_activations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("table_name", String(63), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("restores", Integer, ForeignKey("pricing_activations.id"), nullable=True),
    Column("activated_at", _UTCDateTime, nullable=False),
    Column("activated_by", Text, nullable=True),
    ForeignKeyConstraint(["table_name", "version"], ["pricing_versions.table_name", "pricing_versions.number"]),
)


pricing_files = Table(
    "pricing_files", metadata,
    Column("table_name", String(63), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(40), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    ForeignKeyConstraint(["table_name", "version"], ["pricing_versions.table_name", "pricing_versions.number"]),
)


pricing_digests = Table(
    "pricing_digests", metadata,
    Column("table_name", String(63), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("sheet", String(32), primary_key=True),
    Column("keys", LargeBinary, nullable=False),
    Column("positions", LargeBinary, nullable=False),
    Column("rows", LargeBinary, nullable=False),
    ForeignKeyConstraint(["table_name", "version"], ["pricing_versions.table_name", "pricing_versions.number"]),
)


# --- results ------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class VersionInfo:
    table: str
    number: int
    created_at: datetime
    created_by: str
    file_name: str
    #: Rows per sheet, in the order of ``pricing.tables.TABLES``.
    row_counts: dict[str, int]
    note: str | None
    active: bool

    @property
    def ref(self) -> str:
        return f"{self.table}@{self.number}"

    @property
    def rows(self) -> int:
        return sum(self.row_counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "number": self.number,
            "ref": self.ref,
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
            "file_name": self.file_name,
            "row_counts": dict(self.row_counts),
            "rows": self.rows,
            "note": self.note,
            "active": self.active,
        }


@dataclass(frozen=True)
class TableInfo:
    name: str
    active_version: int | None
    latest_version: int
    versions: int
    created_at: datetime
    #: The latest import or activation.
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "active_version": self.active_version,
            "latest_version": self.latest_version,
            "versions": self.versions,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class StoredVersion:
    info: VersionInfo
    #: Sheet name → rows (fresh dicts on every read), sheets in ``TABLES`` order.
    sheets: dict[str, list[dict[str, Any]]]

    def to_dict(self) -> dict[str, Any]:
        return {**self.info.to_dict(), "sheets": {name: [dict(r) for r in rows] for name, rows in self.sheets.items()}}


@dataclass(frozen=True)
class RowChange:
    """A row present in both versions under the same key, with different values."""

    #: The sheet's key columns and their values.
    key: dict[str, Any]
    #: Changed column → (before, after).
    changes: dict[str, tuple[Any, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": dict(self.key),
            "changes": {col: {"before": b, "after": a} for col, (b, a) in self.changes.items()},
        }


@dataclass(frozen=True)
class SheetDiff:
    """One sheet of a ``Diff``: ``counts`` counts every difference; ``added``, ``removed`` and ``changed``
    hold the rows of the page asked for (all of them when the diff was asked for whole)."""

    sheet: str
    in_from: bool
    in_to: bool
    #: "added", "removed", "changed" → rows, all of them.
    counts: dict[str, int]
    #: Rows the same in both versions.
    unchanged: int = 0
    added: tuple[dict[str, Any], ...] = ()
    removed: tuple[dict[str, Any], ...] = ()
    changed: tuple[RowChange, ...] = ()

    @property
    def identical(self) -> bool:
        return self.in_from == self.in_to and not any(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "in_from": self.in_from,
            "in_to": self.in_to,
            "counts": dict(self.counts),
            "added": [dict(r) for r in self.added],
            "removed": [dict(r) for r in self.removed],
            "changed": [c.to_dict() for c in self.changed],
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class Diff:
    """What changed from one version to another, whole (``page`` None) or one page of it."""

    table: str
    from_version: int
    to_version: int
    #: Every sheet in either version, in ``TABLES`` order.
    sheets: tuple[SheetDiff, ...] = field(default_factory=tuple)
    #: The page shown (from 1) and rows of each list per page; None: every row.
    page: int | None = None
    per_page: int | None = None
    #: Pages of ``per_page`` rows needed to show every difference (1 when whole).
    pages: int = 1

    @property
    def identical(self) -> bool:
        return all(s.identical for s in self.sheets)

    def to_dict(self) -> dict[str, Any]:
        """The diff as the API answers it: ``summary`` and ``counts`` count every difference; with a page,
        ``page``, ``per_page`` and ``pages`` say which rows the lists hold."""
        paging = {} if self.page is None else {"page": self.page, "per_page": self.per_page, "pages": self.pages}
        return {
            "table": self.table,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "identical": self.identical,
            "summary": {kind: sum(s.counts[kind] for s in self.sheets) for kind in ("added", "removed", "changed")},
            **paging,
            "sheets": {s.sheet: s.to_dict() for s in self.sheets},
        }


@dataclass(frozen=True, eq=False)
class SheetDigests:
    """A sheet's rows as digests (8 bytes each, BLAKE2b), stored with the version in ``pricing_digests``.

    - ``keys``: each row's *key digest* (of its key columns, ``Table.key``, and of which occurrence of that
      key in the sheet it is, so the k-th rows of a repeated key pair up, in sheet order), sorted;
    - ``positions``: the position in the sheet of the row each sorted key belongs to;
    - ``rows``: each row's *value digest* (of every column's value), by position.

    Two rows have the same value digest when they hold the same values (``same_value``: a whole number
    written ``3`` or ``3.0`` is one value; an empty cell and a missing column are one; column order does
    not matter), save a 64-bit collision: ~6e-10 for two versions of 150,000 rows.
    """

    keys: np.ndarray[Any, np.dtype[np.uint64]]
    positions: np.ndarray[Any, np.dtype[np.uint32]]
    rows: np.ndarray[Any, np.dtype[np.uint64]]

    @classmethod
    def of(cls, sheet: str, rows: Iterable[Mapping[str, Any]]) -> SheetDigests:
        """The digests of ``rows`` (the rows of ``sheet``, in sheet order)."""
        table = TABLES[sheet]
        # Columns declared later (``Column.added``) enter a row's digest only with a value (not blank), as
        # an extra column would: the rows of a version stored before them digest as they did then.
        declared = tuple(c.name for c in table.columns if not c.added)
        later = frozenset(c.name for c in table.columns if c.added)
        at = [declared.index(c) for c in table.key]  # the key columns' places among the declared ones
        known = frozenset(declared)
        blake2b, encode = hashlib.blake2b, _ENCODER.encode
        seen: dict[str, int] = {}
        keys: list[bytes] = []
        values: list[bytes] = []
        for row in rows:
            # same_value, inlined: this loop runs once per row of every import (~4 µs a row in all)
            canonical: list[Any] = [row.get(c) for c in declared]
            if float in map(type, canonical):
                canonical = [int(v) if type(v) is float and v.is_integer() else v for v in canonical]
            key = encode([canonical[i] for i in at])
            occurrence = seen[key] = seen.get(key, -1) + 1
            keys.append(blake2b((f"{key}#{occurrence}" if occurrence else key).encode(), digest_size=8).digest())
            if not known.issuperset(row):
                canonical += [[c, same_value(row[c])] for c in sorted(set(row) - known)
                              if row[c] is not None and not (c in later and row[c] == "")]
            values.append(blake2b(encode(canonical).encode(), digest_size=8).digest())
        unsorted = np.frombuffer(b"".join(keys), dtype="<u8")
        order = np.argsort(unsorted, kind="stable").astype("<u4")
        return cls(keys=unsorted[order], positions=order, rows=np.frombuffer(b"".join(values), dtype="<u8"))

    @classmethod
    def from_blobs(cls, keys: bytes, positions: bytes, rows: bytes) -> SheetDigests:
        """The digests as ``blobs`` stored them."""
        return cls(keys=np.frombuffer(keys, dtype="<u8"), positions=np.frombuffer(positions, dtype="<u4"),
                   rows=np.frombuffer(rows, dtype="<u8"))

    def blobs(self) -> dict[str, bytes]:
        """The columns of ``pricing_digests`` (little-endian arrays)."""
        return {"keys": self.keys.tobytes(), "positions": self.positions.tobytes(), "rows": self.rows.tobytes()}


_NO_POSITIONS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class SheetIndex:
    """Where one sheet's differences are: positions of rows in the versions' sheets (ascending), not rows."""

    sheet: str
    in_from: bool
    in_to: bool
    #: Positions in the older version of rows whose key the newer lacks.
    removed: np.ndarray[Any, np.dtype[np.int64]]
    #: Positions in the newer version of rows whose key the older lacks.
    added: np.ndarray[Any, np.dtype[np.int64]]
    #: (older position, newer position) of rows with one key and different values, by older position.
    changed: np.ndarray[Any, np.dtype[np.int64]]
    unchanged: int

    @property
    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)}


@dataclass(frozen=True, eq=False)
class DiffIndex:
    """Where the differences between two versions are (``PricingStore.diff_index``): what a diff keeps
    between pages, ~8 bytes per difference, from which ``PricingStore.diff`` reads one page of rows."""

    table: str
    from_version: int
    to_version: int
    #: Every sheet in either version, in ``TABLES`` order.
    sheets: tuple[SheetIndex, ...]

    @property
    def rows(self) -> int:
        """Rows the diff holds (added, removed and changed): what keeping it costs."""
        return sum(sum(s.counts.values()) for s in self.sheets)

    def pages(self, per_page: int) -> int:
        """Pages of ``per_page`` rows per list needed to show every difference (at least 1)."""
        longest = max((n for s in self.sheets for n in s.counts.values()), default=0)
        return max(1, -(-longest // per_page))


class DiffTooLarge(PricingTableError):
    """A diff that would read more rows than a request may (a version imported before digests were stored)."""

    code = "diff_too_large"


# --- names and refs -----------------------------------------------------------------------------

_NAME_RULE = ("1 to 63 characters: lower-case letters, digits, '-' and '_', starting with a letter or digit "
              "(e.g. 'acme-2026q3')")


def _shown(value: str) -> str:
    return value if len(value) <= 80 else value[:77] + "..."


def validate_name(name: object, *, field: str = "name") -> str:
    """Return ``name`` if it is a well-formed pricing table name, else raise ``PricingTableError``."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        given = _shown(name) if isinstance(name, str) else repr(name)
        fixed = name.strip().lower() if isinstance(name, str) else ""
        hint = f" Try '{fixed}'." if NAME_PATTERN.fullmatch(fixed) else ""
        shown = repr(given) if isinstance(name, str) else given  # repr: a stray newline or tab shows
        raise PricingTableError(f"Invalid pricing table name {shown}: use {_NAME_RULE}.{hint}",
                                field=field, given=given)
    return name


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``"acme@3"`` → ``("acme", 3)``; ``"acme"`` → ``("acme", None)`` (the active version)."""
    if not isinstance(ref, str) or not ref.strip():
        raise PricingTableError(
            "Empty pricing table reference: give a table name ('acme') or a name and version ('acme@3').",
            field="pricing_table", given="")
    ref = ref.strip()
    name, sep, number = ref.partition("@")
    if not NAME_PATTERN.fullmatch(name):
        raise PricingTableError(
            f"Invalid pricing table reference '{_shown(ref)}': the name before '@' must be {_NAME_RULE}; "
            "write 'name' for the active version or 'name@3' for version 3.",
            field="pricing_table", given=_shown(ref))
    if not sep:
        return name, None
    if not re.fullmatch(r"[0-9]{1,9}", number) or int(number) < 1:
        raise PricingTableError(
            f"Invalid version in pricing table reference '{_shown(ref)}': versions are whole numbers from 1 "
            f"('{name}@1'); write '{name}' for the active version.",
            field="pricing_table", given=_shown(ref))
    return name, int(number)


def _check_text(value: object, what: str, *, maximum: int, required: bool) -> str:
    if not isinstance(value, str):
        raise PricingTableError(f"{what} must be text, not {type(value).__name__}.", field=what)
    if required and not value.strip():
        raise PricingTableError(f"{what} must not be blank.", field=what)
    if len(value) > maximum:
        raise PricingTableError(f"{what} is {len(value)} characters long; at most {maximum} are kept.",
                                field=what)
    if "\x00" in value:
        raise PricingTableError(f"{what} contains a NUL character.", field=what)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PricingTableError(f"{what} is not valid Unicode text.", field=what) from None
    return value


def _encode_sheets(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[str]]:
    """Check sheet names and row values; return each sheet's rows as JSON text, in TABLES order."""
    if not isinstance(sheets, Mapping):
        raise PricingTableError("sheets must map sheet names to lists of rows.", field="sheets")
    unknown = [s for s in sheets if s not in TABLES]
    if unknown:
        shown = ", ".join(f"'{_shown(str(s))}'" for s in unknown)
        raise PricingTableError(
            f"Unknown sheet{'s' if len(unknown) > 1 else ''} {shown}: a pricing table holds the sheets "
            f"{', '.join(TABLES)}. Nothing was imported.",
            field="sheets", given=[_shown(str(s)) for s in unknown])
    if not sheets:
        raise PricingTableError(
            f"No sheets to import: a pricing table version holds at least one of {', '.join(TABLES)}.",
            field="sheets")
    encoded: dict[str, list[str]] = {}
    for sheet in sorted(sheets, key=_SHEET_ORDER.__getitem__):
        rows = sheets[sheet]
        if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Sequence):
            raise PricingTableError(f"Sheet {sheet}: rows must be a list of mappings.", field="sheets")
        out = []
        for index, row in enumerate(rows):
            if type(row) is not dict and not isinstance(row, Mapping):
                raise PricingTableError(f"Sheet {sheet}, row index {index}: a row must be a mapping of "
                                        f"column to value, not {type(row).__name__}.", field="sheets")
            # Fast path for plain rows; the per-value check below only runs when something is unusual.
            if not (_PLAIN_TYPES.issuperset(map(type, row.values())) and all(type(c) is str for c in row)):
                _check_row(sheet, index, row)
            try:
                out.append(_ENCODER.encode(row if type(row) is dict else dict(row)))
            except ValueError:  # a NaN or infinity the fast path let through
                _check_row(sheet, index, row)
                raise
        encoded[sheet] = out
    return encoded


def _check_row(sheet: str, index: int, row: Mapping[str, Any]) -> None:
    for column, value in row.items():
        if not isinstance(column, str):
            raise PricingTableError(f"Sheet {sheet}, row index {index}: column names must be text, "
                                    f"not {column!r}.", field="sheets")
        if not isinstance(value, _SCALARS) or (isinstance(value, float) and not math.isfinite(value)):
            raise PricingTableError(
                f"Sheet {sheet}, row index {index}, column {column}: {value!r} cannot be stored; values "
                "are text, finite numbers, booleans or empty (dates as ISO text, '2025-03-01').",
                field="sheets")


def _refuse_seed(name: str) -> None:
    if name == SEED_TABLE:
        raise PricingTableError(
            f"The '{SEED_TABLE}' pricing table is built in and read-only (it is read from seeds/pricing/): "
            "import your prices under another name, e.g. 'acme-2026q3'.",
            field="name", given=name)


def _versions_phrase(name: str, latest: int, active: int | None) -> str:
    if latest == 0:
        return f"'{name}' has no versions"
    span = "version 1" if latest == 1 else f"versions 1 to {latest}"
    state = f"{active} is active" if active is not None else "none is active"
    return f"'{name}' has {span} ({state})"


# --- the store ----------------------------------------------------------------------------------


class PricingStore:
    """Named pricing tables, each a series of immutable versions. Thread-safe; one per process.

    ``url``: ``sqlite:///path/pricing.sqlite3``, ``postgresql+psycopg://user@host/db`` (a
    ``?options=-csearch_path=NAME`` query puts the tables in schema NAME), or ``sqlite://``: one
    in-memory connection, for single-threaded tests only. Call ``create_schema()`` once before use.
    """

    def __init__(self, url: str | URL, *, busy_timeout_ms: int = 15_000) -> None:
        self.url = make_url(url)
        backend = self.url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise PricingTableError(
                f"Unsupported pricing store database '{backend}': use sqlite:///path/to/pricing.sqlite3 or "
                "postgresql+psycopg://user@host/dbname.", field="database_url")
        self.backend = backend
        if backend == "sqlite":
            self.engine = self._sqlite_engine(busy_timeout_ms)
        else:
            self.engine = self._postgresql_engine()

    def _postgresql_engine(self) -> Engine:
        """psycopg 3 (the ``postgres`` extra); a bare ``postgresql://`` URL means it too, not psycopg2."""
        if self.url.drivername == "postgresql":
            self.url = self.url.set(drivername="postgresql+psycopg")
        # A bounded connect: a readiness check must answer, not hang on an unreachable host.
        connect_args = {} if "connect_timeout" in self.url.query else {"connect_timeout": 5}
        try:
            return create_engine(self.url, pool_pre_ping=True, connect_args=connect_args)
        except ImportError as exc:
            raise PricingTableError(
                f"A PostgreSQL pricing store needs its driver, which is not installed ({exc}): install the "
                "'postgres' extra, pip install '.[postgres]' in a checkout or "
                "pip install 'compute-cost-estimator[postgres]', or use sqlite:///path/to/pricing.sqlite3.",
                field="database_url") from None

    @classmethod
    def for_instance(cls, instance_path: str | os.PathLike[str], **kwargs: Any) -> PricingStore:
        """The default store: ``pricing.sqlite3`` in the Flask instance folder (created if missing)."""
        folder = Path(instance_path)
        folder.mkdir(parents=True, exist_ok=True)
        return cls(URL.create("sqlite+pysqlite", database=str(folder / "pricing.sqlite3")), **kwargs)

    def _sqlite_engine(self, busy_timeout_ms: int) -> Engine:
        in_memory = self.url.database in (None, "", ":memory:")
        if in_memory:
            engine = create_engine(self.url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            engine = create_engine(self.url)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Switch off the driver's own BEGIN handling; SQLAlchemy's "begin" event emits ours.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
                cursor.execute("PRAGMA foreign_keys = ON")
                if not in_memory:
                    cursor.execute("PRAGMA journal_mode = WAL")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("pricing_write") else "BEGIN")

        return engine

    def __repr__(self) -> str:
        return f"PricingStore({self.url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> PricingStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()

    def dispose(self) -> None:
        """Close every pooled connection (call on shutdown and in tests)."""
        self.engine.dispose()

    # --- transactions ---------------------------------------------------------------------------

    @contextmanager
    def _unavailable_as_error(self) -> Iterator[None]:
        try:
            yield
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
            reason = str(getattr(exc, "orig", exc) or type(exc).__name__).strip().splitlines()[0]
            raise PricingStoreUnavailable(
                f"The pricing store ({self.url.render_as_string(hide_password=True)}) is unavailable: {reason}. "
                "Try again shortly; if it persists, check the database.",
                field=None,
            ) from exc

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction: BEGIN IMMEDIATE on SQLite; row locks taken by the caller on PostgreSQL."""
        with self._unavailable_as_error(), self.engine.connect() as conn:
            conn.execution_options(pricing_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read transaction on one snapshot."""
        with self._unavailable_as_error(), self.engine.connect() as conn:
            if self.backend == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # --- administration -------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create or upgrade the store's tables to the newest migration (``pricing/migrations``;
        a database made by ``create_all`` before migrations is adopted). Idempotent; safe from
        several processes at once."""
        from pricing import migrations

        with self._write() as conn:
            if self.backend == "postgresql":
                # A migration checks then changes: serialise concurrent callers on one advisory lock.
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('pricing_store.create_schema'))"))
            migrations.upgrade(conn)

    def ping(self) -> None:
        """A cheap readiness check: the database answers and the schema exists. Raises if not."""
        try:
            with self._read() as conn:
                conn.execute(select(pricing_tables.c.name).limit(1)).all()
        except sa_exc.ProgrammingError as exc:  # PostgreSQL: relation does not exist
            raise PricingStoreUnavailable(
                "The pricing store has no schema yet: create it (PricingStore.create_schema()).", field=None,
            ) from exc
        except PricingStoreUnavailable as exc:
            if "no such table" in str(exc):  # SQLite reports a missing table as an OperationalError
                raise PricingStoreUnavailable(
                    "The pricing store has no schema yet: create it (PricingStore.create_schema()).", field=None,
                ) from exc
            raise

    # --- writes ---------------------------------------------------------------------------------

    def import_version(
        self,
        name: str,
        sheets: Mapping[str, Sequence[Mapping[str, Any]]],
        *,
        file_name: str,
        created_by: str,
        activate: bool = True,
        note: str | None = None,
        files: Mapping[str, bytes] | None = None,
    ) -> VersionInfo:
        """Store ``sheets`` as the next version of ``name`` (created on first import), atomically.

        With it, its downloads (``files``; by default ``pricing.export.download_files(sheets)``, built
        before the write lock is taken): the writer, authenticated and bounded by the upload caps, pays
        for them once, instead of the first anonymous download of each version in each worker (issue 13,
        defect 9: 7-14 s of CPU for a 150,000-row xlsx). And the digests of its rows (``SheetDigests``),
        which a diff compares instead of rows (~0.6 s for 150,000 rows, against ~1.4 s of every first diff)."""
        validate_name(name)
        _refuse_seed(name)
        _check_text(file_name, "file_name", maximum=FILE_NAME_MAX, required=False)
        _check_text(created_by, "created_by", maximum=CREATED_BY_MAX, required=True)
        if note is not None:
            _check_text(note, "note", maximum=NOTE_MAX, required=False)
        encoded = _encode_sheets(sheets)
        row_counts = {sheet: len(rows) for sheet, rows in encoded.items()}
        if files is None:
            from pricing.export import download_files

            files = download_files(sheets)
        digests = {sheet: SheetDigests.of(sheet, sheets[sheet]) for sheet in encoded}
        with self._write() as conn:
            insert = (postgresql.insert if self.backend == "postgresql" else sqlite.insert)(pricing_tables)
            conn.execute(insert.values(name=name, active_version=None, created_at=datetime.now(UTC))
                         .on_conflict_do_nothing(index_elements=["name"]))
            active = self._lock_table(conn, name).active_version
            # Timestamps read under the lock, so they rise with the version numbers (on one clock).
            now = datetime.now(UTC)
            number = self._latest(conn, name) + 1
            if number == 1:
                conn.execute(update(pricing_tables).where(pricing_tables.c.name == name).values(created_at=now))
            conn.execute(pricing_versions.insert().values(
                table_name=name, number=number, created_at=now, created_by=created_by, file_name=file_name,
                row_counts=json.dumps(row_counts), note=note))
            self._insert_rows(conn, name, number, encoded)
            if files:
                conn.execute(pricing_files.insert(), [{"table_name": name, "version": number, "name": file, "data": data}
                                                      for file, data in files.items()])
            self._insert_digests(conn, name, number, digests)
            if activate:
                self._set_active(conn, name, number, action="import", by=created_by, now=now)
                active = number
        return VersionInfo(table=name, number=number, created_at=now, created_by=created_by, file_name=file_name,
                           row_counts=row_counts, note=note, active=active == number)

    def index_versions(self, name: str) -> list[int]:
        """Store the ``SheetDigests`` of every version of ``name`` imported without them (before revision
        0003), so that a diff of it compares digests; returns the version numbers indexed. Each version is
        read in one transaction and written in another (a version never changes; a second indexer's
        write of the same version is skipped)."""
        indexed = []
        for info in self.versions(name):
            with self._read() as conn:
                d = pricing_digests
                if conn.execute(select(func.count()).where(d.c.table_name == name,
                                                           d.c.version == info.number)).scalar():
                    continue
                digests = self._digests(conn, info, None)
            with self._write() as conn:
                self._lock_table(conn, name)
                if not conn.execute(select(func.count()).where(pricing_digests.c.table_name == name,
                                                               pricing_digests.c.version == info.number)).scalar():
                    self._insert_digests(conn, name, info.number, digests)
                    indexed.append(info.number)
        return indexed

    def _insert_digests(self, conn: Connection, name: str, number: int, digests: Mapping[str, SheetDigests]) -> None:
        if digests:
            conn.execute(pricing_digests.insert(), [{"table_name": name, "version": number, "sheet": sheet,
                                                     **d.blobs()} for sheet, d in digests.items()])

    def activate(self, name: str, number: int, *, activated_by: str | None = None) -> VersionInfo:
        """Make version ``number`` the one estimates use; a no-op if it already is."""
        _refuse_seed(name)
        with self._write() as conn:
            table = self._lock_table(conn, name)
            info = self._version_info(conn, name, number, table.active_version)
            if table.active_version != number:
                self._set_active(conn, name, number, action="activate", by=activated_by, now=datetime.now(UTC))
        return replace(info, active=True)

    def rollback(self, name: str, *, activated_by: str | None = None) -> VersionInfo:
        """Activate the version that was active before the current one (undoing one activation)."""
        _refuse_seed(name)
        with self._write() as conn:
            table = self._lock_table(conn, name)
            log = pricing_activations
            current = conn.execute(select(log).where(log.c.table_name == name)
                                   .order_by(log.c.id.desc()).limit(1)).first()
            if current is None or current.restores is None:
                state = (f"version {current.version} is the first version of '{name}' that was active"
                         if current is not None else f"no version of '{name}' has been active yet")
                raise NothingToRollBack(
                    f"Nothing to roll back to: {state}. Activate a version by number instead "
                    f"({_versions_phrase(name, self._latest(conn, name), table.active_version)}).",
                    field="pricing_table", table=name)
            target = conn.execute(select(log).where(log.c.id == current.restores)).one()
            now = datetime.now(UTC)
            conn.execute(log.insert().values(table_name=name, version=target.version, action="rollback",
                                             restores=target.restores, activated_at=now, activated_by=activated_by))
            conn.execute(update(pricing_tables).where(pricing_tables.c.name == name)
                         .values(active_version=target.version))
            info = self._version_info(conn, name, target.version, target.version)
        return info

    def _insert_rows(self, conn: Connection, name: str, number: int, encoded: dict[str, list[str]]) -> None:
        rows = ((name, number, sheet, position, data) for sheet, datas in encoded.items()
                for position, data in enumerate(datas))
        driver_connection: Any = conn.connection.driver_connection
        if self.backend == "postgresql":
            # COPY, in this transaction: 100k rows in well under a second (executemany took ~4 s).
            copy_sql = "COPY pricing_rows (table_name, version, sheet, position, data) FROM STDIN"
            with driver_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # The driver's executemany, in this transaction: a third of the time SQLAlchemy's takes.
            cursor = driver_connection.cursor()
            try:
                cursor.executemany(
                    "INSERT INTO pricing_rows (table_name, version, sheet, position, data) VALUES (?, ?, ?, ?, ?)",
                    rows)
            finally:
                cursor.close()

    def _lock_table(self, conn: Connection, name: str) -> Any:
        """The table's row, locked until commit on PostgreSQL (SQLite holds the whole write lock)."""
        row = conn.execute(select(pricing_tables).where(pricing_tables.c.name == name).with_for_update()).first()
        if row is None:
            raise UnknownPricingTable(name, self._names(conn))
        return row

    def _set_active(self, conn: Connection, name: str, number: int, *, action: str, by: str | None,
                    now: datetime) -> None:
        log = pricing_activations
        current = conn.execute(select(log.c.id).where(log.c.table_name == name)
                               .order_by(log.c.id.desc()).limit(1)).scalar()
        conn.execute(log.insert().values(table_name=name, version=number, action=action, restores=current,
                                         activated_at=now, activated_by=by))
        conn.execute(update(pricing_tables).where(pricing_tables.c.name == name).values(active_version=number))

    # --- reads ----------------------------------------------------------------------------------

    def tables(self) -> list[TableInfo]:
        """Every stored pricing table (the built-in seed table is not stored here), by name."""
        v, a, t = pricing_versions, pricing_activations, pricing_tables
        versions = (select(v.c.table_name, func.max(v.c.number).label("latest"), func.count().label("n_versions"),
                           func.max(v.c.created_at).label("last_import"))
                    .group_by(v.c.table_name).subquery())
        activations = (select(a.c.table_name, func.max(a.c.activated_at).label("last_activation"))
                       .group_by(a.c.table_name).subquery())
        query = (select(t.c.name, t.c.active_version, t.c.created_at, versions.c.latest, versions.c.n_versions,
                        versions.c.last_import, activations.c.last_activation)
                 .join(versions, versions.c.table_name == t.c.name)
                 .outerjoin(activations, activations.c.table_name == t.c.name)
                 .order_by(t.c.name))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [TableInfo(name=r.name, active_version=r.active_version, latest_version=r.latest, versions=r.n_versions,
                          created_at=r.created_at,
                          updated_at=max(x for x in (r.last_import, r.last_activation) if x is not None))
                for r in rows]

    def versions(self, name: str) -> list[VersionInfo]:
        """Every version of ``name``, oldest first."""
        with self._read() as conn:
            active = self._table(conn, name).active_version
            rows = conn.execute(select(pricing_versions).where(pricing_versions.c.table_name == name)
                                .order_by(pricing_versions.c.number)).all()
        return [_version_from_row(r, active) for r in rows]

    def version(self, name: str, number: int | None = None) -> StoredVersion:
        """Version ``number`` of ``name`` with all its rows; ``None``: the active version."""
        with self._read() as conn:
            return self._stored(conn, name, number)

    def file(self, name: str, number: int, file: str) -> bytes | None:
        """The download ``file`` (``pricing.export.download_name``) stored with version ``number`` of
        ``name``; None when there is none (no such version, or one imported before downloads were stored)."""
        f = pricing_files
        with self._read() as conn:
            data = conn.execute(select(f.c.data).where(f.c.table_name == name, f.c.version == number,
                                                       f.c.name == file)).scalar()
        return bytes(data) if data is not None else None

    def diff_index(self, name: str, a: int, b: int, *, digest_rows: int | None = None) -> DiffIndex:
        """Where the rows of version ``a`` and version ``b`` differ, per sheet: rows are matched by the sheet's
        key columns (``Table.key``; the k-th rows of a key repeated in a sheet pair up, in sheet order) and
        compared by their ``SheetDigests``, read as stored with each version: for two 150,000-row versions,
        ~5 MB read and ~15 ms of CPU, whatever they hold, without reading a row.

        A version imported before digests were stored (revision 0003) is digested from its rows here, when
        ``digest_rows`` is None or the version has at most that many rows; else ``DiffTooLarge``."""
        with self._read() as conn:
            active = self._table(conn, name).active_version
            before, after = (self._digests(conn, self._version_info(conn, name, n, active), digest_rows)
                             for n in (a, b))
        sheets = sorted(set(before) | set(after), key=_SHEET_ORDER.__getitem__)
        return DiffIndex(table=name, from_version=a, to_version=b,
                         sheets=tuple(_compare(s, before.get(s), after.get(s)) for s in sheets))

    def diff(self, name: str, a: int, b: int, *, page: int | None = None, per_page: int = 100,
             index: DiffIndex | None = None) -> Diff:
        """What changed from version ``a`` to version ``b``: per sheet, rows added, removed and changed,
        every one (``page`` None) or rows ``(page - 1) * per_page`` to ``page * per_page`` of each list
        (``Diff.pages`` says how many pages there are). ``index``: ``diff_index(name, a, b)`` kept from
        before (versions never change); only the rows shown are read from the store.

        Added rows are in the newer version's sheet order; removed and changed rows in the older's."""
        if index is None:
            index = self.diff_index(name, a, b)
        window = slice(None) if page is None else slice((page - 1) * per_page, page * per_page)
        with self._read() as conn:
            sheets = tuple(self._sheet_diff(conn, index, s, window) for s in index.sheets)
        return Diff(table=name, from_version=a, to_version=b, sheets=sheets, page=page,
                    per_page=None if page is None else per_page,
                    pages=1 if page is None else index.pages(per_page))

    def _sheet_diff(self, conn: Connection, index: DiffIndex, s: SheetIndex, window: slice) -> SheetDiff:
        """The rows of ``window`` of each of a sheet's lists, read by position."""
        removed, added, changed = s.removed[window], s.added[window], s.changed[window]
        old = self._rows_at(conn, index.table, index.from_version, s.sheet, [*removed.tolist(), *changed[:, 0].tolist()])
        new = self._rows_at(conn, index.table, index.to_version, s.sheet, [*added.tolist(), *changed[:, 1].tolist()])
        return SheetDiff(
            sheet=s.sheet, in_from=s.in_from, in_to=s.in_to, counts=s.counts, unchanged=s.unchanged,
            added=tuple(new[p] for p in added.tolist()), removed=tuple(old[p] for p in removed.tolist()),
            changed=tuple(_row_change(s.sheet, old[o], new[n]) for o, n in changed.tolist()))

    def _rows_at(self, conn: Connection, name: str, number: int, sheet: str,
                 positions: list[int]) -> dict[int, dict[str, Any]]:
        """The rows at ``positions`` of a version's sheet, by position."""
        r = pricing_rows
        rows: dict[int, dict[str, Any]] = {}
        for start in range(0, len(positions), _POSITIONS_PER_QUERY):
            chunk = positions[start:start + _POSITIONS_PER_QUERY]
            for position, data in conn.execute(select(r.c.position, r.c.data).where(
                    r.c.table_name == name, r.c.version == number, r.c.sheet == sheet, r.c.position.in_(chunk))):
                rows[position] = json.loads(data)
        return rows

    def _digests(self, conn: Connection, info: VersionInfo, digest_rows: int | None) -> dict[str, SheetDigests]:
        """A version's ``SheetDigests`` by sheet: as stored, else (imported before revision 0003) from its
        rows, if it has at most ``digest_rows`` rows (None: any number)."""
        d = pricing_digests
        stored = {row.sheet: SheetDigests.from_blobs(bytes(row.keys), bytes(row.positions), bytes(row.rows))
                  for row in conn.execute(select(d).where(d.c.table_name == info.table, d.c.version == info.number))}
        if set(stored) == set(info.row_counts):
            return stored
        if digest_rows is not None and info.rows > digest_rows:
            raise DiffTooLarge(
                f"Version {info.number} of '{info.table}' ({info.rows:,} rows) was imported before versions were "
                f"indexed for comparison, and comparing it means reading every row: more than a request may "
                f"({digest_rows:,} rows). Ask an administrator to index it (estimator pricing index {info.table}); "
                "versions imported since are compared at any size.",
                field=None, table=info.table, version=info.number, rows=info.rows, limit=digest_rows)
        return {sheet: SheetDigests.of(sheet, map(json.loads, texts))
                for sheet, texts in self._texts(conn, info.table, info.number).items()}

    def _texts(self, conn: Connection, name: str, number: int) -> dict[str, list[str]]:
        """Version ``number``'s rows as their stored JSON text, per sheet (every sheet it has listed)."""
        info = self._version_info(conn, name, number, self._table(conn, name).active_version)
        r = pricing_rows
        sheets: dict[str, list[str]] = {sheet: [] for sheet in info.row_counts}
        for sheet, data in conn.execute(select(r.c.sheet, r.c.data).where(r.c.table_name == name, r.c.version == number)
                                        .order_by(r.c.sheet, r.c.position)):
            sheets[sheet].append(data)
        return sheets

    def _names(self, conn: Connection) -> list[str]:
        return list(conn.execute(select(pricing_tables.c.name)).scalars())

    def _table(self, conn: Connection, name: str) -> Any:
        row = conn.execute(select(pricing_tables).where(pricing_tables.c.name == name)).first()
        if row is None:
            raise UnknownPricingTable(str(name), self._names(conn))
        return row

    def _latest(self, conn: Connection, name: str) -> int:
        return conn.execute(select(func.max(pricing_versions.c.number))
                            .where(pricing_versions.c.table_name == name)).scalar() or 0

    def _version_info(self, conn: Connection, name: str, number: int, active: int | None) -> VersionInfo:
        row = None
        if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= _MAX_VERSION:
            row = conn.execute(select(pricing_versions).where(
                pricing_versions.c.table_name == name, pricing_versions.c.number == number)).first()
        if row is None:
            phrase = _versions_phrase(name, self._latest(conn, name), active)
            raise UnknownVersion(
                f"Pricing table '{name}' has no version {_shown(str(number))}: {phrase}. "
                f"Use '{name}@N' with one of those, or '{name}' for the active version.",
                field="pricing_table", table=name, given=_shown(str(number)),
                versions=list(range(1, self._latest(conn, name) + 1)), active_version=active)
        return _version_from_row(row, active)

    def _stored(self, conn: Connection, name: str, number: int | None) -> StoredVersion:
        active = self._table(conn, name).active_version
        if number is None:
            if active is None:
                raise NoActiveVersion(
                    f"Pricing table '{name}' has no active version: activate one "
                    f"({_versions_phrase(name, self._latest(conn, name), None)}) or name it as '{name}@N'.",
                    field="pricing_table", table=name)
            number = active
        info = self._version_info(conn, name, number, active)
        r = pricing_rows
        result = conn.execute(select(r.c.sheet, r.c.data)
                              .where(r.c.table_name == name, r.c.version == number)
                              .order_by(r.c.sheet, r.c.position))
        sheets: dict[str, list[dict[str, Any]]] = {sheet: [] for sheet in info.row_counts}
        for sheet, data in result:
            sheets[sheet].append(json.loads(data))
        return StoredVersion(info=info, sheets=sheets)


def _version_from_row(row: Any, active: int | None) -> VersionInfo:
    counts = json.loads(row.row_counts)
    return VersionInfo(table=row.table_name, number=row.number, created_at=row.created_at,
                       created_by=row.created_by, file_name=row.file_name,
                       row_counts={s: counts[s] for s in sorted(counts, key=_SHEET_ORDER.__getitem__)},
                       note=row.note, active=row.number == active)


def same_value(value: Any) -> Any:
    """The value a diff compares: a whole-number float as the integer it equals (``3.0`` → ``3``, as
    Python's ``3.0 == 3``); anything else as it is (``True`` stays a boolean, unlike ``True == 1``)."""
    return int(value) if type(value) is float and value.is_integer() else value


def _differ(a: Any, b: Any) -> bool:
    """Whether two cells hold different values as ``SheetDigests`` tells them apart (``same_value``)."""
    if type(a) is type(b) and a == b:  # most cells of a changed row: no need to encode them
        return False
    return _ENCODER.encode(same_value(a)) != _ENCODER.encode(same_value(b))


def _compare(sheet: str, before: SheetDigests | None, after: SheetDigests | None) -> SheetIndex:
    """One sheet's differences from the digests of its rows in two versions (None: the version lacks the
    sheet): keys matched by binary search in the other version's sorted keys, then values compared."""
    empty = SheetDigests.of(sheet, ())
    a, b = before or empty, after or empty
    if len(a.keys) and len(b.keys):
        at = np.searchsorted(b.keys, a.keys)
        at[at == len(b.keys)] = 0
        match = b.keys[at] == a.keys
        old, new = a.positions[match].astype(np.int64), b.positions[at[match]].astype(np.int64)
    else:
        old, new = _NO_POSITIONS, _NO_POSITIONS
    same = a.rows[old] == b.rows[new]
    changed = np.column_stack((old[~same], new[~same]))
    gone, fresh = np.ones(len(a.rows), dtype=bool), np.ones(len(b.rows), dtype=bool)
    gone[old], fresh[new] = False, False
    return SheetIndex(sheet=sheet, in_from=before is not None, in_to=after is not None,
                      removed=np.flatnonzero(gone), added=np.flatnonzero(fresh),
                      changed=changed[np.argsort(changed[:, 0], kind="stable")], unchanged=int(same.sum()))


def _row_change(sheet: str, old: dict[str, Any], new: dict[str, Any]) -> RowChange:
    """The columns whose values differ (``same_value``) between two rows of one key: declared columns in
    their order, then any others by name."""
    declared = TABLES[sheet].column_names
    columns = [c for c in declared if c in old or c in new]
    columns += sorted((set(old) | set(new)) - set(declared))
    return RowChange(key={c: old.get(c) for c in TABLES[sheet].key},
                     changes={c: (old.get(c), new.get(c)) for c in columns
                              if _differ(old.get(c), new.get(c))})
