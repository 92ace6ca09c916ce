"""System checks that refuse unsafe production settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver"}


def _public_hosts() -> list[str]:
    return [host for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS]


@register(deploy=False)
def check_production_safety(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    public = _public_hosts()
    if not public:
        return errors
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG is on while ALLOWED_HOSTS names a public host.",
                hint="Unset DEBUG, or serve only on localhost.",
                id="asamblea.E001",
            )
        )
    if settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY or len(settings.SECRET_KEY) < 32:
        errors.append(
            Error(
                "The default or a short SECRET_KEY is used with a public host.",
                hint="Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value.",
                id="asamblea.E002",
            )
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        errors.append(
            Error(
                "A public host is served without SECURE_COOKIES: session cookies and "
                "passphrases would travel in clear text, and no HSTS is sent.",
                hint="Serve over HTTPS (a TLS reverse proxy) and set SECURE_COOKIES=1 "
                "BEHIND_TLS_PROXY=1.",
                id="asamblea.E003",
            )
        )
    return errors
