"""Motion pages and actions, for every role, on a members-only body (North) and a public one
(South)."""

import pytest
from django.urls import reverse

from asamblea.ledger.models import LedgerEntry
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import Comment, Motion, MotionVersion, Support
from asamblea.testing import (
    EVERYONE,
    LOGIN,
    NORTH_READERS,
    ROLES,
    assert_answer,
    db_state,
    join,
    make_person,
)

pytestmark = pytest.mark.django_db

# Writing in North: its members and facilitator; observers are refused; outsiders and other
# bodies' facilitators do not even learn it exists.
NORTH_WRITERS = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 200,
    "facilitator": 200,
    "other_facilitator": 404,
}
# Writing in South (public): only its own members (frank, here the "other facilitator").
SOUTH_WRITERS = {
    "anonymous": LOGIN,
    "outsider": 403,
    "observer": 403,
    "member": 403,
    "facilitator": 403,
    "other_facilitator": 200,
}
MOTION = {"title": "Agua todos los días", "text": "Exigir **agua**.", "reasons": "Sed."}


def motion_in(cast, which, author=None):
    if which == "north":
        return motion_submit(author or cast.carol, cast.north, title="Olla común", text="Cocinar")
    sam = join(make_person("sam"), cast.south).person
    return motion_submit(author or sam, cast.south, title="Huelga", text="Parar")


def writers(which):
    return NORTH_WRITERS if which == "north" else SOUTH_WRITERS


