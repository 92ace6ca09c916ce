"""The ASGI entry point: Django for pages and forms, the lean endpoint for ``/cast/``, the
open vote page and the open election ballot page (which it hands back to Django when Django
must answer), the encrypted ballots of verifiable polls,
the lean live-stream endpoint for ``/live/`` (meetings, votes, consultations, pledges).

Both run in every worker process; the lean endpoint shares Django's settings, database and
session table (see :mod:`asamblea.lean`).
"""

import gc
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
django_pages = get_asgi_application()

from asamblea.busy import Saturation  # noqa: E402
from asamblea.coordination import live as consultation_live  # noqa: E402
from asamblea.lean.app import PAGE_KINDS, PREFIX, LeanApp  # noqa: E402 - needs Django set up
from asamblea.lean.verifiable_cast import PATH as VERIFIABLE_CAST  # noqa: E402
from asamblea.live.asgi import SSEApp  # noqa: E402
from asamblea.live.broker import broker  # noqa: E402
from asamblea.meetings import live as meeting_live  # noqa: E402
from asamblea.pledges import live as pledge_live  # noqa: E402
from asamblea.voting import live as poll_live  # noqa: E402

# At most DJANGO_MAX_REQUESTS requests wait in Django per worker; beyond that, 503 with
# Retry-After at once (asamblea.busy) instead of a queue that grows until clients time out.
django_application = Saturation(django_pages, int(os.environ.get("DJANGO_MAX_REQUESTS", "100")))
cast_application = LeanApp(pages=django_application)

# Each app decides who may read its streams; the project only routes the path to it.
STREAMS = (meeting_live, poll_live, consultation_live, pledge_live)


async def resolve_stream(path: str, cookies: dict[str, str]) -> list[str] | None:
    for module in STREAMS:
        if path.startswith(module.STREAM_PREFIX):
            channels: list[str] | None = await module.resolve_stream(path, cookies)
            return channels
    return None


# Everything loaded so far (Django, the apps, the catalogs) lives as long as the process: keep
# it out of the garbage collector's full passes, which otherwise walk it again and again under
# a burst of requests.
gc.freeze()
# Live streams: thousands of long-lived connections need the session checked once, not
# Django's whole request cycle; everything else falls through to Django.
live_application = SSEApp(django_application, resolve_stream, broker, "/live/")


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and (
        scope["path"].startswith(PREFIX)
        or any(kind.pattern.match(scope["path"]) for kind in PAGE_KINDS)
        or VERIFIABLE_CAST.match(scope["path"])
    ):
        await cast_application(scope, receive, send)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)
    else:
        await live_application(scope, receive, send)


async def _lifespan(receive: Any, send: Any) -> None:
    """Start nothing up front (writers start with the first ballot); on shutdown, finish the
    ballots already queued so every one that was accepted is answered."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await cast_application.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
