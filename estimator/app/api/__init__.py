"""The JSON API: a flask-smorest ``Api`` that speaks problem details, and its blueprints."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from flask import Flask, Response
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from estimator.catalog import Catalog

from .. import state
from ..config import DefaultConfig
from ..errors import PROBLEM_MIMETYPE, handle_http_exception
from ..jsonsafe import StrictJSONParser
from ..schemas import OPENAPI_ATTRIBUTE_FUNCTIONS, ProblemSchema, schema_rules


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest blueprint whose JSON bodies are read by ``jsonsafe.load_json_body``."""

    ARGUMENTS_PARSER = StrictJSONParser()

    #: Error responses every estimate endpoint documents; the 422 description is the endpoint's own.
    COMMON_ERRORS = {
        400: "Malformed JSON: syntax error, duplicate key, nesting deeper than MAX_JSON_DEPTH (default "
             f"{DefaultConfig.MAX_JSON_DEPTH}), or an array or object of more than MAX_JSON_ITEMS (default "
             f"{DefaultConfig.MAX_JSON_ITEMS:,}) items (code too_many_items, with its pointer; refused before any "
             "item is checked).",
        404: "Unknown model or hardware id; 'closest' lists the nearest ids.",
        409: "Valid against this document, but the values cannot be met together, or with the catalog records they "
             "name (problem types /problems/conflicting-values and /problems/does-not-fit): arithmetic across fields "
             "that JSON Schema cannot state, such as a model too large for the GPUs or a latency target faster than "
             "the hardware. The detail says what would work.",
        413: f"Body larger than MAX_CONTENT_LENGTH (default {DefaultConfig.MAX_CONTENT_LENGTH:,} bytes).",
        415: "Body not sent as application/json.",
        503: "The catalog or price book did not load.",
    }

    def alt_response(self, status_code: Any, response: Any = None, **kwargs: Any) -> Callable[[Any], Any]:
        """flask-smorest's ``alt_response``, documenting the response without wrapping the view.

        flask-smorest wraps the view in one pass-through function per documented response, and
        each call through one costs an ``ensure_sync`` check (an estimate endpoint documents 7:
        about 25 us per request, profiled). Here the documentation that wrapper would carry (a
        copy of the view's own, updated) is set on the view itself, so a request calls it directly.
        """
        document = super().alt_response(status_code, response, **kwargs)

        def decorator(view: Any) -> Any:
            view._apidoc = document(view)._apidoc
            return view

        return decorator

    def problem_responses(self, invalid: str, conflict: str | None = None) -> Callable[[Any], Any]:
        """Document an estimate endpoint's problem responses; ``invalid`` describes its 422 and
        ``conflict``, where given, its 409 (else the common description)."""
        descriptions = {**self.COMMON_ERRORS, 422: invalid, **({409: conflict} if conflict else {})}

        def decorate(view: Any) -> Any:
            for status in sorted(descriptions):
                view = self.alt_response(
                    status, schema=ProblemSchema, content_type=PROBLEM_MIMETYPE, description=descriptions[status]
                )(view)
            return view

        return decorate


class RulesConverter(OpenAPIConverter):
    """apispec's converter, adding a schema's rules across fields (``schemas.schema_rules``: one of
    two fields, not both, ...) to its JSON Schema as ``allOf``, so the document states every rule the
    service enforces, not only each field's own."""

    #: The catalog the service loaded, which catalog rules (``schemas.CatalogRule``) are built from.
    catalog: Catalog | None = None

    def schema2jsonschema(self, schema: Any) -> dict[str, Any]:
        jsonschema: dict[str, Any] = super().schema2jsonschema(schema)
        rules = schema_rules(schema if isinstance(schema, type) else type(schema), set(jsonschema["properties"]),
                             self.catalog)
        if rules:
            jsonschema["allOf"] = rules
        return jsonschema


class RulesPlugin(MarshmallowPlugin):
    Converter = RulesConverter


#: What the document says of the whole API (``info.description``).
API_DESCRIPTION = (
    "How many GPU-hours, GPUs and nodes, how much power, energy, CO2 and money an AI workload takes "
    "(training a model or serving it), as low / mid / high estimates, each number with the formula "
    "and the source behind it (the result's assumptions). Also: comparisons of models and of GPUs, "
    "capacity plans, rent or buy, demand scenarios, sensitivity analyses and versioned pricing tables.\n\n"
    "Reads and estimates need no credentials. Writes to the pricing tables (upload, activate, roll back) "
    "need `Authorization: Bearer <ESTIMATOR_ADMIN_TOKEN>` (the `bearerAuth` scheme); a server without "
    "a token answers them 403. Every error is an RFC 9457 problem (`application/problem+json`): type, "
    "title, status, detail, and errors with a JSON pointer to each field at fault."
)
#: The security scheme the pricing writes declare.
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "The server's ESTIMATOR_ADMIN_TOKEN (at least 32 characters), for writes to pricing tables.",
}
#: An operation's ``security``: the bearer token is required.
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


class ProblemApi(flask_smorest.Api):
    """flask-smorest ``Api`` whose errors, handled and documented, are RFC 9457 problems."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        # flask-smorest registers this for every HTTPException, including its own 422 abort.
        return handle_http_exception(error)

    def _register_responses(self) -> None:
        # Same as flask-smorest's, with the problem media type on the documented error responses.
        for status in http.HTTPStatus:
            response: dict[str, object] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def init_app(app: Flask) -> ProblemApi:
    from . import batch, catalog, compare, docs, inference, plans, pricing, training

    api = ProblemApi(spec_kwargs={"marshmallow_plugin": RulesPlugin(), "info": {"description": API_DESCRIPTION}})
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.spec.components.schema("JsonValue", batch.JSON_VALUE)  # a batch row's cells (recursive)
    api.ma_plugin.converter.add_attribute_function(batch.json_row_openapi)
    for function in OPENAPI_ATTRIBUTE_FUNCTIONS:
        api.ma_plugin.converter.add_attribute_function(function)
    api.ma_plugin.converter.catalog = app.extensions[state.EXTENSION].catalog  # loaded first: state.init_app
    api.register_blueprint(training.blp)
    api.register_blueprint(inference.blp)
    api.register_blueprint(batch.blp)
    api.register_blueprint(compare.blp)
    api.register_blueprint(catalog.blp)
    api.register_blueprint(pricing.blp)
    api.register_blueprint(plans.blp)
    app.register_blueprint(docs.bp)
    return api
