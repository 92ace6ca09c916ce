"""Statements: drafted in Markdown, adopted by the statute's rule, published with a date and the
body's name; a coordination's statement endorsed by its member assemblies."""

from __future__ import annotations

import feedparser
import pytest
from django.urls import reverse

from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.models import LedgerEntry
from asamblea.publishing import actions
from asamblea.publishing.models import Endorsement, Publication, Statement
from asamblea.testing import db_state, make_cast, make_federation_cast
from asamblea.voting.actions import ballot_cast, poll_close

pytestmark = pytest.mark.django_db


def _kinds(body):
    return list(
        LedgerEntry.objects.filter(chain=body.ledger_chain, kind__startswith="statement")
        .order_by("seq")
        .values_list("kind", flat=True)
    )


def test_a_draft_is_adopted_by_the_members_vote_and_published():
    cast = make_cast()
    statement = actions.statement_draft(
        cast.bob, cast.north, title="Agua", text="**Exigimos** agua potable"
    )
    assert statement.is_draft and not Publication.objects.exists()
    actions.statement_put_to_vote(cast.alice, statement)
    statement.refresh_from_db()
    assert statement.state == Statement.State.VOTING
    for voter in (cast.alice, cast.bob, cast.carol):
        ballot_cast(voter, statement.poll, choice="yes")
    poll_close(cast.alice, statement.poll)
    statement.refresh_from_db()
    assert statement.is_published and statement.published_at is not None
    assert statement.adopted_by is None  # the members adopted it, not a person
    pub = Publication.objects.get(kind="statement")
    assert (pub.body, pub.ref, pub.title) == (cast.north, statement.number, "Agua")
    assert _kinds(cast.north) == [
        "statement.drafted",
        "statement.vote_opened",
        "statement.published",
    ]


def test_a_statement_the_vote_rejects_is_not_published():
    cast = make_cast()
    statement = actions.statement_draft(cast.alice, cast.north, title="Luz", text="Luz")
    actions.statement_put_to_vote(cast.alice, statement)
    statement.refresh_from_db()
    for voter in (cast.alice, cast.bob):
        ballot_cast(voter, statement.poll, choice="no")
    poll_close(cast.alice, statement.poll)
    statement.refresh_from_db()
    assert statement.state == Statement.State.REJECTED
    assert not Publication.objects.filter(kind="statement").exists()


def test_a_facilitator_adopts_only_where_the_statute_says_so():
    cast = make_cast()
    statement = actions.statement_draft(cast.bob, cast.north, title="Pan", text="Pan")
    before = db_state()
    with pytest.raises(NotAllowed):
        actions.statement_adopt(cast.alice, statement)
    assert db_state() == before
    actions.statement_rule_set(cast.alice, cast.north, adoption="facilitators")
    with pytest.raises(NotAllowed):
        actions.statement_adopt(cast.bob, statement)  # a member is not a facilitator
    actions.statement_adopt(cast.alice, statement)
    statement.refresh_from_db()
    assert statement.is_published and statement.adopted_by == cast.alice
    with pytest.raises(Conflict):
        actions.statement_adopt(cast.alice, statement)
    assert "statute.statements" in LedgerEntry.objects.filter(
        chain=cast.north.ledger_chain
    ).values_list("kind", flat=True)


def test_observers_and_outsiders_cannot_draft_and_bad_text_is_refused():
    cast = make_cast()
    before = db_state()
    with pytest.raises(NotAllowed):
        actions.statement_draft(cast.olivia, cast.north, title="A", text="B")
    with pytest.raises(NotAllowed):
        actions.statement_draft(cast.frank, cast.north, title="A", text="B")
    with pytest.raises(Refused):
        actions.statement_draft(cast.bob, cast.north, title="  ", text="B")
    with pytest.raises(Refused):
        actions.statement_draft(cast.bob, cast.north, title="A" * 201, text="B")
    with pytest.raises(Refused):
        actions.statement_draft(cast.bob, cast.north, title="A", text="B" * 20_001)
    assert db_state() == before


