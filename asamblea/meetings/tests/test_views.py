"""Every meeting URL for every role of the cast, and bad input. North is members-only, so
outsiders and South's facilitator get 404 there; South is public and readable by anyone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.meetings import actions
from asamblea.meetings.models import AgendaItem, Attendance, Meeting, Speech
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Poll

ANON_POST = 302  # to the login page


@pytest.fixture
def world(cast):
    """North's open meeting with an item under discussion, bob waiting to speak, a closed
    meeting with minutes and an open in-meeting vote."""
    meeting = actions.meeting_schedule(
        cast.alice, cast.north, title="Junio", starts_at=timezone.now(), place="Local"
    )
    item = actions.item_add(cast.alice, meeting, title="Agua")
    actions.meeting_open(cast.alice, meeting)
    for person in (cast.alice, cast.bob, cast.carol):
        actions.check_in(person, meeting)
    actions.item_start(cast.alice, item)
    meeting.refresh_from_db()
    speech = actions.speech_request(cast.bob, meeting.current_list)
    old = actions.meeting_schedule(
        cast.alice, cast.north, title="Mayo", starts_at=timezone.now(), place="Local"
    )
    actions.meeting_open(cast.alice, old)
    actions.meeting_close(cast.alice, old)
    poll = poll_open(cast.alice, cast.north, title="¿Marcha?", meeting=meeting)
    return {"meeting": meeting, "item": item, "speech": speech, "old": old, "poll": poll}


# Votes held in a meeting are the voting app's views, under the meeting's address.
VOTE_VIEWS = {"vote_open", "hands", "hands_attest", "vote_close", "vote_close_void"}


def url(name, cast, meeting, *extra):
    view = f"voting:meeting_{name}" if name in VOTE_VIEWS else f"meetings:{name}"
    return reverse(view, args=[cast.north.slug, meeting.pk, *extra])


READ_PAGES = ["detail", "live", "projector", "projector_live"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", READ_PAGES)
@pytest.mark.parametrize(
    "role,status",
    [
        ("anonymous", 404),
        ("outsider", 404),
        ("other_facilitator", 404),
        ("observer", 200),
        ("member", 200),
        ("facilitator", 200),
    ],
)
def test_meeting_pages_are_for_those_who_may_read_the_assembly(cast, world, page, role, status):
    response = cast.client(cast.roles[role]).get(url(page, cast, world["meeting"]))
    assert response.status_code == status


@pytest.mark.django_db
def test_public_assembly_meetings_are_readable_by_anyone(cast):
    meeting = actions.meeting_schedule(
        cast.frank, cast.south, title="Abierta", starts_at=timezone.now(), place="Plaza"
    )
    for role in ("anonymous", "outsider"):
        page = cast.client(cast.roles[role]).get(
            reverse("meetings:detail", args=[cast.south.slug, meeting.pk])
        )
        assert page.status_code == 200
        assert b"Abierta" in page.content
        assert b"Open the meeting" not in page.content and b"Abrir la reuni" not in page.content


@pytest.mark.django_db
def test_facilitator_sees_controls_and_member_does_not(cast, world):
    page = cast.client(cast.alice).get(url("detail", cast, world["meeting"]))
    assert b'id="next-speaker"' in page.content and b'id="close-vote"' in page.content
    page = cast.client(cast.bob).get(url("detail", cast, world["meeting"]))
    assert b'id="next-speaker"' not in page.content and b'id="cast"' in page.content


@pytest.mark.django_db
def test_meeting_list(cast, world):
    list_url = reverse("meetings:list", args=[cast.north.slug])
    assert cast.client(None).get(list_url).status_code == 404
    assert cast.client(cast.oscar).get(list_url).status_code == 404
    assert cast.client(cast.frank).get(list_url).status_code == 404
    for person in (cast.olivia, cast.bob, cast.alice):
        assert cast.client(person).get(list_url).status_code == 200
    data = {"title": "Julio", "starts_at": "2030-07-01T18:00", "place": "Local"}
    assert cast.client(cast.bob).post(list_url, data).status_code == 403
    assert cast.client(cast.olivia).post(list_url, data).status_code == 403
    assert cast.client(cast.frank).post(list_url, data).status_code == 404
    response = cast.client(cast.alice).post(list_url, data)
    assert response.status_code == 302
    assert Meeting.objects.filter(title="Julio").exists()
    bad = cast.client(cast.alice).post(list_url, {"title": "", "starts_at": "mañana"})
    assert bad.status_code == 400
    assert Meeting.objects.count() == 3


def facilitator_posts(cast, world):
    """(url name, extra args, data) of every facilitator-only POST."""
    m, speech, poll = world["meeting"], world["speech"], world["poll"]
    return [
        ("item_start", [world["item"].pk], {}),
        ("next", [], {}),
        ("move", [speech.pk], {"reason": "prueba"}),
        ("vote_open", [], {"title": "Otra", "secrecy": "secret"}),
        ("hands", [poll.pk], {"yes": 1, "no": 0, "abstain": 0}),
        ("vote_close", [poll.pk], {}),
        ("close", [], {}),
        ("open", [], {}),
        ("item_decide", [world["item"].pk], {"accept": "1"}),
        ("notes", [], {"text": "x", "base": 0}),
    ], m


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,status",
    [
        ("anonymous", ANON_POST),
        ("outsider", 404),
        ("other_facilitator", 404),
        ("observer", 403),
        ("member", 403),
    ],
)
def test_facilitator_actions_are_refused_to_everyone_else(cast, world, role, status):
    posts, meeting = facilitator_posts(cast, world)
    revision = Meeting.objects.get(pk=meeting.pk).revision
    client = cast.client(cast.roles[role])
    for name, extra, data in posts:
        response = client.post(url(name, cast, meeting, *extra), data)
        assert response.status_code == status, name
    assert Meeting.objects.get(pk=meeting.pk).revision == revision
    assert Poll.objects.filter(meeting=meeting).count() == 1


@pytest.mark.django_db
def test_facilitator_runs_the_floor_through_the_views(cast, world):
    meeting, alice = world["meeting"], cast.client(cast.alice)
    assert alice.post(url("next", cast, meeting)).status_code == 302
    speaking = Speech.objects.get(state="speaking")
    assert speaking.person == cast.bob
    assert alice.post(url("timer", cast, meeting, speaking.pk), {"run": "0"}).status_code == 302
    assert alice.post(url("timer", cast, meeting, speaking.pk), {"run": "0"}).status_code == 409
    assert alice.post(url("timer", cast, meeting, speaking.pk), {"run": "x"}).status_code == 400
    assert alice.post(url("finish", cast, meeting, speaking.pk)).status_code == 302
    assert alice.post(url("finish", cast, meeting, speaking.pk)).status_code == 409


@pytest.mark.django_db
def test_member_asks_to_speak_and_withdraws(cast, world):
    meeting, carol = world["meeting"], cast.client(cast.carol)
    assert carol.post(url("speak", cast, meeting), {"kind": "turn"}).status_code == 302
    assert carol.post(url("speak", cast, meeting), {"kind": "turn"}).status_code == 409
    assert carol.post(url("speak", cast, meeting), {"kind": "shout"}).status_code == 400
    mine = Speech.objects.get(person=cast.carol)
    # Someone else's request: refused to a member, allowed to the facilitator.
    bob_speech = world["speech"]
    assert carol.post(url("withdraw", cast, meeting, bob_speech.pk)).status_code == 403
    assert carol.post(url("withdraw", cast, meeting, mine.pk)).status_code == 302
    assert carol.post(url("withdraw", cast, meeting, mine.pk)).status_code == 409
    assert carol.post(url("withdraw", cast, meeting, 999999)).status_code == 404
    observer = cast.client(cast.olivia)
    assert observer.post(url("speak", cast, meeting), {"kind": "turn"}).status_code == 403
    assert cast.client(None).post(url("speak", cast, meeting), {"kind": "turn"}).status_code == 302
    assert cast.client(cast.frank).post(url("speak", cast, meeting), {}).status_code == 404


@pytest.mark.django_db
def test_check_in_and_out_through_the_views(cast, world):
    meeting = world["meeting"]
    carol = cast.client(cast.carol)
    assert carol.post(url("checkout", cast, meeting)).status_code == 302
    assert carol.post(url("checkout", cast, meeting)).status_code == 409
    assert carol.get(url("checkin", cast, meeting)).status_code == 200
    assert carol.post(url("checkin", cast, meeting)).status_code == 302
    assert Attendance.objects.get(meeting=meeting, person=cast.carol).present
    # A member cannot check someone else in; a facilitator can; bad ids are refused.
    assert carol.post(url("checkout", cast, meeting), {"person": cast.bob.pk}).status_code == 403
    alice = cast.client(cast.alice)
    assert alice.post(url("checkout", cast, meeting), {"person": cast.bob.pk}).status_code == 302
    assert alice.post(url("checkin", cast, meeting), {"person": "abc"}).status_code == 400
    assert alice.post(url("checkin", cast, meeting), {"person": cast.oscar.pk}).status_code == 400
    assert cast.client(None).get(url("checkin", cast, meeting)).status_code == 404
    assert cast.client(cast.oscar).post(url("checkin", cast, meeting)).status_code == 404
    assert cast.client(cast.olivia).post(url("checkin", cast, meeting)).status_code == 302


@pytest.mark.django_db
def test_member_proposes_and_facilitator_adds_items(cast, world):
    meeting = world["meeting"]
    bob = cast.client(cast.bob)
    assert bob.post(url("item_add", cast, meeting), {"title": "Basura"}).status_code == 302
    assert AgendaItem.objects.get(title="Basura").status == "proposed"
    assert bob.post(url("item_add", cast, meeting), {"title": ""}).status_code == 400
    assert bob.post(url("item_add", cast, meeting), {"title": "x" * 201}).status_code == 400
    assert (
        cast.client(cast.olivia).post(url("item_add", cast, meeting), {"title": "O"}).status_code
        == 403
    )
    alice = cast.client(cast.alice)
    assert alice.post(url("item_add", cast, meeting), {"title": "Luz"}).status_code == 302
    assert AgendaItem.objects.get(title="Luz").status == "agenda"
    proposal = AgendaItem.objects.get(title="Basura")
    assert (
        alice.post(url("item_decide", cast, meeting, proposal.pk), {"accept": "x"}).status_code
        == 400
    )
    assert (
        alice.post(url("item_decide", cast, meeting, proposal.pk), {"accept": "0"}).status_code
        == 302
    )
    assert alice.post(url("item_start", cast, meeting, 999999)).status_code == 404


@pytest.mark.django_db
def test_vote_in_meeting_through_the_views(cast, world):
    meeting, poll, alice = world["meeting"], world["poll"], cast.client(cast.alice)
    assert alice.post(url("vote_open", cast, meeting), {"secrecy": "bogus"}).status_code == 400
    assert (
        alice.post(url("vote_open", cast, meeting), {"motion": 77, "secrecy": "secret"}).status_code
        == 400
    )
    assert (
        alice.post(
            url("hands", cast, meeting, poll.pk), {"yes": -1, "no": 0, "abstain": 0}
        ).status_code
        == 400
    )
    assert (
        alice.post(
            url("hands", cast, meeting, poll.pk), {"yes": 9, "no": 0, "abstain": 0}
        ).status_code
        == 400
    )
    ballot_cast(cast.bob, poll, choice="yes")
    assert alice.post(url("vote_close", cast, meeting, poll.pk)).status_code == 302
    poll.refresh_from_db()
    assert poll.state == "closed"
    assert alice.post(url("vote_close", cast, meeting, poll.pk)).status_code == 409
    page = cast.client(cast.carol).get(url("live", cast, meeting))
    assert b'id="vote-result"' in page.content
    other = poll_open(cast.frank, cast.south, title="South")
    assert alice.post(url("vote_close", cast, meeting, other.pk)).status_code == 404


@pytest.mark.django_db
def test_secret_vote_progress_shows_turnout_only(cast, world):
    ballot_cast(cast.bob, world["poll"], choice="yes")
    page = cast.client(cast.carol).get(url("projector_live", cast, world["meeting"]))
    assert b"1 of 3" in page.content or b"1 de 3" in page.content
    assert b"vote-result" not in page.content


@pytest.mark.django_db
def test_minutes_draft_for_facilitators_published_for_readers(cast, world):
    old = world["old"]
    for role, status in (
        ("anonymous", 404),
        ("outsider", 404),
        ("other_facilitator", 404),
        ("observer", 404),
        ("member", 404),
        ("facilitator", 200),
    ):
        client = cast.client(cast.roles[role])
        assert client.get(url("minutes", cast, old)).status_code == status, role
        assert client.get(url("minutes_pdf", cast, old)).status_code == status, role
    alice = cast.client(cast.alice)
    assert (
        cast.client(cast.bob).post(url("publish", cast, old), {"publish": "1"}).status_code == 403
    )
    assert alice.post(url("publish", cast, old), {"publish": "maybe"}).status_code == 400
    assert alice.post(url("publish", cast, old), {"publish": "1"}).status_code == 302
    assert alice.post(url("publish", cast, old), {"publish": "1"}).status_code == 409
    for role, status in (("anonymous", 404), ("observer", 200), ("member", 200)):
        assert cast.client(cast.roles[role]).get(url("minutes", cast, old)).status_code == status
    pdf = cast.client(cast.bob).get(url("minutes_pdf", cast, old))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # An open meeting has no minutes yet.
    assert alice.get(url("minutes", cast, world["meeting"])).status_code == 404


@pytest.mark.django_db
def test_notes_are_versioned_and_stale_saves_refused(cast, world):
    old, alice = world["old"], cast.client(cast.alice)
    assert alice.get(url("notes", cast, old)).status_code == 200
    assert cast.client(cast.bob).get(url("notes", cast, old)).status_code == 403
    assert alice.post(url("notes", cast, old), {"text": "v1", "base": 0}).status_code == 302
    assert alice.post(url("notes", cast, old), {"text": "v2", "base": 0}).status_code == 409
    assert alice.post(url("notes", cast, old), {"text": "v2", "base": "x"}).status_code == 400
    assert alice.post(url("notes", cast, old), {"text": "x" * 50_001, "base": 1}).status_code in (
        400,
        413,
    )
    assert old.notes_versions.count() == 1


@pytest.mark.django_db
def test_speaking_rules_and_group_choice(cast):
    page = reverse("meetings:speaking", args=[cast.north.slug])
    assert cast.client(None).get(page).status_code == 302
    assert cast.client(cast.oscar).get(page).status_code == 404
    assert cast.client(cast.frank).get(page).status_code == 404
    assert cast.client(cast.olivia).get(page).status_code == 200
    rules = {"time_limit": 90, "alternate_groups": "on", "groups": "Mujeres\nHombres"}
    assert cast.client(cast.bob).post(page, rules).status_code == 403
    assert cast.client(cast.alice).post(page, {**rules, "time_limit": 99999}).status_code == 400
    assert cast.client(cast.alice).post(page, rules).status_code == 302
    group = cast.north.speaker_groups.get(name="Mujeres")
    assert cast.client(cast.carol).post(page, {"group": group.pk}).status_code == 302
    assert cast.client(cast.carol).post(page, {"group": 999999}).status_code == 404
    assert cast.client(cast.olivia).post(page, {"group": group.pk}).status_code == 403
    # The choice is not shown to other members.
    other = cast.client(cast.bob).get(page)
    assert b"selected" not in other.content


@pytest.mark.django_db
def test_stream_endpoint_refuses_who_may_not_read(cast, world):
    stream = reverse("meetings:events", args=[world["meeting"].pk])
    assert cast.client(None).get(stream).status_code == 404
    assert cast.client(cast.oscar).get(stream).status_code == 404
    assert cast.client(cast.frank).get(stream).status_code == 404
    missing = reverse("meetings:events", args=[999999])
    assert cast.client(cast.alice).get(missing).status_code == 404


@pytest.mark.django_db
def test_get_on_post_only_urls_is_refused(cast, world):
    meeting = world["meeting"]
    for name, extra in (("next", []), ("speak", []), ("close", []), ("checkout", [])):
        assert cast.client(cast.alice).get(url(name, cast, meeting, *extra)).status_code == 405


@pytest.mark.django_db
def test_closing_a_meeting_through_the_view_fixes_the_minutes(cast, world):
    meeting, poll, alice = world["meeting"], world["poll"], cast.client(cast.alice)
    assert alice.post(url("close", cast, meeting)).status_code == 409  # a vote is open
    poll_close(cast.alice, poll)
    assert alice.post(url("close", cast, meeting)).status_code == 302
    meeting.refresh_from_db()
    assert meeting.is_closed and meeting.minutes["title"] == "Junio"
    assert not Attendance.objects.filter(meeting=meeting, present=True).exists()


@pytest.mark.django_db
def test_schedule_time_in_the_past_is_allowed_for_records(cast):
    # Assemblies record meetings held without the app too; only the form's shape is checked.
    meeting = actions.meeting_schedule(
        cast.alice,
        cast.north,
        title="Ayer",
        starts_at=timezone.now() - timedelta(days=1),
        place="Local",
    )
    assert meeting.state == "scheduled"


@pytest.mark.django_db
def test_meeting_page_speaks_spanish(cast, world):
    page = cast.client(cast.bob, language="es").get(url("detail", cast, world["meeting"]))
    assert "Orden del día".encode() in page.content
    assert b"Pedir la palabra" in page.content
    assert b"Agenda</h2>" not in page.content


@pytest.mark.django_db
def test_published_minutes_appear_on_the_public_assembly_page(cast):
    meeting = actions.meeting_schedule(
        cast.frank, cast.south, title="Abierta", starts_at=timezone.now(), place="Plaza"
    )
    actions.meeting_open(cast.frank, meeting)
    actions.meeting_close(cast.frank, meeting)
    page = reverse("bodies:detail", args=[cast.south.slug])
    minutes = reverse("meetings:minutes", args=[cast.south.slug, meeting.pk])
    assert minutes.encode() not in cast.client(None).get(page).content
    actions.minutes_publish(cast.frank, meeting, publish=True)
    assert minutes.encode() in cast.client(None).get(page).content
    assert cast.client(None).get(minutes).status_code == 200


@pytest.mark.django_db
def test_a_vote_in_a_meeting_is_opened_on_a_motion_chosen_from_a_list(cast):
    import re

    from asamblea.motions.models import Motion

    meeting = actions.meeting_schedule(
        cast.alice, cast.north, title="Julio", starts_at=timezone.now(), place="Local"
    )
    actions.meeting_open(cast.alice, meeting)
    for person in (cast.alice, cast.bob):
        actions.check_in(person, meeting)
    ready = Motion.objects.create(
        body=cast.north, number=5, title="Olla común", text="x", state="supported"
    )
    Motion.objects.create(body=cast.north, number=6, title="Borrador", text="x", state="submitted")
    alice = cast.client(cast.alice)
    html = alice.get(url("detail", cast, meeting)).content.decode()
    select = re.search(r'<select name="motion"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None  # a choice, not a number to type
    assert "#5 Olla común" in select.group(1)
    assert "Borrador" not in select.group(1)  # not ready for a vote: not offered

    assert (
        alice.post(
            url("vote_open", cast, meeting), {"motion": "6", "secrecy": "secret"}
        ).status_code
        == 400
    )
    assert not Poll.objects.filter(meeting=meeting).exists()
    response = alice.post(url("vote_open", cast, meeting), {"motion": "5", "secrecy": "secret"})
    assert response.status_code == 302
    poll = Poll.objects.get(meeting=meeting)
    assert poll.motion == ready
    assert poll.title == "Olla común"


@pytest.mark.django_db
def test_projector_without_javascript_reloads_itself(cast, world):
    """A projector's browser that runs no script still follows the meeting: the page asks to be
    reloaded (inside <noscript>, so a browser with live updates does not reload)."""
    page = cast.client(cast.carol).get(url("projector", cast, world["meeting"]))
    html = page.content.decode()
    start = html.index("<noscript>")
    assert '<meta http-equiv="refresh" content="10">' in html[start : html.index("</noscript>")]
    assert start < html.index("</head>")
