"""Every coordination URL x every role (allowed and refused), bad input, privacy, and the query
counts of pages of a coordination with hundreds of member bodies."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from asamblea.bodies.actions import body_create
from asamblea.coordination import actions
from asamblea.coordination.actions import forwarding
from asamblea.coordination.models import ConsultedBody, Seat
from asamblea.motions.models import Motion
from asamblea.testing import (
    LOGIN,
    affiliate,
    assert_answer,
    coordination_scene,
    db_state,
    join,
    make_cast,
    make_delegate,
    make_person,
)

ROLES = (
    "anonymous",
    "outsider",
    "observer",
    "member",
    "facilitator",
    "other_facilitator",
    "delegate",
    "coordinator",
)


def build():
    cast = make_cast()
    scene = coordination_scene(cast, delegate=cast.carol)
    roles = cast.roles | {"delegate": cast.carol, "coordinator": scene["cora"]}
    return cast, scene, roles


def _fed(c, s):
    return {"slug": s["federation"].slug}


def _north(c, s):
    return {"slug": c.north.slug}


# name: (kwargs, POST data or None for GET)
ROUTES = {
    "create": (lambda c, s: {}, None),
    "create POST": (
        lambda c, s: {},
        lambda c, s: {
            "name": "Sector",
            "kind": "sector_federation",
            "visibility": "public",
            "quorum_percent": 50,
            "majority": "simple",
            "supporters_required": 0,
            "weighting": "membership",
            "forward_threshold": 2,
            "admission": "facilitators",
        },
    ),
    "detail": (_fed, None),
    "statute": (
        _fed,
        lambda c, s: {
            "weighting": "split",
            "forward_threshold": 3,
            "admission": "automatic",
            "quorum_percent": 40,
            "majority": "absolute",
        },
    ),
    "request_decide": (
        lambda c, s: {"slug": s["request"].coordination.slug, "pk": s["request"].pk},
        lambda c, s: {"accept": "yes"},
    ),
    "vote_open": (lambda c, s: _fed(c, s) | {"number": s["agenda"].number}, lambda c, s: {}),
    "consult": (
        lambda c, s: _fed(c, s) | {"number": s["agenda"].number},
        lambda c, s: {
            "rule": "weighted",
            "deadline": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "quorum_percent": 30,
            "majority": "simple",
        },
    ),
    "vote": (lambda c, s: _fed(c, s) | {"pk": s["vote"].pk}, None),
    "vote_cast": (
        lambda c, s: _fed(c, s) | {"pk": s["vote"].pk},
        lambda c, s: {"body": c.north.slug, "choice": "yes"},
    ),
    "vote_close": (lambda c, s: _fed(c, s) | {"pk": s["vote"].pk}, lambda c, s: {}),
    "consultation": (lambda c, s: _fed(c, s) | {"pk": s["consultation"].pk}, None),
    "consultation_progress": (lambda c, s: _fed(c, s) | {"pk": s["consultation"].pk}, None),
    "consultation_events": (lambda c, s: {"pk": s["consultation"].pk}, None),
    "consultation_close": (
        lambda c, s: _fed(c, s) | {"pk": s["consultation"].pk},
        lambda c, s: {},
    ),
    "back": (
        lambda c, s: _fed(c, s) | {"pk": s["forward"].pk},
        lambda c, s: {"body": c.north.slug},
    ),
    "body": (_north, None),
    "propose": (
        _north,
        lambda c, s: {"coordination": s["open_region"].slug, "direction": "join"},
    ),
    "election_open": (
        _north,
        lambda c, s: {
            "coordination": s["federation"].slug,
            "candidates": [c.bob.pk, c.carol.pk],
            "seats": 1,
            "term_days": 90,
        },
    ),
    "recall": (lambda c, s: _north(c, s) | {"pk": s["delegation"].pk}, lambda c, s: {}),
    "mandate": (
        _north,
        lambda c, s: {"motion": s["agenda"].pk, "position": "against", "binding": "on"},
    ),
    "consultation_decide": (
        lambda c, s: _north(c, s) | {"pk": s["consultation"].pk},
        lambda c, s: {"means": "hands", "yes": 2, "no": 1, "abstain": 0, "present": 3},
    ),
    "solidarity_answer": (
        lambda c, s: _north(c, s) | {"pk": s["solidarity"].pk},
        lambda c, s: {"take_up": "yes"},
    ),
    "forward": (
        lambda c, s: _north(c, s) | {"number": s["adopted"].number},
        lambda c, s: {"coordination": s["federation"].slug},
    ),
    "solidarity": (
        lambda c, s: _north(c, s) | {"number": s["adopted"].number},
        lambda c, s: {"to_body": c.south.slug, "note": "Con vosotras"},
    ),
    "provenance": (lambda c, s: _north(c, s) | {"number": s["adopted"].number}, None),
}

L = LOGIN
NORTH_READ = (404, 404, 200, 200, 200, 404, 200, 404)
NORTH_FACILITATOR = (L, 404, 403, 403, 302, 404, 403, 404)
COORDINATOR = (L, 403, 403, 403, 403, 403, 403, 302)
# fmt: off
#                          anon outsider observer member facilitator other_fac delegate coordinator
MATRIX = {
    "create":                (L,   200, 200, 200, 200, 200, 200, 200),
    "create POST":           (L,   302, 302, 302, 302, 302, 302, 302),
    "detail":                (200, 200, 200, 200, 200, 200, 200, 200),
    "statute":               COORDINATOR,
    "request_decide":        COORDINATOR,
    "vote_open":             COORDINATOR,
    "consult":               COORDINATOR,
    "vote":                  (200, 200, 200, 200, 200, 200, 200, 200),
    # Only North's delegate votes for North; frank is South's delegate, not North's.
    "vote_cast":             (L,   400, 403, 403, 403, 400, 302, 400),
    "vote_close":            COORDINATOR,
    "consultation":          (200, 200, 200, 200, 200, 200, 200, 200),
    "consultation_progress": (200, 200, 200, 200, 200, 200, 200, 200),
    "consultation_events":   (200, 200, 200, 200, 200, 200, 200, 200),
    "consultation_close":    COORDINATOR,
    # Backing for North is North's decision: by the Federation's statute (the default), any of
    # its voting members puts it to North's vote. Those who cannot see North are told it does
    # not exist.
    "back":                  (L,   400, 403, 302, 302, 400, 302, 400),
    "body":                  NORTH_READ,
    "propose":               (L,   404, 403, 302, 302, 404, 302, 404),
    "election_open":         NORTH_FACILITATOR,
    "recall":                (L,   404, 403, 302, 302, 404, 302, 404),
    "mandate":               NORTH_FACILITATOR,
    "consultation_decide":   NORTH_FACILITATOR,
    "solidarity_answer":     NORTH_FACILITATOR,
    # Forwarding is North's decision too: its voting members put it to North's vote.
    "forward":               (L,   404, 403, 302, 302, 404, 302, 404),
    "solidarity":            NORTH_FACILITATOR,
    "provenance":            NORTH_READ,
}
# fmt: on


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.django_db
def test_every_role_gets_the_answer_the_matrix_says(route):
    kwargs, post = ROUTES[route]
    name = "coordination:" + route.removesuffix(" POST")
    for role, expected in zip(ROLES, MATRIX[route], strict=True):
        savepoint = transaction.savepoint()
        cast, scene, roles = build()
        client = cast.client(roles[role])
        url = reverse(name, kwargs=kwargs(cast, scene))
        before = db_state()
        response = client.get(url) if post is None else client.post(url, post(cast, scene))
        try:
            assert_answer(response, expected)
        except AssertionError as exc:
            raise AssertionError(f"{route} as {role}: {exc}") from exc
        if expected == LOGIN or expected >= 400:
            assert db_state() == before, f"{route} as {role} was refused but changed data"
        transaction.savepoint_rollback(savepoint)


def test_every_coordination_route_is_in_the_matrix():
    from asamblea.coordination.urls import urlpatterns

    assert {p.name for p in urlpatterns} == {r.removesuffix(" POST") for r in ROUTES}
    assert set(ROUTES) == set(MATRIX)


# --- Bad input: a clear message, nothing changed ---------------------------------------------

BAD = [
    ("vote_cast", {"body": "north", "choice": "maybe"}, "delegate", 400),
    ("vote_cast", {"body": "nowhere", "choice": "yes"}, "delegate", 400),
    ("vote_cast", {}, "delegate", 400),
    ("statute", {"weighting": "dictator", "forward_threshold": 1}, "coordinator", 400),
    (
        "statute",
        {
            "weighting": "body",
            "forward_threshold": 0,
            "admission": "automatic",
            "quorum_percent": 50,
            "majority": "simple",
        },
        "coordinator",
        400,
    ),
    (
        "consult",
        {
            "rule": "weighted",
            "deadline": "2001-01-01T10:00",
            "quorum_percent": 30,
            "majority": "simple",
        },
        "coordinator",
        400,
    ),
    ("consult", {"rule": "coin", "deadline": "x"}, "coordinator", 400),
    (
        "consultation_decide",
        {"means": "hands", "yes": -1, "no": 0, "abstain": 0, "present": 3},
        "facilitator",
        400,
    ),
    (
        "consultation_decide",
        {"means": "hands", "yes": 9, "no": 0, "abstain": 0, "present": 9},
        "facilitator",
        400,
    ),
    ("consultation_decide", {"means": "meeting"}, "facilitator", 400),
    (
        "consultation_decide",
        {"means": "online", "yes": 3, "no": 0, "abstain": 0, "present": 3},
        "facilitator",
        400,
    ),
    ("consultation_decide", {"means": "online", "yes": 0}, "facilitator", 400),
    ("consultation_decide", {"means": "meeting", "meeting": 999999}, "facilitator", 400),
    ("mandate", {"motion": 999999, "position": "for"}, "facilitator", 400),
    ("mandate", {"motion": "x" * 50, "position": "for"}, "facilitator", 400),
    (
        "election_open",
        {"coordination": "federation", "candidates": [999999], "seats": 1, "term_days": 90},
        "facilitator",
        400,
    ),
    (
        "election_open",
        {"coordination": "federation", "candidates": ["x"], "seats": 1, "term_days": 90},
        "facilitator",
        400,
    ),
    (
        "election_open",
        {"coordination": "federation", "candidates": ["2"], "seats": 3, "term_days": 90},
        "facilitator",
        400,
    ),
    (
        "election_open",
        {"coordination": "open-region", "candidates": ["2"], "seats": 1, "term_days": 90},
        "facilitator",
        400,
    ),
    ("propose", {"coordination": "north", "direction": "join"}, "member", 400),
    ("propose", {"coordination": "federation", "direction": "join"}, "member", 409),
    ("propose", {"coordination": "open-region", "direction": "up"}, "member", 400),
    ("solidarity", {"to_body": "north", "note": "x"}, "facilitator", 400),
    ("solidarity", {"to_body": "south", "note": "x" * 501}, "facilitator", 400),
    ("request_decide", {"accept": "maybe"}, "coordinator", 400),
]


@pytest.mark.parametrize(("route", "data", "role", "status"), BAD)
@pytest.mark.django_db
def test_bad_input_is_refused_clearly_and_changes_nothing(route, data, role, status):
    cast, scene, roles = build()
    kwargs, _post = ROUTES[route]
    client = cast.client(roles[role])
    before = db_state()
    response = client.post(reverse(f"coordination:{route}", kwargs=kwargs(cast, scene)), data)
    assert response.status_code == status
    assert db_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "An online vote counts itself"), ("es", "Una votación en línea se cuenta sola")],
)
def test_a_hand_count_typed_with_an_online_vote_is_refused_in_the_readers_language(language, words):
    cast, scene, roles = build()
    url = reverse("coordination:consultation_decide", args=["north", scene["consultation"].pk])
    client = cast.client(cast.alice, language)
    before = db_state()
    response = client.post(
        url, {"means": "online", "secrecy": "secret", "yes": 4, "no": 1, "abstain": 0}
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    assert db_state() == before  # no online vote was opened behind the refusal


@pytest.mark.django_db
def test_a_second_ballot_from_a_delegate_is_refused():
    cast, scene, roles = build()
    url = reverse("coordination:vote_cast", args=[scene["federation"].slug, scene["vote"].pk])
    client = cast.client(cast.carol)
    assert client.post(url, {"body": "north", "choice": "yes"}).status_code == 302
    assert client.post(url, {"body": "north", "choice": "no"}).status_code == 409
    assert Seat.objects.get(vote=scene["vote"], body=cast.north).choice == "yes"


@pytest.mark.django_db
def test_casting_after_close_is_refused():
    cast, scene, roles = build()
    actions.vote_close(scene["cora"], scene["vote"])
    url = reverse("coordination:vote_cast", args=[scene["federation"].slug, scene["vote"].pk])
    assert cast.client(cast.carol).post(url, {"body": "north", "choice": "yes"}).status_code == 409


# --- Privacy ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_members_only_coordination_is_hidden_from_outsiders():
    cast = make_cast()
    cora = make_person("cora")
    secret = actions.coordination_create(
        cora, name="Secret", kind="sector_federation", visibility="members"
    )
    affiliate(cast.north, secret)
    make_delegate(cast.carol, cast.north, secret)
    url = reverse("coordination:detail", args=[secret.slug])
    for person, status in (
        (None, 404),
        (cast.oscar, 404),
        (cast.alice, 404),  # facilitating a member assembly gives no view of it
        (cast.carol, 200),  # North's delegate to it
        (cora, 200),
    ):
        assert cast.client(person).get(url).status_code == status


@pytest.mark.django_db
def test_a_members_only_member_body_is_not_named_to_the_public():
    cast, scene, roles = build()
    url = reverse("coordination:detail", args=[scene["federation"].slug])
    public = cast.client(cast.oscar).get(url).content.decode()
    assert "South" in public and "North" not in public
    assert "North" in cast.client(cast.bob).get(url).content.decode()
    assert "North" in cast.client(scene["cora"]).get(url).content.decode()
    vote = reverse("coordination:vote", args=[scene["federation"].slug, scene["vote"].pk])
    assert "North" not in cast.client(None).get(vote).content.decode()


# --- Pages stay fast: no query per member body ------------------------------------------------


def _big_federation(n):
    cora = make_person(f"cora{n}")
    federation = actions.coordination_create(
        cora, name=f"Big {n}", kind="regional_coordination", visibility="public"
    )
    people = [make_person(f"p{n}x{i}") for i in range(n)]
    for i, person in enumerate(people):
        body = body_create(
            person, name=f"A{n}x{i}", kind="district", visibility="public", region=f"R{i % 3}"
        )
        join(make_person(f"m{n}x{i}"), body)
        affiliate(body, federation)
        make_delegate(person, body, federation)
    motion = forwarding._agenda_motion(
        federation, Motion(title="T", text="T", number=0, body=federation), "test"
    )
    vote = actions.vote_open(cora, federation, motion)
    motion2 = forwarding._agenda_motion(federation, motion, "test")
    consultation = actions.consultation_open(
        cora, federation, motion2, rule="weighted", deadline=timezone.now() + timedelta(days=1)
    )
    for row in ConsultedBody.objects.filter(consultation=consultation)[: n // 2]:
        actions.consultation_record(
            row.body.memberships.get(role="facilitator").person,
            row,
            means="hands",
            yes=1,
            no=1,
            abstain=0,
            present=2,
        )
    consultation = actions.consultation_close(cora, consultation)
    return cora, federation, vote, consultation


@pytest.mark.django_db
def test_coordination_pages_do_not_query_per_member_body(django_assert_max_num_queries):
    cast = make_cast()
    for n in (5, 150):
        cora, federation, vote, consultation = _big_federation(n)
        client = cast.client(cora)
        for url in (
            reverse("coordination:detail", args=[federation.slug]),
            reverse("coordination:vote", args=[federation.slug, vote.pk]),
            reverse("coordination:consultation", args=[federation.slug, consultation.pk]),
            reverse("coordination:consultation_progress", args=[federation.slug, consultation.pk]),
        ):
            with django_assert_max_num_queries(25):
                assert client.get(url).status_code == 200


# --- Report-back -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_body_sees_the_decision_with_its_delegates_vote_and_mandate():
    cast, scene, roles = build()
    actions.mandate_set(cast.alice, cast.north, scene["vote"].motion, position="for", binding=False)
    actions.delegate_cast(cast.carol, scene["vote"], cast.north, choice="no")
    actions.vote_close(scene["cora"], scene["vote"])
    page = cast.client(cast.bob).get(reverse("coordination:body", args=[cast.north.slug]))
    report = page.content.decode().split('id="report-back"')[1]
    assert "Marcha" in report and "For" in report and "Carol: No" in report
    vote_page = cast.client(None).get(
        reverse("coordination:vote", args=[scene["federation"].slug, scene["vote"].pk])
    )
    assert b"diverges from the mandate" in vote_page.content


@pytest.mark.django_db
def test_votes_and_consultations_past_their_time_are_closed_by_the_command():
    from django.core.management import call_command

    from asamblea.coordination.models import Consultation, CoordinationVote

    cast, scene, roles = build()
    past = timezone.now() - timedelta(minutes=1)
    CoordinationVote.objects.filter(pk=scene["vote"].pk).update(closes_at=past)
    Consultation.objects.filter(pk=scene["consultation"].pk).update(deadline=past)
    call_command("close_due_polls")
    assert CoordinationVote.objects.get(pk=scene["vote"].pk).state == "closed"
    assert Consultation.objects.get(pk=scene["consultation"].pk).state == "closed"


@pytest.mark.django_db
def test_a_consultation_page_past_its_deadline_shows_the_result():
    from asamblea.coordination.models import Consultation

    cast, scene, roles = build()
    Consultation.objects.filter(pk=scene["consultation"].pk).update(
        deadline=timezone.now() - timedelta(minutes=1)
    )
    page = cast.client(None).get(
        reverse(
            "coordination:consultation", args=[scene["federation"].slug, scene["consultation"].pk]
        )
    )
    assert page.status_code == 200 and b'id="consultation-outcome"' in page.content


@pytest.mark.django_db
def test_coordination_pages_speak_spanish():
    from django.conf import settings

    cast, scene, roles = build()
    client = cast.client(cast.bob)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    cast.bob.language = "es"
    cast.bob.save(update_fields=["language"])
    page = client.get(reverse("coordination:detail", args=[scene["federation"].slug]))
    assert "Órganos miembros" in page.content.decode()
    body = client.get(reverse("coordination:body", args=[cast.north.slug])).content.decode()
    assert "Nuestros delegados" in body


@pytest.mark.django_db
def test_an_assembly_opens_its_consultation_vote_in_an_open_meeting():
    from asamblea.meetings import actions as meetings

    cast, scene, roles = build()
    meeting = meetings.meeting_schedule(
        cast.alice, cast.north, title="Asamblea", starts_at=timezone.now(), place="Local"
    )
    meetings.meeting_open(cast.alice, meeting)
    meetings.check_in(cast.bob, meeting)
    url = reverse(
        "coordination:consultation_decide", args=[cast.north.slug, scene["consultation"].pk]
    )
    form = cast.client(cast.alice).get(reverse("coordination:body", args=[cast.north.slug]))
    assert f'value="{meeting.pk}"' in form.content.decode()
    response = cast.client(cast.alice).post(url, {"means": "meeting", "meeting": meeting.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("meetings:detail", args=[cast.north.slug, meeting.pk])
    row = ConsultedBody.objects.get(consultation=scene["consultation"], body=cast.north)
    assert row.means == "meeting" and row.poll.meeting_id == meeting.pk
    assert row.poll.electorate_size == 1


@pytest.mark.django_db
def test_a_coordination_opens_the_election_of_its_own_delegates_through_the_page():
    cast, scene, roles = build()
    federation, cora = scene["federation"], scene["cora"]
    affiliate(federation, scene["open_region"])
    page = cast.client(cora).get(reverse("coordination:body", args=[federation.slug]))
    assert page.status_code == 200 and f'value="{cast.carol.pk}"' in page.content.decode()
    response = cast.client(cora).post(
        reverse("coordination:election_open", args=[federation.slug]),
        {
            "coordination": scene["open_region"].slug,
            "candidates": [cast.carol.pk],
            "seats": 1,
            "term_days": 30,
        },
    )
    assert response.status_code == 302
    from asamblea.coordination.models import Candidacy

    assert Candidacy.objects.get(person=cast.carol).vote.coordination == federation
    page = cast.client(cora).get(reverse("coordination:body", args=[federation.slug]))
    assert page.status_code == 200 and "Open region" in page.content.decode()


@pytest.mark.django_db
def test_the_delegate_sees_a_binding_mandate_on_the_ballot_and_a_contradicting_vote_is_refused():
    cast, scene, roles = build()
    vote = scene["vote"]
    actions.mandate_set(cast.alice, cast.north, vote.motion, position="against", binding=True)
    url = reverse("coordination:vote", args=[scene["federation"].slug, vote.pk])
    delegate = cast.client(cast.carol)
    page = delegate.get(url).content.decode()
    ballot = page.split("Your assembly's mandate")[1].split("</form>")[0]
    assert "Against" in ballot and "binding" in ballot
    assert "A vote against this mandate is not accepted." in ballot
    cast_url = reverse("coordination:vote_cast", args=[scene["federation"].slug, vote.pk])
    refused = delegate.post(cast_url, {"body": cast.north.slug, "choice": "yes"}, follow=True)
    assert "binding mandate is to vote “No”" in refused.content.decode()
    seat = vote.seats.get(body=cast.north)
    assert not seat.has_voted
    delegate.post(cast_url, {"body": cast.north.slug, "choice": "no"})
    seat.refresh_from_db()
    assert seat.choice == "no" and seat.binding
