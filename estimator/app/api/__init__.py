"""The JSON API: a flask-smorest ``Api`` that speaks problem details, and its blueprints."""

from __future__ import annotations

import http

import flask_smorest
from flask import Flask, Response
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from ..errors import PROBLEM_MIMETYPE, handle_http_exception
from ..jsonsafe import StrictJSONParser
from ..schemas import OPENAPI_ATTRIBUTE_FUNCTIONS, ProblemSchema


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest blueprint whose JSON bodies are read by ``jsonsafe.load_json_body``."""

    ARGUMENTS_PARSER = StrictJSONParser()


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
    from . import catalog, docs, training

    api = ProblemApi()
    api.init_app(app)
    for function in OPENAPI_ATTRIBUTE_FUNCTIONS:
        api.ma_plugin.converter.add_attribute_function(function)
    api.register_blueprint(training.blp)
    api.register_blueprint(catalog.blp)
    app.register_blueprint(docs.bp)
    return api
