"""Nothing in the feeds, the open data or the CSV reveals what the pages hide: who took part
in a secret vote, who belongs to which voluntary speaking group, members' names where the
statute keeps them private, and anything of a members-only body."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from asamblea.meetings import actions as meet
from asamblea.meetings.models import SpeakerGroup
from asamblea.publishing.models import Publication
from asamblea.publishing.tests.scene import decide
from asamblea.testing import join, make_cast, make_person

pytestmark = pytest.mark.django_db


def _everything_public(client, body) -> str:
    """Every page and file the publishing app serves about ``body`` to this client."""
    texts = []
    urls = [
        reverse("publishing:resolutions", args=[body.slug]),
        reverse("publishing:feed", args=[body.slug]),
        "/feed/",
        reverse("publishing:popolo", args=[body.slug]),
        reverse("publishing:statements", args=[body.slug]),
    ]
    urls += [
        reverse("publishing:popolo_csv", args=[body.slug, t])
        for t in ("vote_events", "votes", "group_results", "memberships")
    ]
    for pub in Publication.objects.filter(body=body).exclude(kind="minutes"):
        urls.append(reverse("publishing:resolution_print", args=[body.slug, pub.pk]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        texts.append(response.content.decode())
    return "\n".join(texts)


def test_who_took_part_in_a_secret_vote_and_voluntary_groups_never_leave():
    cast = make_cast()
    ana, beto = (
        make_person("ana", display_name="Anacleta"),
        make_person("beto", display_name="Bertoldo"),
    )
    for person in (ana, beto):
        join(person, cast.south)
    meet.rules_set(cast.frank, cast.south, time_limit=60, alternate_groups=True,
                   groups=["Jóvenes discretos"])  # fmt: skip
    meet.group_choose(ana, cast.south, group=SpeakerGroup.objects.get(body=cast.south))
    meeting = meet.meeting_schedule(
        cast.frank, cast.south, title="Asamblea de junio", starts_at=timezone.now(), place="X"
    )
    meet.meeting_open(cast.frank, meeting)
    meet.check_in(ana, meeting)
    item = meet.item_add(cast.frank, meeting, title="Agua")
    meet.item_start(cast.frank, item)
    meeting.refresh_from_db()
    meet.speech_request(ana, meeting.current_list)
    decide(cast.frank, cast.south, "Huelga", [ana, beto], secrecy="secret")
    meet.meeting_close(cast.frank, meeting)
    meet.minutes_publish(cast.frank, meeting, publish=True)
    text = _everything_public(cast.client(None), cast.south)
    assert "Asamblea de junio" in text and "Huelga" in text  # the records are there
    for hidden in ("Anacleta", "Bertoldo", "Jóvenes discretos", 'participants": [', "ana"):
        assert hidden not in text, hidden


def test_a_members_only_body_is_absent_from_everything_public():
    cast = make_cast()
    decide(cast.alice, cast.north, "Asunto interno de North", [cast.bob], secrecy="named")
    south = _everything_public(cast.client(None), cast.south)
    assert "North" not in south and "Asunto interno" not in south
    for person in (None, cast.oscar, cast.frank):
        client = cast.client(person)
        for name in ("resolutions", "feed", "popolo", "statements"):
            assert client.get(reverse(f"publishing:{name}", args=["north"])).status_code == 404
        assert "Asunto interno" not in client.get("/feed/").content.decode()
        assert "north" not in client.get(reverse("publishing:feeds")).content.decode()


def test_reindex_command_rebuilds_the_index():
    cast = make_cast()
    decide(cast.frank, cast.south, "Huelga", [cast.frank])
    Publication.objects.all().delete()
    out = io.StringIO()
    call_command("reindex_publications", "south", stdout=out)
    assert "1 publications" in out.getvalue()
    assert Publication.objects.filter(body=cast.south).count() == 1
