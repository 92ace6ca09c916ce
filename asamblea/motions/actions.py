"""Writes on motions and their discussion."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import require_member, require_view
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.motions.models import (
    COMMENT_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Comment,
    Motion,
    MotionVersion,
    StateChange,
    Support,
)


def _check_text(title: str, text: str, reasons: str) -> None:
    if not title.strip() or not text.strip():
        raise Refused(_("A motion needs a title and a text."))
    if len(title) > TITLE_MAX:
        raise Refused(_("The title is too long (at most 200 characters)."))
    if len(text) > TEXT_MAX or len(reasons) > TEXT_MAX:
        raise Refused(_("The text is too long (at most 20,000 characters)."))


def set_state(by: Person | None, motion: Motion, *, to_state: str, reason: str = "") -> None:
    """Move a (locked) motion to ``to_state``, keep the history, record it in the ledger.

    Not an action of its own: the actions that move a motion call it inside their transaction,
    after their own checks. ``by`` is None when no one moved it (a vote's time ran out, a
    document's block settled)."""
    from_state = motion.state
    motion.state = to_state
    motion.updated_at = timezone.now()
    motion.save(update_fields=["state", "updated_at"])
    StateChange.objects.create(
        motion=motion, from_state=from_state, to_state=to_state, by=by, reason=reason
    )
    record(
        motion.body,
        "motion.state_changed",
        {"motion": motion.number, "from": from_state, "to": to_state, "reason": reason},
    )


def _initial_state(body: Body) -> str:
    return Motion.State.SUPPORTED if body.supporters_required == 0 else Motion.State.SUBMITTED


@transaction.atomic
def motion_submit(
    person: Person, body: Body, *, title: str, text: str, reasons: str = ""
) -> Motion:
    """Submit a motion. Numbers are per body; ``select_for_update`` on the body row serialises
    concurrent submissions so two motions never get the same number."""
    require_member(person, body)
    _check_text(title, text, reasons)
    Body.objects.select_for_update().filter(pk=body.pk).first()
    number = (Motion.objects.filter(body=body).aggregate(n=Max("number"))["n"] or 0) + 1
    motion = Motion.objects.create(
        body=body, number=number, title=title.strip(), text=text, reasons=reasons, author=person
    )
    MotionVersion.objects.create(
        motion=motion, number=1, title=motion.title, text=text, reasons=reasons, created_by=person
    )
    StateChange.objects.create(motion=motion, to_state=Motion.State.SUBMITTED, by=person)
    record(
        body,
        "motion.submitted",
        {"motion": number, "title": motion.title, "author": person.pk, "version": 1},
    )
    if body.supporters_required == 0:
        set_state(person, motion, to_state=Motion.State.SUPPORTED, reason="no supporters required")
    return motion


def _lock(motion: Motion) -> Motion:
    return Motion.objects.select_for_update().select_related("body").get(pk=motion.pk)


@transaction.atomic
def motion_edit(
    person: Person, motion: Motion, *, title: str, text: str, reasons: str = ""
) -> Motion:
    """The author edits a motion until a vote opens on it; every version is kept."""
    locked = _lock(motion)
    require_member(person, locked.body)
    if locked.author_id != person.pk:
        raise NotAllowed(_("Only the author can edit this motion."))
    if not locked.is_open:
        raise Conflict(_("This motion can no longer be edited: a vote has opened or it is closed."))
    _check_text(title, text, reasons)
    locked.version += 1
    locked.title, locked.text, locked.reasons = title.strip(), text, reasons
    locked.updated_at = timezone.now()
    locked.save(update_fields=["version", "title", "text", "reasons", "updated_at"])
    MotionVersion.objects.create(
        motion=locked,
        number=locked.version,
        title=locked.title,
        text=text,
        reasons=reasons,
        created_by=person,
    )
    record(
        locked.body,
        "motion.edited",
        {"motion": locked.number, "version": locked.version, "title": locked.title},
    )
    return locked


@transaction.atomic
def motion_support(person: Person, motion: Motion) -> Motion:
    """Support a motion; when the statute's number of supporters is reached it is ``supported``."""
    locked = _lock(motion)
    require_member(person, locked.body)
    if not locked.is_open:
        raise Conflict(_("This motion no longer takes supporters."))
    if locked.author_id == person.pk:
        raise Refused(_("Authors cannot support their own motion."))
    _support, created = Support.objects.get_or_create(motion=locked, person=person)
    if not created:
        raise Conflict(_("You already support this motion."))
    supporters = Support.objects.filter(motion=locked).count()
    if locked.state == Motion.State.SUBMITTED and supporters >= locked.body.supporters_required:
        set_state(person, locked, to_state=Motion.State.SUPPORTED, reason="enough supporters")
    publish_on_commit(
        Body.channel_of(locked.body_id), "motion.supported", {"motion": locked.number}
    )
    return locked


@transaction.atomic
def motion_withdraw(person: Person, motion: Motion) -> Motion:
    """The author (or a facilitator) withdraws a motion that is not being voted on."""
    locked = _lock(motion)
    membership = require_member(person, locked.body)
    if locked.author_id != person.pk and not membership.is_facilitator:
        raise NotAllowed(_("Only the author or a facilitator can withdraw this motion."))
    if not locked.is_open:
        raise Conflict(_("This motion can no longer be withdrawn."))
    set_state(person, locked, to_state=Motion.State.WITHDRAWN)
    return locked


@transaction.atomic
def comment_add(person: Person, motion: Motion, *, text: str, stance: str) -> Comment:
    """Members (not observers) discuss motions; each comment takes a stance."""
    require_view(person, motion.body)
    require_member(person, motion.body)
    if stance not in Comment.Stance.values:
        raise Refused(_("Choose for, against or neutral."))
    if not text.strip():
        raise Refused(_("The comment is empty."))
    if len(text) > COMMENT_MAX:
        raise Refused(_("The comment is too long (at most 5,000 characters)."))
    if motion.state == Motion.State.WITHDRAWN:
        raise Conflict(_("This motion was withdrawn; the discussion is closed."))
    comment = Comment.objects.create(motion=motion, author=person, text=text, stance=stance)
    publish_on_commit(Body.channel_of(motion.body_id), "motion.comment", {"motion": motion.number})
    return comment
