"""The API object: operations, the OpenAPI 3.1 document, the docs page, and errors as problem
details. Served under ``/api/`` (see :mod:`asamblea.api.urls`)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase

from asamblea.api import endpoints
from asamblea.api.problems import CONTENT_TYPE, problem
from asamblea.errors import Refused

# The Swagger UI that django-ninja ships in its wheel (pinned with it in pyproject.toml),
# served as this site's own static files: no CDN, which the site's CSP would refuse anyway and
# a weak connection would wait for. The SHA-256 of each file as shipped is recorded here and
# checked by a test, so an upgrade that changes them is noticed and reviewed (docs/api.md).
SWAGGER_UI_VERSION = "5.31.0"
DOCS_ASSETS = {
    "ninja/swagger-ui.css": "9e576f8322132c76949da47f9bb53c891373c303ea3a761ff548ffc9de50a98c",
    "ninja/swagger-ui-bundle.js": (
        "93b7b0862a80e2786f85b560be7693c2344354ffa7e7e224f850a54349724c31"
    ),
}


def file_sha256(name: str) -> str:
    path = finders.find(name)
    if not path:
        raise FileNotFoundError(name)
    return hashlib.sha256(Path(str(path)).read_bytes()).hexdigest()


class LocalDocs(DocsBase):
    """Swagger UI from this server's static files, started by a static script (no inline
    script: the CSP allows scripts from 'self' only)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        context = {"openapi_url": self.get_openapi_url(api, kwargs), "title": api.title}
        return render(request, "api/docs.html", context)


class AsambleaApi(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return describe(schema)


def describe(schema: Any) -> Any:
    """What the operations' signatures cannot say: refusals are ``application/problem+json``,
    every GET may answer 304 to ``If-None-Match`` and sends an ``ETag``."""
    etag = {"ETag": {"description": "Validator of this answer.", "schema": {"type": "string"}}}
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                content = response.get("content")
                if int(status) >= 400 and content and "application/json" in content:
                    response["content"] = {CONTENT_TYPE: content.pop("application/json")}
                if method == "get" and int(status) == 200:
                    response.setdefault("headers", {}).update(etag)
            if method == "get":
                responses["304"] = {"description": _not_modified(), "headers": etag}
                params = operation.setdefault("parameters", [])
                params.append(
                    {
                        "in": "header",
                        "name": "If-None-Match",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 1000},
                        "description": "An ETag seen before: 304 if nothing changed.",
                    }
                )
        del path
    return schema


def _not_modified() -> str:
    return "Not modified: the ETag given in If-None-Match is still current."


api = AsambleaApi(
    title="Asamblea API",
    version="1",
    description=(
        "Public decisions of Asamblea's assemblies, and a member's own actions through a "
        "personal access token. Guide: docs/api.md."
    ),
    urls_namespace="api",
    docs=LocalDocs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("", endpoints.router)
api.add_router("/me", endpoints.me_router)


@api.exception_handler(Refused)
def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return problem(exc.status, exc.message, code=exc.code)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": [str(part) for part in error.get("loc", [])], "type": str(error.get("type", ""))}
        for error in exc.errors
    ]
    return problem(422, code="invalid", errors=errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja's own refusals (an unreadable JSON body, mostly): its English text is replaced by
    # the translated sentence of the status.
    return problem(exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem(413, _("This request is too large."), code="too_large")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404)


@csrf_exempt  # the API takes no session: nothing to forge (asamblea.api.auth)
def not_found_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under ``/api/``: a problem document, not the site's HTML 404."""
    return problem(404, _("There is nothing here."), code="not_found")


__all__ = ["api", "not_found_view"]
