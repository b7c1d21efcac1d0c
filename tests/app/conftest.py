"""Helpers for the HTTP tests: direct core calls to compare with, and problem bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from estimator.catalog import load_catalog
from estimator.compare import PRESETS, compare
from estimator.cost import load_price_book
from estimator.inference import estimate_inference
from estimator.inputs import inference_request, training_request
from estimator.training import estimate_training

Problem = Callable[..., dict[str, Any]]
COMPARE_KEYS = ("workload", "models", "preset", "baseline")


@pytest.fixture(scope="session")
def seeds() -> tuple[Any, Any, Any]:
    """The catalog, the seed price book and its API prices, loaded without the app."""
    book = load_price_book()
    return load_catalog(), book, book.api_prices


@pytest.fixture(scope="session")
def core(seeds) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``estimate_training(...).to_dict()`` computed without the app."""
    catalog, book, _ = seeds

    def run(values: dict[str, Any]) -> dict[str, Any]:
        return estimate_training(training_request(catalog, values), book, catalog).to_dict()

    return run


@pytest.fixture(scope="session")
def core_inference(seeds) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``estimate_inference(...).to_dict()`` computed without the app."""
    catalog, book, _ = seeds

    def run(values: dict[str, Any]) -> dict[str, Any]:
        return estimate_inference(inference_request(catalog, values), book, catalog).to_dict()

    return run


@pytest.fixture(scope="session")
def core_compare(seeds) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``compare(...)`` for a comparison body, computed without the app."""
    catalog, book, _ = seeds

    def run(body: dict[str, Any]) -> dict[str, Any]:
        models = PRESETS[body["preset"]] if "preset" in body else body["models"]
        values = {k: v for k, v in body.items() if k not in COMPARE_KEYS}
        return compare(catalog, book, body["workload"], models, values, body.get("baseline"))

    return run


@pytest.fixture(scope="session")
def problem() -> Problem:
    """The one error body shape, built from its parts."""

    def build(status: int, title: str, detail: str, *, type_: str = "about:blank", errors=()) -> dict[str, Any]:
        return {"type": type_, "title": title, "status": status, "detail": detail, "errors": list(errors)}

    return build


@pytest.fixture(scope="session")
def assert_core_problem(problem) -> Callable[..., None]:
    """Check that a response carries the core error ``exc`` in the one problem shape, with the
    data the core attached (closest ids, min_gpus, binding limit, ...) as extra members."""

    def check(response, exc, status: int, type_: str, title: str, code: str, pointer: str | None, extra: dict) -> None:
        assert response.status_code == status
        assert response.mimetype == "application/problem+json"
        assert exc.data.items() >= extra.items()  # the data the item must carry
        error = {"pointer": pointer, "detail": exc.message, "code": code, **exc.data}
        assert response.get_json() == problem(status, title, exc.message, type_=type_, errors=[error])

    return check
