"""A small world for the cross-cutting security tests: the named cast of ``asamblea.testing``
plus one of everything a route can point at (a motion, an open secret vote, an invitation).

Every URL of the project is listed here with the arguments and the valid POST data it needs, so
the permission matrix, the CSRF test, the page scan and the fuzzers all walk the same routes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from asamblea.accounts.models import Person
from asamblea.bodies.actions import body_create, invitation_create
from asamblea.bodies.models import Invitation, Membership
from asamblea.coordination.actions import consultation_open
from asamblea.coordination.models import Delegation
from asamblea.elections import actions as elections
from asamblea.elections.models import Candidate, Election
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import Motion
from asamblea.testing import PASSPHRASE, Cast, coordination_scene, join, make_cast, make_person
from asamblea.verifiable.actions import vote_setup
from asamblea.verifiable.consultations import consultation_setup
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Poll


@dataclass
class World:
    cast: Cast
    # The delegate role: a member of North who carries its mandate to the Region coordination
    # (an active Delegation). The matrix shows that the mandate gives no extra power in North.
    dave: Person
    motion: Motion  # bob's motion in North, open for support, edits and comments
    voted_motion: Motion  # a motion of North under an open secret vote
    poll: Poll  # that open secret vote
    invitation: Invitation
    token: str
    carol_membership: Membership
    election: Election  # nominating: carol stands, and nominated bob
    nomination: Candidate  # carol's nomination of bob, waiting for his consent
    voting_election: Election  # voting open, alice and bob on the ballot
    closed_election: Election  # counted, results and ballots published
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> dict[str, Person | None]:
        return self.cast.roles | {"delegate": self.dave}


def build() -> World:
    cast = make_cast()
    dave = make_person("dave")
    join(dave, cast.north)
    region = body_create(
        cast.frank, name="Region", kind="regional_coordination", visibility="public"
    )
    Delegation.objects.create(
        body=cast.north,
        coordination=region,
        person=dave,
        term_ends=timezone.now() + timedelta(days=365),
    )
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua potable")
    voted = motion_submit(cast.carol, cast.north, title="Luz", text="Exigir alumbrado")
    poll = poll_open(cast.alice, cast.north, motion=voted, secrecy=Poll.Secrecy.SECRET)
    invitation, token = invitation_create(cast.alice, cast.north, max_uses=50)
    election = _election(cast, "Junta")
    elections.nominate(cast.carol, election)
    nomination = elections.nominate(cast.carol, election, nominee=cast.bob, statement="Bob sabe")
    voting_election = _election(cast, "Delegados")
    for person in (cast.alice, cast.carol):
        elections.nominate(person, voting_election)
    elections.voting_open(cast.alice, voting_election)
    closed_election = _election(cast, "Tesorería")
    elections.nominate(cast.carol, closed_election)
    closed_election = elections.voting_open(cast.alice, closed_election)
    elections.ballot_cast(cast.carol, closed_election, form={"rank_0": ["1"]})
    closed_election = elections.election_close(cast.alice, closed_election)
    # dave is North's delegate to the public Federation (facilitated by cora, who holds no
    # role of the matrix: coordination-only actions are refused to every role here).
    extra = coordination_scene(cast, delegate=dave)
    # A verifiable vote of North in its key ceremony: alice and bob are its trustees.
    verifiable = poll_open(cast.alice, cast.north, title="Cifrado", secrecy="verifiable")
    vote_setup(cast.alice, verifiable, trustees=[cast.alice, cast.bob], threshold=1)
    extra["verifiable_poll"] = verifiable
    # A verifiable approval election of North in its key ceremony, the same trustees.
    encrypted = elections.election_create(
        cast.alice, cast.north, title="Comisión", method="approval", secrecy="verifiable"
    )
    elections.option_add(cast.alice, encrypted, name="Ana")
    elections.option_add(cast.alice, encrypted, name="Beto")
    encrypted = elections.voting_open(cast.alice, encrypted)
    vote_setup(cast.alice, encrypted, trustees=[cast.alice, cast.bob], threshold=1)
    extra["verifiable_election"] = encrypted
    # A verifiable consultation of the Federation in its key ceremony: its trustees are dave
    # (North's delegate) and frank (South's); cora, who chose them, holds no role here.
    federation, cora = extra["federation"], extra["cora"]
    consulted = Motion.objects.create(
        body=federation, number=4, title="Cifrar", text="Cifrar", state="supported"
    )
    verifiable_consultation = consultation_open(
        cora,
        federation,
        consulted,
        rule="head_count",
        deadline=timezone.now() + timedelta(days=3),
        verifiable=True,
    )
    consultation_setup(cora, verifiable_consultation, trustees=[dave, cast.frank], threshold=1)
    extra["verifiable_consultation"] = verifiable_consultation
    return World(
        cast=cast,
        dave=dave,
        motion=motion,
        voted_motion=voted,
        poll=poll,
        invitation=invitation,
        token=token,
        carol_membership=Membership.objects.get(person=cast.carol, body=cast.north),
        election=election,
        nomination=nomination,
        voting_election=voting_election,
        closed_election=closed_election,
        extra=extra,
    )


def _election(cast: Cast, title: str) -> Election:
    return elections.election_create(
        cast.alice, cast.north, title=title, method="schulze", secrecy="secret"
    )


@dataclass(frozen=True)
class Route:
    """How to call one named URL: its arguments and a valid POST (None: GET only)."""

    kwargs: Callable[[World], dict[str, Any]]
    post: Callable[[World], dict[str, Any]] | None = None
    get: bool = True


def _verifiable(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "pk": w.extra["verifiable_poll"].pk}


def _verifiable_election(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "pk": w.extra["verifiable_election"].pk}


def _verifiable_consultation(w: World) -> dict[str, Any]:
    return {
        "slug": w.extra["federation"].slug,
        "pk": w.extra["verifiable_consultation"].pk,
    }


def _json_post(w: World) -> dict[str, Any]:
    # Posted as a form by the matrix: the JSON endpoints answer "not valid JSON" (400) to the
    # people allowed to call them, after the permission checks (403 / 404) of the others.
    return {"x": "1"}


VERIFIABLE_ROUTES = {
    "vote": Route(_verifiable),
    "setup": Route(_verifiable, post=lambda w: {"trustees": [w.cast.carol.pk], "threshold": 1}),
    "state": Route(_verifiable),
    "register": Route(_verifiable, post=_json_post, get=False),
    "cast": Route(_verifiable, post=_json_post, get=False),
    "audit": Route(_verifiable, post=_json_post, get=False),
    "board": Route(_verifiable),
    "board_json": Route(_verifiable),
    "trustee": Route(_verifiable),
    "trustee_channel": Route(_verifiable, post=_json_post, get=False),
    "trustee_commit": Route(_verifiable, post=_json_post, get=False),
    "trustee_key": Route(_verifiable, post=_json_post, get=False),
    "trustee_complaint": Route(_verifiable, post=_json_post, get=False),
    "trustee_decrypt": Route(_verifiable, post=_json_post, get=False),
    "open_voting": Route(_verifiable, post=lambda w: {}, get=False),
    "close_voting": Route(_verifiable, post=lambda w: {}, get=False),
    "cancel": Route(_verifiable, post=lambda w: {}, get=False),
}
# the Federation's verifiable consultation (its own vote: trustees, aggregates, board)
CONSULTATION_ROUTES = {
    "consultation": Route(_verifiable_consultation),
    "consultation_setup": Route(
        _verifiable_consultation, post=lambda w: {"trustees": [w.dave.pk], "threshold": 1}
    ),
    "consultation_state": Route(_verifiable_consultation),
    "consultation_board": Route(_verifiable_consultation),
    "consultation_board_json": Route(_verifiable_consultation),
    "consultation_trustee": Route(_verifiable_consultation),
    "consultation_trustee_channel": Route(_verifiable_consultation, post=_json_post, get=False),
    "consultation_trustee_commit": Route(_verifiable_consultation, post=_json_post, get=False),
    "consultation_trustee_key": Route(_verifiable_consultation, post=_json_post, get=False),
    "consultation_trustee_complaint": Route(_verifiable_consultation, post=_json_post, get=False),
    "consultation_trustee_decrypt": Route(_verifiable_consultation, post=_json_post, get=False),
}


def _new_passphrase(**extra: str) -> dict[str, Any]:
    return {
        "new_password": "a brand new passphrase",
        "new_password2": "a brand new passphrase",
    } | extra


def _carol_code(w: World) -> str:
    """One of carol's recovery codes, made on first use (outside the per-role savepoints)."""
    from asamblea.accounts.actions import recovery_codes_issue

    if "carol_code" not in w.extra:
        w.extra["carol_code"] = recovery_codes_issue(w.cast.carol)[0]
    return str(w.extra["carol_code"])


