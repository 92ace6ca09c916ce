"""Mass voting load test: a burst of ballots against the server as it runs in production.

    python bench/vote_load.py --db postgres --voters 100000
    python bench/vote_load.py --db sqlite --voters 20000

What it does:

1. Prepares a fresh database (PostgreSQL database ``asamblea_bench`` on the local server, or a
   SQLite file under ``var/bench-sqlite``): one assembly with N members who are already logged
   in (a Django session each, as after the login form), and one secret vote open to all of them.
2. Starts uvicorn with several worker processes on the ASGI application (Asamblea's own, plus an
   insert-only endpoint used as the ceiling: see ``bench/ceiling_app.py``).
3. From a separate process (asyncio, raw HTTP/1.1 keep-alive connections, no client library),
   sends every voter's ballot to ``POST /cast/<poll>/`` concurrently, plus a share of duplicate
   ballots (the same voter, another choice) and replayed requests (the same bytes again), all
   shuffled together.
4. Prints accepted ballots per second, latency percentiles, answers by kind, and checks that
   the stored ballots are exactly the acknowledged ones (same count, same receipts, one per
   voter): none lost, none doubled. Then runs the same number of requests against the
   insert-only endpoint and prints the ratio. And prints the machine.

Everything runs on loopback and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = os.environ.get("BENCH_PG_DB", "asamblea_bench")
# Where the server reaches PostgreSQL: TCP on loopback by default; BENCH_PG_HOST can name the
# Unix socket directory instead (e.g. /var/run/postgresql), as a same-host deployment would.
PG_BENCH_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1:5432")


# ---------------------------------------------------------------------------------------------
# Environment and database


def configure(db: str, data_dir: Path, redis_url: str = "") -> dict[str, str]:
    """The environment shared by this process (setup, checks) and the server."""
    env = {
        "ASAMBLEA_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "asamblea.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "ERROR",
    }
    if db == "postgres":
        host = quote(PG_BENCH_HOST, safe=":") if PG_BENCH_HOST.startswith("/") else PG_BENCH_HOST
        env["DATABASE_URL"] = f"postgres://postgres@{host}/{PG_BENCH_DB}"
    if redis_url:
        env["REDIS_URL"] = redis_url
    os.environ.update(env)
    if db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    if not redis_url:
        os.environ.pop("REDIS_URL", None)
    return env


def fresh_database(db: str, data_dir: Path) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    else:
        for name in ("asamblea.sqlite3", "asamblea.sqlite3-wal", "asamblea.sqlite3-shm"):
            (data_dir / name).unlink(missing_ok=True)


def django_setup() -> None:
    import django

    if not hasattr(django, "_bench_ready"):
        sys.path.insert(0, str(ROOT))
        django.setup()
        django._bench_ready = True  # type: ignore[attr-defined]


@dataclass
class Electorate:
    poll_id: int
    ceiling_poll_id: int
    sessions: list[str]  # one session key per voter
    csrf: list[tuple[str, str]]  # (cookie secret, masked token) per voter


def prepare(voters: int, *, secrecy: str = "secret") -> Electorate:
    """Migrate, create an assembly of ``voters`` logged-in members and open a vote."""
    django_setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.utils import timezone

    from asamblea.accounts.models import Person
    from asamblea.bodies.actions import body_create
    from asamblea.bodies.models import Membership
    from asamblea.voting.actions import poll_open

    call_command("migrate", interactive=False, verbosity=0)
    chair = Person.objects.create_user("chair", None, display_name="Chair")
    body = body_create(chair, name="Congreso", kind="other", visibility="members")
    people = [
        Person(username=f"v{i}", display_name=f"Voter {i}", password="!bench-no-login")
        for i in range(voters)
    ]
    Person.objects.bulk_create(people, batch_size=5000)
    people = list(Person.objects.filter(username__startswith="v").order_by("pk"))
    Membership.objects.bulk_create(
        [Membership(person=p, body=body, role=Membership.Role.MEMBER) for p in people],
        batch_size=5000,
    )
    poll = poll_open(chair, body, title="Huelga general", secrecy=secrecy)
    ceiling = poll_open(chair, body, title="Ceiling (insert only)", secrecy=secrecy)
    store = SessionStore()
    backend = settings.AUTHENTICATION_BACKENDS[0]
    expire = timezone.now() + timedelta(days=1)
    sessions, rows = [], []
    for person in people:
        key = store._get_new_session_key()
        data = {
            SESSION_KEY: str(person.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: person.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        sessions.append(key)
    Session.objects.bulk_create(rows, batch_size=5000)
    csrf = []
    for _ in people:
        secret = _get_new_csrf_string()
        csrf.append((secret, _mask_cipher_secret(secret)))
    return Electorate(poll.pk, ceiling.pk, sessions, csrf)


# ---------------------------------------------------------------------------------------------
# The server


def settle() -> None:
    """Start the burst from a quiet database, as a vote opened on a running installation
    would: statistics gathered and the bulk set-up written out (a checkpoint), so that neither
    an autovacuum nor a checkpoint triggered by the set-up lands in the middle of the burst."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """uvicorn with ``workers`` processes, as ``asamblea serve`` runs it."""

    def __init__(self, port: int, workers: int, env: dict[str, str]) -> None:
        self.port, self.workers, self.env = port, workers, env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        command = [
            sys.executable,
            "-m",
            "asamblea.serving",
            "bench.ceiling_app:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=ROOT, env=os.environ | self.env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            if self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"GET /cast/0/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                return sock.recv(20).startswith(b"HTTP/1.1 405")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the whole server (master and workers): no clean shutdown, like a crash."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


# ---------------------------------------------------------------------------------------------
# The requests and the client process


def cast_request(port: int, path: str, session: str, csrf: tuple[str, str], choice: str) -> bytes:
    body = json.dumps({"choice": choice}).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        f"Cookie: sessionid={session}; csrftoken={csrf[0]}\r\nX-CSRFToken: {csrf[1]}\r\n\r\n"
    )
    return head.encode() + body


def build_burst(
    electorate: Electorate, port: int, duplicates: float, replays: float, seed: int = 5
) -> list[tuple[int, str, bytes]]:
    """(voter, kind, request bytes): every voter once, plus duplicates and replays, shuffled."""
    rng = random.Random(seed)
    path = f"/cast/{electorate.poll_id}/"
    choices = ("yes", "no", "abstain")
    originals = []
    for voter, session in enumerate(electorate.sessions):
        choice = rng.choice(choices)
        originals.append(
            (voter, "original", cast_request(port, path, session, electorate.csrf[voter], choice))
        )
    extra = []
    count = len(originals)
    for voter in rng.sample(range(count), int(count * duplicates)):
        request = cast_request(
            port, path, electorate.sessions[voter], electorate.csrf[voter], rng.choice(choices)
        )
        extra.append((voter, "duplicate", request))
    for voter in rng.sample(range(count), int(count * replays)):
        extra.append((voter, "replay", originals[voter][2]))
    burst = originals + extra
    rng.shuffle(burst)
    return burst


async def _client(
    requests: list[bytes], port: int, connections: int, retry: bool, deadline: float
) -> list[dict[str, Any]]:
    """Send ``requests`` over ``connections`` keep-alive connections. With ``retry``, a request
    answered 503 or cut off by a dropped connection is sent again (after a short pause) until it
    gets a final answer: what a voter's browser does."""
    results: list[dict[str, Any]] = [{} for _ in requests]
    queue = list(range(len(requests) - 1, -1, -1))

    async def worker() -> None:
        reader = writer = None
        while queue:
            index = queue.pop()
            attempts = unavailable = dropped = bare_503 = 0
            first_sent = time.perf_counter()
            while True:
                attempts += 1
                if time.monotonic() > deadline:
                    results[index] = {"status": 0, "code": "client_deadline", "attempts": attempts}
                    break
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    sent = time.perf_counter()
                    writer.write(requests[index])
                    async with asyncio.timeout(30):  # no extra task per request, as wait_for
                        status, body, retry_after = await _response(reader)
                    took = time.perf_counter() - sent
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    if retry:
                        dropped += 1
                        await asyncio.sleep(0.2)
                        continue
                    results[index] = {"status": 0, "code": type(exc).__name__, "attempts": 1}
                    break
                if status == 503 and retry:
                    unavailable += 1
                    bare_503 += retry_after is None
                    await asyncio.sleep(0.2)
                    continue
                code = body.get("code", "ok" if body.get("ok") else "?")
                results[index] = {
                    "status": status,
                    "code": code,
                    "latency": took,
                    "total": time.perf_counter() - first_sent,
                    "receipt": body.get("receipt"),
                    "attempts": attempts,
                    "retried_503": unavailable,
                    "retried_dropped": dropped,
                    "retry_after": retry_after,
                    "bare_503": bare_503,
                }
                break
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return results


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, Any], str | None]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length, retry_after = 0, None
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
        elif name.strip().lower() == "retry-after":
            retry_after = value.strip()
    body = await reader.readexactly(length) if length else b""
    try:
        return status, json.loads(body) if body else {}, retry_after
    except json.JSONDecodeError:
        return status, {"code": "not_json"}, retry_after


