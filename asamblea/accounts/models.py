"""People. An account holds a display name, a login name, a passphrase hash and a language:
nothing else is asked or stored (no e-mail, no phone)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import AnonymousUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts import names


class PersonManager(BaseUserManager["Person"]):
    def create_user(self, username: str, password: str | None = None, **extra: Any) -> Person:
        """A new account under the normal form of ``username`` (see :mod:`.names`). The unique
        skeleton makes a look-alike of an existing name fail with an IntegrityError, also when
        two sign-ups race."""
        username = names.normalise(username)
        extra.setdefault("display_name", username)
        person = self.model(username=username, login_skeleton=names.skeleton(username), **extra)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> Person:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **extra)

    def get_by_natural_key(self, username: str | None) -> Person:
        # Exact match on the normal form: ``kuſi`` is ``kusi`` by normalisation, but ``kusı``
        # (dotless i) is another name, whatever the database's case-insensitive rules say.
        return self.get(username=names.normalise(username or ""))


class Person(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(
        _("login name"),
        max_length=40,
        unique=True,
        help_text=_("Letters, digits, dots, dashes and underscores. Used only to log in."),
    )
    # UTS #39 skeleton of the login name, set when the account is created: two accounts
    # cannot have look-alike names. Null only for old accounts that were already look-alikes
    # of an earlier one when this was introduced (that earlier one holds the skeleton).
    login_skeleton = models.CharField(  # noqa: DJ001 - null: several old look-alikes
        max_length=255, unique=True, null=True, editable=False
    )
    display_name = models.CharField(_("display name"), max_length=60)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="es"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = PersonManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [models.UniqueConstraint(Lower("username"), name="person_username_ci")]

    def __str__(self) -> str:
        return self.display_name


class RecoveryCode(models.Model):
    """A single-use code that lets its holder set a new passphrase without anyone's help.

    Ten are issued at sign-up and shown once; only a hash is stored (see
    :func:`asamblea.accounts.actions.code_digest`), so a copy of the database reveals none.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)


class PassphraseReset(models.Model):
    """A single-use reset link a facilitator issued for a member of their assembly.

    The link's token is stored only as a SHA-256. ``ledger_chain`` is the ledger of the body in
    which it was issued (issue and use are recorded there); accounts knows no bodies.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="resets")
    issued_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, related_name="resets_issued"
    )
    ledger_chain = models.CharField(max_length=64)
    body_name = models.CharField(max_length=200)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def usable(self) -> bool:
        return not self.revoked and self.used_at is None and self.expires_at > timezone.now()


class AccountNotice(models.Model):
    """Something the person must be told the next time they log in (a reset link was issued
    for them, or used), and listed on their profile afterwards."""

    class Kind(models.TextChoices):
        RESET_ISSUED = "reset_issued", _("reset link issued")
        RESET_USED = "reset_used", _("reset link used")
        RECOVERY_CODE_USED = "code_used", _("recovery code used")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    body_name = models.CharField(max_length=200, blank=True)
    issued_by_name = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


# Whom a request acts for: a person logged in, or Django's anonymous user. Reads take it as it
# comes; writes that need someone logged in take a Person (and those that refuse the anonymous
# with a message take a Visitor).
Visitor = Person | AnonymousUser
