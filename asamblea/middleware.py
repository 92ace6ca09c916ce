from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

# No inline script or style anywhere: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Adds the headers Django's SecurityMiddleware does not: CSP and Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        return response


class CompressPagesMiddleware(GZipMiddleware):
    """Gzip for pages, JSON and downloads; never for live streams.

    Streams (Server-Sent Events) are left alone: gzip would hold each event back in its buffer
    until enough bytes gathered, and the live page would stop being live. BREACH: Django masks
    the CSRF token afresh in every response and adds random bytes to every gzip header, which is
    why compressing pages that carry a token is acceptable here (docs/operators.md).
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.streaming:
            return response
        return super().process_response(request, response)
