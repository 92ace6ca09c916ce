"""What a voter's browser does, under load: open the vote page, cast through the page's own
form, land on the page the form leads to. One command, one set of printed figures.

    python bench/voter_flow.py --db postgres --voters 4000 --concurrency 256
    python bench/voter_flow.py --db postgres --voters 3000 --concurrency 1000
    python bench/voter_flow.py --db sqlite --voters 2000 --concurrency 256

Set-up and server come from :mod:`bench.vote_load` (imported, not copied): a fresh database,
N logged-in members of one assembly, uvicorn with ``--workers`` processes on the production
ASGI application. Four secret polls are opened for the same electorate: on the first, 200
no-JS flows warm the server up (not counted); on each of the others every voter casts once,
so three runs measure the same people:

1. **no-JS flow** (half the voters' browsers): ``GET`` the vote page, read the form's action
   and CSRF token from it, ``POST`` the form there (form-encoded, ``Accept: text/html``, an
   ``Origin``), follow the ``303`` to the vote page and read the receipt shown there;
2. **JS flow**: ``GET`` the vote page, ``POST`` the same form as the page's script does
   (``Accept: application/json``, ``X-CSRFToken``), the receipt shown in place (no third
   request);
3. **lean reference**: the bare ``POST /cast/<poll>/`` with JSON, as ``bench/vote_load.py``.

Every request answered ``503`` is sent again after its ``Retry-After``, as the page does; the
flow's time runs from its first request to its last answer. Afterwards the stored ballots are
checked against the acknowledged ones (receipts, count, participation flags): none lost, none
doubled, none stored without an acknowledgement.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.vote_load import (  # noqa: E402 - the path above makes the package importable
    ROOT,
    Server,
    _client,
    cast_request,
    configure,
    django_setup,
    free_port,
    fresh_database,
    machine,
    percentile,
    prepare,
    settle,
)

FORM = re.compile(rb'<form method="post" action="([^"]+)" data-cast')
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
RECEIPT = re.compile(rb'id="receipt" class="receipt" value="([0-9a-f]{32})"')


class Busy(Exception):
    """A 503: wait for its Retry-After and ask again."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return status, headers, body


class Flow:
    """One voter's browser: its cookies, and a keep-alive connection."""

    def __init__(self, port: int, session: str, csrf: tuple[str, str], page: str, js: bool):
        self.port, self.session, self.csrf, self.page, self.js = port, session, csrf, page, js
        self.cookies = {"sessionid": session, "csrftoken": csrf[0]}
        self.statuses: Counter[int] = Counter()
        self.retries = 0
        self.resent = 0  # requests sent again on a new connection after the old one closed

    def _cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _keep_cookies(self, headers: dict[str, str]) -> None:
        value = headers.get("set-cookie")
        if value:
            name, _sep, rest = value.partition("=")
            self.cookies[name] = rest.split(";")[0]

    async def request(self, conn: list[Any], method: str, path: str, **extra: Any) -> Any:
        """Send until the answer is not a 503 (as the page does after Retry-After). A kept-alive
        connection the server closed meanwhile is opened again and the request sent again, as
        browsers do."""
        while True:
            head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
            head.append(f"Cookie: {self._cookie()}")
            head += [f"{k}: {v}" for k, v in extra.get("headers", {}).items()]
            body = extra.get("body", b"")
            if method == "POST":
                head.append(f"Content-Length: {len(body)}")
            request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
            try:
                status, headers, answer = await _exchange(*conn, request)
            except (ConnectionError, asyncio.IncompleteReadError):
                if self.resent >= 3:
                    raise
                self.resent += 1
                conn[1].close()
                conn[:] = await asyncio.open_connection("127.0.0.1", self.port)
                continue
            self.statuses[status] += 1
            self._keep_cookies(headers)
            if status != 503:
                return status, headers, answer
            self.retries += 1
            await asyncio.sleep(float(headers.get("retry-after", "2")))

    async def run(self, choice: str) -> dict[str, Any]:
        started = time.perf_counter()
        conn = list(await asyncio.open_connection("127.0.0.1", self.port))
        try:
            status, _h, page = await self.request(conn, "GET", self.page, headers=_BROWSER)
            action, token = FORM.search(page), TOKEN.search(page)
            if status != 200 or action is None or token is None:
                return {"ok": False, "why": f"vote page {status}", "took": _since(started)}
            body = f"csrfmiddlewaretoken={token.group(1).decode()}&choice={choice}".encode()
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            path = html.unescape(action.group(1).decode())
            if self.js:
                headers = {**form, "Accept": "application/json", "X-CSRFToken": self.csrf[1]}
                status, _h, answer = await self.request(
                    conn, "POST", path, headers=headers, body=body
                )
                data = json.loads(answer or b"{}")
                receipt = data.get("receipt") if status == 200 else None
                ok = status == 200 or (self.retries and data.get("code") == "already_voted")
                return {"ok": bool(ok), "receipt": receipt, "why": status, "took": _since(started)}
            headers = {**form, **_BROWSER, "Origin": f"http://127.0.0.1:{self.port}"}
            status, answer_headers, _b = await self.request(
                conn, "POST", path, headers=headers, body=body
            )
            if status == 409 and self.resent:  # sent again: "you have already voted"
                return {"ok": True, "receipt": None, "why": "resent", "took": _since(started)}
            if status != 303:
                return {"ok": False, "why": f"cast {status}", "took": _since(started)}
            status, _h, landed = await self.request(
                conn, "GET", answer_headers["location"], headers=_BROWSER
            )
            found = RECEIPT.search(landed)
            receipt = found.group(1).decode() if found else None
            return {
                "ok": status == 200 and bool(found),
                "receipt": receipt,
                "why": status,
                "took": _since(started),
            }
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            return {"ok": False, "why": type(exc).__name__, "took": _since(started)}
        finally:
            conn[1].close()


