import pytest
from django.urls import reverse

from asamblea.ledger.actions import verify_chain
from asamblea.motions.actions import motion_submit
from asamblea.testing import cast_receipt
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Ballot, Eligibility


@pytest.mark.django_db
def test_secret_vote_through_the_views(cast):
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua")
    alice = cast.client(cast.alice)
    response = alice.post(
        reverse("voting:open", args=[cast.north.slug, motion.number]),
        {"secrecy": "secret", "quorum_percent": 50, "majority": "simple"},
    )
    assert response.status_code == 302
    poll = motion.polls.get()
    assert poll.electorate_size == 3  # alice, bob, carol; not olivia the observer
    for person, choice in ((cast.bob, "yes"), (cast.carol, "no"), (cast.alice, "yes")):
        page = cast.client(person).post(
            reverse("voting:cast", args=[cast.north.slug, poll.pk]), {"choice": choice}
        )
        assert cast_receipt(page)  # 303 back to the vote page, the receipt shown there once
    again = cast.client(cast.bob).post(
        reverse("voting:cast", args=[cast.north.slug, poll.pk]), {"choice": "no"}
    )
    assert again.status_code == 409
    observer = cast.client(cast.olivia).post(
        reverse("voting:cast", args=[cast.north.slug, poll.pk]), {"choice": "no"}
    )
    assert observer.status_code == 403
    response = alice.post(reverse("voting:close", args=[cast.north.slug, poll.pk]))
    assert response.status_code == 302
    poll.refresh_from_db()
    assert poll.result["yes"] == "2" and poll.result["no"] == "1" and poll.result["adopted"]
    motion.refresh_from_db()
    assert motion.state == "adopted"
    assert Ballot.objects.filter(poll=poll, voter__isnull=False).count() == 0
    assert Eligibility.objects.filter(poll=poll, voted=True).count() == 3
    page = alice.get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    assert b"<svg" in page.content
    assert verify_chain(cast.north.ledger_chain).ok


@pytest.mark.django_db
def test_named_vote_direct(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="named")
    ballot_cast(cast.bob, poll, choice="yes")
    poll = poll_close(cast.alice, poll)
    assert poll.result["yes"] == "1"
    assert Ballot.objects.get(poll=poll).voter == cast.bob
