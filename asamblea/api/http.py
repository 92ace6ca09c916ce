"""What every answer of the API gets, around the operations: the language of
``Accept-Language``, problem details for the refusals Django or ninja make outside an
operation (a method not allowed), and ``ETag`` with ``If-None-Match`` on reads."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation.trans_real import (
    get_supported_language_variant,
    parse_accept_lang_header,
)

from asamblea.api.problems import CONTENT_TYPE, problem

View = Callable[..., HttpResponse]


def accept_language(request: HttpRequest) -> str:
    """The first language of ``Accept-Language`` the site speaks; the site's default else. Only
    the header counts: a program says what it wants there, and cookies are the pages' concern."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:500]
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)


def etag_of(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): gzip on the way marks our ETag weak (``W/``)."""
    if header.strip() == "*":
        return True
    return any(tag.removeprefix("W/") == etag for tag in parse_etags(header[:1000]))


def api_view(view: View) -> View:
    """Wrap one of the API's views (see :mod:`asamblea.api.urls`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = accept_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
            if response.status_code >= 400 and response.get("Content-Type") != CONTENT_TYPE:
                allowed = response.get("Allow")
                response = problem(response.status_code)
                if allowed:
                    response["Allow"] = allowed
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language", "Authorization"])
        if request.method in {"GET", "HEAD"} and response.status_code == 200:
            response = _conditional(request, response)
        return response

    return wrapper


def _conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if getattr(response, "streaming", False):
        return response
    etag = etag_of(response.content)
    response["ETag"] = etag
    private = "Authorization" in request.headers
    # Revalidate every time (cheap with the ETag); a token's answers are that person's only.
    response.setdefault("Cache-Control", "private, no-cache" if private else "no-cache")
    wanted = request.META.get("HTTP_IF_NONE_MATCH")
    if wanted and _matches(wanted, etag):
        not_modified = HttpResponse(status=304)
        for header in ("ETag", "Cache-Control", "Vary", "Content-Language"):
            if header in response:
                not_modified[header] = response[header]
        return not_modified
    return response
