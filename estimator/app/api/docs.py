"""Documentation routes: the API docs page (vendored Swagger UI) and the problem types."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for

from ..errors import PROBLEM_TYPES, ProblemError, problem_type

bp = Blueprint("docs", __name__)


@bp.get("/api/docs")
def api_docs() -> str:
    """Swagger UI over /api/openapi.json, from files in static/swagger-ui/ only."""
    spec_url = url_for("api-docs.openapi_json")
    return render_template("api_docs.html", title=current_app.config["API_TITLE"], spec_url=spec_url)


@bp.get("/problems/<slug>")
def problem_doc(slug: str) -> Response:
    """What a ``type`` such as ``/problems/invalid-input`` in an error body means."""
    if slug not in PROBLEM_TYPES:
        raise ProblemError(404, f"No problem type '{slug}'. Known: {', '.join(PROBLEM_TYPES)}.")
    title, description = PROBLEM_TYPES[slug]
    return jsonify(type=problem_type(slug), title=title, description=description)
