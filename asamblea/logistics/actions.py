"""Every write of the logistics board and of trips: each checks rights, writes in one
transaction, appends to the ledgers of the assemblies concerned and publishes a live event on
the coordination's channel after commit.

Ledger payloads name postings, matches and trips by id, with kinds and quantities: never a
place, an address, a phone, a traveller, or the other assembly of a match (a public assembly's
ledger must not reveal a members-only one it helped).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import require_facilitator
from asamblea.coordination.queries import is_member_body, require_coordination
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.logistics import matching
from asamblea.logistics.models import (
    DETAILS_MAX,
    NOTE_MAX,
    PLACE_MAX,
    QUANTITY_MAX,
    Kind,
    Match,
    MatchDetail,
    Posting,
    Trip,
)
from asamblea.logistics.queries import allocated, core_posting, facilitates, today

# How far ahead a posting or a trip may be dated.
DAYS_AHEAD = 366


def _channel(coordination: Body | int) -> str:
    pk = coordination if isinstance(coordination, int) else coordination.pk
    return f"logistics:{pk}"


def _announce(coordination_id: int, what: str, **ids: int) -> None:
    publish_on_commit(_channel(coordination_id), "logistics", {"what": what, **ids})


def clean_place(text: str, *, label: Any = None) -> str:
    """A coarse place: a district or a city, never an address (so no house numbers)."""
    text = " ".join(str(text or "").split())
    if not text:
        raise Refused(_("Say the district or city."), code="place_missing")
    if len(text) > PLACE_MAX:
        raise Refused(
            _("A place is at most %(n)s characters: the district or city.") % {"n": PLACE_MAX},
            code="place_too_long",
        )
    if any(c.isdigit() for c in text):
        raise Refused(
            _(
                "Give only the district or city, without numbers: the exact address is shared "
                "only with the assembly you are matched with, once both accept."
            ),
            code="place_address",
        )
    return text


def check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        raise Refused(_("Give the first and the last day."), code="dates_missing")
    if ends_on < starts_on:
        raise Refused(_("The last day cannot come before the first."), code="dates_order")
    if ends_on < today():
        raise Refused(_("These dates have already passed."), code="dates_past")
    if ends_on > today() + timedelta(days=DAYS_AHEAD):
        raise Refused(_("That date is too far ahead: at most a year from today."), code="dates_far")


def _check_quantity(quantity: Any) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise Refused(_("The quantity is a whole number."), code="quantity")
    if not 1 <= quantity <= QUANTITY_MAX:
        raise Refused(
            _("The quantity is between 1 and %(max)s.") % {"max": QUANTITY_MAX}, code="quantity"
        )
    return quantity


def _check_member_assembly(body: Body, coordination: Body) -> None:
    require_coordination(coordination)
    if not body.is_assembly or not is_member_body(body, coordination):
        raise Refused(
            _("Only assemblies that belong to this coordination use its board."),
            code="not_member_body",
        )


@transaction.atomic
def posting_create(
    facilitator: Person,
    coordination: Body,
    body: Body,
    *,
    side: str,
    kind: str,
    quantity: int,
    place: str,
    starts_on: date,
    ends_on: date,
    origin: str = "",
    note: str = "",
    trip: Trip | None = None,
) -> Posting:
    """A facilitator of ``body`` (a member assembly of ``coordination``) posts a need or an
    offer on the coordination's board."""
    require_facilitator(facilitator, body)
    _check_member_assembly(body, coordination)
    if side not in Posting.Side.values:
        raise Refused(_("Say whether it is a need or an offer."), code="side")
    if kind not in Kind.values:
        raise Refused(_("Choose one of the kinds of help."), code="kind")
    _check_quantity(quantity)
    place = clean_place(place)
    origin = clean_place(origin) if kind == Kind.TRANSPORT else ""
    check_dates(starts_on, ends_on)
    note = " ".join(str(note or "").split())
    if len(note) > NOTE_MAX:
        raise Refused(
            _("The note is at most %(n)s characters.") % {"n": NOTE_MAX}, code="note_too_long"
        )
    if trip is not None and (trip.body_id != body.pk or trip.coordination_id != coordination.pk):
        raise Refused(_("That trip is not one of this assembly's."), code="trip")
    posting = Posting.objects.create(
        coordination=coordination,
        body=body,
        side=side,
        kind=kind,
        quantity=quantity,
        place=place,
        origin=origin,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        trip=trip,
        posted_by=facilitator,
    )
    record(
        body,
        f"logistics.{side}_posted",
        {"posting": posting.pk, "kind": kind, "quantity": quantity, "by": facilitator.pk},
    )
    _announce(coordination.pk, "posted", posting=posting.pk)
    return posting


