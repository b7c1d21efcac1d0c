"""Finished estimates kept for reuse, as the JSON bytes the API sends.

An estimate is a pure function of the checked request values, the price book, the catalog and the
day (a price's age decides its staleness warning). Within one app the catalog and the seed table
are fixed, and a stored pricing-table version never changes once written (``pricing/store.py``),
so the result for ``(kind, values, price book ref, day)`` can be computed once and served again:
a preset on the front page, a permalink shared in an article, a notebook cell run twice. A result
is never kept across days, and a new version of a table (or activating another) changes the ref an
estimate resolves to, so it is looked up afresh.

Only successful estimates are kept (an error raises before ``put``). The cache is a least-recently
used map bounded by the bytes it holds (``RESULT_CACHE_BYTES`` per worker process; 0 turns it
off), guarded by a lock because gthread workers serve requests on several threads; two threads
that miss on the same key both compute it, and the second ``put`` replaces an identical value.
Values that cannot form a key (anything orjson cannot encode) are simply not cached. The key is a
BLAKE2b digest of the encoded request, so the bound holds however long a request's text fields are
(a custom hardware or model record may carry long ones): 32 bytes per entry beside its value.

Bodies seen before (issue 14): the API's estimate endpoints also look a request up by a digest of
its raw body (``alias``) before parsing and checking it (``cached_answers.py``). The body's bytes
decide the checked values, so an alias names the entry its first answer was kept under, with the
pricing table the body named and the version that resolved to: a hit resolves the table again and
is served only while it resolves to the same version, and only while the entry itself is kept.
Aliases are bounded by count (``ALIASES``, ~130 bytes each) and, like the entries, by the day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from cachetools import LRUCache

from .jsonsafe import encode

#: Key options: sorted keys so that field order in the request does not matter.
_KEY_OPTIONS = orjson.OPT_SORT_KEYS
#: Raw-body digests kept per worker (each names an entry; an alias whose entry has gone misses).
ALIASES = 8192


class ResultCache:
    """Encoded estimates by ``(kind, values, price book ref, day)``, at most ``max_bytes`` of them.

    ``default`` converts what JSON has no type for, as the app's JSON provider does (Flask's).
    """

    def __init__(self, max_bytes: int, default: Callable[[Any], Any] | None = None) -> None:
        self.max_bytes = max_bytes
        self.default = default
        self._entries: LRUCache[bytes, bytes] | None = LRUCache(max_bytes, getsizeof=len) if max_bytes > 0 else None
        self._aliases: LRUCache[bytes, tuple[str | None, str, bytes]] | None = (
            LRUCache(ALIASES) if max_bytes > 0 else None)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def encoded(
        self,
        kind: str,
        values: Mapping[str, Any],
        book_ref: str,
        compute: Callable[[], dict[str, Any]],
        today: dt.date | None = None,
        alias: tuple[bytes, str | None] | None = None,
    ) -> bytes:
        """The estimate as JSON bytes (with a final newline): kept, or ``compute()``-d and kept.

        ``alias``: the raw body's digest (``body_alias``) and the pricing table the body named, to
        find this entry by on the next identical body (``by_alias``)."""
        key = self._key(kind, values, book_ref, today or dt.date.today())
        if key is not None and alias is not None and self._aliases is not None:
            with self._lock:
                self._aliases[alias[0]] = (alias[1], book_ref, key)
        if key is not None and self._entries is not None:
            with self._lock:
                found = self._entries.get(key)
                if found is not None:
                    self.hits += 1
                    return found
                self.misses += 1
        body = encode(compute(), self.default)  # what every JSON response sends, so a hit is sent as it is
        if key is not None and self._entries is not None and len(body) <= self.max_bytes:
            with self._lock:
                self._entries[key] = body
        return body

    @staticmethod
    def body_alias(kind: str, body: bytes, today: dt.date | None = None) -> bytes:
        """The digest a raw request body is known by: its kind, the day and its bytes."""
        head = f"{kind}\n{(today or dt.date.today()).isoformat()}\n".encode()
        return hashlib.blake2b(head + body, digest_size=32).digest()

    def by_alias(self, alias: bytes, book_ref: Callable[[str | None], str | None]) -> bytes | None:
        """The answer kept for the body ``alias`` names, if the pricing table it named still resolves
        (``book_ref``) to the version it did and the entry is still kept; else None."""
        if self._aliases is None or self._entries is None:
            return None
        with self._lock:
            found = self._aliases.get(alias)
        if found is None:
            return None
        table, ref, key = found
        if book_ref(table) != ref:
            return None
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self.hits += 1
        return body

    @property
    def size_bytes(self) -> int:
        return 0 if self._entries is None else int(self._entries.currsize)

    @staticmethod
    def _key(kind: str, values: Mapping[str, Any], book_ref: str, today: dt.date) -> bytes | None:
        try:
            text = orjson.dumps([kind, book_ref, today.isoformat(), values], option=_KEY_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError: a value orjson cannot encode
            return None
        return hashlib.blake2b(text, digest_size=32).digest()
