"""Answers of pure functions kept for the next call with the same arguments (issue 14).

An estimate request differs from the last one of its kind mostly in its token count, while the
parallel layout, the step time, the memory fit and the prices depend only on the model, the GPU,
the GPU count and the request's overrides. ``kept`` keeps such a function's answers by its
arguments, so that a run of requests on the same configuration computes them once.

The key is the arguments and their types (2048 and 2048.0 are equal keys but may give answers of
different types). Records (``Model``, ``Hardware``) are frozen dataclasses and compare by value,
so an inline (custom) record equal to a kept one finds its answer. Arguments that cannot be hashed
(numpy arrays of a batch estimate's rows) are computed and not kept. Each memo holds at most
``size`` answers and is emptied when full; dict operations are atomic under the GIL, so threads
may share it (two that miss together both compute the same answer). Answers are shared between
callers: they must be immutable (frozen dataclasses, tuples), or copied by the caller.

A kept function must take as arguments every module default it reads that may change while the
process runs: ``calibrate.patched`` sets ``ELEMENTWISE_FACTOR``, ``EP_OVERLAP``, ``STEADY_SPREAD``,
``GOODPUT`` and the serving step overheads while it fits them, so those are passed in, not read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_MISSING = object()


def kept(size: int) -> Callable[[F], F]:
    """Keep up to ``size`` answers of a pure function of positional arguments."""

    def wrap(function: F) -> F:
        memo: dict[tuple[Any, ...], Any] = {}

        @functools.wraps(function)
        def call(*args: Any) -> Any:
            key = (*args, *map(type, args))
            try:
                found = memo.get(key, _MISSING)
            except TypeError:  # an unhashable argument (an array of rows): computed, not kept
                return function(*args)
            if found is _MISSING:
                found = function(*args)
                if len(memo) >= size:
                    memo.clear()
                memo[key] = found
            return found

        call.memo = memo  # type: ignore[attr-defined]  # for tests and benchmarks
        return call  # type: ignore[return-value]

    return wrap
