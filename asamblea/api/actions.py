"""Writes on personal access tokens: making one (shown once) and revoking it."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person, Visitor
from asamblea.api.models import SCOPES, AccessToken
from asamblea.errors import Conflict, NotAllowed, Refused

TOKEN_PREFIX = "asm_"  # noqa: S105 - a marker, not a secret
NAME_MAX = 80
# A person's tokens at once: enough for a few programs, too few to hide a leak among them.
ACTIVE_MAX = 20


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_person(person: Visitor) -> None:
    if person is None or not person.is_authenticated or not person.is_active:
        raise NotAllowed(_("Log in to manage your access tokens."), code="login_required")


@transaction.atomic
def token_create(person: Person, *, name: str, scopes: list[str]) -> tuple[AccessToken, str]:
    """Make a token for ``person`` with ``scopes``; the token itself is returned this once and
    only its SHA-256 is stored. The person row is locked (``select_for_update``) so two
    requests at once cannot pass the limit of active tokens together."""
    _require_person(person)
    name = (name or "").strip()
    if not name:
        raise Refused(_("Give the token a name, to recognise it later."), code="token_name")
    if len(name) > NAME_MAX:
        raise Refused(_("The name is too long (at most 80 characters)."), code="token_name")
    chosen = sorted(set(scopes))
    if not chosen or any(scope not in SCOPES for scope in chosen):
        raise Refused(_("Choose what the token may do."), code="token_scopes")
    get_user_model().objects.select_for_update().filter(pk=person.pk).first()
    if AccessToken.objects.filter(person=person, revoked_at=None).count() >= ACTIVE_MAX:
        raise Conflict(
            _("You have too many active tokens. Revoke one you no longer use."),
            code="too_many_tokens",
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = AccessToken.objects.create(
        person=person,
        name=name,
        prefix=token[: len(TOKEN_PREFIX) + 8],
        digest=token_digest(token),
        scopes=chosen,
    )
    return row, token


@transaction.atomic
def token_revoke(person: Person, token: AccessToken) -> AccessToken:
    """Revoke one of the person's own tokens; it stops working at once. The row is locked."""
    _require_person(person)
    locked = AccessToken.objects.select_for_update().filter(pk=token.pk).first()
    if locked is None or locked.person_id != person.pk:
        raise Refused(_("This token does not exist."), code="no_token", status=404)
    if locked.revoked_at is not None:
        raise Conflict(_("This token was already revoked."), code="token_revoked")
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    return locked


def token_person(token: str) -> tuple[AccessToken, Any] | None:
    """The active token and its person for a token presented to the API (one query), or None.

    ``last_used_at`` is written at most once an hour per token, so reading the API does not
    turn every request into a write."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = (
        AccessToken.objects.select_related("person")
        .filter(digest=token_digest(token), revoked_at=None, person__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 3600:
        AccessToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row, row.person
