"""Fault runs for mass voting: each prepares a vote, starts a burst of ballots against the
server (uvicorn, several workers) and breaks something in the middle, then checks the counts.

    python bench/vote_faults.py kill            # SIGKILL the server mid-burst, restart, recast
    python bench/vote_faults.py close           # close the vote while ballots are in flight
    python bench/vote_faults.py redis           # stop Redis (a private one) mid-burst
    python bench/vote_faults.py pg-restart      # restart PostgreSQL mid-burst (see below)

Options: --db postgres|sqlite (default postgres), --voters N (default 3000).

``pg-restart`` restarts the machine's PostgreSQL cluster for a few seconds: other programs
using it at that moment see their connections dropped. Run it rarely and on purpose.

Every run is on loopback, ends by itself, prints what it saw and exits non-zero on a failed
check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vote_load as vl  # noqa: E402 - the harness this file extends

ENV: dict[str, str] = {}


def data_dir_for(db: str) -> Path:
    folder = vl.ROOT / "var" / f"faults-{db}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def setup(db: str, voters: int) -> tuple[vl.Electorate, vl.Server]:
    """A fresh database with ``voters`` logged-in voters, and the server running on it.
    (The environment, ``ENV``, was configured by :func:`main` before Django started.)"""
    env = ENV
    vl.fresh_database(db, data_dir_for(db))
    electorate = vl.prepare(voters)
    server = vl.Server(vl.free_port(), 2, env)
    server.start()
    print("machine:", json.dumps(vl.machine(db)))
    return electorate, server


def wait_for_progress(poll_id: int, voters: int, share: float = 0.15) -> None:
    """Wait until ``share`` of the voters have a stored ballot, so that the fault lands in the
    middle of the burst whatever the machine's speed (a fixed delay lands after the end of a
    short burst on a fast machine). Gives up after 60 s: the fault then lands late, and the
    checks say so."""
    from django.db import connection

    from asamblea.voting.models import Eligibility

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Eligibility.objects.filter(poll_id=poll_id, voted=True).count() >= share * voters:
            break
        time.sleep(0.005)
    connection.close()  # pg-restart: do not keep a connection that is about to be dropped
    print(f"fault after {share:.0%} of the ballots were stored")


def burst_for(electorate: vl.Electorate, port: int) -> list[tuple[int, str, bytes]]:
    return vl.build_burst(electorate, port, duplicates=0.02, replays=0.02)


def acknowledged(burst, results) -> dict[int, str | None]:
    acks: dict[int, str | None] = {}
    for (voter, _kind, _request), result in zip(burst, results, strict=True):
        if result["status"] == 200:
            assert voter not in acks, f"voter {voter} acknowledged twice"
            acks[voter] = result.get("receipt")
    return acks


def stored_receipt_hashes(poll_id: int) -> set[str]:
    from django.db import connection

    from asamblea.voting.models import Ballot

    connection.close()
    return set(Ballot.objects.filter(poll_id=poll_id).values_list("receipt_hash", flat=True))


def check(label: str, ok: bool, detail: object = "") -> bool:
    print(f"{'PASS' if ok else 'FAIL'}: {label} {detail}")
    return ok


def answers(results) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        key = f"{result['status']} {result['code']}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def run_kill(db: str, voters: int) -> bool:
    """SIGKILL the server mid-burst; every acknowledged ballot must be stored; after a restart
    the voters without an acknowledgement cast again and are counted once."""
    from asamblea.voting.casting import hash_receipt
    from asamblea.voting.models import Eligibility

    electorate, server = setup(db, voters)
    ok = True
    try:
        burst = burst_for(electorate, server.port)
        _t, _r, process, folder = vl.run_client([b for _v, _k, b in burst], server.port, 128)
        wait_for_progress(electorate.poll_id, voters)
        server.kill()
        print("server killed with SIGKILL")
        _elapsed, results = vl.client_results(process, folder)
        first = acknowledged(burst, results)
        print("first round:", answers(results))
        stored = stored_receipt_hashes(electorate.poll_id)
        lost = [v for v, r in first.items() if hash_receipt(r) not in stored]
        ok &= check(
            "every acknowledged ballot survived the kill", not lost, f"({len(first)} acked)"
        )
        unacked_stored = len(stored) - len(first)
        print(
            f"stored but never acknowledged (committed, answer lost in the kill): {unacked_stored}"
        )
        server.start()
        print("server restarted")
        again = [(v, "recast", b) for v, kind, b in burst if kind == "original" and v not in first]
        _t, _r, process, folder = vl.run_client([b for _v, _k, b in again], server.port, 128)
        _elapsed, results2 = vl.client_results(process, folder)
        print("second round (recast of the unacknowledged):", answers(results2))
        second = acknowledged(again, results2)
        already = sum(1 for r in results2 if r["code"] == "already_voted")
        ok &= check("no voter acknowledged in both rounds", not set(first) & set(second))
        ok &= check(
            "recast answers are 200 or already_voted only",
            all(r["status"] == 200 or r["code"] == "already_voted" for r in results2),
        )
        stored = stored_receipt_hashes(electorate.poll_id)
        flags = Eligibility.objects.filter(poll_id=electorate.poll_id, voted=True).count()
        ok &= check(
            "counted once: ballots = acknowledged + committed-before-the-kill = voters",
            len(stored) == len(first) + len(second) + already == voters == flags,
            f"(stored {len(stored)}, acked {len(first)}+{len(second)}, already {already}, "
            f"flags {flags})",
        )
        receipts = {hash_receipt(r) for r in {**first, **second}.values()}
        ok &= check("every acknowledged receipt is stored", receipts <= stored)
    finally:
        server.stop()
    return ok


def run_close(db: str, voters: int) -> bool:
    """Close the vote while ballots are in flight: each is counted or refused clearly."""
    from asamblea.accounts.models import Person
    from asamblea.voting.actions import poll_close
    from asamblea.voting.models import Ballot, Eligibility, Poll
    from asamblea.voting.queries import count

    electorate, server = setup(db, voters)
    ok = True
    try:
        burst = burst_for(electorate, server.port)
        _t, _r, process, folder = vl.run_client([b for _v, _k, b in burst], server.port, 128)
        wait_for_progress(electorate.poll_id, voters)
        poll = poll_close(
            Person.objects.get(username="chair"), Poll.objects.get(pk=electorate.poll_id)
        )
        print("vote closed mid-burst:", poll.result)
        _elapsed, results = vl.client_results(process, folder)
        print("answers:", answers(results))
        acks = acknowledged(burst, results)
        clear = {"ok", "already_voted", "poll_closed"}
        ok &= check(
            "every answer is counted or a clear refusal (no 500, no 503, no hang)",
            all(r["code"] in clear for r in results),
        )
        stored = Ballot.objects.filter(poll_id=poll.pk).count()
        flags = Eligibility.objects.filter(poll_id=poll.pk, voted=True).count()
        ok &= check(
            "none half-recorded: ballots = participation flags = acknowledged = result",
            stored == flags == len(acks) == int(poll.result["cast"]),
            f"(ballots {stored}, flags {flags}, acked {len(acks)}, result {poll.result['cast']})",
        )
        recount = count(poll).to_dict() | {"participants": flags}
        ok &= check("the recount gives the published result", recount == poll.result)
        ok &= check(
            "some ballots were refused as closed", any(r["code"] == "poll_closed" for r in results)
        )
    finally:
        server.stop()
    return ok


def run_redis(db: str, voters: int) -> bool:
    """A private Redis (never the shared one) is stopped mid-burst: voting goes on."""
    from asamblea.voting.models import Ballot

    port = int(ENV["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    folder = Path(tempfile.mkdtemp(prefix="vote-redis-"))
    redis = subprocess.Popen(  # noqa: S603, S607 - the machine's redis-server, loopback only
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    ok = True
    try:
        time.sleep(0.5)
        electorate, server = setup(db, voters)
        try:
            burst = burst_for(electorate, server.port)
            _t, _r, process, cfolder = vl.run_client([b for _v, _k, b in burst], server.port, 128)
            wait_for_progress(electorate.poll_id, voters)
            redis.send_signal(signal.SIGKILL)
            redis.wait()
            print("private Redis killed mid-burst")
            _elapsed, results = vl.client_results(process, cfolder)
            print("answers:", answers(results))
            acks = acknowledged(burst, results)
            stored = Ballot.objects.filter(poll_id=electorate.poll_id).count()
            ok &= check("every voter's ballot was accepted", len(acks) == voters)
            ok &= check("stored = acknowledged", stored == len(acks), f"({stored})")
            ok &= check("no server errors", all(r["status"] < 500 for r in results))
            page = progress_page(server.port, electorate)
            ok &= check("the progress fragment (polled by live pages) still answers", page == 200)
        finally:
            server.stop()
    finally:
        if redis.poll() is None:
            redis.kill()
        shutil.rmtree(folder, ignore_errors=True)
    return ok


def progress_page(port: int, electorate: vl.Electorate) -> int:
    import http.client

    from asamblea.voting.models import Poll

    poll = Poll.objects.select_related("body").get(pk=electorate.poll_id)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "GET",
        f"/b/{poll.body.slug}/p/{poll.pk}/progress/",
        headers={"Cookie": f"sessionid={electorate.sessions[0]}"},
    )
    return conn.getresponse().status


def run_pg_restart(voters: int) -> bool:
    """PostgreSQL restarts mid-burst: 503 with Retry-After, never a 500 or a hang; the retry
    succeeds; the counts are exact."""
    from asamblea.voting.casting import hash_receipt
    from asamblea.voting.models import Eligibility

    electorate, server = setup("postgres", voters)
    ok = True
    try:
        burst = burst_for(electorate, server.port)
        _t, _r, process, folder = vl.run_client(
            [b for _v, _k, b in burst], server.port, 128, retry=True, deadline=300
        )
        wait_for_progress(electorate.poll_id, voters)
        print("WARNING: restarting PostgreSQL; other sessions may see a dropped connection")
        started = time.monotonic()
        subprocess.run(  # noqa: S603, S607 - the machine's cluster, as the brief allows
            ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"], check=True
        )
        print(f"PostgreSQL restarted in {time.monotonic() - started:.1f} s")
        _elapsed, results = vl.client_results(process, folder)
        print("final answers:", answers(results))
        retried = sum(r.get("retried_503", 0) for r in results)
        dropped = sum(r.get("retried_dropped", 0) for r in results)
        bare = sum(r.get("bare_503", 0) for r in results)
        print(f"503 answers retried: {retried} (without Retry-After: {bare}); dropped: {dropped}")
        ok &= check("clients were told to try again (503)", retried > 0)
        ok &= check("every 503 carried Retry-After", bare == 0)
        ok &= check("no 500 and no hang", all(0 < r["status"] < 500 for r in results))
        acks = acknowledged(burst, results)
        already_after_retry = {
            v
            for (v, kind, _b), r in zip(burst, results, strict=True)
            if kind == "original" and r["code"] == "already_voted" and v not in acks
        }
        stored = stored_receipt_hashes(electorate.poll_id)
        flags = Eligibility.objects.filter(poll_id=electorate.poll_id, voted=True).count()
        ok &= check(
            "every voter counted once",
            len(stored) == flags == voters == len(acks) + len(already_after_retry),
            f"(stored {len(stored)}, acked {len(acks)}, committed but unacknowledged "
            f"{len(already_after_retry)})",
        )
        ok &= check(
            "every acknowledged receipt is stored",
            {hash_receipt(r) for r in acks.values()} <= stored,
        )
    finally:
        server.stop()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fault", choices=["kill", "close", "redis", "pg-restart"])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--voters", type=int, default=3000)
    args = parser.parse_args()
    db = "postgres" if args.fault == "pg-restart" else args.db
    # A private Redis on a spare port for the Redis run; never the shared one.
    redis_url = f"redis://127.0.0.1:{vl.free_port()}/0" if args.fault == "redis" else ""
    ENV.update(vl.configure(db, data_dir_for(db), redis_url))
    vl.django_setup()
    if args.fault == "kill":
        ok = run_kill(args.db, args.voters)
    elif args.fault == "close":
        ok = run_close(args.db, args.voters)
    elif args.fault == "redis":
        ok = run_redis(args.db, args.voters)
    else:
        ok = run_pg_restart(args.voters)
    print("ALL CHECKS PASSED" if ok else "SOME CHECKS FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
    main()
