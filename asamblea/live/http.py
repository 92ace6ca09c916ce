"""The Server-Sent Events stream as an async Django view, for servers that do not run the lean
ASGI app in front of Django (``asamblea.asgi`` serves the same streams with the same rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse

from asamblea.live.broker import broker

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
    stream = broker.stream(channels, request.headers.get("Last-Event-ID"))
    response = StreamingHttpResponse(stream, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response
