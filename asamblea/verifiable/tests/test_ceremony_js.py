"""The trustees' crypto module (ceremony.js, used by the trustee page) against the Python core.

``node --test`` runs ``asamblea/verifiable/node/ceremony.test.mjs``: a whole ceremony in JavaScript,
then trustees 1 and 2 in JavaScript with trustee 3 played here. What JavaScript posted is checked
with the server's checks (``core.trustees.check_*``, ``core.channel``), and a board made of it
verifies with ``asamblea verify-election``'s verifier: the key the JavaScript trustees built
decrypts a tally, with a JavaScript partial decryption and a Python one.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import channel, credentials, tally, trustees
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core import simulation as S
from asamblea.verifiable.core.board import Board
from asamblea.verifiable.core.encoding import hx, parse_point
from asamblea.verifiable.tests.test_node_verifier import node
from asamblea.verifiable.verifier import verify_board

NODE_TESTS = Path(__file__).resolve().parents[1] / "node" / "ceremony.test.mjs"
CEREMONY = "vote-7/ceremony-1"


def _run_node(tmp_path: Path, given: dict[str, Any]) -> dict[str, Any]:
    (tmp_path / "in.json").write_text(json.dumps(given))
    done = subprocess.run(  # noqa: S603 - our own test file
        [node(), "--test", "--test-reporter=tap", str(NODE_TESTS)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            "TRUSTEE_IN": str(tmp_path / "in.json"),
            "TRUSTEE_OUT": str(tmp_path / "out.json"),
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# pass 5" in done.stdout and "# skipped 0" in done.stdout, done.stdout
    return json.loads((tmp_path / "out.json").read_text())  # type: ignore[no-any-return]


def test_javascript_trustees_and_a_python_trustee_make_a_key_that_decrypts(tmp_path: Path) -> None:
    board = Board()
    election_id = "vote-7"
    manifest = S.manifest(election_id, "Huelga", [("¿Huelga?", S.YES_NO_ABSTAIN, 1, 1)], 3, 2)
    phi = bytes.fromhex(board.append("manifest", manifest)["hash"])
    codes = {i: credentials.new_code() for i in (1, 2, 3)}
    derived = {i: trustees.derive(CEREMONY, codes[i], 2) for i in (1, 2, 3)}
    channel_keys = {i: G.base(derived[i][0]) for i in (1, 2, 3)}
    c3, poly3 = derived[3]
    messages_3 = [
        channel.encrypt_share(phi, 3, c3, j, channel_keys[j], trustees.evaluate(poly3, j))
        for j in (1, 2)
    ]
    bad = channel.encrypt_share(phi, 3, c3, 1, channel_keys[1], trustees.evaluate(poly3, 1) + 1)
    # A tally to decrypt: three voters' ballots under the key the ceremony will give.
    commitment_3 = trustees.commitment_payload(phi, 3, poly3)
    given = {
        "fingerprint": hx(phi),
        "ceremony": CEREMONY,
        "threshold": 2,
        "codes": {str(i): codes[i] for i in (1, 2)},
        "expected_channel_keys": {str(i): hx(channel_keys[i]) for i in (1, 2)},
        "channel_key_3": channel.channel_key_payload(phi, 3, c3),
        "commitment_3": commitment_3,
        "messages_3": messages_3,
        "bad_message": bad,
        "tally": [],
    }
    # The election key follows from the codes (the polynomials are derived from them), so the
    # tally to decrypt can be made before JavaScript runs.
    commitments = {i: [G.base(a) for a in derived[i][1]] for i in (1, 2, 3)}
    public_key = trustees.election_key([commitments[i][0] for i in (1, 2, 3)])
    election = B.Election(phi, public_key, (B.Question(3, 1, 1),))
    voter_codes = [credentials.new_code() for _ in range(3)]
    weights = {
        hx(credentials.public(credentials.secret(election_id, c))): w
        for c, w in zip(voter_codes, (1, 2, 1), strict=True)
    }
    ballots = [
        B.encrypt(election, credentials.secret(election_id, c), [pick])[0]
        for c, pick in zip(voter_codes, ([1, 0, 0], [1, 0, 0], [0, 0, 1]), strict=True)
    ]
    t, count, total = tally.accumulate(ballots, weights, [3])
    given["tally"] = [[[hx(a), hx(b)] for a, b in row] for row in t]
    out = _run_node(tmp_path, given)

    # The server's checks accept everything the JavaScript trustees posted.
    for i in (1, 2):
        assert channel.check_channel_key(phi, i, out["channel_keys"][str(i)])
        assert trustees.check_commitment(phi, i, 2, out["commitments"][str(i)])
        assert out["commitments"][str(i)]["coefficients"] == [hx(a) for a in commitments[i]]
        assert trustees.check_key(phi, i, out["keys"][str(i)], list(commitments.values()))
    js_keys = {i: parse_point(out["channel_keys"][str(i)]["channel_key"]) for i in (1, 2)}
    for m in out["messages"]:
        assert channel.check_message(phi, m, js_keys[m["sender"]])
    # Trustee 3 (Python) opens the JavaScript shares, checks them, and builds its key share.
    x3 = trustees.evaluate(poly3, 3)
    for m in (m for m in out["messages"] if m["receiver"] == 3):
        share = channel.decrypt_share(phi, c3, m)
        assert share is not None
        assert trustees.check_share(commitments[m["sender"]], 3, share)
        x3 = (x3 + share) % G.L
    assert G.base(x3) == trustees.expected_key(list(commitments.values()), 3)
    # The JavaScript complaint against Python's bad share names trustee 3; a false complaint by
    # trustee 3 against a good JavaScript share names trustee 3 as well (the accuser).
    assert (
        channel.judge(
            phi,
            out["complaint"],
            bad,
            accuser_key=js_keys[1],
            accused_key=channel_keys[3],
            accused_coefficients=commitments[3],
        )
        == 3
    )
    good = next(m for m in out["messages"] if (m["sender"], m["receiver"]) == (2, 3))
    false = channel.complaint_payload(phi, c3, good)
    verdict = channel.judge(
        phi,
        false,
        good,
        accuser_key=channel_keys[3],
        accused_key=js_keys[2],
        accused_coefficients=commitments[2],
    )
    assert verdict == 3
    # A board of it all verifies: JavaScript trustee 1 and Python trustee 3 decrypt.
    for i in (1, 2):
        board.append("trustee_commitment", out["commitments"][str(i)])
    board.append("trustee_commitment", commitment_3)
    for i in (1, 2):
        board.append("trustee_key", out["keys"][str(i)])
    board.append("trustee_key", trustees.key_payload(phi, 3, x3))
    vks = [
        out["keys"]["1"]["verification_key"],
        out["keys"]["2"]["verification_key"],
        hx(G.base(x3)),
    ]
    board.append("election_key", {"public_key": hx(public_key), "verification_keys": vks})
    board.append(
        "credentials",
        {"credentials": [{"credential": c, "weight": weights[c]} for c in sorted(weights)]},
    )
    for b in ballots:
        board.append("ballot", b)
    board.append("tally", tally.tally_payload(t, count, total))
    partial_1 = out["partials"]["1"]
    assert trustees.check_partial_decryption(phi, 1, partial_1, parse_point(vks[0]), t)
    board.append("partial_decryption", partial_1)
    partial_3 = trustees.partial_decryption(phi, 3, x3, t)
    board.append("partial_decryption", partial_3)
    partials = {
        j: [[parse_point(f["factor"]) for f in row] for row in p["factors"]]
        for j, p in ((1, partial_1), (3, partial_3))
    }
    counts = tally.combine(t, partials, total)
    assert counts == [[3, 0, 1]]
    board.append("result", {"trustees": [1, 3], "counts": counts})
    report = verify_board(board.to_json())
    assert report.result == [[3, 0, 1]]


def test_the_servers_checks_refuse_what_does_not_hold() -> None:
    phi = bytes(range(32))
    c1, poly1 = trustees.derive("x", credentials.new_code(), 2)
    c2, poly2 = trustees.derive("x", credentials.new_code(), 2)
    key = channel.channel_key_payload(phi, 1, c1)
    assert channel.check_channel_key(phi, 1, key)
    assert not channel.check_channel_key(phi, 2, key)
    assert not channel.check_channel_key(phi, 1, {**key, "channel_key": "ff" * 32})
    assert not channel.check_channel_key(phi, 1, {"trustee": 1})
    commitment = trustees.commitment_payload(phi, 1, poly1)
    assert trustees.check_commitment(phi, 1, 2, commitment)
    assert not trustees.check_commitment(phi, 1, 3, commitment)
    swapped = copy.deepcopy(commitment)
    swapped["proofs"].reverse()
    assert not trustees.check_commitment(phi, 1, 2, swapped)
    assert not trustees.check_commitment(phi, 1, 2, {"trustee": 1, "coefficients": "x"})
    m = channel.encrypt_share(phi, 1, c1, 2, G.base(c2), trustees.evaluate(poly1, 2))
    assert channel.check_message(phi, m, G.base(c1))
    assert not channel.check_message(phi, m, G.base(c2))
    assert not channel.check_message(phi, {**m, "receiver": 3}, G.base(c1))
    assert not channel.check_message(phi, {**m, "ciphertext": "00"}, G.base(c1))
    assert channel.decrypt_share(phi, c2, m) == trustees.evaluate(poly1, 2)
    commitments = [[G.base(a) for a in poly1], [G.base(a) for a in poly2]]
    x1 = (trustees.evaluate(poly1, 1) + trustees.evaluate(poly2, 1)) % G.L
    good_key = trustees.key_payload(phi, 1, x1)
    assert trustees.check_key(phi, 1, good_key, commitments)
    assert not trustees.check_key(phi, 1, trustees.key_payload(phi, 1, x1 + 1), commitments)
    assert not trustees.check_key(phi, 2, good_key, commitments)
    alpha = G.base(5)
    tally_ = [[(alpha, G.base(6))]]
    partial = trustees.partial_decryption(phi, 1, x1, tally_)
    assert trustees.check_partial_decryption(phi, 1, partial, G.base(x1), tally_)
    assert not trustees.check_partial_decryption(phi, 1, partial, G.base(x1 + 1), tally_)
    assert not trustees.check_partial_decryption(
        phi, 1, partial, G.base(x1), [[(G.base(7), alpha)]]
    )
    assert not trustees.check_partial_decryption(
        phi, 1, {"trustee": 1, "factors": [[]]}, alpha, tally_
    )


def test_channel_key_fingerprints_are_the_same_in_javascript_and_python() -> None:
    """The fingerprint a trustee's browser computes of a channel key (``ceremony.js``) is the one
    the server's page shows (``core.channel.key_fingerprint``): 8 groups of 4 hex digits."""
    keys = [hx(G.base(k)) for k in (1, 2, 7, G.random_scalar(), G.random_scalar())]
    module = (NODE_TESTS.parents[2] / "static/asamblea/verifiable/ceremony.js").as_uri()
    script = (
        f"import {{ channelKeyFingerprint }} from {json.dumps(module)};\n"
        f"console.log(JSON.stringify({json.dumps(keys)}.map(channelKeyFingerprint)));"
    )
    done = subprocess.run(  # noqa: S603 - our own module
        [node(), "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    expected = [channel.key_fingerprint(k) for k in keys]
    assert json.loads(done.stdout) == expected
    assert all(len(f) == 39 and len(f.split(" ")) == 8 for f in expected)
    assert len(set(expected)) == len(keys)
