"""Who is asking: Django's session, read for a whole batch of ballots at once.

The same decision as ``django.contrib.auth.get_user`` (an unexpired session row that verifies,
a known backend, an active person, a session hash that matches the person's current passphrase
hash), made with two queries per batch instead of a session load and a user load per request.
``asamblea/lean/tests/test_same_as_django.py`` compares the two on the same sessions, so a
Django upgrade that changes its decision fails there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from asamblea.accounts.models import Person
from asamblea.voting import casting

SESSION_KEY_SHAPE = re.compile(r"[a-z0-9]{8,64}")  # Django's keys: [a-z0-9]{32}
SESSION_TABLE = SessionStore.get_model_class()._meta.db_table

# What AbstractBaseUser.get_session_auth_hash() signs, computed here from the stored password
# hash without building a model instance per ballot.
_SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


def session_key(cookies: dict[str, str]) -> str:
    """The session cookie's key, or "" when it is missing or not shaped like a key."""
    key = cookies.get(settings.SESSION_COOKIE_NAME, "")
    return key if SESSION_KEY_SHAPE.fullmatch(key) else ""


def people_plan(
    session_keys: Sequence[str], dialect: casting.Dialect
) -> casting.Plan[dict[str, int]]:
    """{session key: person id} for the sessions that belong to a logged-in, active person."""
    keys = sorted({key for key in session_keys if key})
    if not keys:
        return {}
    store = SessionStore()
    condition, params = casting.among("session_key", keys, dialect)
    rows = yield (
        f"SELECT session_key, session_data FROM {SESSION_TABLE} "  # noqa: S608 - our table name
        f"WHERE {condition} AND expire_date > %s",
        [*params, dialect.now],
    )
    claims: dict[str, tuple[int, str]] = {}
    # What SessionStore.decode does per session (django.core.signing.loads), with the signer
    # built once per batch instead of once per session; a session that does not verify is no
    # session, as there.
    signer = signing.TimestampSigner(salt=store.key_salt)
    for key, data in rows:
        try:
            session = signer.unsign_object(data, serializer=store.serializer)
        except Exception:  # noqa: BLE001, S112 - a bad or forged session is not a login
            continue
        if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
            continue
        try:
            person_id = int(session[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            continue
        claims[key] = (person_id, str(session.get(HASH_SESSION_KEY) or ""))
    ids = sorted({pid for pid, _hash in claims.values()})
    if not ids:
        return {}
    condition, params = casting.among("id", ids, dialect)
    rows = yield (
        f"SELECT id, password FROM {Person._meta.db_table} "  # noqa: S608 - our table name
        f"WHERE {condition} AND is_active",
        params,
    )
    passwords = dict(rows)
    found = {}
    for key, (person_id, session_hash) in claims.items():
        password = passwords.get(person_id)
        if password is not None and session_hash and hash_matches(password, session_hash):
            found[key] = person_id
    return found


def person_id(key: str) -> int | None:
    """The person of one session key, on Django's connection (None: nobody)."""
    return casting.run_plan(people_plan([key], casting.django_dialect())).get(key)


def hash_matches(password: str, session_hash: str) -> bool:
    """Whether ``session_hash`` is the session hash of ``password`` under the current secret
    key or a fallback (as ``get_user`` accepts, before it rotates the session's hash)."""
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        expected = salted_hmac(
            _SESSION_HASH_SALT, password, secret=secret, algorithm="sha256"
        ).hexdigest()
        if constant_time_compare(session_hash, expected):
            return True
    return False
