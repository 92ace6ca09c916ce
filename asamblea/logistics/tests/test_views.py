"""The logistics pages through the test client: who sees what, each permission edge, bad input,
and that exact details never reach a page they should not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from asamblea.logistics import actions
from asamblea.logistics.models import Match, Posting, Trip
from asamblea.logistics.tests.scene import day
from asamblea.testing import assert_answer, db_state

ADDRESS = "Jr. Huallaga 452, Cercado"
PHONE = "987 654 321"


def board_url(scene) -> str:
    return reverse("logistics:board", args=[scene.federation.slug])


def accepted_with_details(scene) -> Match:
    match = actions.match_propose(scene.alice, scene.need, scene.offer, quantity=20)
    match = actions.match_accept(scene.frank, match)
    actions.details_share(scene.frank, match, side="offer", text=f"{ADDRESS} · {PHONE}")
    actions.details_share(scene.alice, match, side="need", text="Llegamos el jueves, 999 111 222")
    return match


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("oscar", 403),  # the Federation is public: he sees it exists, not its board
        ("olivia", 403),  # an observer of North is not one of the Federation's people
        ("bob", 200),
        ("carol", 200),  # member and delegate
        ("alice", 200),
        ("frank", 200),
        ("erin", 200),
        ("cora", 200),
    ],
)
def test_who_reads_the_board(scene, who, status):
    client = scene.client(getattr(scene, who))
    assert_answer(client.get(board_url(scene)), status)


def test_anonymous_people_are_sent_to_log_in(scene):
    assert_answer(scene.client(None).get(board_url(scene)), "login")


def test_a_members_only_coordination_board_does_not_exist_for_outsiders(scene):
    scene.federation.visibility = "members"
    scene.federation.save()
    assert_answer(scene.client(scene.oscar).get(board_url(scene)), 404)
    assert_answer(scene.client(scene.bob).get(board_url(scene)), 200)


def test_an_assemblys_slug_has_no_board(scene):
    url = reverse("logistics:board", args=[scene.north.slug])
    assert_answer(scene.client(scene.alice).get(url), 404)


def test_a_members_only_assemblys_name_is_hidden_from_other_assemblies_members(scene):
    # erin (East) reads "a member assembly" for North's need, also in the suggestion of her
    # offer for it; bob (North) reads North; frank, a delegate to the Federation, too.
    page = scene.client(scene.erin).get(board_url(scene)).content.decode()
    assert "North" not in page
    assert "a member assembly" in page
    assert "Delegación del sur" in page
    for person in (scene.bob, scene.frank):
        assert "North" in scene.client(person).get(board_url(scene)).content.decode()


def test_a_facilitator_posts_and_the_member_cannot(scene):
    data = {
        "body": scene.north.slug,
        "side": "offer",
        "kind": "food",
        "quantity": 200,
        "place": "Juliaca",
        "starts_on": day(1).isoformat(),
        "ends_on": day(2).isoformat(),
    }
    url = reverse("logistics:post", args=[scene.federation.slug])
    bob, frank = scene.client(scene.bob), scene.client(scene.frank)
    before = db_state()
    assert_answer(bob.post(url, data), 403)
    assert_answer(frank.post(url, data), 400)  # North is not his
    assert db_state() == before
    assert_answer(scene.client(scene.alice).post(url, data), 302)
    assert Posting.objects.filter(kind="food", body=scene.north, quantity=200).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"place": "Calle Real 12"},
        {"quantity": "muchos"},
        {"quantity": "-4"},
        {"starts_on": "2026-13-45"},
        {"ends_on": ""},
        {"kind": "<script>"},
        {"place": "L" * 5000},
    ],
)
def test_bad_postings_get_a_clear_message_and_change_nothing(scene, change):
    data = {
        "body": scene.north.slug,
        "side": "need",
        "kind": "food",
        "quantity": 5,
        "place": "Lima",
        "starts_on": day(1).isoformat(),
        "ends_on": day(2).isoformat(),
    } | change
    alice = scene.client(scene.alice)
    before = db_state()
    response = alice.post(reverse("logistics:post", args=[scene.federation.slug]), data)
    assert response.status_code == 400
    assert b"msg" in response.content or b"error" in response.content
    assert db_state() == before


def test_suggestions_appear_to_the_facilitators_concerned_only(scene):
    alice = scene.client(scene.alice).get(board_url(scene)).content.decode()
    assert 'id="suggestions"' in alice
    bob = scene.client(scene.bob).get(board_url(scene)).content.decode()
    assert 'id="suggestions"' not in bob
    cora = scene.client(scene.cora).get(board_url(scene)).content.decode()
    assert 'id="suggestions"' not in cora


def test_propose_accept_and_share_through_the_pages(scene):
    fed = scene.federation.slug
    response = scene.client(scene.alice).post(
        reverse("logistics:propose", args=[fed]),
        {"need": scene.need.pk, "offer": scene.offer.pk, "quantity": 20},
    )
    match = Match.objects.get()
    assert response["Location"] == reverse("logistics:match", args=[fed, match.pk])
    frank = scene.client(scene.frank)
    assert b"Accept this match" in frank.get(response["Location"]).content
    assert_answer(frank.post(reverse("logistics:accept", args=[fed, match.pk])), 302)
    assert_answer(
        frank.post(
            reverse("logistics:details", args=[fed, match.pk]),
            {"side": "offer", "text": ADDRESS},
        ),
        302,
    )
    assert ADDRESS in scene.client(scene.alice).get(response["Location"]).content.decode()


def test_a_replayed_accept_is_a_conflict(scene):
    match = actions.match_propose(scene.alice, scene.need, scene.offer, quantity=20)
    url = reverse("logistics:accept", args=[scene.federation.slug, match.pk])
    frank = scene.client(scene.frank)
    assert_answer(frank.post(url), 302)
    before = db_state()
    assert_answer(frank.post(url), 409)
    assert db_state() == before


def test_bad_proposals_are_refused(scene):
    url = reverse("logistics:propose", args=[scene.federation.slug])
    alice, bob = scene.client(scene.alice), scene.client(scene.bob)
    before = db_state()
    for data in (
        {"need": scene.need.pk, "offer": scene.offer.pk, "quantity": 21},  # more than offered
        {"need": scene.need.pk, "offer": 999999, "quantity": 1},
        {"need": scene.offer.pk, "offer": scene.need.pk, "quantity": 1},
        {"need": "x", "offer": scene.offer.pk, "quantity": 1},
        {"need": scene.need.pk, "offer": scene.offer.pk, "quantity": 0},
    ):
        assert alice.post(url, data).status_code in (400, 409), data
    assert_answer(
        bob.post(url, {"need": scene.need.pk, "offer": scene.offer.pk, "quantity": 1}), 403
    )
    assert db_state() == before


def test_details_are_seen_only_by_the_two_matched_facilitators(scene):
    match = accepted_with_details(scene)
    fed = scene.federation.slug
    url = reverse("logistics:match", args=[fed, match.pk])
    for person in (scene.alice, scene.frank):
        page = scene.client(person).get(url).content.decode()
        assert ADDRESS in page and PHONE in page
    for person in (scene.bob, scene.carol, scene.erin, scene.cora, scene.olivia, scene.oscar):
        response = scene.client(person).get(url)
        assert response.status_code in (403, 404)
        assert ADDRESS not in response.content.decode()


def test_no_address_on_any_other_page_feed_or_ledger(scene):
    match = accepted_with_details(scene)
    trip = actions.trip_plan(
        scene.alice,
        scene.north,
        scene.federation,
        title="Congreso",
        origin="Puno",
        destination="Lima",
        starts_on=day(3),
        ends_on=day(5),
        seats=20,
        travellers="Rosa Quispe",
        lodging="",
    )
    scene.need.trip = trip
    scene.need.save()
    pages = [
        board_url(scene),
        reverse("coordination:detail", args=[scene.federation.slug]),
        reverse("bodies:ledger", args=[scene.north.slug]),
        reverse("bodies:ledger", args=[scene.south.slug]),
        reverse("bodies:ledger", args=[scene.federation.slug]),
        reverse("bodies:detail", args=[scene.south.slug]),
        reverse("bodies:home"),
        reverse("publishing:site_feed"),
        reverse("publishing:feed", args=[scene.south.slug]),
        reverse("publishing:feed", args=[scene.north.slug]),
        reverse("publishing:coordination_feed", args=[scene.federation.slug]),
    ]
    for person in (None, scene.oscar, scene.bob, scene.carol, scene.erin, scene.cora, scene.frank):
        client = scene.client(person)
        for url in pages:
            text = client.get(url).content.decode()
            assert ADDRESS not in text and PHONE not in text, (person, url)
            assert "Rosa Quispe" not in text, (person, url)
    # The trip's own facilitator sees the details on the trip page and sheet.
    alice = scene.client(scene.alice)
    sheet = alice.get(reverse("logistics:trip_sheet", args=[scene.north.slug, trip.pk]))
    assert ADDRESS in sheet.content.decode() and "Rosa Quispe" in sheet.content.decode()
    assert match.pk


def test_after_the_date_the_details_are_gone_from_the_page_even_before_the_sweep(scene):
    match = accepted_with_details(scene)
    Match.objects.filter(pk=match.pk).update(ends_on=day(-1))
    url = reverse("logistics:match", args=[scene.federation.slug, match.pk])
    page = scene.client(scene.frank).get(url).content.decode()
    assert ADDRESS not in page
    assert "were deleted" in page


def test_decline_through_the_page(scene):
    match = actions.match_propose(scene.alice, scene.need, scene.offer, quantity=20)
    url = reverse("logistics:decline", args=[scene.federation.slug, match.pk])
    assert_answer(scene.client(scene.erin).post(url), 404)
    assert_answer(scene.client(scene.frank).post(url), 302)
    assert Match.objects.get().state == "declined"


def test_withdraw_through_the_page(scene):
    url = reverse("logistics:withdraw", args=[scene.federation.slug, scene.need.pk])
    assert_answer(scene.client(scene.frank).post(url), 403)
    assert_answer(scene.client(scene.alice).post(url), 302)
    assert Posting.objects.get(pk=scene.need.pk).state == "withdrawn"


def test_trips_are_for_the_assemblys_facilitators_only(scene):
    url = reverse("logistics:trips", args=[scene.north.slug])
    assert_answer(scene.client(scene.bob).get(url), 403)
    assert_answer(scene.client(scene.frank).get(url), 404)  # North is members-only
    assert_answer(scene.client(scene.oscar).get(url), 404)
    assert_answer(scene.client(None).get(url), "login")
    response = scene.client(scene.alice).post(
        url,
        {
            "title": "Congreso nacional",
            "coordination": scene.federation.slug,
            "origin": "Puno",
            "destination": "Lima",
            "starts_on": day(3).isoformat(),
            "ends_on": day(5).isoformat(),
            "seats": 2,
            "travellers": "Rosa Quispe\nJuan Mamani",
            "lodging": "",
        },
    )
    trip = Trip.objects.get()
    assert response["Location"] == reverse("logistics:trip", args=[scene.north.slug, trip.pk])
    page = scene.client(scene.alice).get(response["Location"]).content.decode()
    assert "Juan Mamani" in page
    ask = reverse("logistics:trip_ask", args=[scene.north.slug, trip.pk])
    assert_answer(scene.client(scene.alice).post(ask, {"kinds": ["transport", "lodging"]}), 302)
    assert trip.postings.count() == 2


def test_the_trip_sheet_pdf(scene):
    match = accepted_with_details(scene)
    trip = actions.trip_plan(
        scene.alice,
        scene.north,
        scene.federation,
        title="Congreso",
        origin="Puno",
        destination="Lima",
        starts_on=day(3),
        ends_on=day(5),
        seats=20,
        travellers="Rosa Quispe",
        lodging="Universidad",
    )
    Posting.objects.filter(pk=match.need_id).update(trip=trip)
    url = reverse("logistics:trip_sheet_pdf", args=[scene.north.slug, trip.pk])
    response = scene.client(scene.alice).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"-{trip.pk}.pdf" in response["Content-Disposition"]
    assert_answer(scene.client(scene.bob).get(url), 403)


def test_the_trip_sheet_has_print_css(scene):
    trip = actions.trip_plan(
        scene.alice,
        scene.north,
        scene.federation,
        title="Congreso",
        origin="Puno",
        destination="Lima",
        starts_on=day(3),
        ends_on=day(5),
        seats=1,
    )
    page = scene.client(scene.alice).get(
        reverse("logistics:trip_sheet", args=[scene.north.slug, trip.pk])
    )
    assert b"trip-sheet" in page.content and b".css" in page.content


def test_bad_trips_are_refused(scene):
    url = reverse("logistics:trips", args=[scene.north.slug])
    alice = scene.client(scene.alice)
    before = db_state()
    for change in (
        {"destination": "Av. Brasil 1200"},
        {"seats": "x"},
        {"coordination": "nope"},
        {"ends_on": day(-3).isoformat()},
    ):
        data = {
            "title": "T",
            "coordination": scene.federation.slug,
            "origin": "Puno",
            "destination": "Lima",
            "starts_on": day(-5).isoformat(),
            "ends_on": day(5).isoformat(),
            "seats": 2,
        } | change
        assert alice.post(url, data).status_code == 400, change
    assert db_state() == before


def test_pages_in_spanish(scene):
    page = scene.client(scene.alice, language="es").get(board_url(scene)).content.decode()
    assert "Necesidades y ofertas" in page