def _carol_reset(w: World) -> str:
    """A reset link alice (North's facilitator) issued for carol, made on first use."""
    from asamblea.bodies.reset_actions import reset_issue

    if "carol_reset" not in w.extra:
        w.extra["carol_reset"] = reset_issue(w.cast.alice, w.carol_membership)
    return str(w.extra["carol_reset"])


def _bob_token(w: World) -> dict[str, Any]:
    """An access token of bob's (the API's account page), made on first use."""
    from asamblea.api.actions import token_create

    if "bob_token" not in w.extra:
        w.extra["bob_token"] = token_create(w.cast.bob, name="Script", scopes=["read"])[0]
    return {"pk": w.extra["bob_token"].pk}


def _north(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug}


def _motion(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "number": w.motion.number}


def _voted_motion(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "number": w.voted_motion.number}


def _poll(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "pk": w.poll.pk}


def _nominating(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "pk": w.election.pk}


def _voting(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "pk": w.voting_election.pk}


def _closed(w: World) -> dict[str, Any]:
    return {"slug": w.cast.north.slug, "pk": w.closed_election.pk}


def _none(w: World) -> dict[str, Any]:
    return {}


def _empty(w: World) -> dict[str, Any]:
    return {}


def _meet(w: World) -> dict[str, Any]:
    """North's meetings for the meeting routes, built once per world on first use: an open
    meeting (item under discussion carrying bob's motion, bob speaking, carol waiting, alice,
    bob, carol and dave present, an open in-meeting vote), a scheduled one, a spare open one
    and a closed one with draft minutes."""
    from asamblea.meetings.models import Meeting

    built = w.extra.get("meet")
    # Built lazily, possibly inside a savepoint a test rolls back: build again if it is gone.
    if built is None or not Meeting.objects.filter(pk=built["pk"]).exists():
        from django.utils import timezone

        from asamblea.meetings import actions as meet

        cast = w.cast

        def new(title: str) -> Any:
            return meet.meeting_schedule(
                cast.alice, cast.north, title=title, starts_at=timezone.now(), place="Local"
            )

        meeting = new("Junio")
        item = meet.item_add(cast.alice, meeting, title="Agua", motions=[w.motion])
        later = meet.item_add(cast.alice, meeting, title="Luz")
        proposal = meet.item_propose(cast.bob, meeting, title="Basura")
        meet.meeting_open(cast.alice, meeting)
        for person in (cast.alice, cast.bob, cast.carol, w.dave):
            meet.check_in(person, meeting)
        meet.item_start(cast.alice, item)
        meeting.refresh_from_db()
        meet.speech_request(cast.bob, meeting.current_list)
        speaking = meet.speaker_next(cast.alice, meeting.current_list)
        waiting = meet.speech_request(cast.carol, meeting.current_list)
        poll = poll_open(cast.alice, cast.north, title="¿Marcha?", meeting=meeting)
        spare = new("Extra")
        meet.meeting_open(cast.alice, spare)
        closed = new("Mayo")
        meet.meeting_open(cast.alice, closed)
        meet.meeting_close(cast.alice, closed)
        w.extra["meet"] = {
            "slug": cast.north.slug,
            "pk": meeting.pk,
            "item": item.pk,
            "later": later.pk,
            "proposal": proposal.pk,
            "speaking": speaking.pk,
            "waiting": waiting.pk,
            "poll": poll.pk,
            "scheduled": new("Julio").pk,
            "spare": spare.pk,
            "closed": closed.pk,
        }
    return w.extra["meet"]


