"""Helpers for the HTTP tests: a direct core call to compare with, and problem bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from estimator.catalog import load_catalog
from estimator.cost import load_price_book
from estimator.inputs import training_request
from estimator.training import estimate_training

Problem = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def core() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``estimate_training(...).to_dict()`` computed without the app."""
    catalog, book = load_catalog(), load_price_book()

    def run(values: dict[str, Any]) -> dict[str, Any]:
        return estimate_training(training_request(catalog, values), book, catalog).to_dict()

    return run


@pytest.fixture(scope="session")
def problem() -> Problem:
    """The one error body shape, built from its parts."""

    def build(status: int, title: str, detail: str, *, type_: str = "about:blank", errors=()) -> dict[str, Any]:
        return {"type": type_, "title": title, "status": status, "detail": detail, "errors": list(errors)}

    return build
