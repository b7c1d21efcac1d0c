"""Fixtures for the web tests: the seed catalog; the browser fixtures live in test_web_browser.py."""

from __future__ import annotations

import pytest

from estimator.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def seeds_catalog() -> Catalog:
    return load_catalog()
