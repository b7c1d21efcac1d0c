import pytest

from estimator.catalog import load_catalog
from estimator.cost import load_price_book


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def book():
    return load_price_book()
