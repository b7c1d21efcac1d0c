"""What each speed lever of issue 14 saves, in CPU time per response, measured in one process.

Run: .venv/bin/python bench/bench_levers.py   -> rewrites the levers section of docs/benchmarks.md
     .venv/bin/python bench/bench_levers.py gh -> levers g and h only, printed

Each lever is switched off by putting back what the code did before it (below, ``LEVERS``), and the
requests it touches are sent through the app (Flask's test client: the whole app, no sockets) with
the lever on and off in alternating batches of ``BATCH`` requests, ``PAIRS`` times; the figure is
the median over batches of the process CPU time per response (``time.process_time``), so a burst
of other work on the machine falls on both sides alike. The bodies are bench_http.py's: "repeated"
rotates over its examples (after the first of each, the result cache answers), "new" nudges one
number per request so that each is computed.
"""

from __future__ import annotations

import functools
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_http as bh  # noqa: E402
from report import machine, write_section  # noqa: E402

from estimator import bands, cost, figures, inference, training, training_time  # noqa: E402
from estimator.bands import Assumption, Band, significant  # noqa: E402
from estimator.cost import PriceBook, PricePoint  # noqa: E402

BATCH = 40
PAIRS = 15
TRAINING, INFERENCE = "/api/v1/estimates/training", "/api/v1/estimates/inference"


# --- Each lever, and how to switch it off --------------------------------------------------------
@contextmanager
def full_search(app: Any) -> Iterator[None]:
    """(a) the serving search tries every replica size even with a load."""
    real = inference._choose
    inference._choose = functools.partial(real, prune=False)  # type: ignore[assignment]
    try:
        yield
    finally:
        inference._choose = real  # type: ignore[assignment]


@contextmanager
def session_everywhere(app: Any) -> Iterator[None]:
    """(b) Flask's signed-cookie session opened (and checked for saving) on every request."""
    from flask.sessions import SecureCookieSessionInterface

    real = app.session_interface
    app.session_interface = SecureCookieSessionInterface()
    try:
        yield
    finally:
        app.session_interface = real


def _old_security_headers(response: Any) -> Any:
    from estimator.app import SECURITY_HEADERS

    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    policy = response.headers["Content-Security-Policy"]
    if "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
    return response


@contextmanager
def headers_one_by_one(app: Any) -> Iterator[None]:
    """(c) the security headers set one by one on every response."""
    from estimator.app import _security_headers

    hooks = app.after_request_funcs[None]
    index = hooks.index(_security_headers)
    hooks[index] = _old_security_headers
    try:
        yield
    finally:
        hooks[index] = _security_headers


@contextmanager
def _taken_out(hooks: list[Any], hook: Any) -> Iterator[None]:
    """``hook`` removed from the list ``hooks`` for the block, then put back where it was."""
    index = hooks.index(hook)
    del hooks[index]
    try:
        yield
    finally:
        hooks.insert(index, hook)


@contextmanager
def no_body_lookup(app: Any) -> Iterator[None]:
    """(d) every body parsed and checked by the request schema before the result cache is asked."""
    from estimator.app.cached_answers import answer_seen_body

    with _taken_out(app.before_request_funcs[None], answer_seen_body):
        yield


def _old_assumption_dict(self: Assumption) -> dict[str, Any]:
    value = self.value.to_dict() if isinstance(self.value, Band) else significant(self.value, 6)
    return {"name": self.name, "value": value, "unit": self.unit, "source": self.source}


def _old_band_dict(self: Band, digits: int = 6) -> dict[str, float]:
    return {"low": significant(self.low, digits), "mid": significant(self.mid, digits),
            "high": significant(self.high, digits)}


def _old_find(self: PriceBook, kind: str, hardware_id: str = "") -> list[PricePoint]:
    return [p for p in self.points if p.kind == kind and (not hardware_id or p.hardware_id == hardware_id)]


