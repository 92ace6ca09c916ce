"""Benchmark of verifiable ballots (issue 15): verify and tally a board of yes/no/abstain ballots.

    .venv/bin/python bench/verifiable.py [--ballots 100000] [--js-ballots 10000] [--workers 2]

Builds a whole election with the pure core (trustees 2 of 3, one credential per voter, weights
1), one ballot per voter, the tally, partial decryptions and the result; writes the board under
``var/bench/``; then times ``asamblea verify-election``'s verifier on it (every ballot's proofs
and signature, the tally recomputed, decryption proofs, the result) and the independent Node
verifier on a board of ``--js-ballots`` ballots; then the encryption of one yes/no/abstain ballot
by ``ballot.js`` in Debian's Chromium (Playwright), without and with the CPU throttled six times,
and a trustee's steps of the key ceremony and of the decryption (``ceremony.js``), likewise.
Prints figures and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import credentials, tally, trustees
from asamblea.verifiable.core import simulation as S
from asamblea.verifiable.core.encoding import parse_point
from asamblea.verifiable.verifier import verify_board

ROOT = Path(__file__).resolve().parents[1]
NODE_VERIFIER = ROOT / "asamblea" / "verifiable" / "node" / "verify-election.mjs"
CHOICES = ([1, 0, 0], [0, 1, 0], [0, 0, 1])

_ELECTION: B.Election | None = None
_ID = ""


def _init(election: B.Election, election_id: str) -> None:
    global _ELECTION, _ID
    _ELECTION, _ID = election, election_id


def _encrypt(job: tuple[str, int]) -> dict[str, Any]:
    code, pick = job
    assert _ELECTION is not None
    payload, _ = B.encrypt(_ELECTION, credentials.secret(_ID, code), [CHOICES[pick]])
    return payload


def build(n: int, workers: int, path: Path) -> tuple[dict[str, Any], float]:
    t0 = time.perf_counter()
    s = S.setup([1] * n, trustee_count=3, threshold=2)
    rng = random.Random(15)
    jobs = [(code, rng.choice((0, 0, 1, 2))) for code in s.codes]
    with ProcessPoolExecutor(
        workers, initializer=_init, initargs=(s.election, s.election_id)
    ) as ex:
        for payload in ex.map(_encrypt, jobs, chunksize=500):
            s.board.append("ballot", payload)
    ballots = [r["payload"] for r in s.board.records if r["kind"] == "ballot"]
    t, count, total = tally.accumulate(ballots, s.weights, [3])
    s.board.append("tally", tally.tally_payload(t, count, total))
    partials = {}
    for j in (1, 3):
        payload = trustees.partial_decryption(s.election.fingerprint, j, s.trustee_keys[j], t)
        s.board.append("partial_decryption", payload)
        partials[j] = [[parse_point(f["factor"]) for f in row] for row in payload["factors"]]
    counts = tally.combine(t, partials, total)
    s.board.append("result", {"trustees": [1, 3], "counts": counts})
    board = s.board.to_json()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(board))
    return board, time.perf_counter() - t0


BROWSER_SCRIPT = """async ([board, code, runs]) => {
  const m = await import('/asamblea/verifiable/ballot.js');
  const election = m.electionFromBoard(board);
  const cred = m.deriveCredential(election.id, code);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    m.encryptBallot(election, cred.secret, [[0, 1, 0]]);
    times.push(performance.now() - t0);
  }
  return times;
}"""


# A trustee's steps in the browser (ceremony.js), 3 trustees, 2 needed: the key ceremony of trustee
# 1 (derive from the code; channel key, coefficients with proofs, 2 encrypted and signed shares;
# then opening and checking the 2 shares it receives and its key with proof), and one partial
# decryption of a yes/no/abstain tally (3 factors with proofs, the key share recovered from the
# code first). Each step's median in ms, over `runs` ceremonies.
TRUSTEE_SCRIPT = """async (runs) => {
  const T = await import('/asamblea/verifiable/ceremony.js');
  const B = await import('/asamblea/verifiable/ballot.js');
  const fp = 'cd'.repeat(32);
  const out = { start: [], shares: [], receive: [], decrypt: [] };
  for (let r = 0; r < runs; r++) {
    const codes = [1, 2, 3].map(() => T.newTrusteeCode());
    let t0 = performance.now();
    const s1 = T.ceremonyStart(fp, fp, 1, 2, codes[0]);
    out.start.push(performance.now() - t0);
    const others = [2, 3].map((i) => T.ceremonyStart(fp, fp, i, 2, codes[i - 1]));
    const all = [s1, ...others];
    const keys = Object.fromEntries(all.map((s, k) => [k + 1, s.channelKey.channel_key]));
    const commitments = Object.fromEntries(all.map((s, k) => [k + 1, s.commitment.coefficients]));
    t0 = performance.now();
    T.sharesFor(fp, 1, s1.mine, keys);
    out.shares.push(performance.now() - t0);
    const inbox = others.flatMap((s, k) => T.sharesFor(fp, k + 2, s.mine, keys))
      .filter((m) => m.receiver === 1);
    t0 = performance.now();
    const { secret } = T.receiveShares(fp, 1, s1.mine, commitments, inbox);
    T.keyPayload(fp, 1, secret);
    out.receive.push(performance.now() - t0);
    const G = 'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76';
    const tally = [[[G, G], [G, G], [G, G]]];
    t0 = performance.now();
    const y1 = T.expectedVerificationKey(commitments, 1);
    const x = T.recoverKeyShare(fp, fp, 1, 2, codes[0], commitments, inbox, y1);
    T.partialDecryption(fp, 1, x, tally);
    out.decrypt.push(performance.now() - t0);
  }
  return out;
}"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