BODIES = [("north"), ("south")]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", BODIES)
def test_new_motion_page(cast, role, which):
    body = cast.north if which == "north" else cast.south
    response = cast.client(cast.roles[role]).get(reverse("motions:create", args=[body.slug]))
    assert_answer(response, writers(which)[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", BODIES)
def test_submitting_a_motion(cast, role, which):
    body = cast.north if which == "north" else cast.south
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(reverse("motions:create", args=[body.slug]), MOTION)
    expected = writers(which)[role]
    assert_answer(response, 302 if expected == 200 else expected)
    if expected == 200:
        motion = Motion.objects.get(body=body)
        assert response["Location"] == reverse("motions:detail", args=[body.slug, motion.number])
        assert motion.author == cast.roles[role]
        assert motion.versions.count() == 1
    else:
        assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", BODIES)
@pytest.mark.parametrize("page", ["motions:detail", "motions:versions"])
def test_reading_a_motion(cast, role, which, page):
    motion = motion_in(cast, which)
    expected = NORTH_READERS if which == "north" else EVERYONE
    response = cast.client(cast.roles[role]).get(
        reverse(page, args=[motion.body.slug, motion.number])
    )
    assert_answer(response, expected[role])
    if expected[role] == 200:
        assert motion.title in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["motions:detail", "motions:versions"])
def test_motion_pages_refuse_post(cast, role, page):
    motion = motion_in(cast, "south")
    response = cast.client(cast.roles[role]).post(
        reverse(page, args=[motion.body.slug, motion.number])
    )
    assert_answer(response, 405)


def test_an_unknown_motion_is_not_found(cast):
    response = cast.client(cast.alice).get(reverse("motions:detail", args=[cast.north.slug, 99]))
    assert_answer(response, 404)


# Editing: the author only (bob, the "member", writes the motion here).
EDIT = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 200,
    "facilitator": 403,
    "other_facilitator": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_editing_a_motion_page(cast, role):
    motion = motion_in(cast, "north", author=cast.bob)
    response = cast.client(cast.roles[role]).get(
        reverse("motions:edit", args=[cast.north.slug, motion.number])
    )
    assert_answer(response, EDIT[role])


@pytest.mark.parametrize("role", ROLES)
def test_editing_a_motion(cast, role):
    motion = motion_in(cast, "north", author=cast.bob)
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(
        reverse("motions:edit", args=[cast.north.slug, motion.number]),
        MOTION | {"title": "Olla común, versión 2"},
    )
    assert_answer(response, 302 if EDIT[role] == 200 else EDIT[role])
    motion.refresh_from_db()
    if EDIT[role] == 200:
        assert (motion.version, motion.title) == (2, "Olla común, versión 2")
        assert list(motion.versions.values_list("title", flat=True)) == [
            "Olla común",
            "Olla común, versión 2",
        ]
    else:
        assert motion.version == 1
        assert db_state() == before


# Supporting a motion carol wrote in North (with a statute needing two supporters).
SUPPORT = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 302,
    "facilitator": 302,
    "other_facilitator": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_supporting_a_motion(cast, role):
    cast.north.supporters_required = 2
    cast.north.save()
    motion = motion_in(cast, "north")
    assert motion.state == "submitted"
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(reverse("motions:support", args=[cast.north.slug, motion.number]))
    assert_answer(response, SUPPORT[role])
    if SUPPORT[role] == 302:
        assert Support.objects.filter(motion=motion, person=cast.roles[role]).exists()
    else:
        assert db_state() == before


def test_enough_supporters_make_a_motion_supported(cast):
    cast.north.supporters_required = 2
    cast.north.save()
    motion = motion_in(cast, "north")
    for person in (cast.bob, cast.alice):
        cast.client(person).post(reverse("motions:support", args=[cast.north.slug, motion.number]))
    motion.refresh_from_db()
    assert motion.state == "supported"


def test_supporting_twice_or_ones_own_motion_is_refused(cast):
    cast.north.supporters_required = 3
    cast.north.save()
    motion = motion_in(cast, "north")
    url = reverse("motions:support", args=[cast.north.slug, motion.number])
    cast.client(cast.bob).post(url)
    bob, carol = cast.client(cast.bob), cast.client(cast.carol)
    before = db_state()
    assert_answer(bob.post(url), 409)
    assert_answer(carol.post(url), 400)
    assert db_state() == before


# Withdrawing carol's motion: its author or a facilitator; bob (another member) may not.
WITHDRAW = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 403,
    "facilitator": 302,
    "other_facilitator": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_withdrawing_a_motion(cast, role):
    motion = motion_in(cast, "north")
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(reverse("motions:withdraw", args=[cast.north.slug, motion.number]))
    assert_answer(response, WITHDRAW[role])
    motion.refresh_from_db()
    if WITHDRAW[role] == 302:
        assert motion.state == "withdrawn"
    else:
        assert motion.state == "supported"
        assert db_state() == before


def test_the_author_withdraws_and_cannot_withdraw_twice(cast):
    motion = motion_in(cast, "north")
    client = cast.client(cast.carol)
    url = reverse("motions:withdraw", args=[cast.north.slug, motion.number])
    assert_answer(client.post(url), 302)
    before = db_state()
    assert_answer(client.post(url), 409)
    assert db_state() == before


COMMENT = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 302,
    "facilitator": 302,
    "other_facilitator": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_commenting_on_a_motion(cast, role):
    motion = motion_in(cast, "north")
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(
        reverse("motions:comment", args=[cast.north.slug, motion.number]),
        {"stance": "against", "text": "Primero una reunión."},
    )
    assert_answer(response, COMMENT[role])
    if COMMENT[role] == 302:
        comment = Comment.objects.get(motion=motion)
        assert (comment.author, comment.stance) == (cast.roles[role], "against")
    else:
        assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
def test_south_outsiders_cannot_comment_on_its_public_motions(cast, role):
    motion = motion_in(cast, "south")
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(
        reverse("motions:comment", args=[cast.south.slug, motion.number]),
        {"stance": "for", "text": "Sí."},
    )
    expected = SOUTH_WRITERS[role]
    assert_answer(response, 302 if expected == 200 else expected)
    assert Comment.objects.filter(motion=motion).exists() == (expected == 200)
    if expected != 200:
        assert db_state() == before


def test_the_page_shows_the_balance_of_arguments(cast):
    motion = motion_in(cast, "north")
    url = reverse("motions:comment", args=[cast.north.slug, motion.number])
    cast.client(cast.bob).post(url, {"stance": "for", "text": "Sí"})
    cast.client(cast.alice).post(url, {"stance": "for", "text": "Claro"})
    cast.client(cast.carol).post(url, {"stance": "against", "text": "No"})
    page = cast.client(cast.olivia).get(reverse("motions:detail", args=[cast.north.slug, 1]))
    assert page.context["balance"] == {"for": 2, "against": 1, "neutral": 0}


@pytest.mark.parametrize("view", ["motions:support", "motions:withdraw", "motions:comment"])
@pytest.mark.parametrize("role", ROLES)
def test_motion_actions_refuse_get(cast, view, role):
    motion = motion_in(cast, "north")
    response = cast.client(cast.roles[role]).get(
        reverse(view, args=[cast.north.slug, motion.number])
    )
    assert_answer(response, LOGIN if role == "anonymous" else 405)


def test_motion_text_is_sanitised(cast):
    motion = motion_submit(
        cast.bob,
        cast.north,
        title="<b>t</b>",
        text='<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="y">',
    )
    page = cast.client(cast.bob).get(
        reverse("motions:detail", args=[cast.north.slug, motion.number])
    )
    html = page.content.decode()
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert "&lt;b&gt;t&lt;/b&gt;" in html
    assert MotionVersion.objects.filter(motion=motion).count() == 1
    assert LedgerEntry.objects.filter(kind="motion.submitted").count() == 1