@transaction.atomic
def posting_withdraw(facilitator: Person, posting: Posting) -> Posting:
    """The posting's assembly withdraws it: its open and accepted matches are cancelled and
    their details deleted. Locks the posting row."""
    locked = Posting.objects.select_for_update().select_related("body").get(pk=posting.pk)
    require_facilitator(facilitator, locked.body)
    if locked.state != Posting.State.OPEN:
        raise Conflict(_("This was already withdrawn."))
    locked.state = Posting.State.WITHDRAWN
    locked.save(update_fields=["state"])
    field = "need" if locked.side == Posting.Side.NEED else "offer"
    for match in Match.objects.select_for_update().filter(
        **{field: locked}, state__in=Match.ACTIVE
    ):
        _end(match, Match.State.CANCELLED, facilitator)
    record(locked.body, "logistics.withdrawn", {"posting": locked.pk, "by": facilitator.pk})
    _announce(locked.coordination_id, "withdrawn", posting=locked.pk)
    return locked


def _end(match: Match, state: str, by: Person | None) -> None:
    """Cancel or decline a locked match and delete the details exchanged in it."""
    match.state = state
    match.save(update_fields=["state"])
    MatchDetail.objects.filter(match=match).delete()
    kind = "logistics.match_declined" if state == Match.State.DECLINED else "logistics.cancelled"
    payload = {"match": match.pk, "by": by.pk}
    for body in _bodies(match):
        record(body, kind, payload)


def _bodies(match: Match) -> list[Body]:
    need = Posting.objects.select_related("body").get(pk=match.need_id)
    offer = Posting.objects.select_related("body").get(pk=match.offer_id)
    return [need.body, offer.body]


def match_propose(facilitator: Person, need: Posting, offer: Posting, *, quantity: int) -> Match:
    """A facilitator of one side proposes that ``offer`` gives ``quantity`` to ``need`` (as
    the board suggested, or less); the proposing side has accepted it. Locks both postings in
    id order and counts what they already gave under the lock, so two proposals at once can
    never allocate more than a posting holds; the unique (need, offer) pair refuses repeats."""
    _check_quantity(quantity)
    try:
        with transaction.atomic():
            return _propose(facilitator, need, offer, quantity)
    except IntegrityError as exc:
        raise Conflict(_("These two were already matched.")) from exc


def _propose(facilitator: Person, need: Posting, offer: Posting, quantity: int) -> Match:
    locked = {
        p.pk: p
        for p in Posting.objects.select_for_update()
        .select_related("body")
        .filter(pk__in=[need.pk, offer.pk])
        .order_by("pk")
    }
    if need.pk not in locked or offer.pk not in locked:
        raise Refused(_("There is no such need or offer."), code="no_posting")
    need, offer = locked[need.pk], locked[offer.pk]
    if need.side != Posting.Side.NEED or offer.side != Posting.Side.OFFER:
        raise Refused(_("A match gives an offer to a need."), code="sides")
    need_side = facilitates(facilitator, need.body_id)
    offer_side = facilitates(facilitator, offer.body_id)
    if not (need_side or offer_side):
        raise NotAllowed(_("Only a facilitator of one of the two assemblies can do this."))
    if need.coordination_id != offer.coordination_id:
        raise Refused(_("Both must be on the same board."), code="boards")
    if Posting.State.WITHDRAWN in (need.state, offer.state) or need.ends_on < today():
        raise Conflict(_("This need or offer is no longer open."))
    if not matching.compatible(core_posting(need, 0), core_posting(offer, 0)):
        raise Refused(
            _("This offer does not fit this need (kind, place or dates)."), code="incompatible"
        )
    taken = allocated([need.pk, offer.pk])
    if quantity > min(need.quantity - taken[need.pk], offer.quantity - taken[offer.pk]):
        raise Conflict(_("Not that much is left of this need or offer: reload the board."))
    match = Match.objects.create(
        need=need,
        offer=offer,
        quantity=quantity,
        need_accepted=need_side,
        offer_accepted=offer_side,
        ends_on=need.ends_on,
    )
    if need_side and offer_side:
        match.state = Match.State.ACCEPTED
        match.accepted_at = timezone.now()
        match.save(update_fields=["state", "accepted_at"])
    payload = {"match": match.pk, "kind": need.kind, "quantity": quantity, "by": facilitator.pk}
    record(need.body, "logistics.match_proposed", payload)
    record(offer.body, "logistics.match_proposed", payload)
    _announce(need.coordination_id, "proposed", match=match.pk)
    return match


