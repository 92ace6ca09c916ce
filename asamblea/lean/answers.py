"""Reading a ballot request and building the answer, the same for the ASGI app and for Django.

To the page's script (and API clients) the answers are JSON: ``{"ok": true, "poll": 7,
"receipt": "..."}`` or ``{"ok": false, "code": "already_voted", "message": "..."}`` (the message
in the person's language). To a form sent without JavaScript (a form body, HTML accepted) the
answer is ``303`` back to the vote page, the receipt travelling in a short-lived signed cookie
the page shows once (:mod:`asamblea.voting.receipt_flash`), or a small page saying what went
wrong (when the server is busy: ``503``, ``Retry-After`` and a button that sends the ballot
again). Whoever may not see the poll is told it does not exist (404), as by the pages.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from django.db import connection
from django.http.cookie import parse_cookie
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from asamblea.elections.actions import ElectionReceipt
from asamblea.elections.models import Election
from asamblea.errors import Refused
from asamblea.lean.casts import ELECTION_MAX_FIELDS
from asamblea.lean.conf import conf
from asamblea.middleware import CONTENT_SECURITY_POLICY
from asamblea.voting import casting, receipt_flash
from asamblea.voting.models import Poll

MAX_BODY = 4096
ELECTION_MAX_BODY = 32_768  # a ballot of the largest election a form allows
RETRY_AFTER = "2"
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
RESENT_FIELDS = ("csrfmiddlewaretoken", "choice")

ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]

Result = casting.CastReceipt | ElectionReceipt | Refused


# ---------------------------------------------------------------------------------------------
# Reading


def headers_of(scope: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        found[name.decode("latin-1").lower()] = value.decode("latin-1")
    return found


def language(headers: dict[str, str]) -> str:
    """The language cookie's choice, else the browser's, else the default (as the pages)."""
    codes = {code for code, _name in conf().LANGUAGES}
    chosen = parse_cookie(headers.get("cookie", "")).get(conf().LANGUAGE_COOKIE_NAME, "")
    if chosen in codes:
        return chosen
    for part in headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in codes:
            return code
    return str(conf().LANGUAGE_CODE)


async def read_body(receive: ASGIReceive, limit: int = MAX_BODY) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(_("The request was cut short."), code="disconnected")
        body += message.get("body", b"")
        if len(body) > limit:
            raise Refused(_("This request is too large."), code="too_large", status=413)
        if not message.get("more_body", False):
            return body


def fields(content_type: str, body: bytes) -> dict[str, str]:
    """The submitted fields, from JSON or a form; every value a short string."""
    try:
        text = body.decode("utf-8")
        if content_type.split(";")[0].strip() == "application/json":
            data = json.loads(text) if text else {}
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {str(k): v for k, v in data.items() if isinstance(v, str) and len(v) <= 200}
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=20, strict_parsing=False)
        return {k: values[0] for k, values in parsed.items() if len(values) == 1}
    except ValueError as exc:  # bad UTF-8, bad JSON, too many fields
        raise Refused(_("This request could not be read."), code="malformed") from exc


def form_token(content_type: str, body: bytes) -> str:
    """The form body's last ``csrfmiddlewaretoken`` value (what ``request.POST.get`` gives
    Django's CSRF middleware), "" when there is none or the body is not a form."""
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return ""
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return next((v for k, v in reversed(pairs) if k == "csrfmiddlewaretoken"), "")


def form_lists(content_type: str, body: bytes) -> dict[str, list[str]]:
    """An election ballot's fields, every value kept (approval ballots repeat ``mark``)."""
    try:
        text = body.decode("utf-8")
        if content_type.split(";")[0].strip() == "application/json":
            data = json.loads(text) if text else {}
            if not isinstance(data, dict):
                raise ValueError("not an object")
            found: dict[str, list[str]] = {}
            for key, value in data.items():
                values = value if isinstance(value, list) else [value]
                found[str(key)] = [str(v)[:200] for v in values if isinstance(v, str | int)]
            return found
        return parse_qs(
            text, keep_blank_values=True, max_num_fields=ELECTION_MAX_FIELDS, strict_parsing=False
        )
    except ValueError as exc:  # bad UTF-8, bad JSON, too many fields
        raise Refused(_("This request could not be read."), code="malformed") from exc


