"""Live fan-out benchmark (issue 4): N Server-Sent Events clients on one meeting, the delay
from a change to its arrival at every client, and the server's memory.

    python bench/live_fanout.py                      # 10,000 clients, 5 changes
    python bench/live_fanout.py --clients 1000       # a quicker try

It starts its own server on the loopback interface (uvicorn, one worker, the project's ASGI
app, SQLite in a temporary data directory, in-process fan-out; ``--redis URL`` uses Redis
pub/sub instead), seeds a public assembly with an open meeting, opens the clients in batches,
then has the facilitator check a member in and out through the real form POSTs. A change's
delay is measured from the moment its POST is sent (so it includes the request, the database
commit and the publish) to the moment each client has read the event, and also from the
publish (after the commit; the event carries its time) to each client. Events carry whole
seconds only (no finer timing goes out to readers), so that second figure is good to a second:
use the one from the POST. Everything is bounded:
at most 20,000 clients, a timeout on every wait, and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_CLIENTS = 20_000
KIND = re.compile(rb'"kind":"([a-z_.]+)"')
AT = re.compile(rb'"at":([0-9.]+)')
CSRF = "benchcsrftoken0123456789abcdefgh"  # 32 alphanumerics: cookie and form field agree

SEED = r"""
import json, django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from asamblea.bodies.actions import body_create
from asamblea.meetings import actions
from asamblea.testing import join, make_person

