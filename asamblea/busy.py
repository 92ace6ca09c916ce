"""Worker saturation answered ``503`` with ``Retry-After``, never a queue without end.

Under ASGI every request Django serves runs its view on one thread per worker process, one after
another; a burst larger than the worker can serve within a few seconds would only wait longer
and longer until clients give up (and a proxy answers 502 or 504). :class:`Saturation` lets at
most ``limit`` requests into Django at once per worker and answers the rest at once with
``503``, ``Retry-After`` and a page that reloads by itself (``templates/503.html``); the vote
page's script sends a ballot again by itself. The lean endpoint (casts, the open vote page) has
its own bound (:data:`asamblea.lean.app.MAX_PENDING`) and is not counted here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.template.loader import render_to_string

from asamblea.web import RETRY_AFTER_SECONDS

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class Saturation:
    """At most ``limit`` HTTP requests inside ``app`` at once; beyond that, ``503``."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.inside = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.inside >= self.limit:
            await busy(send, reload=scope.get("method") == "GET")
            return
        self.inside += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.inside -= 1


async def busy(send: Any, *, reload: bool) -> None:
    body = render_to_string("503.html", {"reload": reload}).encode("utf-8")
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
