"""The speakers-list ordering rules, on the pure core (no database)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asamblea.meetings.speakers import (
    Kind,
    Move,
    Request,
    Rules,
    Spoken,
    Total,
    elapsed,
    last_group,
    order,
    over_limit,
    remaining,
    totals_by_group,
    totals_by_person,
)

ALTERNATE = Rules(alternate_groups=True)


def ids(queue):
    return [r.id for r in queue]


def turn(id_, person, seq=None, group=None):
    return Request(id=id_, person=person, seq=id_ if seq is None else seq, group=group)


def test_empty_list_has_empty_queue():
    assert order([]) == []


def test_turns_keep_arrival_order_when_nobody_has_spoken():
    assert ids(order([turn(3, 30), turn(1, 10), turn(2, 20)])) == [1, 2, 3]


def test_first_time_speakers_go_before_repeat_speakers():
    history = [Spoken(person=10)]
    queue = order([turn(1, 10), turn(2, 20), turn(3, 30)], history)
    assert ids(queue) == [2, 3, 1]


def test_fewer_previous_turns_go_first_among_repeat_speakers():
    history = [Spoken(10), Spoken(10), Spoken(20)]
    queue = order([turn(1, 10), turn(2, 20), turn(3, 30)], history)
    assert ids(queue) == [3, 2, 1]


def test_points_of_order_and_replies_do_not_count_as_turns():
    history = [Spoken(10, Kind.POINT_OF_ORDER), Spoken(20, Kind.DIRECT_REPLY)]
    queue = order([turn(1, 10), turn(2, 20), turn(3, 30)], history)
    assert ids(queue) == [1, 2, 3]


def test_point_of_order_jumps_the_queue():
    poo = Request(id=9, person=90, seq=9, kind=Kind.POINT_OF_ORDER)
    queue = order([turn(1, 10), turn(2, 20), poo])
    assert ids(queue) == [9, 1, 2]
    assert queue[0].kind is Kind.POINT_OF_ORDER


def test_point_of_order_goes_before_direct_reply_even_if_asked_later():
    reply = Request(id=5, person=50, seq=5, kind=Kind.DIRECT_REPLY)
    poo = Request(id=6, person=60, seq=6, kind=Kind.POINT_OF_ORDER)
    queue = order([turn(1, 10), reply, poo])
    assert ids(queue) == [6, 5, 1]


def test_several_points_of_order_keep_their_arrival_order():
    a = Request(id=7, person=70, seq=7, kind=Kind.POINT_OF_ORDER)
    b = Request(id=4, person=40, seq=4, kind=Kind.POINT_OF_ORDER)
    assert ids(order([a, turn(1, 10), b])) == [4, 7, 1]


def test_alternation_is_off_by_default():
    queue = order([turn(1, 10, group="a"), turn(2, 20, group="a"), turn(3, 30, group="b")])
    assert ids(queue) == [1, 2, 3]


def test_alternation_interleaves_groups():
    queue = order(
        [
            turn(1, 10, group="a"),
            turn(2, 20, group="a"),
            turn(3, 30, group="b"),
            turn(4, 40, group="b"),
        ],
        rules=ALTERNATE,
    )
    assert ids(queue) == [1, 3, 2, 4]


def test_alternation_continues_from_the_last_grouped_speaker():
    history = [Spoken(99, group="a")]
    queue = order([turn(1, 10, group="a"), turn(2, 20, group="b")], history, ALTERNATE)
    assert ids(queue) == [2, 1]


def test_alternation_with_one_group_only_keeps_arrival_order():
    queue = order([turn(1, 10, group="a"), turn(2, 20, group="a")], rules=ALTERNATE)
    assert ids(queue) == [1, 2]


def test_people_without_group_keep_their_place_and_do_not_break_alternation():
    history = [Spoken(99, group="a")]
    queue = order([turn(1, 10, group="a"), turn(2, 20), turn(3, 30, group="b")], history, ALTERNATE)
    # Nobody-grouped 20 arrived before 30 and is "different" from a; after 20 the last grouped
    # speaker is still a, so b goes before the second a.
    assert ids(queue) == [2, 3, 1]


def test_first_time_rule_is_stronger_than_alternation():
    history = [Spoken(10, group="b")]
    queue = order([turn(1, 10, group="b"), turn(2, 20, group="a")], history, ALTERNATE)
    assert ids(queue) == [2, 1]
    history = [Spoken(20, group="a"), Spoken(99, group="a")]
    queue = order(
        [turn(1, 20, group="a"), turn(2, 30, group="a"), turn(3, 40, group="b")], history, ALTERNATE
    )
    # 30 and 40 are first-timers: b (40) alternates with the last a; repeat speaker 20 last.
    assert ids(queue) == [3, 2, 1]


def test_last_group_ignores_ungrouped_and_urgent_speeches():
    history = [Spoken(1, group="a"), Spoken(2), Spoken(3, Kind.POINT_OF_ORDER, group="b")]
    assert last_group(history) == "a"
    assert last_group([]) is None


def test_move_puts_a_turn_before_its_anchor():
    moves = [Move(request=3, before=1, seq=1)]
    assert ids(order([turn(1, 10), turn(2, 20), turn(3, 30)], moves=moves)) == [3, 1, 2]


def test_move_without_anchor_puts_a_turn_last():
    moves = [Move(request=1, before=None, seq=1)]
    assert ids(order([turn(1, 10), turn(2, 20), turn(3, 30)], moves=moves)) == [2, 3, 1]


def test_only_the_latest_move_of_a_request_counts():
    moves = [Move(3, 1, seq=1), Move(3, None, seq=2)]
    assert ids(order([turn(1, 10), turn(2, 20), turn(3, 30)], moves=moves)) == [1, 2, 3]


def test_moves_apply_oldest_first():
    moves = [Move(3, 1, seq=1), Move(2, 3, seq=2)]
    assert ids(order([turn(1, 10), turn(2, 20), turn(3, 30)], moves=moves)) == [2, 3, 1]


def test_move_whose_anchor_left_goes_to_the_front():
    moves = [Move(3, 1, seq=1)]  # 1 has since spoken
    assert ids(order([turn(2, 20), turn(3, 30)], moves=moves)) == [3, 2]


def test_move_of_a_request_no_longer_waiting_is_ignored():
    moves = [Move(5, 1, seq=1)]
    assert ids(order([turn(1, 10), turn(2, 20)], moves=moves)) == [1, 2]


def test_move_before_itself_changes_nothing():
    assert ids(order([turn(1, 10), turn(2, 20)], moves=[Move(2, 2, 1)])) == [1, 2]


def test_moved_turn_never_overtakes_a_point_of_order():
    poo = Request(id=9, person=90, seq=9, kind=Kind.POINT_OF_ORDER)
    moves = [Move(2, 9, seq=1)]
    assert ids(order([turn(1, 10), turn(2, 20), poo], moves=moves)) == [9, 2, 1]


def test_a_new_first_timer_still_goes_before_repeat_speakers_after_a_move():
    history = [Spoken(10)]
    moves = [Move(2, None, seq=1)]
    queue = order([turn(1, 10), turn(2, 20), turn(3, 30)], history, moves=moves)
    assert ids(queue) == [3, 1, 2]


def test_duplicate_request_ids_are_refused():
    with pytest.raises(ValueError):
        order([turn(1, 10), turn(1, 20, seq=5)])


@given(
    st.lists(
        st.tuples(
            st.integers(1, 8),
            st.sampled_from(list(Kind)),
            st.sampled_from([None, "a", "b", "c"]),
        ),
        max_size=25,
    ),
    st.lists(st.tuples(st.integers(1, 8), st.sampled_from([None, "a", "b"])), max_size=10),
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 30), st.one_of(st.none(), st.integers(0, 30))), max_size=6),
)
def test_order_is_a_permutation_with_urgent_requests_first(raw, spoken, alternate, raw_moves):
    waiting = [Request(id=i, person=p, seq=i, kind=k, group=g) for i, (p, k, g) in enumerate(raw)]
    history = [Spoken(p, group=g) for p, g in spoken]
    moves = [Move(r, b, seq) for seq, (r, b) in enumerate(raw_moves)]
    queue = order(waiting, history, Rules(alternate_groups=alternate), moves)
    assert sorted(ids(queue)) == sorted(r.id for r in waiting)
    kinds = [PRI[r.kind] for r in queue]
    assert kinds == sorted(kinds)


PRI = {Kind.POINT_OF_ORDER: 0, Kind.DIRECT_REPLY: 1, Kind.TURN: 2}


@given(st.lists(st.tuples(st.integers(1, 6), st.sampled_from(["a", "b"])), max_size=20))
def test_alternation_never_puts_two_of_a_group_together_while_the_other_waits(raw):
    waiting = [turn(i, 1000 + i, group=g) for i, (_, g) in enumerate(raw)]
    queue = order(waiting, rules=ALTERNATE)
    groups = [r.group for r in queue]
    for index in range(1, len(groups)):
        if groups[index] == groups[index - 1]:
            assert set(groups[index:]) == {groups[index]}


def test_elapsed_adds_the_running_stretch():
    assert elapsed(30, None, 100) == 30
    assert elapsed(30, 90, 100) == 40
    assert elapsed(30, 110, 100) == 30  # a clock step backwards never subtracts


def test_time_limit():
    assert remaining(Rules(time_limit=0), 500) is None
    assert not over_limit(Rules(time_limit=0), 500)
    assert remaining(Rules(time_limit=120), 100) == 20
    assert not over_limit(Rules(time_limit=120), 120)
    assert over_limit(Rules(time_limit=120), 121)


def test_totals_per_person_and_group():
    history = [
        Spoken(1, group="a", seconds=60),
        Spoken(2, group="b", seconds=30),
        Spoken(1, Kind.POINT_OF_ORDER, group="a", seconds=10),
        Spoken(3, seconds=5),
    ]
    assert totals_by_person(history) == {1: Total(2, 70), 2: Total(1, 30), 3: Total(1, 5)}
    assert totals_by_group(history) == {"a": Total(2, 70), "b": Total(1, 30), None: Total(1, 5)}
    assert totals_by_person([]) == {}