def wants_html(headers: dict[str, str]) -> bool:
    """A browser's own form submission (no JavaScript): a form body, and HTML accepted. The
    page's script asks for JSON; so do API clients."""
    form = headers.get("content-type", "").split(";")[0].strip().lower() in FORM_TYPES
    return form and "text/html" in headers.get("accept", "")


# ---------------------------------------------------------------------------------------------
# Where the voter goes back to


# The vote page of each poll seen by this process: a body's slug never changes.
VOTE_PAGES: dict[int, str] = {}


def vote_page(poll_id: int) -> str | None:
    """The vote page's path, from the database (then remembered)."""
    page = VOTE_PAGES.get(poll_id)
    if page is not None:
        return page
    slug = Poll.objects.filter(pk=poll_id).values_list("body__slug", flat=True).first()
    if slug is None:
        return None
    page = reverse("voting:detail", args=[slug, poll_id])
    VOTE_PAGES[poll_id] = page
    return page


def vote_page_on_thread(poll_id: int) -> str | None:
    """:func:`vote_page` on a thread of its own, whose connection goes back at once."""
    try:
        return vote_page(poll_id)
    finally:
        connection.close()


def election_page(election_id: int) -> str | None:
    slug = Election.objects.filter(pk=election_id).values_list("body__slug", flat=True).first()
    return None if slug is None else reverse("elections:detail", args=[slug, election_id])


def page_may_show(result: Result) -> bool:
    """Whether the answer may link to the vote page: not when the poll is unknown or hidden
    from the asker (a link would tell them it exists)."""
    return not (isinstance(result, Refused) and result.status == 404)


# ---------------------------------------------------------------------------------------------
# Answering


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def build_reply(
    result: Result,
    headers: dict[str, str],
    fields: dict[str, str],
    page: str | None,
    path: str,
    language_code: str | None = None,
) -> Reply:
    """The answer: JSON for the page's script and API clients; for a form sent without
    JavaScript, ``303`` back to the vote page with the receipt shown there once, or a page
    that says what went wrong (and, when the server is busy, a button to send it again)."""
    language_code = language_code or language(headers)
    extra: list[tuple[str, str]] = []
    if isinstance(result, Refused):
        if result.status == 503:
            extra.append(("retry-after", RETRY_AFTER))
        if result.status == 405:
            extra.append(("allow", "POST"))
    if not wants_html(headers):
        if isinstance(result, Refused):
            with translation.override(language_code):
                payload = {"ok": False, "code": result.code, "message": str(result.message)}
            status = result.status
        elif isinstance(result, ElectionReceipt):
            payload = {"ok": True, "election": result.election_id, "receipt": result.receipt}
            status = 200
        else:
            payload = {"ok": True, "poll": result.poll_id, "receipt": result.receipt}
            status = 200
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Reply(status, [("content-type", "application/json; charset=utf-8"), *extra], body)
    if isinstance(result, ElectionReceipt) and page is not None:
        cookie = receipt_flash.cookie_header("election", result.election_id, result.receipt, page)
        return Reply(303, [("location", page), ("set-cookie", cookie)], b"")
    if isinstance(result, casting.CastReceipt) and page is not None:
        cookie = receipt_flash.cookie_header("poll", result.poll_id, result.receipt, page)
        return Reply(303, [("location", page), ("set-cookie", cookie)], b"")
    if not isinstance(result, Refused):  # stored, but the page is gone: say so plainly
        result = Refused(_("Your vote is recorded."), code="ok", status=200)
    with translation.override(language_code):
        body = render_to_string(
            "lean/cast_answer.html",
            {
                "message": result.message,
                "status": result.status,
                "back": page,
                "retry": path if result.status == 503 else None,
                "fields": {k: v for k, v in fields.items() if k in RESENT_FIELDS},
                "LANGUAGE_CODE": language_code,
            },
        ).encode("utf-8")
    return Reply(result.status, [("content-type", "text/html; charset=utf-8"), *extra], body)


SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


async def send_reply(send: ASGISend, reply: Reply) -> None:
    headers = [
        *SECURITY_HEADERS,
        (b"content-length", str(len(reply.body)).encode()),
        *((name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers),
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
