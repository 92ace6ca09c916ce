"""Calling the lean endpoint (:class:`asamblea.lean.app.LeanApp`) in-process, as a browser
would: for tests only.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

from asamblea.lean.app import LeanApp


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.body.get("code", "ok" if self.body.get("ok") else ""))


def csrf_pair() -> tuple[str, str]:
    """A CSRF cookie secret and the masked token a page would carry for it."""
    secret = _get_new_csrf_string()
    return secret, _mask_cipher_secret(secret)


def request_scope(
    poll_id: int | str,
    *,
    session_key: str | None,
    csrf: tuple[str, str] | None,
    method: str = "POST",
    content_type: str = "application/json",
    origin: str | None = None,
    token: str | None = None,
    host: str = "testserver",
) -> dict[str, Any]:
    cookies = []
    if session_key:
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session_key}")
    if csrf:
        cookies.append(f"{settings.CSRF_COOKIE_NAME}={csrf[0]}")
    headers = [(b"host", host.encode()), (b"content-type", content_type.encode())]
    if cookies:
        headers.append((b"cookie", "; ".join(cookies).encode()))
    sent_token = token if token is not None else (csrf[1] if csrf else None)
    if sent_token:
        headers.append((b"x-csrftoken", sent_token.encode("latin-1")))
    if origin:
        headers.append((b"origin", origin.encode()))
    return {
        "type": "http",
        "method": method,
        "scheme": "http",
        "path": f"/cast/{poll_id}/",
        "headers": headers,
    }


async def call(app: LeanApp, scope: dict[str, Any], body: bytes) -> Answer:
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return Answer(start["status"], headers, json.loads(sent[1]["body"]))


def choice_body(choice: str) -> bytes:
    return json.dumps({"choice": choice}).encode()
