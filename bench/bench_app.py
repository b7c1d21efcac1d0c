"""The app ``bench_http.py`` serves: the real one, plus one control route used by the benchmark only.

``POST /bench/post-floor`` does what every estimate request does around the estimate and nothing
else: it reads and strictly parses the JSON body (``jsonsafe.load_json_body``, as the API's argument
parser does) and answers with a fixed JSON document the size of a training estimate (the answer to
the schema's training example, encoded once at start-up). Its rate is the most an estimate endpoint
of this framework could reach if the estimate, the request schema and the result cache cost nothing,
so it shows how much of the gap to the trivial ``GET /healthz`` is the estimator's and how much is
the cost of a POST with a body in and ~12 KB out. Like the API's estimate routes it opens no session
and skips the failed-authentication rate limiter (``estimator/app/__init__.py``, ``cached_answers.py``).
"""

from __future__ import annotations

from flask import Flask, Response, request

from estimator.app import PageSessionInterface
from estimator.app import create_app as create_real_app
from estimator.app.jsonsafe import json_response, load_json_body
from estimator.app.run import training_json
from estimator.app.schemas import TRAINING_EXAMPLE, TrainingRequestSchema
from estimator.app.state import ready_state

FLOOR_PATH = "/bench/post-floor"


def create_app() -> Flask:
    app = create_real_app()
    with app.app_context():
        fixed = training_json(ready_state(), TrainingRequestSchema().load(TRAINING_EXAMPLE))

    @app.post(FLOOR_PATH)
    def post_floor() -> Response:
        load_json_body()
        return json_response(fixed)

    # Treated as the API's estimate routes are (issue 14): no session, no failed-authentication limiter.
    if isinstance(app.session_interface, PageSessionInterface):
        app.session_interface.prefixes = (*app.session_interface.prefixes, FLOOR_PATH)
    app.extensions["estimator_limiter"].request_filter(lambda: request.endpoint == "post_floor")
    return app
