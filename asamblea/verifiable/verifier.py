"""``asamblea verify-election BOARD.json``: recompute everything from a bulletin board alone.

An independent verifier of the "asamblea-verifiable/1" format written from its description in
``docs/verifiable-ballots.md``, not from the code that writes boards: it shares nothing with
``asamblea.verifiable.core`` except the group arithmetic (``core.group``, a thin layer over
libsodium). It follows the auditor's steps of Belenios' specification (section 3.5 "Audit"):

1. the chain: every record's index, link to the previous record and hash;
2. the manifest, the trustees' coefficients with their proofs, each trustee's verification key
   (recomputed from everybody's coefficients, and its proof), the election key;
3. the credentials (distinct, valid points, positive weights);
4. every ballot: known credential, shape, group membership of every point, every proof (strong
   Fiat-Shamir recomputed), the credential's signature;
5. the tally: the weighted product of the last ballot of each credential;
6. each partial decryption's proofs, and the result: Lagrange combination of the partial
   decryptions it names, and ``g^count · F = β`` for every count.

It stops at the first record that does not verify and names it. Ballots are checked in parallel
by worker processes (``--workers``); the first failure reported is still the first on the board.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from asamblea.verifiable.core import group as G

FORMAT = "asamblea-verifiable/1"
ZEROS = "0" * 64
SUM_ENTRY = 0xFFFFFFFF
ORDER = (
    "manifest",
    "trustee_commitment",
    "trustee_key",
    "election_key",
    "credentials",
    "ballot",
    "tally",
    "partial_decryption",
    "result",
    # a consultation's board (after the election key): see _Verifier._consultation
    "consultation",
    "assembly_tally",
    "aggregates",
)
RULES = ("head_count", "majority_of_bodies", "weighted")
MAJORITIES = ("simple", "absolute", "two_thirds")


class Invalid(Exception):
    """A record that does not verify: its index, its kind and why."""

    def __init__(self, index: int, kind: str, reason: str) -> None:
        super().__init__(f"record {index} ({kind}): {reason}")
        self.index, self.kind, self.reason = index, kind, reason


class _Bad(Exception):
    """Raised inside a record's check; turned into :class:`Invalid` with the record's place."""


# --- encodings (written again here on purpose: see the module docstring) ----------------------


SAFE = 2**53 - 1  # integers JavaScript reads exactly: both verifiers must see the same numbers


def _plain(value: Any) -> None:
    """Refuse what canonical JSON cannot hold the same way in every language."""
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is str:
            continue
        if t is dict:
            stack.extend(v.values())
        elif t is list:
            stack.extend(v)
        elif isinstance(v, float) or (isinstance(v, int) and abs(v) > SAFE):
            raise _Bad("numbers must be integers of at most 2^53 - 1")


def _canonical(value: Any) -> bytes:
    _plain(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _parse_float(text: str) -> int | float:
    """JSON numbers written with a fraction or an exponent: integral ones read as integers (as
    JavaScript reads them), others stay floats and are refused where they appear."""
    try:
        d = Decimal(text)
    except InvalidOperation:
        return float("nan")
    return int(d) if d == d.to_integral_value() and abs(d) <= SAFE else float(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(text: str) -> Any:
    """Parse a board's JSON text as the JavaScript verifier reads it (see :func:`_parse_float`)."""
    return json.loads(text, parse_float=_parse_float, parse_constant=_no_constant)


def _challenge(name: str, *parts: bytes) -> int:
    h = hashlib.sha512()
    for part in (f"{FORMAT}|{name}".encode(), *parts):
        h.update(len(part).to_bytes(4, "big") + part)
    return int.from_bytes(h.digest(), "little") % G.L


