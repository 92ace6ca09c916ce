"""The entry points other apps use (elect, winners), and downloads of awkward names."""

from __future__ import annotations

import pytest
from django.urls import reverse

from asamblea.elections import actions as elections
from asamblea.elections import queries as election_queries
from asamblea.elections.methods import count_meek_stv, parse_blt
from asamblea.elections.models import Election
from asamblea.elections.tests.election_helpers import ranks
from asamblea.errors import NotAllowed


@pytest.mark.django_db
def test_elect_runs_a_delegate_election_and_winners_reads_it(cast):
    election = elections.elect(
        cast.alice,
        cast.north,
        title="Delegates to the regional coordination",
        seats=2,
        candidates=[cast.alice, cast.bob, cast.carol],
        purpose="delegation:42",
    )
    assert Election.objects.get(purpose="delegation:42") == election
    statuses = {c.person_id: c.status for c in election.candidates.all()}
    assert statuses == {cast.alice.pk: "accepted", cast.bob.pk: "pending", cast.carol.pk: "pending"}
    for person in (cast.bob, cast.carol):
        elections.nomination_answer(person, election.candidates.get(person=person), accept=True)
    assert election_queries.winners(election) == []
    election = elections.voting_open(cast.alice, election)
    for person, order in ((cast.alice, (0, 1)), (cast.bob, (1, 0)), (cast.carol, (1, 2))):
        elections.ballot_cast(person, election, form=ranks(*order))
    election = elections.election_close(cast.alice, election)
    chosen = election_queries.winners(election)
    assert [w.name for w in chosen] == ["Bob", "Alice"]
    assert [w.person_id for w in chosen] == [cast.bob.pk, cast.alice.pk]


@pytest.mark.django_db
def test_elect_checks_rights_like_any_action(cast):
    with pytest.raises(NotAllowed):
        elections.elect(cast.bob, cast.north, title="T", seats=1)
    with pytest.raises(NotAllowed):
        elections.elect(cast.frank, cast.north, title="T", seats=1)
    assert not Election.objects.exists()


@pytest.mark.django_db
def test_names_with_line_breaks_still_make_a_valid_blt(cast):
    election = elections.election_create(
        cast.alice, cast.north, title="Two\nlines", method="meek_stv", seats=1
    )
    elections.option_add(cast.alice, election, name='Plan "A"\nrevised')
    elections.option_add(cast.alice, election, name="Plan B")
    election = elections.voting_open(cast.alice, election)
    elections.ballot_cast(cast.bob, election, form=ranks(0, 1))
    election = elections.election_close(cast.alice, election)
    response = cast.client(cast.bob).get(
        reverse("elections:ballots_blt", args=[cast.north.slug, election.pk])
    )
    assert response.status_code == 200
    parsed = parse_blt(response.content.decode())
    assert parsed.candidates == ('Plan "A" revised', "Plan B")
    recount = count_meek_stv(parsed.candidates, parsed.ballots, 1, seed=election.seed)
    assert list(recount.winners) == election.result["winners"]


@pytest.mark.django_db
def test_named_candidates_stand_at_once_and_the_close_is_signalled(cast):
    from asamblea.elections.signals import election_closed

    election = elections.elect(
        cast.alice,
        cast.north,
        title="Delegates",
        seats=1,
        method="approval",
        candidates=[cast.bob, cast.carol],
        purpose="delegation:7",
        named=True,
    )
    assert {c.status for c in election.candidates.all()} == {"accepted"}
    heard = []

    def receiver(sender, election, by, **kwargs):
        heard.append((election.pk, election.is_closed, by.pk))

    election_closed.connect(receiver, dispatch_uid="test.heard")
    try:
        election = elections.voting_open(cast.alice, election)
        elections.ballot_cast(cast.bob, election, form={"mark": ["0"]})
        elections.election_close(cast.alice, election)
    finally:
        election_closed.disconnect(dispatch_uid="test.heard")
    assert heard == [(election.pk, True, cast.alice.pk)]