_BROWSER = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "es"}


def _since(started: float) -> float:
    return time.perf_counter() - started


WARM_UP = 200  # flows


async def run_flows(
    port: int,
    electorate: Any,
    page: str,
    concurrency: int,
    js: bool,
    seed: int,
    limit: int | None = None,
) -> tuple[float, list[dict[str, Any]], Counter[int], int]:
    rng = random.Random(seed)
    order = list(range(len(electorate.sessions)))
    rng.shuffle(order)
    order = order[:limit]
    results: list[dict[str, Any]] = []
    statuses: Counter[int] = Counter()
    retries = 0
    resent = [0]

    async def voter_loop() -> None:
        nonlocal retries
        while order:
            voter = order.pop()
            flow = Flow(port, electorate.sessions[voter], electorate.csrf[voter], page, js)
            outcome = await flow.run(rng.choice(("yes", "no", "abstain")))
            outcome["voter"] = voter
            results.append(outcome)
            statuses.update(flow.statuses)
            retries += flow.retries
            resent[0] += flow.resent

    started = time.perf_counter()
    await asyncio.gather(*(voter_loop() for _ in range(concurrency)))
    if resent[0]:
        print(f"  requests sent again after a closed connection: {resent[0]}")
    return time.perf_counter() - started, results, statuses, retries


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) of the live processes in process group ``pgid`` (the
    server: uvicorn's supervisor and its workers), from ``/proc``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def database_cpu(db: str) -> float:
    """CPU seconds of the PostgreSQL backends serving the benchmark's database (their process
    titles name it); 0 on SQLite, whose work is inside the server's processes."""
    if db != "postgres":
        return 0.0
    from bench.vote_load import PG_BENCH_DB

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
            if not title.startswith(b"postgres:") or f" {PG_BENCH_DB} ".encode() not in title:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def check(poll_id: int, results: list[dict[str, Any]]) -> dict[str, Any]:
    """Stored against acknowledged: every acknowledged ballot stored once, nothing else."""
    django_setup()
    from django.db import connection

    from asamblea.voting.casting import hash_receipt
    from asamblea.voting.models import Ballot, Eligibility

    connection.close()
    stored = set(Ballot.objects.filter(poll_id=poll_id).values_list("receipt_hash", flat=True))
    stored_count = Ballot.objects.filter(poll_id=poll_id).count()
    flags = Eligibility.objects.filter(poll_id=poll_id, voted=True).count()
    acked = [r for r in results if r["ok"]]
    receipts = {hash_receipt(r["receipt"]) for r in acked if r.get("receipt")}
    return {
        "acknowledged": len(acked),
        "stored": stored_count,
        "participation_flags": flags,
        "exact": stored_count == len(acked) == flags and receipts <= stored,
    }


def report(
    name: str,
    elapsed: float,
    results: list[dict[str, Any]],
    statuses: Counter[int],
    retries: int,
    poll_id: int,
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> dict[str, Any]:
    took = [r["took"] for r in results]
    five = sum(count for status, count in statuses.items() if status >= 500)
    out = {
        "flows": len(results),
        "flows_per_s": round(len(results) / elapsed, 1),
        "p50_ms": round(percentile(took, 0.50) * 1000, 1),
        "p99_ms": round(percentile(took, 0.99) * 1000, 1),
        "failed_flows": sum(not r["ok"] for r in results),
        "why_failed": dict(Counter(str(r["why"]) for r in results if not r["ok"])),
        "answers_by_status": dict(sorted(statuses.items())),
        "answers_5xx": five,
        "retried_after_503": retries,
        # CPU per flow (what the machine's load does not change): the server's processes and
        # this client, which shares the cores with it
        "server_cpu_us_per_flow": round(cpu[0] / max(len(results), 1) * 1e6),
        "client_cpu_us_per_flow": round(cpu[1] / max(len(results), 1) * 1e6),
        "database_cpu_us_per_flow": round(cpu[2] / max(len(results), 1) * 1e6),
        "check": check(poll_id, results),
    }
    print(f"{name}:", json.dumps(out, indent=2))
    return out


def open_polls(first_poll_id: int, count: int) -> list[tuple[int, str]]:
    """More secret polls for the same electorate: (poll id, vote page path)."""
    django_setup()
    from django.db import connection
    from django.urls import reverse

    from asamblea.voting.actions import poll_open
    from asamblea.voting.models import Poll

    first = Poll.objects.select_related("body").get(pk=first_poll_id)
    chair = first.body.memberships.get(role="facilitator").person
    polls = [first] + [
        poll_open(chair, first.body, title=f"Flujo {n}", secrecy="secret") for n in range(count - 1)
    ]
    pages = [(p.pk, reverse("voting:detail", args=[first.body.slug, p.pk])) for p in polls]
    connection.close()
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--voters", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=256)
    args = parser.parse_args()

    data_dir = ROOT / "var" / f"bench-flow-{args.db}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = configure(args.db, data_dir)
    fresh_database(args.db, data_dir)
    electorate = prepare(args.voters)
    polls = open_polls(electorate.poll_id, 4)
    (nojs_id, nojs_page), (js_id, js_page), (lean_id, _p), (_warm_id, warm_page) = polls
    settle()
    print(f"{args.voters} logged-in voters, {args.concurrency} at a time, {args.workers} workers")
    print("machine:", json.dumps(machine(args.db), indent=2))
    port = free_port()
    server = Server(port, args.workers, env)
    server.start()
    assert server.process is not None
    pgid = server.process.pid  # started in a session of its own: its workers share the group
    try:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        # Warm-up, not counted: the workers' first requests (imports done lazily, connections
        # opened, the writers started, each page variant rendered once) on a poll of its own,
        # so the first measured run does not pay what a server running for a while has paid.
        warm = min(WARM_UP, len(electorate.sessions))
        asyncio.run(run_flows(port, electorate, warm_page, 32, False, seed=0, limit=warm))
        print(f"warm-up: {warm} no-JS flows on a poll of their own (not counted)")
        figures = {}
        for name, poll_id, page, js in (
            ("no-JS flow (GET page, POST form, 303, GET page)", nojs_id, nojs_page, False),
            ("JS flow (GET page, POST form as the script does)", js_id, js_page, True),
        ):
            server_cpu, client_cpu = group_cpu(pgid), time.process_time()
            db_cpu = database_cpu(args.db)
            elapsed, results, statuses, retries = asyncio.run(
                run_flows(port, electorate, page, args.concurrency, js, seed=poll_id)
            )
            cpu = (
                group_cpu(pgid) - server_cpu,
                time.process_time() - client_cpu,
                database_cpu(args.db) - db_cpu,
            )
            figures[name] = report(name, elapsed, results, statuses, retries, poll_id, cpu)
        lean = [
            cast_request(port, f"/cast/{lean_id}/", s, c, "yes")
            for s, c in zip(electorate.sessions, electorate.csrf, strict=True)
        ]
        server_cpu, client_cpu = group_cpu(pgid), time.process_time()
        db_cpu = database_cpu(args.db)
        started = time.perf_counter()
        answers = asyncio.run(_client(lean, port, args.concurrency, True, time.monotonic() + 600))
        lean_rate = len(lean) / (time.perf_counter() - started)
        lean_cpu = (
            group_cpu(pgid) - server_cpu,
            time.process_time() - client_cpu,
            database_cpu(args.db) - db_cpu,
        )
        lean_ok = sum(a.get("status") == 200 for a in answers)
        lean_p99 = percentile([a["latency"] for a in answers if "latency" in a], 0.99)
        print(
            f"lean /cast/ reference: {lean_rate:.1f} casts/s ({lean_ok} acknowledged, "
            f"p99 {lean_p99 * 1000:.1f} ms; CPU per cast: server "
            f"{lean_cpu[0] / len(lean) * 1e6:.0f} us, "
            f"client {lean_cpu[1] / len(lean) * 1e6:.0f} us, "
            f"database {lean_cpu[2] / len(lean) * 1e6:.0f} us)"
        )
        for name, out in figures.items():
            print(
                f"{name}: {out['flows_per_s']} flows/s = "
                f"{out['flows_per_s'] / lean_rate:.2f} x lean; p99 {out['p99_ms']} ms; "
                f"5xx {out['answers_5xx']}; exact {out['check']['exact']}"
            )
        print("load average after:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
