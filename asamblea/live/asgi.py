"""A lean ASGI app for Server-Sent Events, served beside Django's ASGI handler.

Django's handler costs a thread hop and the whole middleware stack per request; thousands of
long-lived streams only need the session cookie checked once and then bytes written. Who may
read a stream is not decided here: ``resolve(path, cookies)`` (given by the project) returns
the channels a request may read, or None for "not found".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

from asamblea.live.broker import Broker

Resolve = Callable[[str, dict[str, str]], Awaitable[list[str] | None]]
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
    (b"x-content-type-options", b"nosniff"),
]


def cookies_of(scope: dict[str, Any]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return {}
    return {key: morsel.value for key, morsel in jar.items()}


def header(scope: dict[str, Any], wanted: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


async def _plain(send: Any, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


class SSEApp:
    """Serve ``prefix`` paths as event streams; hand every other request to ``fallback``."""

    def __init__(self, fallback: ASGIApp, resolve: Resolve, broker: Broker, prefix: str) -> None:
        self.fallback = fallback
        self.resolve = resolve
        self.broker = broker
        self.prefix = prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.fallback(scope, receive, send)
            return
        if scope["method"] != "GET":
            await _plain(send, 405, "GET only")
            return
        channels = await self.resolve(scope["path"], cookies_of(scope))
        if channels is None:
            await _plain(send, 404, "Not found")
            return
        last_id = header(scope, b"last-event-id")
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        stream = self.broker.stream(channels, last_id)
        disconnected = _watch_disconnect(receive)
        try:
            async for chunk in stream:
                if disconnected.done():
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except OSError:
            disconnected.cancel()  # the client went away mid-write
        finally:
            disconnected.cancel()
            await stream.aclose()
        if not disconnected.done():
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})


def _watch_disconnect(receive: Any) -> Any:
    async def wait() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    return asyncio.ensure_future(wait())