def client_main(job_path: str, out_path: str) -> None:
    """The client process: read the job, send the burst, write the results."""
    job = pickle.loads(Path(job_path).read_bytes())
    requests = job["requests"]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    started = time.perf_counter()
    results = asyncio.run(
        _client(
            requests,
            job["port"],
            job["connections"],
            job["retry"],
            time.monotonic() + job["deadline"],
        )
    )
    elapsed = time.perf_counter() - started
    Path(out_path).write_text(json.dumps({"elapsed": elapsed, "results": results}))


def run_client(
    requests: list[bytes],
    port: int,
    connections: int,
    *,
    retry: bool = False,
    deadline: float = 600,
) -> tuple[float, list[dict[str, Any]], subprocess.Popen[bytes], Path]:
    """Start the client process; returns (start time, [], process, results path)."""
    folder = Path(tempfile.mkdtemp(prefix="vote-load-"))
    job = {
        "requests": requests,
        "port": port,
        "connections": connections,
        "retry": retry,
        "deadline": deadline,
    }
    (folder / "job.json").write_bytes(pickle.dumps(job))
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--client", str(folder / "job.json"), str(folder / "out.json")],
        cwd=ROOT,
    )
    return time.perf_counter(), [], process, folder


def client_results(process: subprocess.Popen[bytes], folder: Path) -> tuple[float, list[dict]]:
    process.wait()
    if process.returncode != 0:
        raise RuntimeError("the client process failed")
    data = json.loads((folder / "out.json").read_text())
    shutil.rmtree(folder, ignore_errors=True)
    return data["elapsed"], data["results"]


