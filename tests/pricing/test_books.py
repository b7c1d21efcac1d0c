"""The cache of price books built from stored versions: bounded by the rows it holds, not only by
the number of books (issue 13: an anonymous estimate naming a 150,000-row version makes a worker
build and keep a book of 150,000 price points)."""

from __future__ import annotations

from estimator.cost import PriceBook
from pricing.books import BookCache


def book(rows: int) -> PriceBook:
    return PriceBook((), {}, table="t", row_counts={"gpu_prices": rows})


def test_the_cache_drops_the_least_recently_used_books_past_its_rows():
    cache = BookCache(size=10, max_rows=100)
    cache.put(("a", 1), book(60))
    cache.put(("b", 1), book(30))
    assert cache.get(("a", 1)) is not None  # a is now the most recently used
    cache.put(("c", 1), book(30))  # 120 rows: b, the least recently used, goes
    assert [cache.get(k) is not None for k in (("a", 1), ("b", 1), ("c", 1))] == [True, False, True]
    assert cache.rows == 90


def test_a_book_larger_than_the_cache_is_not_kept():
    cache = BookCache(size=10, max_rows=100)
    cache.put(("a", 1), book(50))
    cache.put(("huge", 1), book(101))
    assert cache.get(("huge", 1)) is None
    assert cache.get(("a", 1)) is not None


def test_the_count_bound_still_holds():
    cache = BookCache(size=2, max_rows=1_000)
    for name in "abc":
        cache.put((name, 1), book(1))
    assert [cache.get((n, 1)) is not None for n in "abc"] == [False, True, True]
