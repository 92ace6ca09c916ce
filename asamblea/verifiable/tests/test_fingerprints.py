"""Channel-key fingerprints on the trustees' ceremony page: the server relays the channel keys,
so each trustee's page shows every key's fingerprint (``core.channel.key_fingerprint``) and asks
the trustees to compare them out of band before sending shares (docs/verifiable-ballots.md)."""

from __future__ import annotations

import pytest

from asamblea.verifiable.core import channel
from asamblea.verifiable.models import Trustee
from asamblea.verifiable.tests.play import TrusteeBrowser, url
from asamblea.voting.actions import poll_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def ceremony(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    cast.client(cast.alice).post(
        url(poll, "setup"), {"trustees": [cast.alice.pk, cast.bob.pk], "threshold": 1}
    )
    return poll, {p: TrusteeBrowser(cast.client(p), poll) for p in (cast.alice, cast.bob)}


def _page(client, poll) -> str:
    response = client.get(url(poll, "trustee"))
    assert response.status_code == 200
    return response.content.decode()


def test_every_trustee_page_shows_every_published_key_s_fingerprint(cast, ceremony):
    poll, browsers = ceremony
    assert browsers[cast.alice].channel().status_code == 200
    alice = Trustee.objects.get(vote__poll=poll, person=cast.alice)
    bob = Trustee.objects.get(vote__poll=poll, person=cast.bob)
    expected = channel.key_fingerprint(alice.channel_key)
    for person in (cast.alice, cast.bob):
        html = _page(cast.client(person), poll)
        assert f'id="verifiable-fingerprint-{alice.index}" class="fingerprint">{expected}<' in html
        waiting = f'id="verifiable-fingerprint-{bob.index}" class="fingerprint">not published yet<'
        assert waiting in html
        assert "compare these fingerprints with the other trustees by another way" in html
    assert browsers[cast.bob].channel().status_code == 200
    bob.refresh_from_db()
    html = _page(cast.client(cast.alice), poll)
    assert channel.key_fingerprint(bob.channel_key) in html
    assert channel.key_fingerprint(bob.channel_key) != expected


def test_the_page_in_spanish(cast, ceremony):
    poll, browsers = ceremony
    assert browsers[cast.alice].channel().status_code == 200
    html = _page(cast.client(cast.bob, language="es"), poll)
    assert "compara estas huellas con las demás personas custodias" in html
    assert "aún no publicada" in html


def test_a_fingerprint_is_8_groups_of_4_hex_digits_of_the_key_s_hash():
    from asamblea.verifiable.core import group as G
    from asamblea.verifiable.core.encoding import hx

    one, two = hx(G.base(1)), hx(G.base(2))
    assert channel.key_fingerprint(one) != channel.key_fingerprint(two)
    groups = channel.key_fingerprint(one).split(" ")
    assert len(groups) == 8 and all(len(g) == 4 and int(g, 16) >= 0 for g in groups)
    with pytest.raises(ValueError):
        channel.key_fingerprint("ff" * 32)  # not a group element
