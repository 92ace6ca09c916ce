"""The demo data looks like a real movement, loads once, and keeps its ledgers intact."""

from io import StringIO

import pytest
from django.core.management import call_command

from asamblea.bodies.models import Body
from asamblea.ledger.actions import all_chains, verify_chain
from asamblea.testing import db_state
from asamblea.voting.models import Poll

pytestmark = pytest.mark.django_db


def test_demo_loads_the_assemblies_the_issue_asks_for():
    call_command("demo", stdout=StringIO())
    bodies = {(body.kind, body.region) for body in Body.objects.all()}
    assert {
        ("district", "Lima"),
        ("workplace", "Lima"),
        ("student", "Lima"),
        ("rural", "Puno"),
        ("workplace", "Ica"),
    } <= bodies
    assert Poll.objects.filter(state="open").exists()
    assert Poll.objects.filter(state="closed").exists()
    assert {body.visibility for body in Body.objects.all()} == {"public", "members"}
    for chain in all_chains():
        assert verify_chain(chain).ok, chain


def test_running_the_demo_again_changes_nothing():
    call_command("demo", stdout=StringIO())
    before = db_state()
    out = StringIO()
    call_command("demo", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert "rosa" in out.getvalue()  # says whom to log in as
    assert db_state() == before
