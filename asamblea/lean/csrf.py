"""The host, ``Origin``/``Referer`` and CSRF token checks of Django's ``CsrfViewMiddleware``
and ``HttpRequest.get_host``, for a raw ASGI request, step by step as Django 5.2 makes them:

* the host is the ``Host`` header (``X-Forwarded-Host`` behind a proxy that sets it, when
  ``USE_X_FORWARDED_HOST``), and must match ``ALLOWED_HOSTS``;
* a request with an ``Origin`` header must come from this site (scheme and host) or a trusted
  origin (``CSRF_TRUSTED_ORIGINS``, wildcards for subdomains); over HTTPS, a request without one
  must carry a ``Referer`` from this host or a trusted one, over HTTPS;
* the CSRF cookie's secret must match the token sent back: the form's ``csrfmiddlewaretoken``
  field, else the ``X-CSRFToken`` header (masked or not, as Django accepts).

It uses Django's constants and domain matching; ``unmask`` is Django's
unmasking with a table lookup. ``asamblea/lean/tests/test_same_as_django.py`` runs these checks
and Django's on the same requests, so a Django upgrade that changes Django's decision fails
there.
"""

from __future__ import annotations

import functools
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.http.request import split_domain_port, validate_host
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
)
from django.utils.crypto import constant_time_compare
from django.utils.http import is_same_domain
from django.utils.translation import gettext_lazy as _

from asamblea.errors import NotAllowed, Refused
from asamblea.lean.conf import conf

_NOT_ALLOWED = re.compile(f"[^{CSRF_ALLOWED_CHARS}]")


def well_formed(token: str) -> bool:
    """Django's ``_check_token_format`` (a cookie secret or a token, masked or not: its length
    and its characters) as a yes or no, with a compiled pattern: Django's is a lazy object whose
    every search goes through a proxy (a test compares the two)."""
    return (
        len(token) in (CSRF_TOKEN_LENGTH, CSRF_SECRET_LENGTH) and _NOT_ALLOWED.search(token) is None
    )


def refused() -> NotAllowed:
    return NotAllowed(
        _(
            "Your form has expired or was sent from elsewhere. "
            "Go back, reload the page and try again."
        ),
        code="csrf",
    )


def _header(meta_name: str) -> str:
    """``HTTP_X_FORWARDED_PROTO`` as the lower-cased header name ``x-forwarded-proto``."""
    return meta_name.removeprefix("HTTP_").replace("_", "-").lower()


def is_secure(scope: dict[str, Any], headers: dict[str, str]) -> bool:
    """``HttpRequest.is_secure``: the proxy's header when ``SECURE_PROXY_SSL_HEADER`` is set
    and sent, else the connection's scheme."""
    if conf().SECURE_PROXY_SSL_HEADER:
        name, secure_value = conf().SECURE_PROXY_SSL_HEADER
        value = headers.get(_header(name))
        if value is not None:
            return bool(value.split(",", 1)[0].strip() == secure_value)
    return bool(scope.get("scheme") == "https")


def raw_host(scope: dict[str, Any], headers: dict[str, str]) -> str:
    """``HttpRequest._get_raw_host``: the host the request names, with its port."""
    if conf().USE_X_FORWARDED_HOST and "x-forwarded-host" in headers:
        return headers["x-forwarded-host"]
    if "host" in headers:
        return headers["host"]
    server = scope.get("server") or ("unknown", "0")
    host, port = str(server[0]), server_port(scope, headers)
    if port != ("443" if is_secure(scope, headers) else "80"):
        host = f"{host}:{port}"
    return host


def server_port(scope: dict[str, Any], headers: dict[str, str]) -> str:
    """``HttpRequest.get_port``."""
    if conf().USE_X_FORWARDED_PORT and "x-forwarded-port" in headers:
        return headers["x-forwarded-port"]
    server = scope.get("server") or ("unknown", "0")
    return str(server[1])


def good_host(scope: dict[str, Any], headers: dict[str, str]) -> str | None:
    """``HttpRequest.get_host``: the host if ``ALLOWED_HOSTS`` allows it, else None (where
    Django raises ``DisallowedHost``)."""
    host = raw_host(scope, headers)
    allowed = tuple(conf().ALLOWED_HOSTS)
    if conf().DEBUG and not allowed:
        allowed = (".localhost", "127.0.0.1", "[::1]")
    return host if host_allowed(host, allowed) else None


@functools.lru_cache(maxsize=256)
def host_allowed(host: str, allowed_hosts: tuple[str, ...]) -> bool:
    """Django's host check, remembered: every ballot of a burst names the same host."""
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed_hosts)


def check_host(scope: dict[str, Any], headers: dict[str, str]) -> None:
    if good_host(scope, headers) is None:
        raise Refused(_("This request was sent to an unknown address."), code="bad_host")


