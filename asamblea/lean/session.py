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
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from asamblea.accounts.models import Person
from asamblea.lean.conf import conf
from asamblea.voting import casting

SESSION_KEY_SHAPE = re.compile(r"[a-z0-9]{8,64}")  # Django's keys: [a-z0-9]{32}
SESSION_TABLE = SessionStore.get_model_class()._meta.db_table

# What AbstractBaseUser.get_session_auth_hash() signs, computed here from the stored password
# hash without building a model instance per ballot.
_SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


def session_key(cookies: dict[str, str]) -> str:
    """The session cookie's key, or "" when it is missing or not shaped like a key."""
    key = cookies.get(conf().SESSION_COOKIE_NAME, "")
    return key if SESSION_KEY_SHAPE.fullmatch(key) else ""


@dataclass(frozen=True)
class Visitor:
    """The logged-in person of a session, and what else the session holds (its keys)."""

    person_id: int
    display_name: str
    language: str
    session_keys: frozenset[str]
    hash_current: bool  # made with the current secret key (Django rotates one made with a fallback)


def people_plan(
    session_keys: Sequence[str], dialect: casting.Dialect
) -> casting.Plan[dict[str, int]]:
    """{session key: person id} for the sessions that belong to a logged-in, active person."""
    visitors = yield from visitors_plan(session_keys, dialect)
    return {key: visitor.person_id for key, visitor in visitors.items()}


def visitors_plan(
    session_keys: Sequence[str], dialect: casting.Dialect
) -> casting.Plan[dict[str, Visitor]]:
    """{session key: visitor} for the sessions that belong to a logged-in, active person."""
    keys = sorted({key for key in session_keys if key})
    if not keys:
        return {}
    store = SessionStore()
    condition, params = casting.among("session_key", keys, dialect)
    # The expiry is read as a column, not put in the WHERE clause: with it there, PostgreSQL's
    # generic plan for this prepared statement walked the expire_date index over every
    # unexpired session and filtered each by key (4 ms for 2,000 sessions, growing with them).
    rows = yield (
        f"SELECT session_key, session_data, expire_date > %s FROM {SESSION_TABLE} "  # noqa: S608
        f"WHERE {condition}",
        [dialect.now, *params],
    )
    claims: dict[str, tuple[int, str, frozenset[str]]] = {}
    # What SessionStore.decode does per session (django.core.signing.loads), with the signer
    # built once per batch instead of once per session; a session that does not verify is no
    # session, as there.
    signer = signing.TimestampSigner(salt=store.key_salt)
    memo = _memo()
    for key, data, unexpired in rows:
        if not unexpired:
            continue  # an expired session is no session, as Django's get_decoded
        session = memo.sessions.get(data, _UNKNOWN)
        if session is _UNKNOWN:
            try:
                session = signer.unsign_object(data, serializer=store.serializer)
            except Exception:  # noqa: BLE001 - a bad or forged session is not a login
                session = None
            memo.remember(memo.sessions, data, session)
        if not isinstance(session, dict):
            continue
        if session.get(BACKEND_SESSION_KEY) not in conf().AUTHENTICATION_BACKENDS:
            continue
        try:
            person_id = int(session[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            continue
        hash_ = str(session.get(HASH_SESSION_KEY) or "")
        claims[key] = (person_id, hash_, frozenset(str(k) for k in session))
    ids = sorted({pid for pid, _hash, _keys in claims.values()})
    if not ids:
        return {}
    condition, params = casting.among("id", ids, dialect)
    rows = yield (
        f"SELECT id, password, display_name, language FROM {Person._meta.db_table} "  # noqa: S608 - our table name
        f"WHERE {condition} AND is_active",
        params,
    )
    people = {row[0]: row[1:] for row in rows}
    found = {}
    for key, (person_id, session_hash, session_keys) in claims.items():
        person = people.get(person_id)
        if person is None or not session_hash:
            continue
        checked = memo.hashes.get((person[0], session_hash))
        if checked is None:
            current = hash_matches(person[0], session_hash, fallbacks=False)
            checked = (current, current or hash_matches(person[0], session_hash))
            memo.remember(memo.hashes, (person[0], session_hash), checked)
        if checked[1]:
            found[key] = Visitor(person_id, person[1], person[2], session_keys, checked[0])
    return found


# A voter's page, cast and the page after it carry the same session: what verifying it found
# is remembered, per process, for the session data as stored and the password hash as stored
# (any change to either is a new entry), under the secret keys it was checked with. Both are
# pure functions of those inputs; a session's expiry is checked by the query every time.
MEMO_SIZE = 20_000
_UNKNOWN = object()


class _Memo:
    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.sessions: dict[str, Any] = {}
        self.hashes: dict[tuple[str, str], tuple[bool, bool]] = {}

    @staticmethod
    def remember(table: dict[Any, Any], key: Any, value: Any) -> None:
        if len(table) >= MEMO_SIZE:
            table.clear()  # bounded: start again rather than track ages
        table[key] = value


_memos: list[_Memo] = []


def _memo() -> _Memo:
    keys = (str(conf().SECRET_KEY), *map(str, conf().SECRET_KEY_FALLBACKS))
    if not _memos or _memos[0].keys != keys:
        _memos[:] = [_Memo(keys)]
    return _memos[0]


def person_id(key: str) -> int | None:
    """The person of one session key, on Django's connection (None: nobody)."""
    return casting.run_plan(people_plan([key], casting.django_dialect())).get(key)


def hash_matches(password: str, session_hash: str, *, fallbacks: bool = True) -> bool:
    """Whether ``session_hash`` is the session hash of ``password`` under the current secret
    key or a fallback (as ``get_user`` accepts, before it rotates the session's hash)."""
    keys = [conf().SECRET_KEY, *conf().SECRET_KEY_FALLBACKS] if fallbacks else [conf().SECRET_KEY]
    for secret in keys:
        expected = salted_hmac(
            _SESSION_HASH_SALT, password, secret=secret, algorithm="sha256"
        ).hexdigest()
        if constant_time_compare(session_hash, expected):
            return True
    return False
