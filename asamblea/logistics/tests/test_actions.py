"""The logistics actions called directly: rights, quantities, the exchange of details and
their deletion, and what the ledger says."""

from __future__ import annotations

import json

import pytest

from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.models import LedgerEntry
from asamblea.logistics import actions
from asamblea.logistics.models import Match, MatchDetail, Posting, Trip
from asamblea.logistics.queries import allocated, board, suggestions
from asamblea.logistics.tests.scene import day, lodging
from asamblea.testing import db_state

ADDRESS = "Jr. Huallaga 452, Cercado - 987 654 321"


def every_table_raw() -> str:
    """Every row of every table, read raw (what someone with a copy of the database sees)."""
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows.append(repr(cursor.fetchall()))
    return "\n".join(rows)


def accepted(scene, quantity=20):
    match = actions.match_propose(scene.alice, scene.need, scene.offer, quantity=quantity)
    return actions.match_accept(scene.frank, match)


def test_the_board_suggests_offers_for_the_need_in_parts(scene):
    found = suggestions(scene.federation, [scene.north])
    assert sum(s.quantity for s in found) == 30
    assert {s.offer.pk for s in found} <= {scene.offer.pk, scene.east_offer.pk}


def test_suggestions_are_shown_only_for_the_readers_assemblies(scene):
    assert suggestions(scene.federation, []) == []
    assert all(
        scene.south.pk in (s.need.body_id, s.offer.body_id)
        for s in suggestions(scene.federation, [scene.south])
    )


def test_a_member_cannot_post_only_a_facilitator(scene):
    with pytest.raises(NotAllowed):
        lodging(scene.bob, scene.federation, scene.north, "need", 3)
    with pytest.raises(NotAllowed):  # frank facilitates South, not North
        lodging(scene.frank, scene.federation, scene.north, "need", 3)


def test_an_assembly_outside_the_coordination_cannot_post(scene):
    from asamblea.bodies.actions import body_create

    west = body_create(scene.alice, name="West", kind="district")
    with pytest.raises(Refused):
        lodging(scene.alice, scene.federation, west, "need", 3)


@pytest.mark.parametrize(
    "change",
    [
        {"place": "Av. Grau 123"},
        {"place": ""},
        {"place": "x" * 81},
        {"quantity": 0},
        {"quantity": 10**9},
        {"side": "gift"},
        {"kind": "weapons"},
        {"starts_on": day(5), "ends_on": day(3)},
        {"starts_on": day(-9), "ends_on": day(-2)},
        {"starts_on": day(1), "ends_on": day(900)},
        {"note": "n" * 301},
    ],
)
def test_bad_postings_are_refused_and_change_nothing(scene, change):
    before = db_state()
    fields = {
        "side": "need",
        "kind": "food",
        "quantity": 5,
        "place": "Lima",
        "starts_on": day(1),
        "ends_on": day(2),
    } | change
    with pytest.raises(Refused):
        actions.posting_create(scene.alice, scene.federation, scene.north, **fields)
    assert db_state() == before


def test_transport_needs_where_it_leaves_from(scene):
    with pytest.raises(Refused):
        actions.posting_create(
            scene.alice,
            scene.federation,
            scene.north,
            side="need",
            kind="transport",
            quantity=30,
            place="Lima",
            origin="",
            starts_on=day(1),
            ends_on=day(1),
        )


def test_a_proposal_reserves_and_the_other_side_accepts(scene):
    match = actions.match_propose(scene.alice, scene.need, scene.offer, quantity=20)
    assert (match.state, match.need_accepted, match.offer_accepted) == ("proposed", True, False)
    assert allocated([scene.need.pk])[scene.need.pk] == 20
    with pytest.raises(Conflict):  # alice's side already accepted
        actions.match_accept(scene.alice, match)
    with pytest.raises(NotAllowed):  # erin has nothing to do with this match
        actions.match_accept(scene.erin, match)
    match = actions.match_accept(scene.frank, match)
    assert match.state == "accepted"
    with pytest.raises(Conflict):
        actions.match_accept(scene.frank, match)


def test_proposals_never_over_allocate_a_posting(scene):
    actions.match_propose(scene.alice, scene.need, scene.offer, quantity=20)
    with pytest.raises(Conflict):  # 30 needed, 20 given: 11 more is too much
        actions.match_propose(scene.alice, scene.need, scene.east_offer, quantity=11)
    actions.match_propose(scene.erin, scene.need, scene.east_offer, quantity=10)
    assert [row.remaining for row in board(scene.alice, scene.federation).needs] == [0]