# ---------------------------------------------------------------------------------------------
# Checking and reporting


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def verify_exact(poll_id: int, acknowledged: dict[int, str | None]) -> dict[str, Any]:
    """Stored ballots against acknowledged ones: count, receipts and participation flags."""
    django_setup()
    from django.db import connection

    from asamblea.voting.casting import hash_receipt
    from asamblea.voting.models import Ballot, Eligibility

    connection.close()  # see the server's commits, not an old snapshot
    stored = Ballot.objects.filter(poll_id=poll_id).count()
    flagged = Eligibility.objects.filter(poll_id=poll_id, voted=True).count()
    stored_hashes = set(
        Ballot.objects.filter(poll_id=poll_id).values_list("receipt_hash", flat=True)
    )
    acked_hashes = {hash_receipt(r) for r in acknowledged.values() if r}
    return {
        "acknowledged": len(acknowledged),
        "stored": stored,
        "participation_flags": flagged,
        "receipts_match": stored_hashes == acked_hashes if acked_hashes else None,
        "exact": stored == len(acknowledged) == flagged
        and (not acked_hashes or stored_hashes == acked_hashes),
    }


def summarize(
    burst: list[tuple[int, str, bytes]], results: list[dict[str, Any]], elapsed: float
) -> tuple[dict[str, Any], dict[int, str | None]]:
    kinds = Counter()
    acknowledged: dict[int, str | None] = {}
    doubled = 0
    for (voter, kind, _request), result in zip(burst, results, strict=True):
        kinds[f"{result['status']} {result['code']} ({kind})"] += 1
        if result["status"] == 200:
            if voter in acknowledged:
                doubled += 1
            acknowledged[voter] = result.get("receipt")
    latencies = [r["latency"] * 1000 for r in results if "latency" in r]
    accepted = sum(1 for r in results if r["status"] == 200)
    return {
        "requests": len(results),
        "accepted": accepted,
        "elapsed_s": round(elapsed, 2),
        "accepted_per_s": round(accepted / elapsed),
        "requests_per_s": round(len(results) / elapsed),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "answers": dict(sorted(kinds.items())),
        "voters_acknowledged_twice": doubled,
    }, acknowledged


