"""Every date a person types is bounded to a sensible range, with a clear message in their
language, and nothing is stored when it is not."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.errors import Refused
from asamblea.meetings import actions as meetings
from asamblea.meetings.models import Meeting
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Poll

FAR = "9999-12-31T23:59"


@pytest.mark.django_db
def test_a_meeting_dated_9999_is_refused_through_the_page_with_a_spanish_message(cast):
    url = reverse("meetings:list", args=[cast.north.slug])
    data = {"title": "Fin", "starts_at": FAR, "place": "Local"}
    response = cast.client(cast.alice, "es").post(url, data)
    assert response.status_code == 400
    assert "demasiado lejana" in response.content.decode()
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_the_meeting_form_tells_the_browser_its_range(cast):
    page = cast.client(cast.alice).get(reverse("meetings:list", args=[cast.north.slug]))
    field = page.content.decode().split('name="starts_at"')[1].split(">")[0]
    assert 'min="' in field and 'max="' in field


@pytest.mark.django_db
def test_actions_refuse_dates_out_of_range(cast):
    far = timezone.now() + timedelta(days=20 * 365)
    with pytest.raises(Refused):
        meetings.meeting_schedule(cast.alice, cast.north, title="X", starts_at=far, place="L")
    long_ago = timezone.now() - timedelta(days=3 * 365)
    with pytest.raises(Refused):
        meetings.meeting_schedule(cast.alice, cast.north, title="X", starts_at=long_ago, place="L")
    with pytest.raises(Refused):
        poll_open(cast.alice, cast.north, title="Q", closes_at=far)
    assert not Meeting.objects.exists() and not Poll.objects.exists()
    soon = timezone.now() + timedelta(days=30)
    meetings.meeting_schedule(cast.alice, cast.north, title="X", starts_at=soon, place="L")
    poll_open(cast.alice, cast.north, title="Q", closes_at=soon)


def test_coordination_forms_refuse_dates_out_of_range_in_spanish():
    from django.utils import translation

    from asamblea.coordination.forms import ConsultationForm, ElectionForm, VoteOpenForm

    with translation.override("es"):
        consultation = ConsultationForm(
            {"rule": "head_count", "deadline": FAR, "quorum_percent": 0, "majority": "simple"}
        )
        assert not consultation.is_valid()
        assert "demasiado lejana" in str(consultation.errors["deadline"])
        vote = VoteOpenForm({"closes_at": "2001-01-01T10:00"})
        assert not vote.is_valid() and "futura" in str(vote.errors["closes_at"])
    assert "closes_at" in ElectionForm.base_fields


def test_check_moment_accepts_the_range_and_refuses_beyond():
    from asamblea.dates import MAX_AHEAD, check_moment

    now = timezone.now()
    check_moment(now + MAX_AHEAD - timedelta(minutes=1))
    check_moment(now - timedelta(days=30), future_only=False)
    for bad in (now + MAX_AHEAD + timedelta(days=1), now - timedelta(minutes=1)):
        with pytest.raises(Refused):
            check_moment(bad)