def test_only_the_drafter_or_a_facilitator_edits_and_only_a_draft():
    cast = make_cast()
    statement = actions.statement_draft(cast.bob, cast.north, title="Pan", text="Pan")
    with pytest.raises(NotAllowed):
        actions.statement_edit(cast.carol, statement, title="X", text="Y")
    actions.statement_edit(cast.alice, statement, title="Pan y techo", text="Pan")
    actions.statement_put_to_vote(cast.alice, statement)
    with pytest.raises(Conflict):
        actions.statement_edit(cast.bob, statement, title="Otra", text="Cosa")
    statement.refresh_from_db()
    assert statement.title == "Pan y techo"


def test_the_page_sanitises_the_markdown_and_hides_drafts_from_outsiders():
    cast = make_cast()
    statement = actions.statement_draft(
        cast.frank, cast.south, title="Sur", text="Hola <script>alert(1)</script> **fuerte**"
    )
    url = reverse("publishing:statement", args=[cast.south.slug, statement.number])
    assert cast.client(None).get(url).status_code == 404  # a draft of a public body
    html = cast.client(cast.frank).get(url).content.decode()
    assert "<strong>fuerte</strong>" in html and "<script>alert" not in html
    actions.statement_rule_set(cast.frank, cast.south, adoption="facilitators")
    actions.statement_adopt(cast.frank, statement)
    html = cast.client(None).get(url).content.decode()
    assert "Statement of South" in html and "<script>alert" not in html
    listing = cast.client(None).get(reverse("publishing:statements", args=[cast.south.slug]))
    assert "Sur" in listing.content.decode()


def test_drafting_through_the_page_and_bad_input():
    cast = make_cast()
    client = cast.client(cast.bob)
    url = reverse("publishing:statements", args=[cast.north.slug])
    response = client.post(url, {"title": "Techo", "text": "Vivienda digna"})
    assert response.status_code == 302
    statement = Statement.objects.get(title="Techo")
    assert response["Location"].endswith(f"/s/{statement.number}/")
    facilitator = cast.client(cast.alice)  # logging in writes last_login: before the snapshot
    before = db_state()
    bad = client.post(url, {"title": "", "text": "x" * 30_000})
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    replay = facilitator.post(
        reverse("publishing:statement_adopt", args=[cast.north.slug, statement.number]),
        {"how": "teleport"},
    )
    assert replay.status_code == 400
    assert db_state() == before


def test_the_published_statement_appears_in_the_feed_with_its_text():
    cast = make_cast()
    actions.statement_rule_set(cast.frank, cast.south, adoption="facilitators")
    statement = actions.statement_draft(cast.frank, cast.south, title="Paro", text="*Paramos*")
    actions.statement_adopt(cast.frank, statement)
    response = cast.client(None).get(reverse("publishing:feed", args=[cast.south.slug]))
    entry = feedparser.parse(response.content).entries[0]
    assert entry.title == "Paro"
    assert "<em>Paramos</em>" in entry.content[0].value
    assert entry.link.endswith(f"/b/south/s/{statement.number}/")


# --- Endorsements ------------------------------------------------------------------------------


@pytest.fixture
def fed():
    cast = make_federation_cast()
    actions.statement_rule_set(cast.cora, cast.federation, adoption="facilitators")
    statement = actions.statement_draft(cast.cora, cast.federation, title="Paro", text="Paro")
    actions.statement_adopt(cast.cora, statement)
    return cast, statement


def test_an_assembly_endorses_by_its_facilitators_where_its_statute_says_so(fed):
    cast, statement = fed
    actions.statement_rule_set(cast.frank, cast.south, adoption="facilitators")
    endorsement = actions.endorsement_start(cast.frank, statement, cast.south)
    assert endorsement.state == Endorsement.State.ENDORSED and endorsement.by == cast.frank
    assert "statement.endorsed" in _kinds(cast.south)
    assert "statement.endorsed" in _kinds(cast.federation)
    with pytest.raises(Conflict):
        actions.endorsement_start(cast.frank, statement, cast.south)
    html = cast.client(None).get(
        reverse("publishing:statement", args=[cast.federation.slug, statement.number])
    )
    assert "Endorsed by" in html.content.decode() and "South" in html.content.decode()


