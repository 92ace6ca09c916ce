"""Ballots encrypted by ballot.js in Chromium verify on the server (issue 15).

The page imports the module as a browser does (from the static files the site serves), encrypts a
ballot for the election of the shared test vectors, audits another one; Python's core and
verifier then check what Chromium made.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.tests.boards import rechain
from asamblea.verifiable.verifier import verify_board

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "asamblea/verifiable/tests/vectors.json").read_text()
)

SCRIPT = """async ([board, code]) => {
  const m = await import('/static/asamblea/verifiable/ballot.js');
  const election = m.electionFromBoard(board);
  const cred = m.deriveCredential(election.id, code);
  const cast = m.encryptBallot(election, cred.secret, [[0, 1, 0], [1, 0, 1]]);
  const audited = m.encryptBallot(election, cred.secret, [[0, 0, 1], [0, 0, 0]]);
  const opened = m.checkOpening(election, audited.ballot, audited.opening);
  return { cast, audited, opened };
}"""


def _election(board: dict) -> B.Election:  # type: ignore[type-arg]
    manifest = board["records"][0]
    key = next(r for r in board["records"] if r["kind"] == "election_key")
    questions = tuple(
        B.Question(len(q["answers"]), q["min"], q["max"]) for q in manifest["payload"]["questions"]
    )
    return B.Election(
        bytes.fromhex(manifest["hash"]), bytes.fromhex(key["payload"]["public_key"]), questions
    )


def test_a_ballot_encrypted_in_chromium_verifies_and_counts_on_the_server(browser, site):
    board = VECTORS["board"]["board"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + "/")
    made = page.evaluate(SCRIPT, [board, VECTORS["board"]["codes"][1]])
    context.close()

    election = _election(board)
    assert B.verify(election, made["cast"]["ballot"])
    assert B.tracker(made["cast"]["ballot"]) == made["cast"]["tracker"]
    assert made["opened"] == [[0, 0, 1], [0, 0, 0]]
    audited = made["audited"]
    assert B.check_opening(election, audited["ballot"], audited["opening"]) == made["opened"]
    # Cast on the open board (before the tally), it replaces voter 1's ballot and verifies.
    open_board = copy.deepcopy(board)
    cut = next(i for i, r in enumerate(board["records"]) if r["kind"] == "tally")
    open_board["records"] = open_board["records"][:cut]
    ballot = made["cast"]["ballot"]
    open_board["records"].append(
        {"index": 0, "kind": "ballot", "previous": "", "payload": ballot, "hash": ""}
    )
    report = verify_board(rechain(open_board))
    assert (report.phase, report.ballots, report.counted, report.total_weight) == (
        "voting",
        4,
        2,
        3,
    )