@contextmanager
def unmemoised(app: Any) -> Iterator[None]:
    """(e) ``figures.find`` scanning the declarations, every price point's and assumption's dict
    built anew, ``PriceBook.find`` scanning the book, and bands rounded value by value through
    ``significant`` (its own fast path for a float stays on: other modules hold it by name)."""
    saved = figures.find, PricePoint.to_dict, Assumption.to_dict, Band.to_dict, PriceBook.find

    def scan(workload: str, key: str) -> Any:
        return next((f for f in figures.FIGURES[workload] if f.key == key), None)

    figures.find = scan  # type: ignore[assignment]
    PricePoint.to_dict = PricePoint._as_dict  # type: ignore[method-assign]
    Assumption.to_dict = _old_assumption_dict  # type: ignore[method-assign]
    Band.to_dict = _old_band_dict  # type: ignore[method-assign]
    PriceBook.find = _old_find  # type: ignore[method-assign]
    try:
        yield
    finally:
        figures.find, PricePoint.to_dict, Assumption.to_dict, Band.to_dict, PriceBook.find = saved  # type: ignore[method-assign]


#: What ``memo.kept`` keeps in the training core (issue 14), as (module, name) of the kept function.
_KEPT = ((training, "_rate"), (training_time, "planned_step"), (training, "_kept_minimum_gpus"),
         (training, "_work_assumptions"), (training, "_memory_assumptions"), (training, "_kept_record_warnings"),
         (cost, "_contracted"))


@contextmanager
def configuration_recomputed(app: Any) -> Iterator[None]:
    """(g) every part of a training estimate computed anew, as before ``memo.kept``: the layout and
    step time, the memory fit, ``_time``'s configuration part, the prices (``prices_for`` as it
    was, ``_prices_for``) and the constant assumptions."""
    saved = [(module, name, getattr(module, name)) for module, name in _KEPT]
    for module, name, kept_function in saved:
        setattr(module, name, kept_function.__wrapped__)
    real_prices_for = cost.prices_for
    cost.prices_for = cost._prices_for  # type: ignore[assignment]
    try:
        yield
    finally:
        cost.prices_for = real_prices_for  # type: ignore[assignment]
        for module, name, kept_function in saved:
            setattr(module, name, kept_function)


_BY_ASSUMPTION: dict[Assumption, dict[str, Any]] = {}


def _dataclass_keyed_dict(self: Assumption) -> dict[str, Any]:
    if bands._memo_key(self) is None:
        return self._as_dict()
    kept = _BY_ASSUMPTION.get(self)  # hashed and compared by the dataclasses' generated methods
    if kept is None:
        kept = _BY_ASSUMPTION[self] = self._as_dict()
    return bands._copied(kept)


@contextmanager
def assumptions_hashed(app: Any) -> Iterator[None]:
    """(h) an assumption's kept dict found by the assumption itself (its dataclass hash and
    equality), none kept beside it."""
    real = Assumption.to_dict
    Assumption.to_dict = _dataclass_keyed_dict  # type: ignore[method-assign]
    try:
        yield
    finally:
        Assumption.to_dict = real  # type: ignore[method-assign]


def _band_init_generated(self: Band, low: Any, mid: Any, high: Any) -> None:
    # What dataclass generates for a frozen class: each field through object.__setattr__.
    object.__setattr__(self, "low", low)
    object.__setattr__(self, "mid", mid)
    object.__setattr__(self, "high", high)


def _band_item_by_getattr(self: Band, scenario: str) -> Any:
    return getattr(self, scenario)


@contextmanager
def bands_generated(app: Any) -> Iterator[None]:
    """(i) Band built by the frozen dataclass's generated __init__, and read by getattr."""
    saved = Band.__init__, Band.__getitem__
    Band.__init__ = _band_init_generated  # type: ignore[method-assign]
    Band.__getitem__ = _band_item_by_getattr  # type: ignore[method-assign]
    try:
        yield
    finally:
        Band.__init__, Band.__getitem__ = saved  # type: ignore[method-assign]


@contextmanager
def limiter_everywhere(app: Any) -> Iterator[None]:
    """(f) the failed-authentication rate limiter resolving its limits on the estimate endpoints too."""
    from estimator.app.cached_answers import anonymous_estimate

    with _taken_out(app.extensions["estimator_limiter"]._request_filters, anonymous_estimate):
        yield


