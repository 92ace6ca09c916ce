"""Pledge pages: what each person sees, the forms without JavaScript, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.pledges import actions
from asamblea.pledges.models import Pledge
from asamblea.testing import db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def pledge(fed):
    return actions.pledge_open(
        fed.cora,
        fed.federation,
        title="Paro el jueves",
        deadline=timezone.now() + timedelta(days=2),
        min_people=3,
        min_assemblies=2,
    )


def url(pledge, name="detail"):
    return reverse(f"pledges:{name}", args=[pledge.body.slug, pledge.pk])


def test_a_member_commits_through_the_page_and_nobody_sees_who(fed, pledge):
    bob = fed.client(fed.bob)
    response = bob.post(url(pledge, "commit"))
    assert response.status_code == 302
    page = bob.get(url(pledge)).content.decode()
    assert "You committed." in page and 'id="withdraw"' in page
    assert 'id="pledge-people">1 / 3<' in page
    for person in (fed.carol, fed.alice, fed.cora, fed.frank, None):
        other = fed.client(person).get(url(pledge)).content.decode()
        assert "You committed." not in other
        assert "Bob" not in other
        assert 'id="pledge-committed">1<' in other


def test_the_pledge_triggers_on_the_page_and_the_home_pages_say_so(fed, pledge):
    for person in (fed.bob, fed.carol, fed.frank):
        fed.client(person).post(url(pledge, "commit"))
    page = fed.client(fed.carol).get(url(pledge, "live")).content.decode()
    assert 'id="pledge-triggered"' in page
    home = fed.client(fed.bob).get(reverse("bodies:home")).content.decode()
    assert "Paro el jueves" in home and "you are bound to act" in home
    home = fed.client(fed.alice).get(reverse("bodies:home")).content.decode()
    assert "Paro el jueves" in home and "you are bound to act" not in home
    body = fed.client(fed.bob).get(reverse("bodies:detail", args=[fed.north.slug])).content
    assert "Paro el jueves" in body.decode()
    coordination = fed.client(None).get(reverse("coordination:detail", args=[fed.federation.slug]))
    assert "Paro el jueves" in coordination.content.decode()


def test_a_lapsed_pledge_shows_as_lapsed_on_the_next_visit(fed, pledge):
    Pledge.objects.filter(pk=pledge.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    page = fed.client(fed.bob).get(url(pledge)).content.decode()
    assert 'id="pledge-lapsed"' in page and 'id="commit"' not in page
    pledge.refresh_from_db()
    assert pledge.is_lapsed


def test_members_only_assemblies_are_not_named_to_outsiders(fed, pledge):
    fed.client(fed.bob).post(url(pledge, "commit"))
    public = fed.client(None).get(url(pledge)).content.decode()
    assert "North" not in public and "An assembly (members only)" in public
    assert "North" in fed.client(fed.carol).get(url(pledge)).content.decode()
    assert "North" in fed.client(fed.cora).get(url(pledge)).content.decode()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("commit", {"assembly": "no-such-body"}),
        ("commit", {"assembly": "x" * 200}),
        ("commit", {"assembly": "bad slug!"}),
        ("answer", {"kept": "maybe"}),
        ("answer", {}),
        ("vote", {}),
        ("vote", {"assembly": "south"}),
    ],
)
def test_bad_input_gets_a_clear_answer_and_changes_nothing(fed, pledge, name, data):
    bob = fed.client(fed.bob)
    before = db_state()
    response = bob.post(url(pledge, name), data)
    assert 400 <= response.status_code < 500
    assert b'class="msg error"' in response.content or b"refused" in response.content
    assert db_state() == before


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "min_people": 3, "deadline": "2030-01-01T10:00"},
        {"title": "Paro", "deadline": "2030-01-01T10:00"},
        {"title": "Paro", "min_people": "-1", "deadline": "2030-01-01T10:00"},
        {"title": "Paro", "min_percent": 300, "deadline": "2030-01-01T10:00"},
        {"title": "Paro", "min_people": 3, "deadline": "2001-01-01T10:00"},
        {"title": "Paro", "min_people": 3, "deadline": "not a date"},
        {"title": "Paro", "min_people": 3, "deadline": "9999-12-31T23:59"},
        {"title": "x" * 300, "min_people": 3, "deadline": "2030-01-01T10:00"},
    ],
)
def test_a_bad_pledge_form_is_answered_400_and_changes_nothing(fed, data):
    cora = fed.client(fed.cora)
    before = db_state()
    response = cora.post(reverse("pledges:create", args=["federation"]), data)
    assert response.status_code == 400
    assert db_state() == before


def test_a_facilitator_opens_a_pledge_from_the_form(fed):
    deadline = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = fed.client(fed.alice).post(
        reverse("pledges:create", args=[fed.north.slug]),
        {"title": "Asamblea abierta", "min_percent": 60, "deadline": deadline},
    )
    pledge = Pledge.objects.get()
    assert response["Location"] == url(pledge)
    assert pledge.min_percent == 60 and pledge.min_people is None


def test_the_follow_through_share_is_shown_never_per_person(fed, pledge):
    for person in (fed.bob, fed.carol, fed.frank):
        actions.commit(person, pledge)
    Pledge.objects.filter(pk=pledge.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    cora = fed.client(fed.cora)
    assert cora.post(url(pledge, "followup")).status_code == 302
    assert fed.client(fed.bob).post(url(pledge, "answer"), {"kept": "yes"}).status_code == 302
    assert fed.client(fed.bob).post(url(pledge, "answer"), {"kept": "no"}).status_code == 409
    page = fed.client(None).get(url(pledge)).content.decode()
    assert "33% of the commitments were kept" in page
    assert 'id="answer"' in fed.client(fed.carol).get(url(pledge)).content.decode()
    assert 'id="answer"' not in fed.client(fed.bob).get(url(pledge)).content.decode()


def test_a_members_only_coordinations_pledge_is_not_shown_on_a_public_assemblys_page(fed):
    from asamblea.coordination.actions import coordination_create
    from asamblea.testing import affiliate

    hidden = coordination_create(
        fed.cora, name="Hidden", kind="regional_coordination", visibility="members"
    )
    affiliate(fed.south, hidden)
    actions.pledge_open(
        fed.cora,
        hidden,
        title="Secreto",
        deadline=timezone.now() + timedelta(days=2),
        min_people=1,
    )
    south = reverse("bodies:detail", args=[fed.south.slug])
    assert "Secreto" not in fed.client(None).get(south).content.decode()
    assert "Secreto" not in fed.client(fed.oscar).get(south).content.decode()
    assert "Secreto" in fed.client(fed.frank).get(south).content.decode()
    listing = reverse("pledges:list", args=[fed.south.slug])
    assert "Secreto" not in fed.client(None).get(listing).content.decode()
    assert "Secreto" in fed.client(fed.frank).get(listing).content.decode()
