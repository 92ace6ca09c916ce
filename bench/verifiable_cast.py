"""The cast path of a verifiable poll at load (issue 15): how many encrypted ballots per second the
server accepts, each verified (every proof, group membership, signature) before it is
acknowledged, then appended to the board under the vote's lock.

    python bench/verifiable_cast.py [--ballots 2000] [--processes 2] [--batch 100] [--profile 200]

On SQLite (default, a temporary database) or PostgreSQL (``DATABASE_URL``). Ballots are
encrypted beforehand (that is the browsers' work); the figures are the server's: the core's
verification alone, then the whole cast action (``asamblea.verifiable.actions.ballot_cast``: check,
lock, append, commit) one by one, then the group commit (``ballots_cast``: ``--batch`` ballots
verified, then appended in one transaction) from one process and from ``--processes`` processes
at once. ``--profile N`` first prints the queries of a cast and a CPU profile of N casts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _encrypt(job: tuple[bytes, bytes, tuple[Any, ...], str, str, int]) -> dict[str, Any]:
    from asamblea.verifiable.core import ballot as B
    from asamblea.verifiable.core import credentials

    fingerprint, public_key, shape, election_id, code, choice = job
    election = B.Election(fingerprint, public_key, tuple(B.Question(*q) for q in shape))
    picked = [[int(e == choice) for e in range(3)]]
    payload, _opening = B.encrypt(election, credentials.secret(election_id, code), picked)
    return payload


def _cast_share(
    job: tuple[int, list[tuple[int, dict[str, Any]]]],
) -> tuple[int, float, float]:
    """In a worker process: cast these ballots one by one through the action."""
    _django()
    from django.db import connection

    from asamblea.accounts.models import Person
    from asamblea.verifiable import actions
    from asamblea.verifiable.models import VerifiableVote

    vote_pk, work, batch = job
    vote = VerifiableVote.objects.select_related("poll__body").get(pk=vote_pk)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[pid for pid, _ in work])}
    c0, t0 = time.process_time(), time.perf_counter()
    if batch <= 1:
        for pid, ballot in work:
            actions.ballot_cast(people[pid], vote, ballot=ballot)
    else:
        for k in range(0, len(work), batch):
            group = [(people[pid], ballot) for pid, ballot in work[k : k + batch]]
            answers = actions.ballots_cast(vote, group)
            assert not any(isinstance(a, Exception) for a in answers), answers
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    connection.close()
    return len(work), elapsed, cpu


def _profile(vote_pk: int, work: list[tuple[int, dict[str, Any]]]) -> None:
    """cProfile (CPU) and the queries of one-by-one casts, in this process."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from asamblea.accounts.models import Person
    from asamblea.verifiable import actions
    from asamblea.verifiable.models import VerifiableVote

    vote = VerifiableVote.objects.select_related("poll__body").get(pk=vote_pk)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[pid for pid, _ in work])}
    profiler = cProfile.Profile(time.process_time)
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        for pid, ballot in work:
            actions.ballot_cast(people[pid], vote, ballot=ballot)
        profiler.disable()
    print(f"queries per cast: {len(queries.captured_queries) / len(work):.1f}")
    for q in queries.captured_queries[: len(queries.captured_queries) // len(work)]:
        print("   ", q["sql"][:150])
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def _setup_vote(
    n: int, processes: int, extra: int = 0
) -> tuple[Any, list[Any], list[str], Any, list[Any]]:
    """A verifiable poll open for voting: one trustee, ``n`` members each with a registered
    credential, and one ballot per member encrypted beforehand in ``processes`` worker
    processes (the browsers' work); ``extra`` more ballots of the first members (warm-up)."""
    from asamblea.accounts.models import Person
    from asamblea.bodies.actions import body_create
    from asamblea.bodies.models import Membership
    from asamblea.verifiable import actions, queries
    from asamblea.verifiable.core import channel, credentials, trustees
    from asamblea.verifiable.core.encoding import hx
    from asamblea.verifiable.models import Credential
    from asamblea.voting.actions import poll_open
    from asamblea.voting.models import Eligibility

    suffix = os.getpid()
    facilitator = Person.objects.create_user(f"vbench-{suffix}", "x" * 12, display_name="F")
    body = body_create(facilitator, name=f"VBench {suffix}", kind="district", visibility="members")
    voters = Person.objects.bulk_create(
        [
            Person(username=f"vb{suffix}-{i}", display_name=f"V{i}", password="!bench-no-login")
            for i in range(n)
        ],
        batch_size=5000,
    )
    voters = list(Person.objects.filter(username__startswith=f"vb{suffix}-").order_by("pk"))
    Membership.objects.bulk_create([Membership(person=p, body=body) for p in voters], 5000)
    poll = poll_open(facilitator, body, title="Bench", secrecy="verifiable")
    vote = actions.vote_setup(facilitator, poll, trustees=[facilitator], threshold=1)
    fingerprint = queries.fingerprint(vote)
    c, poly = trustees.derive(vote.election_id, credentials.new_code(), 1)
    key = channel.channel_key_payload(fingerprint, 1, c)
    actions.trustee_channel(facilitator, vote, channel_key=key["channel_key"], proof=key["proof"])
    actions.trustee_commit(
        facilitator, vote, commitment=trustees.commitment_payload(fingerprint, 1, poly), shares={}
    )
    actions.trustee_key(
        facilitator, vote, key=trustees.key_payload(fingerprint, 1, trustees.evaluate(poly, 1))
    )
    codes = [credentials.new_code() for _ in voters]
    Credential.objects.bulk_create(
        [
            Credential(
                vote=vote,
                person=p,
                credential=hx(credentials.public(credentials.secret(vote.election_id, code))),
            )
            for p, code in zip(voters, codes, strict=True)
        ],
        batch_size=5000,
    )
    Eligibility.objects.filter(poll=poll).update(voted=True)
    vote = actions.voting_open(facilitator, vote)
    election = queries.election(vote)
    assert election is not None
    shape = tuple((q.answers, q.min, q.max) for q in election.questions)
    jobs = [
        (fingerprint, election.public_key, shape, vote.election_id, code, i % 3)
        for i, code in enumerate(codes + codes[:extra])
    ]
    t0 = time.perf_counter()
    with multiprocessing.Pool(processes) as pool:
        ballots = pool.map(_encrypt, jobs, chunksize=64)
    print(f"encrypted beforehand (the browsers' work) in {time.perf_counter() - t0:.1f} s")
    return vote, voters, codes, election, ballots


WARM_UP = 200


def http_main(args: argparse.Namespace) -> None:
    """The endpoint the vote page's script posts to, end to end: uvicorn with ``--workers``
    processes on the production ASGI application (:mod:`asamblea.asgi`, so the lean app's
    verifiable cast path), ``--ballots`` logged-in voters each sending their ballot (encrypted
    beforehand) as the page does (JSON, session and CSRF cookies, ``X-CSRFToken``), ``--clients``
    requests at a time over keep-alive connections, a 503 sent again after a pause. Afterwards
    every acknowledged tracker is checked on the board, and the board's chain."""
    os.environ.setdefault("BENCH_PG_DB", "asamblea_bench_vcast")
    sys.path.insert(0, str(ROOT))
    from bench.vote_load import (
        Server,
        _client,
        configure,
        free_port,
        fresh_database,
        machine,
        percentile,
        settle,
    )
    from bench.voter_flow import group_cpu

    data_dir = ROOT / "var" / f"bench-vcast-{args.http}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = configure(args.http, data_dir)
    fresh_database(args.http, data_dir)
    _django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.db import connection
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.urls import reverse
    from django.utils import timezone

    from asamblea.verifiable import queries
    from asamblea.verifiable.models import Record

    call_command("migrate", verbosity=0)
    n = args.ballots
    vote, voters, _codes, _election, ballots = _setup_vote(n, args.processes, extra=WARM_UP)
    store, backend = SessionStore(), settings.AUTHENTICATION_BACKENDS[0]
    expire = timezone.now() + timedelta(days=1)
    sessions, rows = [], []
    for person in voters:
        key = store._get_new_session_key()
        data = {
            SESSION_KEY: str(person.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: person.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        sessions.append(key)
    Session.objects.bulk_create(rows, batch_size=5000)
    path = reverse("verifiable:cast", args=[vote.poll.body.slug, vote.poll_id])
    port = free_port()

    def request(voter: int, ballot: dict[str, Any]) -> bytes:
        secret = _get_new_csrf_string()
        body = json.dumps({"ballot": ballot}).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Cookie: sessionid={sessions[voter]}; csrftoken={secret}\r\n"
            f"X-CSRFToken: {_mask_cipher_secret(secret)}\r\n\r\n"
        )
        return head.encode() + body

    warm = [request(i, b) for i, b in enumerate(ballots[n:])]
    measured = [request(i, b) for i, b in enumerate(ballots[:n])]
    print(f"request size {len(measured[0])} bytes; machine: {json.dumps(machine(args.http))}")
    connection.close()
    settle()
    server = Server(port, args.workers, env)
    server.start()
    assert server.process is not None
    pgid = server.process.pid
    try:
        asyncio.run(_client(warm, port, min(args.clients, 32), True, time.monotonic() + 600))
        print(f"warm-up: {len(warm)} ballots (not counted)", flush=True)
        load0, busy0, server0 = os.getloadavg()[0], _busy(), group_cpu(pgid)
        client0, started = time.process_time(), time.perf_counter()
        results = asyncio.run(_client(measured, port, args.clients, True, time.monotonic() + 1200))
        elapsed = time.perf_counter() - started
        server_cpu, client_cpu = group_cpu(pgid) - server0, time.process_time() - client0
        busy = _busy() - busy0
    finally:
        server.stop()
    statuses = Counter(r.get("status") for r in results)
    retried = sum(r.get("retried_503", 0) for r in results)
    latencies = [r["total"] for r in results if "total" in r]
    ok = statuses.get(200, 0)
    print(
        f"HTTP cast path, {args.http}, {args.workers} workers, {args.clients} clients: "
        f"{n} ballots in {elapsed:.1f} s = {n / elapsed:.0f} ballots/s acknowledged "
        f"({ok} x 200; statuses {dict(statuses)}; {retried} answers 503 sent again); "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p99 "
        f"{percentile(latencies, 0.99) * 1000:.0f} ms"
    )
    print(
        f"CPU per ballot: server (uvicorn and its workers) {server_cpu / n * 1000:.2f} ms, "
        f"client {client_cpu / n * 1000:.2f} ms, whole machine {busy / n * 1000:.2f} ms "
        f"(cores busy {busy / elapsed:.2f} of {os.cpu_count()}); load average "
        f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    vote.refresh_from_db()
    stored = set(Record.objects.filter(vote=vote, kind="ballot").values_list("tracker", flat=True))
    assert len(stored) == n + len(warm), (len(stored), n + len(warm))
    board = queries.board(vote)
    assert board["records"][-1]["hash"] == vote.head
    print(f"board: {len(stored)} ballots, every request acknowledged once, chain head {vote.head}")


def _busy() -> float:
    """Seconds of CPU the whole machine spent (every core, user + system), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(x) for x in fields]
    idle = ticks[3] + ticks[4]
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def stages_main(args: argparse.Namespace) -> None:
    """Where the CPU of an HTTP cast goes: ``--stages`` requests through the lean app
    (:class:`asamblea.lean.app.LeanApp`) in this process, ``--clients`` at a time, on SQLite,
    with the CPU of each stage's threads measured apart (admission on the reader thread,
    verification on the pool, the group commit on the writer thread) and the event loop's
    share (reading requests, CSRF, JSON, answers) profiled."""
    import cProfile
    import pstats
    import threading

    os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="asamblea-bench-")
    _django()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.urls import reverse

    from asamblea.lean import verifiable_cast
    from asamblea.lean.app import LeanApp
    from asamblea.verifiable import actions

    call_command("migrate", verbosity=0)
    n = args.stages
    vote, voters, _codes, _election, ballots = _setup_vote(n, args.processes)
    sessions = []
    for person in voters:
        store = SessionStore()
        store[SESSION_KEY] = str(person.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = person.get_session_auth_hash()
        store.save()
        sessions.append(store.session_key)
    path = reverse("verifiable:cast", args=[vote.poll.body.slug, vote.poll_id])
    spent: dict[str, float] = Counter()
    lock = threading.Lock()

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                with lock:
                    spent[name] += time.thread_time() - t0

        return wrapper

    verifiable_cast.admit = timed("admission (reader thread)", verifiable_cast.admit)
    verifiable_cast.store = timed("group commit (writer thread)", verifiable_cast.store)
    actions.ballot_verified = timed("verification (pool)", actions.ballot_verified)
    requests = []
    for key, ballot in zip(sessions, ballots, strict=True):
        secret = _get_new_csrf_string()
        scope = {
            "type": "http",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"content-type", b"application/json"),
                (b"cookie", f"sessionid={key}; csrftoken={secret}".encode()),
                (b"x-csrftoken", _mask_cipher_secret(secret).encode()),
            ],
        }
        requests.append((scope, json.dumps({"ballot": ballot}).encode()))
    app = LeanApp()
    statuses: Counter[int] = Counter()

    async def one(scope: dict[str, Any], body: bytes) -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] += 1

        await app(scope, receive, send)

    async def run() -> None:
        queue = list(requests)

        async def client() -> None:
            while queue:
                await one(*queue.pop())

        await asyncio.gather(*(client() for _ in range(args.clients)))

    profiler = cProfile.Profile(time.thread_time)
    c0, t0 = time.process_time(), time.perf_counter()
    loop0 = time.thread_time()
    profiler.enable()
    asyncio.run(run())
    profiler.disable()
    loop_cpu = time.thread_time() - loop0
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    app.shutdown()
    print(f"{n} casts in-process, {args.clients} at a time: statuses {dict(statuses)}")
    print(
        f"wall {elapsed:.1f} s; process CPU {cpu / n * 1000:.2f} ms per cast; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"  event loop (HTTP, CSRF, JSON, answers): {loop_cpu / n * 1000:.2f} ms per cast")
    for name, seconds in spent.items():
        print(f"  {name}: {seconds / n * 1000:.2f} ms per cast")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100, help="ballots per group commit")
    parser.add_argument("--profile", type=int, default=0, help="profile this many casts first")
    parser.add_argument(
        "--http",
        choices=["sqlite", "postgres"],
        help="instead: the HTTP path end to end, uvicorn with --workers, --clients at once",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument(
        "--stages",
        type=int,
        default=0,
        help="instead: this many casts through the lean app in-process, CPU per stage",
    )
    args = parser.parse_args()
    if args.stages:
        stages_main(args)
        return
    if args.http:
        http_main(args)
        return
    if not os.environ.get("DATABASE_URL"):
        os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="asamblea-bench-")
    _django()
    from django.core.management import call_command
    from django.db import connection

    from asamblea.verifiable import queries
    from asamblea.verifiable.core import ballot as B
    from asamblea.verifiable.models import Record

    call_command("migrate", verbosity=0)
    n = args.ballots
    print(
        f"{connection.vendor}; {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f}; {n:,} ballots",
        flush=True,
    )
    vote, voters, _codes, election, ballots = _setup_vote(n, args.processes)

    sample = ballots[: min(500, n)]
    c0, t0 = time.process_time(), time.perf_counter()
    assert all(B.verify(election, b) for b in sample)
    cpu = time.process_time() - c0
    print(
        f"core.ballot.verify alone, 1 process: {cpu / len(sample) * 1000:.2f} ms CPU per ballot "
        f"({len(sample) / (time.perf_counter() - t0):.0f} ballots/s)",
        flush=True,
    )

    pairs = list(zip([p.pk for p in voters], ballots, strict=True))
    if args.profile:
        _profile(vote.pk, pairs[: args.profile])
        pairs = pairs[args.profile :]
    third = len(pairs) // 3
    single, grouped, rest = pairs[:third], pairs[third : 2 * third], pairs[2 * third :]
    count, elapsed, cpu = _cast_share((vote.pk, single, 1))
    print(
        f"cast action one by one (verify, lock, append, commit), 1 process: {count} ballots in "
        f"{elapsed:.1f} s = {count / elapsed:.0f} ballots/s; {cpu / count * 1000:.2f} ms CPU "
        f"per ballot in the Django process (so at most {count / cpu:.0f} ballots/s per free "
        "core, the database's own work aside)",
        flush=True,
    )
    count, elapsed, cpu = _cast_share((vote.pk, grouped, args.batch))
    print(
        f"group commit (actions.ballots_cast: {args.batch} verified one by one, appended in one "
        f"transaction), 1 process: {count} ballots in {elapsed:.1f} s = "
        f"{count / elapsed:.0f} ballots/s; {cpu / count * 1000:.2f} ms CPU per ballot "
        f"(at most {count / cpu:.0f} ballots/s per free core)",
        flush=True,
    )
    shares = [(vote.pk, rest[k :: args.processes], args.batch) for k in range(args.processes)]
    connection.close()
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.map(_cast_share, shares)
    wall = time.perf_counter() - t0
    done = sum(r[0] for r in results)
    slowest = max(r[1] for r in results)
    cpu = sum(r[2] for r in results)
    print(
        f"group commit, {args.processes} processes at once: {done} ballots in {slowest:.1f} s "
        f"(casting; {wall:.1f} s with the processes' start) = {done / slowest:.0f} ballots/s; "
        f"{cpu / done * 1000:.2f} ms CPU per ballot; load average now {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    assert Record.objects.filter(vote=vote, kind="ballot").count() == n
    vote.refresh_from_db()
    board = queries.board(vote)
    assert board["records"][-1]["hash"] == vote.head


if __name__ == "__main__":
    main()
