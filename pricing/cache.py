"""A bounded least-recently-used cache for what is built from immutable stored versions.

A stored version never changes, so what is built from it (a price book, a diff between two
versions, a download) can be kept and answered again. Any anonymous request may name any version,
so a cache is bounded twice: by its number of entries and by the total *weight* of what it keeps
(rows, or bytes), as each user says; a value heavier than the whole bound is not kept at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Values by key, least recently used dropped first past ``size`` entries or ``max_weight`` in
    all (``weight(value)`` each); thread-safe."""

    def __init__(self, size: int, max_weight: int, weight: Callable[[V], int]) -> None:
        self.size = size
        self.max_weight = max_weight
        self.total = 0
        self._weight = weight
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        weight = self._weight(value)
        if weight > self.max_weight:
            return
        with self._lock:
            old = self._values.pop(key, None)
            self.total += weight - (self._weight(old) if old is not None else 0)
            self._values[key] = value
            while len(self._values) > self.size or self.total > self.max_weight:
                _, dropped = self._values.popitem(last=False)
                self.total -= self._weight(dropped)

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The kept value, else ``build()`` (kept if it fits)."""
        value = self.get(key)
        if value is None:
            value = build()
            self.put(key, value)
        return value
