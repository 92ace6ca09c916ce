"""The shared test vectors (``vectors.json``) hold on the Python side; ``node --test`` checks the
same file on the JavaScript side (``asamblea/verifiable/node/vectors.test.mjs``), run from here.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import credentials, elgamal
from asamblea.verifiable.core.encoding import canonical, hash_to_scalar, hx, sx, tag
from asamblea.verifiable.tests.boards import rechain
from asamblea.verifiable.tests.test_node_verifier import node
from asamblea.verifiable.verifier import Invalid, verify_board

HERE = Path(__file__).resolve().parent
VECTORS = json.loads((HERE / "vectors.json").read_text())
NODE_TESTS = HERE.parent / "node" / "vectors.test.mjs"


def apply(board: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    board = copy.deepcopy(board)
    if "delete" in case:
        del board["records"][case["delete"]]
    else:
        *path, last = case["path"]
        target: Any = board["records"]
        for step in path:
            target = target[step]
        target[last] = case["value"]
    return rechain(board) if case["rechain"] else board


def test_hashes_to_scalars() -> None:
    for v in VECTORS["hash_to_scalar"]:
        parts = [bytes.fromhex(p) for p in v["parts"]]
        assert sx(hash_to_scalar(tag(v["name"]), *parts)) == v["scalar"]


def test_canonical_json() -> None:
    for v in VECTORS["canonical"]:
        assert canonical(v["value"]).decode() == v["text"]


def test_credentials_and_encryption() -> None:
    for v in VECTORS["credentials"]:
        public = credentials.public(credentials.secret(v["election"], v["code"]))
        assert hx(public) == v["public"]
    for v in VECTORS["encryption"]:
        r = int.from_bytes(bytes.fromhex(v["r"]), "little")
        (a, b), _ = elgamal.encrypt(bytes.fromhex(v["public_key"]), v["m"], r)
        assert (hx(a), hx(b)) == (v["alpha"], v["beta"])


def test_the_vector_board_verifies_with_its_result() -> None:
    report = verify_board(VECTORS["board"]["board"])
    assert report.result == VECTORS["board"]["result"]


@pytest.mark.parametrize("case", VECTORS["tamper"], ids=lambda c: c["name"])
def test_each_vector_tampering_is_named(case: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as caught:
        verify_board(apply(VECTORS["board"]["board"], case))
    assert caught.value.index == case["index"]


def test_javascript_side_of_the_vectors_and_its_ballots_verify_here(tmp_path: Path) -> None:
    """``node --test`` checks every vector with ballot.js and the Node verifier, and writes the
    ballots ballot.js made (and an audited one with its opening) for Python to check."""
    out = tmp_path / "js-ballots.json"
    done = subprocess.run(  # noqa: S603 - our own test file
        [node(), "--test", "--test-reporter=spec", str(NODE_TESTS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "JS_BALLOTS_OUT": str(out)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    made = json.loads(out.read_text())
    board = VECTORS["board"]["board"]
    manifest, key = (
        board["records"][0],
        next(r for r in board["records"] if r["kind"] == "election_key"),
    )
    election = B.Election(
        bytes.fromhex(manifest["hash"]),
        bytes.fromhex(key["payload"]["public_key"]),
        tuple(
            B.Question(len(q["answers"]), q["min"], q["max"])
            for q in manifest["payload"]["questions"]
        ),
    )
    for ballot in made["cast"]:
        assert B.verify(election, ballot)
    audited = made["audited"]
    assert B.verify(election, audited["ballot"])
    assert B.check_opening(election, audited["ballot"], audited["opening"]) == audited["choices"]
    assert B.tracker(audited["ballot"]) == audited["tracker"]
    # The JavaScript ballots, cast on the open board, verify and count in Python's verifier.
    open_board = copy.deepcopy(board)
    cut = next(i for i, r in enumerate(board["records"]) if r["kind"] == "tally")
    open_board["records"] = open_board["records"][:cut]
    for ballot in made["cast"]:
        open_board["records"].append(
            {"index": 0, "kind": "ballot", "previous": "", "payload": ballot, "hash": ""}
        )
    report = verify_board(rechain(open_board))
    assert report.ballots == cut - 9 + len(made["cast"])
