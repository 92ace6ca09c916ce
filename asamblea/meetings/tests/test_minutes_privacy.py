"""Published minutes of a public assembly: who attended and who spoke are for its members,
unless its statute makes them public; speaking time per voluntary group never leaves the
facilitators (beside the times per person it would tell who declared which group)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.meetings import actions
from asamblea.meetings.models import Speech
from asamblea.meetings.tests.test_actions import _pdf_text
from asamblea.testing import join, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def minutes(cast):
    """South (public): frank facilitates; rosa and tomas are members, rosa declared herself in
    the group "Mujeres" and spoke 95 s in a meeting whose minutes are published."""
    rosa, tomas = make_person("rosa"), make_person("tomas")
    for person in (rosa, tomas):
        join(person, cast.south)
    actions.rules_set(
        cast.frank, cast.south, time_limit=120, alternate_groups=True, groups=["Mujeres", "Otros"]
    )
    actions.group_choose(rosa, cast.south, group=cast.south.speaker_groups.get(name="Mujeres"))
    meeting = actions.meeting_schedule(
        cast.frank, cast.south, title="Plenaria", starts_at=timezone.now(), place="Plaza"
    )
    item = actions.item_add(cast.frank, meeting, title="Agua")
    actions.meeting_open(cast.frank, meeting)
    for person in (cast.frank, rosa, tomas):
        actions.check_in(person, meeting)
    actions.item_start(cast.frank, item)
    meeting.refresh_from_db()
    speech = actions.speech_request(rosa, meeting.current_list)
    actions.speaker_next(cast.frank, meeting.current_list)
    Speech.objects.filter(pk=speech.pk).update(seconds=95)
    actions.speech_finish(cast.frank, Speech.objects.get(pk=speech.pk))
    actions.meeting_close(cast.frank, meeting)
    actions.minutes_publish(cast.frank, meeting, publish=True)
    html = reverse("meetings:minutes", args=[cast.south.slug, meeting.pk])
    pdf = reverse("meetings:minutes_pdf", args=[cast.south.slug, meeting.pk])
    return {"rosa": rosa, "tomas": tomas, "html": html, "pdf": pdf}


def read(cast, person, minutes) -> tuple[str, bytes]:
    client = cast.client(person)
    page = client.get(minutes["html"])
    pdf = client.get(minutes["pdf"])
    assert page.status_code == 200 and pdf.status_code == 200
    return page.content.decode(), _pdf_text(pdf.content)


@pytest.mark.parametrize("role", ["anonymous", "outsider", "observer"])  # none in South
def test_the_public_reads_counts_not_names_nor_groups(cast, minutes, role):
    page, pdf = read(cast, cast.roles[role], minutes)
    assert "Attendance (3)" in page and "A speaker" in page
    for name in ("Rosa", "Tomas", "Frank", "Mujeres"):
        assert name not in page, name
        assert name.encode() not in pdf, name
    assert 'id="names-for-members"' in page
    assert b"Speaking time" not in pdf


def test_members_read_names_and_times_but_not_the_groups(cast, minutes):
    page, pdf = read(cast, minutes["tomas"], minutes)
    assert "Rosa" in page and "Tomas" in page and "Frank" in page
    assert "Rosa" in page.split("Speaking time")[1]  # her time, per person
    assert b"Rosa" in pdf
    assert "Mujeres" not in page and b"Mujeres" not in pdf


def test_facilitators_see_the_groups_on_the_page_never_in_the_printed_minutes(cast, minutes):
    page, pdf = read(cast, cast.frank, minutes)
    assert "Mujeres" in page
    assert b"Mujeres" not in pdf and b"Rosa" in pdf


def test_a_statute_that_makes_participation_public_shows_names_to_all_but_never_groups(
    cast, minutes
):
    cast.south.participation_public = True
    cast.south.save(update_fields=["participation_public"])
    page, pdf = read(cast, None, minutes)
    assert "Rosa" in page and b"Rosa" in pdf
    assert "Mujeres" not in page and b"Mujeres" not in pdf
