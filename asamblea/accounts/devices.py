"""Device cookies: a browser that has logged in as a person before keeps getting through while
strangers guessing that person's passphrase are throttled (OWASP, "Slow Down Online Guessing
Attacks with Device Cookies").

After a successful login the browser gets a cookie signed with the server's secret (Django's
``signing``, an HMAC) that lists, for up to :data:`MAX_PEOPLE` people, a keyed hash of the login
name, a random nonce and when it was issued. At the next login for that name the login form
counts failures against the nonce instead of against the name: someone failing on purpose from
another device locks out only untrusted devices, never the person's own phone. A device cookie
with too many failures is itself locked (treated as untrusted) for the rest of the window.
The cookie holds no login name, and a forged or expired one is ignored.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

COOKIE_NAME = "asamblea_device"
MAX_AGE = 180 * 24 * 3600  # seconds a device stays trusted after its last login
MAX_PEOPLE = 5  # a shared family phone: a few people, the most recent kept
_SALT = "asamblea.accounts.device"


def _name_tag(normal_name: str) -> str:
    return salted_hmac(_SALT, normal_name).hexdigest()[:24]


def _entries(request: HttpRequest) -> list[list[Any]]:
    raw = request.COOKIES.get(COOKIE_NAME, "")
    if not raw or len(raw) > 4096:
        return []
    try:
        value = signing.loads(raw, salt=_SALT, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError):
        return []
    now = time.time()
    return [
        entry
        for entry in (value if isinstance(value, list) else [])
        if isinstance(entry, list)
        and len(entry) == 3
        and all(isinstance(part, str) for part in entry[:2])
        and isinstance(entry[2], int)
        and now - entry[2] <= MAX_AGE
    ]


def trusted_nonce(request: HttpRequest, normal_name: str) -> str | None:
    """The nonce of this browser's valid device cookie for the login name, if it has one."""
    tag = _name_tag(normal_name)
    for entry_tag, nonce, _issued in _entries(request):
        if secrets.compare_digest(entry_tag, tag):
            return str(nonce)
    return None


def remember(request: HttpRequest, response: HttpResponse, normal_name: str) -> None:
    """Trust this browser for the login name from now on (a fresh nonce each login)."""
    tag = _name_tag(normal_name)
    kept = [entry for entry in _entries(request) if entry[0] != tag][-(MAX_PEOPLE - 1) :]
    kept.append([tag, secrets.token_urlsafe(16), int(time.time())])
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps(kept, salt=_SALT),
        max_age=MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
