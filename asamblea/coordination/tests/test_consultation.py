"""End to end across three levels: a motion goes down from a national coordination to twelve
assemblies, they decide by different means, and the aggregate and every breakdown are exactly
the numbers computed by hand below."""

import json
from datetime import timedelta
from fractions import Fraction

import pytest
from django.utils import timezone

from asamblea.bodies.actions import body_create
from asamblea.bodies.models import Sector
from asamblea.coordination import actions
from asamblea.coordination import aggregate as agg
from asamblea.coordination import queries as coordination_queries
from asamblea.coordination.models import ConsultedBody
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.motions.models import Motion
from asamblea.testing import affiliate, join, make_person
from asamblea.voting.actions import ballot_cast, poll_close
from asamblea.voting.models import Eligibility
from asamblea.voting.rules import Majority, Tally

# name: (voting members, region, sector, means, yes, no, abstain, present)
ASSEMBLIES = {
    "A1": (5, "Norte", "students", "online", 3, 1, 1, None),
    "A2": (4, "Norte", "workers", "online", 1, 2, 0, None),
    "A3": (6, "Norte", "workers", "meeting", 4, 2, 0, 6),
    "A4": (3, "Norte", "students", "hands", 0, 3, 0, 3),
    "A5": (7, "Sur", "rural", "online", 5, 2, 0, None),
    "A6": (4, "Sur", "rural", "meeting", 2, 2, 0, 4),
    "A7": (5, "Sur", "workers", "hands", 2, 1, 1, 4),
    "A8": (3, "Sur", "students", "online", 0, 1, 0, None),
    "A9": (6, "Sur", "workers", "meeting", 6, 0, 0, 6),
    "A10": (4, "Norte", "students", "hands", 1, 3, 0, 4),
    "A11": (5, "Norte", "rural", "online", 2, 3, 0, None),
    "A12": (2, "Norte", "rural", None, 0, 0, 0, None),  # never decides
}
# nation <- region1 <- (district1: A1-A4, district2: A5-A8 and A1 again)
#        <- region2 <- district3: A9-A12
DISTRICTS = {
    "D1": ["A1", "A2", "A3", "A4"],
    "D2": ["A5", "A6", "A7", "A8", "A1"],
    "D3": ["A9", "A10", "A11", "A12"],
}


@pytest.fixture
def federation(db):
    cora = make_person("cora")
    sectors = {
        slug: Sector.objects.create(slug=slug, name=slug)
        for slug in ("students", "workers", "rural")
    }
    coordination = {}
    for name, kind in (
        ("Nation", "national_coordination"),
        ("Region1", "regional_coordination"),
        ("Region2", "regional_coordination"),
        ("D1", "district_coordination"),
        ("D2", "district_coordination"),
        ("D3", "district_coordination"),
    ):
        coordination[name] = actions.coordination_create(
            cora, name=name, kind=kind, visibility="public", quorum_percent=50
        )
    affiliate(coordination["Region1"], coordination["Nation"])
    affiliate(coordination["Region2"], coordination["Nation"])
    affiliate(coordination["D1"], coordination["Region1"])
    affiliate(coordination["D2"], coordination["Region1"])
    affiliate(coordination["D3"], coordination["Region2"])
    assemblies, people = {}, {}
    for name, (size, region, sector, *_rest) in ASSEMBLIES.items():
        facilitator = make_person(f"{name.lower()}f")
        body = body_create(
            facilitator,
            name=name,
            kind="district",
            region=region,
            visibility="members",
            sectors=[sectors[sector]],
        )
        people[name] = [facilitator] + [make_person(f"{name.lower()}m{i}") for i in range(size - 1)]
        for person in people[name][1:]:
            join(person, body)
        assemblies[name] = body
    for district, names in DISTRICTS.items():
        for name in names:
            affiliate(assemblies[name], coordination[district])
    motion = Motion.objects.create(
        body=coordination["Nation"],
        number=1,
        title="Paro nacional",
        text="Convocar",
        state="supported",
    )
    return cora, coordination, assemblies, people, motion


def _region_totals(result):
    return {
        g["key"]: (g["yes"], g["no"], g["abstain"], g["electorate"]) for g in result["by_region"]
    }