@transaction.atomic
def match_accept(facilitator: Person, match: Match) -> Match:
    """The side that has not accepted yet accepts. Locks the match row: accepted once."""
    locked = Match.objects.select_for_update().get(pk=match.pk)
    need, offer = _bodies(locked)
    waiting = []
    if not locked.need_accepted and facilitates(facilitator, need.pk):
        waiting.append("need_accepted")
    if not locked.offer_accepted and facilitates(facilitator, offer.pk):
        waiting.append("offer_accepted")
    if locked.state != Match.State.PROPOSED:
        raise Conflict(_("This match was already answered."))
    if not waiting:
        if facilitates(facilitator, need.pk) or facilitates(facilitator, offer.pk):
            raise Conflict(_("Your assembly has already accepted; the other one has not yet."))
        raise NotAllowed(_("Only a facilitator of one of the two assemblies can do this."))
    if locked.ends_on < today():
        raise Conflict(_("The dates of this match have passed."))
    for flag in waiting:
        setattr(locked, flag, True)
    locked.state = Match.State.ACCEPTED
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["need_accepted", "offer_accepted", "state", "accepted_at"])
    payload = {"match": locked.pk, "by": facilitator.pk}
    record(need, "logistics.match_accepted", payload)
    record(offer, "logistics.match_accepted", payload)
    _announce(_coordination_of(locked), "accepted", match=locked.pk)
    return locked


def _coordination_of(match: Match) -> int:
    return int(Posting.objects.values_list("coordination_id", flat=True).get(pk=match.need_id))


@transaction.atomic
def match_decline(facilitator: Person, match: Match) -> Match:
    """Either side ends a match: declining a proposal made to it, or cancelling one (its own
    proposal, or an accepted match). The quantity is free again; details are deleted. Locks
    the match row."""
    locked = Match.objects.select_for_update().get(pk=match.pk)
    need, offer = _bodies(locked)
    if not (facilitates(facilitator, need.pk) or facilitates(facilitator, offer.pk)):
        raise NotAllowed(_("Only a facilitator of one of the two assemblies can do this."))
    if locked.state not in Match.ACTIVE:
        raise Conflict(_("This match was already answered."))
    state = Match.State.CANCELLED
    if locked.state == Match.State.PROPOSED:
        proposer_side = "need" if locked.need_accepted else "offer"
        if not facilitates(facilitator, need.pk if proposer_side == "need" else offer.pk):
            state = Match.State.DECLINED
    _end(locked, state, facilitator)
    _announce(_coordination_of(locked), "ended", match=locked.pk)
    return locked


@transaction.atomic
def details_share(facilitator: Person, match: Match, *, side: str, text: str) -> MatchDetail:
    """A facilitator of one side of an accepted match writes what the other side must know
    (address, phone, whom to ask for); written again, it replaces the earlier text. The ledger
    says that details were shared, never what they say. Locks the match row."""
    locked = Match.objects.select_for_update().get(pk=match.pk)
    need, offer = _bodies(locked)
    if side not in Posting.Side.values:
        raise Refused(_("Say which side you write for."), code="side")
    if not facilitates(facilitator, need.pk if side == Posting.Side.NEED else offer.pk):
        raise NotAllowed(_("Only a facilitator of one of the two assemblies can do this."))
    if locked.state != Match.State.ACCEPTED:
        raise Conflict(_("Details are exchanged once both assemblies accepted the match."))
    if locked.ends_on < today():
        raise Conflict(_("The dates of this match have passed; its details were deleted."))
    text = str(text or "").strip()
    if not text:
        raise Refused(_("Write the details to share."), code="details_missing")
    if len(text) > DETAILS_MAX:
        raise Refused(
            _("The details are at most %(n)s characters.") % {"n": DETAILS_MAX},
            code="details_too_long",
        )
    detail, _created = MatchDetail.objects.update_or_create(
        match=locked, side=side, defaults={"text": text, "written_at": timezone.now()}
    )
    payload = {"match": locked.pk, "by": facilitator.pk}
    record(need, "logistics.details_shared", payload)
    record(offer, "logistics.details_shared", payload)
    _announce(_coordination_of(locked), "details", match=locked.pk)
    return detail


def sweep_due(on: date | None = None) -> int:
    """Delete the details of every match whose last day has passed, and erase who travelled on
    every trip that is over (run by ``asamblea close-due``; the pages already hide them). One
    transaction per match or trip, each row locked and checked again. Returns how many. No
    actor: a system job."""
    day = on or today()
    done = 0
    due = Match.objects.filter(ends_on__lt=day, details_deleted_at__isnull=True)
    for pk in due.values_list("pk", flat=True):
        done += _erase_match(pk, day)
    trips = Trip.objects.filter(ends_on__lt=day, travellers_erased_at__isnull=True)
    for pk in trips.values_list("pk", flat=True):
        done += _erase_trip(pk, day)
    return done


