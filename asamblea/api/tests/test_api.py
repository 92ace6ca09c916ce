"""The API's reads and writes: what each person sees (exactly what the pages show them), the
writes through the apps' actions, errors as translated problem details, ETags, pages."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from asamblea.api import actions as token_actions
from asamblea.api.api import DOCS_ASSETS, file_sha256
from asamblea.ledger.models import LedgerEntry
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import Motion
from asamblea.testing import db_state
from asamblea.voting import actions as voting
from asamblea.voting.models import Ballot, Eligibility, Poll

ALL = ["read", "write:motions", "vote"]


def bearer(token: str | None) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


def token(person, scopes=ALL) -> str:
    """A token, already used a moment ago (so using it again writes nothing for an hour)."""
    from django.utils import timezone

    row, secret = token_actions.token_create(person, name="t", scopes=scopes)
    type(row).objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return secret


def post(client: Client, url: str, data, tok: str | None, **extra):
    return client.post(
        url, json.dumps(data), content_type="application/json", **bearer(tok), **extra
    )


@pytest.fixture
def api(cast):
    return Client(HTTP_ACCEPT_LANGUAGE="en")


# --- Privacy: what the pages hide, the API hides --------------------------------------------


@pytest.mark.django_db
def test_a_members_only_body_does_not_exist_for_outsiders(cast, api):
    listed = [b["slug"] for b in api.get("/api/bodies").json()["items"]]
    assert listed == ["south"]
    assert api.get("/api/bodies/north").status_code == 404
    assert api.get("/api/bodies/north/motions", **bearer(token(cast.oscar))).status_code == 404
    mine = api.get("/api/bodies", **bearer(token(cast.bob))).json()["items"]
    assert [b["slug"] for b in mine] == ["north", "south"]


@pytest.mark.django_db
def test_a_secret_vote_gives_counts_only(cast, api):
    poll = voting.poll_open(cast.frank, cast.south, title="¿Huelga?", secrecy="secret")
    voting.ballot_cast(cast.frank, poll, choice="yes")
    voting.poll_close(cast.frank, poll)
    detail = api.get(f"/api/bodies/south/polls/{poll.pk}").json()
    assert detail["result"]["yes"] == "1" and detail["result"]["cast"] == "1"
    assert detail["named_votes"] is None
    text = json.dumps(detail)
    assert "Frank" not in text and "frank" not in text


@pytest.mark.django_db
def test_a_named_vote_says_who_voted_what_once_closed(cast, api):
    poll = voting.poll_open(cast.frank, cast.south, title="¿Marcha?", secrecy="named")
    voting.ballot_cast(cast.frank, poll, choice="no")
    assert api.get(f"/api/bodies/south/polls/{poll.pk}").json()["named_votes"] is None
    voting.poll_close(cast.frank, poll)
    detail = api.get(f"/api/bodies/south/polls/{poll.pk}").json()
    assert detail["named_votes"] == [{"voter": "Frank", "choice": "no"}]


@pytest.mark.django_db
def test_a_consultation_names_a_members_only_assembly_only_to_those_its_page_names_it_to():
    from datetime import timedelta

    from django.utils import timezone

    from asamblea.coordination import actions as coordination
    from asamblea.testing import make_federation_cast

    fed = make_federation_cast()
    api = Client(HTTP_ACCEPT_LANGUAGE="en")
    motion = Motion.objects.create(
        body=fed.federation, number=1, title="Paro", text="Paro", state="supported"
    )
    consultation = coordination.consultation_open(
        fed.cora,
        fed.federation,
        motion,
        rule="head_count",
        deadline=timezone.now() + timedelta(days=2),
    )
    coordination.consultation_close(fed.cora, consultation)
    address = f"/api/coordinations/{fed.federation.slug}/consultations/{consultation.pk}"
    outside = api.get(address).json()
    labels = {g["label"] for g in outside["by_body"]}
    assert "North" not in json.dumps(outside) and "South" in labels
    assert "A members-only body" in labels
    member = api.get(address, **bearer(token(fed.bob))).json()
    assert "North" in {g["label"] for g in member["by_body"]}


@pytest.mark.django_db
def test_my_votes_say_whether_i_voted_never_how(cast, api):
    poll = voting.poll_open(cast.alice, cast.north, title="¿Luz?", secrecy="secret")
    voting.ballot_cast(cast.bob, poll, choice="abstain")
    rows = api.get("/api/me/votes", **bearer(token(cast.bob))).json()["items"]
    assert rows == [
        {
            "kind": "poll",
            "body": "north",
            "id": poll.pk,
            "title": "¿Luz?",
            "open": True,
            "voted": True,
            "url": reverse("voting:detail", args=["north", poll.pk]),
        }
    ]
    assert "abstain" not in json.dumps(rows)


@pytest.mark.django_db
def test_a_session_cookie_does_not_open_the_api(cast):
    client = cast.client(cast.bob)
    assert client.get("/api/bodies/north").status_code == 404
    assert client.get("/api/me").status_code == 401
    refused = post(client, "/api/bodies/north/motions", {"title": "A", "text": "B"}, None)
    assert refused.status_code == 401
    assert not Motion.objects.exists()


# --- Writes go through the actions -----------------------------------------------------------


@pytest.mark.django_db
def test_a_member_puts_and_supports_motions_as_on_the_pages(cast, api):
    created = post(
        api, "/api/bodies/north/motions", {"title": "Agua", "text": "Ya"}, token(cast.bob)
    )
    assert created.status_code == 201
    number = created.json()["number"]
    motion = Motion.objects.get(body=cast.north, number=number)
    assert motion.author == cast.bob and motion.title == "Agua"
    assert LedgerEntry.objects.filter(
        chain=cast.north.ledger_chain, kind="motion.submitted"
    ).exists()
    supported = post(api, f"/api/bodies/north/motions/{number}/support", None, token(cast.carol))
    assert supported.status_code == 200 and supported.json()["supporters"] == 1
    again = post(api, f"/api/bodies/north/motions/{number}/support", None, token(cast.carol))
    assert again.status_code == 409


@pytest.mark.django_db
def test_a_ballot_is_cast_once_and_its_receipt_checks(cast, api):
    poll = voting.poll_open(cast.alice, cast.north, title="¿Luz?", secrecy="secret")
    tok = token(cast.bob)
    cast_url = f"/api/bodies/north/polls/{poll.pk}/ballot"
    first = post(api, cast_url, {"choice": "yes"}, tok)
    assert first.status_code == 201
    receipt = first.json()["receipt"]
    assert re.fullmatch(r"[0-9a-f]{32}", receipt)
    second = post(api, cast_url, {"choice": "no"}, tok)
    assert second.status_code == 409 and second.json()["code"] == "already_voted"
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert Eligibility.objects.get(poll=poll, person=cast.bob).voted
    check = post(api, f"/api/bodies/north/polls/{poll.pk}/receipt", {"code": receipt}, tok)
    assert check.json() == {"found": True, "counted": False}


@pytest.mark.django_db
def test_the_ballot_rate_limit_is_the_pages_counter(cast, api, settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"ballot_cast": (1, 60)}
    poll = voting.poll_open(cast.alice, cast.north, title="¿Luz?", secrecy="secret")
    page = cast.client(cast.bob)
    page.post(reverse("voting:cast", args=["north", poll.pk]), {"choice": "yes"})
    tok = token(cast.bob)
    response = post(api, f"/api/bodies/north/polls/{poll.pk}/ballot", {"choice": "no"}, tok)
    assert response.status_code == 429
    assert response.json()["status"] == 429
    assert Ballot.objects.filter(poll=poll).count() == 1


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "detail"),
    [("en", "There is nothing here."), ("es-PE,es;q=0.9", "Aquí no hay nada.")],
)
def test_errors_are_problem_details_in_the_language_asked(cast, language, detail):
    response = Client().get("/api/bodies/north", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == detail and body["status"] == 404 and body["type"] == "about:blank"
    assert response["Content-Language"] == language[:2]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data", "status"),
    [
        ("/api/bodies/north/motions", "{not json", 400),
        ("/api/bodies/north/motions", json.dumps({"title": "A\x00", "text": "B"}), 422),
        ("/api/bodies/north/motions", json.dumps({"title": "A", "text": "x" * 20_001}), 422),
        ("/api/bodies/north/motions", json.dumps({"title": "\ud800", "text": "B"}), 422),
        ("/api/bodies/north/motions", json.dumps([1, 2]), 422),
        ("/api/bodies/north/motions/99999999999999/support", "", 422),
        ("/api/bodies/north/polls/99999999999999999999999/ballot", "{}", 422),
        ("/api/bodies/no%00rth/motions", "{}", 422),
        ("/api/bodies/north/motions", json.dumps({"title": "A", "text": "x" * 300_000}), 413),
    ],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(cast, url, data, status):
    tok = token(cast.bob)
    before = db_state()
    response = Client().post(url, data, content_type="application/json", **bearer(tok))
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]
    assert db_state() == before


@pytest.mark.django_db
def test_a_bad_token_is_refused_not_read_as_anonymous(cast, api):
    for header in ("Bearer asm_nope", "Bearer ", "Basic Ym9iOng=", "asm_x"):
        response = api.get("/api/bodies", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_unknown_addresses_and_methods_answer_problem_details(cast, api):
    missing = api.get("/api/nothing/here")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    wrong = api.delete("/api/bodies")
    assert wrong.status_code == 405 and wrong["Content-Type"] == "application/problem+json"


# --- ETags and pages -------------------------------------------------------------------------


@pytest.mark.django_db
def test_reads_answer_304_while_nothing_changed(cast, api):
    first = api.get("/api/bodies/south/motions")
    etag = first["ETag"]
    assert first["Cache-Control"] == "no-cache"
    again = api.get("/api/bodies/south/motions", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    weak = api.get("/api/bodies/south/motions", HTTP_IF_NONE_MATCH=f"W/{etag}")
    assert weak.status_code == 304
    motion_submit(cast.frank, cast.south, title="Pan", text="Pan")
    changed = api.get("/api/bodies/south/motions", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.django_db
def test_lists_come_a_page_at_a_time(cast, api):
    for n in range(3):
        motion_submit(cast.frank, cast.south, title=f"M{n}", text="x")
    first = api.get("/api/bodies/south/motions?per_page=2").json()
    assert [m["title"] for m in first["items"]] == ["M2", "M1"]
    assert first["previous"] is None
    second = api.get(first["next"]).json()
    assert [m["title"] for m in second["items"]] == ["M0"]
    assert second["next"] is None and second["previous"]


# --- The document and its docs page ---------------------------------------------------------


@pytest.mark.django_db
def test_the_document_is_openapi_3_1_and_refusals_are_problem_details(api):
    spec = api.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for item in spec["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]


@pytest.mark.django_db
def test_the_docs_page_loads_only_from_this_site(api):
    response = api.get("/api/docs")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    addresses = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert addresses and all(a.startswith("/") for a in addresses), addresses
    assert "<script>" not in response.text and " style=" not in response.text


def test_the_vendored_docs_assets_are_the_recorded_ones():
    for name, digest in DOCS_ASSETS.items():
        assert file_sha256(name) == digest, name


@pytest.mark.django_db
def test_the_eligible_may_read_their_vote_after_leaving_the_body(cast, api):
    """As its page: a member suspended after a vote opened keeps that vote's page."""
    poll = voting.poll_open(cast.alice, cast.north, title="¿Luz?", secrecy="secret")
    cast.north.memberships.filter(person=cast.bob).update(status="suspended")
    tok = token(cast.bob)
    assert api.get("/api/bodies/north", **bearer(tok)).status_code == 404
    assert api.get(f"/api/bodies/north/polls/{poll.pk}", **bearer(tok)).status_code == 200
    assert Poll.objects.count() == 1
