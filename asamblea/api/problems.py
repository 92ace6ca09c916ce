"""Errors as RFC 9457 problem details (``application/problem+json``), in the reader's language.

Every refusal of the API has the same shape::

    {"type": "about:blank", "title": "Conflict", "status": 409,
     "detail": "You have already voted in this poll.", "code": "already_voted"}

``title`` names the HTTP status and ``detail`` says what happened, both translated by the
request's ``Accept-Language`` (Spanish or English); ``code`` is a stable word for programs (the
same codes as the pages' refusals). A request whose parameters or body do not validate also
carries ``errors``: where (``loc``) and what kind (``type``) of each problem found.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: _("Bad request"),
    401: _("Not authenticated"),
    403: _("Forbidden"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    413: _("Request too large"),
    415: _("Unsupported media type"),
    422: _("Invalid request"),
    429: _("Too many requests"),
    500: _("Server error"),
    503: _("Service unavailable"),
}

DEFAULT_DETAIL = {
    400: _("The request could not be read."),
    401: _("This needs a valid access token (Authorization: Bearer …)."),
    403: _("You may not do this."),
    404: _("There is nothing here."),
    405: _("This address does not take this method."),
    422: _("The request is not valid: see errors."),
    429: _("Too many attempts. Wait a minute and try again."),
    500: _("Something went wrong on the server. Nothing was changed."),
    503: _("The server is busy. Nothing was changed; try again in a moment."),
}


def problem(status: int, detail: Any = None, *, code: str = "", **extra: Any) -> HttpResponse:
    """A problem-details response; ``detail`` and the title are translated now (the caller
    runs under the request's language)."""
    document: dict[str, Any] = {
        "type": "about:blank",
        "title": str(TITLES.get(status, _("Error"))),
        "status": status,
        "detail": str(detail if detail is not None else DEFAULT_DETAIL.get(status, "")),
        "code": code or _default_code(status),
    }
    document.update(extra)
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    return response


def _default_code(status: int) -> str:
    return {
        400: "bad_request",
        401: "not_authenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        415: "unsupported_media_type",
        422: "invalid",
        429: "too_many_attempts",
        500: "server_error",
        503: "busy",
    }.get(status, "error")
