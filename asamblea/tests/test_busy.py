"""A saturated worker answers 503 with Retry-After at once (issue 13), never a queue without end
or a 500; a page fetched with GET reloads itself; requests get in again once there is room."""

from __future__ import annotations

import asyncio
from typing import Any

from asamblea.busy import Saturation


def test_beyond_the_limit_the_answer_is_503_with_retry_after_until_there_is_room():
    async def scenario() -> tuple[list[int], dict[str, str], bytes, int]:
        release = asyncio.Event()
        statuses: list[int] = []
        inside: list[int] = []

        async def django(scope: dict[str, Any], receive: Any, send: Any) -> None:
            inside.append(1)
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        guarded = Saturation(django, limit=2)
        busy_answer: list[dict[str, Any]] = []

        async def request(method: str = "GET", sink: list[dict[str, Any]] | None = None) -> None:
            sent: list[dict[str, Any]] = []

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            await guarded({"type": "http", "method": method, "path": "/"}, None, send)
            statuses.append(sent[0]["status"])
            if sink is not None:
                sink.extend(sent)

        first = [asyncio.create_task(request()) for _ in range(2)]
        await asyncio.sleep(0)
        await request("GET", busy_answer)  # the third: answered at once
        await request("POST")
        release.set()
        await asyncio.gather(*first)
        await request()  # room again
        headers = {k.decode(): v.decode() for k, v in busy_answer[0]["headers"]}
        return statuses, headers, busy_answer[1]["body"], len(inside)

    statuses, headers, body, served = asyncio.run(scenario())
    assert statuses == [503, 503, 200, 200, 200]
    assert served == 3
    assert headers["retry-after"] == "2"
    assert headers["cache-control"] == "no-store"
    assert b'http-equiv="refresh"' in body


def test_other_scopes_pass_whatever_the_load():
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    guarded = Saturation(app, limit=0)
    asyncio.run(guarded({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]
