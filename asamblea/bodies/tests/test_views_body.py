"""Body pages (detail, members list, ledger) and creating a body, for every role, on a
members-only body (North) and a public one (South)."""

import pytest
from django.urls import reverse

from asamblea.bodies.models import Body, Membership
from asamblea.testing import EVERYONE, LOGIN, NORTH_READERS, ROLES, assert_answer, db_state

pytestmark = pytest.mark.django_db

# Only members see who else belongs, even in a public body (membership lists are dangerous).
SOUTH_MEMBERS_LIST = {
    "anonymous": 404,
    "outsider": 404,
    "observer": 404,
    "member": 404,
    "facilitator": 404,
    "other_facilitator": 200,
}


def body_of(cast, which):
    return cast.north if which == "north" else cast.south


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("which", "expected"), [("north", NORTH_READERS), ("south", EVERYONE)], ids=["north", "south"]
)
@pytest.mark.parametrize("page", ["bodies:detail", "bodies:ledger"])
def test_reading_a_body(cast, role, which, expected, page):
    body = body_of(cast, which)
    response = cast.client(cast.roles[role]).get(reverse(page, args=[body.slug]))
    assert_answer(response, expected[role])
    if expected[role] == 200:
        assert body.name in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("which", "expected"),
    [("north", NORTH_READERS), ("south", SOUTH_MEMBERS_LIST)],
    ids=["north", "south"],
)
def test_reading_the_members_list(cast, role, which, expected):
    body = body_of(cast, which)
    response = cast.client(cast.roles[role]).get(reverse("bodies:members", args=[body.slug]))
    assert_answer(response, expected[role])
    if expected[role] == 200:
        assert body.memberships.first().person.display_name in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["bodies:detail", "bodies:ledger", "bodies:members"])
def test_body_pages_refuse_post(cast, role, page):
    response = cast.client(cast.roles[role]).post(reverse(page, args=[cast.south.slug]))
    assert_answer(response, 405)


def test_an_unknown_body_is_not_found(cast):
    assert_answer(cast.client(cast.alice).get(reverse("bodies:detail", args=["nowhere"])), 404)


def test_only_facilitators_see_suspended_members(cast):
    cast.north.memberships.filter(person=cast.carol).update(status="suspended")
    url = reverse("bodies:members", args=[cast.north.slug])
    assert "Carol" in cast.client(cast.alice).get(url).content.decode()
    assert "Carol" not in cast.client(cast.bob).get(url).content.decode()


def test_the_ledger_page_shows_the_head_hash(cast):
    from asamblea.ledger.actions import head_hash

    page = cast.client(None).get(reverse("bodies:ledger", args=[cast.south.slug]))
    assert head_hash(cast.south.ledger_chain) in page.content.decode()


BODY_FORM = {
    "name": "Asamblea de Prueba",
    "kind": "student",
    "region": "Cusco",
    "description": "Una asamblea.",
    "visibility": "public",
    "quorum_percent": 40,
    "majority": "absolute",
    "supporters_required": 2,
}


@pytest.mark.parametrize("role", ROLES)
def test_create_body_page(cast, role):
    person = cast.roles[role]
    response = cast.client(person).get(reverse("bodies:create"))
    assert_answer(response, LOGIN if person is None else 200)


@pytest.mark.parametrize("role", ROLES)
def test_any_logged_in_person_can_create_a_body(cast, role):
    person = cast.roles[role]
    client = cast.client(person)
    before = db_state()
    response = client.post(reverse("bodies:create"), BODY_FORM)
    if person is None:
        assert_answer(response, LOGIN)
        assert db_state() == before
        return
    body = Body.objects.get(name="Asamblea de Prueba")
    assert_answer(response, 302)
    assert response["Location"] == reverse("bodies:invitations", args=[body.slug])
    assert (body.kind, body.quorum_percent, body.majority) == ("student", 40, "absolute")
    assert Membership.objects.get(body=body).person == person
    assert Membership.objects.get(body=body).role == "facilitator"


@pytest.mark.parametrize(
    "bad",
    [
        {"name": ""},
        {"name": "x" * 121},
        {"kind": "army"},
        {"visibility": "secret"},
        {"quorum_percent": 101},
        {"quorum_percent": -1},
        {"majority": "plurality"},
        {"description": "x" * 5001},
        {"supporters_required": "many"},
    ],
    ids=lambda bad: next(iter(bad)),
)
def test_create_body_refuses_bad_input_and_changes_nothing(cast, bad):
    client = cast.client(cast.oscar)
    before = db_state()
    response = client.post(reverse("bodies:create"), BODY_FORM | bad)
    assert_answer(response, 400)
    assert response.context["form"].errors
    assert db_state() == before


@pytest.mark.django_db
def test_assembly_page_puts_open_votes_and_meetings_first_and_the_record_after(cast):
    from datetime import timedelta

    from django.utils import timezone

    from asamblea.meetings import actions as meeting_actions
    from asamblea.motions.models import Motion
    from asamblea.voting.actions import ballot_cast, poll_close, poll_open

    old = Motion.objects.create(
        body=cast.north, number=1, title="Vieja", text="x", state="supported"
    )
    closed = poll_open(cast.alice, cast.north, motion=old)
    ballot_cast(cast.bob, closed, choice="yes")
    poll_close(cast.alice, closed)
    live = poll_open(cast.alice, cast.north, title="¿Huelga el lunes?")
    in_session = meeting_actions.meeting_schedule(
        cast.alice, cast.north, title="Asamblea de hoy", starts_at=timezone.now(), place="Local"
    )
    meeting_actions.meeting_open(cast.alice, in_session)
    meeting_actions.meeting_schedule(
        cast.alice,
        cast.north,
        title="Asamblea del sábado",
        starts_at=timezone.now() + timedelta(days=5),
        place="Plaza",
    )
    html = cast.client(cast.bob).get(reverse("bodies:detail", args=[cast.north.slug])).content
    page = html.decode()
    now = page[page.index('id="now"') : page.index("</section>", page.index('id="now"'))]
    assert live.title in now
    assert "Asamblea de hoy" in now
    assert "Asamblea del sábado" in now
    assert "Vieja" not in now
    # The record comes after, folded away.
    assert page.index('id="now"') < page.index('id="past-votes"')
    assert page.index('id="past-motions"') > page.index('id="now"')
    past_votes = page[page.index('id="past-votes"') :]
    assert "Vieja" in past_votes
