"""CPU per request of the voter's path, in-process: the production ASGI application
(:mod:`asamblea.asgi`) called as uvicorn calls it, batches of concurrent voters, and the CPU
this process spent per request (``time.process_time``; the database server's own CPU not
counted). Unlike wall-clock figures this does not depend on what else the machine runs.

    python bench/voter_cpu.py --db sqlite --voters 1000 --batch 64
    python bench/voter_cpu.py --db postgres --voters 1000 --batch 64 --profile

Phases, each over every voter in batches of ``--batch`` at once:

1. ``GET`` the vote page (filled in by the lean app);
2. no-JS cast: ``POST`` the page's form, form-encoded, ``Accept: text/html`` (answer ``303``);
3. the page landed on: ``GET`` with the receipt's flash cookie (the receipt shown once);
4. JS cast on a second poll: the same form with ``X-CSRFToken`` and ``Accept: application/json``;
5. the bare lean cast on a third poll (JSON), the reference.

Each answer is checked (status, receipt shown); the stored ballots are counted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import html
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.vote_load import (  # noqa: E402 - the path above makes the package importable
    ROOT,
    configure,
    fresh_database,
    prepare,
    settle,
)
from bench.voter_flow import FORM, RECEIPT, TOKEN, open_polls  # noqa: E402

HOST = "127.0.0.1"


async def call(
    app: Any, method: str, path: str, cookies: dict[str, str], headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    raw = [(b"host", HOST.encode())]
    raw.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if body:
        raw.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": (HOST, 80),
        "client": (HOST, 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw,
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.Event().wait()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    out: dict[str, str] = {}
    for name, value in start["headers"]:
        key = name.decode().lower()
        if key == "set-cookie" and key in out:
            out[key] += "\n" + value.decode()
        else:
            out[key] = value.decode()
    content = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], out, content


def cookie_value(headers: dict[str, str], name: str) -> str | None:
    for line in headers.get("set-cookie", "").split("\n"):
        if line.startswith(name + "="):
            return line.split(";")[0].split("=", 1)[1]
    return None


BROWSER = {"accept": "text/html,application/xhtml+xml", "accept-language": "es"}


async def phase(name: str, work: list[Any], batch: int, profile: bool) -> dict[str, Any]:
    """Run the coroutines factories in ``work`` ``batch`` at a time; CPU per request."""
    profiler = cProfile.Profile() if profile else None
    results: list[Any] = []
    cpu = time.process_time()
    wall = time.perf_counter()
    if profiler:
        profiler.enable()
    for start in range(0, len(work), batch):
        results += await asyncio.gather(*(make() for make in work[start : start + batch]))
    if profiler:
        profiler.disable()
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    figures = {
        "requests": len(work),
        "cpu_us_per_request": round(cpu / len(work) * 1e6),
        "wall_s": round(wall, 2),
        "failed": sum(not ok for ok in results),
    }
    print(f"{name}: {json.dumps(figures)}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(
            os.environ.get("PROFILE_SORT", "tottime")
        ).print_stats(int(os.environ.get("PROFILE_LINES", "25")))
        print(out.getvalue())
    return figures


async def run(args: argparse.Namespace, electorate: Any, pages: list[tuple[int, str]]) -> None:
    from asamblea.asgi import application, cast_application

    (nojs_id, nojs_page), (js_id, js_page), (lean_id, _lean_page) = pages
    voters = range(len(electorate.sessions))
    jar = [
        {"sessionid": s, "csrftoken": c[0]}
        for s, c in zip(electorate.sessions, electorate.csrf, strict=True)
    ]
    forms: dict[int, tuple[str, str]] = {}
    landed: dict[int, str] = {}

    # Warm-up: one page of each kind rendered and cached, the writers started.
    for page in (nojs_page, js_page):
        await call(application, "GET", page, dict(jar[0]), BROWSER, b"")

    def get_page(voter: int) -> Any:
        async def go() -> bool:
            status, headers, body = await call(
                application, "GET", nojs_page, jar[voter], BROWSER, b""
            )
            action, token = FORM.search(body), TOKEN.search(body)
            if status != 200 or action is None or token is None:
                return False
            forms[voter] = (html.unescape(action.group(1).decode()), token.group(1).decode())
            return True

        return go

    def post_form(voter: int) -> Any:
        async def go() -> bool:
            path, token = forms[voter]
            body = f"csrfmiddlewaretoken={token}&choice=yes".encode()
            headers = {
                **BROWSER,
                "content-type": "application/x-www-form-urlencoded",
                "origin": f"http://{HOST}",
            }
            status, answer, _b = await call(application, "POST", path, jar[voter], headers, body)
            flash = cookie_value(answer, "asamblea_cast")
            if status != 303 or flash is None:
                return False
            landed[voter] = answer["location"]
            jar[voter]["asamblea_cast"] = flash
            return True

        return go

    def get_landed(voter: int) -> Any:
        async def go() -> bool:
            status, _h, body = await call(
                application, "GET", landed[voter], jar[voter], BROWSER, b""
            )
            del jar[voter]["asamblea_cast"]
            return status == 200 and RECEIPT.search(body) is not None

        return go

    def post_js(voter: int) -> Any:
        async def go() -> bool:
            path, token = forms[voter]
            path = path.replace(f"/{nojs_id}/", f"/{js_id}/")
            body = f"csrfmiddlewaretoken={token}&choice=no".encode()
            headers = {
                "content-type": "application/x-www-form-urlencoded",
                "accept": "application/json",
                "x-csrftoken": electorate.csrf[voter][1],
            }
            status, _h, answer = await call(application, "POST", path, jar[voter], headers, body)
            return status == 200 and json.loads(answer).get("ok") is True

        return go

    def post_lean(voter: int) -> Any:
        async def go() -> bool:
            headers = {"content-type": "application/json", "x-csrftoken": electorate.csrf[voter][1]}
            status, _h, answer = await call(
                application, "POST", f"/cast/{lean_id}/", jar[voter], headers, b'{"choice": "yes"}'
            )
            return status == 200 and json.loads(answer).get("ok") is True

        return go

    print(f"{len(voters)} voters, batches of {args.batch}, database {args.db}")
    for name, make in (
        ("GET vote page", get_page),
        ("POST form, no JS (303)", post_form),
        ("GET page landed on (receipt shown once)", get_landed),
        ("POST form, JS (JSON answer)", post_js),
        ("POST /cast/ JSON (lean reference)", post_lean),
    ):
        await phase(name, [make(v) for v in voters], args.batch, args.profile)
    await cast_application.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="cProfile each phase")
    args = parser.parse_args()
    data_dir = ROOT / "var" / f"bench-cpu-{args.db}"
    data_dir.mkdir(parents=True, exist_ok=True)
    configure(args.db, data_dir)
    os.environ.setdefault("ALLOWED_HOSTS", HOST)
    fresh_database(args.db, data_dir)
    electorate = prepare(args.voters)
    pages = open_polls(electorate.poll_id, 3)
    settle()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(args, electorate, pages))
    from django.db import connection

    from asamblea.voting.models import Ballot

    stored = {pid: Ballot.objects.filter(poll_id=pid).count() for pid, _p in pages}
    connection.close()
    print("stored ballots per poll:", stored)
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