@transaction.atomic
def _erase_match(pk: int, day: date) -> int:
    match = Match.objects.select_for_update().filter(pk=pk).first()
    if match is None or match.details_deleted_at is not None or match.ends_on >= day:
        return 0
    deleted, _rows = MatchDetail.objects.filter(match=match).delete()
    match.details_deleted_at = timezone.now()
    match.save(update_fields=["details_deleted_at"])
    if match.accepted_at is not None:
        for body in _bodies(match):
            record(body, "logistics.details_erased", {"match": match.pk, "details": deleted})
    return 1


@transaction.atomic
def _erase_trip(pk: int, day: date) -> int:
    trip = Trip.objects.select_for_update().select_related("body").filter(pk=pk).first()
    if trip is None or trip.travellers_erased_at is not None or trip.ends_on >= day:
        return 0
    trip.travellers = ""
    trip.travellers_erased_at = timezone.now()
    trip.save(update_fields=["travellers", "travellers_erased_at"])
    record(trip.body, "logistics.travellers_erased", {"trip": trip.pk})
    return 1


# --- Trips -------------------------------------------------------------------------------------


def _trip_fields(body: Body, coordination: Body, fields: dict[str, Any]) -> dict[str, Any]:
    _check_member_assembly(body, coordination)
    title = " ".join(str(fields.get("title") or "").split())
    if not title or len(title) > 120:
        raise Refused(_("Give the trip a title of at most 120 characters."), code="title")
    origin = clean_place(fields.get("origin", ""))
    destination = clean_place(fields.get("destination", ""))
    check_dates(fields.get("starts_on"), fields.get("ends_on"))
    seats = fields.get("seats")
    if not isinstance(seats, int) or isinstance(seats, bool) or not 0 <= seats <= 10_000:
        raise Refused(_("The seats needed are between 0 and 10,000."), code="seats")
    travellers = str(fields.get("travellers") or "").strip()
    lodging = str(fields.get("lodging") or "").strip()
    if len(travellers) > 4000 or len(lodging) > 1000:
        raise Refused(_("The text is too long."), code="too_long")
    return {
        "coordination": coordination,
        "title": title,
        "origin": origin,
        "destination": destination,
        "starts_on": fields["starts_on"],
        "ends_on": fields["ends_on"],
        "seats": seats,
        "travellers": travellers,
        "lodging": lodging,
    }


@transaction.atomic
def trip_plan(facilitator: Person, body: Body, coordination: Body, **fields: Any) -> Trip:
    """A facilitator of ``body`` plans a delegation's trip (seen only by its facilitators)."""
    require_facilitator(facilitator, body)
    values = _trip_fields(body, coordination, fields)
    trip = Trip.objects.create(body=body, created_by=facilitator, **values)
    record(body, "logistics.trip_planned", {"trip": trip.pk, "seats": trip.seats})
    _announce(coordination.pk, "trip", trip=trip.pk)
    return trip


@transaction.atomic
def trip_update(facilitator: Person, trip: Trip, **fields: Any) -> Trip:
    """A facilitator of the trip's assembly changes it. Locks the trip row."""
    locked = Trip.objects.select_for_update().select_related("body", "coordination").get(pk=trip.pk)
    require_facilitator(facilitator, locked.body)
    coordination = fields.pop("coordination", None) or locked.coordination
    values = _trip_fields(locked.body, coordination, fields)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.travellers_erased_at = None
    locked.save()
    record(locked.body, "logistics.trip_changed", {"trip": locked.pk, "seats": locked.seats})
    return locked


def trip_ask(facilitator: Person, trip: Trip, *, kinds: list[str]) -> list[Posting]:
    """Post the trip's needs on its coordination's board: ``transport`` (its seats, from where
    it leaves to where it goes, on the day it leaves) and ``lodging`` (a place to sleep for each
    seat at the destination, from the first to the last day). One transaction."""
    if not kinds or not set(kinds) <= {Kind.TRANSPORT, Kind.LODGING}:
        raise Refused(_("Choose transport, lodging or both."), code="kind")
    if trip.seats < 1:
        raise Refused(_("Say how many seats the trip needs first."), code="seats")
    with transaction.atomic():
        posted = []
        for kind in sorted(set(kinds), reverse=True):
            is_transport = kind == Kind.TRANSPORT
            posted.append(
                posting_create(
                    facilitator,
                    trip.coordination,
                    trip.body,
                    side=Posting.Side.NEED,
                    kind=kind,
                    quantity=trip.seats,
                    place=trip.destination,
                    origin=trip.origin if is_transport else "",
                    starts_on=trip.starts_on,
                    ends_on=trip.starts_on if is_transport else trip.ends_on,
                    trip=trip,
                )
            )
    return posted
