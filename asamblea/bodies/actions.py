"""Writes on bodies, memberships and invitations. Each checks rights, writes in one transaction,
appends to the body's ledger and publishes its live event after commit."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person, Visitor
from asamblea.bodies.models import Body, Invitation, Membership, Sector
from asamblea.bodies.queries import require_facilitator
from asamblea.bodies.signals import recorded
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.actions import ledger_append
from asamblea.live.events import publish_on_commit

TOKEN_BYTES = 24  # 192 bits of entropy, well over the 128 the design asks for
MAX_INVITATION_DAYS = 90
MAX_INVITATION_USES = 1000


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _derive_token(nonce: str) -> str:
    """The invitation token behind ``nonce``: an HMAC under the secret key, cut to 192 bits."""
    digest = salted_hmac("asamblea.bodies.invitation", nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode("ascii").rstrip("=")


def recover_token(invitation: Invitation) -> str | None:
    """The token of ``invitation`` derived again, to show its link to a facilitator once more.

    None for invitations made before tokens were derivable, or when the secret key changed
    since (the stored hash no longer matches): those can only be re-issued. The caller checks
    that the person is a facilitator of the invitation's body."""
    if not invitation.nonce:
        return None
    token = _derive_token(invitation.nonce)
    return token if constant_time_compare(hash_token(token), invitation.token_hash) else None


def _new_invitation(facilitator: Person, body: Body, **fields: Any) -> tuple[Invitation, str]:
    nonce = secrets.token_urlsafe(32)
    token = _derive_token(nonce)
    invitation = Invitation.objects.create(
        body=body, token_hash=hash_token(token), nonce=nonce, created_by=facilitator, **fields
    )
    return invitation, token


def record(body: Body, kind: str, payload: dict[str, Any]) -> None:
    """Append an event to the body's ledger and announce it on the body's live channel."""
    entry = ledger_append(body.ledger_chain, kind, payload)
    publish_on_commit(body.channel, "ledger", {"kind": kind, "seq": entry.seq, "hash": entry.hash})
    recorded.send(sender=Body, body=body, kind=kind, entry=entry)


def _unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "asamblea"
    slug, n = base, 1
    while Body.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def body_create(
    creator: Visitor,
    *,
    name: str,
    kind: str,
    region: str = "",
    description: str = "",
    visibility: str = Body.Visibility.MEMBERS,
    sectors: Iterable[Sector] = (),
    quorum_percent: int = 50,
    majority: str = "simple",
    supporters_required: int = 0,
    participation_public: bool = False,
) -> Body:
    """Create a body; its creator becomes its first facilitator.

    Two bodies with the same name created at once may pick the same slug; the unique index on
    ``slug`` refuses the second, whose savepoint rolls back and which retries with the next one.
    """
    if creator is None or not creator.is_authenticated:
        raise NotAllowed(_("Log in to create an assembly."))
    for _attempt in range(10):
        try:
            with transaction.atomic():
                body = Body.objects.create(
                    name=name,
                    slug=_unique_slug(name),
                    kind=kind,
                    region=region,
                    description=description,
                    visibility=visibility,
                    quorum_percent=quorum_percent,
                    majority=majority,
                    supporters_required=supporters_required,
                    participation_public=participation_public,
                )
            break
        except IntegrityError:
            continue
    else:
        raise Conflict(_("Too many assemblies are being created at once. Try again."))
    body.sectors.set(list(sectors))
    Membership.objects.create(person=creator, body=body, role=Membership.Role.FACILITATOR)
    record(
        body,
        "body.created",
        {
            "body": body.pk,
            "name": name,
            "kind": kind,
            "region": region,
            "visibility": visibility,
            "statute": {
                "quorum_percent": quorum_percent,
                "majority": majority,
                "supporters_required": supporters_required,
                "participation_public": participation_public,
            },
        },
    )
    record(body, "member.joined", {"person": creator.pk, "role": Membership.Role.FACILITATOR})
    return body


@transaction.atomic
def invitation_create(
    facilitator: Person,
    body: Body,
    *,
    role: str = Membership.Role.MEMBER,
    days: int = 7,
    max_uses: int = 1,
    label: str = "",
) -> tuple[Invitation, str]:
    """Create an invitation and return it with its token (never stored; a facilitator can
    have it derived again, see :func:`recover_token`)."""
    require_facilitator(facilitator, body)
    if role not in Membership.Role.values:
        raise Refused(_("Unknown role."))
    if not 1 <= days <= MAX_INVITATION_DAYS:
        raise Refused(_("An invitation lasts between 1 and 90 days."))
    if not 1 <= max_uses <= MAX_INVITATION_USES:
        raise Refused(_("An invitation can be used between 1 and 1000 times."))
    return _new_invitation(
        facilitator,
        body,
        role=role,
        expires_at=timezone.now() + timedelta(days=days),
        max_uses=max_uses,
        label=label,
    )