def test_the_same_pair_is_matched_once(scene):
    actions.match_propose(scene.alice, scene.need, scene.offer, quantity=5)
    with pytest.raises(Conflict):
        actions.match_propose(scene.frank, scene.need, scene.offer, quantity=5)


def test_an_incompatible_or_reversed_pair_is_refused(scene):
    cusco = lodging(scene.erin, scene.federation, scene.east, "offer", 9, place="Cusco")
    with pytest.raises(Refused):
        actions.match_propose(scene.alice, scene.need, cusco, quantity=5)
    with pytest.raises(Refused):
        actions.match_propose(scene.alice, scene.offer, scene.need, quantity=5)
    with pytest.raises(NotAllowed):  # bob is a member, not a facilitator
        actions.match_propose(scene.bob, scene.need, scene.offer, quantity=5)


def test_declining_frees_the_quantity_and_the_pair_is_not_suggested_again(scene):
    match = actions.match_propose(scene.alice, scene.need, scene.offer, quantity=20)
    match = actions.match_decline(scene.frank, match)
    assert match.state == "declined"
    assert allocated([scene.need.pk]).get(scene.need.pk, 0) == 0
    pairs = {(s.need.pk, s.offer.pk) for s in suggestions(scene.federation, [scene.north])}
    assert (scene.need.pk, scene.offer.pk) not in pairs


def test_details_are_exchanged_only_after_both_accept(scene):
    match = actions.match_propose(scene.alice, scene.need, scene.offer, quantity=20)
    with pytest.raises(Conflict):
        actions.details_share(scene.frank, match, side="offer", text=ADDRESS)
    match = actions.match_accept(scene.frank, match)
    with pytest.raises(NotAllowed):  # frank writes for South's side only
        actions.details_share(scene.frank, match, side="need", text=ADDRESS)
    with pytest.raises(NotAllowed):
        actions.details_share(scene.bob, match, side="need", text=ADDRESS)
    with pytest.raises(Refused):
        actions.details_share(scene.frank, match, side="offer", text="x" * 501)
    actions.details_share(scene.frank, match, side="offer", text=ADDRESS)
    actions.details_share(scene.frank, match, side="offer", text=ADDRESS + " (again)")
    assert MatchDetail.objects.get(match=match).text.endswith("(again)")


def test_withdrawing_cancels_the_matches_and_deletes_their_details(scene):
    match = accepted(scene)
    actions.details_share(scene.alice, match, side="need", text=ADDRESS)
    actions.posting_withdraw(scene.frank, scene.offer)
    assert Match.objects.get(pk=match.pk).state == "cancelled"
    assert not MatchDetail.objects.exists()
    with pytest.raises(Conflict):
        actions.posting_withdraw(scene.frank, scene.offer)
    with pytest.raises(NotAllowed):
        actions.posting_withdraw(scene.frank, scene.need)


def test_the_sweep_deletes_details_after_the_date_from_every_table(scene):
    match = accepted(scene)
    actions.details_share(scene.alice, match, side="need", text=ADDRESS)
    actions.details_share(scene.frank, match, side="offer", text=ADDRESS)
    assert "Huallaga" in every_table_raw()
    assert actions.sweep_due(on=scene.need.ends_on) == 0  # the last day itself: kept
    assert actions.sweep_due(on=day(6)) == 1
    assert actions.sweep_due(on=day(6)) == 0  # once
    assert not MatchDetail.objects.exists()
    dump = every_table_raw()
    assert "Huallaga" not in dump and "987 654" not in dump
    assert Match.objects.get(pk=match.pk).details_deleted_at is not None