def test_a_motion_goes_down_three_levels_and_adds_up_exactly_as_by_hand(federation):
    cora, coordination, assemblies, people, motion = federation
    nation = coordination["Nation"]
    consultation = actions.consultation_open(
        cora,
        nation,
        motion,
        rule="head_count",
        deadline=timezone.now() + timedelta(days=2),
    )
    rows = {
        r.body.name: r
        for r in ConsultedBody.objects.filter(consultation=consultation).select_related("body")
    }
    assert sorted(rows) == sorted(ASSEMBLIES)  # A1 is reached twice, counted once
    assert rows["A1"].member_of == coordination["Region1"]
    assert rows["A9"].member_of == coordination["Region2"]
    assert rows["A7"].electorate == 5 and rows["A7"].sectors == ["workers"]

    polls = {}
    for name, (_size, _region, _sector, means, yes, no, abstain, present) in ASSEMBLIES.items():
        facilitator, row = people[name][0], rows[name]
        if means == "online":
            poll = polls[name] = actions.consultation_poll_open(facilitator, row, secrecy="secret")
            choices = ["yes"] * yes + ["no"] * no + ["abstain"] * abstain
            for person, choice in zip(people[name], choices, strict=False):
                ballot_cast(person, poll, choice=choice)
        elif means in ("meeting", "hands"):
            actions.consultation_record(
                facilitator, row, means=means, yes=yes, no=no, abstain=abstain, present=present
            )
    poll_close(people["A1"][0], polls["A1"])  # one assembly closes its own vote early

    progress = agg.progress_by(
        (s, e, d, t) for s, _r, e, d, t in coordination_queries.progress_counts(consultation)
    )
    assert progress["students"].bodies == 4 and progress["students"].bodies_decided == 3
    assert progress["students"].people_voted == 5 + 3 + 1 + 4

    consultation = actions.consultation_close(cora, consultation)
    result = consultation.result
    total = result["total"]
    # Head count: yes 3+1+4+0+5+2+2+0+6+1+2, no 1+2+2+3+2+2+1+1+0+3+3, abstain 1+1.
    assert (total["yes"], total["no"], total["abstain"], total["electorate"]) == (
        "26",
        "20",
        "2",
        "54",
    )
    # People who took part: 5+3+6+3+7+4+4+1+6+4+5 (present at meetings and shows of hands).
    assert total["decided"] == 11 and total["participants"] == 48
    assert total["quorum_met"] and total["adopted"]
    assert _region_totals(result) == {
        "Norte": ("11", "14", "1", "29"),
        "Sur": ("15", "6", "1", "25"),
    }
    by_sector = {
        g["key"]: (g["yes"], g["no"], g["abstain"], g["electorate"]) for g in result["by_sector"]
    }
    assert by_sector == {
        "students": ("4", "8", "1", "15"),
        "workers": ("13", "5", "1", "21"),
        "rural": ("9", "7", "0", "18"),
    }
    by_member = {
        g["key"]: (g["yes"], g["no"], g["abstain"], g["electorate"]) for g in result["by_member"]
    }
    assert by_member == {
        str(coordination["Region1"].pk): ("17", "14", "2", "37"),
        str(coordination["Region2"].pk): ("9", "6", "0", "17"),
    }
    by_body = {g["key"]: g for g in result["by_body"]}
    assert by_body[str(assemblies["A7"].pk)]["yes"] == "2"
    assert by_body[str(assemblies["A12"].pk)]["cast"] == "0"
    motion.refresh_from_db()
    assert motion.state == "adopted"

    # The other two rules on the same decisions, by hand.
    results = coordination_queries.consultation_rows(consultation)
    half = Fraction(1, 2)
    bodies = agg.aggregate(results, agg.Rule.MAJORITY_OF_BODIES, half, Majority.SIMPLE).total
    assert bodies.outcome.tally == Tally(5, 5, 1) and not bodies.outcome.adopted
    weighted = agg.aggregate(results, agg.Rule.WEIGHTED, half, Majority.SIMPLE).total
    assert weighted.outcome.tally == Tally(5 + 6 + 7 + 5 + 6, 4 + 3 + 3 + 4 + 5, 4)
    assert weighted.outcome.electorate == 54 and weighted.outcome.adopted

    assert verify_chain(nation.ledger_chain).ok
    assert verify_chain(assemblies["A3"].ledger_chain).ok
    with pytest.raises(Conflict):
        actions.consultation_close(cora, consultation)


def test_bad_counts_and_wrong_people_change_nothing(federation):
    cora, coordination, assemblies, people, motion = federation
    consultation = actions.consultation_open(
        cora,
        coordination["Nation"],
        motion,
        rule="weighted",
        deadline=timezone.now() + timedelta(days=1),
    )
    row = ConsultedBody.objects.get(consultation=consultation, body=assemblies["A3"])
    facilitator = people["A3"][0]
    for counts in ((5, 2, 0, 6), (1, 1, 1, 7), (-1, 0, 0, 0)):
        yes, no, abstain, present = counts
        with pytest.raises(Refused):
            actions.consultation_record(
                facilitator, row, means="hands", yes=yes, no=no, abstain=abstain, present=present
            )
    with pytest.raises(Refused):
        actions.consultation_record(
            facilitator, row, means="dice", yes=1, no=0, abstain=0, present=1
        )
    with pytest.raises(NotAllowed):  # the facilitator of another assembly
        actions.consultation_record(
            people["A4"][0], row, means="hands", yes=1, no=0, abstain=0, present=1
        )
    with pytest.raises(NotAllowed):  # a plain member
        actions.consultation_record(
            people["A3"][1], row, means="hands", yes=1, no=0, abstain=0, present=1
        )
    row.refresh_from_db()
    assert not row.decided
    actions.consultation_record(facilitator, row, means="hands", yes=1, no=0, abstain=0, present=1)
    with pytest.raises(Conflict):
        actions.consultation_record(
            facilitator, row, means="hands", yes=1, no=0, abstain=0, present=1
        )
    with pytest.raises(Refused):
        actions.consultation_open(
            cora,
            coordination["Nation"],
            motion,
            rule="head_count",
            deadline=timezone.now() - timedelta(hours=1),
        )


