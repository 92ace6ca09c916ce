"""The cast every test uses: the same named people with different rights, every time.

North assembly (members only): alice facilitates, bob and carol are members, olivia observes.
South assembly (public): frank facilitates it (and has no rights in North). oscar belongs nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client

from asamblea.accounts.models import Person
from asamblea.bodies.actions import body_create
from asamblea.bodies.models import Body, Membership

PASSPHRASE = "correct horse battery"  # noqa: S105 - test accounts only


@dataclass
class Cast:
    north: Body
    south: Body
    alice: Person  # facilitator of North
    bob: Person  # member of North
    carol: Person  # member of North
    olivia: Person  # observer in North
    frank: Person  # facilitator of South only
    oscar: Person  # outsider

    def client(self, person: Person | None, language: str = "en") -> Client:
        """A test client logged in as ``person`` (None: anonymous), reading ``language`` (tests
        assert English messages; the Spanish pages have tests of their own)."""
        from django.conf import settings

        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        if person is not None:
            client.force_login(person)
        return client

    @property
    def roles(self) -> dict[str, Person | None]:
        """Every role of the permission matrix, by name."""
        return {
            "anonymous": None,
            "outsider": self.oscar,
            "observer": self.olivia,
            "member": self.bob,
            "facilitator": self.alice,
            "other_facilitator": self.frank,
        }


def make_person(username: str, **extra: Any) -> Person:
    extra.setdefault("display_name", username.capitalize())
    return Person.objects.create_user(username, PASSPHRASE, **extra)


def join(person: Person, body: Body, role: str = Membership.Role.MEMBER) -> Membership:
    return Membership.objects.create(person=person, body=body, role=role)


def make_cast() -> Cast:
    people = {
        name: make_person(name) for name in ("alice", "bob", "carol", "olivia", "frank", "oscar")
    }
    north = body_create(people["alice"], name="North", kind="district", visibility="members")
    south = body_create(people["frank"], name="South", kind="workplace", visibility="public")
    join(people["bob"], north)
    join(people["carol"], north)
    join(people["olivia"], north, Membership.Role.OBSERVER)
    return Cast(north=north, south=south, **people)


# The permission matrix: expected answers per role. ``LOGIN`` means a redirect to the login page.
LOGIN = "login"
ROLES = ("anonymous", "outsider", "observer", "member", "facilitator", "other_facilitator")
# Reading a members-only body (North): its active members and observer; 404 for everyone else, so
# its existence is not revealed.
NORTH_READERS = {
    "anonymous": 404,
    "outsider": 404,
    "observer": 200,
    "member": 200,
    "facilitator": 200,
    "other_facilitator": 404,
}
EVERYONE = dict.fromkeys(ROLES, 200)


def assert_answer(response: Any, expected: int | str) -> None:
    """Assert a response's status, or that it redirects to the login page (``LOGIN``)."""
    from django.urls import reverse

    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(reverse("accounts:login")), response["Location"]
    else:
        assert response.status_code == expected, (response.status_code, expected)


def db_state() -> dict[str, list[str]]:
    """Every row of every Asamblea table (the ledger included), for "nothing changed" checks."""
    from django.apps import apps
    from django.db import connection

    tables = set(connection.introspection.table_names())
    return {
        model._meta.label: sorted(repr(row) for row in model.objects.values_list())
        for model in apps.get_models()
        if model.__module__.startswith("asamblea.") and model._meta.db_table in tables
    }


# --- Coordination ---------------------------------------------------------------------------
# The Federation (a public regional coordination) has North and South as member bodies. cora
# facilitates it (and nothing else); carol is North's delegate, frank is South's. alice, who
# facilitates North, has no power in the Federation.


@dataclass
class FederationCast(Cast):
    federation: Body
    cora: Person  # facilitator of the Federation only

    @property
    def roles(self) -> dict[str, Person | None]:
        """Every role of a coordination's permission matrix, by name."""
        return super().roles | {"delegate": self.carol, "coordinator": self.cora}


def affiliate(body: Body, coordination: Body) -> Any:
    from asamblea.coordination.models import Affiliation

    return Affiliation.objects.create(member=body, coordination=coordination)


def make_delegate(person: Person, body: Body, coordination: Body, days: int = 365) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from asamblea.coordination.models import Delegation

    return Delegation.objects.create(
        body=body,
        coordination=coordination,
        person=person,
        term_ends=timezone.now() + timedelta(days=days),
    )


def make_federation_cast(**statute: Any) -> FederationCast:
    from asamblea.coordination.actions import coordination_create

    cast = make_cast()
    cora = make_person("cora")
    federation = coordination_create(
        cora,
        name="Federation",
        kind="regional_coordination",
        visibility="public",
        region="Altiplano",
        **statute,
    )
    affiliate(cast.north, federation)
    affiliate(cast.south, federation)
    make_delegate(cast.carol, cast.north, federation)
    make_delegate(cast.frank, cast.south, federation)
    return FederationCast(**vars(cast), federation=federation, cora=cora)


