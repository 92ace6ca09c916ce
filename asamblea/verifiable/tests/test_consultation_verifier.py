"""Both verifiers on a verifiable consultation's board: the honest board verifies with the same
decrypted aggregates and the same count by the rule; every kind of new record, tampered with
and re-chained, is named by both at the same record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from asamblea.verifiable.tests import consultation_boards as CB
from asamblea.verifiable.tests.boards import bump_scalar, first
from asamblea.verifiable.tests.test_node_verifier import python_verdict, run_node
from asamblea.verifiable.verifier import Invalid, verify_board


def test_the_honest_consultation_verifies_with_its_breakdowns() -> None:
    report = verify_board(CB.honest())
    assert report.phase == "result"
    assert report.groups is not None and report.result is not None
    decrypted = dict(zip(report.groups, report.result, strict=True))
    assert decrypted[("assembly", "11")] == [2, 1, 0]
    assert decrypted[("assembly", "12")] == [0, 1, 1]
    assert decrypted[("sector", "students")] == [2, 2, 1]
    assert decrypted[("sector", "workers")] == [0, 1, 1]
    assert decrypted[("region", "Sur")] == [0, 1, 1]
    assert decrypted[("total", "")] == [2, 2, 1]
    assert ("assembly", "13") not in decrypted  # it never voted: nothing of it is decrypted
    assert report.outcome is not None
    total = report.outcome[0]
    assert (total["yes"], total["no"], total["electorate"], total["adopted"]) == (2, 2, 9, False)
    assert (report.ballots, report.counted) == (5, 5)


def test_the_weighted_rule_counts_each_assembly_with_its_weight() -> None:
    report = verify_board(CB.honest("weighted"))
    assert report.outcome is not None
    total = report.outcome[0]
    # 11 says yes with weight 4, 12 says no with weight 3, 13 did not decide (weight 2)
    assert (total["yes"], total["no"], total["abstain"], total["electorate"]) == (4, 3, 0, 9)
    assert total["adopted"] is True


def test_an_assembly_with_a_weighted_member_is_counted_in_vote_weights() -> None:
    """A member of 11 weighs 3: 11's decrypted yes 4, no 1 exceed its 4 people, but not its
    electorate in vote weights (4 + 2 from the credentials on its board): it is counted, and
    the head count's electorate is in the same units."""
    report = verify_board(CB.honest(table="weighted"))
    assert report.result is not None and report.groups is not None and report.outcome is not None
    decrypted = dict(zip(report.groups, report.result, strict=True))
    assert decrypted[("assembly", "11")] == [4, 1, 0]
    assert report.not_counted == []
    total = report.outcome[0]
    # 11: yes 4, no 1 of 6; 12: no 1, abstain 1 of 3; 13 did not vote: 2
    assert (total["yes"], total["no"], total["abstain"], total["electorate"]) == (4, 2, 1, 11)
    assert total["adopted"] is True
    by_body = {g["key"]: g for g in report.outcome if g["group"] == "assembly"}
    assert (by_body["11"]["yes"], by_body["11"]["electorate"]) == (4, 6)
    assert report.total_weight == 7


def test_a_count_above_the_electorate_is_not_counted() -> None:
    """12 counts 4 ballots with 3 electors at opening, all weighing 1: the verifier does not
    count it (as the server does not) and says so; a result that counts it is refused."""
    report = verify_board(CB.honest(table="stuffed"))
    assert report.not_counted == [12]
    assert report.outcome is not None
    total = report.outcome[0]
    assert (total["yes"], total["no"], total["abstain"], total["electorate"]) == (2, 1, 0, 9)
    forged = CB.counted_above_electorate()
    with pytest.raises(Invalid) as caught:
        verify_board(forged)
    assert caught.value.index == first(forged, "result")
    assert "count of the decrypted tallies differs" in caught.value.reason


def test_node_agrees_on_weighted_and_stuffed_assemblies(tmp_path: Path) -> None:
    boards = [
        CB.honest(table="weighted"),
        CB.honest("weighted", table="weighted"),
        CB.honest(table="stuffed"),
        CB.counted_above_electorate(),
    ]
    verdicts = run_node(tmp_path, *boards)
    for board, verdict in zip(boards[:3], verdicts[:3], strict=True):
        report = verify_board(board)
        assert verdict["ok"] is True, verdict
        assert verdict["result"] == report.result and verdict["outcome"] == report.outcome
        assert verdict["not_counted"] == report.not_counted
    assert verdicts[2]["not_counted"] == [12]
    assert verdicts[3]["ok"] is False
    assert verdicts[3]["index"] == first(boards[3], "result") == python_verdict(boards[3])


