"""The Server-Sent Events stream as an async Django view, for servers that do not run the lean
ASGI app in front of Django (``asamblea.asgi`` serves the same streams with the same rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse

from asamblea.live.broker import broker, control

# How long a page served without streams waits before asking again (it polls meanwhile).
NO_STREAM_RETRY_MS = 10_000

ChannelsFor = Callable[[Any, int], "list[str] | None"]


async def stream_view(request: HttpRequest, channels_for: ChannelsFor, pk: int) -> HttpResponse:
    """Stream the channels ``channels_for(person, pk)`` allows; 404 when it allows none (the
    caller's permission rule decides, ``live`` knows nothing about the domain)."""
    if request.method != "GET":
        return HttpResponse(status=405)
    user = await request.auser()  # type: ignore[attr-defined]
    channels = await sync_to_async(channels_for)(user, pk)
    if channels is None:
        raise Http404
    if not isinstance(request, ASGIRequest):
        # A WSGI server (``asamblea.wsgi``, the test server) cannot stream an async iterator:
        # Django would buffer it for ever and hold a thread per open page. Tell the page to poll.
        return HttpResponse(
            control("degraded", retry_ms=NO_STREAM_RETRY_MS),
            content_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )
    stream = broker.stream(channels, request.headers.get("Last-Event-ID"))
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response
