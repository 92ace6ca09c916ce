"""Vote pages and actions, for every role, on a members-only body (North) and a public one
(South)."""

import re

import pytest
from django.urls import reverse

from asamblea.ledger.models import LedgerEntry
from asamblea.motions.actions import motion_submit
from asamblea.testing import (
    EVERYONE,
    LOGIN,
    NORTH_READERS,
    ROLES,
    assert_answer,
    cast_receipt,
    db_state,
    join,
    make_person,
)
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Ballot, Eligibility, Poll

pytestmark = pytest.mark.django_db

# Facilitating North: alice only.
NORTH_FACILITATOR = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 403,
    "facilitator": 302,
    "other_facilitator": 404,
}
# Voting in North: its members and facilitator (the electorate); observers are refused.
NORTH_VOTERS = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 200,
    "facilitator": 200,
    "other_facilitator": 404,
}
# Voting in South (public): frank and sam only; everyone else is outside its electorate.
SOUTH_VOTERS = {
    "anonymous": LOGIN,
    "outsider": 403,
    "observer": 403,
    "member": 403,
    "facilitator": 403,
    "other_facilitator": 200,
}
POLL_FORM = {"secrecy": "secret", "quorum_percent": 50, "majority": "simple"}


def north_motion(cast):
    return motion_submit(cast.carol, cast.north, title="Olla común", text="Cocinar juntos")


def open_poll(cast, which="north", secrecy="secret"):
    if which == "north":
        return poll_open(cast.alice, cast.north, motion=north_motion(cast), secrecy=secrecy)
    join(make_person("sam"), cast.south)
    motion = motion_submit(cast.frank, cast.south, title="Huelga", text="Parar")
    return poll_open(cast.frank, cast.south, motion=motion, secrecy=secrecy)


@pytest.mark.parametrize("role", ROLES)
def test_opening_a_vote(cast, role):
    motion = north_motion(cast)
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(reverse("voting:open", args=[cast.north.slug, motion.number]), POLL_FORM)
    assert_answer(response, NORTH_FACILITATOR[role])
    motion.refresh_from_db()
    if NORTH_FACILITATOR[role] == 302:
        poll = Poll.objects.get(motion=motion)
        assert response["Location"] == reverse("voting:detail", args=[cast.north.slug, poll.pk])
        assert motion.state == "voting"
        assert set(Eligibility.objects.filter(poll=poll).values_list("person", flat=True)) == {
            cast.alice.pk,
            cast.bob.pk,
            cast.carol.pk,
        }
    else:
        assert motion.state == "supported"
        assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
def test_opening_a_vote_in_south(cast, role):
    join(make_person("sam"), cast.south)
    motion = motion_submit(cast.frank, cast.south, title="Huelga", text="Parar")
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(reverse("voting:open", args=[cast.south.slug, motion.number]), POLL_FORM)
    expected = {r: (LOGIN if r == "anonymous" else 403) for r in ROLES}
    expected["other_facilitator"] = 302
    assert_answer(response, expected[role])
    assert Poll.objects.filter(motion=motion).exists() == (expected[role] == 302)
    if expected[role] != 302:
        assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("which", "expected"), [("north", NORTH_READERS), ("south", EVERYONE)], ids=["north", "south"]
)
@pytest.mark.parametrize("page", ["voting:detail", "voting:progress"])
def test_reading_a_vote(cast, role, which, expected, page):
    poll = open_poll(cast, which)
    response = cast.client(cast.roles[role]).get(reverse(page, args=[poll.body.slug, poll.pk]))
    assert_answer(response, expected[role])
    if expected[role] == 200:
        assert "have voted" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["voting:detail", "voting:progress"])
def test_vote_pages_refuse_post(cast, role, page):
    poll = open_poll(cast, "south")
    response = cast.client(cast.roles[role]).post(reverse(page, args=[poll.body.slug, poll.pk]))
    assert_answer(response, 405)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("which", "expected"),
    [("north", NORTH_VOTERS), ("south", SOUTH_VOTERS)],
    ids=["north", "south"],
)
def test_casting_a_ballot(cast, role, which, expected):
    poll = open_poll(cast, which)
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(
        reverse("voting:cast", args=[poll.body.slug, poll.pk]), {"choice": "yes"}
    )
    if expected[role] == 200:
        assert len(cast_receipt(response)) == 32  # 303 back to the vote page with the receipt
        assert Ballot.objects.filter(poll=poll).count() == 1
        assert Eligibility.objects.get(poll=poll, person=cast.roles[role]).voted
    else:
        assert_answer(response, expected[role])
        assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
