"""Coordination as a path people find: from the home page and an assembly's pages, creating a
coordination (never an assembly of a coordination kind), joining one by search and choice, and
forwarded motions shown where members look."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from asamblea.bodies.models import Body
from asamblea.coordination import actions
from asamblea.coordination.models import Forward, ForwardVote, Statute
from asamblea.motions.models import Motion
from asamblea.testing import ROLES, assert_answer, db_state
from asamblea.voting.actions import ballot_cast, poll_close

pytestmark = pytest.mark.django_db

NORTH_PAGE = {
    "anonymous": 404,
    "outsider": 404,
    "observer": 200,
    "member": 200,
    "facilitator": 200,
    "other_facilitator": 404,
}


def _body_page(cast, **query):
    url = reverse("coordination:body", args=[cast.north.slug])
    return url, query


def _adopted(fed, title="Agua"):
    return Motion.objects.create(
        body=fed.north, number=50, title=title, text=title, state="adopted"
    )


# --- From the home page -------------------------------------------------------------------------


def test_the_home_page_lists_coordinations_and_offers_to_create_one(fed):
    anonymous = fed.client(None).get(reverse("bodies:home")).content.decode()
    assert reverse("coordination:detail", args=[fed.federation.slug]) in anonymous
    assert "2 member bodies" in anonymous
    assert reverse("coordination:create") not in anonymous  # needs an account
    logged_in = fed.client(fed.bob).get(reverse("bodies:home")).content.decode()
    assert reverse("coordination:create") in logged_in


def test_the_home_page_hides_members_only_coordinations(fed):
    actions.coordination_create(
        fed.cora, name="Secret coordination", kind="sector_federation", visibility="members"
    )
    page = fed.client(fed.oscar).get(reverse("bodies:home")).content.decode()
    assert "Secret coordination" not in page


# --- Creating: assemblies and coordinations are told apart ------------------------------------


def test_creating_an_assembly_offers_assembly_kinds_only(cast):
    page = cast.client(cast.bob).get(reverse("bodies:create")).content.decode()
    assert 'value="district"' in page
    assert 'value="regional_coordination"' not in page
    assert reverse("coordination:create") in page


def test_an_assembly_of_a_coordination_kind_is_refused_and_nothing_is_made(cast):
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(
        reverse("bodies:create"),
        {
            "name": "Not an assembly",
            "kind": "regional_coordination",
            "visibility": "public",
            "quorum_percent": 50,
            "majority": "simple",
            "supporters_required": 0,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["kind"]
    assert db_state() == before


COORDINATION = {
    "name": "Coordinadora del Sur",
    "kind": "regional_coordination",
    "visibility": "public",
    "quorum_percent": 50,
    "majority": "simple",
    "supporters_required": 0,
    "weighting": "body",
    "forward_threshold": 1,
    "admission": "facilitators",
}


def test_a_coordination_created_for_an_assembly_leads_back_to_propose_joining(cast):
    client = cast.client(cast.bob)
    url = reverse("coordination:create") + f"?for={cast.north.slug}"
    assert cast.north.name in client.get(url).content.decode()
    response = client.post(url, COORDINATION)
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == reverse("coordination:body", args=[cast.north.slug])
    assert parse_qs(location.query)["q"] == ["Coordinadora del Sur"]
    created = Body.objects.get(name="Coordinadora del Sur")
    assert Statute.objects.get(body=created).forward_decision == "vote"  # the default rule
    page = client.get(response["Location"]).content.decode()
    assert "Propose to join Coordinadora del Sur" in page


@pytest.mark.parametrize("person", ["olivia", "frank", "oscar"])
def test_for_an_assembly_one_cannot_vote_in_the_creation_goes_to_the_coordination(cast, person):
    client = cast.client(getattr(cast, person))
    url = reverse("coordination:create") + f"?for={cast.north.slug}"
    assert cast.north.name not in client.get(url).content.decode()
    response = client.post(url, COORDINATION)
    created = Body.objects.get(name="Coordinadora del Sur")
    assert response["Location"] == reverse("coordination:detail", args=[created.slug])


def test_a_coordination_can_be_created_with_the_facilitator_forwarding_rule(cast):
    response = cast.client(cast.bob).post(
        reverse("coordination:create"), COORDINATION | {"forward_decision": "facilitator"}
    )
    assert response.status_code == 302
    statute = Statute.objects.get(body__name="Coordinadora del Sur")
    assert statute.forward_decision == "facilitator"


def test_an_unknown_forwarding_rule_is_refused(cast):
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(
        reverse("coordination:create"), COORDINATION | {"forward_decision": "dictator"}
    )
    assert response.status_code == 400
    assert db_state() == before


# --- Joining by search and choice ---------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_searching_coordinations_on_the_assembly_page(fed, role):
    region = actions.coordination_create(
        fed.cora, name="Coordinadora Andina", kind="regional_coordination", visibility="public"
    )
    url = reverse("coordination:body", args=[fed.north.slug])
    response = fed.client(fed.roles[role]).get(url, {"q": "andina"})
    assert_answer(response, NORTH_PAGE[role])
    if NORTH_PAGE[role] == 200:
        page = response.content.decode()
        # Voting members get the choice; an observer sees no proposing button.
        can_propose = role in {"member", "facilitator"}
        assert (f'value="{region.slug}"' in page) is can_propose
        assert ("Propose to join Coordinadora Andina" in page) is can_propose


def test_search_leaves_out_what_the_assembly_belongs_to_and_members_only_bodies(fed):
    actions.coordination_create(
        fed.cora, name="Federación oculta", kind="sector_federation", visibility="members"
    )
    open_one = actions.coordination_create(
        fed.cora, name="Federación abierta", kind="sector_federation", visibility="public"
    )
    response = fed.client(fed.bob).get(
        reverse("coordination:body", args=[fed.north.slug]), {"q": "federa"}
    )
    found = [body.pk for body in response.context["found"]]
    assert found == [open_one.pk]  # not the Federation North is in, not the hidden one


def test_search_finds_by_region(fed):
    andes = actions.coordination_create(
        fed.cora, name="Red", kind="sector_federation", visibility="public", region="Cusco"
    )
    response = fed.client(fed.bob).get(
        reverse("coordination:body", args=[fed.north.slug]), {"q": "cusco"}
    )
    assert [b.pk for b in response.context["found"]] == [andes.pk]


def test_an_oversized_search_is_refused_clearly(fed):
    response = fed.client(fed.bob).get(
        reverse("coordination:body", args=[fed.north.slug]), {"q": "x" * 81}
    )
    assert response.status_code == 400
    assert "at most 80 characters" in response.content.decode()


def test_choosing_a_result_puts_the_joining_motion_to_the_assembly(fed):
    region = actions.coordination_create(
        fed.cora, name="Coordinadora Andina", kind="regional_coordination", visibility="public"
    )
    response = fed.client(fed.bob).post(
        reverse("coordination:propose", args=[fed.north.slug]),
        {"coordination": region.slug, "direction": "join"},
    )
    assert response.status_code == 302
    motion = Motion.objects.get(body=fed.north, title__contains="Coordinadora Andina")
    assert response["Location"] == reverse("motions:detail", args=[fed.north.slug, motion.number])


# --- Forwarded motions where members look -----------------------------------------------------


def _forward_by_vote(fed, origin):
    vote = actions.motion_forward(fed.bob, origin, fed.federation)
    for eligibility in vote.poll.eligibilities.select_related("person"):
        ballot_cast(eligibility.person, vote.poll, choice="yes")
    poll_close(fed.alice, vote.poll)
    return Forward.objects.get(origin=origin)


def test_a_member_puts_forwarding_to_the_vote_from_the_page(fed):
    origin = _adopted(fed)
    response = fed.client(fed.bob).post(
        reverse("coordination:forward", args=[fed.north.slug, origin.number]),
        {"coordination": fed.federation.slug},
    )
    vote = ForwardVote.objects.get(origin=origin)
    assert response["Location"] == reverse("voting:detail", args=[fed.north.slug, vote.poll_id])
    assert not Forward.objects.exists()
    body_page = fed.client(fed.carol).get(reverse("coordination:body", args=[fed.north.slug]))
    assert "the members are voting on forwarding it" in body_page.content.decode()


@pytest.mark.parametrize(
    ("person", "status"), [("olivia", 403), ("frank", 404), ("oscar", 404), ("cora", 404)]
)
def test_who_cannot_forward_changes_nothing(fed, person, status):
    origin = _adopted(fed)
    client = fed.client(getattr(fed, person))
    before = db_state()
    response = client.post(
        reverse("coordination:forward", args=[fed.north.slug, origin.number]),
        {"coordination": fed.federation.slug},
    )
    assert response.status_code == status
    assert db_state() == before


def test_forwarding_an_unadopted_motion_or_to_a_stranger_coordination_is_refused(fed):
    pending = Motion.objects.create(body=fed.north, number=51, title="T", text="T", state="open")
    stranger = actions.coordination_create(
        fed.cora, name="Lejana", kind="sector_federation", visibility="public"
    )
    client = fed.client(fed.bob)
    before = db_state()
    url = reverse("coordination:forward", args=[fed.north.slug, pending.number])
    assert client.post(url, {"coordination": fed.federation.slug}).status_code == 409
    origin = _adopted(fed)
    before = db_state()
    url = reverse("coordination:forward", args=[fed.north.slug, origin.number])
    assert client.post(url, {"coordination": stranger.slug}).status_code == 400
    assert client.post(url, {"coordination": "no such body"}).status_code == 400
    assert client.post(url, {"coordination": fed.south.slug}).status_code == 400  # an assembly
    assert db_state() == before


def test_a_forwarded_motion_shows_on_the_origin_assembly_and_the_coordination(fed):
    origin = _adopted(fed, "Agua para todos")
    forward = _forward_by_vote(fed, origin)
    agenda = forward.agenda_motion  # threshold 1: straight on the agenda
    assert agenda is not None
    north = fed.client(fed.carol).get(reverse("bodies:detail", args=[fed.north.slug]))
    assert "Sent up to Federation: on its agenda" in north.content.decode()
    motion_page = fed.client(fed.carol).get(
        reverse("motions:detail", args=[fed.north.slug, origin.number])
    )
    assert "Sent up to Federation: on its agenda" in motion_page.content.decode()
    coordination = fed.client(None).get(reverse("coordination:detail", args=[fed.federation.slug]))
    page = coordination.content.decode()
    assert f"#{agenda.number} Agua para todos" in page
    assert "Forwarded by North (motion #50)" not in page  # North is members-only
    assert "Forwarded by a member body" in page
    insider = fed.client(fed.carol).get(reverse("coordination:detail", args=[fed.federation.slug]))
    assert "Forwarded by North (motion #50)" in insider.content.decode()
    sent_up = fed.client(fed.bob).get(reverse("coordination:body", args=[fed.north.slug]))
    assert f"on its agenda as #{agenda.number}" in sent_up.content.decode()


def test_a_sister_assembly_sees_what_waits_for_its_backing_and_puts_it_to_its_vote(fed):
    actions.statute_set(
        fed.cora,
        fed.federation,
        weighting="body",
        forward_threshold=2,
        admission="facilitators",
        quorum_percent=50,
        majority="simple",
    )
    forward = _forward_by_vote(fed, _adopted(fed, "Agua para todos"))
    assert forward.agenda_motion is None
    south = fed.client(fed.frank)
    page = south.get(reverse("coordination:body", args=[fed.south.slug])).content.decode()
    assert "Agua para todos" in page and "From a members-only body" in page
    response = south.post(
        reverse("coordination:back", args=[fed.federation.slug, forward.pk]),
        {"body": fed.south.slug},
    )
    vote = ForwardVote.objects.get(forward=forward)
    assert response["Location"] == reverse("voting:detail", args=[fed.south.slug, vote.poll_id])
    assert vote.body == fed.south


def test_the_ledger_reads_a_forward_vote_as_a_sentence(fed):
    origin = _adopted(fed)
    actions.motion_forward(fed.bob, origin, fed.federation)
    page = fed.client(fed.bob).get(reverse("bodies:ledger", args=[fed.north.slug]))
    assert "The members vote on forwarding motion no. 50 to Federation." in page.content.decode()
