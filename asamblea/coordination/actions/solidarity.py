"""Sideways: a motion sent to a sister body (one that shares a coordination), taken up or not."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    require_facilitator,
)
from asamblea.coordination.actions.common import channel
from asamblea.coordination.models import (
    Solidarity,
)
from asamblea.coordination.queries import (
    sister_bodies,
)
from asamblea.errors import Conflict, Refused
from asamblea.live.events import publish_on_commit
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import Motion


@transaction.atomic
def solidarity_send(
    facilitator: Person, motion: Motion, to_body: Body, *, note: str = ""
) -> Solidarity:
    """An assembly sends a motion it adopted to a sister assembly (one sharing a coordination)
    as a proposal for solidarity. The unique (motion, body) constraint refuses repeats."""
    motion = Motion.objects.select_related("body").get(pk=motion.pk)
    body = motion.body
    require_facilitator(facilitator, body)
    if motion.state != Motion.State.ADOPTED:
        raise Conflict(_("Only a motion the assembly adopted can be sent."))
    if len(note) > 500:
        raise Refused(_("The note is too long (at most 500 characters)."))
    if to_body.pk not in sister_bodies(body):
        raise Refused(_("Proposals go to sister bodies: bodies that share a coordination."))
    try:
        with transaction.atomic():
            sent = Solidarity.objects.create(
                origin=motion, to_body=to_body, note=note, sent_by=facilitator
            )
    except IntegrityError as exc:
        raise Conflict(_("This motion was already sent to this body.")) from exc
    payload = {"solidarity": sent.pk, "from": body.pk, "to": to_body.pk, "motion": motion.number}
    record(body, "solidarity.sent", payload)
    record(to_body, "solidarity.received", payload)
    publish_on_commit(channel(to_body), "solidarity", {"solidarity": sent.pk})
    return sent


@transaction.atomic
def solidarity_answer(facilitator: Person, solidarity: Solidarity, *, take_up: bool) -> Solidarity:
    """The receiving assembly takes the proposal up (it becomes one of its motions, with its
    provenance) or declines it. Locks the proposal row: answered once."""
    require_facilitator(facilitator, solidarity.to_body)
    locked = (
        Solidarity.objects.select_for_update()
        .select_related("origin__body", "to_body")
        .get(pk=solidarity.pk)
    )
    if locked.state != Solidarity.State.SENT:
        raise Conflict(_("This proposal was already answered."))
    if take_up:
        origin = locked.origin
        locked.motion = motion_submit(
            facilitator,
            locked.to_body,
            title=origin.title,
            text=origin.text,
            reasons=origin.reasons,
        )
        locked.state = Solidarity.State.TAKEN_UP
    else:
        locked.state = Solidarity.State.DECLINED
    locked.save(update_fields=["state", "motion"])
    payload = {
        "solidarity": locked.pk,
        "from": locked.origin.body_id,
        "to": locked.to_body_id,
        "taken_up": take_up,
        "motion": locked.motion.number if locked.motion else None,
    }
    record(locked.to_body, "solidarity.answered", payload)
    record(locked.origin.body, "solidarity.answered", payload)
    return locked
