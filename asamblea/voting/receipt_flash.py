"""The receipt shown once on the vote page after a cast without JavaScript.

The form without JavaScript posts to the lean endpoint, which answers ``303`` back to the vote
page; the receipt travels in a short-lived cookie signed with the server's key, scoped to that
vote page, that the page reads once and deletes. The cookie holds the poll (or election) and the
receipt code only — never the choice — so it proves nothing about how anyone voted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE = "asamblea_cast"
MAX_AGE = 120  # seconds: long enough for a slow phone to follow the redirect
_SALT = "asamblea.voting.receipt-flash"


def value(kind: str, pk: int, receipt: str | None) -> str:
    """The signed cookie value for a cast just acknowledged (``kind``: "poll" or "election")."""
    return signing.dumps({"k": kind, "p": pk, "r": receipt or ""}, salt=_SALT)


def cookie_header(kind: str, pk: int, receipt: str | None, path: str) -> str:
    """A ``Set-Cookie`` value for the raw ASGI answer: HttpOnly, SameSite=Lax, only for
    ``path`` (the vote page), Secure when the site's cookies are."""
    parts = [f"{COOKIE}={value(kind, pk, receipt)}", f"Max-Age={MAX_AGE}", f"Path={path}"]
    parts += ["HttpOnly", "SameSite=Lax"]
    if settings.SESSION_COOKIE_SECURE:
        parts.append("Secure")
    return "; ".join(parts)


def take(request: HttpRequest, kind: str, pk: int) -> dict[str, Any] | None:
    """``{"receipt": code or None}`` if the request carries a fresh flash for this poll or
    election, else None. The caller must :func:`forget` it on its answer."""
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=_SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") != kind or data.get("p") != pk:
        return None
    return {"receipt": str(data.get("r") or "") or None}


def forget(response: HttpResponse, request: HttpRequest) -> HttpResponse:
    """Delete the flash cookie (shown once), on the path it was set for."""
    if COOKIE in request.COOKIES:
        response.delete_cookie(COOKIE, path=request.path, samesite="Lax")
    return response


def see_other(kind: str, pk: int, receipt: str | None, page: str) -> HttpResponse:
    """``303`` to ``page`` with the receipt to show there once."""
    response = HttpResponse(status=303)
    response["Location"] = page
    response["Cache-Control"] = "no-store"
    response.set_cookie(
        COOKIE,
        value(kind, pk, receipt),
        max_age=MAX_AGE,
        path=page,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
