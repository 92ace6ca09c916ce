"""Meeting actions called directly: agenda, attendance, the floor, votes, hand counts, minutes."""

import json
import zlib
from datetime import timedelta

import pytest
from django.utils import timezone

from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.live.events import subscribe, unsubscribe
from asamblea.meetings import actions, queries
from asamblea.meetings.minutes_pdf import render
from asamblea.meetings.models import AgendaItem, Speech
from asamblea.motions.actions import motion_submit
from asamblea.testing import join, make_person
from asamblea.voting.actions import (
    ballot_cast,
    hand_count_attest,
    hand_count_record,
    poll_close,
    poll_open,
)


def schedule(cast, **extra):
    return actions.meeting_schedule(
        cast.alice,
        cast.north,
        title="Asamblea de junio",
        starts_at=timezone.now() + timedelta(hours=1),
        place="Local comunal",
        **extra,
    )


@pytest.fixture
def running(cast):
    """An open meeting with an item under discussion, alice, bob and carol checked in."""
    meeting = schedule(cast)
    item = actions.item_add(cast.alice, meeting, title="Agua")
    actions.meeting_open(cast.alice, meeting)
    for person in (cast.alice, cast.bob, cast.carol):
        actions.check_in(person, meeting)
    actions.item_start(cast.alice, item)
    meeting.refresh_from_db()
    return meeting