alice, bob = make_person("alice"), make_person("bob")
body = body_create(alice, name="Bench", kind="district", visibility="public")
join(bob, body)
meeting = actions.meeting_schedule(
    alice, body, title="Bench meeting", starts_at=timezone.now(), place="Local"
)
item = actions.item_add(alice, meeting, title="Item")
actions.meeting_open(alice, meeting)
actions.check_in(alice, meeting)
actions.item_start(alice, item)
store = SessionStore()
store[SESSION_KEY] = str(alice.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = alice.get_session_auth_hash()
store.create()
print(json.dumps({
    "slug": body.slug, "meeting": meeting.pk, "bob": bob.pk,
    "session": store.session_key, "cookie": settings.SESSION_COOKIE_NAME,
}))
"""


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client(asyncio.Protocol):
    """One SSE connection that notes when each event kind arrives. A protocol rather than a
    stream reader: its callback runs as the bytes arrive, with no task to wake, so the client
    side costs as little as possible on the machine it shares with the server."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.arrivals: dict[str, float] = {}
        self.published: dict[str, float] = {}
        self.ready = asyncio.Event()
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        while b"\n\n" in self.buffer:
            block, self.buffer = self.buffer.split(b"\n\n", 1)
            if b"event: hello" in block:
                self.ready.set()
            found = KIND.search(block)
            if found is not None and b'"channel":"meeting:' in block:
                kind = found.group(1).decode()
                published = float(AT.search(block).group(1))  # type: ignore[union-attr]
                self.arrivals.setdefault(kind + ":" + str(len(self.arrivals)), now)
                self.published[kind + ":" + str(len(self.arrivals) - 1)] = published

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def post(port: int, path: str, session_cookie: str, body: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = body.encode()
    writer.write(
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Cookie: {session_cookie}; csrftoken={CSRF}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + payload
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(args: argparse.Namespace, port: int, world: dict[str, object], pid: int) -> None:
    path = f"/live/meetings/{world['meeting']}/events/"
    base = f"/b/{world['slug']}/meetings/{world['meeting']}/"
    cookie = f"{world['cookie']}={world['session']}"
    # Warm the server up (first requests import and compile), as a running server would be.
    for action in ("checkin", "checkout"):
        await post(
            port, base + action + "/", cookie, f"csrfmiddlewaretoken={CSRF}&person={world['bob']}"
        )
    rss_before = rss_kib(pid)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    clients = [Client(request) for _ in range(args.clients)]
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    for first in range(0, args.clients, args.batch):
        batch = clients[first : first + args.batch]
        await asyncio.gather(
            *(loop.create_connection(lambda c=c: c, "127.0.0.1", port) for c in batch)
        )
        await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in batch)), 60)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(1)
    rss_after = rss_kib(pid)
    print(f"clients connected: {args.clients} in {connect_seconds:.1f} s")
    print(
        f"server memory: {rss_before / 1024:.0f} MiB before, {rss_after / 1024:.0f} MiB with "
        f"the clients ({(rss_after - rss_before) / args.clients:.1f} KiB per connection)"
    )
    delays_all: list[float] = []
    fanout_all: list[float] = []
    for change in range(args.changes):
        action = "checkin" if change % 2 == 0 else "checkout"
        kind = "attendance.in" if action == "checkin" else "attendance.out"
        before = [len(c.arrivals) for c in clients]
        sent = time.time()
        status = await post(
            port, base + action + "/", cookie, f"csrfmiddlewaretoken={CSRF}&person={world['bob']}"
        )
        if status != 302:
            raise SystemExit(f"the change was refused: HTTP {status}")
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            if all(len(c.arrivals) > n for c, n in zip(clients, before, strict=True)):
                break
            await asyncio.sleep(0.02)
        delays, fanout, published = [], [], 0.0
        for client, n in zip(clients, before, strict=True):
            fresh = [
                (t, client.published[key])
                for key, t in client.arrivals.items()
                if key.startswith(kind + ":") and t >= sent
            ]
            if len(client.arrivals) > n and fresh:
                arrived, published = min(fresh)
                delays.append(arrived - sent)
                fanout.append(arrived - published)
        missing = args.clients - len(delays)
        delays_all += delays
        fanout_all += fanout
        print(
            f"change {change + 1} ({kind}): {len(delays)} clients; from the POST: "
            f"p50 {percentile(delays, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, "
            f"max {max(delays) * 1000:.0f} ms (published after "
            f"{(published - sent) * 1000:.0f} ms); from the publish: "
            f"p99 {percentile(fanout, 0.99) * 1000:.0f} ms"
            + (f"; {missing} MISSED" if missing else "")
        )
        await asyncio.sleep(args.pause)
    print(
        f"all changes, from the POST: p50 {statistics.median(delays_all) * 1000:.0f} ms, "
        f"p99 {percentile(delays_all, 0.99) * 1000:.0f} ms, "
        f"max {max(delays_all) * 1000:.0f} ms over {len(delays_all)} deliveries"
    )
    print(
        f"all changes, from the publish (after commit) to the client: "
        f"p50 {statistics.median(fanout_all) * 1000:.0f} ms, "
        f"p99 {percentile(fanout_all, 0.99) * 1000:.0f} ms, "
        f"max {max(fanout_all) * 1000:.0f} ms"
    )
    for client in clients:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--batch", type=int, default=500, help="clients connected at a time")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per change")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between changes")
    parser.add_argument("--redis", default="", help="REDIS_URL for the server (loopback only)")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS:
        raise SystemExit(f"--clients must be between 1 and {MAX_CLIENTS}")
    if args.redis and not args.redis.startswith(("redis://127.0.0.1", "redis://localhost")):
        raise SystemExit("--redis must point at the loopback interface")
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, args.clients + 1000)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    print(f"machine: {machine()}")
    print(f"database: SQLite; fan-out: {'Redis pub/sub' if args.redis else 'in-process'}")
    with tempfile.TemporaryDirectory(prefix="asamblea-fanout-") as data:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env |= {
            "ASAMBLEA_DATA_DIR": data,
            "DJANGO_SETTINGS_MODULE": "asamblea.settings",
            "RATE_LIMITS_ENABLED": "false",
        }
        if args.redis:
            env["REDIS_URL"] = args.redis
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run(
            [python, "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        world = json.loads(seeded.stdout.strip().splitlines()[-1])
        port = free_port()
        server = subprocess.Popen(
            [
                python,
                "-c",
                "import resource, sys, uvicorn;"
                "h = resource.getrlimit(resource.RLIMIT_NOFILE)[1];"
                f"resource.setrlimit(resource.RLIMIT_NOFILE, ({wanted}, h));"
                f"uvicorn.run('asamblea.asgi:application', host='127.0.0.1', port={port},"
                " log_level='warning', backlog=4096, timeout_graceful_shutdown=2)",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.1)
            try:
                import uvloop

                uvloop.run(measure(args, port, world, server.pid))
            except ImportError:
                asyncio.run(measure(args, port, world, server.pid))
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