def test_the_vote_form_is_shown_to_the_electorate_only(cast, role):
    poll = open_poll(cast, "north")
    response = cast.client(cast.roles[role]).get(
        reverse("voting:detail", args=[cast.north.slug, poll.pk])
    )
    if NORTH_VOTERS[role] == 200:
        assert 'name="choice"' in response.content.decode()
    elif response.status_code == 200:
        assert 'name="choice"' not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["north", "south"])
def test_closing_a_vote(cast, role, which):
    poll = open_poll(cast, which)
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(reverse("voting:close", args=[poll.body.slug, poll.pk]))
    if which == "north":
        expected = NORTH_FACILITATOR[role]
    else:
        expected = {r: (LOGIN if r == "anonymous" else 403) for r in ROLES}
        expected["other_facilitator"] = 302
        expected = expected[role]
    assert_answer(response, expected)
    poll.refresh_from_db()
    assert poll.is_open == (expected != 302)
    if expected != 302:
        assert db_state() == before


@pytest.mark.parametrize("view", ["voting:cast", "voting:close"])
@pytest.mark.parametrize("role", ROLES)
def test_vote_actions_refuse_get(cast, view, role):
    poll = open_poll(cast, "north")
    response = cast.client(cast.roles[role]).get(reverse(view, args=[cast.north.slug, poll.pk]))
    assert_answer(response, LOGIN if role == "anonymous" else 405)


@pytest.mark.parametrize("role", ROLES)
def test_open_vote_refuses_get(cast, role):
    motion = north_motion(cast)
    response = cast.client(cast.roles[role]).get(
        reverse("voting:open", args=[cast.north.slug, motion.number])
    )
    assert_answer(response, LOGIN if role == "anonymous" else 405)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("which", "expected"), [("north", NORTH_READERS), ("south", EVERYONE)], ids=["north", "south"]
)
def test_checking_a_receipt(cast, role, which, expected):
    poll = open_poll(cast, which)
    voter = cast.bob if which == "north" else cast.frank
    code = ballot_cast(voter, poll, choice="no").receipt
    response = cast.client(cast.roles[role]).post(
        reverse("voting:receipt", args=[poll.body.slug, poll.pk]), {"code": code}
    )
    assert_answer(response, expected[role])
    if expected[role] == 200:
        page = response.content.decode()
        assert "A ballot with this receipt code is stored in this vote." in page
        assert "Choice" not in page


@pytest.mark.parametrize("role", ROLES)
def test_a_receipt_is_never_checked_by_get_so_the_code_stays_out_of_addresses(cast, role):
    poll = open_poll(cast, "south")
    code = ballot_cast(cast.frank, poll, choice="no").receipt
    url = reverse("voting:receipt", args=[poll.body.slug, poll.pk])
    response = cast.client(cast.roles[role]).get(url, {"code": code})
    assert_answer(response, 405)
    detail = cast.client(cast.roles[role]).get(
        reverse("voting:detail", args=[poll.body.slug, poll.pk])
    )
    form = re.search(
        r'<form method="(\w+)" action="' + re.escape(url) + '"', detail.content.decode()
    )
    assert form is not None and form.group(1) == "post"


def _without_tokens(response) -> str:
    """The page without its CSRF tokens (masked afresh on every answer)."""
    return re.sub(r"[A-Za-z0-9]{64}", "token", response.content.decode())


