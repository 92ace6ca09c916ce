"""``asamblea verify-election``: an honest board verifies; each kind of tampering is named."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asamblea.cli import main as cli
from asamblea.verifiable.tests import boards
from asamblea.verifiable.verifier import Invalid, verify_board

TAMPERED = boards.tampered()
UNCHAINED = boards.unchained()


def test_an_honest_board_verifies_with_its_result() -> None:
    report = verify_board(boards.honest())
    assert report.phase == "result"
    assert report.ballots == 5 and report.counted == 4 and report.total_weight == 7
    assert report.result == [[3, 3, 1]]


def test_workers_give_the_same_report() -> None:
    assert verify_board(boards.honest(), workers=2) == verify_board(boards.honest())


@pytest.mark.parametrize("name", sorted(TAMPERED))
def test_tampering_is_named_at_its_record(name: str) -> None:
    board, index = TAMPERED[name]
    with pytest.raises(Invalid) as caught:
        verify_board(board)
    assert caught.value.index == index, str(caught.value)


@pytest.mark.parametrize("name", sorted(UNCHAINED))
def test_a_broken_chain_is_named_at_its_link(name: str) -> None:
    board, index = UNCHAINED[name]
    with pytest.raises(Invalid) as caught:
        verify_board(board)
    assert caught.value.index == index
    assert "link" in caught.value.reason


def test_a_ballot_failure_in_a_later_worker_chunk_is_still_the_first() -> None:
    board, index = TAMPERED["credential signature"]
    with pytest.raises(Invalid) as caught:
        verify_board(board, workers=2)
    assert caught.value.index == index


def test_a_board_still_open_verifies_its_ballots() -> None:
    board = boards.honest()
    board["records"] = board["records"][: boards.first(board, "tally")]
    report = verify_board(board)
    assert (report.phase, report.ballots, report.result) == ("voting", 5, None)


def test_nothing_may_follow_the_result() -> None:
    board = boards.honest()
    board["records"].append(dict(board["records"][boards.first(board, "ballot")]))
    with pytest.raises(Invalid) as caught:
        verify_board(boards.rechain(board))
    assert caught.value.index == len(board["records"]) - 1


def test_a_ballot_after_the_tally_is_refused() -> None:
    board = boards.honest()
    ballot = board["records"][boards.first(board, "ballot")]
    board["records"].insert(boards.first(board, "partial_decryption"), dict(ballot))
    with pytest.raises(Invalid) as caught:
        verify_board(boards.rechain(board))
    assert caught.value.index == boards.first(board, "tally") + 1


def test_the_command_prints_the_result(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "board.json"
    path.write_text(json.dumps(boards.honest()))
    with pytest.raises(SystemExit) as done:
        cli(["verify-election", str(path), "--workers", "1"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "yes: 3, no: 3, abstain: 1" in out


def test_the_command_names_the_failing_record(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    board, index = TAMPERED["partial decryption"]
    path = tmp_path / "board.json"
    path.write_text(json.dumps(board))
    with pytest.raises(SystemExit) as done:
        cli(["verify-election", str(path), "--workers", "1"])
    assert done.value.code == 1
    assert f"record {index} (partial_decryption)" in capsys.readouterr().out


def test_the_command_refuses_a_file_that_is_not_json(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "board.json"
    path.write_text("{not json")
    with pytest.raises(SystemExit) as done:
        cli(["verify-election", str(path)])
    assert done.value.code == 2


@pytest.mark.parametrize(
    "board", [None, [], {"board": "other"}, {"board": "asamblea-verifiable/1"}]
)
def test_something_that_is_not_a_board_is_refused(board: object) -> None:
    with pytest.raises(Invalid):
        verify_board(board)


def test_the_verifier_shares_only_group_arithmetic_with_the_writer() -> None:
    """An independent verifier: of the project's code it imports nothing but ``core.group``."""
    import ast
    from pathlib import Path

    import asamblea.verifiable.verifier as verifier

    tree = ast.parse(Path(verifier.__file__).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    ours = {name for name in imported if name.startswith("asamblea")}
    assert ours == {"asamblea.verifiable.core.group"}


def _leaves(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_edit_of_a_re_chained_board_is_refused_or_harmless_never_a_crash(data) -> None:  # type: ignore[no-untyped-def]
    """Hostile boards: whatever value is changed, the verifier answers (OK or a named record)."""
    board = boards.honest()
    index = data.draw(st.integers(0, len(board["records"]) - 1))
    leaves = _leaves(board["records"][index]["payload"])
    path = data.draw(st.sampled_from(leaves))
    value = data.draw(
        st.one_of(
            st.integers(-(2**60), 2**60),
            st.text(max_size=70),
            st.sampled_from(["00" * 32, "ff" * 32, boards.other_point()]),
            st.none(),
            st.lists(st.integers(0, 3), max_size=3),
            st.floats(allow_nan=False),
        )
    )
    target = board["records"][index]["payload"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    try:
        verify_board(boards.rechain(board))
    except Invalid as invalid:
        assert invalid.index >= index


ELECTION_TAMPERED = boards.election_tampered()


def test_approval_and_plurality_election_boards_verify_with_their_counts() -> None:
    approval = verify_board(boards.approval())
    assert approval.result == [[2, 4, 3, 3]]
    assert (approval.ballots, approval.counted, approval.total_weight) == (4, 3, 4)
    plurality = verify_board(boards.plurality())
    assert plurality.result == [[1, 0, 1, 2]] and plurality.counted == 3


@pytest.mark.parametrize("name", sorted(ELECTION_TAMPERED))
def test_election_board_tampering_is_named_at_its_record(name: str) -> None:
    board, index = ELECTION_TAMPERED[name]
    with pytest.raises(Invalid) as caught:
        verify_board(board)
    assert caught.value.index == index, str(caught.value)
