"""The matcher's pure core: plain cases, then properties over random boards."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.logistics.matching import Posting, compatible, place_key, suggest

D = date(2027, 3, 1)


def post(
    id: int,
    body: int,
    remaining: int,
    *,
    kind: str = "lodging",
    place: str = "Lima",
    origin: str = "",
    starts: int = 0,
    ends: int = 2,
) -> Posting:
    return Posting(
        id, body, kind, place, origin, D + timedelta(starts), D + timedelta(ends), remaining
    )


def test_places_compare_without_case_accents_or_spaces():
    assert place_key("  San   Martín ") == place_key("san martin")


def test_an_offer_meets_a_need_in_parts():
    need = post(1, body=1, remaining=30)
    offers = [post(2, body=2, remaining=10), post(3, body=3, remaining=50)]
    got = suggest([need], offers)
    assert sum(s.quantity for s in got) == 30
    assert {s.offer for s in got} <= {2, 3}


def test_an_offer_serves_several_needs_but_never_more_than_it_holds():
    needs = [post(1, body=1, remaining=8), post(2, body=2, remaining=8)]
    got = suggest(needs, [post(3, body=3, remaining=10)])
    assert sum(s.quantity for s in got) == 10


def test_it_never_matches_an_assembly_with_itself():
    assert suggest([post(1, body=1, remaining=5)], [post(2, body=1, remaining=5)]) == []


def test_kind_place_and_dates_must_fit():
    need = post(1, body=1, remaining=5, starts=1, ends=3)
    assert not compatible(need, post(2, body=2, remaining=5, kind="food"))
    assert not compatible(need, post(2, body=2, remaining=5, place="Cusco"))
    assert not compatible(need, post(2, body=2, remaining=5, starts=2, ends=5))  # starts late
    assert not compatible(need, post(2, body=2, remaining=5, starts=0, ends=2))  # ends early
    assert compatible(need, post(2, body=2, remaining=5, starts=0, ends=9))


def test_transport_matches_by_route_and_money_by_nothing_but_dates():
    need = post(1, body=1, remaining=5, kind="transport", origin="Puno")
    assert not compatible(need, post(2, body=2, remaining=5, kind="transport", origin="Cusco"))
    assert compatible(need, post(2, body=2, remaining=5, kind="transport", origin="puno"))
    money = post(3, body=1, remaining=100, kind="money", place="Lima")
    assert compatible(money, post(4, body=2, remaining=50, kind="money", place="Arequipa"))


def test_excluded_pairs_are_not_suggested_again():
    need = post(1, body=1, remaining=5)
    offers = [post(2, body=2, remaining=5), post(3, body=3, remaining=5)]
    got = suggest([need], offers, frozenset({(1, 2)}))
    assert [(s.need, s.offer, s.quantity) for s in got] == [(1, 3, 5)]


def test_the_offer_that_ends_first_goes_to_the_earlier_need():
    # The long offer stays for the later need that only it covers.
    needs = [
        post(1, body=1, remaining=5, starts=0, ends=1),
        post(2, body=1, remaining=5, starts=0, ends=6),
    ]
    offers = [post(3, body=2, remaining=5, ends=1), post(4, body=3, remaining=5, ends=6)]
    got = {(s.need, s.offer) for s in suggest(needs, offers)}
    assert got == {(1, 3), (2, 4)}


KINDS = ("lodging", "transport", "money")
PLACES = ("Lima", "lima ", "Cusco")


@st.composite
def boards(draw):
    def postings(first_id: int, n: int) -> list[Posting]:
        result = []
        for i in range(n):
            starts = draw(st.integers(0, 6))
            result.append(
                post(
                    first_id + i,
                    body=draw(st.integers(1, 4)),
                    remaining=draw(st.integers(0, 20)),
                    kind=draw(st.sampled_from(KINDS)),
                    place=draw(st.sampled_from(PLACES)),
                    origin=draw(st.sampled_from(("Puno", "Juliaca"))),
                    starts=starts,
                    ends=starts + draw(st.integers(0, 4)),
                )
            )
        return result

    needs = postings(1, draw(st.integers(0, 12)))
    offers = postings(100, draw(st.integers(0, 12)))
    excluded = frozenset(
        draw(st.sets(st.tuples(st.integers(1, 12), st.integers(100, 111)), max_size=6))
    )
    return needs, offers, excluded


@settings(max_examples=300, deadline=None)
@given(boards())
def test_matching_never_over_allocates(board):
    needs, offers, excluded = board
    got = suggest(needs, offers, excluded)
    for posting, key in [(n, "need") for n in needs] + [(o, "offer") for o in offers]:
        given_out = sum(s.quantity for s in got if getattr(s, key) == posting.id)
        assert given_out <= posting.remaining


@settings(max_examples=300, deadline=None)
@given(boards())
def test_every_suggestion_is_compatible_positive_and_allowed(board):
    needs, offers, excluded = board
    by_id = {p.id: p for p in needs + offers}
    pairs = []
    for s in suggest(needs, offers, excluded):
        assert s.quantity > 0
        assert compatible(by_id[s.need], by_id[s.offer])
        assert (s.need, s.offer) not in excluded
        pairs.append((s.need, s.offer))
    assert len(pairs) == len(set(pairs))


@settings(max_examples=200, deadline=None)
@given(boards())
def test_a_need_left_wanting_has_no_compatible_offer_left(board):
    """Greedy but not lazy: when a need is not fully met, every compatible offer it may take
    has been used up."""
    needs, offers, excluded = board
    got = suggest(needs, offers, excluded)
    for need in needs:
        met = sum(s.quantity for s in got if s.need == need.id)
        if need.remaining <= 0 or met == need.remaining:
            continue
        for offer in offers:
            if compatible(need, offer) and (need.id, offer.id) not in excluded:
                used = sum(s.quantity for s in got if s.offer == offer.id)
                assert used == offer.remaining
