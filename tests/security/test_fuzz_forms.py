"""Property-based fuzzing of every form: malformed, oversized and unicode-hostile input is refused
with a clear answer (never a 500) and a refused request changes nothing in the database.

Values and field names come from the whole of Unicode (see ``unicode_input``): digits that are
not 0-9 ("²", "٣"), format and space characters, lone surrogates (sent percent-escaped, as an
attacker would), very long text. Examples are derandomised so CI runs are repeatable."""

from __future__ import annotations

from urllib.parse import quote_from_bytes

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.unicode_input import field_names, unicode_text, urlencoded
from tests.security.world import ROUTES, World, build, fingerprint

POST_ROUTES = sorted(name for name, route in ROUTES.items() if route.post is not None)

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u0644\u0627",  # right-to-left override and Arabic
    "\ufeff\u200b\u200d",  # byte order mark, zero-width characters
    "𝕬" * 50,  # astral plane
    "Z̴̡̧̛̗̟͇͉̪̰̯̤" * 20,  # stacked combining marks
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00%ff",
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "0x10",
    "2026-02-30T25:61",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=y",
]

text_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
    unicode_text,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    # Longer than every field; the largest stays under Django's request size limit so the
    # form itself must refuse it.
    st.integers(min_value=1, max_value=200_000).map(lambda n: "x" * n),
)


def fuzzed_post(valid: dict) -> st.SearchStrategy[dict]:
    keys = st.one_of(
        st.sampled_from(sorted(valid) + ["csrfmiddlewaretoken", "extra", "é", "a" * 300]),
        field_names(valid),
    )
    overrides = st.dictionaries(keys, st.one_of(text_values, st.lists(text_values, max_size=3)))
    return overrides.map(lambda over: {**valid, **over})


def run_refused_or_fine(client: Client, method: str, url: str, data: dict | None) -> None:
    before = fingerprint()
    savepoint = transaction.savepoint()
    try:
        body = urlencoded(data or {})
        if method == "GET":
            response = client.get(f"{url}?{body.decode()}" if body else url)
        else:
            response = client.post(url, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code != 500, f"500 for {method} {url} {data!r:.300}"
        assert response.status_code < 500
        if response.status_code >= 400:
            assert fingerprint() == before, f"refused {method} {url} changed the database"
    finally:
        transaction.savepoint_rollback(savepoint)


@pytest.fixture
def world(db) -> World:
    return build()


def fuzz_settings(examples: int = 25):
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )


@pytest.mark.parametrize("name", POST_ROUTES)
@pytest.mark.parametrize(
    ("role", "examples"), [("facilitator", 15), ("member", 15), ("anonymous", 4)]
)
@pytest.mark.django_db
def test_fuzzed_forms_never_fail_and_refusals_change_nothing(world, name, role, examples):
    route = ROUTES[name]
    client = Client(raise_request_exception=False)
    person = world.roles[role]
    if person is not None:
        client.force_login(person)
    url = reverse(name, kwargs=route.kwargs(world))

    @fuzz_settings(examples)
    @given(data=fuzzed_post(route.post(world)))
    def check(data):
        run_refused_or_fine(client, "POST", url, data)

    check()


@pytest.mark.django_db
def test_fuzzed_receipt_codes_and_next_urls_never_fail(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.cast.bob)
    receipt_url = reverse("voting:receipt", args=[world.cast.north.slug, world.poll.pk])

    @fuzz_settings(60)
    @given(code=text_values, next_url=text_values)
    def check(code, next_url):
        run_refused_or_fine(client, "POST", receipt_url, {"code": code})
        run_refused_or_fine(client, "GET", reverse("accounts:login"), {"next": next_url})

    check()


@pytest.mark.django_db
def test_fuzzed_path_segments_never_fail(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.cast.alice)

    @fuzz_settings(60)
    @given(segment=text_values.filter(lambda s: s not in {"", ".", ".."}))
    def check(segment):
        quoted = quote_from_bytes(segment[:2000].encode("utf-8", "surrogatepass"), safe="")
        for url in (
            f"/join/{quoted}/",
            f"/b/{quoted}/",
            f"/b/{world.cast.north.slug}/m/{quoted}/",
            f"/b/{world.cast.north.slug}/p/{quoted}/",
        ):
            run_refused_or_fine(client, "GET", url, None)
        run_refused_or_fine(client, "POST", f"/join/{quoted}/", {"username": segment[:50]})

    check()


@pytest.mark.django_db
def test_a_request_larger_than_the_limit_is_refused_not_failed(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.cast.bob)
    url = reverse("motions:create", args=[world.cast.north.slug])
    run_refused_or_fine(client, "POST", url, {"title": "t", "text": "x" * 400_000})
    response = client.post(url, {"title": "t", "text": "x" * 400_000})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "data",
    [
        {"rank_0": "²", "rank_1": "1"},
        {"rank_²": "1", "rank_0": "2"},
        {"rank_0": "٣", "rank_1": "1"},
        {"rank_0": "1\u200b", "rank_1": "2"},
        {"rank_0": "𝟙", "rank_1": "2"},
        {"rank_٠": "1"},
    ],
)
@pytest.mark.django_db
def test_election_ballot_refuses_digits_that_are_not_0_to_9(world, data):
    client = Client(raise_request_exception=False)
    client.force_login(world.cast.bob)
    url = reverse("elections:cast", kwargs=ROUTES["elections:cast"].kwargs(world))
    before = fingerprint()
    response = client.post(url, data)
    assert response.status_code == 400
    assert fingerprint() == before


@pytest.mark.django_db
def test_fuzzed_election_ballots_over_all_of_unicode_never_fail(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.cast.bob)
    url = reverse("elections:cast", kwargs=ROUTES["elections:cast"].kwargs(world))
    valid = {"rank_0": "1", "rank_1": "2"}
    names = field_names(valid)
    values = st.one_of(unicode_text, st.sampled_from(["1", "2", "", "0", "3"]))

    @fuzz_settings(120)
    @given(over=st.dictionaries(names, st.one_of(values, st.lists(values, max_size=3))))
    def check(over):
        run_refused_or_fine(client, "POST", url, {**valid, **over})

    check()
