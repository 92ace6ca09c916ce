"""Writes on accounts: passphrase change, recovery codes, reset links, notices.

There is no e-mail. A person who forgets their passphrase gets back in with one of the recovery
codes printed at sign-up, or with a single-use reset link that a facilitator of one of their
assemblies issues (``asamblea.bodies.actions.reset_issue`` checks that right and calls
:func:`reset_create`). Every new passphrase changes the session hash, so every other session of
the person ends (Django checks it on each request).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts import names
from asamblea.accounts.models import AccountNotice, PassphraseReset, Person, RecoveryCode
from asamblea.errors import NotAllowed, Refused
from asamblea.ledger.actions import ledger_append
from asamblea.live.events import publish_on_commit

CODE_COUNT = 10
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
CODE_LENGTH = 16  # 16 symbols of 31: 79 bits each
RESET_HOURS = 24
RESET_TOKEN_BYTES = 24


def _format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_code(code: str) -> str:
    """What a person types, as it was issued: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.lower() if ch.isalnum())[:64]


def code_digest(code: str) -> str:
    """SHA-256 of a recovery code. A code holds 79 random bits, so a copy of the database cannot
    be searched for them; unkeyed on purpose, so rotating SECRET_KEY does not void printed codes."""
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()


def _validate_passphrase(person: Person | None, passphrase: str) -> None:
    try:
        password_validation.validate_password(passphrase, person)
    except ValidationError as exc:
        raise Refused(" ".join(exc.messages), code="weak_passphrase") from exc


@transaction.atomic
def recovery_codes_issue(person: Person) -> list[str]:
    """Replace the person's recovery codes with :data:`CODE_COUNT` new ones, returned once.
    Earlier codes, used or not, stop working."""
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one issue at a time
    RecoveryCode.objects.filter(person=person).delete()
    codes = [
        _format_code("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
        for _ in range(CODE_COUNT)
    ]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(person=person, digest=code_digest(code)) for code in codes
    )
    return codes


def recovery_codes_left(person: Person) -> int:
    return RecoveryCode.objects.filter(person=person, used_at=None).count()


@transaction.atomic
def passphrase_change(person: Person, *, current: str, new: str) -> None:
    """Change one's own passphrase; the current one is required (a borrowed, unlocked phone
    must not be enough). The caller keeps its own session with ``update_session_auth_hash``."""
    if not person.check_password(current):
        raise NotAllowed(_("The current passphrase is not right."), code="wrong_passphrase")
    _validate_passphrase(person, new)
    person.set_password(new)
    person.save(update_fields=["password"])


@transaction.atomic
def passphrase_recover(username: str, *, code: str, new: str) -> Person:
    """Set a new passphrase with a recovery code, which is used up.

    The code row is claimed by a conditional UPDATE (``used_at IS NULL``), so one code sets
    one passphrase even when two requests race. Unknown name and wrong code give one message.
    No actor: nobody is logged in; the code stands for the person named ``username``.
    """
    wrong = Refused(_("That login name and recovery code do not match."), code="wrong_code")
    person = Person.objects.filter(username=names.normalise(username)).first()
    if person is None or not person.is_active:
        raise wrong
    _validate_passphrase(person, new)
    claimed = RecoveryCode.objects.filter(
        person=person, digest=code_digest(code), used_at=None
    ).update(used_at=timezone.now())
    if claimed != 1:
        raise wrong
    person.set_password(new)
    person.save(update_fields=["password"])
    AccountNotice.objects.create(person=person, kind=AccountNotice.Kind.RECOVERY_CODE_USED)
    return person


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def reset_create(issued_by: Person, person: Person, *, ledger_chain: str, body_name: str) -> str:
    """Issue a reset link for ``person`` (rights are the caller's to check, inside its
    transaction); earlier unused links for the person stop working. Returns the token, shown
    once. Recorded in the body's ledger; the person is told at their next login."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reset_create must run inside a transaction")
    PassphraseReset.objects.filter(person=person, used_at=None, revoked=False).update(revoked=True)
    token = secrets.token_urlsafe(RESET_TOKEN_BYTES)
    now = timezone.now()
    PassphraseReset.objects.create(
        person=person,
        issued_by=issued_by,
        ledger_chain=ledger_chain,
        body_name=body_name,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=RESET_HOURS),
    )
    AccountNotice.objects.create(
        person=person,
        kind=AccountNotice.Kind.RESET_ISSUED,
        body_name=body_name,
        issued_by_name=issued_by.display_name,
    )
    _record(ledger_chain, "member.reset_issued", {"person": person.pk, "by": issued_by.pk})
    return token


def reset_for_token(token: str) -> PassphraseReset:
    """The usable reset behind ``token``; refuses unknown, used, replaced or expired links."""
    reset = None
    if token and len(token) <= 100:
        reset = (
            PassphraseReset.objects.select_related("person")
            .filter(token_hash=_token_hash(token))
            .first()
        )
    if reset is None or not reset.usable() or not reset.person.is_active:
        raise Refused(
            _("This reset link is not valid: it was used, replaced or has expired."),
            code="invalid_reset",
            status=404,
        )
    return reset


@transaction.atomic
def reset_use(token: str, *, new: str) -> Person:
    """Set a new passphrase through a reset link, which is used up (a conditional UPDATE on
    ``used_at IS NULL`` lets one request win). Every other session of the person ends.
    No actor: nobody is logged in; the link stands for the person it was issued for."""
    reset = reset_for_token(token)
    person = reset.person
    _validate_passphrase(person, new)
    claimed = PassphraseReset.objects.filter(pk=reset.pk, used_at=None, revoked=False).update(
        used_at=timezone.now()
    )
    if claimed != 1:
        raise Refused(
            _("This reset link is not valid: it was used, replaced or has expired."),
            code="invalid_reset",
            status=404,
        )
    person.set_password(new)
    person.save(update_fields=["password"])
    AccountNotice.objects.create(
        person=person,
        kind=AccountNotice.Kind.RESET_USED,
        body_name=reset.body_name,
        issued_by_name=reset.issued_by.display_name if reset.issued_by else "",
    )
    _record(reset.ledger_chain, "member.reset_used", {"person": person.pk})
    return person


def _record(chain: str, kind: str, payload: dict[str, Any]) -> None:
    entry = ledger_append(chain, kind, payload)
    # A body's ledger chain is named as its live channel ("body:<pk>").
    publish_on_commit(chain, "ledger", {"kind": kind, "seq": entry.seq, "hash": entry.hash})


@transaction.atomic
def notices_take(person: Person) -> list[AccountNotice]:
    """The notices the person has not seen yet, marked seen (shown once, at login)."""
    fresh = list(AccountNotice.objects.filter(person=person, seen_at=None).order_by("created_at"))
    AccountNotice.objects.filter(pk__in=[notice.pk for notice in fresh]).update(
        seen_at=timezone.now()
    )
    return fresh