def _hex32(value: object, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise _Bad(f"{what} is not 64 hex digits")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise _Bad(f"{what} is not 64 hex digits") from None
    if raw.hex() != value:
        raise _Bad(f"{what} is not in lowercase hex")
    return raw


def _pt(value: object, what: str) -> bytes:
    raw = _hex32(value, what)
    try:
        return G.point(raw)
    except G.GroupError:
        raise _Bad(f"{what} is not a group element") from None


def _sc(value: object, what: str) -> int:
    k = int.from_bytes(_hex32(value, what), "little")
    if k >= G.L:
        raise _Bad(f"{what} is not a canonical scalar")
    return k


def _int(value: object, what: str, low: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise _Bad(f"{what} must be an integer of at least {low}")
    return value


def _keys(value: object, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != keys:
        raise _Bad(f"{what} must have exactly the fields {', '.join(sorted(keys))}")
    return value


def _list(value: object, length: int | None, what: str) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise _Bad(f"{what} must be a list" + ("" if length is None else f" of {length}"))
    return value


def _u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


# --- proofs ------------------------------------------------------------------------------------


def _schnorr(proof: object, public: bytes, name: str, context: Sequence[bytes], what: str) -> None:
    p = _keys(proof, {"commitment", "response"}, what)
    a = _pt(p["commitment"], f"{what}'s commitment")
    s = _sc(p["response"], f"{what}'s response")
    c = _challenge(name, *context, a)
    if G.base(s) != G.add(a, G.mul(c, public)):
        raise _Bad(f"{what} does not verify")


def _interval(
    proof: object,
    y: bytes,
    alpha: bytes,
    beta: bytes,
    allowed: Sequence[int],
    context: Sequence[bytes],
    what: str,
) -> None:
    p = _keys(proof, {"commitments", "challenges", "responses"}, what)
    n = len(allowed)
    pairs = [
        (_pt(a, f"{what}'s commitment"), _pt(b, f"{what}'s commitment"))
        for a, b in (_list(x, 2, f"{what}'s commitment") for x in _list(p["commitments"], n, what))
    ]
    cs = [_sc(c, f"{what}'s challenge") for c in _list(p["challenges"], n, what)]
    ss = [_sc(s, f"{what}'s response") for s in _list(p["responses"], n, what)]
    expected = _challenge("iproof", *context, alpha, beta, b"".join(a + b for a, b in pairs))
    if sum(cs) % G.L != expected:
        raise _Bad(f"{what}: its challenges do not add up to its hash")
    for (a, b), c, s, m in zip(pairs, cs, ss, allowed, strict=True):
        if G.base(s) != G.add(a, G.mul(c, alpha)) or G.mul(s, y) != G.add(
            b, G.mul(c, G.sub(beta, G.small(m)))
        ):
            raise _Bad(f"{what} does not verify")


def _decryption(
    proof: object, public: bytes, alpha: bytes, factor: bytes, phi: bytes, what: str
) -> None:
    p = _keys(proof, {"commitment", "response"}, what)
    a, b = (_pt(x, f"{what}'s commitment") for x in _list(p["commitment"], 2, what))
    s = _sc(p["response"], f"{what}'s response")
    c = _challenge("decryption", phi, public, alpha, factor, a, b)
    if G.base(s) != G.add(a, G.mul(c, public)) or G.mul(s, alpha) != G.add(b, G.mul(c, factor)):
        raise _Bad(f"{what} does not verify")


# --- ballots (run in worker processes too) ------------------------------------------------------


@dataclass(frozen=True)
class BallotContext:
    phi: bytes
    y: bytes
    questions: tuple[tuple[int, int, int], ...]  # (answers, min, max)
    weights: dict[str, int]


def check_ballot(ctx: BallotContext, payload: object) -> list[list[tuple[bytes, bytes]]]:
    """Verify one ballot; return its ciphertexts. Raises _Bad."""
    p = _keys(payload, {"election", "credential", "answers", "signature"}, "the ballot")
    if p["election"] != ctx.phi.hex():
        raise _Bad("the ballot is for another election")
    if p["credential"] not in ctx.weights:
        raise _Bad("the ballot's credential is not in the list of credentials")
    cred = _pt(p["credential"], "the credential")
    answers = _list(p["answers"], len(ctx.questions), "the answers")
    out = []
    for q, ((n, lo, hi), answer) in enumerate(zip(ctx.questions, answers, strict=True)):
        a = _keys(answer, {"choices", "proofs", "sum_proof"}, f"answer {q + 1}")
        cts = [
            (
                _pt(x, f"a ciphertext of question {q + 1}"),
                _pt(z, f"a ciphertext of question {q + 1}"),
            )
            for x, z in (_list(c, 2, "a ciphertext") for c in _list(a["choices"], n, "choices"))
        ]
        flat = b"".join(x + z for x, z in cts)
        proofs = _list(a["proofs"], n, f"the proofs of question {q + 1}")
        for e, ((alpha, beta), proof) in enumerate(zip(cts, proofs, strict=True)):
            ctx_e = [ctx.phi, ctx.y, cred, _u32(q), _u32(e), flat]
            what = f"the proof of question {q + 1}, answer {e + 1}"
            _interval(proof, ctx.y, alpha, beta, (0, 1), ctx_e, what)
        sa, sb = G.IDENTITY, G.IDENTITY
        for alpha, beta in cts:
            sa, sb = G.add(sa, alpha), G.add(sb, beta)
        ctx_s = [ctx.phi, ctx.y, cred, _u32(q), _u32(SUM_ENTRY), flat]
        what = f"the proof on the number of answers chosen in question {q + 1}"
        _interval(a["sum_proof"], ctx.y, sa, sb, range(lo, hi + 1), ctx_s, what)
        out.append(cts)
    digest = hashlib.sha256(_canonical(answers)).digest()
    _schnorr(p["signature"], cred, "signature", [ctx.phi, cred, digest], "the signature")
    return out


_WORKER_CTX: BallotContext | None = None


def _init_worker(ctx: BallotContext) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _check_chunk(
    chunk: list[tuple[int, Any, bool]],
) -> tuple[tuple[int, str] | None, list[list[tuple[bytes, bytes]]] | None]:
    """Verify ballots in board order; return the first failure and the weighted sum of counted."""
    ctx = _WORKER_CTX
    assert ctx is not None  # noqa: S101 - set by the pool's initializer
    total: list[list[tuple[bytes, bytes]]] | None = None
    for index, payload, counted in chunk:
        try:
            cts = check_ballot(ctx, payload)
        except _Bad as bad:
            return (index, str(bad)), total
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return (index, "malformed ballot"), total
        if counted:
            w = ctx.weights[payload["credential"]]
            if w != 1:
                cts = [[(G.mul(w, a), G.mul(w, b)) for a, b in row] for row in cts]
            if total is None:
                total = cts
            else:
                total = [
                    [(G.add(a, c), G.add(b, d)) for (a, b), (c, d) in zip(r1, r2, strict=True)]
                    for r1, r2 in zip(total, cts, strict=True)
                ]
    return None, total


# --- the board ---------------------------------------------------------------------------------


@dataclass
class Report:
    records: int
    head: str
    phase: str
    ballots: int = 0
    counted: int = 0
    total_weight: int = 0
    result: list[list[int]] | None = None
    answers: list[list[str]] | None = None
    # a consultation: each decrypted aggregate's (group, key), and the rule's count
    groups: list[tuple[str, str]] | None = None
    outcome: list[dict[str, Any]] | None = None
    # a consultation: the assemblies whose decrypted count exceeds their electorate (in vote
    # weights), so that the rule does not count them (as the server does not)
    not_counted: list[int] | None = None


def _records(board: object) -> list[Any]:
    if not isinstance(board, dict) or board.get("board") != FORMAT:
        raise Invalid(0, "board", f"not an {FORMAT} board")
    records = board.get("records")
    if not isinstance(records, list) or not records:
        raise Invalid(0, "board", "the board has no records")
    return records


def _check_chain(records: list[Any]) -> int | None:
    """Index of the first record whose link or hash is wrong (None if the chain holds)."""
    previous = ZEROS
    for i, r in enumerate(records):
        if not isinstance(r, dict) or set(r) != {"index", "kind", "previous", "payload", "hash"}:
            return i
        if r["index"] != i or r["previous"] != previous or r["kind"] not in ORDER:
            return i
        body = {k: r[k] for k in ("index", "kind", "previous", "payload")}
        try:
            text = _canonical(body)
        except _Bad:
            return i
        if hashlib.sha256(text).hexdigest() != r["hash"]:
            return i
        previous = r["hash"]
    return None


def verify_board(board: object, workers: int = 1) -> Report:
    """Verify a parsed board; raise :class:`Invalid` naming the first record that fails."""
    records = _records(board)
    assemblies = board.get("assemblies") if isinstance(board, dict) else None
    broken = _check_chain(records)
    if broken is None:
        return _Verifier(records, workers, assemblies).run()
    if broken:  # what comes before the break is checked first: its failure would come first
        _Verifier(records[:broken], workers, assemblies).run()
    kind = records[broken].get("kind") if isinstance(records[broken], dict) else None
    raise Invalid(broken, str(kind), "its link to the previous record or its own hash is wrong")


class _Verifier:
    def __init__(self, records: list[Any], workers: int, assemblies: Any = None) -> None:
        self.records, self.workers, self.pos = records, max(1, workers), 0
        self.assemblies = assemblies

    def _at(self, kind: str) -> Iterator[tuple[int, Any]]:
        """Yield (index, payload) of consecutive records of ``kind`` from the current position."""
        while self.pos < len(self.records) and self.records[self.pos]["kind"] == kind:
            self.pos += 1
            yield self.pos - 1, self.records[self.pos - 1]["payload"]

    def _expect(self, kind: str) -> tuple[int, Any] | None:
        if self.pos >= len(self.records):
            return None
        r = self.records[self.pos]
        if r["kind"] != kind:
            raise Invalid(self.pos, r["kind"], f"a {kind} record was expected here")
        self.pos += 1
        return self.pos - 1, r["payload"]

    def _check(self, index: int, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except _Bad as bad:
            raise Invalid(index, self.records[index]["kind"], str(bad)) from None
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            raise Invalid(index, self.records[index]["kind"], "malformed record") from None

    def _report(self, phase: str) -> Report:
        return Report(len(self.records), self.records[-1]["hash"] if self.records else ZEROS, phase)

    def run(self) -> Report:
        first = self._expect("manifest")
        assert first is not None  # noqa: S101 - the board has at least one record
        self.phi = bytes.fromhex(self.records[0]["hash"])
        self._check(0, self._manifest, first[1])
        if not self._trustees():
            return self._report("key ceremony")
        if self.pos < len(self.records) and self.records[self.pos]["kind"] == "consultation":
            return self._consultation()
        got = self._expect("credentials")
        if got is None:
            return self._report("credentials")
        self._check(got[0], self._credentials, got[1])
        ballots = list(self._at("ballot"))
        counted, tally_cts = self._ballots(ballots)
        report = self._report("voting")
        report.ballots, report.counted = len(ballots), len(counted)
        report.total_weight = sum(self.weights[p["credential"]] for _, p in counted)
        report.answers = [q["answers"] for q in self.manifest["questions"]]
        got = self._expect("tally")
        if got is None:
            if self.pos < len(self.records):
                r = self.records[self.pos]
                raise Invalid(self.pos, r["kind"], "a ballot or the tally was expected here")
            return report
        self._check(got[0], self._tally, got[1], tally_cts, report)
        self.tally_cts = tally_cts
        partials: dict[int, list[list[bytes]]] = {}
        for index, payload in self._at("partial_decryption"):
            self._check(index, self._partial, payload, partials)
        report.phase = "tally"
        got = self._expect("result")
        if got is None:
            if self.pos < len(self.records):
                r = self.records[self.pos]
                raise Invalid(
                    self.pos, r["kind"], "a partial decryption or the result was expected"
                )
            return report
        report.result = self._check(got[0], self._result, got[1], partials, report.total_weight)
        if self.pos < len(self.records):
            r = self.records[self.pos]
            raise Invalid(self.pos, r["kind"], "nothing may follow the result")
        report.phase = "result"
        return report

    outcome_keys = False

    def _manifest(self, payload: object) -> None:
        m = _keys(payload, {"protocol", "group", "election", "title", "questions", "trustees"}, "m")
        if m["protocol"] != FORMAT or m["group"] != "ristretto255":
            raise _Bad(f"the manifest must name {FORMAT} over ristretto255")
        if not isinstance(m["election"], str) or not isinstance(m["title"], str):
            raise _Bad("the manifest's election id and title must be text")
        qs = []
        for q in _list(m["questions"], None, "the questions"):
            q = _keys(q, {"text", "answers", "min", "max"}, "a question")
            answers = _list(q["answers"], None, "a question's answers")
            if not answers or not all(isinstance(a, str) for a in answers):
                raise _Bad("a question needs answers, as text")
            lo, hi = _int(q["min"], "min"), _int(q["max"], "max")
            if lo > hi or hi > len(answers):
                raise _Bad("a question's min and max are out of range")
            qs.append((len(answers), lo, hi))
        if not qs:
            raise _Bad("the manifest has no question")
        t = _keys(m["trustees"], {"count", "threshold"}, "the trustees")
        self.n = _int(t["count"], "the number of trustees", 1)
        self.t = _int(t["threshold"], "the threshold", 1)
        if self.t > self.n:
            raise _Bad("the threshold is larger than the number of trustees")
        self.questions, self.manifest = tuple(qs), m

    def _trustees(self) -> bool:
        self.coefficients: dict[int, list[bytes]] = {}
        for i in range(1, self.n + 1):
            got = self._expect("trustee_commitment")
            if got is None:
                return False
            self._check(got[0], self._commitment, got[1], i)
        self.vks: dict[int, bytes] = {}
        for j in range(1, self.n + 1):
            got = self._expect("trustee_key")
            if got is None:
                return False
            self._check(got[0], self._trustee_key, got[1], j)
        got = self._expect("election_key")
        if got is None:
            return False
        self._check(got[0], self._election_key, got[1])
        return True

    def _commitment(self, payload: object, i: int) -> None:
        p = _keys(payload, {"trustee", "coefficients", "proofs"}, "the commitment")
        if p["trustee"] != i:
            raise _Bad(f"trustee {i}'s commitment was expected here")
        exps = [_pt(a, "a coefficient") for a in _list(p["coefficients"], self.t, "coefficients")]
        for k, (a, proof) in enumerate(
            zip(exps, _list(p["proofs"], self.t, "proofs"), strict=True)
        ):
            ctx = [self.phi, _u32(i), _u32(k), a]
            _schnorr(proof, a, "coefficient", ctx, f"the proof of coefficient {k}")
        self.coefficients[i] = exps

    def _trustee_key(self, payload: object, j: int) -> None:
        p = _keys(payload, {"trustee", "verification_key", "proof"}, "the trustee key")
        if p["trustee"] != j:
            raise _Bad(f"trustee {j}'s key was expected here")
        vk = _pt(p["verification_key"], "the verification key")
        expected = G.IDENTITY
        for exps in self.coefficients.values():
            power = 1
            for a in exps:
                expected = G.add(expected, G.mul(power, a))
                power = power * j % G.L
        if vk != expected:
            raise _Bad("the verification key does not follow from the trustees' coefficients")
        _schnorr(p["proof"], vk, "trustee-key", [self.phi, _u32(j), vk], "the key's proof")
        self.vks[j] = vk

    def _election_key(self, payload: object) -> None:
        p = _keys(payload, {"public_key", "verification_keys"}, "the election key")
        y = G.IDENTITY
        for exps in self.coefficients.values():
            y = G.add(y, exps[0])
        if p["public_key"] != y.hex():
            raise _Bad("the election key is not the product of the trustees' first coefficients")
        if p["verification_keys"] != [self.vks[j].hex() for j in sorted(self.vks)]:
            raise _Bad("the verification keys differ from the trustees' keys")
        self.y = y

    def _credentials(self, payload: object) -> None:
        p = _keys(payload, {"credentials"}, "the credentials")
        self.weights: dict[str, int] = {}
        previous = ""
        for c in _list(p["credentials"], None, "the credentials"):
            c = _keys(c, {"credential", "weight"}, "a credential")
            _pt(c["credential"], "a credential")
            if c["credential"] <= previous:
                raise _Bad("the credentials must be distinct and sorted")
            previous = c["credential"]
            self.weights[c["credential"]] = _int(c["weight"], "a weight", 1)

    def _ballots(
        self, ballots: list[tuple[int, Any]]
    ) -> tuple[list[tuple[int, Any]], list[list[tuple[bytes, bytes]]]]:
        ctx = BallotContext(self.phi, self.y, self.questions, self.weights)
        last: dict[str, int] = {}
        for index, payload in ballots:
            if isinstance(payload, dict) and isinstance(payload.get("credential"), str):
                last[payload["credential"]] = index
        work = [
            (i, p, isinstance(p, dict) and last.get(str(p.get("credential"))) == i)
            for i, p in ballots
        ]
        chunks = _chunks(work, self.workers)
        if self.workers > 1 and len(work) > 200:
            with ProcessPoolExecutor(self.workers, initializer=_init_worker, initargs=(ctx,)) as ex:
                results = list(ex.map(_check_chunk, chunks))
        else:
            _init_worker(ctx)
            results = [_check_chunk(c) for c in chunks]
        failures = [f for f, _ in results if f is not None]
        if failures:
            index, reason = min(failures)
            raise Invalid(index, "ballot", reason)
        total = [[(G.IDENTITY, G.IDENTITY)] * n for n, _, _ in self.questions]
        for _, part in results:
            if part is not None:
                total = [
                    [(G.add(a, c), G.add(b, d)) for (a, b), (c, d) in zip(r1, r2, strict=True)]
                    for r1, r2 in zip(total, part, strict=True)
                ]
        counted = [(i, p) for i, p, c in work if c]
        return counted, total

    def _tally(self, payload: object, cts: list[list[tuple[bytes, bytes]]], report: Report) -> None:
        p = _keys(payload, {"ballots", "total_weight", "ciphertexts"}, "the tally")
        if p["ballots"] != report.counted:
            raise _Bad(f"the tally counts {p['ballots']} ballots; the board has {report.counted}")
        if p["total_weight"] != report.total_weight:
            raise _Bad("the tally's total weight differs from the counted ballots' weights")
        expected = [[[a.hex(), b.hex()] for a, b in row] for row in cts]
        if p["ciphertexts"] != expected:
            raise _Bad("the encrypted tally is not the product of the counted ballots")

    def _partial(self, payload: object, partials: dict[int, list[list[bytes]]]) -> None:
        p = _keys(payload, {"trustee", "factors"}, "the partial decryption")
        j = p["trustee"]
        if j not in self.vks or j in partials:
            raise _Bad("a partial decryption from an unknown trustee, or a second one")
        rows = _list(p["factors"], len(self.tally_cts), "the factors")
        out = []
        for q, (row, cts) in enumerate(zip(rows, self.tally_cts, strict=True)):
            factors = []
            for e, (f, (alpha, _)) in enumerate(
                zip(_list(row, len(cts), "factors"), cts, strict=True)
            ):
                f = _keys(f, {"factor", "proof"}, "a factor")
                factor = _pt(f["factor"], "a decryption factor")
                what = f"the decryption proof of question {q + 1}, answer {e + 1}"
                _decryption(f["proof"], self.vks[j], alpha, factor, self.phi, what)
                factors.append(factor)
            out.append(factors)
        partials[j] = out

    def _result(
        self, payload: object, partials: dict[int, list[list[bytes]]], total: int
    ) -> list[list[int]]:
        keys = {"trustees", "counts", "outcome"} if self.outcome_keys else {"trustees", "counts"}
        p = _keys(payload, keys, "the result")
        used = _list(p["trustees"], None, "the result's trustees")
        if len(set(used)) != len(used) or len(used) < self.t or not set(used) <= set(partials):
            raise _Bad("the result must use at least the threshold of published decryptions")
        lam = {}
        for j in used:
            num = den = 1
            for k in used:
                if k != j:
                    num, den = num * k % G.L, den * (k - j) % G.L
            lam[j] = num * pow(den, -1, G.L) % G.L
        counts = _list(p["counts"], len(self.tally_cts), "the counts")
        for q, (row, cts) in enumerate(zip(counts, self.tally_cts, strict=True)):
            for e, (n, (_, beta)) in enumerate(
                zip(_list(row, len(cts), "counts"), cts, strict=True)
            ):
                n = _int(n, "a count")
                if n > total:
                    raise _Bad("a count is larger than the total weight")
                f = G.IDENTITY
                for j in used:
                    f = G.add(f, G.mul(lam[j], partials[j][q][e]))
                if G.add(G.base(n), f) != beta:
                    raise _Bad(f"the count of question {q + 1}, answer {e + 1} is not the tally's")
        return counts

    # --- a consultation's board -------------------------------------------------------------

    def _consultation(self) -> Report:
        """A consultation's board: after the election key, the ``consultation`` record (rule,
        quorum, majority, the consulted assemblies frozen at opening), an ``assembly_tally``
        per assembly that voted (checked against that assembly's own board, given in the file
        under ``assemblies``), the ``aggregates`` (their products by member body, sector,
        region and in total), partial decryptions of the aggregates, and the result with the
        rule's count recomputed here."""
        index, payload = self._expect("consultation") or (0, None)
        self.key_index = index - 1  # the election key: the last record of the ceremony
        self._check(index, self._consultation_record, payload)
        report = self._report("voting")
        self.tallies: dict[int, list[tuple[bytes, bytes]]] = {}
        self.seen_credentials: set[str] = set()
        self.extra_weight: dict[int, int] = {}
        self.bound = 0
        for index, payload in self._at("assembly_tally"):
            self._check(index, self._assembly_tally, payload, report)
        got = self._expect("aggregates")
        if got is None:
            return report
        self._check(got[0], self._aggregates, got[1])
        report.groups = [(g["group"], g["key"]) for g in got[1]["groups"]]
        partials: dict[int, list[list[bytes]]] = {}
        for index, payload in self._at("partial_decryption"):
            self._check(index, self._partial, payload, partials)
        report.phase = "tally"
        got = self._expect("result")
        if got is None:
            if self.pos < len(self.records):
                r = self.records[self.pos]
                raise Invalid(
                    self.pos, r["kind"], "a partial decryption or the result was expected"
                )
            return report
        self.outcome_keys = True
        report.result = self._check(got[0], self._result, got[1], partials, self.bound)
        report.outcome = self._check(got[0], self._outcome, got[1]["outcome"], report.result)
        report.not_counted = self.not_counted
        if self.pos < len(self.records):
            r = self.records[self.pos]
            raise Invalid(self.pos, r["kind"], "nothing may follow the result")
        report.phase = "result"
        return report

    def _consultation_record(self, payload: object) -> None:
        p = _keys(
            payload,
            {"consultation", "rule", "quorum_percent", "majority", "assemblies"},
            "the consultation",
        )
        _int(p["consultation"], "the consultation's id")
        if p["rule"] not in RULES or p["majority"] not in MAJORITIES:
            raise _Bad("unknown rule or majority")
        if _int(p["quorum_percent"], "the quorum") > 100:
            raise _Bad("the quorum is a percentage")
        fields = {"assembly", "member_of", "electorate", "weight", "sectors", "region"}
        self.consulted: dict[int, dict[str, Any]] = {}
        previous = 0
        for a in _list(p["assemblies"], None, "the assemblies"):
            a = _keys(a, fields, "an assembly")
            body = _int(a["assembly"], "an assembly's id", 1)
            if body <= previous:
                raise _Bad("the assemblies must be distinct and sorted")
            previous = body
            _int(a["member_of"], "a member body's id")
            _int(a["electorate"], "an electorate")
            _int(a["weight"], "a weight")
            sectors = _list(a["sectors"], None, "the sectors")
            if not all(isinstance(x, str) for x in sectors) or sectors != sorted(set(sectors)):
                raise _Bad("an assembly's sectors must be distinct sorted text")
            if not isinstance(a["region"], str):
                raise _Bad("a region must be text")
            self.consulted[body] = a
        if len(self.questions) != 1 or self.questions[0] != (3, 1, 1):
            raise _Bad("a consultation asks one yes / no / abstain question")
        self.consultation = p

    def _assembly_tally(self, payload: object, report: Report) -> None:
        p = _keys(
            payload,
            {"assembly", "head", "length", "ballots", "total_weight", "ciphertexts"},
            "the assembly's tally",
        )
        body = p["assembly"]
        if body not in self.consulted or body in self.tallies:
            raise _Bad("a tally of an assembly not consulted, or a second one")
        boards = self.assemblies if isinstance(self.assemblies, dict) else {}
        board = boards.get(str(body))
        if board is None:
            raise _Bad(f"the board of assembly {body} is not in the file")
        try:
            own = verify_board(board, self.workers)
        except Invalid as invalid:
            raise _Bad(f"assembly {body}'s board fails at {invalid}") from None
        records = board["records"]
        prefix = self.key_index
        if len(records) <= prefix or records[prefix]["hash"] != self.records[prefix]["hash"]:
            raise _Bad(f"assembly {body}'s board does not start with this election key")
        if own.phase != "tally" or records[-1]["kind"] != "tally":
            raise _Bad(f"assembly {body}'s board does not end with its tally")
        if (p["head"], p["length"]) != (own.head, own.records):
            raise _Bad(f"the head or length of assembly {body}'s board differs")
        if (p["ballots"], p["total_weight"]) != (own.counted, own.total_weight):
            raise _Bad(f"the ballots or total weight of assembly {body} differ from its board")
        if p["ciphertexts"] != records[-1]["payload"]["ciphertexts"]:
            raise _Bad(f"the encrypted tally differs from assembly {body}'s board")
        extra = 0
        for r in records:
            if r["kind"] == "credentials":
                for c in r["payload"]["credentials"]:
                    if c["credential"] in self.seen_credentials:
                        raise _Bad("a credential is registered in two assemblies")
                    self.seen_credentials.add(c["credential"])
                    extra += c["weight"] - 1
        # its electors' weight above 1: the assembly's electorate in the units of its counts
        self.extra_weight[body] = extra
        (row,) = p["ciphertexts"]
        self.tallies[body] = [(_pt(a, "a ciphertext"), _pt(b, "a ciphertext")) for a, b in row]
        self.bound += own.total_weight
        report.ballots += own.ballots
        report.counted += own.counted
        report.total_weight += own.total_weight

    def _expected_groups(self) -> list[dict[str, Any]]:
        tallied = list(self.tallies)
        buckets: dict[str, dict[str, list[int]]] = {"member": {}, "sector": {}, "region": {}}
        for body in tallied:
            a = self.consulted[body]
            buckets["member"].setdefault(str(a["member_of"]), []).append(body)
            for sector in a["sectors"] or [""]:
                buckets["sector"].setdefault(sector, []).append(body)
            buckets["region"].setdefault(a["region"], []).append(body)
        groups = [{"group": "assembly", "key": str(b), "assemblies": [b]} for b in tallied]
        for name in ("member", "sector", "region"):
            for key in sorted(buckets[name]):
                groups.append({"group": name, "key": key, "assemblies": sorted(buckets[name][key])})
        groups.append({"group": "total", "key": "", "assemblies": sorted(tallied)})
        return groups

    def _aggregates(self, payload: object) -> None:
        p = _keys(payload, {"groups", "ciphertexts"}, "the aggregates")
        if not self.tallies:
            raise _Bad("aggregates without any assembly's tally")
        if p["groups"] != self._expected_groups():
            raise _Bad("the aggregates are not the groups of the assemblies' tallies")
        rows = _list(p["ciphertexts"], len(p["groups"]), "the aggregates' ciphertexts")
        self.tally_cts = []
        for g, row in zip(p["groups"], rows, strict=True):
            product = [(G.IDENTITY, G.IDENTITY)] * 3
            for body in g["assemblies"]:
                product = [
                    (G.add(a, c), G.add(b, d))
                    for (a, b), (c, d) in zip(product, self.tallies[body], strict=True)
                ]
            if row != [[a.hex(), b.hex()] for a, b in product]:
                raise _Bad(
                    f"the aggregate {g['group']} {g['key']!r} is not the product of its tallies"
                )
            self.tally_cts.append(product)

    def _outcome(self, outcome: object, counts: list[list[int]]) -> list[dict[str, Any]]:
        """The consultation's count by its rule, recomputed from the decrypted tallies of the
        assemblies and what was frozen at opening; it must be the result's ``outcome``."""
        c = self.consultation
        decided: dict[int, list[int]] = {}
        self.not_counted: list[int] = []
        for (group, key), row in zip(
            [(g["group"], g["key"]) for g in self._expected_groups()], counts, strict=True
        ):
            if group != "assembly":
                continue
            body = int(key)
            # the counts are weighted by the electors' vote weights: the bound is the electorate
            # frozen at opening in the same units (each registered elector weighing more than 1
            # adds its weight above 1); an assembly's count above it is not counted (as the
            # server does not count it)
            if sum(row) <= self.consulted[body]["electorate"] + self.extra_weight[body]:
                decided[body] = row
            else:
                self.not_counted.append(body)
        member: dict[str, list[int]] = {}
        sector: dict[str, list[int]] = {}
        region: dict[str, list[int]] = {}
        for body, a in self.consulted.items():
            member.setdefault(str(a["member_of"]), []).append(body)
            for s in a["sectors"] or [""]:
                sector.setdefault(s, []).append(body)
            region.setdefault(a["region"], []).append(body)
        expected = [self._rule_group("total", "", list(self.consulted), decided)]
        for name, table in (("member", member), ("sector", sector), ("region", region)):
            expected += [self._rule_group(name, k, table[k], decided) for k in sorted(table)]
        expected += [self._rule_group("assembly", str(b), [b], decided) for b in self.consulted]
        if outcome != expected:
            raise _Bad(f"the {c['rule']} count of the decrypted tallies differs from the result")
        return expected

    def _rule_group(
        self, group: str, key: str, bodies: list[int], decided: dict[int, list[int]]
    ) -> dict[str, Any]:
        c = self.consultation
        yes = no = abstain = electorate = 0
        for body in bodies:
            a = self.consulted[body]
            row = decided.get(body)
            if c["rule"] == "head_count":
                electorate += a["electorate"]
                if row is not None:
                    electorate += self.extra_weight[body]
                    yes, no, abstain = yes + row[0], no + row[1], abstain + row[2]
                continue
            unit = 1 if c["rule"] == "majority_of_bodies" else a["weight"]
            electorate += unit
            if row is not None:
                if row[0] > row[1]:
                    yes += unit
                elif row[1] > row[0]:
                    no += unit
                else:
                    abstain += unit
        cast, q = yes + no + abstain, c["quorum_percent"]
        quorum = q == 0 or (electorate > 0 and cast * 100 >= q * electorate)
        majority = {
            "simple": yes > no,
            "absolute": 2 * yes > electorate,
            "two_thirds": yes > 0 and 3 * yes >= 2 * (yes + no),
        }[c["majority"]]
        return {
            "group": group,
            "key": key,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "electorate": electorate,
            "quorum_met": quorum,
            "majority_met": majority,
            "adopted": quorum and majority,
        }


def _chunks(work: list[Any], workers: int) -> list[list[Any]]:
    if not work:
        return []
    size = max(50, -(-len(work) // (workers * 8)))
    return [work[i : i + size] for i in range(0, len(work), size)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="asamblea verify-election",
        description="Verify a verifiable election's bulletin board from the board alone.",
    )
    parser.add_argument("board", help="the board, as JSON (downloaded from the vote's page)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    try:
        with open(args.board, encoding="utf-8") as f:
            data = loads(f.read())
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.board}: {exc}", file=sys.stderr)
        return 2
    try:
        report = verify_board(data, workers=args.workers)
    except Invalid as invalid:
        print(f"FAILED at {invalid}")
        return 1
    print(f"OK: {report.records} records verify; head {report.head}")
    print(f"phase: {report.phase}; ballots on the board: {report.ballots}; ", end="")
    print(f"counted (last per credential): {report.counted}; total weight {report.total_weight}")
    if report.outcome is not None and report.groups is not None:
        for (group, key), counts in zip(report.groups, report.result or [], strict=True):
            print(f"decrypted {group} {key}: yes {counts[0]}, no {counts[1]}, abstain {counts[2]}")
        for body in report.not_counted or []:
            print(f"not counted: assembly {body} (its count exceeds its electorate)")
        for g in report.outcome:
            verdict = "adopted" if g["adopted"] else "not adopted"
            print(
                f"by the rule, {g['group']} {g['key']}: yes {g['yes']}, no {g['no']}, "
                f"abstain {g['abstain']} of {g['electorate']}: {verdict}"
            )
    if report.result is not None and report.answers is not None:
        for q, (answers, counts) in enumerate(zip(report.answers, report.result, strict=True)):
            line = ", ".join(f"{a}: {n}" for a, n in zip(answers, counts, strict=True))
            print(f"question {q + 1}: {line}")
    return 0
