"""Documentation routes: the problem types the error responses name."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..errors import PROBLEM_TYPES, ProblemError, problem_type

bp = Blueprint("docs", __name__)


@bp.get("/problems/<slug>")
def problem_doc(slug: str) -> Response:
    """What a ``type`` such as ``/problems/invalid-input`` in an error body means."""
    if slug not in PROBLEM_TYPES:
        raise ProblemError(404, f"No problem type '{slug}'. Known: {', '.join(PROBLEM_TYPES)}.")
    title, description = PROBLEM_TYPES[slug]
    return jsonify(type=problem_type(slug), title=title, description=description)