def kinds(cast):
    return list(
        LedgerEntry.objects.filter(chain=cast.north.ledger_chain)
        .order_by("seq")
        .values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_member_cannot_schedule_a_meeting(cast):
    with pytest.raises(NotAllowed):
        actions.meeting_schedule(
            cast.bob, cast.north, title="X", starts_at=timezone.now(), place="Aquí"
        )


@pytest.mark.django_db
def test_meeting_needs_a_place_or_link(cast):
    with pytest.raises(Refused):
        actions.meeting_schedule(cast.alice, cast.north, title="X", starts_at=timezone.now())
    with pytest.raises(Refused):
        actions.meeting_schedule(
            cast.alice,
            cast.north,
            title="X",
            starts_at=timezone.now(),
            online_url="javascript:alert(1)",
        )


@pytest.mark.django_db
def test_facilitator_of_another_body_has_no_power(cast, running):
    with pytest.raises(NotAllowed):
        actions.speaker_next(cast.frank, running.current_list)
    with pytest.raises(NotAllowed):
        actions.meeting_close(cast.frank, running)


@pytest.mark.django_db
def test_meeting_states_are_timestamped_in_the_ledger(cast, running):
    actions.meeting_close(cast.alice, running)
    recorded = kinds(cast)
    for kind in (
        "meeting.scheduled",
        "agenda.item_added",
        "meeting.opened",
        "attendance.in",
        "agenda.item_started",
        "meeting.closed",
    ):
        assert kind in recorded
    assert verify_chain(cast.north.ledger_chain).ok
    with pytest.raises(Conflict):
        actions.meeting_open(cast.alice, running)


@pytest.mark.django_db
def test_member_proposal_waits_for_a_facilitator(cast):
    meeting = schedule(cast)
    item = actions.item_propose(cast.bob, meeting, title="Seguridad")
    assert item.status == AgendaItem.Status.PROPOSED
    with pytest.raises(NotAllowed):
        actions.item_propose(cast.olivia, meeting, title="Observer")
    with pytest.raises(NotAllowed):
        actions.item_decide(cast.bob, item, accept=True)
    actions.item_decide(cast.alice, item, accept=True)
    item.refresh_from_db()
    assert item.status == AgendaItem.Status.ON_AGENDA
    with pytest.raises(Conflict):
        actions.item_decide(cast.alice, item, accept=False)


@pytest.mark.django_db
def test_check_in_twice_is_refused_and_leaving_is_recorded(cast, running):
    with pytest.raises(Conflict):
        actions.check_in(cast.bob, running)
    actions.check_out(cast.bob, running)
    assert "attendance.out" in kinds(cast)
    actions.check_in(cast.bob, running)
    with pytest.raises(NotAllowed):
        actions.check_in(cast.oscar, running)
    with pytest.raises(NotAllowed):
        actions.check_in(cast.bob, running, person=cast.carol)  # only facilitators check others in


@pytest.mark.django_db
def test_floor_follows_the_fairness_rules(cast, running):
    speakers_list = running.current_list
    actions.speech_request(cast.bob, speakers_list)
    actions.speech_request(cast.carol, speakers_list)
    first = actions.speaker_next(cast.alice, speakers_list)
    assert first.person == cast.bob and first.running_since is not None
    actions.speech_request(cast.bob, speakers_list)  # bob again: a repeat speaker
    actions.speech_request(cast.alice, speakers_list)
    assert [s.person for s in queries.queue(speakers_list)] == [cast.carol, cast.alice, cast.bob]
    point = actions.speech_request(cast.bob, speakers_list, kind="point_of_order")
    assert queries.queue(speakers_list)[0] == point
    nxt = actions.speaker_next(cast.alice, speakers_list)
    assert nxt.kind == "point_of_order"
    first.refresh_from_db()
    assert first.state == Speech.State.DONE and first.ended_at is not None


@pytest.mark.django_db
def test_double_request_is_refused(cast, running):
    actions.speech_request(cast.bob, running.current_list)
    with pytest.raises(Conflict):
        actions.speech_request(cast.bob, running.current_list)


@pytest.mark.django_db
def test_absent_member_and_observer_cannot_ask_to_speak(cast, running):
    actions.check_out(cast.carol, running)
    with pytest.raises(NotAllowed):
        actions.speech_request(cast.carol, running.current_list)
    with pytest.raises(NotAllowed):
        actions.speech_request(cast.olivia, running.current_list)
    with pytest.raises(Refused):
        actions.speech_request(cast.bob, running.current_list, kind="shout")


@pytest.mark.django_db
def test_reorder_needs_a_reason_and_is_recorded(cast, running):
    speakers_list = running.current_list
    bob = actions.speech_request(cast.bob, speakers_list)
    carol = actions.speech_request(cast.carol, speakers_list)
    with pytest.raises(Refused):
        actions.speech_move(cast.alice, carol, before=bob, reason=" ")
    with pytest.raises(NotAllowed):
        actions.speech_move(cast.bob, carol, before=bob, reason="me first")
    actions.speech_move(cast.alice, carol, before=bob, reason="Carol was skipped earlier")
    assert [s.person for s in queries.queue(speakers_list)] == [cast.carol, cast.bob]
    entry = LedgerEntry.objects.filter(kind="speakers.moved").get()
    assert json.loads(entry.payload)["reason"] == "Carol was skipped earlier"


@pytest.mark.django_db
def test_timer_and_totals(cast, running):
    speakers_list = running.current_list
    actions.speech_request(cast.bob, speakers_list)
    speech = actions.speaker_next(cast.alice, speakers_list)
    actions.timer_toggle(cast.alice, speech, run=False)
    with pytest.raises(Conflict):
        actions.timer_toggle(cast.alice, speech, run=False)
    Speech.objects.filter(pk=speech.pk).update(seconds=95)
    actions.speech_finish(cast.alice, speech)
    totals = queries.totals(running)
    assert totals["people"] == [{"name": "Bob", "speeches": 1, "seconds": 95}]


@pytest.mark.django_db
def test_groups_alternate_and_stay_private(cast, running):
    actions.rules_set(
        cast.alice, cast.north, time_limit=120, alternate_groups=True, groups=["Mujeres", "Hombres"]
    )
    women, men = (
        cast.north.speaker_groups.get(name="Mujeres"),
        cast.north.speaker_groups.get(name="Hombres"),
    )
    actions.group_choose(cast.alice, cast.north, group=men)
    actions.group_choose(cast.bob, cast.north, group=men)
    actions.group_choose(cast.carol, cast.north, group=women)
    speakers_list = running.current_list
    for person in (cast.alice, cast.bob, cast.carol):
        actions.speech_request(person, speakers_list)
    assert [s.person for s in queries.queue(speakers_list)] == [cast.alice, cast.carol, cast.bob]
    # Nobody's group choice reaches the ledger.
    payloads = " ".join(LedgerEntry.objects.values_list("payload", flat=True))
    assert "Mujeres" not in payloads and "Hombres" not in payloads


@pytest.mark.django_db
def test_meeting_vote_electorate_is_who_was_present_at_opening(cast, running):
    actions.check_out(cast.carol, running)
    poll = poll_open(cast.alice, cast.north, title="¿Marcha?", meeting=running)
    assert poll.electorate_size == 2
    actions.check_in(cast.carol, running)  # arriving later does not add her
    with pytest.raises(NotAllowed):
        ballot_cast(cast.carol, poll, choice="yes")
    ballot_cast(cast.bob, poll, choice="yes")


@pytest.mark.django_db
def test_hand_count_is_attested_added_and_marked(cast, running):
    dora = make_person("dora")
    join(dora, cast.north)
    actions.check_in(cast.alice, running, person=dora)  # in the room without a phone
    poll = poll_open(cast.alice, cast.north, title="¿Marcha?", meeting=running)
    ballot_cast(cast.bob, poll, choice="yes")
    ballot_cast(cast.carol, poll, choice="no")
    with pytest.raises(Refused):
        hand_count_record(cast.alice, poll, yes=3, no=0, abstain=0)  # only alice and dora left
    hand_count_record(cast.alice, poll, yes=2, no=0, abstain=0)
    with pytest.raises(NotAllowed):
        hand_count_attest(cast.alice, poll)  # not by the one who counted
    with pytest.raises(Conflict):
        poll_close(cast.alice, poll)  # unattested
    second = make_person("erin")
    join(second, cast.north, "facilitator")
    hand_count_attest(second, poll)
    closed = poll_close(cast.alice, poll)
    assert closed.result["yes"] == "3" and closed.result["no"] == "1"
    assert closed.result["hand_count"]["yes"] == 2
    assert closed.result["electronic"] == 2 and closed.result["participants"] == 4
    assert {"poll.hand_count_recorded", "poll.hand_count_attested"} <= set(kinds(cast))


@pytest.mark.django_db
def test_electronic_vote_after_hand_count_cannot_make_anyone_count_twice(cast, running):
    poll = poll_open(cast.alice, cast.north, title="Q", meeting=running)
    hand_count_record(cast.alice, poll, yes=3, no=0, abstain=0)  # everyone, by hand
    erin = make_person("erin")
    join(erin, cast.north, "facilitator")
    hand_count_attest(erin, poll)
    ballot_cast(cast.bob, poll, choice="no")  # bob also votes on his phone
    with pytest.raises(Conflict):
        poll_close(cast.alice, poll)  # 3 hands + 1 phone > 3 present: correct the count
    hand_count_record(cast.alice, poll, yes=2, no=0, abstain=0)
    hand_count_attest(erin, poll)
    assert poll_close(cast.alice, poll).result["participants"] == 3


@pytest.mark.django_db
def test_agenda_adopted_by_vote(cast, running):
    poll = poll_open(cast.alice, cast.north, title="Agenda", meeting=running, decides_agenda=True)
    ballot_cast(cast.bob, poll, choice="yes")
    ballot_cast(cast.carol, poll, choice="yes")
    poll_close(cast.alice, poll)
    running.refresh_from_db()
    assert running.agenda_adopted_at is not None
    assert "agenda.adopted" in kinds(cast)


@pytest.mark.django_db
def test_events_are_published_only_after_commit(cast, running, django_capture_on_commit_callbacks):
    seen = []

    def sink(channel, kind, data):
        seen.append((channel, kind))

    subscribe(sink)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            actions.speech_request(cast.bob, running.current_list)
        assert seen == []
        for callback in callbacks:
            callback()
        assert (running.channel, "speakers.requested") in seen
    finally:
        unsubscribe(sink)


@pytest.mark.django_db
def test_minutes_record_and_notes_versions(cast, running):
    motion = motion_submit(cast.bob, cast.north, title="Agua potable", text="Exigir agua")
    item = actions.item_add(cast.alice, running, title="Mociones", motions=[motion])
    actions.item_start(cast.alice, item)
    actions.motion_debate(cast.alice, item, motion)
    running.refresh_from_db()
    actions.speech_request(cast.carol, running.current_list)
    actions.speaker_next(cast.alice, running.current_list)
    poll = poll_open(cast.alice, cast.north, motion=motion, meeting=running)
    ballot_cast(cast.bob, poll, choice="yes")
    poll_close(cast.alice, poll)
    v1 = actions.notes_save(cast.alice, running, text="Acuerdo: marcha el sábado", base=0)
    with pytest.raises(Conflict):
        actions.notes_save(cast.alice, running, text="stale", base=0)
    actions.notes_save(cast.alice, running, text="Acuerdo: marcha el sábado, 10h", base=1)
    with pytest.raises(NotAllowed):
        actions.notes_save(cast.bob, running, text="x", base=2)
    closed = actions.meeting_close(cast.alice, running)
    record = closed.minutes
    assert {a["name"] for a in record["attendance"]} == {"Alice", "Bob", "Carol"}
    motions_item = record["items"][1]
    assert motions_item["motions"][0]["number"] == motion.number
    debate = next(lst for lst in motions_item["lists"] if lst["motion"] == motion.number)
    assert debate["speeches"][0]["name"] == "Carol"
    assert record["votes"][0]["result"]["yes"] == "1"
    assert v1.number == 1 and queries.latest_notes(closed).number == 2
    with pytest.raises(Conflict):
        actions.minutes_publish(cast.alice, schedule(cast), publish=True)
    actions.minutes_publish(cast.alice, closed, publish=True)


@pytest.mark.django_db
def test_meeting_cannot_close_with_a_vote_open(cast, running):
    poll_open(cast.alice, cast.north, title="Q", meeting=running)
    with pytest.raises(Conflict):
        actions.meeting_close(cast.alice, running)


def _pdf_text(data: bytes) -> bytes:
    chunks = []
    for part in data.split(b"stream\n")[1:]:
        body = part.split(b"\nendstream")[0]
        try:
            chunks.append(zlib.decompress(body))
        except zlib.error:
            chunks.append(body)
    return b"".join(chunks)


def test_pdf_handles_spanish_accents():
    record = {
        "title": "Asamblea de año nuevo",
        "attendance": [{"name": "José Núñez"}],
        "items": [{"title": "¿Qué hacemos? ¡Acción!", "motions": [], "lists": []}],
        "votes": [],
        "totals": {},
    }
    data = render(record, "Notas “con comillas” y emoji 🙂")
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert "año".encode("latin-1") in text
    assert "José Núñez".encode("latin-1") in text
    assert "¿Qué hacemos? ¡Acción!".encode("latin-1") in text
