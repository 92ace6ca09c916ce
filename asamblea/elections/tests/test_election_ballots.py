"""Reading ballots from forms and from storage (pure, no database)."""

from __future__ import annotations

import pytest

from asamblea.elections.core.ballots import InvalidBallot, canonical, parse, read_form


def _code(method: str, form: dict, n: int = 3, seats: int = 1) -> str:
    with pytest.raises(InvalidBallot) as caught:
        read_form(method, n, seats, 5, form)
    return caught.value.code


def test_a_ranking_is_stored_best_first_and_canonical():
    text = read_form("meek_stv", 3, 1, 5, {"rank_2": ["1"], "rank_0": ["2"], "rank_1": [""]})
    assert text == '{"ranks":[[2],[0]]}'
    assert parse("meek_stv", 3, text) == {"ranks": [[2], [0]]}


def test_schulze_allows_equal_ranks_and_stv_does_not():
    form = {"rank_0": ["1"], "rank_1": ["1"], "rank_2": ["2"]}
    assert read_form("schulze", 3, 1, 5, form) == '{"ranks":[[0,1],[2]]}'
    assert _code("scottish_stv", form) == "equal_ranks"
    assert _code("irv", form) == "equal_ranks"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"rank_0": ["x"]}, "bad_rank"),
        ({"rank_0": ["0"]}, "bad_rank"),
        ({"rank_0": ["4"]}, "bad_rank"),
        ({"rank_0": ["-1"]}, "bad_rank"),
        ({"rank_0": ["1" * 50]}, "bad_rank"),
        ({"rank_0": ["1", "2"]}, "repeated_field"),
        ({"rank_7": ["1"]}, "unknown_candidate"),
        ({"rank_x": ["1"]}, "unknown_candidate"),
        ({"rank_0": ["1"], "rank_1": ["3"]}, "rank_gap"),
        ({"rank_0": ["2"]}, "rank_gap"),
        ({}, "empty_ranking"),
    ],
)
def test_malformed_rankings_are_refused_with_a_reason(form, code):
    assert _code("meek_stv", form) == code


def test_plurality_marks_at_most_the_seats_and_approval_any():
    assert read_form("approval", 3, 1, 5, {"mark": ["2", "0"]}) == '{"marks":[0,2]}'
    assert _code("plurality", {"mark": ["0", "1"]}) == "too_many_marks"
    assert read_form("plurality", 3, 2, 5, {"mark": ["0", "1"]}) == '{"marks":[0,1]}'
    assert _code("approval", {"mark": ["9"]}) == "unknown_candidate"
    assert _code("approval", {"mark": ["1", "1"]}) == "repeated_mark"
    assert _code("approval", {}) == "no_marks"


def test_score_needs_every_candidate_within_the_scale():
    form = {"score_0": ["5"], "score_1": ["0"], "score_2": ["3"]}
    assert read_form("score", 3, 1, 5, form) == '{"scores":[5,0,3]}'
    assert _code("score", form | {"score_2": ["6"]}) == "bad_score"
    assert _code("score", {"score_0": ["5"]}) == "missing_score"


def test_an_objection_needs_a_reason():
    assert _code("consent", {"stance_0": ["object"]}, n=1) == "reason_required"
    assert _code("consent", {"stance_0": ["veto"]}, n=1) == "bad_stance"
    assert _code("consent", {"stance_0": ["object"], "reason_0": ["x" * 501]}, n=1) == (
        "reason_too_long"
    )
    text = read_form("consent", 2, 1, 5, {"stance_1": ["object"], "reason_1": [" too  costly "]})
    assert text == '{"stances":[["consent",""],["object","too costly"]]}'


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"ranks":[[0],[0]]}',
        '{"ranks":[[3]]}',
        '{"ranks":[[]]}',
        '{"ranks": [[0]]}',
        '{"marks":[0]}',
        '{"ranks":[[true]]}',
        "{" * 30_000,
    ],
)
def test_stored_ballots_are_checked_as_strictly_as_forms(text):
    with pytest.raises(InvalidBallot):
        parse("meek_stv", 3, text)


def test_canonical_json_is_independent_of_key_order():
    assert canonical({"b": 1, "a": [2]}) == canonical({"a": [2], "b": 1}) == '{"a":[2],"b":1}'
