"""People. An account holds a display name, a login name, a passphrase hash and a language:
nothing else is asked or stored (no e-mail, no phone)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
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
