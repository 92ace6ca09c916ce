"""The security world of the pages (tests/security/world.py), with a personal access token
for every role, and how to call each operation of the API on it: the permission matrix and
the fuzzer against the OpenAPI document walk the same operations with the same tokens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tests.security.world import World

ALL_SCOPES = ["read", "write:motions", "vote"]
# A well-formed receipt code no ballot has.
UNKNOWN_RECEIPT = "0" * 32


def role_tokens(world: World) -> dict[str, str | None]:
    """A token with every scope for each role (anonymous: None). ``last_used_at`` is set, so
    using them writes nothing for an hour: a refused request must change no row."""
    from asamblea.api.actions import token_create
    from asamblea.api.models import AccessToken

    tokens: dict[str, str | None] = {}
    for role, person in world.roles.items():
        if person is None:
            tokens[role] = None
            continue
        row, secret = token_create(person, name=f"{role} script", scopes=ALL_SCOPES)
        AccessToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        tokens[role] = secret
    return tokens


def headers(token: str | None) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


@dataclass(frozen=True)
class Call:
    """The path arguments (by OpenAPI parameter name) and JSON body of one operation."""

    args: Callable[[World], dict[str, Any]]
    body: Callable[[World], Any] | None = None


def _north(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug}


def _fed(w: World) -> dict[str, Any]:
    return {"slug": w.extra["federation"].slug}


def _none(w: World) -> dict[str, Any]:
    return {}


# Every operation of the API, keyed as the OpenAPI document names it (method, path).
CALLS: dict[tuple[str, str], Call] = {
    ("get", "/api/bodies"): Call(_none),
    ("get", "/api/bodies/{slug}"): Call(_north),
    ("get", "/api/bodies/{slug}/ledger/head"): Call(_north),
    ("get", "/api/bodies/{slug}/motions"): Call(_north),
    ("get", "/api/bodies/{slug}/resolutions"): Call(_north),
    ("post", "/api/bodies/{slug}/motions"): Call(
        _north, lambda w: {"title": "Pan", "text": "Pan para todos"}
    ),
    ("get", "/api/bodies/{slug}/motions/{number}"): Call(
        lambda w: _north(w) | {"number": w.motion.number}
    ),
    ("post", "/api/bodies/{slug}/motions/{number}/support"): Call(
        lambda w: _north(w) | {"number": w.motion.number}
    ),
    ("get", "/api/bodies/{slug}/polls"): Call(_north),
    ("get", "/api/bodies/{slug}/polls/{poll_id}"): Call(
        lambda w: _north(w) | {"poll_id": w.poll.pk}
    ),
    ("post", "/api/bodies/{slug}/polls/{poll_id}/ballot"): Call(
        lambda w: _north(w) | {"poll_id": w.poll.pk}, lambda w: {"choice": "yes"}
    ),
    ("post", "/api/bodies/{slug}/polls/{poll_id}/receipt"): Call(
        lambda w: _north(w) | {"poll_id": w.poll.pk}, lambda w: {"code": UNKNOWN_RECEIPT}
    ),
    ("get", "/api/bodies/{slug}/elections"): Call(_north),
    ("get", "/api/bodies/{slug}/elections/{election_id}"): Call(
        lambda w: _north(w) | {"election_id": w.closed_election.pk}
    ),
    ("post", "/api/bodies/{slug}/elections/{election_id}/ballot"): Call(
        lambda w: _north(w) | {"election_id": w.voting_election.pk},
        lambda w: {"marks": {"rank_0": "1", "rank_1": "2"}},
    ),
    ("post", "/api/bodies/{slug}/elections/{election_id}/receipt"): Call(
        lambda w: _north(w) | {"election_id": w.voting_election.pk},
        lambda w: {"code": UNKNOWN_RECEIPT},
    ),
    ("get", "/api/coordinations/{slug}/consultations"): Call(_fed),
    ("get", "/api/coordinations/{slug}/consultations/{consultation_id}"): Call(
        lambda w: _fed(w) | {"consultation_id": w.extra["consultation"].pk}
    ),
    ("get", "/api/me"): Call(_none),
    ("get", "/api/me/bodies"): Call(_none),
    ("get", "/api/me/motions"): Call(_none),
    ("get", "/api/me/votes"): Call(_none),
}


def url(path: str, args: dict[str, Any]) -> str:
    for name, value in args.items():
        path = path.replace("{" + name + "}", str(value))
    return path