#: lever -> (what it is, how to switch it off, the requests it is measured on)
LEVERS: dict[str, tuple[str, Callable[[Any], Any], list[tuple[str, str, list[dict[str, Any]], bool]]]] = {
    "a": ("serving search pruned when a load is given", full_search,
          [("serving, new", INFERENCE, bh.INFERENCE_BODIES, True),
           ("serving under latency targets, new", INFERENCE, bh.TARGET_BODIES, True)]),
    "b": ("no Flask session outside the pages", session_everywhere,
          [("training, repeated", TRAINING, bh.TRAINING_BODIES, False)]),
    "c": ("security headers precomputed", headers_one_by_one,
          [("training, repeated", TRAINING, bh.TRAINING_BODIES, False)]),
    "d": ("body digest looked up before the schema", no_body_lookup,
          [("training, repeated", TRAINING, bh.TRAINING_BODIES, False),
           ("serving, repeated", INFERENCE, bh.INFERENCE_BODIES, False),
           ("serving under latency targets, repeated", INFERENCE, bh.TARGET_BODIES, False)]),
    "e": ("to_dict memoised (figure lookup, price points, constant assumptions, price lookups, band rounding)",
          unmemoised,
          [("training, new", TRAINING, bh.TRAINING_BODIES, True),
           ("serving, new", INFERENCE, bh.INFERENCE_BODIES, True)]),
    "f": ("rate limiter of failed authentications skipped on the estimates", limiter_everywhere,
          [("training, repeated", TRAINING, bh.TRAINING_BODIES, False)]),
    "g": ("training core's configuration-only parts kept (memo.kept: layout and step time, memory fit, "
          "_time's rate, prices, constant assumptions)", configuration_recomputed,
          [("training, new", TRAINING, bh.TRAINING_BODIES, True)]),
    "h": ("assumption dicts found by a plain tuple or kept beside the assumption", assumptions_hashed,
          [("training, new", TRAINING, bh.TRAINING_BODIES, True)]),
    "i": ("Band's own __init__ and __getitem__ (no object.__setattr__, no getattr)", bands_generated,
          [("training, new", TRAINING, bh.TRAINING_BODIES, True)]),
}


def bodies(items: list[dict[str, Any]], distinct: bool, start: int, count: int) -> list[bytes]:
    out = []
    for n in range(start, start + count):
        body = items[n % len(items)]
        if distinct:
            key, base = bh.varied(body)
            body = {**body, key: base * (1 + n * 1e-12)}
        out.append(json.dumps(body).encode())
    return out


def cpu_per_response(client: Any, path: str, batch: list[bytes]) -> float:
    started = time.process_time()
    for body in batch:
        response = client.post(path, data=body, content_type="application/json")
        if response.status_code != 200:
            sys.exit(f"{path}: {response.status_code} {response.data[:300]!r}")
    return (time.process_time() - started) / len(batch) * 1e3


def main(only: str = "") -> str:
    logging.disable(logging.INFO)  # the access log line is the same either way; keep stdout clean
    import bench_app

    app = bench_app.create_app()
    client = app.test_client()
    rows = ["| lever | requests | off: CPU ms/response | on: CPU ms/response | saved ms | saved |",
            "|---|---|---|---|---|---|"]
    count = 10**6
    for name, (what, switch_off, cases) in LEVERS.items():
        if only and name not in only:
            continue
        for label, path, items, distinct in cases:
            cpu_per_response(client, path, bodies(items, distinct, 0, len(items) * 2))  # warm: the repeated ones kept
            off, on = [], []
            for _ in range(PAIRS):
                with switch_off(app):
                    off.append(cpu_per_response(client, path, bodies(items, distinct, count, BATCH)))
                count += BATCH
                on.append(cpu_per_response(client, path, bodies(items, distinct, count, BATCH)))
                count += BATCH
            before, after = statistics.median(off), statistics.median(on)
            rows.append(f"| ({name}) {what} | {label} | {before:.3f} | {after:.3f} | {before - after:.3f} "
                        f"| {(before - after) / before:.0%} |")
            print(rows[-1], flush=True)
    return "\n".join(rows)


if __name__ == "__main__":
    if len(sys.argv) > 1:  # some levers only (e.g. "gh"): printed, the section left as it is
        main(sys.argv[1])
        sys.exit(0)
    table = main()
    write_section(
        "levers",
        "## Speed levers of issue 14, one at a time\n\n"
        f"Measured by `bench/bench_levers.py` {machine()}: the whole app in one process (Flask's test "
        "client, no sockets, no gunicorn), each lever switched off by putting back what the code did before "
        f"it, on and off in alternating batches of {BATCH} requests, {PAIRS} pairs; median over batches of "
        "the process CPU time per response. Saved time is what the lever takes off every such response "
        "over HTTP too (the server does the same work there, plus the sockets and gunicorn).\n\n" + table + "\n",
    )
    print(table)
