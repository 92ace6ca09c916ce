"""The ledger page: entries read as sentences in the reader's language and local time, newest
first, fifty a page, with the payload kept for checking."""

import json
import re
from datetime import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from asamblea.ledger.actions import ledger_append
from asamblea.ledger.models import LedgerEntry
from asamblea.motions.actions import motion_submit
from asamblea.voting.actions import poll_open

pytestmark = pytest.mark.django_db

SENTENCE = re.compile(r'<p class="sentence">(.*?)</p>')


def sentences(client, body) -> list[str]:
    response = client.get(reverse("bodies:ledger", args=[body.slug]))
    assert response.status_code == 200
    return SENTENCE.findall(response.content.decode())


def test_entries_read_as_spanish_sentences(cast):
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Agua potable")
    poll_open(cast.alice, cast.north, motion=motion)
    said = sentences(cast.client(cast.alice, "es"), cast.north)
    assert "Bob presentó la moción n.º 1, «Agua»." in said
    assert "Se abrió la votación «Agua» (voto secreto). Pueden votar 3 personas." in said
    assert "Alice se unió como facilitador/a." in said
    assert said[0].startswith("Se abrió la votación")  # newest first


def test_entries_read_as_english_sentences(cast):
    motion_submit(cast.bob, cast.north, title="Agua", text="Agua potable")
    said = sentences(cast.client(cast.alice, "en"), cast.north)
    assert "Bob put motion no. 1, “Agua”." in said


def test_times_are_local_and_say_their_zone(cast, settings):
    settings.TIME_ZONE = "America/Lima"
    page = cast.client(cast.alice, "es").get(reverse("bodies:ledger", args=[cast.north.slug]))
    html = page.content.decode()
    entry = LedgerEntry.objects.filter(chain=cast.north.ledger_chain).order_by("-seq").first()
    local = timezone.localtime(datetime.fromisoformat(entry.at))
    assert f"a las {local:%H:%M} -05" in html
    assert "zona horaria America/Lima" in html
    assert entry.at not in re.sub(r'datetime="[^"]*"|<pre.*?</pre>', "", html, flags=re.S)


def test_an_unknown_kind_or_a_short_payload_reads_as_a_note_not_an_error(cast):
    with transaction.atomic():
        ledger_append(cast.north.ledger_chain, "future.kind", {"what": "new"})
        ledger_append(cast.north.ledger_chain, "member.joined", {"role": "member"})
    said = sentences(cast.client(cast.alice, "es"), cast.north)
    note = "Un registro de un tipo que esta página no pone en palabras (ver los detalles)."
    assert said[:2] == [note, note]
    page = cast.client(cast.alice, "es").get(reverse("bodies:ledger", args=[cast.north.slug]))
    assert "future.kind" in page.content.decode()  # the kind and payload stay for checking


def test_outsiders_of_a_public_body_read_no_member_names(cast):
    said = sentences(cast.client(cast.oscar, "es"), cast.south)
    assert "Alguien se unió como facilitador/a." in said
    assert not any("Frank" in sentence for sentence in said)
    assert "Frank se unió como facilitador/a." in sentences(
        cast.client(cast.frank, "es"), cast.south
    )


def test_the_ledger_is_paged_newest_first_and_works_without_javascript(cast):
    with transaction.atomic():
        for n in range(60):
            ledger_append(cast.north.ledger_chain, "member.role_changed", {"n": n})
    top = LedgerEntry.objects.filter(chain=cast.north.ledger_chain).order_by("-seq").first().seq
    client = cast.client(cast.alice, "es")
    url = reverse("bodies:ledger", args=[cast.north.slug])
    first = client.get(url).content.decode()
    seqs = [int(s) for s in re.findall(r'id="entry-(\d+)"', first)]
    assert seqs == list(range(top, top - 50, -1))
    assert 'href="?page=2" rel="next">Entradas anteriores</a>' in first
    second = client.get(url, {"page": 2}).content.decode()
    seqs = [int(s) for s in re.findall(r'id="entry-(\d+)"', second)]
    assert seqs == list(range(top - 50, 0, -1))
    assert 'rel="prev">Entradas más recientes</a>' in second
    assert "Página 2 de 2" in second
    for bad in ("x", "-1", "999999999999999999999"):
        assert client.get(url, {"page": bad}).status_code == 200


def test_the_payload_stays_on_the_page_exactly_as_hashed(cast):
    motion_submit(cast.bob, cast.north, title="Agua", text="Agua potable")
    entry = LedgerEntry.objects.filter(chain=cast.north.ledger_chain).order_by("-seq").first()
    html = cast.client(cast.alice, "es").get(reverse("bodies:ledger", args=[cast.north.slug]))
    shown = re.search(
        rf'id="entry-{entry.seq}".*?<pre[^>]*>(.*?)</pre>', html.content.decode(), re.S
    )
    assert json.loads(shown.group(1).replace("&quot;", '"')) == json.loads(entry.payload)


def test_invitations_revoked_and_reissued_read_as_sentences(cast):
    from asamblea.bodies.actions import invitation_create, invitation_reissue, invitation_revoke

    first, _token = invitation_create(cast.alice, cast.north, max_uses=5)
    invitation_reissue(cast.alice, first)
    second, _token = invitation_create(cast.alice, cast.north, max_uses=5)
    invitation_revoke(cast.alice, second)
    said = sentences(cast.client(cast.alice, "es"), cast.north)
    assert said[0] == "Alice revocó una invitación."
    assert "Alice volvió a emitir una invitación; el enlace anterior ya no sirve." in said