def invitation_for_token(token: str) -> Invitation:
    """The usable invitation behind ``token``; refuses unknown, used up, revoked or expired."""
    if not token or len(token) > 100:
        raise Refused(_("This invitation link is not valid."), code="invalid_invitation")
    invitation = (
        Invitation.objects.select_related("body").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise Refused(_("This invitation link is not valid."), code="invalid_invitation")
    if not invitation.usable():
        raise Refused(
            _("This invitation has expired or has been used up. Ask for a new one."),
            code="expired_invitation",
        )
    return invitation


@transaction.atomic
def invitation_redeem(person: Person, token: str) -> Membership:
    """Join the invitation's body with its role.

    The use counter is incremented by a conditional UPDATE (``uses < max_uses``), so a
    single-use link admits one person even under concurrent redemptions.
    """
    invitation = invitation_for_token(token)
    body = invitation.body
    existing = Membership.objects.filter(person=person, body=body).first()
    if existing is not None:
        if existing.status == Membership.Status.ACTIVE:
            raise Conflict(_("You are already a member of this assembly."), code="already_member")
        raise NotAllowed(
            _("Your membership of this assembly is suspended or was removed."),
            code="membership_closed",
        )
    taken = Invitation.objects.filter(
        pk=invitation.pk, uses__lt=F("max_uses"), revoked=False
    ).update(uses=F("uses") + 1)
    if not taken:
        raise Refused(
            _("This invitation has expired or has been used up. Ask for a new one."),
            code="expired_invitation",
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(person=person, body=body, role=invitation.role)
    except IntegrityError as exc:
        raise Conflict(
            _("You are already a member of this assembly."), code="already_member"
        ) from exc
    record(body, "member.joined", {"person": person.pk, "role": invitation.role})
    return membership


def _lock_for_revoke(facilitator: Person, invitation: Invitation) -> Invitation:
    require_facilitator(facilitator, invitation.body)
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.revoked:
        raise Conflict(_("This invitation was already revoked."), code="already_revoked")
    return locked


@transaction.atomic
def invitation_revoke(facilitator: Person, invitation: Invitation) -> None:
    """Revoke an invitation (in the ledger). Locks its row: revoked once."""
    locked = _lock_for_revoke(facilitator, invitation)
    Invitation.objects.filter(pk=locked.pk).update(revoked=True)
    record(locked.body, "invitation.revoked", {"invitation": locked.pk, "by": facilitator.pk})


@transaction.atomic
def invitation_reissue(facilitator: Person, invitation: Invitation) -> tuple[Invitation, str]:
    """Replace a usable invitation by a new link with the same role, note, expiry and the uses
    it has left; the old link stops working at once. Locks the old row, so two re-issues of
    one link give one new link and a clear refusal."""
    locked = _lock_for_revoke(facilitator, invitation)
    if not locked.usable():
        raise Conflict(
            _("This invitation has expired or has been used up. Create a new one."),
            code="expired_invitation",
        )
    Invitation.objects.filter(pk=locked.pk).update(revoked=True)
    new, token = _new_invitation(
        facilitator,
        locked.body,
        role=locked.role,
        expires_at=locked.expires_at,
        max_uses=locked.max_uses - locked.uses,
        label=locked.label,
    )
    record(
        locked.body,
        "invitation.reissued",
        {"invitation": locked.pk, "new_invitation": new.pk, "by": facilitator.pk},
    )
    return new, token


def _change_status(
    facilitator: Person, membership: Membership, status: str, kind: str, reason: str
) -> Membership:
    body = membership.body
    require_facilitator(facilitator, body)
    if membership.person_id == facilitator.pk and status != Membership.Status.ACTIVE:
        raise Refused(_("You cannot suspend or remove yourself."))
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.status == status:
        raise Conflict(_("Nothing to change: the membership already has this status."))
    if locked.status == Membership.Status.REMOVED:
        raise Conflict(_("A removed member must be invited again."))
    locked.status = status
    locked.save(update_fields=["status"])
    record(body, kind, {"person": locked.person_id, "by": facilitator.pk, "reason": reason})
    return locked


@transaction.atomic
def member_suspend(facilitator: Person, membership: Membership, *, reason: str = "") -> Membership:
    return _change_status(
        facilitator, membership, Membership.Status.SUSPENDED, "member.suspended", reason
    )


@transaction.atomic
def member_reinstate(
    facilitator: Person, membership: Membership, *, reason: str = ""
) -> Membership:
    return _change_status(
        facilitator, membership, Membership.Status.ACTIVE, "member.reinstated", reason
    )


@transaction.atomic
def member_remove(facilitator: Person, membership: Membership, *, reason: str = "") -> Membership:
    return _change_status(
        facilitator, membership, Membership.Status.REMOVED, "member.removed", reason
    )


@transaction.atomic
def member_set_role(facilitator: Person, membership: Membership, *, role: str) -> Membership:
    """Change a member's role. A body always keeps at least one active facilitator."""
    body = membership.body
    require_facilitator(facilitator, body)
    if role not in Membership.Role.values:
        raise Refused(_("Unknown role."))
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == role:
        raise Conflict(_("Nothing to change: the member already has this role."))
    if locked.role == Membership.Role.FACILITATOR:
        others = Membership.objects.filter(
            body=body, role=Membership.Role.FACILITATOR, status=Membership.Status.ACTIVE
        ).exclude(pk=locked.pk)
        if not others.exists():
            raise Refused(_("An assembly needs at least one facilitator."))
    locked.role = role
    locked.save(update_fields=["role"])
    record(body, "member.role_changed", {"person": locked.person_id, "role": role})
    return locked
