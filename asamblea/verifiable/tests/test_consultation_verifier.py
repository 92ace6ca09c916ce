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