def coordination_scene(cast: Cast, delegate: Person) -> dict[str, Any]:
    """One of everything a coordination route can point at, around the cast's North and South:
    the public Federation (cora facilitates it; ``delegate`` is North's delegate, frank is
    South's) with a motion on its agenda, an open delegates' vote, an open consultation, a
    motion South forwarded (waiting for a second backer), a proposal for solidarity from South
    to North, North's decided request to join a Region, and an Open region to propose joining."""
    from datetime import timedelta

    from django.utils import timezone

    from asamblea.coordination import actions
    from asamblea.coordination.models import (
        AffiliationRequest,
        Backing,
        Forward,
        Solidarity,
    )
    from asamblea.motions.models import Motion

    cora = make_person("cora")
    federation = actions.coordination_create(
        cora,
        name="Federation",
        kind="regional_coordination",
        visibility="public",
        forward_threshold=2,
    )
    affiliate(cast.north, federation)
    affiliate(cast.south, federation)
    delegation = make_delegate(delegate, cast.north, federation)
    make_delegate(cast.frank, cast.south, federation)

    def motion(body: Body, number: int, title: str, state: str) -> Motion:
        return Motion.objects.create(body=body, number=number, title=title, text=title, state=state)

    agenda = motion(federation, 1, "Huelga", "supported")
    voted = motion(federation, 2, "Marcha", "supported")
    consulted = motion(federation, 3, "Paro", "supported")
    vote = actions.vote_open(cora, federation, voted)
    consultation = actions.consultation_open(
        cora, federation, consulted, rule="head_count", deadline=timezone.now() + timedelta(days=3)
    )
    adopted = motion(cast.north, 90, "Agua para todos", "adopted")
    south_adopted = motion(cast.south, 90, "Pan", "adopted")
    forward = Forward.objects.create(origin=south_adopted, coordination=federation)
    Backing.objects.create(forward=forward, body=cast.south, by=cast.frank)
    solidarity = Solidarity.objects.create(origin=south_adopted, to_body=cast.north)
    region = actions.coordination_create(
        cora, name="Region", kind="regional_coordination", visibility="public"
    )
    open_region = actions.coordination_create(
        cora, name="Open region", kind="regional_coordination", visibility="public"
    )
    request = AffiliationRequest.objects.create(
        body=cast.north,
        coordination=region,
        direction="join",
        motion=motion(cast.north, 91, "Join Region", "adopted"),
        state=AffiliationRequest.State.DECIDED,
    )
    return {
        "cora": cora,
        "federation": federation,
        "delegation": delegation,
        "agenda": agenda,
        "vote": vote,
        "consultation": consultation,
        "adopted": adopted,
        "forward": forward,
        "solidarity": solidarity,
        "request": request,
        "open_region": open_region,
    }


def ballots_in_storage_order(poll: Any, column: str) -> list[Any]:
    """One column (``id`` or ``receipt_hash``) of a poll's ballots in physical storage order
    (PostgreSQL ``ctid``, SQLite ``rowid``): what someone reading the raw tables would see."""
    from django.db import connection

    if column not in {"id", "receipt_hash"}:
        raise ValueError(column)
    key = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM voting_ballot WHERE poll_id = %s ORDER BY {key}",  # noqa: S608
            [poll.pk],
        )
        return [row[0] for row in cursor.fetchall()]


# --- QR codes -------------------------------------------------------------------------------


def qr_modules(url: str, border: int = 2) -> list[list[bool]]:
    """The modules (dark = True) of the QR code the pages draw for ``url``, with its border."""
    import segno

    code = segno.make(url, error="m")
    return [[bool(cell) for cell in row] for row in code.matrix_iter(border=border)]


def qr_modules_from_svg(html: str) -> list[list[bool]]:
    """Read back the modules of the first inline QR SVG in ``html`` (segno's path of horizontal
    strokes: ``M x y.5`` / ``m dx dy`` moves, ``h n`` dark runs), as a scanner would see them.
    Fails if the page holds no real ``<svg>`` element (escaped markup draws nothing)."""
    import re

    svg = re.search(r'<svg viewBox="0 0 (\d+) (\d+)"[^>]*>.*?</svg>', html, re.S)
    assert svg is not None, "no inline <svg> QR code in the page"
    scale = re.search(r'transform="scale\((\d+)\)"', svg.group(0))
    size = int(svg.group(1)) // (int(scale.group(1)) if scale else 1)
    path = re.search(r' d="([^"]+)"', svg.group(0))
    assert path is not None, "the QR code's SVG has no path"
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, number_a, number_b in re.findall(
        r"([MmHh])\s*(-?[\d.]+)(?:[ ,]+(-?[\d.]+))?", path.group(1)
    ):
        a = float(number_a)
        if command == "M":
            x, y = a, float(number_b)
        elif command == "m":
            x, y = x + a, y + float(number_b)
        else:
            end = a if command == "H" else x + a
            for column in range(int(x), int(end)):
                grid[int(y)][column] = True
            x = end
    return grid


def cast_receipt(response: Any) -> str | None:
    """The receipt a cast answered ``303`` carries to the vote page (the signed flash cookie);
    fails unless the response is that redirect."""
    from asamblea.voting import receipt_flash

    assert response.status_code == 303, response.status_code
    morsel = response.cookies[receipt_flash.COOKIE]
    assert morsel["path"] == response["Location"]
    data = receipt_flash.read(morsel.value)
    assert data is not None, "the flash cookie does not verify"
    return data["receipt"]