def test_an_assembly_endorses_by_vote_and_a_members_only_one_is_only_counted(fed):
    cast, statement = fed
    endorsement = actions.endorsement_start(cast.alice, statement, cast.north)
    assert endorsement.state == Endorsement.State.VOTING and endorsement.poll is not None
    for voter in (cast.alice, cast.bob, cast.carol):
        ballot_cast(voter, endorsement.poll, choice="yes")
    poll_close(cast.alice, endorsement.poll)
    endorsement.refresh_from_db()
    assert endorsement.state == Endorsement.State.ENDORSED and endorsement.by is None
    url = reverse("publishing:statement", args=[cast.federation.slug, statement.number])
    public = cast.client(None).get(url).content.decode()
    assert "North" not in public and "1 members-only assembly" in public
    assert "North" in cast.client(cast.bob).get(url).content.decode()
    # The Federation's public ledger records the fact, not the members-only assembly.
    entry = LedgerEntry.objects.get(chain=cast.federation.ledger_chain, kind="statement.endorsed")
    assert str(cast.north.pk) not in entry.payload.replace(f'"statement":{statement.pk}', "")
    leaflet = cast.client(None).get(
        reverse("publishing:statement_print", args=[cast.federation.slug, statement.number])
    )
    assert "North" not in leaflet.content.decode()


def test_only_facilitators_of_member_assemblies_endorse(fed):
    cast, statement = fed
    from asamblea.bodies.actions import body_create

    outside = body_create(cast.oscar, name="Lejos", kind="district", visibility="public")
    before = db_state()
    with pytest.raises(NotAllowed):
        actions.endorsement_start(cast.bob, statement, cast.north)  # a member, not facilitator
    with pytest.raises(NotAllowed):
        actions.endorsement_start(cast.oscar, statement, outside)  # not a member body
    assert db_state() == before


def test_a_coordination_puts_a_statement_to_its_delegates_vote():
    from asamblea.coordination import actions as coord

    fed = make_federation_cast()
    statement = actions.statement_draft(fed.cora, fed.federation, title="Paro", text="Paro")
    with pytest.raises(NotAllowed):
        actions.statement_adopt(fed.cora, statement)  # the statute says by vote
    actions.statement_put_to_vote(fed.cora, statement)
    statement.refresh_from_db()
    vote = statement.delegate_vote
    assert statement.state == Statement.State.VOTING and vote is not None
    assert vote.motion.text == "Paro"
    coord.delegate_cast(fed.carol, vote, fed.north, choice="yes")
    coord.delegate_cast(fed.frank, vote, fed.south, choice="yes")
    coord.vote_close(fed.cora, vote)
    statement.refresh_from_db()
    assert statement.is_published and statement.adopted_by is None
    assert Publication.objects.filter(body=fed.federation, kind="statement").exists()
    assert _kinds(fed.federation)[-2:] == ["statement.vote_opened", "statement.published"]


def test_a_coordination_statement_the_delegates_reject_is_not_published():
    from asamblea.coordination import actions as coord

    fed = make_federation_cast()
    statement = actions.statement_draft(fed.cora, fed.federation, title="Paro", text="Paro")
    actions.statement_put_to_vote(fed.cora, statement)
    statement.refresh_from_db()
    coord.delegate_cast(fed.carol, statement.delegate_vote, fed.north, choice="no")
    coord.vote_close(fed.cora, statement.delegate_vote)
    statement.refresh_from_db()
    assert statement.state == Statement.State.REJECTED
    assert not Publication.objects.filter(kind="statement").exists()
