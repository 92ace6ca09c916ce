"""The independent JavaScript verifier (Node) agrees with the Python one on every test board.

Node is required (Debian's ``nodejs``; ``.ci/run`` installs it): without it these tests fail, they
are not skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from asamblea.verifiable.tests import boards
from asamblea.verifiable.verifier import Invalid, loads, verify_board

VERIFIER = Path(__file__).resolve().parents[1] / "node" / "verify-election.mjs"


def node() -> str:
    path = shutil.which("node")
    assert path, "Node.js is needed for the JavaScript verifier (apt-get install nodejs)"
    return path


def run_node(tmp_path: Path, *named: dict[str, Any], extra: tuple[str, ...] = ()) -> list[Any]:
    """Run Node once on several boards; one JSON verdict per board, in order."""
    paths = []
    for k, board in enumerate(named):
        path = tmp_path / f"board-{k}.json"
        path.write_text(json.dumps(board, ensure_ascii=False))
        paths.append(str(path))
    done = subprocess.run(  # noqa: S603 - our own script on files we wrote
        [node(), str(VERIFIER), *paths, "--json", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def python_verdict(board: dict[str, Any]) -> int | None:
    try:
        verify_board(board)
    except Invalid as invalid:
        return invalid.index
    return None


def test_node_verifies_the_honest_board_with_the_same_result(tmp_path: Path) -> None:
    board = boards.honest()
    out, threaded = run_node(tmp_path, board, board, extra=("--workers", "2"))
    for verdict in (out, threaded):
        assert verdict["ok"] is True
        assert verdict["result"] == [[3, 3, 1]]
        assert (verdict["ballots"], verdict["counted"], verdict["total_weight"]) == (5, 4, 7)
        assert verdict["head"] == board["records"][-1]["hash"]


def _number_cases() -> list[tuple[str, str, int | None]]:
    """Board texts with numbers JSON allows but canonical JSON does not hold the same everywhere."""
    board = boards.honest()
    i = boards.first(board, "credentials")
    heavy = next(c for c in board["records"][i]["payload"]["credentials"] if c["weight"] == 3)
    text = json.dumps(board)
    cases = [("integral written as 3.0", text.replace('"weight": 3}', '"weight": 3.0}'), None)]
    heavy["weight"] = 2**53 + 1
    cases.append(("beyond 2^53", json.dumps(boards.rechain(board)), i))
    board = boards.honest()
    board["records"][i]["payload"]["credentials"][0]["weight"] = 1.5
    cases.append(("a fraction", json.dumps(boards.rechain(board)), i))
    return cases


def test_both_read_numbers_the_same_way(tmp_path: Path) -> None:
    cases = _number_cases()
    paths = []
    for k, (_, text, _) in enumerate(cases):
        path = tmp_path / f"numbers-{k}.json"
        path.write_text(text)
        paths.append(str(path))
    done = subprocess.run(  # noqa: S603 - our own script on files we wrote
        [node(), str(VERIFIER), *paths, "--json"], capture_output=True, text=True, check=False
    )
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    for (name, text, index), verdict in zip(cases, verdicts, strict=True):
        assert python_verdict(loads(text)) == index, name
        assert (verdict["ok"], verdict.get("index")) == (index is None, index), name


def test_node_and_python_name_the_same_record_for_every_tampering(tmp_path: Path) -> None:
    cases = {**boards.tampered(), **boards.unchained()}
    names = sorted(cases)
    verdicts = run_node(tmp_path, *(cases[n][0] for n in names))
    assert len(verdicts) == len(names)
    for name, verdict in zip(names, verdicts, strict=True):
        board, index = cases[name]
        assert verdict["ok"] is False, name
        assert verdict["index"] == index == python_verdict(board), (name, verdict["reason"])


def test_node_and_python_agree_on_the_election_boards(tmp_path: Path) -> None:
    """Approval and plurality boards (one question, one entry per candidate, min / max from the
    manifest), honest and tampered: the same counts, the same record named."""
    honest = {"approval": boards.approval(), "plurality": boards.plurality()}
    cases = boards.election_tampered()
    names = sorted(cases)
    verdicts = run_node(tmp_path, *honest.values(), *(cases[n][0] for n in names))
    for (name, board), verdict in zip(honest.items(), verdicts, strict=False):
        report = verify_board(board)
        assert verdict["ok"] is True, name
        assert verdict["result"] == report.result, name
        assert (verdict["ballots"], verdict["counted"]) == (report.ballots, report.counted)
    for name, verdict in zip(names, verdicts[len(honest) :], strict=True):
        board, index = cases[name]
        assert verdict["ok"] is False, name
        assert verdict["index"] == index == python_verdict(board), (name, verdict["reason"])
