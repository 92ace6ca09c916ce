"""A verifiable secret ballot inside a live meeting, as the people in the room live it (issue 15).

Each person in their own Chromium context against the live server. Norte's Saturday meeting is
in session, Alicia facilitating from a laptop, Bruno, Carmen, Diego and Elena checked in. Carmen
has the meeting's page open on her phone when Alicia opens a vote from the meeting's vote form
with the secrecy "verifiable": Carmen's page shows, by itself, the link to the vote's page
instead of the ordinary ballot, and the projector shows the question. Alicia sees the steps,
and no hand-count or close forms; she follows the link and chooses Bruno, present, as the one
trustee; Bruno runs the key ceremony from his phone. Carmen and Diego register through the link
on the meeting's page, Alicia opens voting, they cast; Elena, JavaScript off, follows the same
link and reads that the vote needs JavaScript. Alicia tries to close the meeting first and is
told to close the ballot box; she closes it, then the meeting. Bruno decrypts after the meeting:
its minutes, fixed at its close, say the vote was still being counted, and the vote's own page
and the meeting's page show the result.

Uses Debian's Chromium (never a downloaded browser); under CI=true a missing one fails.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from asamblea.bodies.actions import body_create
from asamblea.meetings import actions as meetings
from asamblea.meetings.models import Meeting
from asamblea.testing import join, make_person
from asamblea.verifiable.models import VerifiableVote
from asamblea.voting.models import Poll
from tests.e2e.test_scenario_verifiable import (  # noqa: F401 - the fixture is autouse
    LAPTOP,
    PHONE,
    PROJECTOR,
    _patient_expect,
    cast,
    compare_fingerprints,
    context_for,
    log_in,
    lone_trustee_ceremony,
    register,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUESTION = "¿Ocupamos el local?"


def test_a_verifiable_vote_in_a_live_meeting_from_its_vote_form_to_its_minutes(browser, site):
    alicia = make_person("alicia", display_name="Alicia", language="en")
    north = body_create(alicia, name="Norte", kind="district", visibility="members")
    meeting = meetings.meeting_schedule(
        alicia, north, title="Asamblea del sábado", starts_at=timezone.now(), place="Local"
    )
    meetings.meeting_open(alicia, meeting)
    meetings.check_in(alicia, meeting)
    for name in ("bruno", "carmen", "diego", "elena"):
        person = make_person(name, display_name=name.capitalize(), language="en")
        join(person, north)
        meetings.check_in(person, meeting)
    meeting_url = f"{site}/b/{north.slug}/meetings/{meeting.pk}/"
    contexts = []

    def open_context(viewport, **kwargs):
        contexts.append(context_for(browser, viewport, **kwargs))
        return contexts[-1]

    try:
        # Carmen follows the meeting on her phone; the projector shows it to the room.
        phones = {"carmen": open_context(PHONE)}
        carmen = log_in(phones["carmen"], site, "carmen")
        carmen.goto(meeting_url)
        expect(carmen.locator("#present-count")).to_have_text("5 present")
        expect(carmen.locator("#vote")).to_have_count(0)
        projector = log_in(open_context(PROJECTOR), site, "alicia")
        projector.goto(meeting_url + "projector/")

        # Alicia opens the vote from the meeting's vote form, verifiable.
        facilitator = log_in(open_context(LAPTOP), site, "alicia")
        facilitator.goto(meeting_url)
        facilitator.fill("#id_title", QUESTION)
        facilitator.select_option("#id_secrecy", "verifiable")
        facilitator.locator("#open-vote").click()
        facilitator.wait_for_url(meeting_url)
        poll = Poll.objects.get(meeting=meeting)
        assert poll.is_verifiable
        vote_url = f"{site}/b/{north.slug}/p/{poll.pk}/verifiable/"
        expect(facilitator.locator("#vote-verifiable-steps")).to_be_visible()
        expect(facilitator.locator("#vote-verifiable-link")).to_have_attribute(
            "href", f"/b/{north.slug}/p/{poll.pk}/verifiable/"
        )
        for form in ("#hand-count", "#record-hands", "#close-vote", "#cast"):
            expect(facilitator.locator(form)).to_have_count(0)

        # Carmen's page follows by itself: the link to the vote's page, no ordinary ballot.
        expect(carmen.locator("#vote-verifiable-link")).to_be_visible()
        expect(carmen.locator("#vote-verifiable")).to_contain_text("verifiable secret ballot")
        expect(carmen.locator("#cast")).to_have_count(0)
        expect(carmen.locator("#vote-verifiable-steps")).to_have_count(0)  # the facilitator's
        assert carmen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        expect(projector.locator(".projector-vote h3")).to_have_text(QUESTION)

        # Alicia follows the link and chooses Bruno, present, as the one trustee.
        facilitator.locator("#vote-verifiable-link").click()
        facilitator.wait_for_url(vote_url)
        facilitator.locator("#verifiable-facilitator a.button").click()  # choose the trustees
        facilitator.get_by_label("Bruno", exact=True).check()
        facilitator.fill("#id_threshold", "1")
        facilitator.locator("main form button[type=submit]").click()
        facilitator.wait_for_url(vote_url)

        # Bruno runs the ceremony from his phone, from a code shown once.
        phones["bruno"] = open_context(PHONE)
        trustee = log_in(phones["bruno"], site, "bruno")
        code = lone_trustee_ceremony(trustee, vote_url, poll, "bruno")

        # Carmen and Diego register, each through the link on the meeting's page.
        phones["diego"] = open_context(PHONE)
        voters = {"carmen": carmen, "diego": log_in(phones["diego"], site, "diego")}
        for page in voters.values():
            page.goto(meeting_url)
            page.locator("#vote-verifiable-link").click()
            page.wait_for_url(vote_url)
            register(page, vote_url)

        # Alicia opens voting; Carmen votes yes, Diego no.
        facilitator.goto(vote_url)
        facilitator.locator("form[action$='/open/'] button[type=submit]").click()
        for name, answer in (("carmen", 0), ("diego", 1)):
            expect(voters[name].locator("#verifiable-encrypt")).to_be_visible()
            cast(voters[name], answer)

        # Elena has JavaScript off: the same link, then the notice.
        elena = log_in(open_context(PHONE, javascript=False), site, "elena")
        elena.goto(meeting_url)
        expect(elena.locator("#cast")).to_have_count(0)
        elena.locator("#vote-verifiable-link").click()
        elena.wait_for_url(vote_url)
        expect(elena.locator("#verifiable-noscript")).to_be_visible()
        expect(elena.locator("#verifiable-noscript")).to_contain_text("needs JavaScript")

        # Alicia tries to close the meeting with the ballot box open: refused, nothing changed.
        close_meeting = f"form[action$='/meetings/{meeting.pk}/close/'] button[type=submit]"
        facilitator.goto(meeting_url)
        facilitator.locator(close_meeting).click()
        refusal = facilitator.locator("main .msg.error[role=alert]")
        expect(refusal).to_contain_text("Close the ballot box of this meeting's verifiable vote")
        expect(facilitator.locator("main")).to_contain_text("Nothing was changed.")
        meeting.refresh_from_db()
        assert meeting.state == Meeting.State.OPEN

        # She closes the ballot box, then the meeting: its minutes say the vote is being counted.
        facilitator.goto(vote_url)
        close_box = "#verifiable-facilitator form[action$='/close/']"
        facilitator.locator(close_box + " button[type=submit]").click()
        expect(facilitator.locator(close_box)).to_have_count(0)
        assert VerifiableVote.objects.get(poll=poll).phase == "closed"
        facilitator.goto(meeting_url)
        facilitator.locator(close_meeting).click()
        facilitator.wait_for_url(meeting_url + "minutes/")
        expect(facilitator.locator("main")).to_contain_text("The meeting is closed")
        meeting.refresh_from_db()
        assert meeting.state == Meeting.State.CLOSED

        # Bruno comes back after the meeting, types his code and decrypts.
        trustee = phones["bruno"].new_page()
        trustee.goto(vote_url + "trustee/")
        trustee.fill("#verifiable-trustee-code", code)
        trustee.locator("#verifiable-trustee-go").click()
        expect(trustee.locator("#verifiable-trustee-status")).to_have_attribute("data-kind", "ok")
        poll.refresh_from_db()
        assert not poll.is_open and (poll.result["yes"], poll.result["no"]) == ("1", "1")

        # The minutes were fixed at the close: the vote, still being counted then.
        facilitator.goto(meeting_url + "minutes/")
        heading = facilitator.locator("h2", has_text="Votes")
        votes = heading.locator("xpath=following-sibling::ul[1]")
        expect(votes.locator("li")).to_have_count(1)
        expect(votes).to_contain_text(QUESTION)
        expect(votes).to_contain_text("Still being counted when the meeting closed")
        expect(votes).not_to_contain_text("Adopted")
        # The minutes link to the vote's own page, which carries the result: one yes, one no.
        votes.locator("a.minutes-vote-link").click()
        facilitator.wait_for_url(f"{site}/b/{north.slug}/p/{poll.pk}/")
        expect(facilitator.locator("#count-yes")).to_have_text("1")
        expect(facilitator.locator("#count-no")).to_have_text("1")
        expect(facilitator.locator("#count-abstain")).to_have_text("0")
        expect(facilitator.locator("#count-verifiable")).to_have_text("2")
        carmen.goto(meeting_url)
        expect(carmen.locator("#meeting-state")).to_have_text("Closed")
        expect(carmen.locator("#vote-result")).to_be_visible()
        expect(carmen.locator("#vote-verifiable-link")).to_have_count(0)
    finally:
        for context in contexts:
            context.close()
