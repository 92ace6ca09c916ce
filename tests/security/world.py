"""A small world for the cross-cutting security tests: the named cast of ``asamblea.testing``
plus one of everything a route can point at (a motion, an open secret vote, an invitation).

Every URL of the project is listed here with the arguments and the valid POST data it needs, so
the permission matrix, the CSRF test, the page scan and the fuzzers all walk the same routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from asamblea.accounts.models import Person
from asamblea.bodies.actions import invitation_create
from asamblea.bodies.models import Invitation, Membership
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import Motion
from asamblea.testing import PASSPHRASE, Cast, join, make_cast, make_person
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Poll


@dataclass
class World:
    cast: Cast
    # The delegate role: a member of North who carries its mandate to a coordinating body. Until
    # coordination's Delegation model exists this is a plain member; once it lands, build()
    # records the delegation too, and the matrix shows whether the mandate changes any answer.
    dave: Person
    motion: Motion  # bob's motion in North, open for support, edits and comments
    voted_motion: Motion  # a motion of North under an open secret vote
    poll: Poll  # that open secret vote
    invitation: Invitation
    token: str
    carol_membership: Membership
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> dict[str, Person | None]:
        return self.cast.roles | {"delegate": self.dave}


def build() -> World:
    cast = make_cast()
    dave = make_person("dave")
    join(dave, cast.north)
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua potable")
    voted = motion_submit(cast.carol, cast.north, title="Luz", text="Exigir alumbrado")
    poll = poll_open(cast.alice, cast.north, motion=voted, secrecy=Poll.Secrecy.SECRET)
    invitation, token = invitation_create(cast.alice, cast.north, max_uses=50)
    return World(
        cast=cast,
        dave=dave,
        motion=motion,
        voted_motion=voted,
        poll=poll,
        invitation=invitation,
        token=token,
        carol_membership=Membership.objects.get(person=cast.carol, body=cast.north),
    )


@dataclass(frozen=True)
class Route:
    """How to call one named URL: its arguments and a valid POST (None: GET only)."""

    kwargs: Callable[[World], dict[str, Any]]
    post: Callable[[World], dict[str, Any]] | None = None
    get: bool = True


def _north(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug}


def _motion(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "number": w.motion.number}


def _voted_motion(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "number": w.voted_motion.number}


def _poll(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "pk": w.poll.pk}


def _none(w: World) -> dict[str, Any]:
    return {}


def _empty(w: World) -> dict[str, Any]:
    return {}


# Every named route of the project. A route missing here fails test_every_route_is_listed.
ROUTES: dict[str, Route] = {
    "set_language": Route(_none, post=lambda w: {"language": "en", "next": "/"}),
    "accounts:login": Route(
        _none, post=lambda w: {"username": "bob", "password": PASSPHRASE, "next": "/"}
    ),
    "accounts:logout": Route(_none, post=_empty, get=False),
    "accounts:profile": Route(_none, post=lambda w: {"display_name": "Renamed", "language": "en"}),
    "bodies:home": Route(_none),
    "bodies:join": Route(
        lambda w: {"token": w.token},
        post=lambda w: {
            "display_name": "Newcomer",
            "username": "newcomer",
            "password": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "language": "es",
        },
    ),
    "bodies:create": Route(
        _none,
        post=lambda w: {
            "name": "East",
            "kind": "district",
            "visibility": "members",
            "quorum_percent": 50,
            "majority": "simple",
            "supporters_required": 0,
        },
    ),
    "bodies:detail": Route(_north),
    "bodies:members": Route(_north),
    "bodies:member_action": Route(
        lambda w: _north(w) | {"pk": w.carol_membership.pk},
        post=lambda w: {"action": "suspend", "reason": "test"},
        get=False,
    ),
    "bodies:invitations": Route(
        _north, post=lambda w: {"role": "member", "days": 7, "max_uses": 1, "label": "x"}
    ),
    "bodies:invitation_revoke": Route(
        lambda w: _north(w) | {"pk": w.invitation.pk}, post=_empty, get=False
    ),
    "bodies:ledger": Route(_north),
    "motions:create": Route(_north, post=lambda w: {"title": "Pan", "text": "Pan para todos"}),
    "motions:detail": Route(_motion),
    "motions:edit": Route(_motion, post=lambda w: {"title": "Agua 2", "text": "Agua potable ya"}),
    "motions:versions": Route(_motion),
    "motions:support": Route(_motion, post=_empty, get=False),
    "motions:withdraw": Route(_motion, post=_empty, get=False),
    "motions:comment": Route(
        _motion, post=lambda w: {"stance": "for", "text": "De acuerdo"}, get=False
    ),
    "voting:open": Route(
        _motion,
        post=lambda w: {"secrecy": "secret", "quorum_percent": 50, "majority": "simple"},
        get=False,
    ),
    "voting:detail": Route(_poll),
    "voting:cast": Route(_poll, post=lambda w: {"choice": "yes"}, get=False),
    "voting:close": Route(_poll, post=_empty, get=False),
    "voting:receipt": Route(_poll),
    "voting:progress": Route(_poll),
}


def route_names() -> set[str]:
    """Every named URL in the URL configuration, walked from the root resolver."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if namespace and pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}"
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                if pattern.name is None:
                    names.add(f"<unnamed {pattern.pattern}>")
                else:
                    names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return names


def fingerprint() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the project owns, to prove a refused request changed nothing.

    Sessions are left out: logging in (done before the request under test) writes them.
    """
    from django.apps import apps

    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_models():
        if model._meta.label in {"sessions.Session", "contenttypes.ContentType"}:
            continue
        rows[model._meta.label] = sorted(
            (tuple(str(v) for v in row) for row in model.objects.values_list()), key=repr
        )
    return rows
