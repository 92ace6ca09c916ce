"""Small helpers shared by the views of every app."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from asamblea.errors import Refused

View = Callable[..., HttpResponse]


def refusal(request: HttpRequest, exc: Refused) -> HttpResponse:
    """Render a refusal: the message in the person's language, the right status, a way back."""
    return render(
        request,
        "refused.html",
        {"message": exc.message, "code": exc.code, "back": request.META.get("HTTP_REFERER", "")},
        status=exc.status,
    )


def handles_refusal(view: View) -> View:
    """Turn a :class:`Refused` raised by an action into a clear page instead of a 500."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Refused as exc:
            return refusal(request, exc)

    return wrapper


def absolute_url(request: HttpRequest, path: str) -> str:
    """``path`` as a full address for links and QR codes handed to people: ``SITE_URL`` when the
    operator set it, otherwise the address the person is using (host checked against
    ``ALLOWED_HOSTS``; scheme and host from a proxy only when ``BEHIND_TLS_PROXY`` is set)."""
    if settings.SITE_URL:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    exc = Refused(
        _(
            "Your form has expired or was sent from elsewhere. "
            "Go back, reload the page and try again."
        ),
        code="csrf",
        status=403,
    )
    return refusal(request, exc)


# The answer to an unexpected error when the cause is that the database is out of reach or
# saturated (no pooled connection free in time, "too many clients", a server restarting):
# 503 with Retry-After — the request did nothing, and trying again is safe. Anything else is a
# real fault and stays a 500.
RETRY_AFTER_SECONDS = 2
_BUSY = (OperationalError, InterfaceError)


def database_busy(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, _BUSY):
            return True
        exc = exc.__cause__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django calls it inside the ``except`` that caught the error."""
    if database_busy(sys.exc_info()[1]):
        response = HttpResponse(
            loader.get_template("503.html").render({"reload": request.method == "GET"}),
            status=503,
            content_type="text/html; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render({}))


def qr_svg(url: str) -> SafeString:
    """The QR code of ``url`` as inline SVG markup (no image libraries, prints sharp), safe to
    put in a template as it is: segno writes only paths and escapes nothing of ours into it.
    Without width and height (only a viewBox) it scales to the size the stylesheet gives it."""
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", omitsize=True)
    return mark_safe(str(svg))  # noqa: S308 - segno's own markup, the URL is encoded as modules


def form_refusal(form: Any) -> Refused:
    """The refusal for an invalid form: its errors, translated, in one sentence."""
    errors = [str(e) for field in form.errors.values() for e in field]
    return Refused(" ".join(errors) or _("Check the form and try again."), code="bad_input")
