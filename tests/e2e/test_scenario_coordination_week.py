"""A coordination week, in Chromium, as the people in it live it.

Three assemblies (North, South, East) in the Federation. A motion North adopted is forwarded up
and lands on the Federation's agenda; the Federation consults its assemblies on it, and each
decides its own way: North online, South in a meeting, East by a recorded show of hands. South's
delegate votes in the Federation under a binding mandate: the ballot shows the mandate, a vote
against it is refused, the mandated vote is cast. East's members recall their delegate, who is
also East's only facilitator: she cannot close the recall, and it closes by itself on time.

Writes that are not the point of a step are made through the actions (the same functions the
pages call); every step asserts what each person sees. Time is advanced by moving the stored
closing time, never by sleeping.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.utils import timezone

from asamblea.bodies.actions import body_create
from asamblea.coordination import actions as coordination
from asamblea.coordination.models import ConsultedBody, Delegation, Forward, ForwardVote
from asamblea.meetings import actions as meetings
from asamblea.motions.actions import motion_submit
from asamblea.testing import affiliate, join, make_delegate, make_person
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Poll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class People:
    """Everyone in the week, each with a browser page once they first look at something."""

    def __init__(self, browser, site):
        self.browser, self.site, self.pages = browser, site, {}

    def page(self, person):
        if person.pk not in self.pages:
            context = self.browser.new_context(
                locale="en",
                viewport={"width": 390, "height": 844},
                extra_http_headers={"Accept-Language": "en"},
            )
            context.set_default_timeout(15_000)
            store = SessionStore()
            store[SESSION_KEY] = str(person.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = person.get_session_auth_hash()
            store.create()
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": store.session_key,
                        "url": self.site,
                    }
                ]
            )
            self.pages[person.pk] = context.new_page()
        return self.pages[person.pk]

    def sees(self, person, path):
        page = self.page(person)
        response = page.goto(f"{self.site}{path}")
        assert response is not None and response.status < 400, (path, response and response.status)
        return page

    def close(self):
        for page in self.pages.values():
            page.context.close()


def _assembly(facilitator, name, members):
    body = body_create(facilitator, name=name, kind="district", visibility="members")
    for person in members:
        join(person, body)
    return body


def test_a_coordination_week(browser, site):
    people = {  # they read English here; the Spanish pages have their own sweep
        n: make_person(n, language="en")
        for n in ("alice", "bob", "carol", "frank", "sam", "erin", "ema", "eli", "cora")
    }
    p = type("P", (), people)
    north = _assembly(p.alice, "North", [p.bob, p.carol])
    south = _assembly(p.frank, "South", [p.sam])
    east = _assembly(p.erin, "East", [p.ema, p.eli])
    federation = coordination.coordination_create(
        p.cora, name="Federation", kind="regional_coordination", visibility="public"
    )
    for body in (north, south, east):
        affiliate(body, federation)
    make_delegate(p.carol, north, federation)
    make_delegate(p.frank, south, federation)
    erin_seat = make_delegate(p.erin, east, federation)  # East's only facilitator, and delegate
    week = People(browser, site)
    try:
        # 1. North adopts a motion and forwards it up: it is on the Federation's agenda.
        def adopt_and_forward(title):
            origin = motion_submit(p.bob, north, title=title, text="Lo decide la base.")
            poll = poll_open(p.alice, north, motion=origin, secrecy="named")
            for person in (p.alice, p.bob, p.carol):
                ballot_cast(person, poll, choice="yes")
            poll_close(p.alice, poll)
            # The statute's rule: the members vote on sending it up (any member proposes it).
            sending = coordination.motion_forward(p.bob, origin, federation)
            if isinstance(sending, ForwardVote):
                for person in (p.alice, p.bob, p.carol):
                    ballot_cast(person, sending.poll, choice="yes")
                poll_close(p.alice, sending.poll)
            return Forward.objects.get(origin=origin, coordination=federation).agenda_motion

        second = adopt_and_forward("Olla común")  # for the delegates' vote, step 3
        agenda = adopt_and_forward("Paro regional")
        assert agenda is not None and second is not None
        page = week.sees(p.cora, f"/c/{federation.slug}/")
        assert "Paro regional" in page.locator("main").inner_text()
        page = week.sees(p.bob, f"/b/{north.slug}/coordination/")
        assert "Paro regional" in page.locator("main").inner_text()

        # 2. The Federation consults its assemblies; each decides its own way.
        consultation = coordination.consultation_open(
            p.cora,
            federation,
            agenda,
            rule="head_count",
            deadline=timezone.now() + timedelta(days=3),
            quorum_percent=0,
        )
        rows = {row.body_id: row for row in consultation.rows.all()}
        # North online: bob votes on his phone.
        online = coordination.consultation_poll_open(p.alice, rows[north.pk], secrecy="secret")
        page = week.sees(p.bob, f"/b/{north.slug}/p/{online.pk}/")
        page.get_by_label("Yes", exact=True).check()
        page.get_by_role("button", name="Cast my vote").click()
        page.get_by_text("Your vote is recorded").first.wait_for()
        ballot_cast(p.carol, online, choice="no")
        # South in a meeting: sam votes from the meeting page.
        meeting = meetings.meeting_schedule(
            p.frank, south, title="Asamblea del martes", starts_at=timezone.now(), place="Sede"
        )
        meetings.meeting_open(p.frank, meeting)
        for person in (p.frank, p.sam):
            meetings.check_in(person, meeting)
        in_meeting = coordination.consultation_meeting_vote_open(
            p.frank, rows[south.pk], meeting, secrecy="secret"
        )
        page = week.sees(p.sam, f"/b/{south.slug}/meetings/{meeting.pk}/")
        vote_box = page.locator("#vote")
        assert "0 of 2 have voted" in vote_box.inner_text()
        vote_box.get_by_label("Yes", exact=True).check()
        vote_box.get_by_role("button", name="Cast my vote").click()
        page.get_by_text("Your vote is recorded").first.wait_for()
        ballot_cast(p.frank, in_meeting, choice="yes")
        poll_close(p.frank, in_meeting)
        meetings.meeting_close(p.frank, meeting)
        # East by a recorded show of hands.
        coordination.consultation_record(
            p.erin, rows[east.pk], means="hands", yes=2, no=1, abstain=0, present=3
        )
        # The deadline passes: the command closes the consultation and the online vote.
        consultation.__class__.objects.filter(pk=consultation.pk).update(
            deadline=timezone.now() - timedelta(seconds=1)
        )
        Poll.objects.filter(pk=online.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
        call_command("close_due_polls", stdout=open("/dev/null", "w"))  # noqa: SIM115
        means = dict(
            ConsultedBody.objects.filter(consultation=consultation).values_list("body_id", "means")
        )
        assert means == {north.pk: "online", south.pk: "meeting", east.pk: "hands"}
        page = week.sees(p.cora, f"/c/{federation.slug}/k/{consultation.pk}/")
        outcome = page.locator("#consultation-outcome").inner_text()
        assert "Adopted" in outcome
        assert page.locator("#total-yes").inner_text() == "5"  # bob, sam, frank, 2 hands
        assert page.locator("#total-no").inner_text() == "2"  # carol, 1 hand

        # 3. South's delegate votes under a binding mandate.
        coordination.mandate_set(p.frank, south, second, position="against", binding=True)
        vote = coordination.vote_open(p.cora, federation, second)
        page = week.sees(p.frank, f"/c/{federation.slug}/v/{vote.pk}/")
        ballot = page.locator("form.card")
        assert "Your assembly's mandate: Against (binding)" in ballot.inner_text()
        assert "A vote against this mandate is not accepted." in ballot.inner_text()
        ballot.get_by_label("Yes", exact=True).check()
        ballot.get_by_role("button", name="Cast the vote").click()
        page.get_by_text("binding mandate is to vote “No”").wait_for()
        page = week.sees(p.frank, f"/c/{federation.slug}/v/{vote.pk}/")
        page.locator("form.card").get_by_label("No", exact=True).check()
        page.locator("form.card").get_by_role("button", name="Cast the vote").click()
        page.locator("#seats").wait_for()
        south_row = page.locator("#seats tr", has_text="South")
        assert "Against (binding)" in south_row.inner_text() and "No" in south_row.inner_text()
        page = week.sees(p.cora, f"/c/{federation.slug}/v/{vote.pk}/")
        assert "diverges" not in page.locator("#seats tr", has_text="South").inner_text()

        # 4. East's members recall erin, their delegate and only facilitator.
        page = week.sees(p.ema, f"/b/{east.slug}/coordination/")
        page.get_by_role("button", name="Put a recall to a vote").click()
        page.get_by_role("button", name="Cast my vote").wait_for()
        recall_url = page.url
        page.get_by_label("Yes", exact=True).check()
        page.get_by_role("button", name="Cast my vote").click()
        page.get_by_text("Your vote is recorded").first.wait_for()
        recall_poll = Poll.objects.get(body=east, state="open")
        ballot_cast(p.eli, recall_poll, choice="yes")
        hours = (recall_poll.closes_at - recall_poll.opened_at) / timedelta(hours=1)
        assert round(hours) == 72
        page = week.sees(p.erin, recall_url.removeprefix(site))
        page.get_by_role("button", name="Close the vote and count").click()
        page.get_by_text("You cannot close the vote on your own recall").wait_for()
        page = week.sees(p.eli, f"/b/{east.slug}/coordination/")
        assert "A recall vote is open; it closes by itself on" in page.locator("main").inner_text()
        # Three days pass: the next visit closes it, and erin is no longer East's delegate.
        Poll.objects.filter(pk=recall_poll.pk).update(
            closes_at=timezone.now() - timedelta(seconds=1)
        )
        page = week.sees(p.eli, f"/b/{east.slug}/coordination/")
        delegates = page.locator("main").inner_text().split("Our delegates")[1]
        assert "Erin" not in delegates.split("Election")[0]
        erin_seat.refresh_from_db()
        assert erin_seat.recalled_at is not None
        page = week.sees(p.erin, recall_url.removeprefix(site))
        assert "Adopted" in page.locator("#poll-outcome").inner_text()
        assert not Delegation.objects.filter(pk=erin_seat.pk, recalled_at__isnull=True).exists()
    finally:
        week.close()
