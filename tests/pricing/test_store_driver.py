"""psycopg is the optional ``postgres`` extra: a PostgreSQL URL without it is a clear error naming the
extra (in the store, the CLI and at the app's start), never a ModuleNotFoundError traceback."""

from __future__ import annotations

import sys

import pytest

from estimator.app import create_app
from estimator.cli import run
from pricing.errors import PricingTableError
from pricing.store import PricingStore

URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MISSING = ("A PostgreSQL pricing store needs its driver, which is not installed (import of psycopg halted; None in "
           "sys.modules): install the 'postgres' extra, pip install '.[postgres]' in a checkout or "
           "pip install 'compute-cost-estimator[postgres]', or use sqlite:///path/to/pricing.sqlite3.")


@pytest.fixture
def without_psycopg(monkeypatch):
    """As if psycopg were not installed: importing it fails as a missing module does."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ModuleNotFoundError):
        import psycopg  # noqa: F401


@pytest.mark.parametrize("url", [URL, "postgresql://postgres@127.0.0.1:5432/test"])
def test_the_store_names_the_extra(without_psycopg, url):
    with pytest.raises(PricingTableError) as caught:
        PricingStore(url)
    assert (caught.value.message, caught.value.field) == (MISSING, "database_url")


def test_a_bare_postgresql_url_means_psycopg_3():
    store = PricingStore("postgresql://postgres@127.0.0.1:5432/test")
    try:
        assert store.url.drivername == "postgresql+psycopg"
    finally:
        store.dispose()


def test_the_cli_exits_2_naming_the_extra(without_psycopg, capsys):
    code = run(["training", "--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--tokens", "1e12", "--gpus", "64",
                "--pricing-table", "acme", "--database-url", URL], out=print)
    assert (code, capsys.readouterr()) == (2, ("", f"estimator: error: {MISSING}\n"))


def test_the_app_refuses_to_start_naming_the_extra(without_psycopg):
    with pytest.raises(ValueError) as caught:
        create_app({"TESTING": True, "DATABASE_URL": URL})
    assert str(caught.value) == f"Setting DATABASE_URL (env ESTIMATOR_DATABASE_URL) is not usable: {MISSING}"