def test_the_rule_and_weights_are_frozen_when_the_consultation_opens(federation):
    cora, coordination, assemblies, people, motion = federation
    consultation = actions.consultation_open(
        cora,
        coordination["Nation"],
        motion,
        rule="weighted",
        deadline=timezone.now() + timedelta(days=1),
    )
    for i in range(10):
        join(make_person(f"late{i}"), assemblies["A12"])
    row = ConsultedBody.objects.get(consultation=consultation, body=assemblies["A12"])
    assert row.weight == 2 and row.electorate == 2
    with pytest.raises(Refused):  # more hands than members at opening
        actions.consultation_record(
            people["A12"][0], row, means="hands", yes=5, no=0, abstain=0, present=5
        )


def test_an_assembly_decides_in_its_meeting_by_a_vote_of_those_present(federation):
    from asamblea.meetings import actions as meetings

    cora, coordination, assemblies, people, motion = federation
    consultation = actions.consultation_open(
        cora,
        coordination["Nation"],
        motion,
        rule="head_count",
        deadline=timezone.now() + timedelta(days=1),
    )
    body, (facilitator, *members) = assemblies["A3"], people["A3"]
    row = ConsultedBody.objects.get(consultation=consultation, body=body)
    meeting = meetings.meeting_schedule(
        facilitator, body, title="Asamblea", starts_at=timezone.now(), place="Plaza"
    )
    meetings.meeting_open(facilitator, meeting)
    for person in (facilitator, *members[:3]):  # four of the six are present
        meetings.check_in(person, meeting)
    with pytest.raises(NotAllowed):
        actions.consultation_meeting_vote_open(people["A4"][0], row, meeting, secrecy="secret")
    poll = actions.consultation_meeting_vote_open(facilitator, row, meeting, secrecy="secret")
    assert poll.meeting_id == meeting.pk and poll.electorate_size == 4
    for person, choice in zip(
        (facilitator, *members[:3]), ("yes", "yes", "no", "abstain"), strict=True
    ):
        ballot_cast(person, poll, choice=choice)
    poll_close(facilitator, poll)
    row.refresh_from_db()
    assert (row.decided, row.means, row.yes, row.no, row.abstain, row.participants) == (
        True,
        "meeting",
        2,
        1,
        1,
        4,
    )


def test_an_ordinary_online_vote_counts_its_electors_weights(federation):
    """The same rule as a verifiable consultation's: an elector weighing 3 in A12's online vote
    makes its electorate 2 + 2 in vote weights, so its yes 3, no 1 are counted; in A8 a
    latecomer's ballot makes 4 ballots of weight 1 for 3 electors frozen at opening: not
    counted, and recorded as such."""
    cora, coordination, assemblies, people, motion = federation
    consultation = actions.consultation_open(
        cora,
        coordination["Nation"],
        motion,
        rule="head_count",
        deadline=timezone.now() + timedelta(days=1),
    )
    rows = {r.body_id: r for r in ConsultedBody.objects.filter(consultation=consultation)}
    a12 = actions.consultation_poll_open(
        people["A12"][0], rows[assemblies["A12"].pk], secrecy="secret"
    )
    Eligibility.objects.filter(poll=a12, person=people["A12"][0]).update(weight=3)
    ballot_cast(people["A12"][0], a12, choice="yes")
    ballot_cast(people["A12"][1], a12, choice="no")
    late = make_person("late")
    join(late, assemblies["A8"])
    a8 = actions.consultation_poll_open(
        people["A8"][0], rows[assemblies["A8"].pk], secrecy="secret"
    )
    for person in [*people["A8"], late]:
        ballot_cast(person, a8, choice="yes")
    actions.consultation_close(cora, consultation)
    a12_row = ConsultedBody.objects.get(pk=rows[assemblies["A12"].pk].pk)
    assert a12_row.decided and (a12_row.yes, a12_row.no, a12_row.extra_weight) == (3, 1, 2)
    assert not ConsultedBody.objects.get(pk=rows[assemblies["A8"].pk].pk).decided
    consultation.refresh_from_db()
    result = consultation.result
    assert result is not None
    by_body = {g["key"]: g for g in result["by_body"]}
    assert (by_body[str(assemblies["A12"].pk)]["electorate"]) == "4"
    assert (by_body[str(assemblies["A8"].pk)]["decided"]) == 0
    # 54 members at opening, A12's elector adds 2: 56 in vote weights
    assert (result["total"]["yes"], result["total"]["no"]) == ("3", "1")
    assert result["total"]["electorate"] == "56"
    assert result["total"]["electorate_people"] == 54
    entries = LedgerEntry.objects.filter(
        chain=coordination["Nation"].ledger_chain, kind="consultation.result_not_counted"
    )
    assert [json.loads(e.payload)["counts"] for e in entries] == [[4, 0, 0]]