def machine(db: str) -> dict[str, str]:
    django_setup()
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            host = connection.settings_dict["HOST"]
            via = "Unix socket" if str(host).startswith("/") else f"TCP {host}"
            database = f"PostgreSQL {cursor.fetchone()[0]} over {via}"
        else:
            cursor.execute("SELECT sqlite_version()")
            database = "SQLite " + cursor.fetchone()[0] + " (WAL, synchronous=FULL)"
    http = "httptools" if _importable("httptools") else "h11"
    loop = "uvloop" if _importable("uvloop") else "asyncio"
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "database": database,
        "server": f"uvicorn ({http}, {loop})",
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def ceiling_requests(electorate: Electorate, port: int, count: int) -> list[bytes]:
    body = b'{"choice": "yes"}'
    head = (
        f"POST /bench-insert/{electorate.ceiling_poll_id}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return [head + body] * count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--voters", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--duplicates", type=float, default=0.05)
    parser.add_argument("--replays", type=float, default=0.05)
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--redis", default="", help="REDIS_URL for the server (rate limits)")
    args = parser.parse_args()

    data_dir = ROOT / "var" / f"bench-{args.db}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = configure(args.db, data_dir, args.redis)
    fresh_database(args.db, data_dir)
    started = time.perf_counter()
    electorate = prepare(args.voters)
    settle()
    print(f"prepared {args.voters} logged-in voters in {time.perf_counter() - started:.1f} s")
    print("machine:", json.dumps(machine(args.db), indent=2))
    port = free_port()
    server = Server(port, args.workers, env)
    server.start()
    try:
        burst = build_burst(electorate, port, args.duplicates, args.replays)
        _t, _r, process, folder = run_client([b for _v, _k, b in burst], port, args.connections)
        elapsed, results = client_results(process, folder)
        report, acknowledged = summarize(burst, results, elapsed)
        report["check"] = verify_exact(electorate.poll_id, acknowledged)
        report["check"]["every_voter_once"] = len(acknowledged) == args.voters
        print("cast path /cast/:", json.dumps(report, indent=2))
        if not args.no_ceiling:
            requests = ceiling_requests(electorate, port, len(burst))
            _t, _r, process, folder = run_client(requests, port, args.connections)
            elapsed, results = client_results(process, folder)
            ceiling, _acks = summarize(
                [(i, "insert", b"") for i in range(len(requests))], results, elapsed
            )
            print("ceiling /bench-insert/:", json.dumps(ceiling, indent=2))
            ratio = report["requests_per_s"] / max(ceiling["requests_per_s"], 1)
            print(f"cast path / ceiling (requests per second): {ratio:.2f}")
        print("load average after:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
        if not (report["check"]["exact"] and report["check"]["every_voter_once"]):
            raise SystemExit("EXACT-COUNT CHECK FAILED")
    finally:
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        client_main(sys.argv[2], sys.argv[3])
    else:
        main()
