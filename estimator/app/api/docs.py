"""Documentation routes: the API docs page (vendored Swagger UI), the problem types, and the
permanent redirects from the addresses the docs had before they moved under ``/api/v1``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from ..errors import PROBLEM_TYPES, ProblemError, problem_type

bp = Blueprint("docs", __name__)

#: Old address -> endpoint now serving it. 308 keeps the method, and bookmarks keep working.
MOVED = {
    "/api/docs": "docs.api_docs",
    "/api/openapi.json": "api-docs.openapi_json",
}


#: The app's policy plus ``data:`` images: Swagger UI's stylesheet draws its icons as inline SVG
#: ``data:`` URLs, which load nothing from anywhere.
DOCS_CSP = "default-src 'self'; img-src 'self' data:"


@bp.get("/api/v1/docs")
def api_docs() -> Response:
    """Swagger UI over /api/v1/openapi.json, from files in static/swagger-ui/ only."""
    spec_url = url_for("api-docs.openapi_json")
    page = render_template("api_docs.html", title=current_app.config["API_TITLE"], spec_url=spec_url)
    response = current_app.response_class(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


def moved_permanently() -> Response:
    """308 to the new address of an old docs URL (query string kept; no body to render)."""
    location = url_for(MOVED[request.url_rule.rule])  # type: ignore[union-attr]
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = current_app.response_class(status=308)
    response.headers["Location"] = location
    return response


for _old in MOVED:
    bp.add_url_rule(_old, f"moved{_old.replace('/', '_').replace('.', '_')}", moved_permanently, methods=["GET"])


@bp.get("/problems/<slug>")
def problem_doc(slug: str) -> Response:
    """What a ``type`` such as ``/problems/invalid-input`` in an error body means."""
    if slug not in PROBLEM_TYPES:
        raise ProblemError(404, f"No problem type '{slug}'. Known: {', '.join(PROBLEM_TYPES)}.")
    title, description = PROBLEM_TYPES[slug]
    return jsonify(type=problem_type(slug), title=title, description=description)