def browser_timings(board: dict[str, Any], code: str) -> dict[str, float]:
    """Median ms to encrypt one ballot in Chromium, plain and with the CPU throttled x6."""
    from playwright.sync_api import sync_playwright

    static = ROOT / "asamblea" / "static"
    handler = partial(Quiet, directory=str(static))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/asamblea/verifiable/package.json"
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(url)
        page.evaluate(BROWSER_SCRIPT, [board, code, 3])  # warm up (module load, JIT)
        out["desktop"] = statistics.median(page.evaluate(BROWSER_SCRIPT, [board, code, 21]))
        cdp = page.context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 6})
        out["throttled x6"] = statistics.median(page.evaluate(BROWSER_SCRIPT, [board, code, 11]))
        for rate in (1, 6):
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            steps = page.evaluate(TRUSTEE_SCRIPT, 5 if rate == 1 else 3)
            for step, times in steps.items():
                out[f"trustee {step} x{rate}"] = statistics.median(times)
        browser.close()
    server.shutdown()
    return out


def cpu() -> float:
    """CPU seconds used so far by this process and its finished children (workers, Node)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load(n: int, workers: int, path: Path, reuse: bool) -> dict[str, Any]:
    if reuse and path.exists():
        print(f"reusing {path.relative_to(ROOT)}", flush=True)
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    c0, t0 = cpu(), time.perf_counter()
    board, _ = build(n, workers, path)
    print(
        f"built a board of {n} ballots (encrypting them too) in {time.perf_counter() - t0:.1f} s "
        f"wall, {cpu() - c0:.1f} s CPU",
        flush=True,
    )
    return board


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    return (
        f"{platform.platform()}; {model}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; Node {node.stdout.strip()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--js-ballots", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--browser-only", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="reuse boards built by a previous run")
    args = parser.parse_args()
    print(machine(), flush=True)
    out = ROOT / "var" / "bench"

    small = S.setup([1], election_id="bench")
    timings = browser_timings(small.board.to_json(), small.codes[0])
    print(
        "ballot.js in Chromium, one yes/no/abstain ballot (median): "
        f"{timings['desktop']:.1f} ms (target 50), CPU throttled x6 "
        f"{timings['throttled x6']:.1f} ms (target 200)",
        flush=True,
    )
    print(
        "ceremony.js in Chromium, trustee 1 of 3 (2 needed), median ms without / with the CPU "
        "throttled x6: "
        + "; ".join(
            f"{step} {timings[f'trustee {step} x1']:.1f} / {timings[f'trustee {step} x6']:.1f}"
            for step in ("start", "shares", "receive", "decrypt")
        )
        + " (start: derive from the code, channel key and coefficients with proofs; shares: "
        "encrypt and sign 2; receive: open and check 2, key with proof; decrypt: recover the key "
        "share from the code, 3 factors with proofs)",
        flush=True,
    )
    if args.browser_only:
        return

    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    board = load(args.ballots, args.workers, out / f"verifiable-{args.ballots}.json", args.reuse)
    c0, t0 = cpu(), time.perf_counter()
    report = verify_board(board, workers=args.workers)
    wall, used = time.perf_counter() - t0, cpu() - c0
    print(
        f"Python verifier, {args.workers} processes: {report.ballots} ballots verified and "
        f"tallied, result {report.result}, in {wall:.1f} s wall, {used:.1f} s CPU "
        f"({used / report.ballots * 1000:.2f} ms CPU per ballot; target 180 s wall for 100,000 "
        f"on 2 cores); load average now {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    js_path = out / f"verifiable-{args.js_ballots}.json"
    if args.js_ballots == args.ballots:
        js_path = out / f"verifiable-{args.ballots}.json"
    else:
        load(args.js_ballots, args.workers, js_path, args.reuse)
    c0, t0 = cpu(), time.perf_counter()
    done = subprocess.run(
        ["node", str(NODE_VERIFIER), str(js_path), "--json", "--workers", str(args.workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall, used = time.perf_counter() - t0, cpu() - c0
    verdict = json.loads(done.stdout)
    print(
        f"Node verifier, {args.workers} worker threads: {verdict['ballots']} ballots verified and "
        f"tallied (ok={verdict['ok']}, result {verdict['result']}) in {wall:.1f} s wall, "
        f"{used:.1f} s CPU (target 60 s wall for 10,000); load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
