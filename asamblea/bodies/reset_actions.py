"""A facilitator's reset link for a member who lost their passphrase (no e-mail exists).

A reset link lets whoever holds it take over the account, so who may issue one is narrow:
- an active facilitator of the body, for an active member or observer of that same body;
- never for oneself (a facilitator who lost their passphrase uses a recovery code, or another
  facilitator);
- never for someone who facilitates any body, nor for staff: taking over a facilitator would
  give the issuer powers they were not given (in another assembly, too). Those accounts come
  back with recovery codes, or through the operator;
- the link lasts 24 hours, works once, replaces any earlier link, and is recorded in the body's
  ledger when issued and when used; the person is told at their next login and on their
  profile, and every other session of theirs ends when it is used.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.actions import reset_create
from asamblea.accounts.models import Person
from asamblea.bodies.models import Membership
from asamblea.bodies.queries import require_facilitator
from asamblea.errors import NotAllowed, Refused


@transaction.atomic
def reset_issue(facilitator: Person, membership: Membership) -> str:
    """Issue a single-use reset link for the member of ``membership``; the token, shown once.

    The membership row is locked so a concurrent suspension or role change is seen."""
    body = membership.body
    require_facilitator(facilitator, body)
    locked = Membership.objects.select_for_update().select_related("person").get(pk=membership.pk)
    person = locked.person
    if person.pk == facilitator.pk:
        raise Refused(_("You cannot issue a reset link for yourself."), code="reset_self")
    if locked.status != Membership.Status.ACTIVE:
        raise Refused(_("Only active members can get a reset link."), code="reset_inactive_member")
    facilitates = Membership.objects.filter(
        person=person, role=Membership.Role.FACILITATOR, status=Membership.Status.ACTIVE
    ).exists()
    if facilitates or person.is_staff or person.is_superuser:
        raise NotAllowed(
            _(
                "A facilitator's account cannot be reset by link: they get back in with "
                "their recovery codes."
            ),
            code="reset_facilitator",
        )
    return reset_create(facilitator, person, ledger_chain=body.ledger_chain, body_name=body.name)