def test_the_ledger_never_holds_places_addresses_or_travellers(scene):
    match = accepted(scene)
    actions.details_share(scene.alice, match, side="need", text=ADDRESS)
    trip = actions.trip_plan(
        scene.alice,
        scene.north,
        scene.federation,
        title="Al congreso",
        origin="Puno",
        destination="Lima",
        starts_on=day(3),
        ends_on=day(5),
        seats=2,
        travellers="Rosa Quispe\nJuan Mamani",
        lodging="Casa de la universidad",
    )
    actions.trip_ask(scene.alice, trip, kinds=["transport", "lodging"])
    actions.sweep_due(on=day(30))
    entries = LedgerEntry.objects.filter(kind__startswith="logistics.")
    kinds = set(entries.values_list("kind", flat=True))
    assert {
        "logistics.details_shared",
        "logistics.details_erased",
        "logistics.trip_planned",
        "logistics.travellers_erased",
        "logistics.match_accepted",
    } <= kinds
    text = json.dumps([e.payload for e in entries], ensure_ascii=False)
    for secret in (
        "Huallaga",
        "987",
        "Rosa",
        "Mamani",
        "Lima",
        "Puno",
        "universidad",
        "Delegación",
    ):
        assert secret not in text


def test_a_trip_asks_the_board_and_its_travellers_are_erased_after_it(scene):
    trip = actions.trip_plan(
        scene.alice,
        scene.north,
        scene.federation,
        title="Al congreso",
        origin="Puno",
        destination="Lima",
        starts_on=day(3),
        ends_on=day(5),
        seats=12,
        travellers="Rosa Quispe",
        lodging="",
    )
    posted = actions.trip_ask(scene.alice, trip, kinds=["transport", "lodging"])
    assert {(p.kind, p.quantity, p.trip_id) for p in posted} == {
        ("transport", 12, trip.pk),
        ("lodging", 12, trip.pk),
    }
    with pytest.raises(NotAllowed):
        actions.trip_ask(scene.bob, trip, kinds=["lodging"])
    with pytest.raises(Refused):
        actions.trip_ask(scene.alice, trip, kinds=["money"])
    assert "Rosa Quispe" in every_table_raw()
    actions.sweep_due(on=day(6))
    assert "Rosa Quispe" not in every_table_raw()


def test_only_the_assemblys_facilitators_plan_its_trips(scene):
    fields = dict(
        title="T", origin="Puno", destination="Lima", starts_on=day(1), ends_on=day(2), seats=1
    )
    with pytest.raises(NotAllowed):
        actions.trip_plan(scene.bob, scene.north, scene.federation, **fields)
    with pytest.raises(NotAllowed):
        actions.trip_plan(scene.frank, scene.north, scene.federation, **fields)
    with pytest.raises(Refused):
        actions.trip_plan(scene.alice, scene.north, scene.federation, **fields | {"seats": -1})
    assert not Trip.objects.exists()


def test_live_events_are_published_after_commit(scene, django_capture_on_commit_callbacks):
    from asamblea.live import events

    seen = []

    def sink(channel, kind, data):
        seen.append((channel, kind, dict(data)))

    events.subscribe(sink)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            actions.match_propose(scene.alice, scene.need, scene.offer, quantity=5)
    finally:
        events.unsubscribe(sink)
    assert (f"logistics:{scene.federation.pk}", "logistics") in {(c, k) for c, k, _d in seen}
    assert ADDRESS not in repr(seen)
    assert Posting.objects.count() == 3


def test_close_due_deletes_the_details_of_matches_whose_date_passed(scene):
    from io import StringIO

    from django.core.management import call_command

    match = accepted(scene)
    actions.details_share(scene.alice, match, side="need", text=ADDRESS)
    kept = actions.match_propose(scene.alice, scene.need, scene.east_offer, quantity=10)
    Match.objects.filter(pk=match.pk).update(ends_on=day(-1))
    out = StringIO()
    call_command("close_due_polls", stdout=out)
    assert "1 matches' details and trips' travellers deleted" in out.getvalue()
    assert not MatchDetail.objects.exists()
    assert Match.objects.get(pk=kept.pk).details_deleted_at is None


def test_the_board_lists_the_soonest_and_narrows_by_kind_and_place(scene, monkeypatch):
    from asamblea.logistics import queries

    monkeypatch.setattr(queries, "BOARD_ROWS", 1)
    lodging(scene.erin, scene.federation, scene.east, "offer", 5, place="Cusco")
    found = board(scene.bob, scene.federation)
    assert (len(found.offers), found.total_offers) == (1, 3)
    assert found.offers[0].posting.pk == scene.offer.pk  # starts first
    cusco = board(scene.bob, scene.federation, place="cus")
    assert [r.posting.place for r in cusco.offers] == ["Cusco"] and cusco.total_needs == 0
    assert board(scene.bob, scene.federation, kind="food").total_offers == 0
