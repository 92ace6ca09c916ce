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
from asamblea.verifiable.verifier import Invalid, verify_board

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


def test_node_and_python_name_the_same_record_for_every_tampering(tmp_path: Path) -> None:
    cases = {**boards.tampered(), **boards.unchained()}
    names = sorted(cases)
    verdicts = run_node(tmp_path, *(cases[n][0] for n in names))
    assert len(verdicts) == len(names)
    for name, verdict in zip(names, verdicts, strict=True):
        board, index = cases[name]
        assert verdict["ok"] is False, name
        assert verdict["index"] == index == python_verdict(board), (name, verdict["reason"])