def tampered() -> dict[str, tuple[dict[str, Any], int]]:
    """Each kind of tampering with a consultation's board: the board and the record to name."""
    out: dict[str, tuple[dict[str, Any], int]] = {}

    b = CB.honest()
    i = first(b, "assembly_tally")
    b["records"][i]["payload"]["ballots"] += 1
    CB.rechain(b["records"], i)
    out["assembly tally's count"] = (b, i)

    b = CB.honest()
    i = first(b, "assembly_tally")
    j = i + 1
    b["records"][i]["payload"]["ciphertexts"] = b["records"][j]["payload"]["ciphertexts"]
    CB.rechain(b["records"], i)
    out["assembly tally swapped"] = (b, i)

    b = CB.honest()
    own = b["assemblies"]["11"]["records"]
    k = first({"records": own}, "ballot")
    proof = own[k]["payload"]["answers"][0]["proofs"][0]
    proof["responses"][0] = bump_scalar(proof["responses"][0])
    CB.rechain(own, k)
    out["a ballot in an assembly's board"] = (b, first(b, "assembly_tally"))

    b = CB.honest()
    del b["assemblies"]["12"]
    out["an assembly's board left out"] = (b, first(b, "assembly_tally") + 1)

    b = CB.honest()
    i = first(b, "aggregates")
    rows = b["records"][i]["payload"]["ciphertexts"]
    rows[-1] = rows[0]  # the total replaced by one assembly's tally
    CB.rechain(b["records"], i)
    out["an aggregate that is not the product"] = (b, i)

    b = CB.honest()
    i = first(b, "aggregates")
    payload = b["records"][i]["payload"]
    keep = [k for k, g in enumerate(payload["groups"]) if g["group"] != "region"]
    payload["groups"] = [payload["groups"][k] for k in keep]
    payload["ciphertexts"] = [payload["ciphertexts"][k] for k in keep]
    CB.rechain(b["records"], i)
    out["a breakdown left out of the aggregates"] = (b, i)

    b = CB.honest()
    i = first(b, "partial_decryption")
    factor = b["records"][i]["payload"]["factors"][2][1]
    factor["proof"]["response"] = bump_scalar(factor["proof"]["response"])
    CB.rechain(b["records"], i)
    out["partial decryption of an aggregate"] = (b, i)

    b = CB.honest()
    i = first(b, "result")
    b["records"][i]["payload"]["counts"][-1][0] += 1
    CB.rechain(b["records"], i)
    out["a decrypted aggregate"] = (b, i)

    b = CB.honest()
    i = first(b, "result")
    b["records"][i]["payload"]["outcome"][0]["adopted"] = True
    CB.rechain(b["records"], i)
    out["the rule's result"] = (b, i)

    b = CB.honest()
    i = first(b, "consultation")
    b["records"][i]["payload"]["rule"] = "majority_of_bodies"
    CB.rechain(b["records"], i)
    out["the rule changed after the count"] = (b, first(b, "result"))

    b = CB.honest()
    i = first(b, "consultation")
    b["records"][i]["payload"]["assemblies"][0]["electorate"] += 1
    out["chain link of the consultation"] = (b, i)
    return out


CASES = tampered()


@pytest.mark.parametrize("name", sorted(CASES))
def test_python_names_each_tampered_record(name: str) -> None:
    board, index = CASES[name]
    with pytest.raises(Invalid) as caught:
        verify_board(board)
    assert caught.value.index == index, caught.value


def test_node_agrees_on_the_honest_board_and_every_tampering(tmp_path: Path) -> None:
    honest = CB.honest()
    names = sorted(CASES)
    verdicts = run_node(tmp_path, honest, *(CASES[n][0] for n in names))
    first_verdict = verdicts[0]
    report = verify_board(honest)
    assert first_verdict["ok"] is True and first_verdict["phase"] == "result"
    assert first_verdict["result"] == report.result
    assert first_verdict["outcome"] == report.outcome
    assert [tuple(g) for g in first_verdict["groups"]] == report.groups
    for name, verdict in zip(names, verdicts[1:], strict=True):
        assert verdict["ok"] is False, name
        assert verdict["index"] == CASES[name][1] == python_verdict(CASES[name][0]), (
            name,
            verdict,
        )
