"""The receipt shown once on the vote page after a cast without JavaScript.

The form without JavaScript posts to the lean endpoint, which answers ``303`` back to the vote
page; the receipt travels in a short-lived cookie signed with the server's key, scoped to that
vote page, that the page reads once and deletes. The cookie holds the poll (or election) and the
receipt code only — never the choice — so it proves nothing about how anyone voted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "asamblea_cast"
MAX_AGE = 120  # seconds: long enough for a slow phone to follow the redirect
_SALT = b"asamblea.voting.receipt-flash"
KINDS = ("poll", "election")
# kind.pk.receipt.issued.mac: the receipt is 32 hex digits or empty, issued is Unix seconds,
# the MAC an HMAC-SHA256 (hex) of the rest under a key derived from the site's secret key.
_SHAPE = re.compile(
    r"(poll|election)\.([0-9]{1,18})\.((?:[0-9a-f]{32})?)\.([0-9]{1,12})\.([0-9a-f]{64})"
)


def _keys() -> tuple[bytes, ...]:
    """The MAC keys: from the current secret key first, then its fallbacks (a flash made just
    before a key rotation still shows). Derived once per set of secrets."""
    secrets = (str(settings.SECRET_KEY), *map(str, settings.SECRET_KEY_FALLBACKS))
    if _derived and _derived[0] == secrets:
        return _derived[1]
    keys = tuple(hashlib.sha256(_SALT + secret.encode()).digest() for secret in secrets)
    _derived[:] = [secrets, keys]
    return keys


_derived: list[Any] = []


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def value(kind: str, pk: int, receipt: str | None) -> str:
    """The signed cookie value for a cast just acknowledged (``kind``: "poll" or "election").

    A plain HMAC over a short text, not ``django.core.signing``: this runs on every cast
    without JavaScript and on the page after it, where the signer's JSON, compression and
    key derivation were a tenth of the request's time."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    message = f"{kind}.{int(pk)}.{receipt or ''}.{int(time.time())}"
    return f"{message}.{_mac(_keys()[0], message)}"


def read(raw: str, *, now: float | None = None) -> dict[str, Any] | None:
    """``{"kind", "pk", "receipt"}`` of a cookie value that verifies and is at most
    :data:`MAX_AGE` seconds old, else None."""
    found = _SHAPE.fullmatch(raw)
    if found is None:
        return None
    kind, pk, receipt, issued, mac = found.groups()
    message = raw[: -len(mac) - 1]
    if not any(hmac.compare_digest(_mac(key, message), mac) for key in _keys()):
        return None
    age = (time.time() if now is None else now) - int(issued)
    if not -5 <= age <= MAX_AGE:
        return None
    return {"kind": kind, "pk": int(pk), "receipt": receipt or None}


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
    data = read(raw)
    if data is None or data["kind"] != kind or data["pk"] != pk:
        return None
    return {"receipt": data["receipt"]}


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
