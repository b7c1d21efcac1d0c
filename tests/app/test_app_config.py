"""Config: typed defaults, ESTIMATOR_* environment variables, then the test mapping."""

from __future__ import annotations

import os
import sys

import pytest
from flask import Flask

from estimator.app import create_app
from estimator.instance import APP_NAME, instance_path
from pricing.cli import default_database_url


def test_defaults(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1_000_000
    assert app.config["MAX_JSON_DEPTH"] == 32
    assert app.config["OPENAPI_URL_PREFIX"] == "/api/v1"


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("ESTIMATOR_MAX_CONTENT_LENGTH", "2000")
    monkeypatch.setenv("ESTIMATOR_MAX_JSON_DEPTH", "4")
    app = create_app({"TESTING": True})
    assert app.config["MAX_CONTENT_LENGTH"] == 2000
    client = app.test_client()
    response = client.post("/api/v1/estimates/training", json={"padding": "x" * 2000})
    assert response.status_code == 413
    response = client.post("/api/v1/estimates/training", json={"a": [[[[1]]]]})
    assert response.status_code == 400
    assert response.get_json()["detail"] == "The JSON body is nested more than 4 levels deep."


def test_test_config_overrides_environment(monkeypatch):
    monkeypatch.setenv("ESTIMATOR_MAX_JSON_DEPTH", "4")
    assert create_app({"MAX_JSON_DEPTH": 8}).config["MAX_JSON_DEPTH"] == 8


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("ESTIMATOR_MAX_CONTENT_LENGTH", '"big"', TypeError),
        ("ESTIMATOR_MAX_CONTENT_LENGTH", "1mb", TypeError),  # not JSON: stays a string
        ("ESTIMATOR_MAX_CONTENT_LENGTH", "2.5e6", TypeError),  # a float where an int belongs
        ("ESTIMATOR_MAX_JSON_DEPTH", "true", TypeError),
        ("ESTIMATOR_MAX_JSON_DEPTH", "null", TypeError),
        ("ESTIMATOR_MAX_JSON_DEPTH", "0", ValueError),
        ("ESTIMATOR_MAX_JSON_ITEMS", "0", ValueError),
    ],
)
def test_wrong_setting_fails_at_start_up(monkeypatch, name, value, error):
    """The message names the setting and its environment variable."""
    monkeypatch.setenv(name, value)
    with pytest.raises(error, match=name.removeprefix("ESTIMATOR_")) as info:
        create_app()
    if error is TypeError:
        assert f"(env {name})" in str(info.value)


@pytest.mark.parametrize(("name", "value"), [("ADMIN_TOKEN", "123456"), ("SECRET_KEY", "9e99"),
                                             ("ADMIN_TOKEN_NAME", "true"), ("DATABASE_URL", "")])
def test_text_settings_keep_the_raw_text(monkeypatch, name, value):
    monkeypatch.setenv(f"ESTIMATOR_{name}", value)
    app = create_app({"TESTING": True})
    assert app.config[name] == value


def test_workers_share_the_session_key_derived_from_the_admin_token(monkeypatch):
    """Two workers (two apps) with one ESTIMATOR_ADMIN_TOKEN and no ESTIMATOR_SECRET_KEY sign
    sessions alike, so a form's CSRF token from one is accepted by the other."""
    monkeypatch.setenv("ESTIMATOR_ADMIN_TOKEN", "shared-admin-token")
    first, second = create_app({"TESTING": True}), create_app({"TESTING": True})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["SECRET_KEY"] != "shared-admin-token"
    other = create_app({"TESTING": True, "ADMIN_TOKEN": "another-token"})
    assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_the_cli_opens_the_apps_store_without_building_an_app(monkeypatch):
    """estimator pricing finds the instance folder the service uses with estimator.instance, not Flask."""
    monkeypatch.delenv("ESTIMATOR_DATABASE_URL", raising=False)
    assert create_app({"TESTING": True}).instance_path == Flask(APP_NAME).instance_path == instance_path()
    assert default_database_url() == "sqlite:///" + os.path.join(instance_path(), "pricing.sqlite3")


@pytest.mark.parametrize(
    ("package_path", "prefix"),
    [
        ("/srv/checkout", "/usr"),  # a source checkout: instance/ next to the package
        ("/usr/lib/python3.11/site-packages", "/usr"),  # installed in the interpreter's prefix
        ("/opt/venv/lib/python3.11/site-packages", "/usr"),  # installed in a virtualenv
        ("/opt/tool/site-packages", "/usr"),
    ],
)
def test_instance_folder_follows_flasks_rule(monkeypatch, package_path, prefix):
    from flask.sansio import scaffold

    import estimator

    monkeypatch.setattr(sys, "prefix", prefix)
    monkeypatch.setattr(estimator, "__file__", os.path.join(package_path, "estimator", "__init__.py"))
    monkeypatch.setattr(scaffold, "_find_package_path", lambda name: package_path)
    assert instance_path() == Flask(APP_NAME, root_path=package_path).instance_path


# --- Hardening (issue 13, defect 10) ----------------------------------------------------------------
def test_an_admin_token_shorter_than_32_characters_is_refused_at_start_up():
    with pytest.raises(ValueError) as info:
        create_app({"ADMIN_TOKEN": "x" * 31, "DATABASE_URL": "sqlite://"})
    assert str(info.value) == (
        "Setting ADMIN_TOKEN (env ESTIMATOR_ADMIN_TOKEN) has 31 characters; use at least 32, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'."
    )
    assert create_app({"ADMIN_TOKEN": "x" * 32, "DATABASE_URL": "sqlite://"}).config["ADMIN_TOKEN"] == "x" * 32
    assert create_app({"ADMIN_TOKEN": "", "DATABASE_URL": "sqlite://"}).config["ADMIN_TOKEN"] == ""  # writes off


def test_no_page_may_be_framed(client):
    for path in ("/", "/api/v1/models", "/no-such-page"):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert policy == "default-src 'self'; frame-ancestors 'none'"