def _m(key: str = "pk", **extra: str) -> Callable[[World], dict[str, Any]]:
    """Arguments for a meeting route: the meeting at ``key``, plus named ids of the world."""

    def kwargs(w: World) -> dict[str, Any]:
        ids = _meet(w)
        return {"slug": ids["slug"], "pk": ids[key]} | {arg: ids[k] for arg, k in extra.items()}

    return kwargs


def _meet_events(w: World) -> dict[str, Any]:
    return {"pk": _meet(w)["pk"]}


def _fed(w: World) -> dict[str, Any]:
    return {"slug": w.extra["federation"].slug}


def _in_fed(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: _fed(w) | {"pk": w.extra[key].pk}


def _in_north(key: str, field: str = "pk") -> Callable[[World], dict[str, Any]]:
    return lambda w: _north(w) | {field: getattr(w.extra[key], field)}


def _agenda(w: World) -> dict[str, Any]:
    return _fed(w) | {"number": w.extra["agenda"].number}


def _in_two_days(w: World) -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


COORDINATION_ROUTES: dict[str, Route] = {
    "create": Route(
        _none,
        post=lambda w: {
            "name": "Sector",
            "kind": "sector_federation",
            "visibility": "public",
            "quorum_percent": 50,
            "majority": "simple",
            "supporters_required": 0,
            "weighting": "membership",
            "forward_threshold": 2,
            "admission": "facilitators",
        },
    ),
    "detail": Route(_fed),
    "statute": Route(
        _fed,
        post=lambda w: {
            "weighting": "split",
            "forward_threshold": 3,
            "admission": "automatic",
            "quorum_percent": 40,
            "majority": "absolute",
        },
        get=False,
    ),
    "request_decide": Route(
        lambda w: {"slug": w.extra["request"].coordination.slug, "pk": w.extra["request"].pk},
        post=lambda w: {"accept": "yes"},
        get=False,
    ),
    "vote_open": Route(_agenda, post=_empty, get=False),
    "consult": Route(
        _agenda,
        post=lambda w: {
            "rule": "weighted",
            "deadline": _in_two_days(w),
            "quorum_percent": 30,
            "majority": "simple",
        },
        get=False,
    ),
    "vote": Route(_in_fed("vote")),
    "vote_cast": Route(
        _in_fed("vote"), post=lambda w: {"body": w.cast.north.slug, "choice": "yes"}, get=False
    ),
    "vote_close": Route(_in_fed("vote"), post=_empty, get=False),
    "consultation": Route(_in_fed("consultation")),
    "consultation_progress": Route(_in_fed("consultation")),
    "consultation_events": Route(lambda w: {"pk": w.extra["consultation"].pk}),
    "consultation_close": Route(_in_fed("consultation"), post=_empty, get=False),
    "back": Route(_in_fed("forward"), post=lambda w: {"body": w.cast.north.slug}, get=False),
    "body": Route(_north),
    "propose": Route(
        _north,
        post=lambda w: {"coordination": w.extra["open_region"].slug, "direction": "join"},
        get=False,
    ),
    "election_open": Route(
        _north,
        post=lambda w: {
            "coordination": w.extra["federation"].slug,
            "candidates": [w.cast.bob.pk, w.dave.pk],
            "seats": 1,
            "term_days": 90,
        },
        get=False,
    ),
    "recall": Route(_in_north("delegation"), post=_empty, get=False),
    "mandate": Route(
        _north,
        post=lambda w: {"motion": w.extra["agenda"].pk, "position": "against", "binding": "on"},
        get=False,
    ),
    "consultation_decide": Route(
        _in_north("consultation"),
        post=lambda w: {"means": "hands", "yes": 2, "no": 1, "abstain": 0, "present": 3},
        get=False,
    ),
    "solidarity_answer": Route(
        _in_north("solidarity"), post=lambda w: {"take_up": "yes"}, get=False
    ),
    "forward": Route(
        _in_north("adopted", "number"),
        post=lambda w: {"coordination": w.extra["federation"].slug},
        get=False,
    ),
    "solidarity": Route(
        _in_north("adopted", "number"),
        post=lambda w: {"to_body": w.cast.south.slug, "note": "Con vosotras"},
        get=False,
    ),
    "provenance": Route(_in_north("adopted", "number")),
}


def _pub(w: World) -> dict[str, Any]:
    """North's and the Federation's statements, built once per world on first use: North's
    statute lets a facilitator adopt statements; alice published one, bob keeps a draft; cora
    published one for the Federation, which its member assemblies may endorse."""
    from asamblea.publishing import actions as pub
    from asamblea.publishing.models import Publication, Statement

    built = w.extra.get("pub")
    if built is None or not Statement.objects.filter(pk=built["published_pk"]).exists():
        cast, federation, cora = w.cast, w.extra["federation"], w.extra["cora"]
        pub.statement_rule_set(cast.alice, cast.north, adoption="facilitators")
        published = pub.statement_draft(cast.alice, cast.north, title="Agua", text="Agua ya")
        pub.statement_adopt(cast.alice, published)
        draft = pub.statement_draft(cast.bob, cast.north, title="Luz", text="Luz ya")
        pub.statement_rule_set(cora, federation, adoption="facilitators")
        shared = pub.statement_draft(cora, federation, title="Marcha", text="Marchamos")
        pub.statement_adopt(cora, shared)
        decision = Publication.objects.get(body=cast.north, kind="election")
        w.extra["pub"] = {
            "published": published.number,
            "published_pk": published.pk,
            "draft": draft.number,
            "shared": shared.number,
            "decision": decision.pk,
        }
    return w.extra["pub"]


def _statement(key: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: _north(w) | {"number": _pub(w)[key]}


PUBLISHING_ROUTES: dict[str, Route] = {
    "statements": Route(_north, post=lambda w: {"title": "Pan", "text": "Pan para todos"}),
    "statement_rule": Route(
        lambda w: _pub(w) and _north(w), post=lambda w: {"adoption": "vote"}, get=False
    ),
    "statement": Route(_statement("published")),
    "statement_edit": Route(
        _statement("draft"), post=lambda w: {"title": "Luz", "text": "Luz para todos"}
    ),
    "statement_adopt": Route(_statement("draft"), post=lambda w: {"how": "adopt"}, get=False),
    "statement_endorse": Route(
        lambda w: _fed(w) | {"number": _pub(w)["shared"]},
        post=lambda w: {"body": w.cast.north.slug},
        get=False,
    ),
    "statement_print": Route(_statement("published")),
    "statement_pdf": Route(_statement("published")),
    "resolution_print": Route(lambda w: _north(w) | {"pk": _pub(w)["decision"]}),
    "resolution_pdf": Route(lambda w: _north(w) | {"pk": _pub(w)["decision"]}),
    "popolo": Route(_north),
    "popolo_csv": Route(lambda w: _north(w) | {"table": "vote_events"}),
    "site_feed": Route(_none),
    "feeds": Route(_none),
    "resolutions": Route(_north),
    "feed": Route(_north),
    "ledger_entry": Route(lambda w: _north(w) | {"seq": 1}),
    "coordination_resolutions": Route(_fed),
    "coordination_feed": Route(_fed),
}


def _logistics(w: World) -> dict[str, Any]:
    """The Federation's board of needs and offers, built once per world on first use: North
    needs lodging in Lima; South offers lodging there twice. The first offer was proposed by
    South (frank) and waits for North; a food need and offer are matched and accepted, with
    South's details shared. North plans a trip."""
    from asamblea.logistics.models import Posting

    built = w.extra.get("logistics")
    if built is None or not Posting.objects.filter(pk=built["need"]).exists():
        from datetime import timedelta

        from django.utils import timezone

        from asamblea.logistics import actions as logistics

        cast, fed = w.cast, w.extra["federation"]
        first, last = (
            timezone.localdate() + timedelta(days=2),
            timezone.localdate() + timedelta(days=4),
        )

        def posting(who: Person, body: Any, side: str, kind: str, quantity: int) -> Any:
            return logistics.posting_create(
                who,
                fed,
                body,
                side=side,
                kind=kind,
                quantity=quantity,
                place="Lima",
                starts_on=first,
                ends_on=last,
            )

        need = posting(cast.alice, cast.north, "need", "lodging", 30)
        offer = posting(cast.frank, cast.south, "offer", "lodging", 10)
        spare = posting(cast.frank, cast.south, "offer", "lodging", 10)
        proposed = logistics.match_propose(cast.frank, need, offer, quantity=10)
        food_need = posting(cast.alice, cast.north, "need", "food", 50)
        food_offer = posting(cast.frank, cast.south, "offer", "food", 50)
        matched = logistics.match_propose(cast.alice, food_need, food_offer, quantity=50)
        matched = logistics.match_accept(cast.frank, matched)
        logistics.details_share(
            cast.frank, matched, side="offer", text="Jr. Huallaga 452, 987 654 321"
        )
        trip = logistics.trip_plan(
            cast.alice,
            cast.north,
            fed,
            title="Congreso",
            origin="Puno",
            destination="Lima",
            starts_on=first,
            ends_on=last,
            seats=3,
            travellers="Rosa Quispe",
        )
        w.extra["logistics"] = {
            "fed": fed.slug,
            "north": cast.north.slug,
            "need": need.pk,
            "spare": spare.pk,
            "proposed": proposed.pk,
            "matched": matched.pk,
            "trip": trip.pk,
            "first": first.isoformat(),
            "last": last.isoformat(),
        }
    return w.extra["logistics"]


def _board(key: str | None = None) -> Callable[[World], dict[str, Any]]:
    def kwargs(w: World) -> dict[str, Any]:
        ids = _logistics(w)
        return {"slug": ids["fed"]} | ({"pk": ids[key]} if key else {})

    return kwargs


def _docs(w: World) -> dict[str, Any]:
    """North's documents for the document routes, built once per world on first use: North's
    statement with two amendments (bob's and carol's, not in conflict, waiting for a decision)
    and a merge of both waiting for their consent; a second document with nothing pending (for
    the final vote); and bob's amendment to the Federation's program, adopted by North."""
    from asamblea.documents.models import Document

    built = w.extra.get("docs")
    if built is None or not Document.objects.filter(pk=built["pk"]).exists():
        from asamblea.documents import actions as docs
        from asamblea.documents.models import Amendment
        from asamblea.motions.models import Motion

        cast = w.cast
        text = "Agua potable.\n\nLuz para todos.\n\nLas asambleas deciden."
        statement = docs.document_create(
            cast.alice, cast.north, title="Declaración", kind="statement", text=text
        )
        first = docs.amendment_submit(
            cast.bob, statement, body=cast.north, op="replace", start="p1", markdown="Agua."
        )
        second = docs.amendment_submit(
            cast.carol, statement, body=cast.north, op="delete", start="p2"
        )
        merge = docs.proposal_make(
            cast.alice,
            statement,
            kind="merge",
            numbers=[first.number, second.number],
            op="replace",
            start="p1",
            end="p2",
            markdown="Agua y luz.",
        )
        quiet = docs.document_create(
            cast.alice, cast.north, title="Saludo", kind="other", text="Hola."
        )
        federation = w.extra["federation"]
        program = docs.document_create(
            w.extra["cora"], federation, title="Programa", kind="program", text=text
        )
        up = docs.amendment_submit(cast.bob, program, body=cast.north, op="delete", start="p3")
        Motion.objects.filter(pk=up.motion_id).update(state="adopted")
        Amendment.objects.filter(pk=up.pk).update(state="adopted")
        w.extra["docs"] = {
            "slug": cast.north.slug,
            "pk": statement.pk,
            "number": statement.number,
            "first": first.number,
            "second": second.number,
            "merge": merge.number,
            "quiet": quiet.number,
            "fed": federation.slug,
            "program": program.number,
            "up": up.number,
        }
    return w.extra["docs"]


def _doc(key: str = "number", **extra: str) -> Callable[[World], dict[str, Any]]:
    """Arguments for a document route: North's document at ``key``, plus an amendment."""

    def kwargs(w: World) -> dict[str, Any]:
        ids = _docs(w)
        return {"slug": ids["slug"], "number": ids[key]} | {a: ids[k] for a, k in extra.items()}

    return kwargs


def _trips(key: str | None = None) -> Callable[[World], dict[str, Any]]:
    def kwargs(w: World) -> dict[str, Any]:
        ids = _logistics(w)
        return {"slug": ids["north"]} | ({"pk": ids[key]} if key else {})

    return kwargs


def _trip_post(w: World) -> dict[str, Any]:
    ids = _logistics(w)
    return {
        "title": "Marcha",
        "coordination": ids["fed"],
        "origin": "Puno",
        "destination": "Lima",
        "starts_on": ids["first"],
        "ends_on": ids["last"],
        "seats": 4,
        "travellers": "Ana",
    }


LOGISTICS_ROUTES: dict[str, Route] = {
    "board": Route(_board()),
    "post": Route(
        _board(),
        post=lambda w: {
            "body": w.cast.north.slug,
            "side": "offer",
            "kind": "food",
            "quantity": 9,
            "place": "Cusco",
            "starts_on": _logistics(w)["first"],
            "ends_on": _logistics(w)["last"],
        },
        get=False,
    ),
    "withdraw": Route(_board("need"), post=_empty, get=False),
    "propose": Route(
        _board(),
        post=lambda w: {
            "need": _logistics(w)["need"],
            "offer": _logistics(w)["spare"],
            "quantity": 5,
        },
        get=False,
    ),
    "match": Route(_board("matched")),
    "accept": Route(_board("proposed"), post=_empty, get=False),
    "decline": Route(_board("proposed"), post=_empty, get=False),
    "details": Route(
        _board("matched"), post=lambda w: {"side": "need", "text": "Llegamos el jueves"}, get=False
    ),
    "trips": Route(_trips(), post=_trip_post),
    "trip": Route(_trips("trip"), post=_trip_post),
    "trip_ask": Route(_trips("trip"), post=lambda w: {"kinds": ["transport"]}, get=False),
    "trip_sheet": Route(_trips("trip")),
    "trip_sheet_pdf": Route(_trips("trip")),
}


def _pledge(w: World) -> dict[str, Any]:
    """North's open pledge (alice opened it; dave, North's delegate, committed), built once per
    world on first use."""
    from asamblea.pledges import actions as pledges
    from asamblea.pledges.models import Pledge

    pledge = w.extra.get("pledge")
    if pledge is None or not Pledge.objects.filter(pk=pledge.pk).exists():
        pledge = pledges.pledge_open(
            w.cast.alice,
            w.cast.north,
            title="Paro",
            deadline=timezone.now() + timedelta(days=2),
            min_people=50,
        )
        pledges.commit(w.dave, pledge)
        w.extra["pledge"] = pledge
    return {"slug": w.cast.north.slug, "pk": pledge.pk}


PLEDGE_ROUTES: dict[str, Route] = {
    "list": Route(_north),
    "create": Route(
        _north,
        post=lambda w: {
            "title": "Marcha",
            "min_people": 10,
            "min_percent": 20,
            "deadline": _in_two_days(w),
        },
    ),
    "detail": Route(_pledge),
    "live": Route(_pledge),
    "events": Route(lambda w: {"pk": _pledge(w)["pk"]}),
    "commit": Route(_pledge, post=_empty, get=False),
    "withdraw": Route(_pledge, post=_empty, get=False),
    "vote": Route(_pledge, post=lambda w: {"assembly": w.cast.north.slug}, get=False),
    "followup": Route(_pledge, post=_empty, get=False),
    "answer": Route(_pledge, post=lambda w: {"kept": "yes"}, get=False),
}


DOCUMENT_ROUTES: dict[str, Route] = {
    "list": Route(
        _north, post=lambda w: {"title": "Programa", "kind": "program", "text": "Uno.\n\nDos."}
    ),
    "body_amendments": Route(_north),
    "detail": Route(_doc()),
    "synopsis": Route(_doc()),
    "text": Route(_doc()),
    "pdf": Route(_doc()),
    "versions": Route(_doc()),
    "version": Route(lambda w: _doc()(w) | {"version": 1}),
    "amend": Route(
        _doc(),
        post=lambda w: {
            "in_body": w.cast.north.slug,
            "op": "insert_after",
            "start": "p3",
            "markdown": "Y se cumple.",
            "version": 1,
        },
    ),
    "proposal": Route(
        _doc(),
        post=lambda w: {
            "kind": "compromise",
            "numbers": [_docs(w)["first"], _docs(w)["second"]],
            "op": "delete",
            "start": "p1",
        },
    ),
    "block": Route(
        _doc(), post=lambda w: {"numbers": [_docs(w)["first"], _docs(w)["second"]]}, get=False
    ),
    "final": Route(_doc("quiet"), post=_empty, get=False),
    "commission": Route(_doc(), post=lambda w: {"username": "carol"}, get=False),
    "amendment": Route(_doc(amendment="first")),
    "send_up": Route(
        lambda w: {
            "slug": _docs(w)["fed"],
            "number": _docs(w)["program"],
            "amendment": _docs(w)["up"],
        },
        post=_empty,
        get=False,
    ),
    "consent": Route(
        _doc(amendment="merge"),
        post=lambda w: {"for": _docs(w)["first"], "accept": "yes"},
        get=False,
    ),
}


def _survey(key: str) -> Callable[[World], dict[str, Any]]:
    """North's surveys, built once per world on first use: an open anonymous one (dave already
    answered) and a closed one."""

    def kwargs(w: World) -> dict[str, Any]:
        from asamblea.surveys import actions as surveys
        from asamblea.surveys.models import Survey

        built = w.extra.get("surveys")
        if built is None or not Survey.objects.filter(pk=built["open"].pk).exists():

            def send(title: str) -> Any:
                return surveys.survey_open(
                    w.cast.alice,
                    w.cast.north,
                    title=title,
                    closes_at=timezone.now() + timedelta(days=2),
                    questions=[{"kind": "single", "text": "¿Huelga?", "options": ["Sí", "No"]}],
                )

            opened, closed = send("Antes del congreso"), send("Después")
            surveys.answer(w.dave, opened, raw={str(opened.questions.get().pk): 0})
            surveys.survey_close(w.cast.alice, closed)
            built = w.extra["surveys"] = {"open": opened, "closed": closed}
        survey = built[key]
        w.extra["question"] = survey.questions.get().pk
        return {"slug": w.cast.north.slug, "pk": survey.pk}

    return kwargs


SURVEY_ROUTES: dict[str, Route] = {
    "list": Route(_north),
    "create": Route(
        _north,
        post=lambda w: {
            "title": "Encuesta",
            "anonymous": "on",
            "closes_at": _in_two_days(w),
            "q1_kind": "scale",
            "q1_text": "¿Cuánto?",
            "q1_high": 5,
        },
    ),
    "detail": Route(_survey("open")),
    "answer": Route(_survey("open"), post=lambda w: {f"q{w.extra['question']}": "1"}, get=False),
    "close": Route(_survey("open"), post=_empty, get=False),
    "csv": Route(_survey("closed")),
}


# Every named route of the project. A route missing here fails test_every_route_is_listed.
ROUTES: dict[str, Route] = {
    "set_language": Route(_none, post=lambda w: {"language": "en", "next": "/"}),
    "accounts:login": Route(
        _none, post=lambda w: {"username": "bob", "password": PASSPHRASE, "next": "/"}
    ),
    "accounts:logout": Route(_none, post=_empty, get=False),
    "accounts:profile": Route(_none, post=lambda w: {"display_name": "Renamed", "language": "en"}),
    "accounts:passphrase": Route(
        _none, post=lambda w: _new_passphrase(current_password=PASSPHRASE)
    ),
    "accounts:recovery_codes": Route(_none, post=lambda w: {"current_password": PASSPHRASE}),
    "accounts:recovery_codes_saved": Route(_none, post=_empty, get=False),
    # The kwargs make carol's code (a route's objects are built with its arguments, first).
    "accounts:recover": Route(
        lambda w: _carol_code(w) and {},
        post=lambda w: _new_passphrase(username="carol", code=_carol_code(w)),
    ),
    "accounts:reset": Route(lambda w: {"token": _carol_reset(w)}, post=lambda w: _new_passphrase()),
    "bodies:member_reset": Route(
        lambda w: _north(w) | {"pk": w.carol_membership.pk}, post=_empty, get=False
    ),
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
    "bodies:invitation_show": Route(lambda w: _north(w) | {"pk": w.invitation.pk}),
    "bodies:invitation_reissue": Route(
        lambda w: _north(w) | {"pk": w.invitation.pk}, post=_empty, get=False
    ),
    "bodies:invitation_revoke": Route(
        lambda w: _north(w) | {"pk": w.invitation.pk}, post=_empty, get=False
    ),
    "bodies:ledger": Route(_north),
    "bodies:ledger_heads": Route(_north),
    "motions:create": Route(_north, post=lambda w: {"title": "Pan", "text": "Pan para todos"}),
    "motions:detail": Route(_motion),
    "motions:edit": Route(_motion, post=lambda w: {"title": "Agua 2", "text": "Agua potable ya"}),
    "motions:versions": Route(_motion),
    "motions:support": Route(_motion, post=_empty, get=False),
    "motions:withdraw": Route(_motion, post=_empty, get=False),
    "motions:comment": Route(
        _motion, post=lambda w: {"stance": "for", "text": "De acuerdo"}, get=False
    ),
    "voting:call": Route(_motion, post=_empty, get=False),
    "voting:open": Route(
        _motion,
        post=lambda w: {"secrecy": "secret", "quorum_percent": 50, "majority": "simple"},
        get=False,
    ),
    "voting:detail": Route(_poll),
    "voting:cast": Route(_poll, post=lambda w: {"choice": "yes"}, get=False),
    "lean:poll": Route(lambda w: {"pk": w.poll.pk}, post=lambda w: {"choice": "yes"}, get=False),
    "voting:close": Route(_poll, post=_empty, get=False),
    "voting:receipt": Route(_poll),
    "voting:progress": Route(_poll),
    "voting:events": Route(lambda w: {"pk": w.poll.pk}),
    **{f"verifiable:{name}": route for name, route in VERIFIABLE_ROUTES.items()},
    **{f"verifiable:{name}": route for name, route in CONSULTATION_ROUTES.items()},
    **{
        f"verifiable:e_{name}": dataclasses.replace(route, kwargs=_verifiable_election)
        for name, route in VERIFIABLE_ROUTES.items()
    },
    "elections:create": Route(
        _north,
        post=lambda w: {
            "title": "Junta",
            "method": "schulze",
            "seats": 1,
            "secrecy": "secret",
            "max_score": 5,
        },
    ),
    "elections:detail": Route(_nominating),
    "elections:nominate": Route(
        _nominating, post=lambda w: {"statement": "Me presento"}, get=False
    ),
    "elections:option_add": Route(_nominating, post=lambda w: {"name": "Nadie"}, get=False),
    "elections:answer": Route(
        lambda w: _nominating(w) | {"candidate": w.nomination.pk},
        post=lambda w: {"answer": "accept"},
        get=False,
    ),
    "elections:open": Route(_nominating, post=_empty, get=False),
    "elections:cast": Route(_voting, post=lambda w: {"rank_0": "1", "rank_1": "2"}, get=False),
    "lean:election": Route(
        lambda w: {"pk": w.voting_election.pk},
        post=lambda w: {"rank_0": "1", "rank_1": "2"},
        get=False,
    ),
    "elections:close": Route(_voting, post=_empty, get=False),
    "elections:receipt": Route(_voting),
    "elections:result": Route(_closed),
    "elections:result_json": Route(_closed),
    "elections:ballots_json": Route(_closed),
    "elections:ballots_blt": Route(_closed),
    "meetings:list": Route(
        _north,
        post=lambda w: {"title": "Agosto", "starts_at": "2030-08-01T18:00", "place": "Local"},
    ),
    "meetings:speaking": Route(
        _north,
        post=lambda w: {"time_limit": 90, "alternate_groups": "on", "groups": "A\nB"},
    ),
    "meetings:events": Route(_meet_events),
    "meetings:detail": Route(_m()),
    "meetings:live": Route(_m()),
    "meetings:projector": Route(_m()),
    "meetings:projector_live": Route(_m()),
    "meetings:open": Route(_m("scheduled"), post=_empty, get=False),
    "meetings:close": Route(_m("spare"), post=_empty, get=False),
    "meetings:item_add": Route(_m(), post=lambda w: {"title": "Basura"}, get=False),
    "meetings:item_decide": Route(_m(item="proposal"), post=lambda w: {"accept": "1"}, get=False),
    "meetings:item_start": Route(_m(item="later"), post=_empty, get=False),
    "meetings:debate": Route(
        lambda w: _m(item="item")(w) | {"number": w.motion.number}, post=_empty, get=False
    ),
    "meetings:checkin": Route(_m(), post=_empty),
    "meetings:checkout": Route(_m(), post=_empty, get=False),
    "meetings:speak": Route(_m(), post=lambda w: {"kind": "turn"}, get=False),
    "meetings:next": Route(_m(), post=_empty, get=False),
    "meetings:withdraw": Route(_m(speech="waiting"), post=_empty, get=False),
    "meetings:timer": Route(_m(speech="speaking"), post=lambda w: {"run": "0"}, get=False),
    "meetings:finish": Route(_m(speech="speaking"), post=_empty, get=False),
    "meetings:move": Route(
        _m(speech="waiting"), post=lambda w: {"reason": "Lleva esperando"}, get=False
    ),
    "voting:meeting_vote_open": Route(
        _m(), post=lambda w: {"title": "Otra", "secrecy": "secret"}, get=False
    ),
    "voting:meeting_hands": Route(
        _m(poll="poll"), post=lambda w: {"yes": 1, "no": 0, "abstain": 0}, get=False
    ),
    "voting:meeting_hands_attest": Route(_m(poll="poll"), post=_empty, get=False),
    "voting:meeting_vote_close": Route(_m(poll="poll"), post=_empty, get=False),
    "voting:meeting_vote_close_void": Route(
        _m(poll="poll"), post=lambda w: {"reason": "Sin luz"}, get=False
    ),
    "meetings:minutes": Route(_m("closed")),
    "meetings:minutes_pdf": Route(_m("closed")),
    "meetings:notes": Route(_m("closed"), post=lambda w: {"text": "Notas", "base": 0}),
    "meetings:publish": Route(_m("closed"), post=lambda w: {"publish": "1"}, get=False),
    **{f"coordination:{name}": route for name, route in COORDINATION_ROUTES.items()},
    **{f"publishing:{name}": route for name, route in PUBLISHING_ROUTES.items()},
    **{f"logistics:{name}": route for name, route in LOGISTICS_ROUTES.items()},
    **{f"pledges:{name}": route for name, route in PLEDGE_ROUTES.items()},
    **{f"documents:{name}": route for name, route in DOCUMENT_ROUTES.items()},
    **{f"surveys:{name}": route for name, route in SURVEY_ROUTES.items()},
    "tokens:list": Route(_none, post=lambda w: {"name": "Script", "scopes": ["read", "vote"]}),
    "tokens:revoke": Route(_bob_token, post=_empty, get=False),
}

# The API's addresses are walked by tests/security/test_api_matrix.py, operation by operation
# with a token of every role, from its OpenAPI document.
API_NAMESPACE = "api"


def route_names() -> set[str]:
    """Every named URL in the URL configuration, walked from the root resolver."""
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == API_NAMESPACE:
                    continue
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
    The rows are read raw, one ``SELECT *`` per table on one cursor, as the database stores
    them (no manager, no field converters): fingerprints are only ever compared with each
    other, and this reads the same rows (a default manager's filter would hide some) about
    five times faster than a queryset per model; the permission matrix and the form fuzzing
    take it before and after thousands of requests.
    """
    from django.apps import apps
    from django.db import connection

    rows: dict[str, list[tuple[Any, ...]]] = {}
    existing = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.label in {"sessions.Session", "contenttypes.ContentType"}:
                continue
            if model._meta.proxy:  # its concrete model's table is read already
                continue
            if model._meta.db_table not in existing:  # a model whose migration has not landed
                continue
            cursor.execute(f"SELECT * FROM {quote(model._meta.db_table)}")  # noqa: S608 - a model's table
            rows[model._meta.label] = sorted(tuple(map(str, row)) for row in cursor.fetchall())
    return rows