def check_csrf(
    scope: dict[str, Any], headers: dict[str, str], cookies: dict[str, str], form_token: str
) -> None:
    """Raise :func:`refused` unless the request passes ``CsrfViewMiddleware.process_view`` for
    a POST (``headers`` lower-cased, ``cookies`` parsed, ``form_token`` the form body's last
    ``csrfmiddlewaretoken`` value, "" when it has none or is not a form)."""
    secure = is_secure(scope, headers)
    host = good_host(scope, headers)
    if "origin" in headers:
        if not origin_verified(headers["origin"], host, secure):
            raise refused()
    elif secure and not referer_verified(headers.get("referer"), host, server_port(scope, headers)):
        raise refused()
    secret = cookies.get(conf().CSRF_COOKIE_NAME)
    token = form_token or headers.get(_header(conf().CSRF_HEADER_NAME))
    if secret is None or token is None:
        raise refused()
    if not (well_formed(secret) and well_formed(token)):
        raise refused()
    if len(secret) == CSRF_TOKEN_LENGTH:
        secret = unmask(secret)
    if len(token) == CSRF_TOKEN_LENGTH:
        token = unmask(token)
    if not constant_time_compare(token, secret):
        raise refused()


def origin_verified(origin: str, host: str | None, secure: bool) -> bool:
    """``CsrfViewMiddleware._origin_verified``."""
    if host is not None and origin == f"{'https' if secure else 'http'}://{host}":
        return True
    exact, subdomains = _trusted_origins(tuple(conf().CSRF_TRUSTED_ORIGINS))
    if origin in exact:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parsed.netloc, allowed) for allowed in subdomains.get(parsed.scheme, ())
    )


def referer_verified(referer: str | None, host: str | None, port: str) -> bool:
    """``CsrfViewMiddleware._check_referer`` (HTTPS without ``Origin``)."""
    if referer is None:
        return False
    try:
        parsed = urlsplit(referer)
    except ValueError:
        return False
    if "" in (parsed.scheme, parsed.netloc) or parsed.scheme != "https":
        return False
    trusted_hosts = [urlsplit(o).netloc.lstrip("*") for o in conf().CSRF_TRUSTED_ORIGINS]
    if any(is_same_domain(parsed.netloc, allowed) for allowed in trusted_hosts):
        return True
    good = conf().SESSION_COOKIE_DOMAIN if conf().CSRF_USE_SESSIONS else conf().CSRF_COOKIE_DOMAIN
    if good is None:
        if host is None:
            return False
        good = host
    elif port not in ("443", "80"):
        good = f"{good}:{port}"
    return is_same_domain(parsed.netloc, good)


@functools.lru_cache(maxsize=8)
def _trusted_origins(origins: tuple[str, ...]) -> tuple[frozenset[str], dict[str, list[str]]]:
    """``allowed_origins_exact`` and ``allowed_origin_subdomains`` of the middleware."""
    exact = frozenset(origin for origin in origins if "*" not in origin)
    subdomains: dict[str, list[str]] = {}
    for origin in origins:
        if "*" in origin:
            parsed = urlsplit(origin)
            subdomains.setdefault(parsed.scheme, []).append(parsed.netloc.lstrip("*"))
    return exact, subdomains


_CSRF_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def unmask(token: str) -> str:
    """Django's ``_unmask_cipher_token`` with a table lookup instead of ``str.index`` (the same
    result; a test compares them): the masked token is a 32-char mask then the cipher."""
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    size = len(CSRF_ALLOWED_CHARS)
    return "".join(
        CSRF_ALLOWED_CHARS[(_CSRF_INDEX[c] - _CSRF_INDEX[m]) % size]
        for c, m in zip(cipher, mask, strict=True)
    )


# Masking a secret for a page, as Django's ``_mask_cipher_secret`` (a fresh uniformly random
# mask of CSRF_SECRET_LENGTH allowed characters, then the secret shifted by it), drawing the
# mask from one ``os.urandom`` call instead of one per character: random bytes below
# _UNBIASED (a multiple of the alphabet's size) taken modulo the size are uniform.
_UNBIASED = 256 - 256 % len(CSRF_ALLOWED_CHARS)


def mask(secret: str) -> str:
    """A fresh masked token of ``secret`` (Django's ``_mask_cipher_secret``, faster; a test
    checks Django unmasks it to the secret and that the masks are uniform)."""
    size = len(CSRF_ALLOWED_CHARS)
    shifts: list[int] = []
    while len(shifts) < CSRF_SECRET_LENGTH:
        shifts += [b % size for b in secrets.token_bytes(CSRF_SECRET_LENGTH + 8) if b < _UNBIASED]
    shifts = shifts[:CSRF_SECRET_LENGTH]
    chars = CSRF_ALLOWED_CHARS
    masked = "".join([chars[i] for i in shifts])
    return masked + "".join(
        [chars[(_CSRF_INDEX[c] + i) % size] for c, i in zip(secret, shifts, strict=True)]
    )
