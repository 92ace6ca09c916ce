"""Registering a credential once voting has opened, and after it closed, is refused with a clear
message in the member's language, and changes nothing (docs/verifiable-ballots.md: the
credentials go on the board and are frozen when voting opens)."""

from __future__ import annotations

import pytest

from asamblea.testing import db_state
from asamblea.verifiable.models import Credential
from asamblea.verifiable.tests.play import VoterBrowser, url
from asamblea.verifiable.tests.test_bad_input import open_vote  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

CLOSED = {
    "en": "Registration of credentials is closed.",
    "es": "El registro de credenciales está cerrado.",
}


def _refused_in_both_languages(browsers: dict[str, VoterBrowser]) -> None:
    """Alice (in the electorate, never registered) tries in English and in Spanish."""
    for language, message in CLOSED.items():
        response = browsers[language].register()
        assert response.status_code == 409, response.content
        assert response.json()["error"] == {"code": "wrong_phase", "message": message}


def test_registration_is_refused_once_voting_is_open_and_after(cast, open_vote):  # noqa: F811
    poll, voters, trustees = open_vote
    registered = set(Credential.objects.filter(vote__poll=poll).values_list("person", flat=True))
    assert cast.alice.pk not in registered
    alice = {lang: VoterBrowser(cast.client(cast.alice, language=lang), poll) for lang in CLOSED}
    facilitator = cast.client(cast.alice)
    before = db_state()
    _refused_in_both_languages(alice)
    assert db_state() == before
    assert voters[cast.bob].cast("yes").status_code == 200
    assert facilitator.post(url(poll, "close_voting")).status_code == 302
    before = db_state()
    _refused_in_both_languages(alice)  # closed: the tally is on the board
    assert db_state() == before
    assert trustees[0].decrypt().status_code == 200  # 1 of 2: the result
    before = db_state()
    _refused_in_both_languages(alice)
    assert db_state() == before
    assert set(Credential.objects.filter(vote__poll=poll).values_list("person", flat=True)) == (
        registered
    )