@pytest.mark.parametrize("close", [False, True], ids=["open", "closed"])
def test_a_receipt_check_answers_the_same_whatever_the_ballot_says(cast, close):
    """A receipt proves that a ballot is in the box, never how it was cast: the answers for a
    yes, a no and an abstention are the same page, so a coercer learns nothing from a code."""
    poll = open_poll(cast, "north")
    voters = [cast.alice, cast.bob, cast.carol]
    choices = ("yes", "no", "abstain")
    codes = [ballot_cast(p, poll, choice=c).receipt for p, c in zip(voters, choices, strict=True)]
    if close:
        poll = poll_close(cast.alice, poll)
    client = cast.client(cast.olivia)  # an observer: anyone who may read the vote
    url = reverse("voting:receipt", args=[poll.body.slug, poll.pk])
    pages = [_without_tokens(client.post(url, {"code": code})) for code in codes]
    assert pages[0] == pages[1] == pages[2]
    counted = "It was counted in the published result." if close else "It will be counted"
    assert counted in pages[0]


def test_a_closed_secret_vote_shows_counts_and_participants_not_choices(cast):
    poll = open_poll(cast, "north")
    ballot_cast(cast.bob, poll, choice="yes")
    ballot_cast(cast.carol, poll, choice="no")
    poll_close(cast.alice, poll)
    page = cast.client(cast.olivia).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    html = page.content.decode()
    assert page.context["participants"] == ["Bob", "Carol"]
    assert "named" not in page.context
    assert 'id="count-yes">1<' in html and 'id="count-no">1<' in html
    assert "<svg" in html


@pytest.mark.parametrize("public", [False, True], ids=["statute-default", "statute-public"])
def test_who_took_part_in_a_public_bodys_secret_vote_is_for_its_members(cast, public):
    """A public body's members page is for members; the list of who took part in a vote is a
    list of members too: the public sees how many, unless the statute makes it public."""
    cast.south.participation_public = public
    cast.south.save(update_fields=["participation_public"])
    poll = open_poll(cast, "south")
    ballot_cast(cast.frank, poll, choice="yes")
    poll_close(cast.frank, poll)
    detail = reverse("voting:detail", args=[cast.south.slug, poll.pk])
    for person in (None, cast.oscar, cast.alice):  # anonymous, outsiders
        html = cast.client(person).get(detail).content.decode()
        took_part = html.split("Who took part</h2>")[1].split("<h2>")[0]
        assert ("Frank" in took_part) == public
        assert ('id="participants-for-members"' in html) != public
        if not public:
            assert "1 person took part" in html
    member = cast.client(cast.frank).get(detail)
    assert member.context["participants"] == ["Frank"]


def test_a_closed_named_vote_shows_who_voted_what(cast):
    poll = open_poll(cast, "north", secrecy="named")
    ballot_cast(cast.bob, poll, choice="yes")
    ballot_cast(cast.carol, poll, choice="no")
    poll_close(cast.alice, poll)
    page = cast.client(cast.olivia).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    rows = [(b.voter.display_name, b.choice) for b in page.context["named"]]
    assert rows == [("Bob", "yes"), ("Carol", "no")]
    assert LedgerEntry.objects.filter(kind="poll.closed").count() == 1


@pytest.mark.parametrize("status", ["suspended", "removed"])
def test_a_member_suspended_during_a_vote_keeps_its_page_and_nothing_else(cast, client, status):
    """The electorate is the snapshot taken at opening: a member suspended or removed while the
    vote is open still reaches that vote's page and casts; the rest of the body stays closed,
    and a vote opened after the suspension is as hidden as the body."""
    poll = open_poll(cast)
    cast.north.memberships.filter(person=cast.carol).update(status=status)
    later = poll_open(cast.alice, cast.north, title="Después", secrecy="secret")
    client.force_login(cast.carol)
    detail = reverse("voting:detail", args=[cast.north.slug, poll.pk])
    assert_answer(client.get(detail), 200)
    assert_answer(client.get(reverse("voting:detail", args=[cast.north.slug, later.pk])), 404)
    assert_answer(client.get(reverse("bodies:detail", args=[cast.north.slug])), 404)
    cast_url = reverse("voting:cast", args=[cast.north.slug, poll.pk])
    assert_answer(client.post(cast_url, {"choice": "no"}), 303)
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert_answer(
        client.post(reverse("voting:cast", args=[cast.north.slug, later.pk]), {"choice": "no"}),
        404,
    )
    assert Ballot.objects.filter(poll=later).count() == 0
