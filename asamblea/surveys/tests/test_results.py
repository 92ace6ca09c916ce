"""The pure results core: counts, means, breakdowns with small groups suppressed."""

from __future__ import annotations

from asamblea.surveys.results import MIN_GROUP, QuestionSpec, Row, breakdown, mean, tally

SINGLE = QuestionSpec("1", "single", (0, 1, 2))
MULTI = QuestionSpec("2", "multiple", (0, 1))
SCALE = QuestionSpec("3", "scale", (1, 2, 3, 4, 5))
TEXT = QuestionSpec("4", "text")


def row(assembly, answers, sectors=(), region=""):
    return Row(assembly, tuple(sectors), region, answers)


def test_counts_ignore_blank_and_impossible_answers():
    rows = [
        row(1, {"1": 0, "2": [0, 1], "3": 5, "4": " Sí "}),
        row(1, {"1": 2, "2": [1], "3": 3}),
        row(2, {"1": 9, "2": [7], "3": 0, "4": ""}),
        row(2, {}),
    ]
    assert tally(SINGLE, rows).counts == {0: 1, 1: 0, 2: 1}
    assert tally(MULTI, rows).counts == {0: 1, 1: 2}
    scale = tally(SCALE, rows)
    assert scale.counts[5] == 1 and scale.counts[3] == 1 and mean(scale) == 4
    assert tally(TEXT, rows).texts == ["Sí"]
    assert mean(tally(SCALE, [])) is None


def test_texts_come_sorted_never_in_the_order_of_answering():
    rows = [row(1, {"4": text}) for text in ("zeta", "Alfa", "beta")]
    assert tally(TEXT, rows).texts == ["Alfa", "beta", "zeta"]


def test_groups_under_five_answers_are_suppressed():
    rows = [row(1, {"1": 0}, ["students"], "Sur") for _ in range(MIN_GROUP)]
    rows += [row(2, {"1": 1}, ["students", "workers"], "Norte") for _ in range(MIN_GROUP - 1)]
    by_assembly = {g.key: g for g in breakdown(SINGLE, rows, "assembly")}
    assert by_assembly[1].counts == {0: 5, 1: 0, 2: 0}
    assert by_assembly[2].counts is None and by_assembly[2].responses == 4
    by_sector = {g.key: g.counts for g in breakdown(SINGLE, rows, "sector")}
    assert by_sector == {"students": {0: 5, 1: 4, 2: 0}, "workers": None}
    by_region = {g.key: g.counts for g in breakdown(SINGLE, rows, "region")}
    assert by_region["Norte"] is None and by_region["Sur"] == {0: 5, 1: 0, 2: 0}
