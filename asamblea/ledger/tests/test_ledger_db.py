"""The stored ledger: every decision event is appended, and tampering is detected."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from asamblea.bodies.actions import (
    invitation_create,
    invitation_redeem,
    member_remove,
    member_suspend,
)
from asamblea.ledger.actions import head_hash, ledger_append, verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.motions.actions import motion_submit, motion_withdraw
from asamblea.testing import make_person
from asamblea.voting.actions import ballot_cast, poll_close, poll_open

pytestmark = pytest.mark.django_db


def events(body):
    return [
        (entry.kind, json.loads(entry.payload))
        for entry in LedgerEntry.objects.filter(chain=body.ledger_chain).order_by("seq")
    ]


def last(body):
    return events(body)[-1]


def test_body_creation_records_the_body_and_its_first_facilitator(cast):
    kinds = [kind for kind, _payload in events(cast.north)]
    assert kinds[:2] == ["body.created", "member.joined"]
    created = events(cast.north)[0][1]
    assert created["name"] == "North"
    assert created["statute"] == {
        "quorum_percent": 50,
        "majority": "simple",
        "supporters_required": 0,
        "participation_public": False,
    }
    assert events(cast.north)[1][1] == {"person": cast.alice.pk, "role": "facilitator"}


def test_joining_by_invitation_is_recorded(cast):
    _invitation, token = invitation_create(cast.alice, cast.north)
    invitation_redeem(cast.oscar, token)
    assert last(cast.north) == ("member.joined", {"person": cast.oscar.pk, "role": "member"})


def test_suspension_and_removal_are_recorded(cast):
    membership = cast.north.memberships.get(person=cast.bob)
    member_suspend(cast.alice, membership, reason="no-show")
    kind, payload = last(cast.north)
    assert kind == "member.suspended"
    assert payload == {"person": cast.bob.pk, "by": cast.alice.pk, "reason": "no-show"}
    member_remove(cast.alice, membership, reason="left")
    assert last(cast.north)[0] == "member.removed"


def test_motion_submission_and_state_changes_are_recorded(cast):
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua")
    kinds = [kind for kind, _payload in events(cast.north)[-2:]]
    assert kinds == ["motion.submitted", "motion.state_changed"]
    assert events(cast.north)[-2][1]["title"] == "Agua"
    assert last(cast.north)[1]["to"] == "supported"
    motion_withdraw(cast.bob, motion)
    assert last(cast.north)[1] == {
        "motion": motion.number,
        "from": "supported",
        "to": "withdrawn",
        "reason": "",
    }


def test_vote_opened_and_closed_with_the_full_result_are_recorded(cast):
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua")
    poll = poll_open(cast.alice, cast.north, motion=motion, secrecy="secret")
    opened = [payload for kind, payload in events(cast.north) if kind == "poll.opened"]
    assert opened[0].pop("closes_at") == poll.closes_at.isoformat()  # the default closing time
    assert opened == [
        {
            "poll": poll.pk,
            "motion": motion.number,
            "title": "Agua",
            "secrecy": "secret",
            "quorum_percent": 50,
            "majority": "simple",
            "electorate": 3,
        }
    ]
    before = LedgerEntry.objects.count()
    ballot_cast(cast.bob, poll, choice="yes")
    ballot_cast(cast.carol, poll, choice="no")
    ballot_cast(cast.alice, poll, choice="yes")
    assert LedgerEntry.objects.count() == before  # no entry per ballot
    poll_close(cast.alice, poll)
    closed = [payload for kind, payload in events(cast.north) if kind == "poll.closed"]
    assert closed[0]["result"] == {
        "yes": "2",
        "no": "1",
        "abstain": "0",
        "cast": "3",
        "electorate": "3",
        "quorum": "1/2",
        "majority": "simple",
        "turnout": "1",
        "quorum_met": True,
        "majority_met": True,
        "adopted": True,
        "participants": 3,
    }
    adopted = [p for k, p in events(cast.north) if k == "motion.state_changed"][-1]
    assert adopted["to"] == "adopted"
    assert verify_chain(cast.north.ledger_chain).ok


def test_each_body_has_its_own_chain(cast):
    assert LedgerEntry.objects.filter(chain=cast.south.ledger_chain).count() == 2
    assert head_hash(cast.north.ledger_chain) != head_hash(cast.south.ledger_chain)


def test_append_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError):
        ledger_append("test:1", "x", {})


def _tamper(chain, seq, **columns):
    """Change a stored row behind the application's back, as an intruder with SQL access would."""
    table = LedgerEntry._meta.db_table
    sets = ", ".join(f"{name} = %s" for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets} WHERE chain = %s AND seq = %s",  # noqa: S608 - test names
            [*columns.values(), chain, seq],
        )
        assert cursor.rowcount == 1


def _build_history(cast):
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua")
    poll = poll_open(cast.alice, cast.north, motion=motion, secrecy="secret")
    ballot_cast(cast.bob, poll, choice="no")
    poll_close(cast.alice, poll)
    chain = cast.north.ledger_chain
    assert verify_chain(chain).ok
    return chain


def test_an_altered_stored_result_is_detected_and_named(cast):
    chain = _build_history(cast)
    closed = LedgerEntry.objects.get(chain=chain, kind="poll.closed")
    payload = json.loads(closed.payload)
    payload["result"]["adopted"] = True
    _tamper(chain, closed.seq, payload=json.dumps(payload, sort_keys=True, separators=(",", ":")))
    result = verify_chain(chain)
    assert not result.ok
    assert result.broken_at == closed.seq
    assert verify_chain(cast.south.ledger_chain).ok


def test_verify_ledger_command_fails_and_names_the_broken_entry(cast):
    chain = _build_history(cast)
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    assert "BROKEN" not in out.getvalue()
    assert f"OK      {chain}" in out.getvalue()

    _tamper(chain, 2, payload=json.dumps({"person": cast.oscar.pk, "role": "facilitator"}))
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 ledger chains are broken"):
        call_command("verify_ledger", stdout=out)
    assert f"BROKEN  {chain}: entry 2:" in out.getvalue()
    assert f"OK      {cast.south.ledger_chain}" in out.getvalue()


def test_verify_ledger_exits_non_zero_from_the_command_line(cast, capsys):
    chain = _build_history(cast)
    _tamper(chain, 3, at="2020-01-01T00:00:00+00:00")
    from asamblea.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["verify-ledger", chain])
    assert exit_info.value.code != 0
    captured = capsys.readouterr()
    assert f"BROKEN  {chain}: entry 3:" in captured.out
    assert "broken" in captured.err


def test_a_deleted_entry_is_detected(cast):
    chain = _build_history(cast)
    LedgerEntry.objects.filter(chain=chain, seq=4).delete()
    result = verify_chain(chain)
    assert not result.ok and result.broken_at == 5


def test_a_replaced_hash_breaks_the_following_link(cast):
    chain = _build_history(cast)
    _tamper(chain, 1, hash="f" * 64)
    result = verify_chain(chain)
    assert not result.ok and result.broken_at == 1


def test_a_person_made_by_hand_is_not_recorded(cast):
    # The ledger records decisions of bodies, not accounts: creating a person adds nothing.
    before = LedgerEntry.objects.count()
    make_person("newcomer")
    assert LedgerEntry.objects.count() == before
